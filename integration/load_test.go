package integration

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataledger/network"
	"dataledger/network/sample"
)

// loadSet is what a fault test's load works on: a probe credential,
// issued and on every peer, that the verifiers read, and n signed
// credentials for the issuers, all under one holder agreement in Nanning.
type loadSet struct {
	Issuer  *sample.Issuer
	Agreed  *sample.Agreement
	Probe   string   // the probe's 授权编号
	Numbers []string // the credentials to issue
	Docs    []string // their signed documents
}

func newLoadSet(t *testing.T, label string, n int) *loadSet {
	t.Helper()
	is, ag := holderAgreement(t, label)
	return loadSetOf(t, is, ag, n)
}

// loadSetOf is n credentials of agreement ag to issue, and a probe issued
// already, on the issuer's channel.
func loadSetOf(t *testing.T, is *sample.Issuer, ag *sample.Agreement, n int) *loadSet {
	t.Helper()
	probe, probeSigned, _ := is.Credential(ag, is.Key)
	probeTx, err := is.Issue(probeSigned, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, probeTx)
	s := &loadSet{Issuer: is, Agreed: ag, Probe: probe.AuthorizationNumber, Numbers: make([]string, n), Docs: make([]string, n)}
	for i := range n {
		c, signed, err := is.Credential(ag, is.Key)
		if err != nil {
			t.Fatal(err)
		}
		s.Numbers[i], s.Docs[i] = c.AuthorizationNumber, signed
	}
	return s
}

// driveLoad runs 8 issuing workers over issue(0..n-1) and 4 verifiers
// calling verify until the issuing is done and fault has returned; fault
// runs once a third of the issuances are answered. issue reports whether
// the client was told the credential committed.
func driveLoad(n int, issue func(i int) bool, verify func(), fault func()) (acked []bool) {
	acked = make([]bool, n)
	var next, done atomic.Int32
	stopVerifying := verifying(4, verify)
	faulted := make(chan struct{})
	go func() {
		defer close(faulted)
		for int(done.Load()) < n/3 {
			time.Sleep(10 * time.Millisecond)
		}
		fault()
	}()
	var workers sync.WaitGroup
	for range 8 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				acked[i] = issue(i)
				done.Add(1)
			}
		}()
	}
	workers.Wait()
	<-faulted
	stopVerifying()
	return acked
}

// issuing is driveLoad's issue: the submitter issues docs[i] under
// agreement on channel, counted in tally (under mu).
func issuing(t *testing.T, tally *loadTally, mu *sync.Mutex, submitter *network.Client, channel string, docs []string, agreement string) func(int) bool {
	return func(i int) bool {
		_, err := submitter.Submit(channel, "IssueCredential", docs[i], agreement)
		mu.Lock()
		defer mu.Unlock()
		tally.Sent++
		if err != nil {
			t.Logf("issuance %d: %.160s", i, network.ErrorText(err))
			return false
		}
		tally.Acknowledged++
		return true
	}
}

// verifying runs k clients calling verify every 20 ms until the returned
// stop is called; stop returns once they have all finished.
func verifying(k int, verify func()) (stop func()) {
	quit := make(chan struct{})
	var clients sync.WaitGroup
	for range k {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for {
				select {
				case <-quit:
					return
				default:
				}
				verify()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	return func() {
		close(quit)
		clients.Wait()
	}
}

// onLedger reads every credential's history: an acknowledged one must be
// there (it is waited for, 15 s), one the client was not told committed
// is looked at once. Found counts those there; duplicates counts versions
// beyond the first (an issuance is one version).
func onLedger(t *testing.T, channel string, numbers []string, acked []bool) (found, lost, duplicates int) {
	t.Helper()
	return onLedgerOf(connect(t, "ProvinceMSP", "regulator", nil), channel, numbers, acked)
}

// onLedgerOf is onLedger as reader reads.
func onLedgerOf(reader *network.Client, channel string, numbers []string, acked []bool) (found, lost, duplicates int) {
	for i, number := range numbers {
		var hist []json.RawMessage
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			b, err := reader.Evaluate(channel, "History", "credential", number)
			if err == nil && json.Unmarshal(b, &hist) == nil && len(hist) > 0 {
				break
			}
			if !acked[i] || time.Now().After(deadline) {
				break
			}
		}
		switch {
		case len(hist) > 0:
			found++
			duplicates += len(hist) - 1
		case acked[i]:
			lost++
		}
	}
	return found, lost, duplicates
}

package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
)

// httpTally is what a fault test's HTTP clients were told and what the
// ledger holds afterwards. Issued counts distinct credentials (each
// retried with its own Idempotency-Key until it is acknowledged);
// Attempts counts every POST.
type httpTally struct {
	Issued, Attempts, Acknowledged, Unavailable, NoRetryAfter, Refused int
	Found, LostAcknowledged, Duplicates                                int
	Verifications, VerifyErrors, Stale                                 int
	Longest503                                                         time.Duration
}

// httpFault is what a fault can do besides breaking something: revoke
// the credential the verifiers are reading (after which no verification
// that starts may say "valid"), and wait for the clients to meet the fault.
type httpFault struct {
	t         *testing.T
	url, key  string
	probe     string
	revokedAt atomic.Int64 // unix nanoseconds the revocation was acknowledged; 0 before
	refusals  atomic.Int32 // 503s so far

	verifications atomic.Int32 // verifications answered so far
}

// Revoke revokes the probe credential through the gateway.
func (f *httpFault) Revoke(reason string) {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.url+"/api/v1/credentials/"+f.probe+"/status",
		strings.NewReader(fmt.Sprintf(`{"action":"revoke","reason":%q}`, reason)))
	req.Header.Set("Authorization", "Bearer "+f.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("revoking %s: %d %s", f.probe, resp.StatusCode, b)
	}
	f.revokedAt.Store(time.Now().UnixNano())
}

// Await503 waits (up to limit) until the issuing clients have been
// answered 503 at least once.
func (f *httpFault) Await503(limit time.Duration) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if f.refusals.Load() > 0 {
			return true
		}
	}
	return false
}

// underHTTPLoad issues n credentials through the gateway at url (8
// clients, each request with an Idempotency-Key; a 503 is retried with
// the same key after its Retry-After, capped at one second so the test
// stays short) while 4 clients verify an earlier credential over
// GET /api/v1/verify. Once a third are acknowledged, fault runs. Then
// every credential is looked up in its history: acknowledged ones must be
// there exactly once, and no verification that started after a
// revocation may have said "valid".
func underHTTPLoad(t *testing.T, url, issuerKey, label string, n int, fault func(f *httpFault)) httpTally {
	t.Helper()
	set := newLoadSet(t, label, n)
	bodies := make([]string, n)
	for i, doc := range set.Docs {
		b, _ := json.Marshal(gateway.IssueRequest{Document: json.RawMessage(doc), AgreementNumber: set.Agreed.Number})
		bodies[i] = string(b)
	}
	f := &httpFault{t: t, url: url, key: issuerKey, probe: set.Probe}
	var tally httpTally
	var mu sync.Mutex
	post := func(i int) (int, time.Duration, string) {
		req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/credentials", strings.NewReader(bodies[i]))
		req.Header.Set("Authorization", "Bearer "+issuerKey)
		req.Header.Set("Idempotency-Key", "load-"+set.Numbers[i])
		began := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, time.Since(began), err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(began), resp.Header.Get("Retry-After") + "|" + string(b)
	}
	issue := func(i int) bool {
		mu.Lock()
		tally.Issued++
		mu.Unlock()
		for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); {
			status, took, detail := post(i)
			mu.Lock()
			tally.Attempts++
			mu.Unlock()
			switch status {
			case http.StatusCreated:
				mu.Lock()
				tally.Acknowledged++
				mu.Unlock()
				return true
			case http.StatusServiceUnavailable:
			default:
				mu.Lock()
				tally.Refused++
				mu.Unlock()
				t.Errorf("issuing %s: %d %s", set.Numbers[i], status, detail)
				return false
			}
			f.refusals.Add(1)
			retryAfter, _ := strconv.Atoi(strings.SplitN(detail, "|", 2)[0])
			mu.Lock()
			tally.Unavailable++
			if retryAfter <= 0 {
				tally.NoRetryAfter++
			}
			tally.Longest503 = max(tally.Longest503, took)
			mu.Unlock()
			time.Sleep(min(time.Duration(max(retryAfter, 1))*time.Second, time.Second))
		}
		return false
	}
	verify := func() {
		started := time.Now().UnixNano()
		status, answer := 0, ""
		if resp, err := http.Get(url + "/api/v1/verify/" + f.probe); err == nil {
			var v gateway.VerifyResponse
			_ = json.NewDecoder(resp.Body).Decode(&v)
			resp.Body.Close()
			status, answer = resp.StatusCode, v.Status
		}
		f.verifications.Add(1)
		mu.Lock()
		defer mu.Unlock()
		tally.Verifications++
		switch revoked := f.revokedAt.Load(); {
		case status != http.StatusOK:
			tally.VerifyErrors++
		case revoked != 0 && started > revoked && answer != domain.VerifyRevoked,
			revoked == 0 && answer != domain.VerifyValid && answer != domain.VerifyRevoked:
			tally.Stale++
		}
	}
	acked := driveLoad(n, issue, verify, func() { fault(f) })
	tally.Found, tally.LostAcknowledged, tally.Duplicates = onLedger(t, "nanning", set.Numbers, acked)
	t.Logf("%s: %+v", label, tally)
	if tally.LostAcknowledged != 0 || tally.Duplicates != 0 || tally.Stale != 0 || tally.NoRetryAfter != 0 ||
		tally.Acknowledged != tally.Issued || tally.Found != tally.Issued {
		t.Fatalf("%s: an issuance is missing, doubled or unanswered, a 503 had no Retry-After, or a verification was wrong: %+v", label, tally)
	}
	return tally
}

// TestChaincodeServerKilledUnderLoad: the chaincode server of the
// issuing city's peer is killed (SIGKILL) while credentials are issued
// and verified over HTTP. Writes, which need the city's endorsement, are
// answered 503 with Retry-After; verifications (on the exchange's peer)
// keep answering; once the server is back the same gateway takes the
// clients' retries again by itself, and every credential is on the
// ledger exactly once.
func TestChaincodeServerKilledUnderLoad(t *testing.T) {
	cfg := gateway.DefaultConfig()
	cfg.Cache = gateway.NoCache{} // every verification asks the ledger
	ks, _ := gateway.OpenKeyStore(t.TempDir() + "/keys.json")
	issuer, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	store, err := gateway.OpenIdempotencyStore(t.TempDir() + "/idempotency.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg.Idempotency = store
	srv, _ := startGateway(t, &cfg, ks)
	var outage time.Duration
	tally := underHTTPLoad(t, srv.URL, issuer, "南宁链码服务故障测试", 48, func(f *httpFault) {
		kill9(t, "cc."+peerOf("CityAMSP").ID())
		began := time.Now()
		if !f.Await503(60 * time.Second) {
			t.Error("no write was refused with the city's chaincode server down")
		}
		time.Sleep(2 * time.Second)                  // a few more rounds of refused retries
		if err := cli("network", "up"); err != nil { // the operator's supervisor restarts it
			t.Error(err)
		}
		outage = time.Since(began)
	})
	if tally.Unavailable == 0 || tally.VerifyErrors != 0 {
		t.Fatalf("want 503s for writes and no verification errors: %+v", tally)
	}
	t.Logf("chaincode server down for %s", outage.Round(100*time.Millisecond))
}

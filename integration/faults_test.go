package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/network"
)

// TestChaincodeServerKilledGatewayAnswers503ThenRecovers: with the chaincode
// server behind the gateway's reading peer killed, verifications still
// answer (the peer evaluates on another member's peer); with every chaincode
// server of the channel killed, a verification that must go to the ledger
// is a 503 with Retry-After (not an error page, not a stale answer); once
// the servers are back (`network up` restarts what is missing) the same
// gateway answers again by itself.
func TestChaincodeServerKilledGatewayAnswers503ThenRecovers(t *testing.T) {
	probe := newLoadSet(t, "南宁故障测试", 0).Probe
	cfg := gateway.DefaultConfig()
	cfg.Cache = gateway.NoCache{} // every verification asks the ledger
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	srv, _ := startGateway(t, &cfg, ks)
	url := srv.URL + "/api/v1/verify/" + probe
	if status, body := httpGet(t, url, ""); status != http.StatusOK {
		t.Fatalf("before the fault: %d %s", status, body)
	}

	// One chaincode server down: the peer's gateway evaluates on another
	// member's peer, and the answer does not change.
	kill9(t, "cc."+peerOf(cfg.PublicIdentity.Org).ID())
	if status, body := httpGet(t, url, ""); status != http.StatusOK {
		t.Fatalf("with one chaincode server down: %d %s", status, body)
	}
	// Every chaincode server of the channel down: nothing can answer.
	for _, m := range net.D.Channel("nanning").Members {
		if m != cfg.PublicIdentity.Org {
			kill9(t, "cc."+peerOf(m).ID())
		}
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p gateway.Problem
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || p.Status != http.StatusServiceUnavailable {
		t.Fatalf("with the chaincode server down: %d, Retry-After %q, %+v", resp.StatusCode, resp.Header.Get("Retry-After"), p)
	}

	if err := cli("network", "up"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, body := httpGet(t, url, "")
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway did not recover: %d %s", status, body)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestGatewayKilledDuringSubmitsExactlyOneRecordPerKey: the gateway
// binary is killed with SIGKILL while 24 registrations with
// Idempotency-Keys are in flight, then restarted on the same state. Each
// client retries with its key: a recorded answer is replayed, a key the
// crash left pending answers 409 and the client reads the record (a
// write already ordered commits without the gateway), an unknown key is
// submitted. In the end every party is on the ledger with exactly one
// registration in its history.
func TestGatewayKilledDuringSubmitsExactlyOneRecordPerKey(t *testing.T) {
	dir := t.TempDir()
	ks, _ := gateway.OpenKeyStore(filepath.Join(dir, "keys.json"))
	issuer, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	const id, listen = "gateway-crash", "127.0.0.1:8196"
	start := gatewayBinary(t, id, listen, "127.0.0.1:18196", dir)
	start()

	// Two clients verify a credential through this gateway throughout:
	// while it is down they cannot connect (the only gateway is gone), but
	// every answer they do get is right, and none fails once it is back.
	probe := newLoadSet(t, "南宁网关断电测试", 0).Probe
	var down atomic.Bool // the gateway is killed and not yet ready again
	var verified, refusedWhileDown, failedWhileUp, wrong atomic.Int32
	stopVerifying := verifying(2, func() {
		wasDown := down.Load()
		resp, err := http.Get("http://" + listen + "/api/v1/verify/" + probe)
		switch {
		case err != nil && (wasDown || down.Load()):
			refusedWhileDown.Add(1)
		case err != nil:
			failedWhileUp.Add(1)
		default:
			var v gateway.VerifyResponse
			_ = json.NewDecoder(resp.Body).Decode(&v)
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusOK && v.Status == domain.VerifyValid:
				verified.Add(1)
			case wasDown || down.Load():
				refusedWhileDown.Add(1)
			default:
				wrong.Add(1)
			}
		}
	})

	const n = 24
	codes := make([]string, n)
	bodies := make([]string, n)
	for i := range codes {
		codes[i] = newCreditCode("450102")
		bodies[i] = partyArg(codes[i], fmt.Sprintf("南宁断电测试%02d有限公司", i), "450102")
	}
	post := func(i int, key string) (int, error) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+listen+"/api/v1/channels/nanning/parties", strings.NewReader(bodies[i]))
		req.Header.Set("Authorization", "Bearer "+issuer)
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	first := make([]int, n)
	var wg sync.WaitGroup
	var answered atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first[i], _ = post(i, fmt.Sprintf("crash-%d", i))
			answered.Add(1)
		}()
	}
	for answered.Load() < 3 { // some answered, the rest in flight
		time.Sleep(5 * time.Millisecond)
	}
	atKill := answered.Load()
	down.Store(true)
	kill9(t, id)
	wg.Wait()
	start()
	down.Store(false)

	reader := connect(t, "CityAMSP", "operator", nil)
	exists := func(code string) bool {
		_, err := reader.Evaluate("nanning", "GetParty", code)
		return err == nil
	}
	var acked, replayed, pending, resubmitted int
	for i := range n {
		if first[i] == http.StatusCreated {
			acked++
		}
		status, err := post(i, fmt.Sprintf("crash-%d", i))
		switch {
		case err != nil:
			t.Fatal(err)
		case status == http.StatusCreated:
			replayed++
		case status == http.StatusConflict: // the crash left the key pending: read the record
			pending++
			found := false
			for deadline := time.Now().Add(15 * time.Second); !found && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				found = exists(codes[i])
			}
			if !found { // never ordered: submit it anew
				if status, err := post(i, fmt.Sprintf("crash-%d-retry", i)); err != nil || status != http.StatusCreated {
					t.Fatalf("resubmitting %d: %d %v", i, status, err)
				}
				resubmitted++
			}
		default:
			t.Fatalf("retry %d: %d", i, status)
		}
	}
	regulator := connect(t, "ProvinceMSP", "regulator", nil)
	found, duplicates := 0, 0
	for i, code := range codes {
		var hist []json.RawMessage
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			b, err := regulator.Evaluate("nanning", "History", "party", code)
			if err == nil && json.Unmarshal(b, &hist) == nil && len(hist) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("party %d (%s) is not on the ledger: %v", i, code, network.ErrorText(err))
			}
		}
		found++
		duplicates += len(hist) - 1
	}
	stopVerifying()
	if found != n || duplicates != 0 {
		t.Fatalf("%d of %d parties found, %d duplicate registrations", found, n, duplicates)
	}
	if failedWhileUp.Load() != 0 || wrong.Load() != 0 || verified.Load() == 0 {
		t.Fatalf("verifications: %d valid, %d failed while the gateway was up, %d wrong", verified.Load(), failedWhileUp.Load(), wrong.Load())
	}
	t.Logf("sent %d; gateway killed after %d answers; acknowledged %d; on retry %d replayed, %d pending keys whose record was then found, %d resubmitted; found on the ledger %d, duplicates 0; verifications %d valid, %d unanswered while it was down, 0 failed while up, 0 wrong",
		n, atKill, acked, replayed, pending-resubmitted, resubmitted, found, verified.Load(), refusedWhileDown.Load())
}

// TestGatewayStateDiskFull: the gateway's state directory (a 128 KiB
// tmpfs) fills up while credentials are issued and verified over HTTP. A
// write that carries an Idempotency-Key is refused with a clear 503 before
// anything is submitted; verifications, which need no state, go on; once
// there is room the clients' retries go through, each credential is on the
// ledger once, every line of the record file parses, and after a restart
// an acknowledged key replays its answer.
func TestGatewayStateDiskFull(t *testing.T) {
	state := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", state).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs (the tests run as root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", state).Run() })
	path := filepath.Join(state, "idempotency.jsonl")
	store, err := gateway.OpenIdempotencyStore(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := gateway.DefaultConfig()
	cfg.Idempotency = store
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	issuer, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	srv, _ := startGateway(t, &cfg, ks)

	code := newCreditCode("450102")
	body := partyArg(code, "南宁磁盘测试有限公司", "450102")
	post := func(url, key string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/channels/nanning/parties", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+issuer)
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("Idempotent-Replayed")
	}
	reader := connect(t, "CityAMSP", "operator", nil)
	var full time.Duration
	tally := underHTTPLoad(t, srv.URL, issuer, "南宁磁盘故障测试", 48, func(f *httpFault) {
		filler, err := os.Create(filepath.Join(state, "filler"))
		if err != nil {
			t.Error(err)
			return
		}
		began := time.Now()
		for {
			if _, err := filler.Write(make([]byte, 4096)); err != nil {
				break // ENOSPC: the disk is full
			}
		}
		filler.Close()
		if !f.Await503(30 * time.Second) {
			t.Error("no write was refused with the state's disk full")
		}
		if status, b, _ := post(srv.URL, "disk-full-1"); status != http.StatusServiceUnavailable || !strings.Contains(b, "nothing was submitted") {
			t.Errorf("with the disk full: %d %s", status, b)
		}
		if _, err := reader.Evaluate("nanning", "GetParty", code); err == nil {
			t.Error("a refused request reached the ledger")
		}
		time.Sleep(time.Second)
		if err := os.Remove(filepath.Join(state, "filler")); err != nil {
			t.Error(err)
		}
		full = time.Since(began)
	})
	if tally.Unavailable == 0 || tally.VerifyErrors != 0 {
		t.Fatalf("want 503s for keyed writes and no verification errors: %+v", tally)
	}
	if status, b, _ := post(srv.URL, "disk-full-1"); status != http.StatusCreated {
		t.Fatalf("with room again: %d %s", status, b)
	}
	store.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("line %d of the record file is torn: %q", i+1, line)
		}
	}
	// A restart finds the answers.
	again, err := gateway.OpenIdempotencyStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	cfg.Idempotency = again
	srv2, _ := startGateway(t, &cfg, ks)
	if status, b, replayed := post(srv2.URL, "disk-full-1"); status != http.StatusCreated || replayed != "true" {
		t.Fatalf("after a restart: %d replayed=%q %s", status, replayed, b)
	}
	t.Logf("disk full for %s; record file %d lines, all whole", full.Round(100*time.Millisecond), len(lines))
}

// loadTally is what a fault test's clients were told and what the ledger
// holds afterwards.
type loadTally struct {
	Sent, Acknowledged, Found, LostAcknowledged, Duplicates int
	Verifications, VerifyErrors, Stale                      int
}

// underLoad issues n credentials (8 in flight, each waiting for its
// commit, through the peer via or the city's own) while 4 clients keep
// verifying an earlier credential on the exchange's peer, runs fault
// once a third of the issuances are acknowledged, and then checks every
// issuance against the ledger: acknowledged ones are there exactly once
// (one version in their history), and every verification said "valid".
func underLoad(t *testing.T, label string, n int, via *network.Peer, fault func()) loadTally {
	t.Helper()
	set := newLoadSet(t, label, n)
	submitter := set.Issuer.Operator // through the city's own peer, unless via names another
	if via != nil {
		submitter = connect(t, "CityAMSP", "operator", via)
	}
	// A transaction an orderer lost in the fault never reports a commit:
	// the client gives up on it after 15 s (it is then not acknowledged).
	submitter.CommitWait = 15 * time.Second
	exchange := connect(t, "ExchangeMSP", "exchange", nil)
	var tally loadTally
	var mu sync.Mutex
	acked := driveLoad(n, func(i int) bool {
		began := time.Now()
		_, err := submitter.Submit("nanning", "IssueCredential", set.Docs[i], set.Agreed.Number)
		mu.Lock()
		defer mu.Unlock()
		tally.Sent++
		if err != nil {
			t.Logf("%s: issuance %d failed after %s: %.160s", label, i, time.Since(began).Round(time.Millisecond), network.ErrorText(err))
			return false
		}
		tally.Acknowledged++
		if took := time.Since(began); took > 5*time.Second {
			t.Logf("%s: issuance %d acknowledged after %s", label, i, took.Round(time.Millisecond))
		}
		return true
	}, verifyProbe(&tally, &mu, exchange, "nanning", set.Probe), fault)
	tally.Found, tally.LostAcknowledged, tally.Duplicates = onLedger(t, "nanning", set.Numbers, acked)
	t.Logf("%s: %+v", label, tally)
	if tally.LostAcknowledged != 0 || tally.Duplicates != 0 || tally.Stale != 0 || tally.Found < tally.Acknowledged {
		t.Fatalf("%s: an acknowledged issuance is missing or doubled, or a verification was wrong: %+v", label, tally)
	}
	return tally
}

// verifyProbe is a verifier of driveLoad: it asks the exchange to verify
// the probe credential and counts the answer in tally (an error, or
// "stale" for any other status than valid).
func verifyProbe(tally *loadTally, mu *sync.Mutex, exchange *network.Client, channel, probe string) func() {
	return func() {
		b, err := exchange.Evaluate(channel, "VerifyCredential", probe)
		mu.Lock()
		defer mu.Unlock()
		tally.Verifications++
		if err != nil {
			tally.VerifyErrors++
		} else if !strings.Contains(string(b), `"status":"valid"`) {
			tally.Stale++
		}
	}
}

// TestOrdererKilledUnderLoadEveryAcknowledgedTxOnce: an orderer is killed
// with SIGKILL while credentials are issued and verified; every
// acknowledged issuance is on the ledger exactly once, and the restarted
// orderer catches up with the others.
func TestOrdererKilledUnderLoadEveryAcknowledgedTxOnce(t *testing.T) {
	orderersInStep(t)
	// The worst case: the channel's Raft leader, so the other two must
	// elect a new one while the clients keep submitting.
	var victim *network.Orderer
	for deadline := time.Now().Add(15 * time.Second); victim == nil; time.Sleep(200 * time.Millisecond) {
		victim, _ = net.RaftLeader("nanning")
		if victim == nil && time.Now().After(deadline) {
			t.Fatal("no orderer reports leading nanning")
		}
	}
	var outage time.Duration
	tally := underLoad(t, "南宁排序节点故障测试", 48, nil, func() {
		kill9(t, victim.ID())
		began := time.Now()
		time.Sleep(8 * time.Second)                  // the survivors elect a leader meanwhile
		if err := cli("network", "up"); err != nil { // restarted while the load goes on
			t.Error(err)
		}
		outage = time.Since(began)
	})
	if tally.Acknowledged < tally.Sent/2 {
		t.Fatalf("with one of three orderers down most issuances should still commit: %+v", tally)
	}
	var other *network.Orderer // a consenter of nanning that stayed up
	for _, x := range net.D.ChannelOrderers(net.D.Channel("nanning")) {
		if x != victim {
			other = x
		}
	}
	want, err := net.OrdererHeight(other, "nanning")
	if err != nil {
		t.Fatal(err)
	}
	leader, _ := net.RaftLeader("nanning")
	caughtUp := time.Now()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		h, err := net.OrdererHeight(victim, "nanning")
		if err == nil && h >= want {
			t.Logf("killed the leader %s, restarted it after %s; %s leads now; it was at the others' height %d %s after the load",
				victim.ID(), outage.Round(100*time.Millisecond), leader.ID(), want, time.Since(caughtUp).Round(100*time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restarted %s did not catch up: %d, want %d (%v)", victim.ID(), h, want, err)
		}
	}
}

// TestCityPeerStoppedUnderLoad: Nanning's city peer is stopped while
// credentials are issued (through the province's peer) and verified (on
// the exchange's); the channel keeps issuing on MAJORITY (province and
// exchange), every acknowledged issuance is on the ledger once, and the
// city peer catches up when it is back.
func TestCityPeerStoppedUnderLoad(t *testing.T) {
	city := peerOf("CityAMSP")
	tally := underLoad(t, "南宁城市节点故障测试", 48, peerOf("ProvinceMSP"), func() {
		pid, ok := net.PID(city.ID())
		if !ok {
			t.Error("the city peer is not running")
			return
		}
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, ok := net.PID(city.ID()); !ok {
				return
			}
		}
	})
	if tally.Acknowledged < tally.Sent/2 {
		t.Fatalf("with the city peer down, MAJORITY should keep issuing: %+v", tally)
	}
	reader := connect(t, "ProvinceMSP", "regulator", nil)
	want, err := reader.Height("nanning")
	if err != nil {
		t.Fatal(err)
	}
	if err := cli("network", "up"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		h, err := net.Height(city, "nanning")
		if err == nil && h >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the city peer did not catch up: %d, want %d (%v)", h, want, err)
		}
	}
}

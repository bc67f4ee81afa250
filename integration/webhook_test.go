package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/gateway/webhook"
	"dataledger/index"
	"dataledger/network"
	"dataledger/network/sample"
)

// hookReceiver is a subscriber's receiver: it checks every delivery's
// signature with its secret (a forged one is refused 401), answers 503
// while busy, and keeps each event once by its ID, counting repeats.
type hookReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret atomic.Value // string
	busy   atomic.Bool
	mu     sync.Mutex
	events map[string]webhook.Event // by ID: accepted, de-duplicated
	posts  int                      // accepted posts, repeats included
	busied map[string]int           // 503s per event ID
	forged int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{t: t, events: map[string]webhook.Event{}, busied: map[string]int{}}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	secret, _ := r.secret.Load().(string)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := webhook.Verify(secret, req.Header.Get(webhook.HeaderSignature), body, time.Now(), 0); err != nil {
		r.forged++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var e webhook.Event
	if err := json.Unmarshal(body, &e); err != nil || e.ID != req.Header.Get(webhook.HeaderEventID) || e.Type != req.Header.Get(webhook.HeaderEventType) {
		r.t.Errorf("a delivery's body and headers disagree: %s %v", body, req.Header)
	}
	if r.busy.Load() {
		r.busied[e.ID]++
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	r.posts++
	r.events[e.ID] = e
}

// got is what the receiver holds, one line per event: type, record type,
// key, status, version.
func (r *hookReceiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, fmt.Sprintf("%s %s %s %s %d", e.Type, e.RecordType, e.Key, e.Status, e.Version))
	}
	sort.Strings(out)
	return out
}

// TestWebhooksDeliverEveryEventOnceAcrossAGatewayKill: an enterprise and
// an exchange subscribe through the gateway binary; the enterprise's
// receiver is down (503) while its certificate is registered, the gateway
// is killed with SIGKILL, and a change is made while no gateway runs.
// After the restart each receiver holds, de-duplicated by event ID, every
// event it is owed exactly once and nothing else (another enterprise's
// receiver nothing of it); the delivery log shows the failed attempts; a
// forged delivery is refused.
func TestWebhooksDeliverEveryEventOnceAcrossAGatewayKill(t *testing.T) {
	is, ag := holderAgreement(t, "通知测试")
	agOther, err := is.HolderAgreement("通知测试他人")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	dir := t.TempDir()
	ks, err := gateway.OpenKeyStore(filepath.Join(dir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	keyE := enterpriseKey(t, ks, "CityAMSP", ag.Grantee)
	keyF := enterpriseKey(t, ks, "CityAMSP", agOther.Grantee)
	issuer, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	exchange, _, _ := ks.Create("ExchangeMSP", gateway.RoleExchange)

	const id, listen = "gateway-webhooks", "127.0.0.1:8197"
	start := gatewayBinary(t, id, listen, "127.0.0.1:18197", dir, "--webhook-allow-private", "--webhook-retry-base", "300ms")
	start()
	call := rawAPIOf(t, "http://"+listen+"/api/v1")
	rE, rF, rX := newHookReceiver(t), newHookReceiver(t), newHookReceiver(t)
	subscribe := func(r *hookReceiver, key string) string {
		var made gateway.WebhookCreated
		if err := json.Unmarshal(call("POST", "/webhooks", key, gateway.WebhookRequest{URL: r.srv.URL + "/hooks"}, 201), &made); err != nil {
			t.Fatal(err)
		}
		r.secret.Store(made.Secret)
		return made.ID
	}
	subE, subF := subscribe(rE, keyE), subscribe(rF, keyF)
	subscribe(rX, exchange)
	call("POST", "/webhooks/"+subE+"/ping", keyE, nil, 202)

	// 1. A credential issued to the enterprise, delivered at once.
	cred, signed, _ := is.Credential(ag, is.Key)
	issued, err := is.Issue(signed, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, issued)
	waitHooks(t, "the credential's issue", func() bool { return len(rE.got()) == 2 })

	// 2. The enterprise's receiver is down while its product's
	// certificate is registered: the gateway retries, and is killed.
	rE.busy.Store(true)
	cert, build := is.CertificateFor(ag.Grantee, ag.GranteeName, "通知测试产品", []string{"RES-450100-0001"}, true)
	registered, err := is.RegisterCertificate(build, "")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, registered)
	waitHooks(t, "a refused attempt", func() bool { rE.mu.Lock(); defer rE.mu.Unlock(); return len(rE.busied) > 0 })
	kill9(t, id)

	// 3. While no gateway runs, the credential is suspended.
	if _, res, err := is.Authority.ChangeCredentialStatus("nanning", cred.AuthorizationNumber, "suspend", privateText("核查期间暂停（通知）")); err != nil {
		t.Fatal(network.ErrorText(err))
	} else {
		synced(t, res)
	}
	start()
	rE.busy.Store(false)

	// 4. After the restart, through the gateway: the public objects to
	// the product, the issuer reinstates the credential.
	objection := domain.ObjectionInput{Number: sample.Number(domain.PrefixObjection, "450100"), TargetKind: "certificate", Target: cert.RegistrationNumber,
		EvidenceDigest: certs.SM3Hex([]byte("通知测试证据")), Summary: privateText("公众异议：数据来源存疑（通知）")}
	call("POST", "/channels/nanning/objections", "", objection, 201)
	call("POST", "/credentials/"+cred.AuthorizationNumber+"/status", issuer, map[string]string{"action": "reinstate", "reason": privateText("核查完毕（通知）")}, 200)

	credLine := func(status string, v int) string {
		return fmt.Sprintf("record.changed credential %s %s %d", cred.AuthorizationNumber, status, v)
	}
	objLine := fmt.Sprintf("objection.changed objection %s %s 1", objection.Number, domain.ObjectionOpen)
	certLine := func(status string, v int) string {
		return fmt.Sprintf("record.changed certificate %s %s %d", cert.RegistrationNumber, status, v)
	}
	// Filing the objection writes the certificate too (its count of open
	// objections: it reads suspended at once).
	certEvents := []string{certLine(domain.CertificateValid, 1), certLine(domain.VerifySuspended, 2)}
	wantE := append([]string{credLine(domain.CredentialValid, 1), credLine(domain.CredentialSuspended, 2), credLine(domain.CredentialValid, 3), objLine, "ping    0"}, certEvents...)
	wantX := append([]string{objLine}, certEvents...)
	sort.Strings(wantE)
	sort.Strings(wantX)
	waitHooks(t, "every event", func() bool { return len(rE.got()) >= len(wantE) && len(rX.got()) >= len(wantX) })
	time.Sleep(2 * time.Second) // anything more would have come by now
	for _, c := range []struct {
		name      string
		r         *hookReceiver
		got, want []string
	}{{"the enterprise", rE, rE.got(), wantE}, {"the exchange", rX, rX.got(), wantX}, {"another enterprise", rF, rF.got(), nil}} {
		if strings.Join(c.got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s's receiver holds\n%s\nwant\n%s", c.name, strings.Join(c.got, "\n"), strings.Join(c.want, "\n"))
		}
		if c.r.forged != 0 {
			t.Errorf("%s's receiver refused %d deliveries as forged", c.name, c.r.forged)
		}
	}

	// The delivery log: the certificate's event was refused, then
	// delivered; another enterprise cannot read it.
	var log gateway.WebhookDeliveries
	if err := json.Unmarshal(call("GET", "/webhooks/"+subE+"/deliveries", keyE, nil, 200), &log); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, d := range log.Items {
		if d.State != webhook.StateDelivered {
			t.Errorf("%s %s is %s", d.Event.Type, d.Event.Key, d.State)
		}
		if d.Event.RecordType == domain.TypeCertificate && d.Event.Version == 1 {
			refused = len(d.Attempts) - 1
			if len(d.Attempts) < 2 || d.Attempts[0].Status != http.StatusServiceUnavailable || d.Attempts[len(d.Attempts)-1].Status != http.StatusOK {
				t.Errorf("the certificate's attempts: %+v", d.Attempts)
			}
		}
	}
	if len(log.Items) != len(wantE) {
		t.Errorf("the log holds %d deliveries, want %d", len(log.Items), len(wantE))
	}
	call("GET", "/webhooks/"+subE+"/deliveries", keyF, nil, 404)
	call("GET", "/webhooks/"+subF+"/deliveries", keyF, nil, 200)

	// A forged delivery: signed with a secret not the subscription's.
	other, _ := webhook.NewSecret()
	body := []byte(`{"id":"evt_forged","type":"record.changed","key":"` + cert.RegistrationNumber + `","status":"revoked"}`)
	req, _ := http.NewRequest("POST", rE.srv.URL+"/hooks", bytes.NewReader(body))
	req.Header.Set(webhook.HeaderEventID, "evt_forged")
	req.Header.Set(webhook.HeaderEventType, "record.changed")
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(other, time.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(rE.got()) != len(wantE) {
		t.Fatalf("a forged delivery: %d, the receiver holds %d events", resp.StatusCode, len(rE.got()))
	}
	t.Logf("enterprise: %d events, %d posts accepted (%d repeats after the kill), certificate refused %d times then delivered; exchange: %d events",
		len(wantE), rE.posts, rE.posts-len(wantE), refused, len(wantX))
}

func waitHooks(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestADeadlineAheadIsNotifiedOnce: an objection decision orders the data
// of an enterprise's product destroyed by the next working day; the
// gateway, scanning deadlines every 300 ms from the supervision index,
// tells the enterprise's receiver once, and announces exactly the
// deadlines of its view that are at most 3 working days away.
func TestADeadlineAheadIsNotifiedOnce(t *testing.T) {
	ctx := context.Background()
	is, ag := holderAgreement(t, "期限通知测试")
	cert, build := is.CertificateFor(ag.Grantee, ag.GranteeName, "期限通知测试产品", []string{"RES-450100-0001"}, true)
	registered, err := is.RegisterCertificate(build, "")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, registered)
	objection := domain.ObjectionInput{Number: sample.Number(domain.PrefixObjection, "450100"), TargetKind: "certificate", Target: cert.RegistrationNumber,
		EvidenceDigest: certs.SM3Hex([]byte("期限通知测试证据")), Summary: privateText("数据来源存疑（期限通知）")}
	if _, _, err := is.Operator.FileObjection("nanning", objection); err != nil {
		t.Fatal(network.ErrorText(err))
	}
	cals := builtinCalendars()
	today := domain.DateOf(time.Now().In(domain.CST))
	next, err := cals.AddWorkingDays(today, 1)
	if err != nil {
		t.Fatal(err)
	}
	horizon, _ := cals.AddWorkingDays(today, gateway.DeadlineWorkingDays)
	_, decided, err := is.Authority.DecideObjection("nanning", objection.Number, domain.ObjectionDecision{Outcome: domain.OutcomeDataDestructionOrdered,
		Reasons: "核实属实，撤销登记并销毁数据", DestructionDeadline: next.Format(time.DateOnly)})
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, decided)

	db, err := index.Open(ctx, freshIndexDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	_, trust := pinnedTrust(t)
	reg := connect(t, "ProvinceMSP", "regulator", nil)
	ix := &index.Indexer{DB: db, Chaincode: net.D.Chaincode.Name, Trust: trust}
	if h, err := ix.CatchUp(ctx, "nanning", index.BlockEvents(reg.Gateway), time.Second); err != nil || h < decided.BlockNumber+1 {
		t.Fatalf("the index caught up to %d of %d: %v", h, decided.BlockNumber+1, err)
	}
	dir := t.TempDir()
	ks, err := gateway.OpenKeyStore(filepath.Join(dir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	key := enterpriseKey(t, ks, "CityAMSP", ag.Grantee)
	store, err := webhook.Open(filepath.Join(dir, "webhooks.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := gateway.DefaultConfig()
	cfg.Index, cfg.Webhooks = db, store
	cfg.WebhookOptions = gateway.WebhookOptions{AllowPrivate: true, Scan: 300 * time.Millisecond, RetryBase: 200 * time.Millisecond}
	srv, _, gw := startServer(t, &cfg, ks)
	call := rawAPIOf(t, srv.URL+"/api/v1")

	// What is owed soon, read from the enterprise's own view.
	var view gateway.Obligations
	if err := json.Unmarshal(call("GET", "/me/obligations", key, nil, 200), &view); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, o := range view.Items {
		if due, err := domain.ParseDate("due", o.Due); err == nil && !due.Before(today) && !due.After(horizon) {
			want = append(want, fmt.Sprintf("deadline.approaching %s %s %s %s", o.Kind, o.ID, o.Due, o.Owes))
		}
	}
	sort.Strings(want)
	mine := fmt.Sprintf("deadline.approaching objection %s %s enterprise", objection.Number, next.Format(time.DateOnly))
	if !slices.Contains(want, mine) {
		t.Fatalf("the view owes no destruction by %s: %+v", next.Format(time.DateOnly), view.Items)
	}

	rcv := newHookReceiver(t)
	var made gateway.WebhookCreated
	if err := json.Unmarshal(call("POST", "/webhooks", key, gateway.WebhookRequest{URL: rcv.srv.URL, Types: []string{webhook.TypeDeadline}}, 201), &made); err != nil {
		t.Fatal(err)
	}
	rcv.secret.Store(made.Secret)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { gw.RunWebhooks(runCtx, net, filepath.Join(dir, "checkpoints")); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	waitHooks(t, "the deadline", func() bool { return len(rcv.got()) >= len(want) })
	time.Sleep(1500 * time.Millisecond) // five more scans: nothing is announced twice
	var got []string
	rcv.mu.Lock()
	for _, e := range rcv.events {
		got = append(got, fmt.Sprintf("%s %s %s %s %s", e.Type, e.RecordType, e.Key, e.Due, e.Owes))
	}
	posts := rcv.posts
	rcv.mu.Unlock()
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") || posts != len(want) {
		t.Fatalf("the receiver got (%d posts)\n%s\nwant\n%s", posts, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Logf("%d deadlines at most %d working days away (to %s) announced once each over several scans, the destruction ordered by %s among them",
		len(want), gateway.DeadlineWorkingDays, horizon.Format(time.DateOnly), next.Format(time.DateOnly))
}

package integration

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"dataledger/bench/load"
	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/gateway/pgstate"
	"dataledger/gateway/webhook"
	"dataledger/network"
	"dataledger/network/sample"
	"dataledger/proof"
)

// keyedWrites is what a round-robin client of several gateway instances
// was told for its keyed writes.
type keyedWrites struct {
	Keys, Posts, Fresh, Replayed, InProgress int
	// Unavailable counts 503s of the ledger (the key released: the retry
	// submits again), Unrecorded 503s of the records (nothing submitted).
	Unavailable, Unrecorded int
	Wrong                   []string
}

// keyedClient posts party registrations with Idempotency-Keys to gateway
// instances. Each key is sent to one instance and at once to the next, as
// a client whose first attempt timed out retries on another; a 409 (the
// key in progress) or a 503 is retried, instance after instance, until a
// definite answer. Every answer for a key must be the first one's body.
type keyedClient struct {
	t      *testing.T
	urls   []string
	issuer string
	mu     sync.Mutex
	w      keyedWrites
}

func (k *keyedClient) post(url, body, key string) (int, string, bool) {
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/channels/nanning/parties", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+k.issuer)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error(), false
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), resp.Header.Get("Idempotent-Replayed") == "true"
}

// write sends key i's registration to instance i and, with both, to the
// next one too, then retries until both attempts have an answer.
func (k *keyedClient) write(i int, body, key string, both bool) {
	sends := 1
	if both {
		sends = 2
	}
	answers := make([]string, sends)
	var wg sync.WaitGroup
	for s := range sends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 0; attempt < 200; attempt++ {
				status, got, replayed := k.post(k.urls[(i+s+attempt)%len(k.urls)], body, key)
				k.mu.Lock()
				k.w.Posts++
				switch {
				case status == http.StatusCreated && replayed:
					k.w.Replayed++
				case status == http.StatusCreated:
					k.w.Fresh++
				case status == http.StatusConflict && strings.Contains(got, "in progress"):
					k.w.InProgress++
				case status == http.StatusServiceUnavailable && strings.Contains(got, "cannot record the Idempotency-Key"):
					k.w.Unrecorded++
				case status == http.StatusServiceUnavailable:
					k.w.Unavailable++
				default:
					k.w.Wrong = append(k.w.Wrong, fmt.Sprintf("%s: %d %s", key, status, got))
				}
				k.mu.Unlock()
				if status == http.StatusCreated {
					answers[s] = got
					return
				}
				if status != http.StatusConflict && status != http.StatusServiceUnavailable {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if both && answers[0] != answers[1] {
		k.mu.Lock()
		k.w.Wrong = append(k.w.Wrong, fmt.Sprintf("%s answered twice, differently: %s | %s", key, answers[0], answers[1]))
		k.mu.Unlock()
	}
}

// run writes n fresh parties, inFlight keys at a time, and answers their
// credit codes and the rate of acknowledged writes.
func (k *keyedClient) run(label string, n, inFlight int, both bool) ([]string, float64) {
	codes := make([]string, n)
	for i := range codes {
		codes[i] = newCreditCode("450102")
	}
	k.mu.Lock()
	k.w.Keys += n
	k.mu.Unlock()
	began := time.Now()
	load.Run(inFlight, n, func(i int) string {
		k.write(i, partyArg(codes[i], fmt.Sprintf("%s%04d有限公司", label, i), "450102"), label+"-"+codes[i], both)
		return "ok"
	})
	return codes, float64(n) / time.Since(began).Seconds()
}

// submits reads from a gateway's /metrics how many transactions it
// submitted.
func submits(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), `dataledger_ledger_call_seconds_count{call="submit_commit"} `); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// registrations counts each party's versions on the ledger.
func registrations(t *testing.T, codes []string) (found, duplicates int) {
	t.Helper()
	regulator := connect(t, "ProvinceMSP", "regulator", nil)
	for _, code := range codes {
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			b, err := regulator.Evaluate("nanning", "History", "party", code)
			var hist []json.RawMessage
			if err == nil {
				err = json.Unmarshal(b, &hist)
			}
			if n := len(hist); err == nil && n > 0 {
				found++
				duplicates += n - 1
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("party %s is not on the ledger: %v", code, network.ErrorText(err))
			}
		}
	}
	return found, duplicates
}

// exactlyOnceAcross sends n keyed party registrations on nanning as
// issuer, each to one of the gateway instances urls and at once again to
// the next (a retry racing the first attempt): every key must be answered
// fresh once and replayed once with one body, the instances submit n
// transactions between them (and one more per key released by a 503),
// and the ledger holds n parties with one version each.
func exactlyOnceAcross(t *testing.T, issuer string, n int, urls ...string) {
	t.Helper()
	before := 0
	for _, u := range urls {
		before += submits(t, u)
	}
	k := &keyedClient{t: t, urls: urls, issuer: issuer}
	began := time.Now()
	codes, _ := k.run("双实例幂等", n, 32, true)
	took := time.Since(began)
	submitted := -before
	for _, u := range urls {
		submitted += submits(t, u)
	}
	found, duplicates := registrations(t, codes)
	w := k.w
	t.Logf("%d keys, %d posts in %s: %d fresh, %d replayed, %d answered in progress, %d unavailable, %d unrecorded; %d submitted; on the ledger %d, duplicates %d",
		w.Keys, w.Posts, took.Round(time.Millisecond), w.Fresh, w.Replayed, w.InProgress, w.Unavailable, w.Unrecorded, submitted, found, duplicates)
	for i, e := range w.Wrong {
		if i == 5 {
			break
		}
		t.Error(e)
	}
	if len(w.Wrong) > 0 || w.Fresh != n || w.Replayed != n || submitted != n+w.Unavailable || found != n || duplicates != 0 {
		t.Fatalf("want every key answered fresh once and replayed once, %d submitted, %d on the ledger without duplicates", n, n)
	}
	if w.Unavailable > 0 {
		t.Logf("%d answers were 503 (the key released, submitted again)", w.Unavailable)
	}
}

// TestGatewayInstancesShareTheirStateInPostgreSQL: two instances of one
// org's gateway (each its own process state: ledger connection, cache,
// state handle) keep their Idempotency-Key records in one PostgreSQL
// database. A round-robin client sends 1,000 keyed party registrations,
// each to one instance and at once again to the other (a retry racing the
// first attempt), and retries a 409 until it is answered: every key is
// answered 201 with one body everywhere, the instances submitted 1,000
// transactions between them, and the ledger holds 1,000 parties with one
// version each. A webhook subscription made through one instance is
// served by both, and each event reaches its receiver once though both
// instances follow the chain; a chain audit through one resumes where
// the other's stopped. With each instance its own state directory instead, the
// same client makes them submit keys twice: the test can tell. The rate
// of one instance and of two is logged.
func TestGatewayInstancesShareTheirStateInPostgreSQL(t *testing.T) {
	dir := t.TempDir()
	ks, err := gateway.OpenKeyStore(filepath.Join(dir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	issuer, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	dsn := freshIndexDB(t)
	var gws []*gateway.Server
	shared := func() string {
		st, err := pgstate.Open(context.Background(), dsn, 0)
		if err != nil {
			t.Fatalf("PostgreSQL is required (scripts/deps.sh starts it): %v", err)
		}
		t.Cleanup(st.Close)
		hooks, err := webhook.OpenShared(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { hooks.Close() })
		cfg := gateway.DefaultConfig()
		cfg.Idempotency, cfg.AuditCheckpoints, cfg.Webhooks = st, st, hooks
		cfg.WebhookOptions = gateway.WebhookOptions{AllowPrivate: true, RetryBase: 200 * time.Millisecond}
		srv, _, gw := startServer(t, &cfg, ks)
		gws = append(gws, gw)
		return srv.URL
	}
	a, b := shared(), shared()

	// The rate of one instance, then of two (each key sent once).
	one := &keyedClient{t: t, urls: []string{a}, issuer: issuer}
	_, rateOne := one.run("单实例吞吐", 300, 32, false)
	two := &keyedClient{t: t, urls: []string{a, b}, issuer: issuer}
	_, rateTwo := two.run("双实例吞吐", 300, 32, false)
	t.Logf("keyed writes through one instance: %.1f/s; through two: %.1f/s (the peers share this machine's cores)", rateOne, rateTwo)

	exactlyOnceAcross(t, issuer, 1000, a, b)

	// Webhooks: a subscription made through one instance is the other's
	// too; both follow the chain, and each event reaches the receiver
	// once (enqueued once by its ID, delivered under one instance's
	// lease). The delivery log reads the same through either.
	is, ag := holderAgreement(t, "双实例通知")
	keyE := enterpriseKey(t, ks, "CityAMSP", ag.Grantee)
	rcv := newHookReceiver(t)
	var made gateway.WebhookCreated
	if err := json.Unmarshal(rawAPIOf(t, a+"/api/v1")("POST", "/webhooks", keyE, gateway.WebhookRequest{URL: rcv.srv.URL + "/hooks"}, 201), &made); err != nil {
		t.Fatal(err)
	}
	rcv.secret.Store(made.Secret)
	var listed gateway.WebhookList
	if err := json.Unmarshal(rawAPIOf(t, b+"/api/v1")("GET", "/webhooks", keyE, nil, 200), &listed); err != nil || len(listed.Items) != 1 || listed.Items[0].ID != made.ID {
		t.Fatalf("the other instance lists %+v (%v)", listed, err)
	}
	ctx, stop := context.WithCancel(context.Background())
	var running sync.WaitGroup
	for _, gw := range gws {
		running.Add(1)
		go func() { defer running.Done(); gw.RunWebhooks(ctx, net, filepath.Join(t.TempDir(), "checkpoints")) }()
	}
	t.Cleanup(func() { stop(); running.Wait() })
	rawAPIOf(t, b+"/api/v1")("POST", "/webhooks/"+made.ID+"/ping", keyE, nil, 202)
	for range 3 {
		issueOne(t, is, ag)
	}
	waitHooks(t, "the ping and three issues", func() bool { return len(rcv.got()) == 4 })
	time.Sleep(2 * time.Second) // a second delivery of any of them would have come by now
	var log gateway.WebhookDeliveries
	if err := json.Unmarshal(rawAPIOf(t, a+"/api/v1")("GET", "/webhooks/"+made.ID+"/deliveries", keyE, nil, 200), &log); err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	posts, forged := rcv.posts, rcv.forged
	rcv.mu.Unlock()
	if posts != 4 || forged != 0 || len(log.Items) != 4 {
		t.Fatalf("the receiver accepted %d posts for 4 events (%d forged); the log holds %d deliveries", posts, forged, len(log.Items))
	}
	for _, d := range log.Items {
		if d.State != webhook.StateDelivered || len(d.Attempts) != 1 {
			t.Errorf("%s %s: %s after %d attempts", d.Event.Type, d.Event.Key, d.State, len(d.Attempts))
		}
	}
	t.Logf("webhooks through two instances: %d events, %d posts, each delivered in one attempt", len(rcv.got()), posts)

	// The chain audit: one instance's checkpoint is where the other's
	// next audit starts.
	regulator, _, _ := ks.Create("ProvinceMSP", gateway.RoleRegulator)
	var first, second gateway.AuditAnswer
	if err := json.Unmarshal(rawAPIOf(t, a+"/api/v1")("GET", "/channels/nanning/audit", regulator, nil, 200), &first); err != nil || !first.OK || first.From != 0 {
		t.Fatalf("the first audit: %+v %v", first.AuditReport, err)
	}
	if err := json.Unmarshal(rawAPIOf(t, b+"/api/v1")("GET", "/channels/nanning/audit", regulator, nil, 200), &second); err != nil || !second.OK || second.From != first.NextFrom {
		t.Fatalf("the other instance's audit started at %d, not at the first's checkpoint %d (%v)", second.From, first.NextFrom, err)
	}
	t.Logf("audit: %d blocks through one instance, then %d from block %d through the other", first.Blocks, second.Blocks, second.From)

	// The control: instances with their own state each take the key.
	own := func() string {
		st, err := gateway.OpenIdempotencyStore(filepath.Join(t.TempDir(), "idempotency.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		cfg := gateway.DefaultConfig()
		cfg.Idempotency = st
		srv, _ := startGateway(t, &cfg, ks)
		return srv.URL
	}
	c, d := own(), own()
	ctl := &keyedClient{t: t, urls: []string{c, d}, issuer: issuer}
	const m = 20
	ctl.run("各自状态对照", m, 8, true)
	if got := submits(t, c) + submits(t, d); got <= m {
		t.Fatalf("instances with their own state submitted %d transactions for %d keys: the race this test relies on did not happen", got, m)
	} else {
		t.Logf("control, each instance its own state: %d keys submitted %d times; %d answers refused or not the first answer", m, got, len(ctl.w.Wrong))
	}
}

// TestEveryOrgsGatewayAnswersThePublicAlike: each org's gateway acts for
// its org alone (a key of another org is refused, 403), and the public verification
// page and the proof bundle of a credential, asked of the province's
// gateway and of the exchange's (each reading its own org's peer as its
// own clerk), are the same answer but for the moment each was made: the
// bundle also but for the ordering node's signature in a block's
// metadata (each node signs the blocks it writes); each bundle verifies
// against the trust file.
func TestEveryOrgsGatewayAnswersThePublicAlike(t *testing.T) {
	is, ag := holderAgreement(t, "各方网关同答")
	doc := issueOne(t, is, ag)
	ks, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	regulator, _, err := ks.Create("ProvinceMSP", "regulator")
	if err != nil {
		t.Fatal(err)
	}
	var answers, bundles [][]byte
	for _, org := range []string{"ProvinceMSP", "ExchangeMSP"} {
		cfg := gateway.DefaultConfig()
		cfg.PublicIdentity = gateway.Identity{Org: org, User: "clerk"}
		srv, _, _ := startServerFor(t, &cfg, ks, org) // each org's gateway holds its own identities alone
		if org == "ExchangeMSP" {
			// The province's key reaches the exchange's gateway: refused,
			// it holds no identity of the province.
			status, body := httpGet(t, srv.URL+"/api/v1/verify/"+doc.AuthorizationNumber, regulator)
			if status != http.StatusForbidden || !strings.Contains(string(body), gateway.RuleOwnOrg) {
				t.Fatalf("the province's key at the exchange's gateway: %d %s", status, body)
			}
		}
		for _, path := range []string{"/api/v1/verify/", "/api/v1/credentials/", "/api/v1/credentials/", "/api/v1/credentials/"} {
			url := srv.URL + path + doc.AuthorizationNumber
			if strings.HasSuffix(path, "credentials/") {
				url += "/proof"
			}
			status, body := httpGet(t, url, "")
			if status != http.StatusOK {
				t.Fatalf("%s's gateway, %s: %d %s", org, url, status, body)
			}
			if strings.HasSuffix(url, "/proof") {
				bundles = append(bundles, body)
			} else {
				answers = append(answers, body)
			}
		}
	}
	var v gateway.VerifyResponse
	if err := json.Unmarshal(answers[0], &v); err != nil || v.Status != domain.VerifyValid {
		t.Fatalf("the province's answer: %s (%v)", answers[0], err)
	}
	// The moment an answer is made for ("at", a bundle's "created") is
	// each answer's own.
	moment := map[string]bool{".at": true, ".created": true}
	var a0, a1 any
	if json.Unmarshal(answers[0], &a0) != nil || json.Unmarshal(answers[1], &a1) != nil {
		t.Fatal("a verification answer is not JSON")
	}
	if d := firstDifference("", a0, a1, moment); d != "" {
		t.Errorf("the verification answers differ: %s", d)
	}
	for i := 1; i < len(bundles); i++ {
		var a, b any
		if json.Unmarshal(bundles[0], &a) != nil || json.Unmarshal(bundles[i], &b) != nil {
			t.Fatal("a proof bundle is not JSON")
		}
		if d := firstDifference("", a, b, moment); d != "" {
			t.Errorf("proof bundle %d differs from the first: %s", i, d)
		}
	}
	trust, err := net.Trust()
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bundles {
		bundle, err := proof.ParseBundle(b)
		if err != nil {
			t.Fatal(err)
		}
		if r := proof.Verify(bundle, trust); !r.OK {
			t.Fatalf("bundle %d does not verify: %+v", i, r.Checks)
		}
	}
	t.Logf("verification answer (%d bytes) the same, proof bundle (%d bytes) the same but for the ordering node's block signatures (and the moment each was made), from the province's and the exchange's gateway; every bundle verifies", len(answers[0]), len(bundles[0]))
}

// firstDifference is the path of the first value two JSON documents
// differ in, with both values (cut short); the paths in skip are not
// compared.
func firstDifference(path string, a, b any, skip map[string]bool) string {
	if skip[path] {
		return ""
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if ok {
			for k := range x {
				if d := firstDifference(path+"."+k, x[k], y[k], skip); d != "" {
					return d
				}
			}
			return ""
		}
	case []any:
		y, ok := b.([]any)
		if ok && len(x) == len(y) {
			for i := range x {
				if d := firstDifference(fmt.Sprintf("%s[%d]", path, i), x[i], y[i], skip); d != "" {
					return d
				}
			}
			return ""
		}
	}
	xa, _ := json.Marshal(a)
	xb, _ := json.Marshal(b)
	if string(xa) == string(xb) || sameBlock(a, b) {
		return ""
	}
	return fmt.Sprintf("%s: %.200s | %.200s", path, xa, xb)
}

// sameBlock tells whether two values are one block as two peers hold it:
// the same header and transactions, metadata aside (each ordering node
// signs the block it writes, and a peer keeps the signature of the node
// it received it from); every other metadata entry (the transactions'
// validity, the commit hash) the same.
func sameBlock(a, b any) bool {
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	if !ok1 || !ok2 {
		return false
	}
	rx, err1 := base64.StdEncoding.DecodeString(x)
	ry, err2 := base64.StdEncoding.DecodeString(y)
	if err1 != nil || err2 != nil {
		return false
	}
	bx, err1 := proof.ParseBlock(rx)
	by, err2 := proof.ParseBlock(ry)
	if err1 != nil || err2 != nil || bx.GetHeader() == nil {
		return false
	}
	if !proto.Equal(bx.GetHeader(), by.GetHeader()) || !proto.Equal(bx.GetData(), by.GetData()) {
		return false
	}
	mx, my := bx.GetMetadata().GetMetadata(), by.GetMetadata().GetMetadata()
	if len(mx) != len(my) {
		return false
	}
	for i := range mx {
		if i != int(common.BlockMetadataIndex_SIGNATURES) && string(mx[i]) != string(my[i]) {
			return false // the transactions' validity, the commit hash: the same on every peer
		}
	}
	return true
}

// issueOne issues a credential under the agreement and waits until every
// peer holds it.
func issueOne(t *testing.T, is *sample.Issuer, ag *sample.Agreement) *domain.Credential {
	t.Helper()
	doc, signed, err := is.Credential(ag, is.Key)
	if err != nil {
		t.Fatal(err)
	}
	issued, err := is.Issue(signed, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, issued)
	return doc
}

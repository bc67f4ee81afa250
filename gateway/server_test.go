package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/proof"
)

// fakeLedger answers every call and records who asked.
type fakeLedger struct {
	mu       sync.Mutex
	calls    []string
	who      []Identity
	err      error
	lastArgs []string
	// answers and results, by chaincode function, replace the fake's
	// generic answers to Evaluate and Submit (a record of the function's
	// own type, for tests that hold answers to the OpenAPI document).
	answers, results map[string][]byte
	evalArgs         []string // of the last Evaluate
	// hold keeps Events' stream open after its two events, until the
	// caller's context ends (a client that stays).
	hold bool
}

func (f *fakeLedger) record(who Identity, channel, fn string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, channel+"/"+fn)
	f.who = append(f.who, who)
}

func (f *fakeLedger) Evaluate(_ context.Context, who Identity, channel, fn string, args ...string) ([]byte, error) {
	f.record(who, channel, fn)
	f.mu.Lock()
	f.evalArgs = args
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if b, ok := f.answers[fn]; ok {
		return b, nil
	}
	if strings.HasPrefix(fn, "Verify") {
		return json.Marshal(domain.Verification{Status: domain.VerifyValid, Number: "n", Channel: channel, TxID: "abc", Reason: "in force"})
	}
	return []byte(`{"items":[],"bookmark":""}`), nil
}

func (f *fakeLedger) Submit(_ context.Context, who Identity, channel, fn string, args ...string) (*network.Committed, error) {
	f.record(who, channel, fn)
	if f.err != nil {
		return nil, f.err
	}
	result := []byte(`{"status":"valid"}`)
	if b, ok := f.results[fn]; ok {
		result = b
	}
	return &network.Committed{Channel: channel, TxID: "tx1", BlockNumber: 7, Result: result}, nil
}

func (f *fakeLedger) Block(context.Context, Identity, string, string) (uint64, error) { return 42, nil }

func (f *fakeLedger) WaitCommitted(context.Context, string, uint64) error { return nil }

// SubmitOwnTxID hands build the transaction ID "tx-own" and keeps the
// arguments it made.
func (f *fakeLedger) SubmitOwnTxID(_ context.Context, who Identity, channel, fn string, build func(string) ([]string, error)) (*network.Committed, error) {
	args, err := build(strings.Repeat("a", 64))
	if err != nil {
		return nil, err
	}
	f.record(who, channel, fn)
	f.mu.Lock()
	f.lastArgs = args
	f.mu.Unlock()
	return &network.Committed{Channel: channel, TxID: strings.Repeat("a", 64), BlockNumber: 8, Result: []byte(`{"status":"valid"}`)}, f.err
}

func (f *fakeLedger) ChannelOf(division string) (string, bool) {
	ch, ok := map[string]string{"450100": "nanning", "450200": "liuzhou", "450000": "province"}[division]
	return ch, ok
}

func (f *fakeLedger) Ready(context.Context, Identity) error { return f.err }

func (f *fakeLedger) Member(Identity, string) error { return nil }

// Events replays two events from the requested block, then ends.
func (f *fakeLedger) Events(ctx context.Context, _ Identity, channel string, from uint64) (<-chan ChainEvent, error) {
	f.record(Identity{}, channel, "Events:"+strconv.FormatUint(from, 10))
	out := make(chan ChainEvent, 2)
	out <- ChainEvent{Block: from + 1, TxID: "t1", Name: "certificate.register", Payload: []byte(`{"txId":"t1"}`)}
	out <- ChainEvent{Block: from + 2, TxID: "t2", Name: "objection.file", Payload: []byte(`{"txId":"t2"}`)}
	if f.hold { // an event every 50ms until the caller goes
		go func() {
			defer close(out)
			for n := from + 3; ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-time.After(50 * time.Millisecond):
					select {
					case out <- ChainEvent{Block: n, TxID: "t", Name: "tick", Payload: []byte(`{}`)}:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	} else {
		close(out)
	}
	return out, nil
}

func (f *fakeLedger) Query(_ context.Context, who Identity, channel, chaincode, fn string, _ ...string) ([]byte, error) {
	f.record(who, channel, chaincode+"."+fn)
	return nil, errors.New("the fake ledger holds no blocks")
}

func (f *fakeLedger) BlockRead(ctx context.Context, who Identity, channel, fn string, args ...string) ([]byte, error) {
	return f.Query(ctx, who, channel, "qscc", fn, args...)
}

func (f *fakeLedger) Chaincode() string { return "dataledger" }

func (f *fakeLedger) Trust() (*proof.TrustFile, error) { return nil, nil }

func (f *fakeLedger) HasUser(who Identity) bool { return who.Org != "NoUsersMSP" }

func (f *fakeLedger) HasChannel(name string) bool {
	return name == "nanning" || name == "liuzhou" || name == "province"
}

// Channels names none: the fake's /readyz reads no calendars (its calls
// are counted by the tests); calendarLedger names some.
func (f *fakeLedger) Channels(Identity) []string { return nil }

type harness struct {
	t      *testing.T
	h      http.Handler
	admin  http.Handler // the admin listener's routes
	ledger *fakeLedger
	keys   map[string]string // role → secret
	logs   *bytes.Buffer
	ks     *KeyStore
	srv    *Server
}

// testEnterprise is the credit code the tests' enterprise keys act for.
const testEnterprise = "91450100MA5L0000AW"

// createKey makes a key of any role (an enterprise's for testEnterprise).
func createKey(ks *KeyStore, org, role string) (string, *APIKey, error) {
	if role == RoleEnterprise {
		return ks.CreateEnterprise(org, testEnterprise)
	}
	return ks.Create(org, role)
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessConfig(t, DefaultConfig())
}

// newHarnessConfig is newHarness with a configuration of the test's.
func newHarnessConfig(t *testing.T, cfg Config) *harness {
	t.Helper()
	ks, err := OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	hs := &harness{t: t, ledger: &fakeLedger{}, keys: map[string]string{}, logs: &bytes.Buffer{}, ks: ks}
	for _, role := range Roles[1:] {
		secret, _, err := createKey(ks, "CityAMSP", role)
		if err != nil {
			t.Fatal(err)
		}
		hs.keys[role] = secret
	}
	acl, err := LoadACL(nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(cfg, acl, ks, hs.ledger, slog.New(slog.NewJSONHandler(hs.logs, nil)))
	r, err := srv.Router()
	if err != nil {
		t.Fatal(err)
	}
	hs.h, hs.admin, hs.srv = r, srv.AdminRouter(), srv
	return hs
}

var (
	credNumber = domain.Number{Prefix: domain.PrefixAuthorization, Division: "450100", Year: 2026, Serial: "3KQ7M2XA"}.String()
	certNumber = domain.Number{Prefix: domain.PrefixRegistration, Division: "450200", Year: 2026, Serial: "7K3M9QXA"}.String()
)

func (hs *harness) do(method, path, role, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if role != RolePublic {
		req.Header.Set("Authorization", "Bearer "+hs.keys[role])
	}
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, req)
	return w
}

func numberOf(prefix string) string {
	return domain.Number{Prefix: prefix, Division: "450100", Year: 2026, Serial: "3KQ7M2XA"}.String()
}

// concrete fills a route's parameters with valid values.
func concrete(path string) string {
	numbers := map[string]string{"verify": credNumber, "credentials": credNumber, "certificates": certNumber,
		"agreements": numberOf(domain.PrefixAgreement), "applications": numberOf(domain.PrefixApplication), "objections": numberOf(domain.PrefixObjection), "obligations": numberOf(domain.PrefixObligation), "credit-records": numberOf(domain.PrefixCredit), "evaluations": numberOf(domain.PrefixEvaluation), "selections": numberOf(domain.PrefixSelection), "plans": numberOf(domain.PrefixPlan)}
	parts := strings.Split(path, "/")
	for i, p := range parts {
		switch p {
		case ":channel":
			parts[i] = "nanning"
		case ":code":
			parts[i] = "91450100MA5L0000AW"
		case ":keyId":
			parts[i] = strings.Repeat("ab", 32)
		case ":year":
			parts[i] = "2026"
		case ":type":
			parts[i] = "credential"
		case ":key":
			parts[i] = credNumber
		case ":number":
			parts[i] = numbers[parts[i-1]]
		case ":file":
			parts[i] = credNumber + ".png"
		case "*file":
			parts[i] = "app.js"
		}
	}
	return strings.Join(parts, "/")
}

// TestEveryRouteForEveryRole checks every cell of the allow table over HTTP.
func TestEveryRouteForEveryRole(t *testing.T) {
	hs := newHarness(t)
	acl, _ := LoadACL(nil)
	for _, route := range acl.Routes {
		for _, role := range Roles {
			w := hs.do(route.Method, concrete(route.Path), role, `{}`)
			denied := w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden
			if route.Allows(role) == denied {
				t.Errorf("%s %s as %s: status %d (allowed=%v) %s", route.Method, route.Path, role, w.Code, route.Allows(role), w.Body)
			}
			if denied && w.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s as %s: a refusal is not a problem document", route.Method, route.Path, role)
			}
			var p Problem
			_ = json.Unmarshal(w.Body.Bytes(), &p)
			if denied && p.Rule != RuleRole && p.Rule != RuleAPIKey {
				t.Errorf("%s %s as %s: the refusal names rule %q, not the gateway's", route.Method, route.Path, role, p.Rule)
			}
		}
	}
}

func TestEveryHandlerIsInTheTable(t *testing.T) {
	acl, _ := LoadACL(nil)
	named := map[string]bool{}
	for _, r := range acl.Routes {
		named[r.Handler] = true
	}
	for name := range (&Server{}).handlers() {
		if !named[name] {
			t.Errorf("handler %s is served by no route of acl.yaml", name)
		}
	}
	if _, err := LoadACL([]byte("routes:\n  - {method: GET, path: /x, handler: h, roles: [king]}\n")); err == nil {
		t.Error("an unknown role in the table was accepted")
	}
}

func TestUnknownAndRevokedKeysAreRefused(t *testing.T) {
	hs := newHarness(t)
	req := httptest.NewRequest(http.MethodGet, "/api/v1/credentials/"+credNumber, nil)
	req.Header.Set("Authorization", "Bearer dlk_nope")
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("unknown key: %d", w.Code)
	}
	if w := hs.do(http.MethodGet, "/api/v1/nowhere", RolePublic, ""); w.Code != http.StatusNotFound {
		t.Fatalf("unknown route: %d", w.Code)
	}
}

func TestVerifyByNumber(t *testing.T) {
	hs := newHarness(t)
	mistyped := credNumber[:len(credNumber)-1] + "0"
	if mistyped == credNumber {
		mistyped = credNumber[:len(credNumber)-1] + "1"
	}
	w := hs.do(http.MethodGet, "/api/v1/verify/"+mistyped, RolePublic, "")
	var p Problem
	_ = json.Unmarshal(w.Body.Bytes(), &p)
	if w.Code != http.StatusUnprocessableEntity || p.Rule != domain.RuleNumber || p.Field != "number" || len(hs.ledger.calls) != 0 {
		t.Fatalf("mistyped number: %d %+v (ledger calls %v)", w.Code, p, hs.ledger.calls)
	}
	w = hs.do(http.MethodGet, "/api/v1/verify/"+certNumber, RolePublic, "")
	var v VerifyResponse
	_ = json.Unmarshal(w.Body.Bytes(), &v)
	if w.Code != http.StatusOK || v.Status != domain.VerifyValid || v.BlockNumber == nil || *v.BlockNumber != 42 {
		t.Fatalf("verify: %d %s", w.Code, w.Body)
	}
	if last := hs.ledger.calls[len(hs.ledger.calls)-1]; last != "liuzhou/VerifyCertificate" {
		t.Fatalf("a 登记号 of 450200 went to %s", last)
	}
}

func TestWritesActAsTheCallersOwnOrg(t *testing.T) {
	hs := newHarness(t)
	w := hs.do(http.MethodPost, "/api/v1/credentials/"+credNumber+"/status", RoleIssuer, `{"action":"suspend","reason":"异议处理中"}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status change: %d %s", w.Code, w.Body)
	}
	who := hs.ledger.who[len(hs.ledger.who)-1]
	if who != (Identity{Org: "CityAMSP", User: "authority"}) {
		t.Fatalf("acted as %+v", who)
	}
	var res WriteResponse
	_ = json.Unmarshal(w.Body.Bytes(), &res)
	if res.ChainReference.TxID != "tx1" || res.ChainReference.BlockNumber != 7 {
		t.Fatalf("chain reference %+v", res.ChainReference)
	}
	if w := hs.do(http.MethodPost, "/api/v1/credentials/"+credNumber+"/status", RoleIssuer, `{"action":"suspend","extra":1}`); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("unknown member: %d", w.Code)
	}
}

func TestChaincodeRefusalsBecomeProblems(t *testing.T) {
	hs := newHarness(t)
	hs.ledger.err = domain.Forbidden(domain.RuleOwnAuthority, "caller", "reserved to CityAMSP")
	w := hs.do(http.MethodPost, "/api/v1/credentials/"+credNumber+"/status", RoleIssuer, `{"action":"revoke","reason":"x"}`)
	var p Problem
	_ = json.Unmarshal(w.Body.Bytes(), &p)
	if w.Code != http.StatusForbidden || p.Rule != domain.RuleOwnAuthority || p.Field != "caller" || p.RequestID == "" {
		t.Fatalf("%d %+v", w.Code, p)
	}
	// Every kind answers the status of the one table, whichever rule it
	// carries; an internal failure of the chaincode is a 500, never the
	// 503 "retry" of a ledger that cannot answer now.
	for kind, want := range map[domain.Kind]int{domain.KindNotFound: 404, domain.KindConflict: 409, domain.KindInvalid: 422, domain.KindForbidden: 403, domain.KindInternal: 500} {
		hs.ledger.err = &domain.RuleError{Kind: kind, Rule: "DL-X", Detail: "x"}
		w := hs.do(http.MethodPost, "/api/v1/credentials/"+credNumber+"/status", RoleIssuer, `{"action":"revoke","reason":"x"}`)
		if w.Code != want || w.Code != domain.Answers[kind].HTTP {
			t.Errorf("a %s refusal answers %d, want %d", kind, w.Code, want)
		}
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	hs := newHarness(t)
	for role := range hs.keys {
		hs.do(http.MethodGet, "/api/v1/credentials/"+credNumber, role, "")
	}
	logs := hs.logs.String()
	if strings.Count(logs, `"msg":"request"`) != len(hs.keys) {
		t.Fatalf("expected one log line per request:\n%s", logs)
	}
	for role, secret := range hs.keys {
		if strings.Contains(logs, secret) || strings.Contains(logs, secret[len(secret)-20:]) {
			t.Fatalf("the %s key's secret is in the logs", role)
		}
	}
}

func TestKeyStoreRevokeAndPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	ks, _ := OpenKeyStore(path)
	secret, k, err := ks.Create("ExchangeMSP", RoleExchange)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ks.Create("ExchangeMSP", RolePublic); err == nil {
		t.Fatal("a key for the public role")
	}
	again, _ := OpenKeyStore(path)
	if got, ok := again.Lookup(secret); !ok || got.Org != "ExchangeMSP" {
		t.Fatal("a created key did not survive reopening")
	}
	if err := again.Revoke(k.ID); err != nil {
		t.Fatal(err)
	}
	third, _ := OpenKeyStore(path)
	if _, ok := third.Lookup(secret); ok {
		t.Fatal("a revoked key still authenticates")
	}
	if strings.Contains(string(mustRead(t, path)), secret) {
		t.Fatal("the key file holds a secret")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOpenAPIMatchesTheRouter: every served route is documented and every
// documented route is served.
func TestOpenAPIMatchesTheRouter(t *testing.T) {
	hs := newHarness(t)
	w := hs.do(http.MethodGet, "/api/v1/openapi.json", RolePublic, "")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.OpenAPI == "" {
		t.Fatalf("openapi.json: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, r := range hs.h.(*gin.Engine).Routes() {
		if r.Path == "/healthz" || r.Path == "/readyz" || r.Path == "/metrics" || r.Path == "/api/v1/openapi.json" {
			continue
		}
		served[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("%s is served but not documented", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("%s is documented but not served", k)
		}
	}
	if len(served) < 40 {
		t.Fatalf("only %d routes", len(served))
	}
}

func TestMetricsAndReadiness(t *testing.T) {
	hs := newHarness(t)
	hs.do(http.MethodGet, "/api/v1/verify/"+credNumber, RolePublic, "")
	w := hs.doAdmin("/metrics")
	if !strings.Contains(w.Body.String(), `dataledger_http_requests_total{method="GET",route="/api/v1/verify/:number",status="200"} 1`) ||
		!strings.Contains(w.Body.String(), `dataledger_ledger_call_seconds_count{call="evaluate"} 1`) ||
		!strings.Contains(w.Body.String(), fmt.Sprintf("dataledger_policy_short_resends_total %d", network.PolicyShortResends())) {
		t.Fatalf("metrics:\n%s", w.Body)
	}
	if w := hs.doAdmin("/readyz"); w.Code != http.StatusOK {
		t.Fatalf("readyz with a working ledger: %d", w.Code)
	}
	hs.ledger.err = fail(http.StatusBadGateway, "down")
	if w := hs.doAdmin("/readyz"); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the ledger down: %d", w.Code)
	}
}

func (hs *harness) doAdmin(path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	hs.admin.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

// The public listener neither shows the gateway's internals nor lets
// anyone make it query the ledger uncached, with a key or without.
func TestMetricsAndReadinessAreNotPublic(t *testing.T) {
	hs := newHarness(t)
	for _, path := range []string{"/metrics", "/readyz"} {
		for _, role := range []string{RolePublic, RoleAdmin} {
			if w := hs.do(http.MethodGet, path, role, ""); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "dataledger_") {
				t.Fatalf("%s as %s on the public listener: %d %s", path, role, w.Code, w.Body)
			}
		}
	}
	calls := len(hs.ledger.calls)
	hs.do(http.MethodGet, "/readyz", RolePublic, "")
	if len(hs.ledger.calls) != calls {
		t.Fatal("/readyz on the public listener reached the ledger")
	}
	if w := hs.do(http.MethodGet, "/healthz", RolePublic, ""); w.Code != http.StatusOK {
		t.Fatalf("/healthz: %d", w.Code)
	}
}

func TestPublicObjectionsAreRateLimited(t *testing.T) {
	hs := newHarness(t)
	body := `{"number":"x"}`
	codes := map[int]int{}
	for i := 0; i < 8; i++ {
		codes[hs.do(http.MethodPost, "/api/v1/channels/nanning/objections", RolePublic, body).Code]++
	}
	if codes[http.StatusTooManyRequests] != 3 {
		t.Fatalf("8 public filings in a minute: %v, want 3 refused", codes)
	}
	if w := hs.do(http.MethodPost, "/api/v1/channels/nanning/objections", RoleExchange, body); w.Code == http.StatusTooManyRequests {
		t.Fatal("a keyed caller was rate limited")
	}
}

func TestFeedIsServerSentEventsAndResumes(t *testing.T) {
	hs := newHarness(t)
	req := httptest.NewRequest(http.MethodGet, "/api/v1/channels/nanning/feed", nil)
	req.Header.Set("Authorization", "Bearer "+hs.keys[RoleExchange])
	req.Header.Set("Last-Event-ID", "41/abc")
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, req)
	body := w.Body.String()
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/event-stream" ||
		!strings.Contains(body, "id: 42/t1\nevent: certificate.register\ndata: {\"txId\":\"t1\"}\n\n") ||
		!strings.Contains(body, "id: 43/t2\nevent: objection.file") {
		t.Fatalf("%d %q", w.Code, body)
	}
	if last := hs.ledger.calls[len(hs.ledger.calls)-1]; last != "nanning/Events:41" {
		t.Fatalf("resumed from %s, want block 41", last)
	}
	if w := hs.do(http.MethodGet, "/api/v1/channels/nanning/feed", RolePublic, ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("the public on the feed: %d", w.Code)
	}
}

func TestCertificateRegistrationSignsWithTheTransactionID(t *testing.T) {
	dir := t.TempDir()
	key, _ := certs.GenerateKey(nil)
	pemKey, _ := key.PEM([]byte("s3cret"))
	_ = os.WriteFile(filepath.Join(dir, "citya.key.pem"), pemKey, 0o600)
	signers, err := LoadKeystore([]string{"CityAMSP=" + filepath.Join(dir, "citya.key.pem")}, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := key.PEM(nil)
	_ = os.WriteFile(filepath.Join(dir, "plain.pem"), plain, 0o600)
	if _, err := LoadKeystore([]string{"X=" + filepath.Join(dir, "plain.pem")}, nil); err == nil {
		t.Fatal("the gateway accepted an unencrypted key")
	}
	ks, _ := OpenKeyStore(filepath.Join(dir, "keys.json"))
	issuer, _, _ := ks.Create("CityAMSP", RoleIssuer)
	other, _, _ := ks.Create("CityBMSP", RoleIssuer)
	acl, _ := LoadACL(nil)
	cfg := DefaultConfig()
	cfg.Signers = signers
	l := &fakeLedger{}
	h, err := NewServer(cfg, acl, ks, l, slog.New(slog.DiscardHandler)).Router()
	if err != nil {
		t.Fatal(err)
	}
	cert := domain.Certificate{CertificateName: "数据产品登记证书", ProductName: "指数", RegistrationNumber: numberOf(domain.PrefixRegistration),
		ProductType: "dataset", EnterpriseName: "广西数智科技有限公司", EnterpriseCreditCode: "91450100MA5L0000AW", UpdateCycle: "每日",
		ApplicationScenario: "交通", RegistrationDate: "2026-11-28", ResourceIDs: []string{"RES-1"}, PreExisting: true, IssuingDepartment: "南宁市大数据发展局"}
	cb, _ := json.Marshal(cert)
	body, _ := json.Marshal(RegisterRequest{Certificate: cb})
	send := func(key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/certificates", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := send(other); w.Code != http.StatusConflict {
		t.Fatalf("an org without a key in the gateway: %d %s", w.Code, w.Body)
	}
	w := send(issuer)
	if w.Code != http.StatusCreated {
		t.Fatalf("register: %d %s", w.Code, w.Body)
	}
	v, err := certs.VerifyOffline([]byte(l.lastArgs[0]), certs.KeyRing{key.Public().KeyID(): key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Document.(*domain.Certificate).ChainReference; got.TxID != strings.Repeat("a", 64) || got.Channel != "nanning" {
		t.Fatalf("the signed certificate carries %+v", got)
	}
}

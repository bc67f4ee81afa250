package integration

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/network"
	"dataledger/network/sample"
)

// TestGatewayOverTheRealNetwork runs the HTTP gateway in front of the real
// network: an issuer registers a credential over HTTP, the public verifies
// it by number and by document, a suspension is visible to the very next
// verification, and another city's issuer is refused by the chaincode's
// rule, as a problem document.
func TestGatewayOverTheRealNetwork(t *testing.T) {
	ks, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	nanningIssuer, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	liuzhouIssuer, _, _ := ks.Create("CityBMSP", gateway.RoleIssuer)
	provinceIssuer, _, _ := ks.Create("ProvinceMSP", gateway.RoleIssuer)
	srv, _ := startGateway(t, nil, ks)
	call := func(method, path, key, body string, out any) int {
		t.Helper()
		status, b := request(t, method, srv.URL+path, key, strings.NewReader(body))
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %s", method, path, b)
			}
		}
		return status
	}

	is, ag := holderAgreement(t, "南宁网关测试")
	doc, signed, _ := is.Credential(ag, is.Key)
	body, _ := json.Marshal(gateway.IssueRequest{Document: json.RawMessage(signed), AgreementNumber: ag.Number})
	var issued gateway.WriteResponse
	if code := call(http.MethodPost, "/api/v1/credentials", nanningIssuer, string(body), &issued); code != http.StatusCreated || issued.ChainReference.TxID == "" {
		t.Fatalf("issue over HTTP: %d %+v", code, issued)
	}

	var v gateway.VerifyResponse
	if code := call(http.MethodGet, "/api/v1/verify/"+doc.AuthorizationNumber, "", "", &v); code != 200 || v.Status != domain.VerifyValid ||
		v.TxID != issued.ChainReference.TxID || v.BlockNumber == nil || *v.BlockNumber != issued.ChainReference.BlockNumber {
		t.Fatalf("public verification: %d %+v", code, v)
	}
	if code := call(http.MethodPost, "/api/v1/verify", "", strings.Replace(signed, ag.TermEnd, "2099-12-31", 1), &v); code != 200 || v.Status != domain.VerifyTampered {
		t.Fatalf("tampered upload: %d %+v", code, v)
	}

	var p gateway.Problem
	if code := call(http.MethodPost, "/api/v1/credentials/"+doc.AuthorizationNumber+"/status", liuzhouIssuer, `{"action":"revoke","reason":"越权"}`, &p); code != http.StatusForbidden || p.Rule != gateway.RuleChannelMember {
		t.Fatalf("another city's issuer: %d %+v", code, p)
	}
	// The province is on nanning, but only nanning's authority decides there: the chaincode's rule.
	if code := call(http.MethodPost, "/api/v1/credentials/"+doc.AuthorizationNumber+"/status", provinceIssuer, `{"action":"revoke","reason":"越权"}`, &p); code != http.StatusForbidden || p.Rule != domain.RuleOwnAuthority || p.Field != "caller" {
		t.Fatalf("the province's issuer on nanning: %d %+v", code, p)
	}
	if code := call(http.MethodPost, "/api/v1/credentials/"+doc.AuthorizationNumber+"/status", nanningIssuer, `{"action":"suspend","reason":"`+privateText("收到异议（网关测试）")+`"}`, nil); code != 200 {
		t.Fatalf("suspend: %d", code)
	}
	if code := call(http.MethodGet, "/api/v1/verify/"+doc.AuthorizationNumber, "", "", &v); code != 200 || v.Status != domain.VerifySuspended {
		t.Fatalf("the very next verification after the suspension: %+v", v)
	}

	// Revoke, then 1,000 concurrent verifications: not one may say valid.
	if code := call(http.MethodPost, "/api/v1/credentials/"+doc.AuthorizationNumber+"/status", nanningIssuer, `{"action":"revoke","reason":"`+privateText("违规使用（网关测试）")+`"}`, nil); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[string]int{}
	sem := make(chan struct{}, 64)
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			resp, err := http.Get(srv.URL + "/api/v1/verify/" + doc.AuthorizationNumber)
			status := "error"
			if err == nil {
				var r gateway.VerifyResponse
				_ = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				status = r.Status
			}
			mu.Lock()
			answers[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("1,000 verifications after the revocation: %v", answers)
	if answers[domain.VerifyRevoked] != 1000 {
		t.Fatalf("answers %v, want 1000 revoked", answers)
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range strings.Split(string(metrics), "\n") {
		if strings.HasPrefix(line, "dataledger_cache_lookups_total{") {
			t.Log("cache in this run: " + line)
		}
	}
}

// TestCacheFollowsChangesMadeElsewhere: a verification is cached; the
// credential is suspended directly on the network (not through this
// gateway); the event listener invalidates the cache. Then the listener is
// stopped, the credential revoked, the listener restarted from its
// checkpoint: it catches the event it missed.
func TestCacheFollowsChangesMadeElsewhere(t *testing.T) {
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	cfg := gateway.DefaultConfig()
	cfg.Cache = gateway.NewMemoryCache(1000)
	srv, ledger := startGateway(t, &cfg, ks)
	checkpoints := t.TempDir()
	listen := func() func() {
		ctx, cancel := context.WithCancel(context.Background())
		iv := &gateway.Invalidator{Net: net, Who: cfg.PublicIdentity, Cache: cfg.Cache, Ledger: ledger, Dir: checkpoints, Log: slog.New(slog.DiscardHandler)}
		iv.Run(ctx)
		return func() { cancel(); iv.Wait() } // stopped for sure
	}
	stop := listen()

	is, ag := holderAgreement(t, "南宁缓存测试")
	doc, signed, _ := is.Credential(ag, is.Key)
	if _, err := is.Issue(signed, ag); err != nil {
		t.Fatal(network.ErrorText(err))
	}
	status := func() string {
		resp, err := http.Get(srv.URL + "/api/v1/verify/" + doc.AuthorizationNumber)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		var v gateway.VerifyResponse
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return v.Status
	}
	waitFor := func(want string) time.Duration {
		start := time.Now()
		for status() != want {
			if time.Since(start) > 15*time.Second {
				t.Fatalf("the gateway still answers %q, want %q", status(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return time.Since(start)
	}
	waitFor(domain.VerifyValid)
	suspended, err := is.Authority.Submit("nanning", "ChangeCredentialStatus", doc.AuthorizationNumber, "suspend", privateText("外部暂停（缓存测试）"))
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, suspended) // the revocation below is endorsed by other orgs' peers too
	t.Logf("a suspension made outside the gateway reached its cache in %s", waitFor(domain.VerifySuspended))

	stop()
	// The listener may have lagged (a bump for an earlier event can land
	// after the read above): read again now that it is stopped, so the
	// cache holds "suspended" for sure.
	if got := status(); got != domain.VerifySuspended {
		t.Fatalf("before the revocation: %q", got)
	}
	if _, err := is.Authority.Submit("nanning", "ChangeCredentialStatus", doc.AuthorizationNumber, "revoke", privateText("外部撤销（缓存测试）")); err != nil {
		t.Fatal(network.ErrorText(err))
	}
	if got := status(); got != domain.VerifySuspended {
		t.Fatalf("with the listener stopped the cached answer should still be there, got %q", got)
	}
	defer listen()()
	t.Logf("after a restart the listener resumed from its checkpoint and invalidated in %s", waitFor(domain.VerifyRevoked))
}

// TestRedisKilledUnderLoad: the gateway caches in a Redis of its own;
// while credentials are issued and verified over HTTP, the test kills
// Redis (SIGKILL), revokes the credential the verifiers read while it is
// down, and starts it again, empty (nothing persisted, like the machine's
// Redis after a restart). No verification may fail, and none that starts
// after the revocation may say "valid".
func TestRedisKilledUnderLoad(t *testing.T) {
	redisServer, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is required (scripts/deps.sh installs it)")
	}
	const addr = "127.0.0.1:6391"
	startRedis := func() *exec.Cmd {
		cmd := exec.Command(redisServer, "--bind", "127.0.0.1", "--port", "6391", "--save", "", "--appendonly", "no")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		rc := redis.NewClient(&redis.Options{Addr: addr})
		defer rc.Close()
		for i := 0; rc.Ping(context.Background()).Err() != nil; i++ {
			if i > 100 {
				t.Fatal("redis did not start")
			}
			time.Sleep(20 * time.Millisecond)
		}
		return cmd
	}
	rs := startRedis()
	defer func() { _ = rs.Process.Kill(); _ = rs.Wait() }()

	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	issuerKey, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	cfg := gateway.DefaultConfig()
	rc := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 100 * time.Millisecond, ReadTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer rc.Close()
	cfg.Cache = gateway.RedisCache{C: rc}
	srv, _ := startGateway(t, &cfg, ks)
	var during, after int
	tally := underHTTPLoad(t, srv.URL, issuerKey, "南宁缓存故障测试", 48, func(f *httpFault) {
		_ = rs.Process.Kill()
		_ = rs.Wait()
		f.Revoke("缓存故障期间撤销")
		time.Sleep(2 * time.Second) // verifications with Redis down
		during = int(f.verifications.Load())
		rs = startRedis()
		time.Sleep(2 * time.Second) // and with Redis back, empty
		after = int(f.verifications.Load()) - during
	})
	if tally.VerifyErrors != 0 || tally.Unavailable != 0 {
		t.Fatalf("Redis is a cache: no request may fail for it: %+v", tally)
	}
	t.Logf("verifications until Redis came back %d, after %d", during, after)
}

// TestExchangeRecordsReceiptAutomatically: the exchange's listener follows
// the push feed and records receipt of a newly registered certificate on
// the ledger, as the exchange.
func TestExchangeRecordsReceiptAutomatically(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	x := &gateway.ExchangeListener{Net: net, Who: gateway.Identity{Org: "ExchangeMSP", User: "exchange"}, Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)}
	x.Run(ctx)
	defer func() { cancel(); x.Wait() }()

	is, err := sample.NewIssuer(net, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	enterprise, _ := is.Party(domain.PartyEnterprise, "南宁推送测试企业")
	cert, build := is.CertificateFor(enterprise, "南宁推送测试企业", "推送测试产品", []string{"RES-450100-0001"}, true)
	if _, err := is.RegisterCertificate(build, ""); err != nil {
		t.Fatal(network.ErrorText(err))
	}
	reader := connect(t, "ProvinceMSP", "regulator", nil)
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := reader.Evaluate("nanning", "ListAcknowledgements", cert.RegistrationNumber)
		if err == nil {
			var acks []domain.Acknowledgement
			_ = json.Unmarshal(b, &acks)
			if len(acks) == 1 && acks[0].ExchangeMSP == "ExchangeMSP" && acks[0].Status == domain.AckReceived {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no receipt recorded by the exchange: %v", network.ErrorText(err))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package integration

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/gateway/webhook"
	"dataledger/network"
	"dataledger/network/sample"
)

func connect(t *testing.T, org, user string, peer *network.Peer) *network.Client {
	t.Helper()
	c, err := net.Connect(org, user, peer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func peerOf(org string) *network.Peer { return net.D.Org(org).Peers[0] }

var codeSeq atomic.Int64

// newCreditCode makes a fresh valid unified social credit code in Nanning
// (450102) or Liuzhou (450202).
func newCreditCode(division string) string {
	body := fmt.Sprintf("91%sMA%07d", division, codeSeq.Add(1)+int64(len(division)))
	body = body[:17]
	check, ok := domain.CreditCodeCheckChar(body)
	if !ok {
		panic(body)
	}
	return body + string(check)
}

func partyArg(code, name, division string) string {
	b, _ := json.Marshal(domain.PartyInput{CreditCode: code, Name: name, Role: domain.PartyEnterprise, DivisionCode: division})
	return string(b)
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

// wantRefusal checks an error carries the chaincode's rule code.
func wantRefusal(t *testing.T, err error, rule string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want refusal by %s", rule)
	}
	if !domain.IsRule(err, rule) {
		t.Fatalf("refusal does not name %s: %s", rule, network.ErrorText(err))
	}
}

// synced waits until every peer of the channel has committed the block of
// a write: Fabric reports a commit from one peer, and a read on another
// org's peer right after it may still see the state before.
func synced(t *testing.T, r *network.Committed) {
	t.Helper()
	if err := net.Synced(r, 15*time.Second); err != nil {
		t.Fatal(err)
	}
}

// startGateway serves the gateway in-process over the real network with
// cfg (nil: the defaults) and the key store; it stops with the test.
func startGateway(t *testing.T, cfg *gateway.Config, ks *gateway.KeyStore) (*httptest.Server, *gateway.FabricLedger) {
	t.Helper()
	srv, ledger, _ := startServer(t, cfg, ks)
	return srv, ledger
}

// startServer is startGateway answering the gateway's server too.
func startServer(t *testing.T, cfg *gateway.Config, ks *gateway.KeyStore) (*httptest.Server, *gateway.FabricLedger, *gateway.Server) {
	t.Helper()
	return startServerFor(t, cfg, ks, "")
}

// startServerFor is startServer of a gateway acting for org alone ("":
// for every org).
func startServerFor(t *testing.T, cfg *gateway.Config, ks *gateway.KeyStore, org string) (*httptest.Server, *gateway.FabricLedger, *gateway.Server) {
	t.Helper()
	if cfg == nil {
		c := gateway.DefaultConfig()
		cfg = &c
	}
	if cfg.Webhooks == nil { // as the binary: it always keeps them
		store, err := webhook.Open(filepath.Join(t.TempDir(), "webhooks.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		cfg.Webhooks = store
	}
	acl, err := gateway.LoadACL(nil)
	if err != nil {
		t.Fatal(err)
	}
	ledger := &gateway.FabricLedger{Net: net, Org: org}
	t.Cleanup(ledger.Close)
	if err := ledger.Connect(cfg.PublicIdentity); err != nil {
		t.Fatal(err)
	}
	gw := gateway.NewServer(*cfg, acl, ks, ledger, slog.New(slog.NewJSONHandler(gatewayLog(t), nil)))
	router, err := gw.Router()
	if err != nil {
		t.Fatal(err)
	}
	// The admin routes (/metrics, /readyz) on the test's one server: the
	// binary serves them on --admin-listen only.
	mux := http.NewServeMux()
	admin := gw.AdminRouter()
	mux.Handle("/metrics", admin)
	mux.Handle("/readyz", admin)
	mux.Handle("/", router)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, ledger, gw
}

// orgGateway serves org's own gateway over the network in force: its
// identities alone, its clerk reading for the public, an empty key store.
func orgGateway(t *testing.T, org string) *httptest.Server {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.PublicIdentity = gateway.Identity{Org: org, User: "clerk"}
	ks, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv, _, _ := startServerFor(t, &cfg, ks, org)
	return srv
}

// holderAgreement is a connected nanning issuer with a filed catalog
// agreement for a fresh enterprise.
func holderAgreement(t *testing.T, label string) (*sample.Issuer, *sample.Agreement) {
	t.Helper()
	is, err := sample.NewIssuer(net, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	t.Cleanup(is.Close)
	ag, err := is.HolderAgreement(label)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	return is, ag
}

// request makes an HTTP call as a caller (key "": the public) and returns
// the status and the body.
func request(t *testing.T, method, url, key string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// streamUntil reads a gateway's server-sent events at url (with key)
// until an event named event whose data contains want arrives, and answers
// that data; it fails the test after timeout.
func streamUntil(t *testing.T, url, key, event, want string, timeout time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	name, seen := "", []string{}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
			seen = append(seen, name)
		case strings.HasPrefix(line, "data: ") && name == event && strings.Contains(line, want):
			return strings.TrimPrefix(line, "data: ")
		}
	}
	t.Fatalf("no %s event with %q on %s within %s (events seen: %v; %v)", event, want, url, timeout, seen, sc.Err())
	return ""
}

// gatewayLog is the log file every in-process gateway of the run writes,
// next to the nodes' logs, so the last test can scan them all for secrets.
func gatewayLog(t *testing.T) io.Writer {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(home, "logs", "gateway-tests.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// enterpriseKey enrolls an enterprise's own identity under org (its
// credit code in the certificate, issued by the org's CA) and makes an
// API key that acts as it.
func enterpriseKey(t *testing.T, ks *gateway.KeyStore, org, code string) string {
	t.Helper()
	if err := net.EnrollUser(org, network.EnterpriseUser(code)); err != nil {
		t.Fatal(err)
	}
	secret, _, err := ks.CreateEnterprise(org, code)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// gatewayBinary is a start function of the gateway binary as service id,
// listening on listen (its admin routes on admin), with its key file and
// state in dir, and extra flags; it returns once the gateway is ready.
// The service is stopped when the test ends.
func gatewayBinary(t *testing.T, id, listen, admin, dir string, extra ...string) (start func()) {
	t.Cleanup(func() { _, _ = net.StopService(id) })
	return func() {
		t.Helper()
		args := append([]string{"--listen", listen, "--description", description, "--home", home, "--keys", filepath.Join(dir, "keys.json"),
			"--state", filepath.Join(dir, "state"), "--admin-listen", admin}, extra...)
		if _, err := net.StartService(id, filepath.Join(binDir, "dataledger-gateway"), args, nil); err != nil {
			t.Fatal(err)
		}
		if err := network.WaitReady("http://"+admin+"/readyz", 60*time.Second); err != nil {
			t.Fatal(err)
		}
	}
}

// readCert reads the one certificate of a PEM file.
func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cert
}

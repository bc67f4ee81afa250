package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"dataledger/gateway"
	"dataledger/index"
)

// Hostile values for path parameters and query strings.
var hostileParams = []string{
	"../../../etc/passwd",
	"' OR '1'='1' --",
	"<script>alert(1)</script>",
	"名\u202e\u0000\u0007称",
	strings.Repeat("A", 5000),
	"SQ-450100-2026-AAAAAAAA-A", // a well-formed number with a wrong check character
	"%00%2e%2e%2f",
}

// Hostile request bodies.
var hostileBodies = map[string][]byte{
	"truncated JSON":   []byte(`{"creditCode":`),
	"not an object":    []byte(`[1,2,3]`),
	"deep nesting":     []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)),
	"invalid UTF-8":    []byte("{\"name\":\"\xff\xfe\xfd\",\"reason\":\"\xc3\x28\"}"),
	"control and RTL":  []byte(`{"name":"公司\u0000\u202e\u0007","reason":"\u202e\u0001","creditCode":"\u0000","action":"revoke"}`),
	"huge number":      []byte(`{"pageSize":1e400,"count":99999999999999999999999999999,"validFrom":-1e308}`),
	"injection fields": []byte(`{"number":"../../x","channel":"nanning\u0000province","docType":"<script>","reason":"'; DROP TABLE x; --"}`),
	"oversized":        bytes.Repeat([]byte("a"), 3<<20),
	"null":             []byte(`null`),
}

// roleGateway starts a gateway over the real network with an API key of
// every role ("" for the public), and returns it with the allow table.
func roleGateway(t *testing.T) (string, map[string]string, *gateway.ACL) {
	t.Helper()
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	keys := map[string]string{gateway.RolePublic: ""}
	for role, org := range map[string]string{gateway.RoleIssuer: "CityAMSP", gateway.RoleExchange: "ExchangeMSP", gateway.RoleRegulator: "ProvinceMSP",
		gateway.RoleAdmin: "ProvinceMSP"} {
		secret, _, err := ks.Create(org, role)
		if err != nil {
			t.Fatal(err)
		}
		keys[role] = secret
	}
	keys[gateway.RoleEnterprise] = enterpriseKey(t, ks, "CityAMSP", newCreditCode("450102"))
	// With a supervision index (empty: no channel indexed yet), so that
	// its routes answer as in production rather than "no index here".
	cfg := gateway.DefaultConfig()
	db, err := index.Open(context.Background(), freshIndexDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	cfg.Index, cfg.ReportDir = db, t.TempDir()
	srv, _ := startGateway(t, &cfg, ks)
	acl, err := gateway.LoadACL(nil)
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, keys, acl
}

// heights is every channel's block height, read by the regulator.
func heights(t *testing.T) map[string]uint64 {
	t.Helper()
	c := connect(t, "ProvinceMSP", "regulator", nil)
	out := map[string]uint64{}
	for _, ch := range net.D.Channels {
		h, err := c.Height(ch.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[ch.Name] = h
	}
	return out
}

// unchanged fails the test if a channel grew since before.
func unchanged(t *testing.T, before map[string]uint64, what string) {
	t.Helper()
	for ch, h := range heights(t) {
		if before[ch] != h {
			t.Errorf("channel %s grew from %d to %d blocks during %s", ch, before[ch], h, what)
		}
	}
}

var routeParam = regexp.MustCompile(`[:*][A-Za-z]+`)

// TestEveryRouteForEveryRoleOverTheRealNetwork sends one request to every
// cell of the route × role table through a gateway over the real network:
// a role the route's row does not name is refused by the gateway's own
// rule (401 DL-ACL-KEY without a key, 403 DL-ACL-ROLE with one) before
// any ledger call; a role it names is never refused by those rules (the
// chaincode may still refuse the empty request by its own). No cell is a
// 5xx, and no channel grows.
func TestEveryRouteForEveryRoleOverTheRealNetwork(t *testing.T) {
	base, keys, acl := roleGateway(t)
	before := heights(t)
	var cells, allowed, refused int
	for _, r := range acl.Routes {
		target := base + routeParam.ReplaceAllString(r.Path, "nanning")
		for _, role := range gateway.Roles {
			cells++
			var body io.Reader
			if r.Method != http.MethodGet {
				body = strings.NewReader(`{}`)
			}
			req, _ := http.NewRequest(r.Method, target, body)
			if keys[role] != "" {
				req.Header.Set("Authorization", "Bearer "+keys[role])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var p gateway.Problem
			if r.Handler == "feed" && resp.StatusCode == http.StatusOK {
				resp.Body.Close() // an open stream: its status line is the answer
			} else {
				_ = json.NewDecoder(resp.Body).Decode(&p)
				resp.Body.Close()
			}
			byGateway := p.Rule == gateway.RuleRole || p.Rule == gateway.RuleAPIKey
			wantStatus := http.StatusForbidden
			if role == gateway.RolePublic {
				wantStatus = http.StatusUnauthorized
			}
			switch {
			case resp.StatusCode >= 500:
				t.Errorf("%s %s as %s: %d %+v", r.Method, r.Path, role, resp.StatusCode, p)
			case r.Allows(role) && byGateway:
				t.Errorf("%s %s as %s: allowed by acl.yaml but refused by %s", r.Method, r.Path, role, p.Rule)
			case !r.Allows(role) && (!byGateway || resp.StatusCode != wantStatus):
				t.Errorf("%s %s as %s: not in the row, answered %d %+v", r.Method, r.Path, role, resp.StatusCode, p)
			case r.Allows(role):
				allowed++
			default:
				refused++
			}
		}
	}
	unchanged(t, before, "the role sweep")
	t.Logf("%d cells (%d routes × %d roles): %d allowed through, %d refused by the gateway's rule, none 5xx; ledger unchanged", cells, len(acl.Routes), len(gateway.Roles), allowed, refused)
}

// TestHostileInputOnEveryEndpoint sends hostile path parameters, queries
// and bodies to every route of the allow table, as a caller the route
// admits: every answer is below 500 (a clear refusal, never a crash), API
// refusals are problem documents, and no channel's ledger grows.
func TestHostileInputOnEveryEndpoint(t *testing.T) {
	base, keys, acl := roleGateway(t)
	before := heights(t)
	param := routeParam
	sent, refused := 0, 0
	check := func(r gateway.Route, key, target string, body []byte, what string) {
		t.Helper()
		status, resp := request(t, r.Method, base+target, key, bytes.NewReader(body))
		sent++
		if status >= 500 {
			t.Errorf("%s %s (%s): %d %s", r.Method, target[:min(len(target), 120)], what, status, resp[:min(len(resp), 300)])
			return
		}
		if status >= 400 {
			refused++
			if strings.HasPrefix(r.Path, "/api/") && !bytes.Contains(resp, []byte(`"status":`)) {
				t.Errorf("%s %s (%s): %d without a problem document: %s", r.Method, r.Path, what, status, resp[:min(len(resp), 200)])
			}
		}
	}
	for _, r := range acl.Routes {
		if r.Handler == "feed" {
			continue // a stream: it answers 200 and waits for events
		}
		role := r.Roles[0]
		if slices.Contains(r.Roles, gateway.RoleIssuer) && r.Method != http.MethodGet {
			role = gateway.RoleIssuer
		}
		key := keys[role]
		for _, p := range hostileParams {
			target := param.ReplaceAllString(r.Path, url.PathEscape(p)) + "?pageSize=" + url.QueryEscape(p) + "&bookmark=" + url.QueryEscape(p) + "&by=" + url.QueryEscape(p)
			var body []byte
			if r.Method != http.MethodGet {
				body = []byte(`{}`)
			}
			check(r, key, target, body, fmt.Sprintf("param %q", p[:min(len(p), 20)]))
		}
		if r.Method == http.MethodGet {
			continue
		}
		target := param.ReplaceAllString(r.Path, "nanning")
		if strings.Contains(r.Path, ":number") {
			target = param.ReplaceAllString(r.Path, "SQ-450100-2026-AAAAAAAA-A")
		}
		for name, b := range hostileBodies {
			check(r, key, target, b, name)
		}
	}
	unchanged(t, before, "the hostile sweep")
	t.Logf("%d hostile requests over %d routes: %d refused with 4xx, the rest answered (pages, empty lists), none 5xx; ledger unchanged", sent, len(acl.Routes), refused)
}

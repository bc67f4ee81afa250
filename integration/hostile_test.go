package integration

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"dataledger/gateway"
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

// TestHostileInputOnEveryEndpoint sends hostile path parameters, queries
// and bodies to every route of the allow table, as a caller the route
// admits: every answer is below 500 (a clear refusal, never a crash), API
// refusals are problem documents, and no channel's ledger grows.
func TestHostileInputOnEveryEndpoint(t *testing.T) {
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	keys := map[string]string{gateway.RolePublic: ""}
	for role, org := range map[string]string{gateway.RoleIssuer: "CityAMSP", gateway.RoleExchange: "ExchangeMSP", gateway.RoleRegulator: "ProvinceMSP",
		gateway.RoleEnterprise: "CityAMSP", gateway.RoleAdmin: "ProvinceMSP"} {
		secret, _, err := ks.Create(org, role)
		if err != nil {
			t.Fatal(err)
		}
		keys[role] = secret
	}
	srv, _ := startGateway(t, nil, ks)
	acl, err := gateway.LoadACL(nil)
	if err != nil {
		t.Fatal(err)
	}
	heights := func() map[string]uint64 {
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
	before := heights()
	param := regexp.MustCompile(`[:*][A-Za-z]+`)
	sent, refused := 0, 0
	check := func(r gateway.Route, key, target string, body []byte, what string) {
		t.Helper()
		status, resp := request(t, r.Method, srv.URL+target, key, bytes.NewReader(body))
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
	after := heights()
	for ch, h := range before {
		if after[ch] != h {
			t.Errorf("channel %s grew from %d to %d blocks during the hostile sweep", ch, h, after[ch])
		}
	}
	t.Logf("%d hostile requests over %d routes: %d refused with 4xx, the rest answered (pages, empty lists), none 5xx; ledger unchanged", sent, len(acl.Routes), refused)
}

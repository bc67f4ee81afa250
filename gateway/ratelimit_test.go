package gateway

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rateServer is a gateway over the fake ledger with cfg changed by edit.
func rateServer(t *testing.T, edit func(*Config)) http.Handler {
	t.Helper()
	cfg := DefaultConfig()
	if edit != nil {
		edit(&cfg)
	}
	return newHarnessConfig(t, cfg).h
}

// publicFrom sends a public request from the socket peer remote, with an
// X-Forwarded-For header when forwarded is not empty.
func publicFrom(h http.Handler, method, path, remote, forwarded, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = remote
	if forwarded != "" {
		req.Header.Set("X-Forwarded-For", forwarded)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func ruleOf(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("not a problem document: %s", w.Body)
	}
	return p.Rule
}

const objections = "/api/v1/channels/nanning/objections"

// The attack: one client forges a new X-Forwarded-For on every request to
// look like many. With no trusted proxy (the default) the header is
// ignored and the socket peer is the client.
func TestForgedForwardedForDoesNotEvadeTheRateLimit(t *testing.T) {
	h := rateServer(t, nil)
	var refused int
	for i := 0; i < 8; i++ {
		w := publicFrom(h, http.MethodPost, objections, "203.0.113.9:40000", "198.51.100."+string(rune('1'+i)), `{"number":"x"}`)
		if i < 5 && w.Code == http.StatusTooManyRequests {
			t.Fatalf("request %d refused before the limit", i+1)
		}
		if w.Code == http.StatusTooManyRequests {
			refused++
			if rule := ruleOf(t, w); rule != RuleRateAddress || w.Header().Get("Retry-After") == "" {
				t.Fatalf("429 without its rule or Retry-After: %q %v", rule, w.Header())
			}
		}
	}
	if refused != 3 {
		t.Fatalf("8 filings from one address with forged X-Forwarded-For: %d refused, want 3", refused)
	}
}

// Behind a configured proxy, the clients it forwards are limited one by
// one, and a client's own forged entry (left of the proxy's) does not count.
func TestTrustedProxyForwardsDistinctClients(t *testing.T) {
	h := rateServer(t, func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8"} })
	for i := 0; i < 8; i++ {
		if w := publicFrom(h, http.MethodPost, objections, "10.0.0.1:40000", "198.51.100."+string(rune('1'+i)), `{"number":"x"}`); w.Code == http.StatusTooManyRequests {
			t.Fatalf("forwarded client %d was limited with another's count", i+1)
		}
	}
	var refused int
	for i := 0; i < 8; i++ {
		// The client forges the left entry; the proxy appends the address it saw.
		w := publicFrom(h, http.MethodPost, objections, "10.0.0.1:40000", "192.0.2."+string(rune('1'+i))+", 203.0.113.7", `{"number":"x"}`)
		if w.Code == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused != 3 {
		t.Fatalf("8 filings from one forwarded client: %d refused, want 3", refused)
	}
	if _, err := NewServer(Config{TrustedProxies: []string{"not-an-address"}}, &ACL{}, nil, &fakeLedger{}, slog.New(slog.DiscardHandler)).Router(); err == nil {
		t.Fatal("a malformed trusted proxy was accepted")
	}
}

// The attack: many addresses (each under its own per-minute limit) flood
// objections against one certificate. The sixth in the hour is refused,
// whichever address and whatever spelling of the member or the number.
func TestPublicObjectionsPerTargetAreCapped(t *testing.T) {
	h := rateServer(t, nil)
	target := certNumber
	bodies := []string{
		`{"number":"a","targetKind":"certificate","target":"` + target + `"}`,
		`{"number":"b","targetKind":"certificate","target":"` + strings.ToLower(target) + `"}`,
		`{"number":"c","targetKind":"certificate","target":" ` + target + `"}`,
		`{"number":"d","targetKind":"certificate","target":"` + target + `\t"}`, // ("Target" is refused as DL-JSON-MEMBER)
		`{"number":"e","targetKind":"certificate","target":"` + target + `"} trailing`,
	}
	for i, body := range bodies {
		if w := publicFrom(h, http.MethodPost, objections, "198.51.100."+string(rune('1'+i))+":4000", "", body); w.Code != http.StatusCreated {
			t.Fatalf("objection %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	for i, body := range bodies {
		w := publicFrom(h, http.MethodPost, objections, "192.0.2."+string(rune('1'+i))+":4000", "", body)
		if w.Code != http.StatusTooManyRequests || ruleOf(t, w) != RuleRateTarget {
			t.Fatalf("objection %d against the same target from a fresh address: %d %s", 6+i, w.Code, w.Body)
		}
		if ra, _ := strconv.Atoi(w.Header().Get("Retry-After")); ra < 3500 || ra > 3600 {
			t.Fatalf("Retry-After %q, want about an hour", w.Header().Get("Retry-After"))
		}
	}
	other := `{"number":"f","targetKind":"certificate","target":"DJ-OTHER"}`
	if w := publicFrom(h, http.MethodPost, objections, "192.0.2.50:4000", "", other); w.Code != http.StatusCreated {
		t.Fatalf("another target: %d %s", w.Code, w.Body)
	}
	ks, _ := OpenKeyStore(filepath.Join(t.TempDir(), "k.json"))
	secret, _, _ := ks.Create("CityAMSP", RoleExchange)
	acl, _ := LoadACL(nil)
	keyed, _ := NewServer(DefaultConfig(), acl, ks, &fakeLedger{}, slog.New(slog.DiscardHandler)).Router()
	for i := 0; i < 7; i++ {
		if w := publicFrom(keyed, http.MethodPost, objections, "192.0.2.60:4000", "", bodies[0], "Authorization", "Bearer "+secret); w.Code != http.StatusCreated {
			t.Fatalf("a keyed caller's objection %d: %d", i+1, w.Code)
		}
	}
}

// The window slides: a target has room again an hour after its oldest
// accepted request; refused requests do not count.
func TestTargetWindowSlides(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	l := newTargetLimiter("target", 2, time.Hour)
	l.now = func() time.Time { return now }
	if admitWait(l, []string{"A"}) != 0 {
		t.Fatal("first")
	}
	now = now.Add(30 * time.Minute)
	if admitWait(l, []string{"A"}) != 0 {
		t.Fatal("second")
	}
	if w := admitWait(l, []string{"A"}); w != 30*time.Minute {
		t.Fatalf("third waits %v, want 30m", w)
	}
	if w := admitWait(l, []string{"B", "A"}); w == 0 || len(l.hits["B"]) != 0 {
		t.Fatalf("a body naming a full target is refused and counts for none: %v %v", w, l.hits)
	}
	now = now.Add(30 * time.Minute)
	if admitWait(l, []string{"A"}) != 0 {
		t.Fatal("after the oldest left the window")
	}
	now = now.Add(2 * time.Hour)
	admitWait(l, []string{"C"})
	if _, ok := l.hits["A"]; ok {
		t.Fatal("a target whose window passed is still held")
	}
}

func admitWait(l *targetLimiter, targets []string) time.Duration {
	w, _ := l.admit(targets)
	return w
}

// Refused requests give their place back: five malformed objections
// against a target do not hold off the public's genuine ones for the hour.
func TestRefusedObjectionsDoNotUseUpATarget(t *testing.T) {
	h := rateServer(t, nil)
	junk := `{"number":"j","targetKind":"certificate","target":"` + certNumber + `","Target":"` + certNumber + `"}` // refused: DL-JSON-MEMBER
	for i := 0; i < 6; i++ {
		w := publicFrom(h, http.MethodPost, objections, "198.51.100."+string(rune('1'+i))+":4000", "", junk)
		if w.Code == http.StatusTooManyRequests || w.Code < 400 {
			t.Fatalf("junk objection %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	good := `{"number":"g","targetKind":"certificate","target":"` + certNumber + `"}`
	for i := 0; i < 5; i++ {
		if w := publicFrom(h, http.MethodPost, objections, "192.0.2."+string(rune('1'+i))+":4000", "", good); w.Code != http.StatusCreated {
			t.Fatalf("genuine objection %d after the junk: %d %s", i+1, w.Code, w.Body)
		}
	}
}

// An IPv6 client holds a /64: its addresses count as one.
func TestIPv6ClientsCountByTheirSlash64(t *testing.T) {
	for in, want := range map[string]string{
		"2001:db8:1:2:aaaa::1":  "2001:db8:1:2::/64",
		"2001:db8:1:2:bbbb::99": "2001:db8:1:2::/64",
		"192.0.2.7":             "192.0.2.7",
		"::ffff:192.0.2.7":      "::ffff:192.0.2.7",
		"not an address":        "not an address",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
	h := rateServer(t, nil)
	refused := 0
	for i := 0; i < 8; i++ {
		w := publicFrom(h, http.MethodPost, objections, "[2001:db8:1:2::"+string(rune('1'+i))+"]:4000", "", `{"number":"x"}`)
		if w.Code == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused != 3 {
		t.Fatalf("8 filings from 8 addresses of one /64: %d refused, want 3", refused)
	}
}

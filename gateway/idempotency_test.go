package gateway

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func idemServer(t *testing.T, ks *KeyStore, store *IdempotencyStore) (*fakeLedger, http.Handler) {
	t.Helper()
	acl, _ := LoadACL(nil)
	cfg := DefaultConfig()
	cfg.Idempotency = store
	l := &fakeLedger{}
	r, err := NewServer(cfg, acl, ks, l, slog.New(slog.DiscardHandler)).Router()
	if err != nil {
		t.Fatal(err)
	}
	return l, r
}

func idemHarness(t *testing.T, store *IdempotencyStore) (*fakeLedger, http.Handler, string) {
	t.Helper()
	ks, _ := OpenKeyStore(filepath.Join(t.TempDir(), "k.json"))
	issuer, _, _ := ks.Create("CityAMSP", RoleIssuer)
	l, h := idemServer(t, ks, store)
	return l, h, issuer
}

func post(h http.Handler, key, idem, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/credentials/"+credNumber+"/status", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// restartableStore is an idempotency file and a key store with an issuer's
// key, for tests that reopen the file as a restarted gateway would.
func restartableStore(t *testing.T) (string, *IdempotencyStore, *KeyStore, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "idempotency.jsonl")
	store, err := OpenIdempotencyStore(path)
	if err != nil {
		t.Fatal(err)
	}
	ks, _ := OpenKeyStore(filepath.Join(t.TempDir(), "k.json"))
	issuer, _, _ := ks.Create("CityAMSP", RoleIssuer)
	return path, store, ks, issuer
}

func TestIdempotentRetriesSurviveARestart(t *testing.T) {
	path, store, ks, issuer := restartableStore(t)
	l, h := idemServer(t, ks, store)
	body := `{"action":"suspend","reason":"异议处理中"}`
	first := post(h, issuer, "req-1", body)
	again := post(h, issuer, "req-1", body)
	if first.Code != 200 || again.Code != 200 || first.Body.String() != again.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s / %d %s", first.Code, first.Body, again.Code, again.Body)
	}
	if len(l.calls) != 1 {
		t.Fatalf("the ledger saw %d submits, want 1", len(l.calls))
	}
	if w := post(h, issuer, "req-1", `{"action":"revoke","reason":"x"}`); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("the same key for another request: %d", w.Code)
	}
	store.Close()

	// A new gateway process (same key file, same idempotency file) replays
	// the first answer without submitting.
	reopened, err := OpenIdempotencyStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	l2, h2 := idemServer(t, ks, reopened)
	replayed := post(h2, issuer, "req-1", body)
	if replayed.Code != 200 || replayed.Body.String() != first.Body.String() || replayed.Header().Get("Idempotent-Replayed") != "true" || len(l2.calls) != 0 {
		t.Fatalf("after a restart: %d %s, ledger calls %v", replayed.Code, replayed.Body, l2.calls)
	}
	if w := post(h2, issuer, "req-2", body); w.Code != 200 || len(l2.calls) != 1 {
		t.Fatalf("a new key after a restart: %d", w.Code)
	}
}

func TestUnwritableStateRefusesBeforeSubmitting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "idempotency.jsonl")
	store, err := OpenIdempotencyStore(path)
	if err != nil {
		t.Fatal(err)
	}
	store.f.Close() // as if the disk went away
	l, h, issuer := idemHarness(t, store)
	w := post(h, issuer, "req-x", `{"action":"suspend","reason":"x"}`)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "nothing was submitted") || len(l.calls) != 0 {
		t.Fatalf("%d %s (ledger calls %v)", w.Code, w.Body, l.calls)
	}
	// Without an Idempotency-Key the request goes through.
	if w := post(h, issuer, "", `{"action":"suspend","reason":"x"}`); w.Code != 200 {
		t.Fatalf("without a key: %d", w.Code)
	}
	_ = os.Remove(path)
}

// A crash mid-write leaves a torn last line: opening the store cuts it, so
// the next line starts on its own and every line parses after a restart.
// A key answered 5xx (no definite answer) is free again after a restart.
func TestTornTailCutAndReleasedKeysStayFree(t *testing.T) {
	path, store, ks, issuer := restartableStore(t)
	l, h := idemServer(t, ks, store)
	body := `{"action":"suspend","reason":"异议处理中"}`
	if w := post(h, issuer, "req-1", body); w.Code != 200 {
		t.Fatalf("first: %d", w.Code)
	}
	l.err = status.Error(codes.Unavailable, "no peer") // the next write meets a ledger that cannot answer
	if w := post(h, issuer, "req-2", body); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("with the ledger down: %d %s", w.Code, w.Body)
	}
	store.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(`{"key":"torn","bodyHa`)
	f.Close()

	reopened, err := OpenIdempotencyStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	l2, h2 := idemServer(t, ks, reopened)
	if w := post(h2, issuer, "req-2", body); w.Code != 200 || len(l2.calls) != 1 {
		t.Fatalf("a key released by a 503, after a restart: %d %s (ledger calls %v)", w.Code, w.Body, l2.calls)
	}
	if w := post(h2, issuer, "req-1", body); w.Code != 200 || w.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a recorded key after a restart: %d %s", w.Code, w.Body)
	}
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("line %d is torn after a restart and a write: %q", i+1, line)
		}
	}
	// req-1 pending and done, req-2 pending and released, then pending and done again.
	if len(lines) != 6 {
		t.Fatalf("%d lines, want 6: %s", len(lines), data)
	}
}

// publicObjection files an objection without an API key from remote.
func publicObjection(h http.Handler, remote, idem, body string) *httptest.ResponseRecorder {
	return publicFrom(h, http.MethodPost, "/api/v1/channels/nanning/objections", remote, "", body, "Idempotency-Key", idem)
}

// The attack: a public caller who learns or guesses another's
// Idempotency-Key replays their answer or blocks their request. Keys
// of the public are scoped by the client address.
func TestPublicIdempotencyKeysAreTheCallers(t *testing.T) {
	store, err := OpenIdempotencyStore(filepath.Join(t.TempDir(), "idempotency.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	l, h := idemServer(t, nil, store)
	alice, mallory := "198.51.100.1:5000", "203.0.113.66:5000"
	if w := publicObjection(h, alice, "k1", `{"number":"a"}`); w.Code != http.StatusCreated {
		t.Fatalf("alice: %d %s", w.Code, w.Body)
	}
	// Mallory sends the same key with the same body: not Alice's answer.
	if w := publicObjection(h, mallory, "k1", `{"number":"a"}`); w.Code != http.StatusCreated || w.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("another caller got the first caller's answer: %d %v", w.Code, w.Header())
	}
	// Mallory takes a key first; Alice's own request with it goes through.
	if w := publicObjection(h, mallory, "k2", `{"number":"m"}`); w.Code != http.StatusCreated {
		t.Fatalf("mallory k2: %d", w.Code)
	}
	if w := publicObjection(h, alice, "k2", `{"number":"b"}`); w.Code != http.StatusCreated {
		t.Fatalf("a key another caller used first blocked this one: %d %s", w.Code, w.Body)
	}
	if len(l.calls) != 4 {
		t.Fatalf("the ledger saw %d submits, want 4", len(l.calls))
	}
	// Alice's own retry is still replayed.
	if w := publicObjection(h, alice, "k1", `{"number":"a"}`); w.Header().Get("Idempotent-Replayed") != "true" || len(l.calls) != 4 {
		t.Fatalf("alice's retry: %d %v", w.Code, w.Header())
	}
}

// A record expires after the TTL: the key is new again, it is gone after a
// restart, and the file is rewritten without the dead lines (every line
// whole).
func TestIdempotencyRecordsExpire(t *testing.T) {
	defer func(n int) { compactSlack = n }(compactSlack)
	compactSlack = 0
	clock := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	path, _, ks, issuer := restartableStore(t)
	store, err := openIdempotencyStore(path, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	l, h := idemServer(t, ks, store)
	body := `{"action":"suspend","reason":"异议处理中"}`
	for _, k := range []string{"old-1", "old-2", "old-3"} {
		if w := post(h, issuer, k, body); w.Code != 200 {
			t.Fatalf("%s: %d", k, w.Code)
		}
	}
	clock = clock.Add(59 * time.Minute)
	if w := post(h, issuer, "old-1", `{"action":"revoke","reason":"x"}`); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("within the TTL, another body: %d", w.Code)
	}
	if w := post(h, issuer, "fresh", body); w.Code != 200 {
		t.Fatalf("fresh: %d", w.Code)
	}
	clock = clock.Add(2 * time.Minute) // old-* are 61 minutes old, fresh 2
	w := post(h, issuer, "old-1", `{"action":"revoke","reason":"x"}`)
	if w.Code != 200 || w.Header().Get("Idempotent-Replayed") != "" || len(l.calls) != 5 {
		t.Fatalf("an expired key is not new: %d %s (ledger calls %d)", w.Code, w.Body, len(l.calls))
	}
	store.Close()

	reopened, err := openIdempotencyStore(path, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	if len(reopened.entries) != 2 {
		t.Fatalf("after a restart %d records are live, want 2 (fresh, old-1 again)", len(reopened.entries))
	}
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if strings.Contains(string(data), "|old-2") || strings.Contains(string(data), "|old-3") || len(lines) > 3 {
		t.Fatalf("the file still holds expired records (%d lines): %s", len(lines), data)
	}
	for i, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("line %d is torn: %q", i+1, line)
		}
	}
	l2, h2 := idemServer(t, ks, reopened)
	if w := post(h2, issuer, "fresh", body); w.Header().Get("Idempotent-Replayed") != "true" || len(l2.calls) != 0 {
		t.Fatalf("a live key after the rewrite: %d %v", w.Code, w.Header())
	}
	if w := post(h2, issuer, "old-2", body); w.Code != 200 || len(l2.calls) != 1 {
		t.Fatalf("an expired key after a restart: %d", w.Code)
	}
	if _, err := os.Stat(path + ".compact"); !os.IsNotExist(err) {
		t.Fatalf("the rewrite's temporary file is left: %v", err)
	}
}

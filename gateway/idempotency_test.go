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

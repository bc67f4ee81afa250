package gateway

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataledger/network"
)

// keyServer is a gateway whose KeyStore was opened at start, like the
// dataledger-gateway process.
func keyServer(t *testing.T, path string) http.Handler {
	t.Helper()
	ks, err := OpenKeyStore(path)
	if err != nil {
		t.Fatal(err)
	}
	acl, _ := LoadACL(nil)
	r, err := NewServer(DefaultConfig(), acl, ks, &fakeLedger{}, slog.New(slog.DiscardHandler)).Router()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func statusWithKey(h http.Handler, secret string) int {
	req := httptest.NewRequest(http.MethodGet, "/api/v1/credentials/"+credNumber, nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code
}

// within polls until cond holds or d passes.
func within(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// TestKeysCreatedAndRevokedByAnotherProcessTakeEffect: the CLI (another
// KeyStore on the same file) creates a key, then revokes it, while the
// gateway runs: within a second each change holds, without a restart.
func TestKeysCreatedAndRevokedByAnotherProcessTakeEffect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	cli, _ := OpenKeyStore(path)
	old, oldKey, err := cli.Create("CityAMSP", RoleRegulator)
	if err != nil {
		t.Fatal(err)
	}
	h := keyServer(t, path)
	if statusWithKey(h, old) == http.StatusUnauthorized {
		t.Fatal("a key in the file at start is refused")
	}
	other, _ := OpenKeyStore(path) // another process
	fresh, _, err := other.Create("CityAMSP", RoleRegulator)
	if err != nil {
		t.Fatal(err)
	}
	if !within(time.Second, func() bool { return statusWithKey(h, fresh) != http.StatusUnauthorized }) {
		t.Fatal("a key created while the gateway runs is still refused after 1 s")
	}
	if err := other.Revoke(oldKey.ID); err != nil {
		t.Fatal(err)
	}
	if !within(time.Second, func() bool { return statusWithKey(h, old) == http.StatusUnauthorized }) {
		t.Fatal("a key revoked while the gateway runs still works after 1 s")
	}
	if statusWithKey(h, fresh) == http.StatusUnauthorized {
		t.Fatal("revoking one key dropped another")
	}
}

// TestTornKeyFileKeepsTheKeysInForce: a half-written or invalid key file
// (another writer, not the CLI's atomic rename) leaves the last good set
// in force and is logged; once valid again it is read.
func TestTornKeyFileKeepsTheKeysInForce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	cli, _ := OpenKeyStore(path)
	secret, k, err := cli.Create("CityAMSP", RoleRegulator)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	ks, err := OpenKeyStore(path)
	if err != nil {
		t.Fatal(err)
	}
	ks.Log = slog.New(slog.NewTextHandler(&logs, nil))
	good := mustRead(t, path)
	for _, torn := range [][]byte{good[:len(good)/2], []byte("not json"), []byte(`[{"id":"x","hash":"y","org":"CityAMSP","role":"root"}]`)} {
		if err := os.WriteFile(path, torn, 0o600); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if _, ok := ks.Lookup(secret); !ok {
			t.Fatalf("an invalid key file (%.20q) dropped the keys in force", torn)
		}
		if _, _, err := cli.Create("CityAMSP", RoleIssuer); err == nil {
			t.Fatalf("a key was created over an invalid file (%.20q), losing what it held", torn)
		}
	}
	if !bytes.Contains(logs.Bytes(), []byte("keys.json")) {
		t.Fatalf("the invalid key file was not logged: %q", logs.String())
	}
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cli.Revoke(k.ID); err != nil {
		t.Fatal(err)
	}
	if !within(time.Second, func() bool { _, ok := ks.Lookup(secret); return !ok }) {
		t.Fatal("once the file is valid again, its revocation does not hold")
	}
}

// TestWatchedKeyFileTakesEffectAtOnce: with the file watched, a new key
// holds before Lookup's own look at the file is due.
func TestWatchedKeyFileTakesEffectAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gw", "keys.json")
	ks, err := OpenKeyStore(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := ks.Watch(ctx); err != nil {
		t.Fatal(err)
	}
	other, _ := OpenKeyStore(path)
	start := time.Now()
	secret, k, err := other.Create("CityAMSP", RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if !within(reloadEvery/2, func() bool { _, ok := ks.Lookup(secret); return ok }) {
		t.Fatalf("a new key not in force %v after it was written", time.Since(start))
	}
	if err := other.Revoke(k.ID); err != nil {
		t.Fatal(err)
	}
	if !within(reloadEvery/2, func() bool { _, ok := ks.Lookup(secret); return !ok }) {
		t.Fatal("a revoked key still in force")
	}
}

// An enterprise key acts as the enterprise's own identity on the routes
// the public may not call, as the public on those it may, with its cached
// answers kept apart; a key of an enterprise made before enterprises had
// identities (no credit code) is kept in the file and refused when used.
func TestEnterpriseKeysActAsTheEnterprise(t *testing.T) {
	hs := newHarness(t)
	own := Identity{Org: "CityAMSP", User: network.EnterpriseUser(testEnterprise).Name}
	if !own.Enterprise() || (Identity{Org: "CityAMSP", User: "clerk"}).Enterprise() {
		t.Fatal("Identity.Enterprise")
	}
	whoOf := func(path string) Identity {
		t.Helper()
		hs.ledger.mu.Lock()
		hs.ledger.who = nil
		hs.ledger.mu.Unlock()
		if w := hs.do("GET", path, RoleEnterprise, ""); w.Code != 200 {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		hs.ledger.mu.Lock()
		defer hs.ledger.mu.Unlock()
		if len(hs.ledger.who) == 0 {
			t.Fatalf("%s: the ledger was not asked", path)
		}
		return hs.ledger.who[0]
	}
	if got := whoOf("/api/v1/agreements/XY-450100-2026-X5BLM899-P"); got != own {
		t.Errorf("a member route acts as %v, want the enterprise's own %v", got, own)
	}
	if got := whoOf("/api/v1/channels/nanning/jurisdiction"); got != DefaultConfig().PublicIdentity {
		t.Errorf("a public route acts as %v, want the public's", got)
	}

	// A legacy key: in the file, refused in use; the other keys stay in force.
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	legacy := "dlk_0123456789ab_" + strings.Repeat("A", 43)
	if err := os.WriteFile(path, []byte(`[{"id":"0123456789ab","hash":"`+hashSecret(legacy)+`","org":"CityAMSP","role":"enterprise","created":"2026-01-01T00:00:00Z"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	ks, err := OpenKeyStore(path)
	if err != nil {
		t.Fatalf("a file with a legacy enterprise key: %v", err)
	}
	if _, _, err := ks.Create("CityAMSP", RoleEnterprise); err == nil {
		t.Error("an enterprise key made without its credit code")
	}
	if _, _, err := ks.CreateEnterprise("CityAMSP", "91450100MA5L0000AX"); err == nil {
		t.Error("an enterprise key for a malformed credit code")
	}
	acl, _ := LoadACL(nil)
	srv := NewServer(DefaultConfig(), acl, ks, &fakeLedger{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r, err := srv.Router()
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/v1/agreements/XY-450100-2026-X5BLM899-P", nil)
	req.Header.Set("Authorization", "Bearer "+legacy)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	if rec.Code != 401 || !strings.Contains(rec.Body.String(), "--credit-code") {
		t.Errorf("a legacy enterprise key: %d %s", rec.Code, rec.Body)
	}
}

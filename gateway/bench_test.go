package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"dataledger/chaincode/domain"
)

// BenchmarkRoutes runs the router in process (fake ledger) to profile
// what the gateway itself costs per request: the bare handler against a
// cached verification.
//
//	go test -run X -bench Routes -cpuprofile cpu.out ./gateway
func BenchmarkRoutes(b *testing.B) {
	ks, err := OpenKeyStore(filepath.Join(b.TempDir(), "keys.json"))
	if err != nil {
		b.Fatal(err)
	}
	router := newTestRouter(b, ks)
	number := domain.SequenceNumber(domain.PrefixRegistration, "450100", 2026, 42).String()
	for _, path := range []string{"/api/v1/ping", "/api/v1/verify/" + number} {
		b.Run(path, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			for b.Loop() {
				w := httptest.NewRecorder()
				router.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}

// newTestRouter is the gateway's router over the fake ledger, logging
// nowhere.
func newTestRouter(tb testing.TB, ks *KeyStore) http.Handler {
	tb.Helper()
	acl, err := LoadACL(nil)
	if err != nil {
		tb.Fatal(err)
	}
	router, err := NewServer(DefaultConfig(), acl, ks, &fakeLedger{}, slog.New(slog.DiscardHandler)).Router()
	if err != nil {
		tb.Fatal(err)
	}
	return router
}

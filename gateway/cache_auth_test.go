package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dataledger/chaincode/domain"
	"dataledger/network"
)

// metricsText is the gateway's /metrics page.
func metricsText(t *testing.T, h http.Handler) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return w.Body.String()
}

// TestRedisPlantedValidIsNotServed: whoever can write to Redis plants a
// "valid" answer under the exact key the gateway reads (the channel's
// current generation, the digest of the query) for a credential the
// ledger says is revoked; then edits a genuine entry the same way. Neither
// is served: the ledger answers, and the refusals are counted. Its own
// database (12) keeps it apart from other tests.
func TestRedisPlantedValidIsNotServed(t *testing.T) {
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 12})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at 127.0.0.1:6379 is required (scripts/test.sh starts it): %v", err)
	}
	_ = c.FlushDB(ctx).Err() // entries of earlier runs (another process's MAC key) would count as forged too
	cache := RedisCache{C: c}
	l, h, _ := cacheHarness(t, cache)
	l.status = domain.VerifyRevoked

	gen, err := cache.Generation(ctx, "nanning")
	if err != nil {
		t.Fatal(err)
	}
	q := network.Tx.VerifyCredential(credNumber)
	key := "dl:c:nanning|" + gen + "|" + cacheDay(time.Now()) + "|" + digest("response:zh:"+q.Fn, q.Args) // a request without Accept-Language is answered in Chinese
	planted, _ := json.Marshal(VerifyResponse{Verification: domain.Verification{Status: domain.VerifyValid, Number: credNumber, Channel: "nanning", TxID: "t"}})
	if err := c.Set(ctx, key, planted, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got := verifyStatus(t, h); got != domain.VerifyRevoked {
		t.Fatalf("a value planted in Redis was served: %q (the ledger says revoked)", got)
	}
	if l.reads != 1 {
		t.Fatalf("%d ledger reads: the planted entry must be a miss", l.reads)
	}

	// The miss replaced the planted value with a genuine one: it hits.
	if got := verifyStatus(t, h); got != domain.VerifyRevoked || l.reads != 1 {
		t.Fatalf("a genuine entry: %q after %d ledger reads, want a hit", got, l.reads)
	}

	// A genuine entry edited in place (its MAC, if any, kept).
	genuine, err := c.Get(ctx, key).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(genuine, []byte(`"`+domain.VerifyRevoked+`"`), []byte(`"`+domain.VerifyValid+`"`), 1)
	if bytes.Equal(edited, genuine) {
		t.Fatalf("the cached answer holds no status to edit: %q", genuine)
	}
	if err := c.Set(ctx, key, edited, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got := verifyStatus(t, h); got != domain.VerifyRevoked { // rebuilt from the chaincode's answer, itself cached genuinely
		t.Fatalf("an edited entry was served: %q", got)
	}
	if m := metricsText(t, h); !strings.Contains(m, `dataledger_cache_lookups_total{outcome="forged"} 2`) {
		t.Fatalf("the refused values are not counted:\n%s", m)
	}
}

// whoLedger answers each identity differently, as the chaincode answers a
// collection member's regime role a record whole and the public its view.
type whoLedger struct {
	Ledger
	reads int
}

func (w *whoLedger) Member(Identity, string) error { return nil }

func (w *whoLedger) Evaluate(_ context.Context, who Identity, _, _ string, _ ...string) ([]byte, error) {
	w.reads++
	return []byte(`"` + who.Org + "/" + who.User + `"`), nil
}

// TestCachedAnswersAreTheirIdentitys: an issuer's whole record, read
// first, is never the public's cached answer, nor the public's the
// issuer's; public callers share one answer.
func TestCachedAnswersAreTheirIdentitys(t *testing.T) {
	public := Identity{Org: "ProvinceMSP", User: "clerk"}
	w := &whoLedger{}
	c := &cachedLedger{Ledger: w, cache: NewMemoryCache(100), blocks: NewMemoryCache(100), ttl: time.Minute, m: newMetrics(), public: public}
	ctx := context.Background()
	for i, tc := range []struct {
		who   Identity
		want  string
		reads int
	}{
		{Identity{Org: "CityAMSP", User: "authority"}, `"CityAMSP/authority"`, 1},
		{public, `"ProvinceMSP/clerk"`, 2},
		{public, `"ProvinceMSP/clerk"`, 2}, // shared: a hit
		{Identity{Org: "CityAMSP", User: "authority"}, `"CityAMSP/authority"`, 2},
		{Identity{Org: "ProvinceMSP", User: "regulator"}, `"ProvinceMSP/regulator"`, 3},
	} {
		got, err := c.Evaluate(ctx, tc.who, "nanning", "GetObjection", "YY-1")
		if err != nil || string(got) != tc.want || w.reads != tc.reads {
			t.Fatalf("read %d as %v: %s after %d ledger reads (%v), want %s after %d", i, tc.who, got, w.reads, err, tc.want, tc.reads)
		}
	}
}

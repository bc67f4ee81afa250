package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dataledger/chaincode/domain"
)

// presentDocument posts a credential document of about size bytes to
// POST /api/v1/verify.
func presentDocument(t *testing.T, h http.Handler, size int) {
	t.Helper()
	doc := `{"docType":"` + domain.DocTypeCredential + `","channel":"nanning","pad":"` + strings.Repeat("x", size) + `"}`
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/api/v1/verify", strings.NewReader(doc)))
	if w.Code != http.StatusOK {
		t.Fatalf("verify a document: %d %.200s", w.Code, w.Body)
	}
}

// TestPresentedDocumentIsNotCached: a 1 MB document verified twice goes
// to the ledger twice and leaves nothing of itself in the cache (it was
// the key of an entry: 2 MB a request, by anyone, without a key).
func TestPresentedDocumentIsNotCached(t *testing.T) {
	mc := NewMemoryCache(1000)
	l, h, _ := cacheHarness(t, mc)
	presentDocument(t, h, 1<<20)
	presentDocument(t, h, 1<<20)
	if l.reads != 2 {
		t.Fatalf("%d ledger reads for two presentations: a verification of a document was served from the cache", l.reads)
	}
	mc.mu.Lock()
	defer mc.mu.Unlock()
	for k := range mc.entries {
		if len(k) > 256 {
			t.Fatalf("a cache key of %d bytes", len(k))
		}
	}
}

// TestRedisCacheKeysAreDigests: what the gateway keeps in Redis is keyed
// by a fixed-length digest of the function and its arguments, never by the
// arguments themselves. Its own database (11) and generation keep it apart
// from other tests.
func TestRedisCacheKeysAreDigests(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 11})
	defer c.Close()
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at 127.0.0.1:6379 is required (scripts/test.sh starts it): %v", err)
	}
	_ = c.Del(ctx, "dl:gen:nanning").Err()
	_, h, _ := cacheHarness(t, RedisCache{C: c})
	verifyStatus(t, h)
	presentDocument(t, h, 64<<10)
	gen, err := c.Get(ctx, "dl:gen:nanning").Result()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, "dl:c:nanning|"+gen+"|*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("nothing was cached")
	}
	digest := regexp.MustCompile(`^dl:c:nanning\|[0-9a-f]{24}\|[0-9]{8}\|[0-9a-f]{64}$`) // channel, generation, China-time day, digest
	for _, k := range keys {
		if !digest.MatchString(k) {
			t.Fatalf("a Redis cache key that is not a digest (%d bytes): %.120q", len(k), k)
		}
	}
}

// TestMemoryCacheIsBoundedByBytes: an entry bound let 100 000 answers of
// any size stay; the default byte bound holds whatever their size, the
// newest stay, and an answer larger than the bound is not kept.
func TestMemoryCacheIsBoundedByBytes(t *testing.T) {
	ctx := context.Background()
	mc := NewMemoryCache(100_000)
	value := make([]byte, 1<<20)
	const n = 100
	for i := 0; i < n; i++ {
		_ = mc.Set(ctx, "k"+strconv.Itoa(i), value, time.Minute)
	}
	kept := 0
	for i := 0; i < n; i++ {
		if _, ok, _ := mc.Get(ctx, "k"+strconv.Itoa(i)); ok {
			kept++
		}
	}
	if kept*len(value) > DefaultCacheBytes {
		t.Fatalf("%d MB kept in the cache (bound %d MB)", kept, DefaultCacheBytes>>20)
	}
	if _, ok, _ := mc.Get(ctx, "k"+strconv.Itoa(n-1)); !ok {
		t.Fatal("the newest entry was evicted")
	}
	small := NewSizedMemoryCache(1000, 1<<20)
	for i := 0; i < 50; i++ {
		_ = small.Set(ctx, "k"+strconv.Itoa(i), make([]byte, 100<<10), time.Minute)
		if _, b := small.Stats(); b > 1<<20 {
			t.Fatalf("%d bytes in a cache bound to 1 MB", b)
		}
	}
	_ = small.Set(ctx, "huge", make([]byte, 2<<20), time.Minute)
	if _, ok, _ := small.Get(ctx, "huge"); ok {
		t.Fatal("an entry larger than the bound was kept")
	}
}

// TestMemoryCacheDropsExpiredEntries: an expired entry is not answered
// and does not stay, whether asked for again or not.
func TestMemoryCacheDropsExpiredEntries(t *testing.T) {
	ctx := context.Background()
	mc := NewMemoryCache(1000)
	_ = mc.Set(ctx, "asked", []byte("v"), 50*time.Millisecond)
	for i := 0; i < 100; i++ {
		_ = mc.Set(ctx, "never-asked-"+strconv.Itoa(i), []byte("v"), 50*time.Millisecond)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, ok, _ := mc.Get(ctx, "asked"); ok {
		t.Fatal("an expired entry was answered")
	}
	_ = mc.Set(ctx, "fresh", []byte("v"), time.Minute)
	mc.mu.Lock()
	left := len(mc.entries)
	mc.mu.Unlock()
	if left != 1 {
		t.Fatalf("%d entries left; only the fresh one is live", left)
	}
}

package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dataledger/chaincode/domain"
	"dataledger/network"
)

// statusLedger answers verifications with a status it holds, like the
// ledger after a write changed it.
type statusLedger struct {
	fakeLedger
	mu     sync.Mutex
	status string
	reads  int
}

func (s *statusLedger) Evaluate(_ context.Context, who Identity, channel, fn string, args ...string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	return json.Marshal(domain.Verification{Status: s.status, Reason: "because " + s.status, ReasonZh: "原因：" + s.status, Number: args[0], Channel: channel, TxID: "t"})
}

func (s *statusLedger) Submit(_ context.Context, who Identity, channel, fn string, args ...string) (*network.Committed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = domain.VerifyRevoked
	return &network.Committed{Channel: channel, TxID: "tx2", BlockNumber: 9, Result: []byte(`{}`)}, nil
}

func cacheHarness(t *testing.T, cache Cache) (*statusLedger, http.Handler, string) {
	t.Helper()
	ks, _ := OpenKeyStore(filepath.Join(t.TempDir(), "k.json"))
	issuer, _, _ := ks.Create("CityAMSP", RoleIssuer)
	acl, _ := LoadACL(nil)
	cfg := DefaultConfig()
	cfg.Cache = cache
	l := &statusLedger{status: domain.VerifyValid}
	srv := NewServer(cfg, acl, ks, l, slog.New(slog.DiscardHandler))
	r, err := srv.Router()
	if err != nil {
		t.Fatal(err)
	}
	// The public router, with /metrics taken from the admin listener's.
	mux := http.NewServeMux()
	mux.Handle("/metrics", srv.AdminRouter())
	mux.Handle("/", r)
	return l, mux, issuer
}

func verifyStatus(t *testing.T, h http.Handler) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/verify/"+credNumber, nil))
	var v VerifyResponse
	_ = json.Unmarshal(w.Body.Bytes(), &v)
	return v.Status
}

func revokeThroughGateway(t *testing.T, h http.Handler, key string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/credentials/"+credNumber+"/status", strings.NewReader(`{"action":"revoke","reason":"违规"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
}

// checkNoStaleValid: cached reads skip the ledger; after a write through
// the gateway, the very next verification reads the new status.
func checkNoStaleValid(t *testing.T, cache Cache) {
	l, h, issuer := cacheHarness(t, cache)
	if verifyStatus(t, h) != domain.VerifyValid || verifyStatus(t, h) != domain.VerifyValid {
		t.Fatal("valid before the revocation")
	}
	if l.reads != 1 {
		t.Fatalf("the second verification went to the ledger (%d reads)", l.reads)
	}
	revokeThroughGateway(t, h, issuer)
	var wg sync.WaitGroup
	var mu sync.Mutex
	valid := 0
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if verifyStatus(t, h) == domain.VerifyValid {
				mu.Lock()
				valid++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if valid != 0 {
		t.Fatalf("%d verifications after the revocation answered valid", valid)
	}
}

func TestMemoryCacheNeverServesAStaleValid(t *testing.T) { checkNoStaleValid(t, NewMemoryCache(1000)) }

// TestRedisCacheNeverServesAStaleValid uses the Redis of this machine
// (127.0.0.1:6379), in its own key space per test run.
func TestRedisCacheNeverServesAStaleValid(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at 127.0.0.1:6379 is required (scripts/test.sh starts it): %v", err)
	}
	// Entries of earlier runs may be in Redis; deleting the generation
	// (as an eviction would) must not bring them back.
	_ = c.Del(context.Background(), "dl:gen:nanning").Err()
	checkNoStaleValid(t, RedisCache{C: c})
}

// TestCacheDownMeansLedger: with Redis unreachable, every verification is
// answered from the ledger, correctly, without an error.
func TestCacheDownMeansLedger(t *testing.T) {
	dead := RedisCache{C: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond, MaxRetries: -1})}
	l, h, issuer := cacheHarness(t, dead)
	for i := 0; i < 3; i++ {
		if got := verifyStatus(t, h); got != domain.VerifyValid {
			t.Fatalf("with the cache down: %q", got)
		}
	}
	if l.reads != 3 {
		t.Fatalf("reads %d: every verification must go to the ledger", l.reads)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/credentials/"+credNumber+"/status", strings.NewReader(`{"action":"revoke","reason":"违规"}`))
	req.Header.Set("Authorization", "Bearer "+issuer)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if got := verifyStatus(t, h); got != domain.VerifyRevoked {
		t.Fatalf("after a revocation with the cache down: %q", got)
	}
}

// flakyCache fails while down is set, like a Redis restart.
type flakyCache struct {
	*MemoryCache
	down bool
}

func (f *flakyCache) err() error {
	if f.down {
		return context.DeadlineExceeded
	}
	return nil
}
func (f *flakyCache) Generation(ctx context.Context, ch string) (string, error) {
	if err := f.err(); err != nil {
		return "", err
	}
	return f.MemoryCache.Generation(ctx, ch)
}
func (f *flakyCache) Bump(ctx context.Context, ch string) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.MemoryCache.Bump(ctx, ch)
}

// TestCacheBackAfterAnOutageServesNoStaleValid: a revocation while the
// cache is down; the cache comes back still holding "valid" under the old
// generation; the next verification must not see it.
func TestCacheBackAfterAnOutageServesNoStaleValid(t *testing.T) {
	fc := &flakyCache{MemoryCache: NewMemoryCache(100)}
	_, h, issuer := cacheHarness(t, fc)
	if verifyStatus(t, h) != domain.VerifyValid {
		t.Fatal("valid first")
	}
	fc.down = true
	revokeThroughGateway(t, h, issuer)
	fc.down = false
	if got := verifyStatus(t, h); got != domain.VerifyRevoked {
		t.Fatalf("after the cache came back: %q", got)
	}
}

// A verification answers in the caller's language: Chinese unless English
// is preferred; each language is cached apart, and both sentences are
// always in the answer.
func TestVerificationAnswersInTheCallersLanguage(t *testing.T) {
	l, h, _ := cacheHarness(t, NewMemoryCache(1000))
	for _, tc := range []struct{ accept, message, lang string }{
		{"", "原因：valid", "zh-CN"},
		{"en-US,en;q=0.9", "because valid", "en"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "原因：valid", "zh-CN"},
		{"fr-FR, en;q=0.5", "because valid", "en"},
		{"en", "because valid", "en"}, // cached apart from the Chinese answer
		{"", "原因：valid", "zh-CN"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/verify/"+credNumber, nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Language", tc.accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var v VerifyResponse
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || w.Code != http.StatusOK {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if v.Message != tc.message || v.Reason != "because valid" || v.ReasonZh != "原因：valid" || w.Header().Get("Content-Language") != tc.lang || w.Header().Get("Vary") != "Accept-Language" {
			t.Fatalf("Accept-Language %q: message %q (reason %q, reasonZh %q), Content-Language %q, Vary %q", tc.accept, v.Message, v.Reason, v.ReasonZh, w.Header().Get("Content-Language"), w.Header().Get("Vary"))
		}
	}
	if l.reads != 1 { // the second language is rendered from the cached chaincode answer
		t.Fatalf("%d ledger reads for one verification in two languages", l.reads)
	}
}

// The gateway reads a verification's head only (verificationHead): the
// members it needs must be encoded before the links and the record.
func TestVerificationHeadComesFirst(t *testing.T) {
	v := domain.Verification{Status: "valid", Reason: "r", ReasonZh: "理由", Number: "n", Channel: "c", TxID: "t", Time: "x", KeyID: "k",
		Links: []domain.Link{{Kind: "party", Reason: "x"}}, Record: json.RawMessage(`{"txId":"not this one"}`)}
	raw, _ := json.Marshal(v)
	h, err := verificationHead(raw)
	if err != nil || h != (answerHead{TxID: "t", Reason: "r", ReasonZh: "理由"}) {
		t.Fatalf("head of %s: %+v %v", raw, h, err)
	}
	nf, _ := json.Marshal(domain.NotFoundVerification(domain.LinkCredential, "SQ-1", "nanning"))
	if h, err := verificationHead(nf); err != nil || h.TxID != "" || h.Reason == "" || h.ReasonZh == "" {
		t.Fatalf("head of a not-found answer: %+v %v", h, err)
	}
	for _, bad := range []string{`[]`, `{"reason":1}`, `{"reason":"a"`, ``} {
		if _, err := verificationHead([]byte(bad)); err == nil && bad != `{"reason":"a"` {
			t.Errorf("%q read as a verification", bad)
		}
	}
}

func BenchmarkVerificationHead(b *testing.B) {
	links := make([]domain.Link, 6)
	for i := range links {
		links[i] = domain.Link{Kind: "agreement", Number: "XY-450100-2026-ABCDEFGH-1", Reason: strings.Repeat("理由", 40), ReasonZh: strings.Repeat("理由", 40)}
	}
	raw, _ := json.Marshal(domain.Verification{Status: "valid", Reason: "r", ReasonZh: "理由", TxID: "t", Links: links, Record: json.RawMessage(`{"document":{"x":"` + strings.Repeat("y", 3000) + `"}}`)})
	b.Run("head", func(b *testing.B) {
		for b.Loop() {
			_, _ = verificationHead(raw)
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		for b.Loop() {
			var h struct{ TxID, Reason, ReasonZh string }
			_ = json.Unmarshal(raw, &h)
		}
	})
}

// Cached answers are kept per China-time day: a term that ends at midnight
// is not answered from yesterday's entry.
func TestCacheDayIsChinaTime(t *testing.T) {
	if a, b := cacheDay(time.Date(2026, 12, 1, 15, 59, 59, 0, time.UTC)), cacheDay(time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)); a != "20261201" || b != "20261202" {
		t.Fatalf("cacheDay around midnight CST: %s, %s", a, b)
	}
}

// calendarProfile is the fake channels' profile: 10 working days at most.
var calendarProfile = domain.Profile{FilingDeadlineWorkingDays: 10}

// calendarLedger has the calendars of some years on two channels.
type calendarLedger struct {
	fakeLedger
	years map[int]bool
}

func (c *calendarLedger) Channels(Identity) []string { return []string{"nanning", "liuzhou"} }

func (c *calendarLedger) Evaluate(_ context.Context, _ Identity, channel, fn string, args ...string) ([]byte, error) {
	if fn == network.Tx.GetProfile().Fn {
		return json.Marshal(domain.ProfileRecord{Channel: channel, Profile: calendarProfile})
	}
	y, _ := strconv.Atoi(args[0])
	if fn != network.Tx.GetCalendar(0).Fn || !c.years[y] {
		return nil, domain.NotFound(domain.RuleCalendarYear, "year", "no calendar is loaded for %d on channel %s", y, channel)
	}
	return json.Marshal(domain.Calendar{Year: y})
}

// /readyz warns of the calendars the channels lack, read in the background
// (the first probe starts it), with a dataledger_calendar_missing series
// each; the gaps are domain.CalendarGaps' at this moment.
func TestReadyzWarnsOfMissingCalendars(t *testing.T) {
	now := time.Now()
	l := &calendarLedger{years: map[int]bool{now.In(domain.CST).Year() - 1: true}} // not this year's: a gap every day of the year
	ks, _ := OpenKeyStore(filepath.Join(t.TempDir(), "k.json"))
	acl, _ := LoadACL(nil)
	srv := NewServer(DefaultConfig(), acl, ks, l, slog.New(slog.DiscardHandler))
	admin := srv.AdminRouter()
	var want []domain.CalendarGap
	for _, ch := range l.Channels(Identity{}) {
		want = append(want, domain.CalendarGaps(ch, now, calendarProfile.Reach(), func(y int) bool { return l.years[y] })...)
	}
	var got struct {
		Warnings []domain.CalendarGap `json:"warnings"`
	}
	for deadline := time.Now().Add(5 * time.Second); len(got.Warnings) < len(want) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		w := httptest.NewRecorder()
		admin.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if w.Code != http.StatusOK {
			t.Fatalf("/readyz: %d %s", w.Code, w.Body)
		}
		_ = json.Unmarshal(w.Body.Bytes(), &got)
	}
	if len(want) < 2 || fmt.Sprint(got.Warnings) != fmt.Sprint(want) {
		t.Fatalf("/readyz warns %+v, want %+v", got.Warnings, want)
	}
	w := httptest.NewRecorder()
	admin.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, g := range want {
		if series := fmt.Sprintf(`dataledger_calendar_missing{channel=%q,year="%d"} 1`, g.Channel, g.Year); !strings.Contains(w.Body.String(), series) {
			t.Fatalf("no %s", series)
		}
	}
}

package gateway

import (
	"container/list"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"dataledger/chaincode/domain"
	"dataledger/network"
)

// Cache is where lookups and verifications are kept. Entries are keyed by
// a per-channel generation: bumping it makes every cached answer of that
// channel unreachable at once, so no stale "valid" survives a change.
type Cache interface {
	Generation(ctx context.Context, channel string) (string, error)
	Bump(ctx context.Context, channel string) error
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

// DefaultCacheBytes bounds the in-process cache's keys and values.
const DefaultCacheBytes = 64 << 20

// entryOverhead is what an entry costs besides its key and value (map
// slot, list element, times), counted against the byte bound.
const entryOverhead = 96

// MemoryCache is the embedded default: an in-process map bounded by
// entries and by bytes, least recently used evicted first; expired entries
// are dropped when asked for and swept at most once a second on Set.
type MemoryCache struct {
	mu       sync.Mutex
	gens     map[string]int64
	entries  map[string]*list.Element // of *memEntry
	lru      *list.List               // front: most recently used
	max      int
	maxBytes int64
	bytes    int64
	swept    time.Time
}

type memEntry struct {
	key     string
	value   []byte
	expires time.Time
}

func (e *memEntry) size() int64 { return int64(len(e.key) + len(e.value) + entryOverhead) }

// NewMemoryCache keeps at most max entries and DefaultCacheBytes.
func NewMemoryCache(max int) *MemoryCache { return NewSizedMemoryCache(max, DefaultCacheBytes) }

// NewSizedMemoryCache keeps at most max entries and maxBytes of keys and
// values (DefaultCacheBytes if maxBytes <= 0).
func NewSizedMemoryCache(max int, maxBytes int64) *MemoryCache {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	return &MemoryCache{gens: map[string]int64{}, entries: map[string]*list.Element{}, lru: list.New(), max: max, maxBytes: maxBytes}
}

// Stats tells how many entries the cache holds and their bytes.
func (m *MemoryCache) Stats() (entries int, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries), m.bytes
}

func (m *MemoryCache) Generation(_ context.Context, ch string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strconv.FormatInt(m.gens[ch], 10), nil
}

func (m *MemoryCache) Bump(_ context.Context, ch string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gens[ch]++
	prefix := ch + "|"
	for k, el := range m.entries { // the old generation's entries are unreachable: free them
		if strings.HasPrefix(k, prefix) {
			m.remove(el)
		}
	}
	return nil
}

func (m *MemoryCache) remove(el *list.Element) {
	e := m.lru.Remove(el).(*memEntry)
	delete(m.entries, e.key)
	m.bytes -= e.size()
}

func (m *MemoryCache) Get(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.entries[key]
	if !ok {
		return nil, false, nil
	}
	e := el.Value.(*memEntry)
	if time.Now().After(e.expires) {
		m.remove(el)
		return nil, false, nil
	}
	m.lru.MoveToFront(el)
	return e.value, true, nil
}

func (m *MemoryCache) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if el, ok := m.entries[key]; ok {
		m.remove(el)
	}
	e := &memEntry{key: key, value: value, expires: now.Add(ttl)}
	if e.size() > m.maxBytes || m.max <= 0 {
		return nil // larger than the whole cache: not kept
	}
	if now.Sub(m.swept) >= time.Second {
		m.swept = now
		for el := m.lru.Front(); el != nil; {
			next := el.Next()
			if now.After(el.Value.(*memEntry).expires) {
				m.remove(el)
			}
			el = next
		}
	}
	for m.lru.Len() > 0 && (m.bytes+e.size() > m.maxBytes || len(m.entries) >= m.max) {
		m.remove(m.lru.Back()) // the cache is a shortcut, never the truth
	}
	m.entries[key] = m.lru.PushFront(e)
	m.bytes += e.size()
	return nil
}

// RedisCache keeps generations and entries in Redis, shared by every
// gateway process. A generation is a random token, never a counter: if
// Redis loses or evicts it, the new token matches no old entry.
//
// Redis is not trusted with the answers: every value is stored behind an
// HMAC-SHA256 over its key and itself, under a key only the gateways hold
// (MACKey). A value whose MAC does not verify (planted by whoever can
// write to Redis, or written under another key) is never served: Get
// reports ErrCacheForged and the ledger answers.
type RedisCache struct {
	C *redis.Client
	// MACKey authenticates the values; every gateway sharing the Redis
	// needs the same one. Empty: a key random to this process (its
	// entries are then misses for other processes, and after a restart).
	MACKey []byte
	// Log, if set, hears of the first value whose MAC does not verify.
	Log *slog.Logger
}

// ErrCacheForged: a cached value did not carry the gateway's MAC.
var ErrCacheForged = errors.New("a cached value whose MAC does not verify")

// processMACKey is the key of a RedisCache given none.
var processMACKey = sync.OnceValue(func() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return b
})

// forgedLogged: a forged value is logged once per process, counted always
// (dataledger_cache_lookups_total{outcome="forged"}).
var forgedLogged atomic.Bool

func (r RedisCache) mac(key string, value []byte) []byte {
	k := r.MACKey
	if len(k) == 0 {
		k = processMACKey()
	}
	h := hmac.New(sha256.New, k)
	var n [8]byte
	h.Write([]byte("dataledger cache v1\x00"))
	binary.BigEndian.PutUint64(n[:], uint64(len(key)))
	h.Write(n[:])
	h.Write([]byte(key))
	h.Write(value)
	return h.Sum(nil)
}

func token() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (r RedisCache) Generation(ctx context.Context, ch string) (string, error) {
	v, err := r.C.Get(ctx, "dl:gen:"+ch).Result()
	if err != redis.Nil {
		return v, err
	}
	if err := r.C.SetNX(ctx, "dl:gen:"+ch, token(), 0).Err(); err != nil {
		return "", err
	}
	return r.C.Get(ctx, "dl:gen:"+ch).Result()
}

func (r RedisCache) Bump(ctx context.Context, ch string) error {
	return r.C.Set(ctx, "dl:gen:"+ch, token(), 0).Err()
}

func (r RedisCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := r.C.Get(ctx, "dl:c:"+key).Bytes()
	if err == redis.Nil {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if len(v) < sha256.Size || !hmac.Equal(v[:sha256.Size], r.mac(key, v[sha256.Size:])) {
		if r.Log != nil && forgedLogged.CompareAndSwap(false, true) {
			r.Log.Warn("a value in the Redis cache does not carry this gateway's MAC: ignored (planted, or written by a gateway with another redis_mac_key); further ones are only counted",
				"metric", `dataledger_cache_lookups_total{outcome="forged"}`)
		}
		return nil, false, ErrCacheForged
	}
	return v[sha256.Size:], true, nil
}

func (r RedisCache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return r.C.Set(ctx, "dl:c:"+key, append(r.mac(key, value), value...), ttl).Err()
}

// cacheable are the read-only chaincode functions whose answers are kept:
// the contract's queries, as the typed client declares them.
// A verification of a presented document is not: its argument is the
// whole document (up to the body limit), it is rarely asked twice, and a
// caller could fill the cache with documents of its own.
func cacheable(fn string) bool { return network.IsQuery(fn) && !uncached[fn] }

var uncached = map[string]bool{
	network.Tx.VerifyCredentialDocument("").Fn:  true,
	network.Tx.VerifyCertificateDocument("").Fn: true,
}

// digest names a cached answer by the SHA-256 of its name and arguments,
// each length-prefixed (no two lists share one): an entry's key is fixed
// length whatever the arguments, and holds none of them.
func digest(name string, args []string) string {
	h := sha256.New()
	var n [8]byte
	for _, part := range append([]string{name}, args...) {
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cachedLedger is read-through: a cached answer is served only under the
// channel's current generation; a write through the gateway bumps the
// generation after it commits and before the caller hears back; the event
// listener bumps it for writes made elsewhere. Any cache failure means the
// ledger answers (never an error to the user, never a stale answer).
type cachedLedger struct {
	Ledger
	cache  Cache
	blocks *MemoryCache // transaction → block number: immutable, kept in process whatever the cache
	ttl    time.Duration
	flight singleflight.Group
	m      *metrics
	mu     sync.Mutex
	dirty  map[string]bool // channels whose bump failed: no cached answer until one succeeds
	public Identity        // whose answers every public caller shares
}

// clean tells whether the channel's cache may be used, retrying a bump
// that failed earlier.
func (c *cachedLedger) clean(ctx context.Context, channel string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty[channel] {
		return true
	}
	if c.cache.Bump(ctx, channel) != nil {
		return false
	}
	delete(c.dirty, channel)
	return true
}

func (c *cachedLedger) Evaluate(ctx context.Context, who Identity, channel, fn string, args ...string) ([]byte, error) {
	if !cacheable(fn) {
		return c.Ledger.Evaluate(ctx, who, channel, fn, args...)
	}
	return c.Memo(ctx, who, channel, fn, args, func() ([]byte, error) { return c.Ledger.Evaluate(ctx, who, channel, fn, args...) })
}

// cacheDay is the China-time date of t, as cache keys carry it.
func cacheDay(t time.Time) string { return t.In(domain.CST).Format("20060102") }

// Memo is the read-through cache for anything derived from a channel's
// state (a chaincode answer, or a response built from it): compute's
// answer is kept under the channel's current generation and name+args.
// Without a cache (--no-cache) every call computes, uncoalesced.
func (c *cachedLedger) Memo(ctx context.Context, who Identity, channel, name string, args []string, compute func() ([]byte, error)) ([]byte, error) {
	if err := c.Ledger.Member(who, channel); err != nil {
		return nil, err
	}
	if _, off := c.cache.(NoCache); off {
		return compute()
	}
	gen, err := c.cache.Generation(ctx, channel)
	if err != nil || !c.clean(ctx, channel) {
		c.m.cache.WithLabelValues("unavailable").Inc()
		return compute()
	}
	// The China-time date is in the key: a status derived from terms and
	// validity dates (expired, authorization-ended at a term's end) changes
	// at midnight with no write, so no answer outlives its day.
	key := channel + "|" + gen + "|" + cacheDay(time.Now()) + "|" + digest(name, args)
	if who.Enterprise() || who != c.public {
		// An enterprise's answers are its own (the chaincode gives it only
		// what is public or its own), and a collection member's regime
		// role reads records whole that the public reads as their public
		// view (docs/PRIVACY.md): an answer is cached for its identity
		// only, the public's shared by every public caller.
		key += "|" + who.Org + "/" + who.User
	}
	v, ok, err := c.cache.Get(ctx, key)
	if err == nil && ok {
		c.m.cache.WithLabelValues("hit").Inc()
		return v, nil
	}
	c.countForged(err)
	c.m.cache.WithLabelValues("miss").Inc()
	res, err, _ := c.flight.Do(key, func() (any, error) { // one computation for a cold key, however many ask
		out, err := compute()
		if err == nil {
			_ = c.cache.Set(ctx, key, out, c.ttl)
		}
		return out, err
	})
	if err != nil {
		return nil, err
	}
	return res.([]byte), nil
}

func (c *cachedLedger) Submit(ctx context.Context, who Identity, channel, fn string, args ...string) (*network.Committed, error) {
	res, err := c.Ledger.Submit(ctx, who, channel, fn, args...)
	c.afterWrite(ctx, channel, res, err)
	return res, err
}

func (c *cachedLedger) SubmitOwnTxID(ctx context.Context, who Identity, channel, fn string, build func(string) ([]string, error)) (*network.Committed, error) {
	res, err := c.Ledger.SubmitOwnTxID(ctx, who, channel, fn, build)
	c.afterWrite(ctx, channel, res, err)
	return res, err
}

// afterWrite runs once a write committed: it waits until every peer the
// gateway reads from has the write's block (otherwise the next read could
// fetch, and cache under the new generation, the state before it), then
// bumps the channel's generation.
//
// A write that committed and then failed (reading a private record back)
// bumps too.
func (c *cachedLedger) afterWrite(ctx context.Context, channel string, res *network.Committed, err error) {
	if err != nil && (res == nil || res.TxID == "") {
		return
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if werr := c.Ledger.WaitCommitted(wait, channel, res.BlockNumber); werr != nil {
		c.m.cache.WithLabelValues("peer_lagging").Inc()
	}
	if c.cache.Bump(ctx, channel) != nil {
		// The write committed; the cache could not hear of it. Until a
		// bump succeeds, this channel's reads bypass the cache here, and
		// the event listener keeps retrying for every gateway sharing it.
		c.m.cache.WithLabelValues("bump_failed").Inc()
		c.mu.Lock()
		if c.dirty == nil {
			c.dirty = map[string]bool{}
		}
		c.dirty[channel] = true
		c.mu.Unlock()
	}
}

// countForged counts a cached value refused for its MAC.
func (c *cachedLedger) countForged(err error) {
	if errors.Is(err, ErrCacheForged) {
		c.m.cache.WithLabelValues("forged").Inc()
	}
}

// NoCache caches nothing: every lookup is answered by the ledger (for
// measuring the uncached path).
type NoCache struct{}

func (NoCache) Generation(context.Context, string) (string, error) { return "", nil }
func (NoCache) Bump(context.Context, string) error                 { return nil }
func (NoCache) Get(context.Context, string) ([]byte, bool, error)  { return nil, false, nil }
func (NoCache) Set(context.Context, string, []byte, time.Duration) error {
	return nil
}

// Block caches a transaction's block number: it never changes once
// committed, so it needs no generation, and it is kept in process even
// when the shared cache is Redis or off (--no-cache then measures one
// ledger evaluation per verification, not two).
func (c *cachedLedger) Block(ctx context.Context, who Identity, channel, txID string) (uint64, error) {
	if err := c.Ledger.Member(who, channel); err != nil {
		return 0, err
	}
	key := "block|" + channel + "|" + digest("block", []string{txID})
	for _, cache := range []Cache{c.blocks, c.cache} {
		v, ok, err := cache.Get(ctx, key)
		c.countForged(err)
		if err == nil && ok {
			if n, err := strconv.ParseUint(string(v), 10, 64); err == nil {
				c.m.cache.WithLabelValues("hit").Inc()
				_ = c.blocks.Set(ctx, key, v, 24*time.Hour)
				return n, nil
			}
		}
	}
	n, err := c.Ledger.Block(ctx, who, channel, txID)
	if err == nil {
		v := []byte(strconv.FormatUint(n, 10))
		_ = c.blocks.Set(ctx, key, v, 24*time.Hour)
		_ = c.cache.Set(ctx, key, v, 24*time.Hour)
	}
	return n, err
}

package gateway

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
)

// IdempotencyStore remembers write requests by (caller, Idempotency-Key):
// an append-only file of JSON lines, replayed at start, so a retry after a
// gateway restart still finds the first answer. The caller is the API
// key, or for the public the client address, so one caller can neither
// replay nor block another's key. A record expires after its TTL (the key
// is then new again), and the file is rewritten with the live records
// once it holds more dead lines than live ones, so it does not grow
// forever.
type IdempotencyStore struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	ttl     time.Duration
	now     func() time.Time // time.Now; a test's clock
	entries map[string]*idemEntry
	lines   int       // whole lines in the file
	swept   time.Time // when expired entries were last dropped
	// full is set when a write failed: until the file system has room
	// again (minFree, checked at most every fullRecheck), new keys are
	// refused without writing. A full disk can still take a short line in
	// the slack of the file's last block, so "a write succeeded" does not
	// mean there is room for the next one.
	full      bool
	checkedAt time.Time
}

const (
	minFree     = 16 << 10 // bytes free before a full store takes new keys again
	fullRecheck = 250 * time.Millisecond
)

// roomless tells whether the store's file system is still out of room
// after a failed write.
func (s *IdempotencyStore) roomless(now time.Time) bool {
	if !s.full {
		return false
	}
	if now.Sub(s.checkedAt) < fullRecheck {
		return true
	}
	s.checkedAt = now
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(s.path), &st); err == nil && st.Bavail*uint64(st.Bsize) >= minFree {
		s.full = false
	}
	return s.full
}

type idemEntry struct {
	Key      string          `json:"key"`
	BodyHash string          `json:"bodyHash"`
	Token    string          `json:"token,omitempty"`  // the request's whose record it is
	Status   int             `json:"status,omitempty"` // 0 while pending
	Response json.RawMessage `json:"response,omitempty"`
	Released bool            `json:"released,omitempty"` // no definite answer (5xx): the key is free again
	At       int64           `json:"at,omitempty"`       // Unix seconds when written; lines without it (older gateways) count from the load
}

// DefaultIdempotencyTTL is how long a key's record is kept.
const DefaultIdempotencyTTL = 24 * time.Hour

// compactSlack is how many dead lines (superseded, released, expired) the
// file may hold beyond its live ones before it is rewritten.
var compactSlack = 1024

// OpenIdempotencyStore opens (or creates) the file and loads it, with
// records kept DefaultIdempotencyTTL.
func OpenIdempotencyStore(path string) (*IdempotencyStore, error) {
	return OpenIdempotencyStoreTTL(path, DefaultIdempotencyTTL)
}

// OpenIdempotencyStoreTTL opens (or creates) the file and loads the
// records younger than ttl.
func OpenIdempotencyStoreTTL(path string, ttl time.Duration) (*IdempotencyStore, error) {
	return openIdempotencyStore(path, ttl, time.Now)
}

func openIdempotencyStore(path string, ttl time.Duration, now func() time.Time) (*IdempotencyStore, error) {
	if ttl <= 0 {
		ttl = DefaultIdempotencyTTL
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	_ = os.Remove(path + ".compact") // a rewrite cut short by a crash: the file itself is whole
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	s := &IdempotencyStore{f: f, path: path, ttl: ttl, now: now, entries: map[string]*idemEntry{}}
	loaded := now().Unix()
	r := bufio.NewReaderSize(f, 64<<10)
	var whole int64 // bytes up to the last complete line
	for {
		line, err := r.ReadBytes('\n')
		if err != nil { // EOF: a line without its newline is torn (a crash mid-write)
			break
		}
		whole += int64(len(line))
		s.lines++
		var e idemEntry
		switch {
		case json.Unmarshal(line, &e) != nil:
		case e.Released:
			delete(s.entries, e.Key)
		default:
			if e.At == 0 {
				e.At = loaded
			}
			s.entries[e.Key] = &e
		}
	}
	// Cut a torn tail, so the next line does not glue onto it.
	if err := f.Truncate(whole); err != nil {
		f.Close()
		return nil, err
	}
	s.sweep(now())
	return s, nil
}

func (s *IdempotencyStore) expired(e *idemEntry, now time.Time) bool {
	return now.Sub(time.Unix(e.At, 0)) >= s.ttl
}

// sweep drops expired records and rewrites the file when it holds more
// dead lines than live ones (and more than compactSlack). Called with mu
// held, at most once a minute from requests.
func (s *IdempotencyStore) sweep(now time.Time) {
	s.swept = now
	for k, e := range s.entries {
		if s.expired(e, now) {
			delete(s.entries, k)
		}
	}
	if dead := s.lines - len(s.entries); dead > compactSlack && dead > len(s.entries) {
		_ = s.compact() // if it fails, the old file stays whole and appends go on to it
	}
}

// compact writes the live records to a new file, syncs it and renames it
// over the old one: a crash at any point leaves either file whole. The
// new file's handle becomes the one appended to.
func (s *IdempotencyStore) compact() error {
	tmp := s.path + ".compact"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 64<<10)
	for _, e := range s.entries {
		b, _ := json.Marshal(e)
		_, _ = w.Write(append(b, '\n'))
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		f.Close()
		_ = os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(s.path)); err == nil { // the rename itself survives a crash
		_ = d.Sync()
		d.Close()
	}
	s.f.Close()
	s.f, s.lines = f, len(s.entries)
	return nil
}

// Close closes the file.
func (s *IdempotencyStore) Close() error { return s.f.Close() }

// append writes one line and syncs it; a line that could not be written
// whole (a full disk) is cut off again, so the file never holds a torn
// line between whole ones.
func (s *IdempotencyStore) append(e *idemEntry) error {
	b, _ := json.Marshal(e)
	end, err := s.f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if _, err = s.f.Write(append(b, '\n')); err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		_ = s.f.Truncate(end)
		s.full, s.checkedAt = true, s.now()
		return err
	}
	s.lines++
	return nil
}

// capture records what a handler writes.
type capture struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (c *capture) Write(b []byte) (int, error) {
	c.buf.Write(b)
	return c.ResponseWriter.Write(b)
}

// IdempotencyRecords keep write requests by (caller, Idempotency-Key)
// for the idempotency middleware: IdempotencyStore, a file of one gateway,
// or a database its instances share (package pgstate), so that a retry
// landing on another instance replays the first answer.
type IdempotencyRecords interface {
	// Begin records key as pending for the request whose hash is given,
	// under a new token, unless a live record holds the key: then it
	// answers that record and records nothing. An error means nothing was
	// recorded (the request is refused and nothing is submitted); its text
	// says why, as in "its state directory is full", and names no secret.
	Begin(key, hash string) (token string, prior *IdempotencyRecord, err error)
	// Finish records the definite answer to the request Begin recorded
	// under token (a record another request took since, the first one's
	// having expired, is left alone). A failure leaves the key pending: a
	// retry is told to read the record first.
	Finish(key, token string, status int, response []byte) error
	// Release frees a key Begin recorded under token whose request had no
	// definite answer (a 5xx), so that a retry submits it.
	Release(key, token string) error
}

// IdempotencyRecord is what the records hold for a key: the request's
// hash and, once answered, its status and body (Status 0 while pending).
type IdempotencyRecord struct {
	BodyHash string
	Status   int
	Response []byte
}

// NewIdempotencyToken is a random token that tells one request's record
// of a key from another's.
func NewIdempotencyToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Begin implements IdempotencyRecords.
func (s *IdempotencyStore) Begin(key, hash string) (string, *IdempotencyRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.Sub(s.swept) >= time.Minute {
		s.sweep(now)
	}
	if e, ok := s.entries[key]; ok && !s.expired(e, now) {
		return "", &IdempotencyRecord{BodyHash: e.BodyHash, Status: e.Status, Response: e.Response}, nil
	}
	if s.roomless(now) {
		return "", nil, errors.New("its state directory is full")
	}
	pending := &idemEntry{Key: key, BodyHash: hash, Token: NewIdempotencyToken(), At: now.Unix()}
	if err := s.append(pending); err != nil {
		return "", nil, errors.New("its state directory is not writable")
	}
	s.entries[key] = pending
	return pending.Token, nil, nil
}

// ErrSuperseded: the key's record is another request's now (Finish and
// Release of every IdempotencyRecords).
var ErrSuperseded = errors.New("the key's record is another request's now (this one's expired)")

// Finish implements IdempotencyRecords.
func (s *IdempotencyStore) Finish(key, token string, status int, response []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key]
	if e == nil || e.Token != token || e.Status != 0 {
		return ErrSuperseded
	}
	done := &idemEntry{Key: key, BodyHash: e.BodyHash, Token: token, Status: status, Response: json.RawMessage(response), At: s.now().Unix()}
	s.entries[key] = done // known to this process even if the line cannot be written (then a retry after a restart reads 409)
	return s.append(done)
}

// Release implements IdempotencyRecords.
func (s *IdempotencyStore) Release(key, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[key]; e == nil || e.Token != token || e.Status != 0 {
		return ErrSuperseded
	}
	delete(s.entries, key)
	return s.append(&idemEntry{Key: key, Released: true, At: s.now().Unix()}) // if this fails, a retry after a restart reads 409 (pending)
}

// detail is an error with the cause it wraps (a store's detail, such as a
// database's address: for the log only, never for the caller).
func detail(err error) string {
	if u := errors.Unwrap(err); u != nil {
		return fmt.Sprintf("%v: %v", err, u)
	}
	return err.Error()
}

// idempotent makes writes idempotent for callers that send an
// Idempotency-Key. It records the key as pending before the request goes
// on (records that cannot take it refuse the request, nothing is
// submitted), then the answer; a retry with the same key and body gets
// the first answer.
func idempotent(records IdempotencyRecords, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		idem := c.GetHeader("Idempotency-Key")
		if idem == "" || (c.Request.Method != http.MethodPost && c.Request.Method != http.MethodPut) {
			c.Next()
			return
		}
		if len(idem) > 128 {
			abort(c, fail(http.StatusBadRequest, "Idempotency-Key is longer than 128 characters"))
			return
		}
		body, ok := readBody(c, "body")
		if !ok {
			return
		}
		sum := sha256.Sum256(append([]byte(c.Request.Method+" "+c.Request.URL.Path+"\n"), body...))
		hash := hex.EncodeToString(sum[:])
		// Keys are the caller's own: an API key's, or a public client
		// address's (as Config.TrustedProxies resolves it).
		scope := c.GetString(ctxCaller)
		if c.GetString(ctxRole) == RolePublic {
			scope = RolePublic + "@" + clientKey(c.ClientIP())
		}
		key := scope + "|" + idem

		token, prior, err := records.Begin(key, hash)
		switch {
		case err != nil:
			log.Error("Idempotency-Key not recorded; the request is refused", "error", detail(err))
			abort(c, fail(http.StatusServiceUnavailable, "the gateway cannot record the Idempotency-Key ("+err.Error()+"); nothing was submitted"))
			return
		case prior == nil: // recorded as pending: go on
		case prior.BodyHash != hash:
			abort(c, fail(http.StatusUnprocessableEntity, "this Idempotency-Key was used for another request"))
			return
		case prior.Status == 0:
			abort(c, fail(http.StatusConflict, "a request with this Idempotency-Key is in progress, or its outcome was not recorded: read the record before retrying"))
			return
		default:
			c.Header("Idempotent-Replayed", "true")
			c.Data(prior.Status, "application/json", prior.Response)
			c.Abort()
			return
		}

		w := &capture{ResponseWriter: c.Writer}
		c.Writer = w
		c.Next()
		if w.Status() >= 500 { // not a definite answer: let a retry try again, also after a restart
			if err := records.Release(key, token); err != nil {
				log.Warn("Idempotency-Key not released", "error", detail(err),
					"consequence", "unless another request holds the key now, a retry is answered 409 until the record expires")
			}
			return
		}
		if err := records.Finish(key, token, w.Status(), w.buf.Bytes()); err != nil {
			log.Warn("Idempotency-Key answer not recorded", "status", w.Status(), "error", detail(err),
				"consequence", "unless another request holds the key now, a retry may be answered 409 until the record expires")
		}
	}
}

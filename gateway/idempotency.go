package gateway

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/gin-gonic/gin"
)

// IdempotencyStore remembers write requests by (caller, Idempotency-Key):
// an append-only file of JSON lines, replayed at start, so a retry after a
// gateway restart still finds the first answer.
type IdempotencyStore struct {
	mu      sync.Mutex
	f       *os.File
	entries map[string]*idemEntry
}

type idemEntry struct {
	Key      string          `json:"key"`
	BodyHash string          `json:"bodyHash"`
	Status   int             `json:"status,omitempty"` // 0 while pending
	Response json.RawMessage `json:"response,omitempty"`
}

// OpenIdempotencyStore opens (or creates) the file and loads it.
func OpenIdempotencyStore(path string) (*IdempotencyStore, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	s := &IdempotencyStore{f: f, entries: map[string]*idemEntry{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		var e idemEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil { // a torn last line (crash mid-write) is skipped
			s.entries[e.Key] = &e
		}
	}
	return s, nil
}

// Close closes the file.
func (s *IdempotencyStore) Close() error { return s.f.Close() }

func (s *IdempotencyStore) append(e *idemEntry) error {
	b, _ := json.Marshal(e)
	if _, err := s.f.Write(append(b, '\n')); err != nil {
		return err
	}
	return s.f.Sync()
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

// middleware makes writes idempotent for callers that send an
// Idempotency-Key. It records the key as pending before the request goes
// on (an unwritable store refuses the request, nothing is submitted), then
// the answer; a retry with the same key and body gets the first answer.
func (s *IdempotencyStore) middleware(c *gin.Context) {
	idem := c.GetHeader("Idempotency-Key")
	if idem == "" || (c.Request.Method != http.MethodPost && c.Request.Method != http.MethodPut) {
		c.Next()
		return
	}
	if len(idem) > 128 {
		abort(c, fail(http.StatusBadRequest, "Idempotency-Key is longer than 128 characters"))
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		abort(c, fail(http.StatusRequestEntityTooLarge, "the body is larger than the limit"))
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(append([]byte(c.Request.Method+" "+c.Request.URL.Path+"\n"), body...))
	key := c.GetString(ctxCaller) + "|" + idem
	hash := hex.EncodeToString(sum[:])

	s.mu.Lock()
	if e, ok := s.entries[key]; ok {
		s.mu.Unlock()
		switch {
		case e.BodyHash != hash:
			abort(c, fail(http.StatusUnprocessableEntity, "this Idempotency-Key was used for another request"))
		case e.Status == 0:
			abort(c, fail(http.StatusConflict, "a request with this Idempotency-Key is in progress, or its outcome was not recorded: read the record before retrying"))
		default:
			c.Header("Idempotent-Replayed", "true")
			c.Data(e.Status, "application/json", e.Response)
			c.Abort()
		}
		return
	}
	pending := &idemEntry{Key: key, BodyHash: hash}
	if err := s.append(pending); err != nil {
		s.mu.Unlock()
		abort(c, fail(http.StatusServiceUnavailable, "the gateway cannot record the Idempotency-Key (its state directory is not writable); nothing was submitted"))
		return
	}
	s.entries[key] = pending
	s.mu.Unlock()

	w := &capture{ResponseWriter: c.Writer}
	c.Writer = w
	c.Next()
	done := &idemEntry{Key: key, BodyHash: hash, Status: w.Status(), Response: json.RawMessage(w.buf.Bytes())}
	if w.Status() >= 500 { // not a definite answer: let a retry try again
		s.mu.Lock()
		delete(s.entries, key)
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.append(done) == nil {
		s.entries[key] = done
	}
}

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
	Released bool            `json:"released,omitempty"` // no definite answer (5xx): the key is free again
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
	r := bufio.NewReaderSize(f, 64<<10)
	var whole int64 // bytes up to the last complete line
	for {
		line, err := r.ReadBytes('\n')
		if err != nil { // EOF: a line without its newline is torn (a crash mid-write)
			break
		}
		whole += int64(len(line))
		var e idemEntry
		switch {
		case json.Unmarshal(line, &e) != nil:
		case e.Released:
			delete(s.entries, e.Key)
		default:
			s.entries[e.Key] = &e
		}
	}
	// Cut a torn tail, so the next line does not glue onto it.
	if err := f.Truncate(whole); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
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
	}
	return err
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
	if w.Status() >= 500 { // not a definite answer: let a retry try again, also after a restart
		s.mu.Lock()
		delete(s.entries, key)
		_ = s.append(&idemEntry{Key: key, Released: true}) // if this fails, a retry after a restart reads 409 (pending)
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[key] = done // known to this process even if the line cannot be written (then a retry after a restart reads 409)
	_ = s.append(done)
}

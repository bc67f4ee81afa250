package gateway

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// A client that sends its headers, then trickles the body a byte at a
// time, held a handler (only a header timeout was set): the server built
// as main builds it cuts the connection within ReadTimeout.
func TestTrickledBodyIsCut(t *testing.T) {
	hs := newHarness(t)
	cfg := DefaultConfig()
	cfg.ReadTimeout = 300 * time.Millisecond
	srv := HTTPServer(cfg, "", hs.h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "POST /api/v1/verify HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := io.WriteString(conn, " "); err != nil {
					return
				}
			}
		}
	}()
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(10 * time.Second))
	_, err = io.Copy(io.Discard, conn) // until the server closes the connection
	if errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("a trickled body held the connection for %v (%v); bound %v", time.Since(start), err, cfg.ReadTimeout)
	}
}

// The defaults bound a trickled body within 30 s and keep every bound set.
func TestHTTPServerBounds(t *testing.T) {
	srv := HTTPServer(Config{}, ":0", http.NotFoundHandler())
	if srv.ReadTimeout <= 0 || srv.ReadTimeout > 30*time.Second || srv.ReadHeaderTimeout <= 0 ||
		srv.WriteTimeout <= DefaultConfig().RequestTimeout || srv.IdleTimeout <= 0 {
		t.Fatalf("bounds %v %v %v %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
}

// The feed keeps streaming past the server's read and write timeouts.
func TestFeedOutlivesTheConnectionTimeouts(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ReadTimeout, cfg.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	cfg.RequestTimeout = 200 * time.Millisecond // a request's own bound: not a stream's
	hs := newHarnessConfig(t, cfg)
	hs.ledger.hold = true
	srv := HTTPServer(cfg, "", hs.h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	resp, cancel := openStream(t, "http://"+ln.Addr().String(), hs.keys[RoleExchange])
	defer cancel()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("feed: %d", resp.StatusCode)
	}
	// Events keep coming a second on, five times the timeouts.
	deadline := time.Now().Add(time.Second)
	buf := make([]byte, 4096)
	for time.Now().Before(deadline) {
		if _, err := resp.Body.Read(buf); err != nil {
			t.Fatalf("the feed ended after %v (%v): cut by the connection timeouts", time.Second-time.Until(deadline), err)
		}
	}
}

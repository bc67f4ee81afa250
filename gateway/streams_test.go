package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// openStream opens the feed as role's key over a real connection; cancel
// ends it.
func openStream(t *testing.T, url, secret string) (*http.Response, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1/channels/nanning/feed?fromBlock=1", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return resp, func() { cancel(); resp.Body.Close() }
}

// One key opens streams without end (200 replays from block 1 were all
// accepted): the 5th concurrent stream of a key is refused with
// DL-RATE-STREAMS, another key is not, and once one closes the key may
// open one again.
func TestEventStreamsAreBoundedPerKey(t *testing.T) {
	hs := newHarness(t)
	hs.ledger.hold = true
	srv := httptest.NewServer(hs.h)
	defer srv.Close()
	per := DefaultConfig().StreamsPerKey
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	for i := 0; i < per; i++ {
		resp, cancel := openStream(t, srv.URL, hs.keys[RoleExchange])
		cancels = append(cancels, cancel)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, cancel := openStream(t, srv.URL, hs.keys[RoleExchange])
	var p Problem
	_ = json.NewDecoder(resp.Body).Decode(&p)
	cancel()
	if resp.StatusCode != http.StatusTooManyRequests || p.Rule != RuleRateStreams {
		t.Fatalf("stream %d of one key: %d %+v, want 429 %s", per+1, resp.StatusCode, p, RuleRateStreams)
	}
	resp, cancel = openStream(t, srv.URL, hs.keys[RoleRegulator])
	cancels = append(cancels, cancel)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("another key's stream: %d", resp.StatusCode)
	}
	cancels[0]() // one of the key's streams ends
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, cancel := openStream(t, srv.URL, hs.keys[RoleExchange])
		cancels = append(cancels, cancel)
		if resp.StatusCode == http.StatusOK {
			break
		}
		cancel()
		if time.Now().After(deadline) {
			t.Fatalf("after a stream closed, a new one is still refused: %d", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEventStreamsAreBoundedInAll(t *testing.T) {
	l := &streamLimiter{perKey: 4, total: 3}
	var releases []func()
	for _, k := range []string{"a", "b", "c"} {
		r, err := l.acquire(k)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	if _, err := l.acquire("d"); ProblemOf(err).Rule != RuleRateStreams || ProblemOf(err).Status != http.StatusTooManyRequests {
		t.Fatalf("a stream beyond the total: %v", err)
	}
	releases[0]()
	releases[0]() // twice is once
	if _, err := l.acquire("d"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire("e"); err == nil {
		t.Fatal("a release counted twice")
	}
}

package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Deliverer sends the store's pending deliveries: a POST of the event's
// body, signed, to the subscription's URL; a 2xx answer delivers it, any
// other answer or none is retried after a backoff that doubles (with
// jitter) up to Max, until MaxAttempts. The queue is the store's, so a
// restart resumes it; a delivery whose answer was lost in the restart
// is sent again with the same event ID (at least once). One delivery per
// subscription is in flight at a time, so a slow or dead receiver holds
// one worker, never all of them.
type Deliverer struct {
	Store  Queue
	Client *http.Client // nil: NewClient(false)
	Log    *slog.Logger
	// Workers bound the deliveries in flight (0: 8).
	Workers int
	// MaxAttempts bound the attempts of a delivery (0: 16, about 10 hours
	// of retries with the default backoff).
	MaxAttempts int
	// Base is the wait after the first failed attempt (0: 5 s); Max the
	// longest wait (0: 2 h).
	Base, Max time.Duration

	once   sync.Once
	wake   chan struct{}
	mu     sync.Mutex
	flying map[string]bool // subscriptions with a delivery in flight
}

// Wake tells the deliverer that something was enqueued.
func (d *Deliverer) Wake() {
	d.once.Do(d.defaults)
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Deliverer) defaults() {
	if d.Client == nil {
		d.Client = NewClient(false)
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Workers <= 0 {
		d.Workers = 8
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 16
	}
	if d.Base <= 0 {
		d.Base = 5 * time.Second
	}
	if d.Max <= 0 {
		d.Max = 2 * time.Hour
	}
	d.wake = make(chan struct{}, 1)
	d.flying = map[string]bool{}
}

// Backoff is the wait after the n-th failed attempt (from 1): Base
// doubled n-1 times, at most Max, less up to a fifth at random (so
// receivers that failed together are not all retried together).
func (d *Deliverer) Backoff(n int) time.Duration {
	w := d.Base
	for i := 1; i < n && w < d.Max; i++ {
		w *= 2
	}
	w = min(w, d.Max)
	return w - time.Duration(rand.Int64N(int64(w)/5+1))
}

func (d *Deliverer) busy(sub string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.flying[sub]
}

// Run delivers until ctx ends; the attempts in flight are then cut and
// left pending (a restart sends them again).
func (d *Deliverer) Run(ctx context.Context) {
	d.once.Do(d.defaults)
	sem := make(chan struct{}, d.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for ctx.Err() == nil {
		due, next, err := d.Store.Due(time.Now(), d.Workers, d.busy)
		if err != nil {
			d.Log.Error("webhook queue unreadable", "error", err.Error())
		}
		started := 0
		for _, del := range due {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			d.mu.Lock()
			d.flying[del.Event.Subscription] = true
			d.mu.Unlock()
			started++
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				d.deliver(ctx, del.Event.ID)
				d.mu.Lock()
				delete(d.flying, del.Event.Subscription)
				d.mu.Unlock()
				d.Wake()
			}()
		}
		wait := time.Second
		if started == 0 && !next.IsZero() {
			wait = min(max(time.Until(next), 10*time.Millisecond), time.Second)
		}
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-time.After(wait):
		}
	}
}

// deliver makes one attempt of a delivery, if it is still pending and due
// (read again: the queue was read before the last attempt was recorded),
// and records it.
func (d *Deliverer) deliver(ctx context.Context, id string) {
	now := time.Now()
	del, err := d.Store.Pending(id, now)
	if err != nil || del == nil {
		if err != nil {
			d.Log.Error("webhook delivery unreadable", "event", id, "error", err.Error())
		}
		return
	}
	n := len(del.Attempts)
	sub, err := d.Store.Subscription(del.Event.Subscription)
	if err != nil || sub.Disabled != nil {
		reason := "the subscription is disabled"
		if err != nil {
			reason = err.Error()
		}
		d.record(del, n, Attempt{At: now, Error: reason}, StateFailed, time.Time{})
		return
	}
	status, err := d.post(ctx, sub, del, n+1)
	if ctx.Err() != nil {
		return // cut by shutdown: still pending, sent again after the restart
	}
	a := Attempt{At: now, Status: status, Millis: time.Since(now).Milliseconds()}
	switch {
	case err == nil && status/100 == 2:
		d.record(del, n, a, StateDelivered, time.Time{})
		return
	case err != nil:
		a.Error = failure(err)
	default:
		a.Error = "the receiver answered " + strconv.Itoa(status)
	}
	if n+1 >= d.MaxAttempts {
		d.Log.Warn("webhook delivery failed for good", "subscription", sub.ID, "event", id, "attempts", n+1, "error", a.Error)
		d.record(del, n, a, StateFailed, time.Time{})
		return
	}
	d.record(del, n, a, StatePending, now.Add(d.Backoff(n+1)))
}

// failure is what the delivery log says of a failed request: its kind,
// never the address the receiver's name resolved to (the log is the
// subscriber's, and must not map the gateway's network for it).
func failure(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, ErrPrivate):
		return "refused: the receiver's address is not a public address"
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer in time"
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		return "TLS handshake failed (the receiver's certificate)"
	case strings.Contains(err.Error(), "no such host"):
		return "the receiver's name does not resolve"
	}
	return "no connection to the receiver"
}

func (d *Deliverer) post(ctx context.Context, sub *Subscription, del *Delivery, attempt int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(del.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dataledger-webhook/1")
	req.Header.Set(HeaderEventID, del.Event.ID)
	req.Header.Set(HeaderEventType, del.Event.Type)
	req.Header.Set(HeaderAttempt, strconv.Itoa(attempt))
	now := time.Now()
	secrets := sub.Secrets(now)
	req.Header.Set(HeaderSignature, Sign(secrets[0], now, del.Body, secrets[1:]...))
	resp, err := d.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// record keeps an attempt of a delivery that had `before` attempts, and
// its state after it (pending: due again at next).
func (d *Deliverer) record(del *Delivery, before int, a Attempt, state string, next time.Time) {
	if err := d.Store.Attempted(del.Event.ID, before, a, state, next); err != nil {
		d.Log.Error("webhook attempt not recorded", "event", del.Event.ID, "error", err.Error())
	}
}

// ErrPrivate refuses a receiver address that is not a public unicast
// address (loopback, private, link-local, shared, multicast,
// unspecified): the gateway does not post into its own network on a
// subscriber's word.
var ErrPrivate = errors.New("webhook: the receiver's address is not a public address")

// NewClient is the deliverer's HTTP client: 10 s per attempt, redirects
// not followed (a 3xx is a failed attempt), and unless allowPrivate only
// public addresses dialled (checked on the address actually connected
// to, so a name that resolves elsewhere later cannot turn it inward).
func NewClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !Public(ip) {
				return fmt.Errorf("%w: %s", ErrPrivate, host)
			}
			return nil
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = dialer.DialContext
	tr.MaxIdleConnsPerHost = 4
	return &http.Client{
		Timeout:       10 * time.Second,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// notPublic are the special-purpose ranges (IANA registries) a receiver
// may not be in, besides loopback, private, link-local and multicast: the
// ones that reach other hosts' internal networks (NAT64, 6to4, Teredo,
// IPv4-compatible) among them.
var notPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32", "2002::/16", "fc00::/7"} {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}()

// Public tells whether an address is a public unicast one.
func Public(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// CheckURL refuses a receiver URL a subscription may not have: not an
// absolute https URL (http too when allowPrivate), with user information,
// or naming a literal address that is not public (names are checked when
// dialled).
func CheckURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("is not a URL: %v", err)
	case len(raw) > 2048:
		return fmt.Errorf("is longer than 2048 characters")
	case u.Scheme != "https" && !(allowPrivate && u.Scheme == "http"):
		if allowPrivate {
			return fmt.Errorf("must be an http or https URL")
		}
		return fmt.Errorf("must be an https URL")
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("must name a host")
	case u.User != nil:
		return fmt.Errorf("must not carry user information (the secret authenticates the gateway)")
	case u.Fragment != "":
		return fmt.Errorf("must not carry a fragment")
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && !allowPrivate && !Public(ip) {
		return fmt.Errorf("names %s, not a public address", ip)
	}
	if !allowPrivate && u.Hostname() == "localhost" {
		return fmt.Errorf("names localhost, not a public address")
	}
	return nil
}

package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dataledger/pgdb/pgdbtest"
)

func TestVerifyAcceptsTheSignatureAndRefusesForgeriesAndReplays(t *testing.T) {
	secret, _ := NewSecret()
	other, _ := NewSecret()
	body := []byte(`{"id":"evt_1","type":"record.changed"}`)
	now := time.Now()
	h := Sign(secret, now, body)
	if err := Verify(secret, h, body, now, 0); err != nil {
		t.Fatalf("a genuine delivery: %v", err)
	}
	cases := map[string]struct {
		secret, header string
		body           []byte
		now            time.Time
		want           error
	}{
		"another secret":     {other, h, body, now, ErrSignature},
		"a changed body":     {secret, h, []byte(strings.Replace(string(body), "evt_1", "evt_2", 1)), now, ErrSignature},
		"a forged signature": {secret, "t=" + fmt.Sprint(now.Unix()) + ",v1=" + strings.Repeat("ab", 32), body, now, ErrSignature},
		"no signature":       {secret, "", body, now, ErrSignature},
		"a changed time":     {secret, strings.Replace(h, fmt.Sprint(now.Unix()), fmt.Sprint(now.Unix()+1), 1), body, now, ErrSignature},
		"a replay":           {secret, h, body, now.Add(6 * time.Minute), ErrStale},
		"from the future":    {secret, h, body, now.Add(-6 * time.Minute), ErrStale},
	}
	for name, c := range cases {
		if err := Verify(c.secret, c.header, c.body, c.now, 0); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// A header carrying the old and the new secret's signatures verifies
	// under either.
	both := h + ",v1=" + strings.TrimPrefix(strings.SplitN(Sign(other, now, body), ",", 2)[1], "v1=")
	for _, s := range []string{secret, other} {
		if err := Verify(s, both, body, now, 0); err != nil {
			t.Errorf("two signatures: %v", err)
		}
	}
}

// eachStore runs f on a file store and on a shared store (a fresh
// PostgreSQL database); reopen opens the same store again, as a restarted
// gateway (or, shared, another instance) does.
func eachStore(t *testing.T, f func(t *testing.T, s Queue, reopen func() Queue)) {
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "webhooks.db")
		open := func() Queue {
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		f(t, open(), open)
	})
	t.Run("shared", func(t *testing.T) {
		dsn := pgdbtest.DSN(t, "dl_hooks_")
		open := func() Queue {
			s, err := OpenShared(context.Background(), dsn)
			if err != nil {
				t.Fatalf("PostgreSQL is required (scripts/deps.sh starts it): %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		f(t, open(), open)
	})
}

func subscribe(t *testing.T, s Queue, id, url string) Subscription {
	t.Helper()
	secret, _ := NewSecret()
	sub := Subscription{ID: id, Owner: "enterprise:OrgMSP:91450100MA5L000001", URL: url, Types: Types, Secret: secret, Created: time.Now()}
	if err := s.Subscribe(sub, 10, 100); err != nil {
		t.Fatal(err)
	}
	return sub
}

func TestEnqueueKeepsAnEventOnceAndTheLogPagesNewestFirst(t *testing.T) {
	eachStore(t, func(t *testing.T, s Queue, reopen func() Queue) {
		subscribe(t, s, "wh_a", "https://example.com/a")
		subscribe(t, s, "wh_b", "https://example.com/b")
		t0 := time.Now()
		var evs []Event
		for i := range 5 {
			evs = append(evs, Event{ID: EventID("wh_a", fmt.Sprint(i)), Type: TypeRecordChanged, Subscription: "wh_a", Created: t0.Add(time.Duration(i) * time.Millisecond)})
		}
		evs = append(evs, Event{ID: EventID("wh_b", "0"), Type: TypeRecordChanged, Subscription: "wh_b", Created: t0})
		if n, err := s.Enqueue(evs, t0); err != nil || n != 6 {
			t.Fatalf("enqueue: %d, %v", n, err)
		}
		if n, err := s.Enqueue(evs[2:4], t0); err != nil || n != 0 {
			t.Fatalf("the same events again: %d new, %v", n, err)
		}
		var got []string
		cursor := ""
		for {
			page, next, err := s.Log("wh_a", 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page {
				got = append(got, d.Event.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		var want []string
		for i := 4; i >= 0; i-- {
			want = append(want, evs[i].ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("log of wh_a: %v, want %v", got, want)
		}
		if page, _, _ := s.Log("wh_b", 10, ""); len(page) != 1 || page[0].Event.ID != evs[5].ID {
			t.Fatalf("log of wh_b: %+v", page)
		}
		if _, _, err := s.Log("wh_b", 10, evs[0].ID); err == nil {
			t.Fatal("a cursor of another subscription's delivery was taken")
		}
		due, _, _ := s.Due(t0, 100, nil)
		if len(due) != 2 { // one per subscription
			t.Fatalf("due: %d", len(due))
		}
	})
}

// receiver answers 503 to the first fail deliveries of each event, then
// 200, and keeps what it accepted, checking each signature.
type receiver struct {
	mu       sync.Mutex
	secret   string
	fail     int
	tries    map[string]int
	accepted []string
	bad      int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := Verify(r.secret, req.Header.Get(HeaderSignature), body, time.Now(), 0); err != nil {
		r.bad++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	id := req.Header.Get(HeaderEventID)
	r.tries[id]++
	if r.tries[id] <= r.fail {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	r.accepted = append(r.accepted, id)
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.accepted)
}

func run(t *testing.T, d *Deliverer) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDeliveriesAreRetriedAndSurviveARestartOfTheStore(t *testing.T) {
	eachStore(t, func(t *testing.T, s Queue, reopen func() Queue) {
		rcv := &receiver{fail: 2, tries: map[string]int{}}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		sub := subscribe(t, s, "wh_a", srv.URL)
		rcv.secret = sub.Secret
		now := time.Now()
		var evs []Event
		for i := range 3 {
			evs = append(evs, Event{ID: EventID("wh_a", fmt.Sprint(i)), Type: TypeRecordChanged, Subscription: "wh_a", Created: now})
		}
		if _, err := s.Enqueue(evs, now); err != nil {
			t.Fatal(err)
		}
		// First run: every event is refused once, then the deliverer stops.
		d := &Deliverer{Store: s, Client: NewClient(true), Base: 50 * time.Millisecond}
		stop := run(t, d)
		waitFor(t, "first attempts", func() bool {
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			return len(rcv.tries) == 3
		})
		stop()
		s.Close()
		// The store reopened: the same deliveries are still pending and are
		// retried to success, each accepted once.
		s2 := reopen()
		d2 := &Deliverer{Store: s2, Client: NewClient(true), Base: 50 * time.Millisecond}
		stop = run(t, d2)
		// Accepted by the receiver is not yet recorded by the store: wait for
		// both before stopping (stopping between the two leaves it pending).
		waitFor(t, "every event accepted and recorded", func() bool {
			page, _, err := s2.Log("wh_a", 10, "")
			delivered := 0
			for _, p := range page {
				if p.State == StateDelivered {
					delivered++
				}
			}
			return err == nil && rcv.count() == 3 && delivered == 3
		})
		stop()
		if rcv.bad != 0 {
			t.Fatalf("%d deliveries failed the signature check", rcv.bad)
		}
		for _, e := range evs {
			page, _, _ := s2.Log("wh_a", 10, "")
			for _, p := range page {
				if p.Event.ID == e.ID && (p.State != StateDelivered || len(p.Attempts) != 3 || p.Attempts[0].Status != 503 || p.Attempts[2].Status != 200) {
					t.Errorf("%s: %s after %+v", e.ID, p.State, p.Attempts)
				}
			}
		}
	})
}

func TestADeliveryFailsForGoodAfterItsAttemptsAndWhenItsSubscriptionIsDisabled(t *testing.T) {
	eachStore(t, func(t *testing.T, s Queue, reopen func() Queue) {
		rcv := &receiver{fail: 100, tries: map[string]int{}}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		rcv.secret = subscribe(t, s, "wh_a", srv.URL).Secret
		subscribe(t, s, "wh_off", srv.URL)
		now := time.Now()
		if _, err := s.Disable("wh_off", "key1", now); err != nil {
			t.Fatal(err)
		}
		evs := []Event{{ID: "evt_a", Subscription: "wh_a", Created: now}, {ID: "evt_off", Subscription: "wh_off", Created: now}}
		if _, err := s.Enqueue(evs, now); err != nil {
			t.Fatal(err)
		}
		d := &Deliverer{Store: s, Client: NewClient(true), Base: 10 * time.Millisecond, MaxAttempts: 3}
		stop := run(t, d)
		waitFor(t, "both settled", func() bool {
			due, next, _ := s.Due(time.Now().Add(time.Hour), 10, nil)
			return len(due) == 0 && next.IsZero()
		})
		stop()
		a, _, _ := s.Log("wh_a", 1, "")
		off, _, _ := s.Log("wh_off", 1, "")
		if a[0].State != StateFailed || len(a[0].Attempts) != 3 {
			t.Errorf("after 3 refusals: %s, %d attempts", a[0].State, len(a[0].Attempts))
		}
		if off[0].State != StateFailed || len(off[0].Attempts) != 1 || off[0].Attempts[0].Status != 0 {
			t.Errorf("disabled: %s %+v", off[0].State, off[0].Attempts)
		}
		if rcv.tries["evt_off"] != 0 {
			t.Error("a disabled subscription's event was posted")
		}
		if n, err := s.Sweep(time.Now().Add(time.Second)); err != nil || n != 2 {
			t.Errorf("sweep: %d, %v", n, err)
		}
		if page, _, _ := s.Log("wh_a", 10, ""); len(page) != 0 {
			t.Errorf("swept deliveries still listed: %d", len(page))
		}
	})
}

func TestReceiversMustBePublicUnlessAllowed(t *testing.T) {
	for _, u := range []string{"http://example.com/h", "https://127.0.0.1/h", "https://10.1.2.3/h", "https://[::1]/h", "https://169.254.169.254/latest", "https://100.64.0.1/",
		"https://[64:ff9b::a00:1]/", "https://[2002:a00:1::]/", "https://[::ffff:10.0.0.1]/", "https://[::a00:1]/", "https://0.1.2.3/", "https://198.18.0.1/", "https://240.0.0.1/",
		"https://localhost/h", "https://user:pw@example.com/", "ftp://example.com/", "https:///nohost", "not a url"} {
		if err := CheckURL(u, false); err == nil {
			t.Errorf("%s was taken", u)
		}
	}
	for _, u := range []string{"https://example.com/hooks/dataledger", "https://93.184.215.14:8443/h"} {
		if err := CheckURL(u, false); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if err := CheckURL("http://127.0.0.1:9/h", true); err != nil {
		t.Errorf("allowed private: %v", err)
	}
	// A name that resolves to loopback is refused when dialled.
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	_, err := NewClient(false).Get(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1))
	if !errors.Is(err, ErrPrivate) {
		t.Fatalf("dialling loopback by name: %v", err)
	}
}

func TestBackoffDoublesToItsBound(t *testing.T) {
	d := &Deliverer{Base: time.Second, Max: 8 * time.Second}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 9: 8 * time.Second} {
		if got := d.Backoff(n); got > want || got < want*4/5 {
			t.Errorf("after attempt %d: %s, want (%s, %s]", n, got, want*4/5, want)
		}
	}
}

// Many events to one healthy receiver: each is posted exactly once (the
// queue is read again before each attempt), and a subscription has one
// delivery in flight at a time.
func TestEachEventIsPostedOnceAndOneAtATimePerSubscription(t *testing.T) {
	eachStore(t, func(t *testing.T, s Queue, reopen func() Queue) { postedOnce(t, []Queue{s}, 200, 8) })
}

// postedOnce: three subscriptions (made through the instances in turn),
// perSub events each, enqueued through every instance (each saw the same
// changes) and delivered by a deliverer per instance: each event is
// enqueued and posted once, and one delivery per subscription is in
// flight at a time across the instances.
func postedOnce(t *testing.T, in []Queue, perSub, workers int) {
	var mu sync.Mutex
	posts, inFlight, most := map[string]int{}, map[string]int{}, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub := r.URL.Path
		mu.Lock()
		posts[r.Header.Get(HeaderEventID)]++
		inFlight[sub]++
		most = max(most, inFlight[sub])
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		inFlight[sub]--
		mu.Unlock()
	}))
	defer srv.Close()
	now := time.Now()
	var evs []Event
	for i := range 3 {
		id := fmt.Sprintf("wh_%d", i)
		subscribe(t, in[i%len(in)], id, srv.URL+"/"+id)
		for j := range perSub {
			evs = append(evs, Event{ID: EventID(id, fmt.Sprint(j)), Subscription: id, Created: now})
		}
	}
	added := 0
	for _, s := range in {
		n, err := s.Enqueue(evs, now)
		if err != nil {
			t.Fatal(err)
		}
		added += n
	}
	if added != len(evs) {
		t.Fatalf("%d instances enqueued %d deliveries of %d events", len(in), added, len(evs))
	}
	for _, s := range in {
		stop := run(t, &Deliverer{Store: s, Client: NewClient(true), Workers: workers})
		defer stop()
	}
	waitFor(t, "every event", func() bool { mu.Lock(); defer mu.Unlock(); return len(posts) == len(evs) })
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for id, n := range posts {
		if n != 1 {
			t.Errorf("%s posted %d times", id, n)
		}
	}
	if most != 1 {
		t.Errorf("%d deliveries of one subscription in flight at once", most)
	}
}

// An attempt made from a stale read (another attempt was recorded since)
// is refused, and a delivered event is no longer pending.
func TestAnAttemptIsRecordedOnlyOnTheDeliveryItWasMadeOf(t *testing.T) {
	eachStore(t, func(t *testing.T, s Queue, reopen func() Queue) {
		subscribe(t, s, "wh_a", "https://example.com/")
		now := time.Now()
		_, _ = s.Enqueue([]Event{{ID: "evt_1", Subscription: "wh_a", Created: now}}, now)
		if err := s.Attempted("evt_1", 0, Attempt{At: now, Status: 200}, StateDelivered, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Attempted("evt_1", 0, Attempt{At: now, Status: 200}, StateDelivered, time.Time{}); !errors.Is(err, ErrChanged) {
			t.Fatalf("a second attempt from a stale read: %v", err)
		}
		if d, _ := s.Pending("evt_1", now); d != nil {
			t.Fatal("a delivered event is pending")
		}
	})
}

func TestAnOwnerHoldsABoundedNumberOfSubscriptions(t *testing.T) {
	eachStore(t, func(t *testing.T, s Queue, reopen func() Queue) {
		mk := func(id string) error {
			return s.Subscribe(Subscription{ID: id, Owner: "exchange:X", Created: time.Now()}, 2, 3)
		}
		if mk("a") != nil || mk("b") != nil {
			t.Fatal("the first two")
		}
		if err := mk("c"); !errors.Is(err, ErrTooMany) {
			t.Fatalf("a third active one: %v", err)
		}
		_, _ = s.Disable("a", "k", time.Now())
		if err := mk("c"); err != nil {
			t.Fatalf("after one is disabled: %v", err)
		}
		_, _ = s.Disable("b", "k", time.Now())
		if err := mk("d"); !errors.Is(err, ErrTooMany) {
			t.Fatalf("a fourth in all: %v", err)
		}
	})
}

// A rotated secret: deliveries carry the new and the old signature
// during the grace, so a receiver with either verifies; after it, only
// the new one.
func TestARotatedSecretSignsBesideTheNewOneDuringItsGrace(t *testing.T) {
	eachStore(t, func(t *testing.T, s Queue, reopen func() Queue) {
		old := subscribe(t, s, "wh_a", "https://example.com/")
		now := time.Now()
		secret, _ := NewSecret()
		sub, err := s.Rotate("wh_a", secret, now.Add(time.Hour))
		if err != nil || sub.Secret != secret || sub.PreviousSecret != old.Secret {
			t.Fatalf("rotate: %v %+v", err, sub)
		}
		body := []byte(`{"id":"evt_1"}`)
		during := sub.Secrets(now)
		h := Sign(during[0], now, body, during[1:]...)
		for _, k := range []string{secret, old.Secret} {
			if err := Verify(k, h, body, now, 0); err != nil {
				t.Errorf("during the grace, a receiver's secret does not verify: %v", err)
			}
		}
		after := sub.Secrets(now.Add(2 * time.Hour))
		h = Sign(after[0], now, body, after[1:]...)
		if len(after) != 1 || Verify(old.Secret, h, body, now, 0) == nil || Verify(secret, h, body, now, 0) != nil {
			t.Fatalf("after the grace: %d secrets sign", len(after))
		}
		_, _ = s.Disable("wh_a", "k", now)
		if _, err := s.Rotate("wh_a", secret, now); err == nil {
			t.Fatal("a disabled subscription's secret was rotated")
		}
	})
}

// Two instances on one shared store, each with its deliverer, both
// enqueuing the same events: every event is posted once, and one delivery
// per subscription is in flight at a time across the two.
func TestTwoInstancesDeliverEachEventOnceAndOneAtATimePerSubscription(t *testing.T) {
	in := sharedInstances(t, 2, 0)
	postedOnce(t, []Queue{in[0], in[1]}, 100, 4)
}

// An instance that claims a delivery and dies before its attempt holds
// the subscription only until its lease ends: another instance then
// delivers it, once.
func TestADeadInstancesLeaseExpiresAndAnotherDelivers(t *testing.T) {
	in := sharedInstances(t, 2, 500*time.Millisecond)
	rcv := &receiver{tries: map[string]int{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	rcv.secret = subscribe(t, in[0], "wh_a", srv.URL).Secret
	now := time.Now()
	if _, err := in[0].Enqueue([]Event{{ID: "evt_1", Subscription: "wh_a", Created: now}}, now); err != nil {
		t.Fatal(err)
	}
	if due, _, err := in[0].Due(time.Now(), 1, nil); err != nil || len(due) != 1 {
		t.Fatalf("the first instance's claim: %d, %v", len(due), err)
	}
	// The first instance is gone; the other cannot take it while the
	// lease holds, and delivers it once it has ended.
	if due, _, _ := in[1].Due(time.Now(), 1, nil); len(due) != 0 {
		t.Fatal("a leased subscription's delivery was claimed by another instance")
	}
	stop := run(t, &Deliverer{Store: in[1], Client: NewClient(true)})
	defer stop()
	waitFor(t, "the delivery by the other instance", func() bool { return rcv.count() == 1 })
	if page, _, _ := in[1].Log("wh_a", 10, ""); len(page) != 1 || page[0].State != StateDelivered || len(page[0].Attempts) != 1 {
		t.Fatalf("the log: %+v", page)
	}
}

// An instance that stops (closes its store) gives its leases up: another
// instance, or the same one started again, claims the subscription's
// deliveries at once instead of after the lease (a minute).
func TestAStoppedInstanceGivesUpItsLeases(t *testing.T) {
	in := sharedInstances(t, 2, 0)
	subscribe(t, in[0], "wh_a", "https://example.com/")
	now := time.Now()
	if _, err := in[0].Enqueue([]Event{{ID: "evt_1", Subscription: "wh_a", Created: now}}, now); err != nil {
		t.Fatal(err)
	}
	if due, _, _ := in[0].Due(time.Now(), 1, nil); len(due) != 1 {
		t.Fatal("A's claim")
	}
	if due, _, _ := in[1].Due(time.Now(), 1, nil); len(due) != 0 {
		t.Fatal("B claimed while A runs and holds the lease")
	}
	if err := in[0].Close(); err != nil {
		t.Fatal(err)
	}
	if due, _, err := in[1].Due(time.Now(), 1, nil); err != nil || len(due) != 1 {
		t.Fatalf("B's claim once A stopped: %d, %v", len(due), err)
	}
}

// An attempt that renews an expired lease takes it: the instance whose
// lease had expired cannot then claim the subscription's deliveries
// while the attempt runs.
func TestAnAttemptTakesTheLeaseItRenews(t *testing.T) {
	in := sharedInstances(t, 2, 300*time.Millisecond)
	subscribe(t, in[0], "wh_a", "https://example.com/")
	now := time.Now()
	if _, err := in[0].Enqueue([]Event{{ID: "evt_1", Subscription: "wh_a", Created: now}, {ID: "evt_2", Subscription: "wh_a", Created: now}}, now); err != nil {
		t.Fatal(err)
	}
	if due, _, _ := in[0].Due(time.Now(), 1, nil); len(due) != 1 {
		t.Fatal("A's claim")
	}
	time.Sleep(400 * time.Millisecond) // A's lease ends
	if due, _, _ := in[1].Due(time.Now(), 1, nil); len(due) != 1 {
		t.Fatal("B's claim after A's lease ended")
	}
	time.Sleep(400 * time.Millisecond) // B's lease ends too
	in[0].Lease = time.Minute
	if d, err := in[0].Pending("evt_1", time.Now()); err != nil || d == nil {
		t.Fatalf("A's attempt: %v %v", d, err)
	}
	if due, _, _ := in[1].Due(time.Now(), 1, nil); len(due) != 0 {
		t.Fatal("B claimed the subscription while A's renewed lease holds it")
	}
	if d, _ := in[1].Pending("evt_2", time.Now()); d != nil {
		t.Fatal("B attempts a delivery of a subscription A holds")
	}
}

// sharedInstances are n shared stores on one fresh database, as n
// instances of a gateway open it, with the lease given (0: the default).
func sharedInstances(t *testing.T, n int, lease time.Duration) []*SharedStore {
	t.Helper()
	dsn := pgdbtest.DSN(t, "dl_hooks_")
	var in []*SharedStore
	for range n {
		s, err := OpenShared(context.Background(), dsn)
		if err != nil {
			t.Fatalf("PostgreSQL is required (scripts/deps.sh starts it): %v", err)
		}
		t.Cleanup(func() { s.Close() })
		if lease > 0 {
			s.Lease = lease
		}
		in = append(in, s)
	}
	return in
}

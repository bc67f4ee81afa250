package webhook

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Subscription is a subscriber's receiver: where its events go, which
// types it asked for, and the secret they are signed with.
type Subscription struct {
	ID string `json:"id"`
	// Owner is whose it is: "enterprise:<org>:<credit code>" or
	// "exchange:<org>" (OwnerOf). Every key of that enterprise or
	// exchange sees and manages it, so a key's rotation leaves it be.
	Owner      string   `json:"owner"`
	Org        string   `json:"org"`
	Role       string   `json:"role"`
	CreditCode string   `json:"creditCode,omitempty"`
	URL        string   `json:"url"`
	Types      []string `json:"types"`
	Secret     string   `json:"secret"`
	// PreviousSecret signs too until PreviousUntil: the grace a rotation
	// gives the receiver to take the new secret.
	PreviousSecret string     `json:"previousSecret,omitempty"`
	PreviousUntil  *time.Time `json:"previousUntil,omitempty"`
	Created        time.Time  `json:"created"`
	CreatedBy      string     `json:"createdBy"` // the API key's ID
	Disabled       *time.Time `json:"disabled,omitempty"`
	DisabledBy     string     `json:"disabledBy,omitempty"`
}

// OwnerOf names a subscription's owner from the caller's role, org and
// credit code (an enterprise's).
func OwnerOf(role, org, creditCode string) string {
	if creditCode != "" {
		return role + ":" + org + ":" + creditCode
	}
	return role + ":" + org
}

// Wants tells whether the subscription is active and asked for the type.
func (s *Subscription) Wants(typ string) bool {
	if s.Disabled != nil {
		return false
	}
	for _, t := range s.Types {
		if t == typ {
			return true
		}
	}
	return typ == TypePing
}

// The states of a delivery.
const (
	StatePending   = "pending"   // not yet acknowledged; its next attempt is due at Next
	StateDelivered = "delivered" // the receiver answered 2xx
	StateFailed    = "failed"    // attempts exhausted, or its subscription disabled
)

// Delivery is an event on its way to a subscriber, with every attempt.
type Delivery struct {
	Event    Event     `json:"event"`
	Body     []byte    `json:"body"` // what every attempt sends (the Event as JSON)
	State    string    `json:"state"`
	Next     time.Time `json:"next,omitzero"`
	Done     time.Time `json:"done,omitzero"`
	Attempts []Attempt `json:"attempts"`
}

// Attempt is one POST of a delivery.
type Attempt struct {
	At     time.Time `json:"at"`
	Status int       `json:"status,omitempty"` // the receiver's HTTP status (0: no answer)
	Error  string    `json:"error,omitempty"`
	Millis int64     `json:"millis"`
}

// Store keeps subscriptions and deliveries in one bbolt file: every
// change is a transaction synced to disk before it returns, so what the
// gateway enqueued or learned of a delivery survives a kill -9.
type Store struct {
	db *bolt.DB
}

var (
	bucketSubs       = []byte("subscriptions") // id → Subscription
	bucketDeliveries = []byte("deliveries")    // event ID → Delivery
	bucketQueue      = []byte("queue")         // next (unix ns, 8 bytes) + event ID → nothing: pending deliveries by due time
	bucketLog        = []byte("log")           // subscription ID + 0 + created (unix ns) + event ID → nothing
)

// ErrNotFound: no subscription with that ID.
var ErrNotFound = errors.New("webhook: no such subscription")

// ErrDisabled: the subscription is disabled.
var ErrDisabled = errors.New("webhook: the subscription is disabled")

// ErrCursor: a log cursor that is not a delivery of the subscription.
var ErrCursor = errors.New("webhook: the cursor is not a delivery of this subscription")

// Open opens (or makes) the store at path.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("webhook store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSubs, bucketDeliveries, bucketQueue, bucketLog} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// ErrTooMany: the owner holds as many subscriptions as it may.
var ErrTooMany = errors.New("webhook: too many subscriptions")

// Subscribe keeps a new subscription, unless its owner already has
// maxActive active ones or maxAll in all (disabled ones are kept, with
// their log): counted and kept in one transaction.
func (s *Store) Subscribe(sub Subscription, maxActive, maxAll int) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSubs)
		if b.Get([]byte(sub.ID)) != nil {
			return errExists(sub.ID)
		}
		active, all := 0, 0
		err := b.ForEach(func(_, v []byte) error {
			var o Subscription
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			if o.Owner == sub.Owner {
				all++
				if o.Disabled == nil {
					active++
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := withinLimits(active, all, maxActive, maxAll); err != nil {
			return err
		}
		return putJSON(b, sub.ID, sub)
	})
}

// Subscription is the subscription with the ID.
func (s *Store) Subscription(id string) (*Subscription, error) {
	var sub *Subscription
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSubs).Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		sub = new(Subscription)
		return json.Unmarshal(v, sub)
	})
	return sub, err
}

// Subscriptions are every subscription (disabled ones too), oldest first.
func (s *Store) Subscriptions() ([]Subscription, error) {
	var out []Subscription
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSubs).ForEach(func(_, v []byte) error {
			var sub Subscription
			if err := json.Unmarshal(v, &sub); err != nil {
				return err
			}
			out = append(out, sub)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// Disable stops a subscription: nothing more is enqueued for it and what
// is pending fails at its next attempt. It is kept, with its deliveries.
func (s *Store) Disable(id, by string, at time.Time) (*Subscription, error) {
	var sub Subscription
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSubs)
		v := b.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(v, &sub); err != nil {
			return err
		}
		if !sub.disable(by, at) {
			return nil
		}
		return putJSON(b, id, sub)
	})
	return &sub, err
}

// Secrets are the secrets a delivery at now is signed with: the current
// one, and the previous one during its grace.
func (s *Subscription) Secrets(now time.Time) []string {
	if s.PreviousSecret != "" && s.PreviousUntil != nil && now.Before(*s.PreviousUntil) {
		return []string{s.Secret, s.PreviousSecret}
	}
	return []string{s.Secret}
}

// Rotate gives an active subscription a new secret; the current one
// keeps signing too until until (its grace).
func (s *Store) Rotate(id, secret string, until time.Time) (*Subscription, error) {
	var sub Subscription
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSubs)
		v := b.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(v, &sub); err != nil {
			return err
		}
		if err := sub.rotate(secret, until); err != nil {
			return err
		}
		return putJSON(b, id, sub)
	})
	return &sub, err
}

// Enqueue keeps each event as a pending delivery due now, unless one with
// its ID is kept already (the same change seen again): it returns how
// many were new. All are kept in one transaction, or none.
func (s *Store) Enqueue(events []Event, now time.Time) (int, error) {
	added := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		added = 0
		ds := tx.Bucket(bucketDeliveries)
		for _, e := range events {
			if ds.Get([]byte(e.ID)) != nil {
				continue
			}
			d, err := newDelivery(e, now)
			if err != nil {
				return err
			}
			if err := putJSON(ds, e.ID, d); err != nil {
				return err
			}
			if err := tx.Bucket(bucketQueue).Put(queueKey(now, e.ID), nil); err != nil {
				return err
			}
			if err := tx.Bucket(bucketLog).Put(logKey(e.Subscription, e.Created, e.ID), nil); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	return added, err
}

// errExists refuses a subscription whose ID is kept already.
func errExists(id string) error { return fmt.Errorf("webhook: subscription %s exists", id) }

// withinLimits refuses a new subscription of an owner that holds active
// active ones and all in all, at most maxActive and maxAll.
func withinLimits(active, all, maxActive, maxAll int) error {
	switch {
	case active >= maxActive:
		return fmt.Errorf("%w: %d are active (at most %d): disable one first", ErrTooMany, active, maxActive)
	case all >= maxAll:
		return fmt.Errorf("%w: %d were made (at most %d, disabled ones included)", ErrTooMany, all, maxAll)
	}
	return nil
}

// disable stops the subscription; false when it was stopped already.
func (s *Subscription) disable(by string, at time.Time) bool {
	if s.Disabled != nil {
		return false
	}
	s.Disabled, s.DisabledBy = &at, by
	return true
}

// rotate gives an active subscription a new secret, the current one
// signing too until until.
func (s *Subscription) rotate(secret string, until time.Time) error {
	if s.Disabled != nil {
		return fmt.Errorf("%w: %s", ErrDisabled, s.ID)
	}
	s.PreviousSecret, s.PreviousUntil, s.Secret = s.Secret, &until, secret
	return nil
}

// newDelivery is an event's delivery, pending and due now.
func newDelivery(e Event, now time.Time) (Delivery, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return Delivery{}, err
	}
	return Delivery{Event: e, Body: body, State: StatePending, Next: now, Attempts: []Attempt{}}, nil
}

// attempted records on a pending delivery read with before attempts an
// attempt and what it is now: pending again (due at next), delivered or
// failed. ErrChanged: another attempt was recorded since it was read.
func (d *Delivery) attempted(before int, a Attempt, state string, next time.Time) error {
	if d.State != StatePending || len(d.Attempts) != before {
		return ErrChanged
	}
	d.Attempts = append(d.Attempts, a)
	d.State = state
	if state == StatePending {
		d.Next = next
	} else {
		d.Next, d.Done = time.Time{}, a.At
	}
	return nil
}

// Due are up to limit pending deliveries whose next attempt is due at
// now, the longest waiting first, at most one per subscription and none
// of a subscription skip names (those with a delivery in flight), and
// when the next of the others is due (zero: none pending). It looks at
// most at maxScan due entries, so a subscription with a long backlog
// costs the others a bounded wait.
func (s *Store) Due(now time.Time, limit int, skip func(sub string) bool) ([]Delivery, time.Time, error) {
	const maxScan = 10_000
	var out []Delivery
	var next time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		ds := tx.Bucket(bucketDeliveries)
		c := tx.Bucket(bucketQueue).Cursor()
		taken := map[string]bool{}
		scanned := 0
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			at, id := splitQueueKey(k)
			if at.After(now) || len(out) >= limit || scanned >= maxScan {
				next = at
				return nil
			}
			scanned++
			var d Delivery
			if err := json.Unmarshal(ds.Get([]byte(id)), &d); err != nil {
				return fmt.Errorf("webhook: delivery %s: %w", id, err)
			}
			if sub := d.Event.Subscription; !taken[sub] && (skip == nil || !skip(sub)) {
				taken[sub] = true
				out = append(out, d)
			}
		}
		return nil
	})
	return out, next, err
}

// Pending is the delivery with the ID when it is pending and due at now
// (nil otherwise: delivered, failed, or retried later).
func (s *Store) Pending(id string, now time.Time) (*Delivery, error) {
	var out *Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDeliveries).Get([]byte(id))
		if v == nil {
			return nil
		}
		var d Delivery
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		if d.State == StatePending && !d.Next.After(now) {
			out = &d
		}
		return nil
	})
	return out, err
}

// HasPending tells whether a subscription has a pending delivery of the
// event type.
func (s *Store) HasPending(sub, typ string) (bool, error) {
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		ds := tx.Bucket(bucketDeliveries)
		return tx.Bucket(bucketQueue).ForEach(func(k, _ []byte) error {
			_, id := splitQueueKey(k)
			var d Delivery
			if err := json.Unmarshal(ds.Get([]byte(id)), &d); err != nil {
				return err
			}
			found = found || (d.Event.Subscription == sub && d.Event.Type == typ)
			return nil
		})
	})
	return found, err
}

// ErrChanged: the delivery changed since it was read (another attempt was
// recorded): this one is not.
var ErrChanged = errors.New("webhook: the delivery changed since it was read")

// Attempted records an attempt of a pending delivery that had `before`
// attempts, and what it is now: pending again (due at next), delivered
// or failed.
func (s *Store) Attempted(id string, before int, a Attempt, state string, next time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		ds := tx.Bucket(bucketDeliveries)
		var d Delivery
		v := ds.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("webhook: no delivery %s", id)
		}
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		was := d.Next
		if err := d.attempted(before, a, state, next); err != nil {
			return err
		}
		q := tx.Bucket(bucketQueue)
		if err := q.Delete(queueKey(was, id)); err != nil {
			return err
		}
		if state == StatePending {
			if err := q.Put(queueKey(next, id), nil); err != nil {
				return err
			}
		}
		return putJSON(ds, id, d)
	})
}

// Log is a subscription's deliveries, newest first: up to limit of those
// made before the one with the cursor's ID ("": from the newest), and
// the cursor of the next page ("": none).
func (s *Store) Log(subID string, limit int, cursor string) ([]Delivery, string, error) {
	out := []Delivery{}
	limit = max(limit, 1)
	next := ""
	err := s.db.View(func(tx *bolt.Tx) error {
		ds := tx.Bucket(bucketDeliveries)
		prefix := append([]byte(subID), 0)
		c := tx.Bucket(bucketLog).Cursor()
		var k []byte
		if cursor != "" {
			var d Delivery
			v := ds.Get([]byte(cursor))
			if v == nil || json.Unmarshal(v, &d) != nil || d.Event.Subscription != subID {
				return fmt.Errorf("%w: %q", ErrCursor, cursor)
			}
			c.Seek(logKey(subID, d.Event.Created, cursor))
			k, _ = c.Prev()
		} else {
			// The last key with the prefix: seek past it, step back.
			end := append(append([]byte(nil), prefix[:len(prefix)-1]...), 1)
			if k, _ = c.Seek(end); k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
		}
		for ; k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Prev() {
			id := string(k[len(prefix)+8:])
			if len(out) == limit {
				next = out[len(out)-1].Event.ID
				return nil
			}
			var d Delivery
			if err := json.Unmarshal(ds.Get([]byte(id)), &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, next, err
}

// Sweep drops deliveries delivered or failed before the time (the log's
// retention) and answers how many.
func (s *Store) Sweep(before time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		ds, lg := tx.Bucket(bucketDeliveries), tx.Bucket(bucketLog)
		var drop [][]byte
		err := ds.ForEach(func(k, v []byte) error {
			var d Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			if d.State != StatePending && d.Done.Before(before) {
				drop = append(drop, append([]byte(nil), k...))
				if err := lg.Delete(logKey(d.Event.Subscription, d.Event.Created, d.Event.ID)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := ds.Delete(k); err != nil {
				return err
			}
		}
		n = len(drop)
		return nil
	})
	return n, err
}

func putJSON(b *bolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

func nanos(t time.Time) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(max(t.UnixNano(), 0)))
	return b[:]
}

func queueKey(at time.Time, id string) []byte { return append(nanos(at), id...) }

func splitQueueKey(k []byte) (time.Time, string) {
	return time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))), string(k[8:])
}

func logKey(sub string, created time.Time, id string) []byte {
	k := append([]byte(sub), 0)
	return append(append(k, nanos(created)...), id...)
}

package webhook

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	bolt "go.etcd.io/bbolt"

	"dataledger/pgdb"
)

// Queue keeps subscriptions and deliveries: Store, a file of one
// gateway, or SharedStore, a database a gateway's instances share.
type Queue interface {
	Subscribe(sub Subscription, maxActive, maxAll int) error
	Subscription(id string) (*Subscription, error)
	Subscriptions() ([]Subscription, error)
	Disable(id, by string, at time.Time) (*Subscription, error)
	Rotate(id, secret string, until time.Time) (*Subscription, error)
	Enqueue(events []Event, now time.Time) (int, error)
	Due(now time.Time, limit int, skip func(sub string) bool) ([]Delivery, time.Time, error)
	Pending(id string, now time.Time) (*Delivery, error)
	HasPending(sub, typ string) (bool, error)
	Attempted(id string, before int, a Attempt, state string, next time.Time) error
	Log(subID string, limit int, cursor string) ([]Delivery, string, error)
	Sweep(before time.Time) (int, error)
	Close() error
}

var (
	_ Queue = (*Store)(nil)
	_ Queue = (*SharedStore)(nil)
)

//go:embed migrations/*.sql
var migrations embed.FS

// SharedStore keeps subscriptions and deliveries in PostgreSQL for every
// instance of a gateway: a subscription made through one is served by
// all, the same change seen by several instances is enqueued once (its
// event ID), and an instance takes a subscription's due delivery only
// under a lease on the subscription, so that one delivery per
// subscription is in flight across the instances. An instance that dies
// mid-attempt leaves its lease to expire (Lease): another then retries.
type SharedStore struct {
	pool     *pgxpool.Pool
	instance string // whose lease this instance's claims hold
	// Lease is how long a claim keeps the other instances off a
	// subscription: longer than an attempt (the client's timeout).
	Lease time.Duration
}

// DefaultLease is SharedStore.Lease: six times the delivery client's
// timeout.
const DefaultLease = time.Minute

// OpenShared connects to the database dsn names (creating it when it does
// not exist) and brings the queue's tables up to date.
func OpenShared(ctx context.Context, dsn string) (*SharedStore, error) {
	const what = "webhook queue database"
	pool, err := pgdb.Connect(ctx, dsn, what, 8)
	if err != nil {
		return nil, err
	}
	err = pgdb.Schema(ctx, pool, "gateway_state")
	if err == nil {
		var sub fs.FS
		if sub, err = fs.Sub(migrations, "migrations"); err == nil {
			err = pgdb.Migrate(ctx, pool, sub, "gateway_state.webhook_goose_version", what)
		}
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	b := make([]byte, 8)
	rand.Read(b)
	return &SharedStore{pool: pool, instance: hex.EncodeToString(b), Lease: DefaultLease}, nil
}

// Close gives up this instance's leases and releases the connections. An
// instance that stops (its deliverer stopped first) leaves its
// subscriptions to the others, or to itself started again under a new
// instance ID, at once; one that crashes leaves them for Lease. A
// delivery it broke off mid-attempt may reach its receiver twice, as any
// retried webhook may (the event ID tells them apart).
func (s *SharedStore) Close() error {
	ctx, cancel := ctxOp()
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE gateway_state.webhook_subscriptions SET lease_until = NULL, leased_by = NULL WHERE leased_by = $1`, s.instance)
	s.pool.Close()
	return err
}

func ctxOp() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// Subscribe implements Queue: the owner's subscriptions are counted and
// the new one kept in one transaction, under a lock on the owner.
func (s *SharedStore) Subscribe(sub Subscription, maxActive, maxAll int) error {
	ctx, cancel := ctxOp()
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('webhook owner ' || $1))`, sub.Owner); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM gateway_state.webhook_subscriptions WHERE id = $1)`, sub.ID).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return errExists(sub.ID)
		}
		var active, all int
		if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE subscription->'disabled' IS NULL OR subscription->'disabled' = 'null'), count(*)
			FROM gateway_state.webhook_subscriptions WHERE owner = $1`, sub.Owner).Scan(&active, &all); err != nil {
			return err
		}
		if err := withinLimits(active, all, maxActive, maxAll); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO gateway_state.webhook_subscriptions (id, owner, created, subscription) VALUES ($1, $2, $3, $4)`,
			sub.ID, sub.Owner, sub.Created, sub)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return errExists(sub.ID)
		}
		return err
	})
}

// Subscription implements Queue.
func (s *SharedStore) Subscription(id string) (*Subscription, error) {
	ctx, cancel := ctxOp()
	defer cancel()
	var sub Subscription
	err := s.pool.QueryRow(ctx, `SELECT subscription FROM gateway_state.webhook_subscriptions WHERE id = $1`, id).Scan(&sub)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &sub, nil
}

// Subscriptions implements Queue: oldest first.
func (s *SharedStore) Subscriptions() ([]Subscription, error) {
	ctx, cancel := ctxOp()
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT subscription FROM gateway_state.webhook_subscriptions ORDER BY created, id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[Subscription])
}

// change rewrites a subscription under a row lock.
func (s *SharedStore) change(id string, f func(*Subscription) (bool, error)) (*Subscription, error) {
	ctx, cancel := ctxOp()
	defer cancel()
	var sub Subscription
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT subscription FROM gateway_state.webhook_subscriptions WHERE id = $1 FOR UPDATE`, id).Scan(&sub)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		write, err := f(&sub)
		if err != nil || !write {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE gateway_state.webhook_subscriptions SET subscription = $2 WHERE id = $1`, id, sub)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sub, nil
}

// Disable implements Queue.
func (s *SharedStore) Disable(id, by string, at time.Time) (*Subscription, error) {
	return s.change(id, func(sub *Subscription) (bool, error) { return sub.disable(by, at), nil })
}

// Rotate implements Queue.
func (s *SharedStore) Rotate(id, secret string, until time.Time) (*Subscription, error) {
	return s.change(id, func(sub *Subscription) (bool, error) { return true, sub.rotate(secret, until) })
}

// Enqueue implements Queue: an event whose ID is kept already (enqueued
// by another instance that saw the same change) is not enqueued again.
func (s *SharedStore) Enqueue(events []Event, now time.Time) (int, error) {
	ctx, cancel := ctxOp()
	defer cancel()
	added := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		added = 0
		for _, e := range events {
			d, err := newDelivery(e, now)
			if err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `INSERT INTO gateway_state.webhook_deliveries (id, subscription, type, created, state, next, delivery)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`, e.ID, e.Subscription, e.Type, e.Created, StatePending, now, d)
			if err != nil {
				return err
			}
			added += int(tag.RowsAffected())
		}
		return nil
	})
	return added, err
}

// Due implements Queue: up to limit due deliveries, the longest waiting
// first, one per subscription, each taken with a lease on its
// subscription that no other instance holds; and when the next pending
// one is due.
func (s *SharedStore) Due(now time.Time, limit int, skip func(sub string) bool) ([]Delivery, time.Time, error) {
	const maxScan = 10_000
	ctx, cancel := ctxOp()
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT d.delivery FROM gateway_state.webhook_deliveries d
		JOIN gateway_state.webhook_subscriptions s ON s.id = d.subscription
		WHERE d.state = 'pending' AND d.next <= $1 AND (s.lease_until IS NULL OR s.lease_until <= now() OR s.leased_by = $2)
		ORDER BY d.next, d.id LIMIT $3`, now, s.instance, maxScan)
	if err != nil {
		return nil, time.Time{}, err
	}
	due, err := pgx.CollectRows(rows, pgx.RowTo[Delivery])
	if err != nil {
		return nil, time.Time{}, err
	}
	var out []Delivery
	taken := map[string]bool{}
	for _, d := range due {
		sub := d.Event.Subscription
		if len(out) >= limit || taken[sub] || (skip != nil && skip(sub)) {
			continue
		}
		taken[sub] = true
		// The database's clock decides leases: instances' clocks may differ.
		tag, err := s.pool.Exec(ctx, `UPDATE gateway_state.webhook_subscriptions SET lease_until = now() + $2::interval, leased_by = $3
			WHERE id = $1 AND (lease_until IS NULL OR lease_until <= now() OR leased_by = $3)`, sub, s.Lease, s.instance)
		if err != nil {
			return out, time.Time{}, err
		}
		if tag.RowsAffected() == 1 {
			out = append(out, d)
		}
	}
	// When the next pending one is due (none: zero); due ones left to
	// another instance's lease are looked at again within a second.
	var next *time.Time
	err = s.pool.QueryRow(ctx, `SELECT min(next) FROM gateway_state.webhook_deliveries WHERE state = 'pending' AND next > $1`, now).Scan(&next)
	if next == nil {
		return out, time.Time{}, err
	}
	return out, *next, err
}

// Pending implements Queue. It is read just before an attempt: the
// instance's lease on the delivery's subscription is renewed with it, and
// a delivery whose lease another instance took meanwhile (this one held
// it past its end) is not pending for this one.
func (s *SharedStore) Pending(id string, now time.Time) (*Delivery, error) {
	ctx, cancel := ctxOp()
	defer cancel()
	var d Delivery
	err := s.pool.QueryRow(ctx, `UPDATE gateway_state.webhook_subscriptions s SET lease_until = now() + $3::interval, leased_by = $4
		FROM gateway_state.webhook_deliveries d
		WHERE d.id = $1 AND d.state = 'pending' AND d.next <= $2 AND s.id = d.subscription
			AND (s.leased_by = $4 OR s.lease_until IS NULL OR s.lease_until <= now())
		RETURNING d.delivery`, id, now, s.Lease, s.instance).Scan(&d)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// HasPending implements Queue.
func (s *SharedStore) HasPending(sub, typ string) (bool, error) {
	ctx, cancel := ctxOp()
	defer cancel()
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM gateway_state.webhook_deliveries WHERE subscription = $1 AND type = $2 AND state = 'pending')`, sub, typ).Scan(&found)
	return found, err
}

// Attempted implements Queue, and gives up this instance's lease on the
// delivery's subscription.
func (s *SharedStore) Attempted(id string, before int, a Attempt, state string, next time.Time) error {
	ctx, cancel := ctxOp()
	defer cancel()
	var sub string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var d Delivery
		err := tx.QueryRow(ctx, `SELECT delivery FROM gateway_state.webhook_deliveries WHERE id = $1 FOR UPDATE`, id).Scan(&d)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("webhook: no delivery %s", id)
		}
		if err != nil {
			return err
		}
		sub = d.Event.Subscription
		if err := d.attempted(before, a, state, next); err != nil {
			return err
		}
		var nextCol, doneCol *time.Time // the columns the queue and the sweep read
		if state == StatePending {
			nextCol = &d.Next
		} else {
			doneCol = &d.Done
		}
		_, err = tx.Exec(ctx, `UPDATE gateway_state.webhook_deliveries SET state = $2, next = $3, done = $4, attempts = $5, delivery = $6 WHERE id = $1`,
			id, state, nextCol, doneCol, len(d.Attempts), d)
		return err
	})
	if sub != "" {
		_, _ = s.pool.Exec(ctx, `UPDATE gateway_state.webhook_subscriptions SET lease_until = NULL, leased_by = NULL WHERE id = $1 AND leased_by = $2`, sub, s.instance)
	}
	return err
}

// Log implements Queue: newest first.
func (s *SharedStore) Log(subID string, limit int, cursor string) ([]Delivery, string, error) {
	ctx, cancel := ctxOp()
	defer cancel()
	limit = max(limit, 1)
	var rows pgx.Rows
	var err error
	if cursor == "" {
		rows, err = s.pool.Query(ctx, `SELECT delivery FROM gateway_state.webhook_deliveries WHERE subscription = $1
			ORDER BY created DESC, id DESC LIMIT $2`, subID, limit+1)
	} else {
		var ok bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM gateway_state.webhook_deliveries WHERE id = $1 AND subscription = $2)`, cursor, subID).Scan(&ok); err != nil {
			return nil, "", err
		}
		if !ok {
			return nil, "", fmt.Errorf("%w: %q", ErrCursor, cursor)
		}
		rows, err = s.pool.Query(ctx, `SELECT d.delivery FROM gateway_state.webhook_deliveries d, gateway_state.webhook_deliveries c
			WHERE c.id = $3 AND d.subscription = $1 AND (d.created, d.id) < (c.created, c.id)
			ORDER BY d.created DESC, d.id DESC LIMIT $2`, subID, limit+1, cursor)
	}
	if err != nil {
		return nil, "", err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[Delivery])
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].Event.ID
	}
	return out, next, nil
}

// Sweep implements Queue.
func (s *SharedStore) Sweep(before time.Time) (int, error) {
	ctx, cancel := ctxOp()
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM gateway_state.webhook_deliveries WHERE state <> 'pending' AND done < $1`, before)
	return int(tag.RowsAffected()), err
}

// Unavailable tells whether a store's error means the store could not be
// reached (a connection refused or lost, a deadline, a database shutting
// down), which passes, rather than a failure that would repeat.
func Unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "53300" // connection, shutdown, too many connections
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) || pgconn.Timeout(err) || errors.Is(err, bolt.ErrTimeout)
}

// Package pgstate keeps the state a gateway's instances share in
// PostgreSQL: the Idempotency-Key records and the chain audit's
// checkpoints. One gateway keeps them in its --state directory; N
// instances behind one address keep them here (--state-db), so that a
// client's retry that lands on another instance replays the first answer
// instead of submitting again, and an audit resumes where any instance
// stopped.
package pgstate

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"dataledger/gateway"
	"dataledger/pgdb"
	"dataledger/proof"
)

// DefaultDSN is the machine's PostgreSQL (scripts/deps.sh starts it).
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/dataledger_gateway?sslmode=disable"

//go:embed migrations/*.sql
var migrations embed.FS

// schema holds every table of the package.
const schema = "gateway_state"

// opTimeout bounds an operation's wait for the database (Begin, of up to
// six statements, twice it; on a failure one more statement takes its
// record back): a request waits no longer before it is refused (nothing
// submitted).
const opTimeout = 5 * time.Second

// DB is the shared state's database.
type DB struct {
	pool *pgxpool.Pool
	ttl  time.Duration
	now  func() time.Time // time.Now; a test's clock

	mu       sync.Mutex
	swept    time.Time // when this instance last began deleting expired records
	sweeping bool
}

// Open connects to the database dsn names (creating it when it does not
// exist) and brings its schema up to date. Idempotency records live ttl
// (0: gateway.DefaultIdempotencyTTL).
func Open(ctx context.Context, dsn string, ttl time.Duration) (*DB, error) {
	return open(ctx, dsn, ttl, time.Now)
}

func open(ctx context.Context, dsn string, ttl time.Duration, now func() time.Time) (*DB, error) {
	if ttl <= 0 {
		ttl = gateway.DefaultIdempotencyTTL
	}
	const what = "gateway state database"
	pool, err := pgdb.Connect(ctx, dsn, what, 8)
	if err != nil {
		return nil, err
	}
	d := &DB{pool: pool, ttl: ttl, now: now}
	if err := d.migrate(ctx, what); err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) migrate(ctx context.Context, what string) error {
	// goose keeps its version table in the schema, which must exist
	// first.
	if err := pgdb.Schema(ctx, d.pool, schema); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return pgdb.Migrate(ctx, d.pool, sub, schema+".goose_db_version", what)
}

// Close releases the connections.
func (d *DB) Close() { d.pool.Close() }

// Name is where the database is, without credentials, for logs.
func (d *DB) Name() string {
	c := d.pool.Config().ConnConfig
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

func (d *DB) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// Begin implements gateway.IdempotencyRecords: one statement takes the
// key (new, or its record expired) under a new token or leaves it to the
// live record, which it then reads; instances racing for one key see one
// winner.
func (d *DB) Begin(key, hash string) (string, *gateway.IdempotencyRecord, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*opTimeout) // all of Begin's statements
	defer cancel()
	now := d.now()
	d.sweepEvery(now)
	dead := now.Add(-d.ttl)
	token := gateway.NewIdempotencyToken()
	for range 3 { // a live record released between the two statements: take the key again
		tag, err := d.pool.Exec(ctx, `INSERT INTO gateway_state.idempotency (key, body_hash, token, status, response, at) VALUES ($1, $2, $3, 0, NULL, $4)
			ON CONFLICT (key) DO UPDATE SET body_hash = excluded.body_hash, token = excluded.token, status = 0, response = NULL, at = excluded.at
			WHERE idempotency.at <= $5`, key, hash, token, now, dead)
		if err != nil {
			// The row may have been written and the answer lost: take it
			// back (on a fresh deadline), so that the key is not left
			// pending for the caller told "nothing was submitted". (An
			// INSERT whose commit is still on its way then is not seen:
			// the key stays pending until it expires, and a retry reads 409.)
			_ = d.Release(key, token)
			return "", nil, unavailable(err)
		}
		if tag.RowsAffected() == 1 {
			return token, nil, nil
		}
		var r gateway.IdempotencyRecord
		err = d.pool.QueryRow(ctx, `SELECT body_hash, status, response FROM gateway_state.idempotency WHERE key = $1 AND at > $2`, key, dead).
			Scan(&r.BodyHash, &r.Status, &r.Response)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return "", nil, unavailable(err)
		}
		return "", &r, nil
	}
	return "", nil, errors.New("its shared state database kept changing this key's record; nothing was recorded")
}

// Finish implements gateway.IdempotencyRecords: the pending record of
// this request (its token) takes its answer.
func (d *DB) Finish(key, token string, status int, response []byte) error {
	ctx, cancel := d.ctx()
	defer cancel()
	return oneRow(d.pool.Exec(ctx, `UPDATE gateway_state.idempotency SET status = $3, response = $4, at = $5
		WHERE key = $1 AND token = $2 AND status = 0`, key, token, status, response, d.now()))
}

// oneRow: the statement changed the request's own record, or the record
// is another request's now.
func oneRow(tag pgconn.CommandTag, err error) error {
	switch {
	case err != nil:
		return unavailable(err)
	case tag.RowsAffected() == 0:
		return gateway.ErrSuperseded
	}
	return nil
}

// Release implements gateway.IdempotencyRecords: the pending record of
// this request (its token) goes, so that a retry submits it.
func (d *DB) Release(key, token string) error {
	ctx, cancel := d.ctx()
	defer cancel()
	return oneRow(d.pool.Exec(ctx, `DELETE FROM gateway_state.idempotency WHERE key = $1 AND token = $2 AND status = 0`, key, token))
}

// sweepEvery deletes expired records in the background, at most once a
// minute per instance, in batches (a large backlog costs no request its
// deadline).
func (d *DB) sweepEvery(now time.Time) {
	d.mu.Lock()
	due := now.Sub(d.swept) >= time.Minute && !d.sweeping
	if due {
		d.swept, d.sweeping = now, true
	}
	d.mu.Unlock()
	if !due {
		return
	}
	go func() {
		defer func() { d.mu.Lock(); d.sweeping = false; d.mu.Unlock() }()
		d.Sweep(now)
	}()
}

// Sweep deletes the records expired at now, 10,000 at a time, and
// answers how many.
func (d *DB) Sweep(now time.Time) int {
	n := 0
	for {
		ctx, cancel := d.ctx()
		tag, err := d.pool.Exec(ctx, `DELETE FROM gateway_state.idempotency WHERE key IN
			(SELECT key FROM gateway_state.idempotency WHERE at <= $1 LIMIT 10000)`, now.Add(-d.ttl))
		cancel()
		if err != nil {
			return n
		}
		n += int(tag.RowsAffected())
		if tag.RowsAffected() < 10000 {
			return n
		}
	}
}

// Records counts the live idempotency records, answered and pending.
func (d *DB) Records(ctx context.Context) (answered, pending int, err error) {
	err = d.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status <> 0), count(*) FILTER (WHERE status = 0)
		FROM gateway_state.idempotency WHERE at > $1`, d.now().Add(-d.ttl)).Scan(&answered, &pending)
	return answered, pending, err
}

// unavailable is a database failure as callers read it ("its shared
// state database is unavailable"), the cause (which may name the
// database) wrapped for the log.
func unavailable(err error) error { return &unavailableError{err} }

type unavailableError struct{ cause error }

func (e *unavailableError) Error() string { return "its shared state database is unavailable" }
func (e *unavailableError) Unwrap() error { return e.cause }

// Checkpointer implements gateway.AuditCheckpoints: the channel's audit
// checkpoint as the instances last recorded it (fromGenesis: none, without
// reading it).
func (d *DB) Checkpointer(channel string, fromGenesis bool) (proof.Checkpointer, error) {
	c := &checkpointer{d: d, channel: channel}
	if fromGenesis {
		return c, nil
	}
	ctx, cancel := d.ctx()
	defer cancel()
	var b []byte
	err := d.pool.QueryRow(ctx, `SELECT checkpoint FROM gateway_state.checkpoints WHERE channel = $1`, channel).Scan(&b)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return c, nil
	case err != nil:
		return nil, unavailable(err)
	}
	cp, err := proof.ParseCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("the shared checkpoint of channel %s is corrupt, refusing to resume from it (audit from genesis to replace it): %w", channel, err)
	}
	_ = c.mem.CheckpointBlock(cp)
	return c, nil
}

// checkpointer keeps a channel's checkpoint in the table and, once
// written, in memory.
type checkpointer struct {
	d       *DB
	channel string
	mem     proof.MemoryCheckpointer
}

func (c *checkpointer) BlockNumber() uint64           { return c.mem.BlockNumber() }
func (c *checkpointer) Checkpoint() *proof.Checkpoint { return c.mem.Checkpoint() }

// CheckpointBlock writes cp (last writer wins, as with the file), then
// keeps it; on a failed write the previous checkpoint stays.
func (c *checkpointer) CheckpointBlock(cp *proof.Checkpoint) error {
	if cp == nil {
		cp = &proof.Checkpoint{}
	}
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	ctx, cancel := c.d.ctx()
	defer cancel()
	if _, err := c.d.pool.Exec(ctx, `INSERT INTO gateway_state.checkpoints (channel, next, checkpoint, at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (channel) DO UPDATE SET next = excluded.next, checkpoint = excluded.checkpoint, at = excluded.at`,
		c.channel, int64(cp.Next), b, c.d.now()); err != nil {
		return unavailable(err)
	}
	return c.mem.CheckpointBlock(cp)
}

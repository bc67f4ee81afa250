package index

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/pgdb"
	"dataledger/proof"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultDSN is the machine's PostgreSQL (scripts/deps.sh starts it).
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/dataledger?sslmode=disable"

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the index's PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to the database dsn names, creating it when it does not
// exist, and brings its schema up to date (goose migrations, under a
// PostgreSQL advisory lock: an index and a gateway may start together).
func Open(ctx context.Context, dsn string) (*DB, error) {
	// Exports hold a connection each for their whole length (the gateway
	// runs at most 4): searches keep the rest.
	pool, err := pgdb.Connect(ctx, dsn, "index database", 16)
	if err != nil {
		return nil, err
	}
	d := &DB{pool: pool}
	if err := d.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

// DropDatabase drops the database dsn names (false: there was none), for
// a network purged with its ledgers.
func DropDatabase(ctx context.Context, dsn string) (bool, error) { return pgdb.Drop(ctx, dsn) }

func (d *DB) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	if err := pgdb.Migrate(ctx, d.pool, sub, "", "index database"); err != nil {
		return err
	}
	// Every table is unlogged, so that a crash of PostgreSQL empties them
	// all together: a logged table would keep rows (or a checkpoint) that
	// the others lost. (The gateways' shared state, when it is kept in
	// the same database, has a schema of its own.)
	rows, err := d.pool.Query(ctx, `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relpersistence <> 'u' AND c.relname <> 'goose_db_version'`)
	if err != nil {
		return err
	}
	logged, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(logged) > 0 {
		return fmt.Errorf("index database: tables %v are logged (made by an earlier schema): drop the database (it holds nothing the chain does not) and start again", logged)
	}
	return nil
}

// Close releases the connections.
func (d *DB) Close() { d.pool.Close() }

// Name is where the database is, without credentials: host, port and
// database name, for logs.
func (d *DB) Name() string {
	c := d.pool.Config().ConnConfig
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

// ChannelState is where a channel's indexing stands.
type ChannelState struct {
	Channel       string            `json:"channel"`
	Height        uint64            `json:"height"` // every block below it is indexed
	Division      string            `json:"division,omitempty"`
	LastBlockTime *time.Time        `json:"lastBlockTime,omitempty"`
	IndexedAt     *time.Time        `json:"indexedAt,omitempty"`
	Broken        *proof.Broken     `json:"broken,omitempty"`  // indexing stopped here
	Genesis       []byte            `json:"genesis,omitempty"` // header hash of block 0
	Checkpoint    *proof.Checkpoint `json:"-"`
}

// Channels are the channels indexed so far.
func (d *DB) Channels(ctx context.Context) ([]ChannelState, error) {
	return d.channels(ctx, d.pool, "")
}

// Channel is where a channel's indexing stands (height 0: not started).
func (d *DB) Channel(ctx context.Context, channel string) (ChannelState, error) {
	cs, err := d.channels(ctx, d.pool, channel)
	if err != nil || len(cs) == 0 {
		return ChannelState{Channel: channel}, err
	}
	return cs[0], nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (d *DB) channels(ctx context.Context, q querier, channel string) ([]ChannelState, error) {
	rows, err := q.Query(ctx, `SELECT channel, height, division, checkpoint, last_block_time, indexed_at, broken_block, broken_reason, genesis
		FROM channels WHERE $1 = '' OR channel = $1 ORDER BY channel`, channel)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChannelState, error) {
		var s ChannelState
		var cp []byte
		var bb *int64
		var br *string
		if err := r.Scan(&s.Channel, &s.Height, &s.Division, &cp, &s.LastBlockTime, &s.IndexedAt, &bb, &br, &s.Genesis); err != nil {
			return s, err
		}
		if cp != nil {
			s.Checkpoint = &proof.Checkpoint{}
			if err := json.Unmarshal(cp, s.Checkpoint); err != nil {
				return s, fmt.Errorf("channel %s: checkpoint: %w", s.Channel, err)
			}
		}
		if bb != nil {
			s.Broken = &proof.Broken{Block: uint64(*bb), Reason: deref(br)}
		}
		return s, nil
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ErrNotNext is a batch that does not start at the channel's height: it
// would leave a gap or index a block twice (another index writing the same
// database, or a source that skipped).
var ErrNotNext = errors.New("not the next block")

// Store writes blocks (consecutive, from the channel's height) and the
// audit checkpoint after the last of them, in one transaction.
func (d *DB) Store(ctx context.Context, channel string, blocks []*Block, cp *proof.Checkpoint) error {
	if len(blocks) == 0 {
		return nil
	}
	tx, err := d.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// The index is derived from the chain: a commit lost to a crash of
	// PostgreSQL loses its checkpoint with it, and the index re-reads those
	// blocks. Waiting for the WAL flush buys nothing here.
	if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return err
	}
	var height uint64
	var division string
	err = tx.QueryRow(ctx, `SELECT height, division FROM channels WHERE channel = $1 FOR UPDATE`, channel).Scan(&height, &division)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err = tx.Exec(ctx, `INSERT INTO channels (channel) VALUES ($1)`, channel); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	for i, b := range blocks {
		if b.Number != height+uint64(i) {
			return fmt.Errorf("channel %s: block %d where %d was expected: %w", channel, b.Number, height+uint64(i), ErrNotNext)
		}
		if b.Channel != channel {
			return fmt.Errorf("block %d of channel %q stored as channel %s", b.Number, b.Channel, channel)
		}
	}
	if last := blocks[len(blocks)-1]; cp == nil || cp.Channel != channel || cp.Next != last.Number+1 || !bytes.Equal(cp.PreviousHash, last.HeaderHash) {
		return fmt.Errorf("channel %s: the checkpoint does not follow block %d, the last stored", channel, last.Number)
	}
	var blockRows, versionRows [][]any
	latest := map[[2]string]*pending{}
	var order [][2]string
	for _, b := range blocks {
		blockRows = append(blockRows, []any{channel, int64(b.Number), b.HeaderHash, nullTime(b.Time), b.Transactions, b.Valid, b.Config})
		for _, w := range b.Writes {
			r := w.Row
			if r.Kind == "jurisdiction" && r.Division != "" {
				division = r.Division
			}
			versionRows = append(versionRows, []any{channel, r.Kind, r.ID, int64(w.Block), w.TxIndex, w.TxID, w.TxTime, w.Function, w.Creator, w.Deleted, jsonValue(r.Body)})
			k := [2]string{r.Kind, r.ID}
			p := latest[k]
			if p == nil {
				p = &pending{first: w}
				latest[k] = p
				order = append(order, k)
			}
			p.last, p.count = w, p.count+1
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"blocks"}, []string{"channel", "number", "header_hash", "time", "transactions", "valid", "config"}, pgx.CopyFromRows(blockRows)); err != nil {
		return fmt.Errorf("channel %s: storing blocks: %w", channel, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"versions"}, versionCols, pgx.CopyFromRows(versionRows)); err != nil {
		return fmt.Errorf("channel %s: storing versions: %w", channel, err)
	}
	if err := upsertRecords(ctx, tx, channel, division, latest, order); err != nil {
		return fmt.Errorf("channel %s: storing records: %w", channel, err)
	}
	cpJSON, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	last := blocks[len(blocks)-1]
	if blocks[0].Number == 0 {
		if _, err := tx.Exec(ctx, `UPDATE channels SET genesis = $2 WHERE channel = $1`, channel, blocks[0].HeaderHash); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE channels SET height = $2, checkpoint = $3, division = $4, last_block_time = COALESCE($5, last_block_time), indexed_at = now()
		WHERE channel = $1`, channel, int64(last.Number+1), cpJSON, division, nullTime(last.Time)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

var versionCols = []string{"channel", "kind", "id", "block", "tx_index", "tx_id", "tx_time", "function", "creator_msp", "deleted", "body"}

type pending struct {
	first, last Write
	count       int
}

var recordCols = []string{"kind", "channel", "id", "status", "outcome", "division", "parties", "ref", "title", "record_date", "late", "open", "deemed",
	"deemed_on", "due", "versions", "first_block", "first_time", "block", "tx_index", "tx_id", "tx_time", "deleted"}

// upsertRecords writes each record's latest version: new records whole,
// known ones with their first version kept and their count of versions
// grown. A record that concerns another (an objection and its target)
// also concerns that one's parties.
func upsertRecords(ctx context.Context, tx pgx.Tx, channel, division string, latest map[[2]string]*pending, order [][2]string) error {
	if len(order) == 0 {
		return nil
	}
	refParties, err := partiesOfRefs(ctx, tx, channel, latest)
	if err != nil {
		return err
	}
	ended, err := standings(ctx, tx, channel, latest)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(order))
	for _, k := range order {
		p := latest[k]
		r := p.last.Row
		div := r.Division
		if div == "" {
			div = division
		}
		parties := r.Parties
		if r.Ref != "" {
			parties = union(parties, refParties[r.Ref])
		}
		status := r.Status
		if ag := ended[r.Ref]; r.Kind == "credential" && ag != nil && !p.last.Deleted {
			if c, err := decode[domain.CredentialRecord](r.Body); err == nil {
				status = c.Standing(ag).Status
			}
		}
		rows = append(rows, []any{r.Kind, channel, r.ID, status, r.Outcome, div, parties, r.Ref, r.Title, nullDate(r.Date), r.Late, r.Open, r.Deemed,
			nullDate(r.DeemedOn), nullDate(r.Due), p.count, int64(p.first.Block), p.first.TxTime, int64(p.last.Block), p.last.TxIndex, p.last.TxID, p.last.TxTime, p.last.Deleted})
	}
	// Records the index does not hold yet (every one, in a catch-up of
	// new records) are copied straight into their tables; the others go
	// through a temporary table and update what the index holds.
	known, err := knownRecords(ctx, tx, channel, order)
	if err != nil {
		return err
	}
	var fresh, seen [][]any
	for i, k := range order {
		if known[k] {
			seen = append(seen, rows[i])
		} else {
			fresh = append(fresh, rows[i])
		}
	}
	if len(fresh) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"records"}, recordCols, pgx.CopyFromRows(fresh)); err != nil {
			return err
		}
	}
	if len(seen) > 0 {
		if err := updateRecords(ctx, tx, seen); err != nil {
			return err
		}
	}
	// An agreement that ended in this batch ends its credentials'
	// authorization without a write to them (domain.CredentialRecord.
	// Standing: all but the revoked).
	var endedNow []string
	for _, k := range order {
		if p := latest[k]; k[0] == "agreement" && ended[k[1]] != nil {
			endedNow = append(endedNow, p.last.Row.ID)
		}
	}
	if len(endedNow) > 0 {
		_, err = tx.Exec(ctx, `UPDATE records SET status = $3 WHERE kind = 'credential' AND channel = $1 AND ref = ANY($2) AND status <> $4`,
			channel, endedNow, domain.CredentialAuthorizationEnded, domain.CredentialRevoked)
	}
	return err
}

// knownRecords are the records of the batch the index already holds.
func knownRecords(ctx context.Context, tx pgx.Tx, channel string, order [][2]string) (map[[2]string]bool, error) {
	kinds := map[string]bool{}
	ids := make([]string, 0, len(order))
	want := make(map[[2]string]bool, len(order))
	for _, k := range order {
		kinds[k[0]] = true
		ids = append(ids, k[1])
		want[k] = true
	}
	rows, err := tx.Query(ctx, `SELECT kind, id FROM records WHERE kind = ANY($1) AND channel = $2 AND id = ANY($3)`, slices.Collect(maps.Keys(kinds)), channel, ids)
	if err != nil {
		return nil, err
	}
	out := map[[2]string]bool{}
	var kind, id string
	_, err = pgx.ForEachRow(rows, []any{&kind, &id}, func() error {
		if k := [2]string{kind, id}; want[k] {
			out[k] = true
		}
		return nil
	})
	return out, err
}

// updateRecords writes the latest version of records the index holds,
// keeping their first version and adding to their count of versions.
func updateRecords(ctx context.Context, tx pgx.Tx, rows [][]any) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS incoming (LIKE records) ON COMMIT DELETE ROWS`); err != nil {
		return err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"incoming"}, recordCols, pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO records SELECT * FROM incoming
		ON CONFLICT (kind, channel, id) DO UPDATE SET
		status = EXCLUDED.status, outcome = EXCLUDED.outcome, division = EXCLUDED.division, parties = EXCLUDED.parties, ref = EXCLUDED.ref,
		title = EXCLUDED.title, record_date = EXCLUDED.record_date, late = EXCLUDED.late, open = EXCLUDED.open, deemed = EXCLUDED.deemed,
		deemed_on = EXCLUDED.deemed_on, due = EXCLUDED.due, versions = records.versions + EXCLUDED.versions,
		block = EXCLUDED.block, tx_index = EXCLUDED.tx_index, tx_id = EXCLUDED.tx_id, tx_time = EXCLUDED.tx_time,
		deleted = EXCLUDED.deleted`)
	return err
}

// standings are the ended agreements (by number) the batch's credentials
// rest on or the batch itself ends, as this batch leaves them or as the
// index holds them.
func standings(ctx context.Context, tx pgx.Tx, channel string, latest map[[2]string]*pending) (map[string]*domain.Agreement, error) {
	out := map[string]*domain.Agreement{}
	var missing []string
	for k, p := range latest {
		switch {
		case k[0] == "agreement" && !p.last.Deleted:
			if ag, err := decode[domain.Agreement](p.last.Row.Body); err == nil && ag.Ended() {
				out[k[1]] = ag
			}
		case k[0] == "credential" && p.last.Row.Ref != "":
			if _, inBatch := latest[[2]string{"agreement", p.last.Row.Ref}]; !inBatch {
				missing = append(missing, p.last.Row.Ref)
			}
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT id, `+latestBody+` FROM records WHERE kind = 'agreement' AND channel = $1 AND id = ANY($2)
		AND status IN ($3, $4)`, channel, missing, domain.AgreementTerminated, domain.AgreementRevoked)
	if err != nil {
		return nil, err
	}
	var id string
	var body []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &body}, func() error {
		if ag, err := decode[domain.Agreement](body); err == nil && ag.Ended() {
			out[id] = ag
		}
		return nil
	})
	return out, err
}

// partiesOfRefs are the parties of the records others refer to, as this
// batch leaves them or as the index holds them.
func partiesOfRefs(ctx context.Context, tx pgx.Tx, channel string, latest map[[2]string]*pending) (map[string][]string, error) {
	out := map[string][]string{}
	var missing []string
	for _, p := range latest {
		ref := p.last.Row.Ref
		if ref == "" {
			continue
		}
		if _, ok := out[ref]; ok {
			continue
		}
		found := false
		for _, kind := range []string{"application", "certificate"} {
			if q := latest[[2]string{kind, ref}]; q != nil {
				out[ref], found = q.last.Row.Parties, true
			}
		}
		if !found {
			out[ref] = nil
			missing = append(missing, ref)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT id, parties FROM records WHERE kind IN ('application', 'certificate') AND channel = $1 AND id = ANY($2)`, channel, missing)
	if err != nil {
		return nil, err
	}
	var id string
	var parties []string
	_, err = pgx.ForEachRow(rows, []any{&id, &parties}, func() error {
		out[id] = parties
		return nil
	})
	return out, err
}

func union(a, b []string) []string {
	out := append([]string{}, a...) // never nil: the column is NOT NULL
	for _, x := range b {
		seen := false
		for _, y := range out {
			seen = seen || x == y
		}
		if !seen {
			out = append(out, x)
		}
	}
	return out
}

// Analyze refreshes the planner's statistics of the index's tables.
func (d *DB) Analyze(ctx context.Context) error {
	_, err := d.pool.Exec(ctx, `ANALYZE records; ANALYZE versions`)
	return err
}

// MarkBroken records that a channel's chain broke at a block: indexing
// stops there until an operator has looked (Reset).
func (d *DB) MarkBroken(ctx context.Context, channel string, b *proof.Broken) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO channels (channel, broken_block, broken_reason) VALUES ($1, $2, $3)
		ON CONFLICT (channel) DO UPDATE SET broken_block = $2, broken_reason = $3`, channel, int64(b.Block), b.Reason)
	return err
}

// Reset forgets everything indexed of a channel: the next run indexes it
// from genesis (after a broken chain was looked into, or to prove that a
// re-run writes the same tables).
func (d *DB) Reset(ctx context.Context, channel string) error {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, t := range []string{"records", "versions", "blocks", "channels"} {
		if _, err := tx.Exec(ctx, "DELETE FROM "+t+" WHERE channel = $1", channel); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func nullDate(s string) any {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return t
}

// jsonValue is a record's JSON for a json column (nil: none, a deleted key).
func jsonValue(b []byte) any {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}

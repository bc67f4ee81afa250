package pgstate

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataledger/index"
	"dataledger/index/indextest"
	"dataledger/proof"
)

// instances are n handles (each its own connection pool, as n gateway
// processes have) on one fresh database, sharing a clock.
func instances(t *testing.T, n int, now func() time.Time) []*DB {
	t.Helper()
	dsn := indextest.DSN(t, "dl_state_")
	out := make([]*DB, n)
	for i := range out {
		d, err := open(context.Background(), dsn, time.Hour, now)
		if err != nil {
			t.Fatalf("PostgreSQL is required (scripts/deps.sh starts it): %v", err)
		}
		t.Cleanup(d.Close)
		d.swept = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // no sweep in the background: the tests sweep
		out[i] = d
	}
	return out
}

// Many requests with one key racing on two instances: exactly one takes
// it; the others see it pending, then every one sees its answer, and a
// request with another body is told the key was used for another request.
func TestOneOfTheInstancesTakesAKeyAndAllReplayItsAnswer(t *testing.T) {
	in := instances(t, 2, time.Now)
	const racers = 40
	var took, pending atomic.Int32
	var token atomic.Value
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tok, r, err := in[i%2].Begin("key-a|k1", "h1")
			switch {
			case err != nil:
				t.Error(err)
			case r == nil && tok != "":
				took.Add(1)
				token.Store(tok)
			case r != nil && r.Status == 0 && r.BodyHash == "h1":
				pending.Add(1)
			default:
				t.Errorf("a racer read %q %+v", tok, r)
			}
		}()
	}
	close(start)
	wg.Wait()
	if took.Load() != 1 || pending.Load() != racers-1 {
		t.Fatalf("%d racers took the key and %d saw it pending; want 1 and %d", took.Load(), pending.Load(), racers-1)
	}
	tok := token.Load().(string)
	if err := in[1].Finish("key-a|k1", "not-its-token", 201, []byte(`{"number":"2"}`)); err == nil {
		t.Fatal("another request's token finished the record")
	}
	if err := in[0].Finish("key-a|k1", tok, 201, []byte(`{"number":"1"}`)); err != nil {
		t.Fatal(err)
	}
	for _, d := range in {
		_, r, err := d.Begin("key-a|k1", "h1")
		if err != nil || r == nil || r.Status != 201 || string(r.Response) != `{"number":"1"}` {
			t.Fatalf("after the answer: %+v %v", r, err)
		}
		if _, r, _ := d.Begin("key-a|k1", "other"); r == nil || r.BodyHash != "h1" {
			t.Fatalf("another body under the key: %+v", r)
		}
	}
	// A finished record is not finished again, nor released.
	if in[1].Finish("key-a|k1", tok, 500, []byte("late")) == nil || in[1].Release("key-a|k1", tok) == nil {
		t.Fatal("a finished record was finished or released again")
	}
	if _, r, _ := in[0].Begin("key-a|k1", "h1"); r == nil || r.Status != 201 {
		t.Fatalf("a second Finish or a Release changed the answer: %+v", r)
	}
	answered, pend, err := in[1].Records(context.Background())
	if err != nil || answered != 1 || pend != 0 {
		t.Fatalf("records: %d answered, %d pending, %v", answered, pend, err)
	}
}

// A released key (its request had no definite answer) is free again on
// every instance; a key older than the TTL is new again, and the request
// that held it can then neither answer nor release the new holder's
// record; a sweep deletes expired records.
func TestReleasedAndExpiredKeysAreNewAgain(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	in := instances(t, 2, now)
	first, r, err := in[0].Begin("k|1", "h")
	if r != nil || err != nil {
		t.Fatal(r, err)
	}
	if in[0].Release("k|1", "other") == nil { // not its request: nothing changes
		t.Fatal("released under another token")
	}
	if _, r, _ := in[1].Begin("k|1", "h"); r == nil || r.Status != 0 {
		t.Fatalf("released by another request: %+v", r)
	}
	if err := in[0].Release("k|1", first); err != nil {
		t.Fatal(err)
	}
	second, r, err := in[1].Begin("k|1", "h")
	if r != nil || err != nil {
		t.Fatalf("after its release the key is not free: %+v %v", r, err)
	}
	// The second request outlives the TTL; a third takes the key.
	clock.Add(int64(61 * time.Minute))
	third, r, err := in[0].Begin("k|1", "h")
	if r != nil || err != nil {
		t.Fatalf("expired: %+v %v", r, err)
	}
	if in[1].Finish("k|1", second, 200, []byte(`{"late":true}`)) == nil || in[1].Release("k|1", second) == nil {
		t.Fatal("the expired request answered or released the record of the request that took its key")
	}
	if err := in[0].Finish("k|1", third, 201, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, r, _ := in[1].Begin("k|1", "h"); r == nil || r.Status != 201 {
		t.Fatalf("the third request's answer: %+v", r)
	}
	// A record of its own expires; the sweep deletes it and only it.
	if _, _, err := in[0].Begin("k|old", "h"); err != nil {
		t.Fatal(err)
	}
	clock.Add(int64(61 * time.Minute))
	if _, _, err := in[0].Begin("k|new", "h"); err != nil {
		t.Fatal(err)
	}
	if n := in[1].Sweep(now()); n != 2 { // k|1 and k|old
		t.Fatalf("the sweep deleted %d records, want 2", n)
	}
	var keys []string
	rows, _ := in[0].pool.Query(context.Background(), `SELECT key FROM gateway_state.idempotency`)
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		keys = append(keys, k)
	}
	if len(keys) != 1 || keys[0] != "k|new" {
		t.Fatalf("after the sweep: %v, want [k|new]", keys)
	}
}

// An audit's checkpoint recorded by one instance is where another's next
// audit resumes; from genesis nothing is read; a corrupt row is refused.
func TestAnAuditResumesFromAnotherInstancesCheckpoint(t *testing.T) {
	in := instances(t, 2, time.Now)
	blocks, err := proof.OpenBlockFiles(filepath.Join(indextest.Dir(), "nanning"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := proof.Audit("nanning", blocks, nil, indextest.Trust(t))
	if err != nil || !r.OK() || r.Checkpoint == nil || r.Checkpoint.Next < 2 {
		t.Fatalf("fixture audit: %v %+v", err, r)
	}
	a, err := in[0].Checkpointer("nanning", false)
	if err != nil || a.BlockNumber() != 0 || a.Checkpoint() != nil {
		t.Fatalf("before any audit: %v, from %d", err, a.BlockNumber())
	}
	if err := a.CheckpointBlock(r.Checkpoint); err != nil {
		t.Fatal(err)
	}
	b, err := in[1].Checkpointer("nanning", false)
	if err != nil || b.BlockNumber() != r.Checkpoint.Next {
		t.Fatalf("the other instance resumes from %d (%v), want %d", b.BlockNumber(), err, r.Checkpoint.Next)
	}
	if g, err := in[1].Checkpointer("nanning", true); err != nil || g.BlockNumber() != 0 {
		t.Fatalf("from genesis: %d %v", g.BlockNumber(), err)
	}
	if _, err := in[0].pool.Exec(context.Background(), `UPDATE gateway_state.checkpoints SET checkpoint = '{"channel":"nanning","next":9}'`); err != nil {
		t.Fatal(err)
	}
	if _, err := in[1].Checkpointer("nanning", false); err == nil {
		t.Fatal("a checkpoint without its hash and configuration was resumed from")
	}
	if g, err := in[1].Checkpointer("nanning", true); err != nil || g.BlockNumber() != 0 {
		t.Fatalf("from genesis over a corrupt checkpoint: %v", err)
	}
}

// The state may share the supervision index's database: each keeps to its
// own schema, so neither refuses the other's tables.
func TestStateAndIndexShareADatabase(t *testing.T) {
	dsn := indextest.DSN(t, "dl_state_")
	d, err := Open(context.Background(), dsn, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ix, err := index.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("the index refuses a database holding the gateway's state: %v", err)
	}
	ix.Close()
	again, err := Open(context.Background(), dsn, 0)
	if err != nil {
		t.Fatalf("the state refuses a database holding the index: %v", err)
	}
	again.Close()
}

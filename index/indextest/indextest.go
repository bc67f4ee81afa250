// Package indextest gives tests a supervision index of a real chain: the
// proof package's copy of the demo's nanning ledger, audited under the
// network's roots and stored in a database of the test's own on the
// machine's PostgreSQL (scripts/deps.sh starts it), dropped after it.
package indextest

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"dataledger/index"
	"dataledger/pgdb/pgdbtest"
	"dataledger/proof"
)

// DSN is a fresh database name on the test PostgreSQL, dropped after
// the test (pgdbtest.DSN).
func DSN(t testing.TB, prefix string) string { return pgdbtest.DSN(t, prefix) }

// Open is an empty index in a fresh database.
func Open(t testing.TB) *index.DB {
	t.Helper()
	d, err := index.Open(context.Background(), DSN(t, "dl_test_"))
	if err != nil {
		t.Fatalf("PostgreSQL is required (scripts/deps.sh starts it): %v", err)
	}
	t.Cleanup(d.Close)
	return d
}

// Dir is the proof package's testdata directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "proof", "testdata")
}

// Blocks are the fixture chain's blocks.
func Blocks(t testing.TB) [][]byte {
	t.Helper()
	fb, err := proof.OpenBlockFiles(filepath.Join(Dir(), "nanning"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		raw, err := fb.Next()
		if err != nil {
			return out
		}
		out = append(out, raw)
	}
}

// Trust is the fixture network's trust file.
func Trust(t testing.TB) *proof.TrustFile {
	t.Helper()
	tf, err := proof.LoadTrust(filepath.Join(Dir(), "trust.json"))
	if err != nil {
		t.Fatal(err)
	}
	return tf
}

// Source streams blocks from a block number, as the peer's block events
// do; the stream closes after the last.
func Source(blocks [][]byte) index.Source {
	return func(ctx context.Context, channel string, from uint64) (<-chan index.Delivered, error) {
		out := make(chan index.Delivered)
		go func() {
			defer close(out)
			for _, raw := range blocks[min(int(from), len(blocks)):] {
				blk, err := proof.ParseBlock(raw)
				if err != nil {
					return
				}
				select {
				case out <- index.Delivered{Block: blk}:
				case <-ctx.Done():
					return
				}
			}
		}()
		return out, nil
	}
}

// Fixture is an index holding the whole fixture chain.
func Fixture(t testing.TB) *index.DB {
	t.Helper()
	d := Open(t)
	ix := &index.Indexer{DB: d, Chaincode: "dataledger", Trust: Trust(t)}
	blocks := Blocks(t)
	if h, err := ix.CatchUp(context.Background(), "nanning", Source(blocks), 300*time.Millisecond); err != nil || h != uint64(len(blocks)) {
		t.Fatalf("indexing the fixture: height %d of %d, %v", h, len(blocks), err)
	}
	return d
}

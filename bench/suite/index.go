package suite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"dataledger/index"
	"dataledger/network"
	"dataledger/proof"
)

// IndexRow is the supervision index on one channel: its catch-up from
// genesis against the block stream alone, in the same run.
type IndexRow struct {
	Channel         string
	Blocks, Records int     // in the channel; record versions written
	StreamPerSec    float64 // blocks/s of the block stream alone (received and parsed, nothing stored)
	IndexPerSec     float64 // blocks/s of the index catching up (stream, audit, decode, PostgreSQL)
	StreamRecPerSec float64 // record versions/s the stream carried
	IndexRecPerSec  float64 // record versions/s the index stored
	TrustPerSec     float64 // blocks/s of the index taking the peer's valid marks (TrustPeerValidation)
	TrustRecPerSec  float64
	Status, Name    Latency // search p50/p99: a status filter, a name search
	ExportRows      int
	ExportPerSec    float64 // CSV rows/s
	ExportRSSMB     int     // peak RSS growth of this process during the export
}

// indexDSN is the benchmark's own database, dropped after it.
func indexDSN() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "postgres://postgres@127.0.0.1:5432/dl_bench_" + hex.EncodeToString(b) + "?sslmode=disable"
}

// runIndex indexes the scale channel (the bulk-loaded credentials: many
// records per block) and the write channel (many small blocks) from
// genesis, each after reading the same blocks from the stream alone, then
// searches and exports the larger.
func runIndex(o *Options, r *Report) error {
	ctx := context.Background()
	dsn := indexDSN()
	db, err := index.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("PostgreSQL (scripts/deps.sh starts it): %w", err)
	}
	defer func() {
		db.Close()
		_, _ = index.DropDatabase(ctx, dsn)
	}()
	trustDSN := indexDSN()
	trustDB, err := index.Open(ctx, trustDSN)
	if err != nil {
		return err
	}
	defer func() {
		trustDB.Close()
		_, _ = index.DropDatabase(ctx, trustDSN)
	}()
	c, err := o.Net.Connect("ProvinceMSP", "regulator", nil)
	if err != nil {
		return err
	}
	defer c.Close()
	trust, err := o.Net.Trust()
	if err != nil {
		return err
	}
	src := index.BlockEvents(c.Gateway)
	for _, ch := range []string{o.ScaleChannel, o.WriteChannel} {
		height, err := c.Height(ch)
		if err != nil {
			return fmt.Errorf("%s", network.ErrorText(err))
		}
		row := IndexRow{Channel: ch, Blocks: int(height)}
		// The stream alone: every block to the height, parsed, counted.
		start := time.Now()
		sctx, cancel := context.WithCancel(ctx)
		blocks, err := src(sctx, ch, 0)
		if err != nil {
			cancel()
			return err
		}
		for blk := range blocks {
			d, err := index.Decode(ch, o.Net.D.Chaincode.Name, blk, false, nil)
			if err != nil {
				cancel()
				return err
			}
			row.Records += len(d.Writes)
			if blk.GetHeader().GetNumber()+1 >= height {
				break
			}
		}
		cancel()
		stream := time.Since(start)
		// The index: the same blocks, audited and stored, each transaction
		// re-checked; then again, into a database of its own, taking the
		// peer's valid marks as they are.
		took, err := catchUp(ctx, o, db, ch, height, trust, src, false)
		if err != nil {
			return err
		}
		trusting, err := catchUp(ctx, o, trustDB, ch, height, trust, src, true)
		if err != nil {
			return err
		}
		row.TrustPerSec = float64(height) / trusting.Seconds()
		row.TrustRecPerSec = float64(row.Records) / trusting.Seconds()
		row.StreamPerSec, row.IndexPerSec = float64(height)/stream.Seconds(), float64(height)/took.Seconds()
		row.StreamRecPerSec, row.IndexRecPerSec = float64(row.Records)/stream.Seconds(), float64(row.Records)/took.Seconds()
		o.logf("   %s: %d blocks, %d record versions: stream %.0f blocks/s (%.0f records/s), index %.0f blocks/s (%.0f records/s), trusting the peer's marks %.0f blocks/s (%.0f records/s)",
			ch, height, row.Records, row.StreamPerSec, row.StreamRecPerSec, row.IndexPerSec, row.IndexRecPerSec, row.TrustPerSec, row.TrustRecPerSec)
		r.Index = append(r.Index, row)
	}
	// Searches and an export on the larger channel, on fresh planner
	// statistics, as a running index has them once caught up (the bench
	// stops each catch-up at the height, before its own analyze).
	if err := db.Analyze(ctx); err != nil {
		return err
	}
	row := &r.Index[0]
	samples := 200
	if o.Smoke {
		samples = 30
	}
	if row.Status, err = sampleLatency(samples, func() error {
		_, err := db.Search(ctx, index.Query{Channel: row.Channel, Kind: "credential", Status: "valid", Limit: 50})
		return err
	}); err != nil {
		return err
	}
	if row.Name, err = sampleLatency(samples, func() error {
		_, err := db.Search(ctx, index.Query{Channel: row.Channel, Party: "压测规模", Limit: 50})
		return err
	}); err != nil {
		return err
	}
	limit := 100_000
	if o.Smoke {
		limit = 2_000
	}
	q := index.Query{Channel: row.Channel, Kind: "credential", Sort: "id", Asc: true}
	resetPeakRSS()
	before := peakRSSKB()
	start := time.Now()
	w := &countingDiscard{limit: limit}
	out, err := db.Export(ctx, q, index.CSV, w)
	if err != nil && err != errEnough {
		return err
	}
	rows := w.lines - 2 // the query and the column heads
	if out != nil && err == nil {
		rows = out.Rows
	}
	row.ExportRows, row.ExportPerSec = rows, float64(rows)/time.Since(start).Seconds()
	row.ExportRSSMB = max(0, (peakRSSKB()-before)/1024)
	o.logf("   search p50/p99: status %s/%s, name %s/%s; export %d rows at %.0f rows/s, peak RSS +%d MB",
		row.Status.P50, row.Status.P99, row.Name.P50, row.Name.P99, row.ExportRows, row.ExportPerSec, row.ExportRSSMB)
	return nil
}

// countingDiscard counts CSV lines and stops the export after limit rows.
type countingDiscard struct {
	lines, limit int
}

var errEnough = fmt.Errorf("enough rows")

func (c *countingDiscard) Write(b []byte) (int, error) {
	c.lines += strings.Count(string(b), "\n")
	if c.lines-2 >= c.limit {
		return len(b), errEnough
	}
	return len(b), nil
}

var _ io.Writer = (*countingDiscard)(nil)

// resetPeakRSS restarts the kernel's count of this process's peak RSS.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSKB is this process's peak RSS (VmHWM), in KiB.
func peakRSSKB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// catchUp indexes a channel into db from genesis to height and answers
// how long it took.
func catchUp(ctx context.Context, o *Options, db *index.DB, ch string, height uint64, tf *proof.TrustFile, src index.Source, trust bool) (time.Duration, error) {
	ix := &index.Indexer{DB: db, Chaincode: o.Net.D.Chaincode.Name, Trust: tf, TrustPeerValidation: trust}
	start := time.Now()
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	ix.Stored = func(_ string, h uint64, _, _ int) {
		if h >= height {
			cancel()
		}
	}
	if err := ix.Follow(ictx, ch, src); err != nil {
		return 0, err
	}
	took := time.Since(start)
	st, err := db.Channel(ctx, ch)
	if err != nil {
		return 0, err
	}
	if st.Height < height {
		return 0, fmt.Errorf("channel %s: the index reached %d of %d blocks", ch, st.Height, height)
	}
	return took, nil
}

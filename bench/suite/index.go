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

	"dataledger/bench/load"
	"dataledger/index"
	"dataledger/network"
	"dataledger/proof"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/protobuf/proto"
)

// IndexRow is the supervision index on one channel: its catch-up from
// genesis against the block stream alone, in the same run, interleaved
// (stream, index, stream, index, …); rates are the median round's.
type IndexRow struct {
	Channel         string
	Blocks, Records int // in the channel; record versions written
	Rounds          []IndexRound
	StreamPerSec    float64 // blocks/s of the block stream alone (received and parsed, nothing stored)
	IndexPerSec     float64 // blocks/s of the index catching up (stream, audit, decode, PostgreSQL)
	StreamRecPerSec float64 // record versions/s the stream carried
	IndexRecPerSec  float64 // record versions/s the index stored
	TrustPerSec     float64 // blocks/s of the index taking the peer's valid marks (TrustPeerValidation), one round
	TrustRecPerSec  float64
	Status, Name    Latency // search p50/p99: a status filter, a name search
	ExportRows      int
	ExportPerSec    float64 // CSV rows/s
	ExportRSSMB     int     // peak RSS growth of this process during the export
}

// IndexRound is one round: the stream alone, then the index, over the
// same blocks.
type IndexRound struct {
	Stream, Index time.Duration
}

// rates are the rounds' blocks/s, stream and index, by round.
func (x IndexRow) rates() (stream, idx map[int]float64) {
	stream, idx = map[int]float64{}, map[int]float64{}
	for i, r := range x.Rounds {
		stream[i], idx[i] = float64(x.Blocks)/r.Stream.Seconds(), float64(x.Blocks)/r.Index.Seconds()
	}
	return stream, idx
}

// indexDSN is the benchmark's own database, dropped after it.
func indexDSN() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "postgres://postgres@127.0.0.1:5432/dl_bench_" + hex.EncodeToString(b) + "?sslmode=disable"
}

// benchDB is a fresh database and its drop.
func benchDB(ctx context.Context) (*index.DB, func(), error) {
	dsn := indexDSN()
	db, err := index.Open(ctx, dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("PostgreSQL (scripts/deps.sh starts it): %w", err)
	}
	return db, func() {
		db.Close()
		_, _ = index.DropDatabase(ctx, dsn)
	}, nil
}

// runIndex indexes the scale channel (the bulk-loaded credentials: many
// records per block), the write channel (small blocks of many
// transactions) and the blocks channel (a block per transaction) from
// genesis, each round after reading the same blocks from the stream
// alone, then searches and exports the first.
func runIndex(o *Options, r *Report) error {
	ctx := context.Background()
	channels := []string{o.ScaleChannel, o.WriteChannel}
	if o.IndexBlocks > 0 && o.BlocksChannel != "" {
		if err := growBlocks(o, o.BlocksChannel, o.IndexBlocks); err != nil {
			return fmt.Errorf("%s: %d blocks: %w", o.BlocksChannel, o.IndexBlocks, err)
		}
		channels = append(channels, o.BlocksChannel)
	}
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
	rounds := max(1, o.Rounds)
	var searched *index.DB // the first channel's last index, for searches
	for _, ch := range channels {
		height, err := c.Height(ch)
		if err != nil {
			return fmt.Errorf("%s", network.ErrorText(err))
		}
		row := IndexRow{Channel: ch, Blocks: int(height)}
		settle()
		for round := range rounds {
			// The stream alone: every block to the height, parsed, counted.
			stream, records, err := streamAlone(ctx, o, src, ch, height)
			if err != nil {
				return err
			}
			row.Records = records
			// The index: the same blocks, audited and stored, each
			// transaction re-checked, into an empty database.
			db, drop, err := benchDB(ctx)
			if err != nil {
				return err
			}
			took, err := catchUp(ctx, o, db, ch, height, trust, src, false)
			if err != nil {
				drop()
				return err
			}
			if ch == channels[0] && round == rounds-1 {
				searched = db
				defer drop()
			} else {
				drop()
			}
			row.Rounds = append(row.Rounds, IndexRound{stream, took})
			o.logf("   %s round %d: %d blocks, %d record versions: stream %.0f blocks/s, index %.0f blocks/s (%.2f)", ch, round+1, height, records,
				float64(height)/stream.Seconds(), float64(height)/took.Seconds(), stream.Seconds()/took.Seconds())
		}
		// Once more, taking the peer's valid marks as they are.
		db, drop, err := benchDB(ctx)
		if err != nil {
			return err
		}
		trusting, err := catchUp(ctx, o, db, ch, height, trust, src, true)
		drop()
		if err != nil {
			return err
		}
		streams, idx := row.rates()
		row.StreamPerSec, row.IndexPerSec = median(streams), median(idx)
		row.StreamRecPerSec = row.StreamPerSec * float64(row.Records) / float64(height)
		row.IndexRecPerSec = row.IndexPerSec * float64(row.Records) / float64(height)
		row.TrustPerSec = float64(height) / trusting.Seconds()
		row.TrustRecPerSec = float64(row.Records) / trusting.Seconds()
		o.logf("   %s: stream %.0f blocks/s (%.0f records/s), index %.0f blocks/s (%.0f records/s), trusting the peer's marks %.0f blocks/s (%.0f records/s)",
			ch, row.StreamPerSec, row.StreamRecPerSec, row.IndexPerSec, row.IndexRecPerSec, row.TrustPerSec, row.TrustRecPerSec)
		r.Index = append(r.Index, row)
	}
	// Searches and an export on the first channel, on fresh planner
	// statistics, as a running index has them once caught up (the bench
	// stops each catch-up at the height, before its own analyze).
	db := searched
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

// streamAlone reads a channel's blocks from genesis to height from the
// block stream, each parsed and its records read (index.Decode, nothing
// checked or stored): the rate the index is measured against.
func streamAlone(ctx context.Context, o *Options, src index.Source, ch string, height uint64) (time.Duration, int, error) {
	start := time.Now()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blocks, err := src(sctx, ch, 0)
	if err != nil {
		return 0, 0, err
	}
	records := 0
	for blk := range blocks {
		d, err := index.Decode(ch, o.Net.D.Chaincode.Name, blk.Block, false, nil)
		if err != nil {
			return 0, 0, err
		}
		records += len(d.Writes)
		if blk.GetHeader().GetNumber()+1 >= height {
			break
		}
	}
	return time.Since(start), records, nil
}

// growBlocks gives channel at least n blocks of one transaction each: the
// orderers cut a block per transaction (BatchSize.MaxMessageCount 1, by
// a configuration update its ordering orgs' admins sign) while raw puts
// are written, then cut as before, whatever happened in between. The
// trust file is written again, as after any configuration change.
func growBlocks(o *Options, channel string, n int) (err error) {
	c, err := o.Net.Connect("ProvinceMSP", "operator", nil)
	if err != nil {
		return err
	}
	defer c.Close()
	h, err := c.Height(channel)
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	if int(h)+2 >= n {
		return nil
	}
	var signers []string
	ch := o.Net.D.Channel(channel)
	if ch == nil {
		return fmt.Errorf("no channel %q in the description", channel)
	}
	for _, org := range o.Net.D.ChannelOrdererOrgs(ch) {
		signers = append(signers, org.MSPID)
	}
	cfg, _, err := o.Net.ChannelConfig(channel)
	if err != nil {
		return err
	}
	var before orderer.BatchSize
	if v := cfg.GetChannelGroup().GetGroups()["Orderer"].GetValues()["BatchSize"]; v == nil || proto.Unmarshal(v.Value, &before) != nil {
		return fmt.Errorf("channel %s has no orderer batch size", channel)
	}
	setCount := func(count uint32) error {
		_, err := o.Net.UpdateConfig(channel, func(cfg *common.Config) error {
			v := cfg.GetChannelGroup().GetGroups()["Orderer"].GetValues()["BatchSize"]
			bs := proto.Clone(&before).(*orderer.BatchSize)
			bs.MaxMessageCount = count
			b, err := proto.Marshal(bs)
			v.Value = b
			return err
		}, signers...)
		return err
	}
	if before.MaxMessageCount != 1 {
		if err := setCount(1); err != nil {
			return err
		}
		defer func() {
			if rerr := setCount(before.MaxMessageCount); rerr != nil && err == nil {
				err = fmt.Errorf("restoring the batch size %d: %w", before.MaxMessageCount, rerr)
			}
			if terr := o.Net.WriteTrust(); terr != nil && err == nil {
				err = terr
			}
		}()
	}
	want := n - int(h) - 2 // the two configuration blocks count
	o.logf("   %s: writing %d transactions, a block each", channel, want)
	value := strings.Repeat("x", 256)
	start := time.Now()
	res := load.Run(64, want, func(i int) string {
		_, err := network.Tx.BenchPut(fmt.Sprintf("blocks-%d-%d", h, i), value).SubmitRaw(c, channel)
		return outcome(err)
	})
	o.logf("   %s: %v in %s", channel, res.Outcomes, time.Since(start).Round(time.Second))
	if res.Outcomes["VALID"] != want {
		return fmt.Errorf("raw puts: %v", res.Outcomes)
	}
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

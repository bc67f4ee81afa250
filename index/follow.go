package index

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"dataledger/proof"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
)

// Source opens a channel's block stream from a block on. The stream ends
// (its channel closes) when ctx ends or the connection fails; the
// follower then opens it again from where it stands.
type Source func(ctx context.Context, channel string, from uint64) (<-chan Delivered, error)

// Delivered is a block as the peer delivers it, with the private data of
// its transactions that the reader's organization holds (by transaction
// index; none for an organization outside the collections): a record's
// private part is the whole record, which the index stores in place of
// its public view.
type Delivered struct {
	*common.Block
	Private map[uint64]*rwset.TxPvtReadWriteSet
}

// BlockEvents is the block stream of a Fabric Gateway with the private
// data the identity's organization may read (the peer's deliver service,
// from a start block: one stream, not one query per block).
func BlockEvents(gw *client.Gateway) Source {
	return func(ctx context.Context, channel string, from uint64) (<-chan Delivered, error) {
		in, err := gw.GetNetwork(channel).BlockAndPrivateDataEvents(ctx, client.WithStartBlock(from))
		if err != nil {
			return nil, err
		}
		out := make(chan Delivered)
		go func() {
			defer close(out)
			for b := range in {
				select {
				case out <- Delivered{Block: b.GetBlock(), Private: b.GetPrivateDataMap()}:
				case <-ctx.Done():
					return
				}
			}
		}()
		return out, nil
	}
}

// BrokenError is a block that failed the chain audit: the follower stored
// nothing of it and stops there.
type BrokenError struct {
	Channel string
	proof.Broken
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("channel %s: block %d failed the chain audit, indexing stopped before it: %s", e.Channel, e.Block, e.Reason)
}

// OtherNetworkError is a channel whose genesis block is not the one the
// index holds: a network set up anew under the same channel name. The
// index stops rather than mix two chains; Reset starts it over.
type OtherNetworkError struct {
	Channel     string
	Held, Found []byte
}

func (e *OtherNetworkError) Error() string {
	return fmt.Sprintf("channel %s: the peer's genesis block (header hash %x) is not the one the index holds (%x): another network under the same name; reset the channel's index (dataledger index reset --channel %s) to index it anew",
		e.Channel, e.Found, e.Held, e.Channel)
}

// Indexer follows channels into the database.
type Indexer struct {
	DB        *DB
	Chaincode string           // the namespace whose records it reads
	Trust     *proof.TrustFile // the network's trust file: the audit starts at its pinned genesis
	Log       *slog.Logger
	// MaxBatch is the most blocks one database transaction stores: while
	// the stream has blocks waiting (catching up) they go in together; at
	// the head each block is stored as it comes. 0: 256.
	MaxBatch int
	// Retry is the wait before the stream is opened again after it ended
	// (0: one second).
	Retry time.Duration
	// TrustPeerValidation takes the peer's transactions filter as it is:
	// the blocks are still audited, but a transaction the filter marks
	// valid is not re-checked (its signature, endorsements and conflicts
	// within its block). Only for an index that reads its own
	// organization's peer, which it trusts with its own ledger; it saves
	// three ECDSA verifications per transaction.
	TrustPeerValidation bool
	// Stored, when set, is told each batch stored (tests, metrics).
	Stored func(channel string, height uint64, blocks, writes int)

	idle time.Duration // CatchUp: stop after this long without a block
	stop func()
}

// Follow indexes a channel from its checkpoint until ctx ends (nil) or a
// block fails the audit (*BrokenError, recorded in the database so that
// every later run stops there too until Reset).
func (ix *Indexer) Follow(ctx context.Context, channel string, src Source) error {
	for {
		err := ix.followOnce(ctx, channel, src)
		if ctx.Err() != nil {
			return nil
		}
		var be *BrokenError
		var oe *OtherNetworkError
		if errors.As(err, &be) || errors.As(err, &oe) {
			return err
		}
		if err != nil {
			ix.log().Warn("index: stream ended", "channel", channel, "err", err)
		}
		retry := ix.Retry
		if retry == 0 {
			retry = time.Second
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retry):
		}
	}
}

// CatchUp indexes a channel's blocks until the stream has none waiting
// for wait, then returns the height reached (tests, and a catch-up that
// ends).
func (ix *Indexer) CatchUp(ctx context.Context, channel string, src Source, wait time.Duration) (uint64, error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ix2 := *ix
	ix2.idle, ix2.stop = wait, cancel
	if err := ix2.followOnce(cctx, channel, src); err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		return 0, err
	}
	st, err := ix.DB.Channel(ctx, channel)
	return st.Height, err
}

func (ix *Indexer) log() *slog.Logger {
	if ix.Log != nil {
		return ix.Log
	}
	return slog.Default()
}

// followOnce reads one opening of the stream.
func (ix *Indexer) followOnce(ctx context.Context, channel string, src Source) error {
	st, err := ix.DB.Channel(ctx, channel)
	if err != nil {
		return err
	}
	if st.Broken != nil {
		return &BrokenError{channel, *st.Broken}
	}
	if err := ix.sameGenesis(ctx, channel, st, src); err != nil {
		return err
	}
	resume := st.Checkpoint
	if resume != nil && resume.Genesis == "" && len(st.Genesis) > 0 {
		// A checkpoint stored before checkpoints named their genesis: the
		// genesis the index audited from is the one it stored.
		c := *resume
		c.Genesis = hex.EncodeToString(st.Genesis)
		resume = &c
	}
	a, err := proof.NewAuditor(channel, resume, ix.Trust)
	if err != nil {
		return err
	}
	if a.Next() != st.Height {
		return fmt.Errorf("channel %s: the checkpoint resumes at block %d, the index holds %d", channel, a.Next(), st.Height)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blocks, err := src(sctx, channel, a.Next())
	if err != nil {
		return err
	}
	max := ix.MaxBatch
	if max <= 0 {
		max = 256
	}
	// Blocks are parsed, their records read and their signatures checked
	// ahead, on every core, under the configuration in force when they
	// arrive; the audit then takes them in order (a block checked under a
	// configuration a later block replaced is checked again, in turn).
	var checker atomic.Pointer[proof.SignatureChecker]
	checker.Store(a.SignatureChecker())
	ahead := ix.ahead(sctx, channel, blocks, &checker)
	// A writer stores one batch while the next is read, audited and
	// decoded: the database and the stream work at once.
	w := ix.startWriter(ctx, channel)
	defer w.stop()
	var batch []*Block
	var cp *proof.Checkpoint             // after the last block of batch
	flush := func(caughtUp bool) error { // queues the batch
		if len(batch) == 0 {
			return w.failed()
		}
		err := w.queue(queued{batch, cp, caughtUp})
		batch = nil
		return err
	}
	finish := func() error { // everything read is stored
		if err := flush(true); err != nil {
			return err
		}
		return w.wait()
	}
	take := func(f *future) error {
		<-f.done
		p, blk := f.p, f.blk
		var sigs *proof.Signatures
		if p != nil {
			sigs = p.sigs
		}
		if blk.GetHeader().GetNumber() < a.Next() && blk.GetHeader() != nil {
			return nil // a source that starts earlier
		}
		if n := blk.GetHeader().GetNumber(); blk.GetHeader() != nil && n > a.Next() {
			// The stream skipped: a transport fault, not a broken chain.
			return fmt.Errorf("channel %s: the stream sent block %d where %d was expected", channel, n, a.Next())
		}
		if b := a.CheckSigned(blk.Block, sigs); b != nil {
			return ix.broken(ctx, channel, finish, b)
		}
		if p == nil {
			p = prepare(channel, ix.Chaincode, blk)
		}
		config := a.IsConfig(blk.Block)
		if config {
			checker.Store(a.SignatureChecker())
		}
		check := func(tx *proof.Tx, earlier proof.BlockWrites) error {
			return a.CheckTxSigned(tx, ix.Chaincode, earlier, sigs, blk.Block)
		}
		if ix.TrustPeerValidation {
			check = nil
		}
		d, err := p.decode(config, check)
		var ie *InvalidTxError
		if errors.As(err, &ie) {
			return ix.broken(ctx, channel, finish, &proof.Broken{Block: ie.Block, Reason: ie.Error()})
		}
		if err != nil {
			return err
		}
		batch, cp = append(batch, d), a.Checkpoint()
		return nil
	}
	var idle <-chan time.Time
	for {
		if ix.idle > 0 {
			idle = time.After(ix.idle)
		}
		select {
		case <-ctx.Done():
			return nil // what was not stored is read again on resume
		case <-idle:
			if err := finish(); err != nil {
				return err
			}
			ix.stop()
			return nil
		case f, ok := <-ahead:
			if !ok {
				return finish()
			}
			if err := take(f); err != nil {
				return err
			}
			caughtUp := false // nothing more waiting in the stream
		drain: // what else is waiting goes in the same transaction
			for len(batch) < max {
				select {
				case f, ok := <-ahead:
					if !ok {
						return finish()
					}
					if err := take(f); err != nil {
						return err
					}
				default:
					caughtUp = true
					break drain
				}
			}
			if err := flush(caughtUp); err != nil {
				return err
			}
		}
	}
}

// sameGenesis checks, before resuming, that the peer's channel starts
// with the genesis block the index holds.
func (ix *Indexer) sameGenesis(ctx context.Context, channel string, st ChannelState, src Source) error {
	if st.Height == 0 || st.Genesis == nil {
		return nil
	}
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blocks, err := src(gctx, channel, 0)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case blk, ok := <-blocks:
		if !ok || blk.GetHeader() == nil {
			return fmt.Errorf("channel %s: the stream from genesis ended at once", channel)
		}
		if h := proof.HeaderHash(blk.Header); blk.Header.Number != 0 || !bytes.Equal(h, st.Genesis) {
			return &OtherNetworkError{channel, st.Genesis, h}
		}
	}
	return nil
}

// broken stores what passed, records the broken block and stops.
func (ix *Indexer) broken(ctx context.Context, channel string, finish func() error, b *proof.Broken) error {
	if err := finish(); err != nil {
		return err
	}
	if err := ix.DB.MarkBroken(ctx, channel, b); err != nil {
		return err
	}
	ix.log().Error("index: chain audit failed, indexing stopped", "channel", channel, "block", b.Block, "reason", b.Reason)
	return &BrokenError{channel, *b}
}

// analyzeAfter is how many record versions a catch-up stores before the
// tables' statistics are refreshed, once it has caught up.
const analyzeAfter = 100_000

// writer stores batches in order, one at a time, behind the reader.
type writer struct {
	work   chan queued
	done   chan struct{}
	mu     sync.Mutex
	err    error
	closed bool
}

type queued struct {
	blocks   []*Block
	cp       *proof.Checkpoint
	caughtUp bool // the stream had nothing more waiting
}

func (ix *Indexer) startWriter(ctx context.Context, channel string) *writer {
	w := &writer{work: make(chan queued, 1), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		since := 0 // record versions stored since the planner's statistics were refreshed
		for p := range w.work {
			if w.failed() != nil {
				continue // after a failure nothing more is stored: the next run resumes from the last checkpoint
			}
			if err := ix.DB.Store(ctx, channel, p.blocks, p.cp); err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
				continue
			}
			n := 0
			for _, b := range p.blocks {
				n += len(b.Writes)
			}
			if ix.Stored != nil {
				ix.Stored(channel, p.blocks[len(p.blocks)-1].Number+1, len(p.blocks), n)
			}
			// Caught up after a large catch-up: searches plan on fresh
			// statistics (which parties are common decides between the
			// parties index and the time order) without waiting for
			// autovacuum.
			if since += n; since >= analyzeAfter && p.caughtUp && len(w.work) == 0 {
				if err := ix.DB.Analyze(ctx); err != nil {
					ix.log().Warn("index: analyze", "err", err)
				}
				since = 0
			}
		}
	}()
	return w
}

func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// queue hands a batch to the writer (waiting while it still holds one
// queued batch besides the one it stores).
func (w *writer) queue(q queued) error {
	if err := w.failed(); err != nil {
		return err
	}
	if w.closed {
		return fmt.Errorf("the writer has finished") // a programming error, not a send on a closed channel
	}
	w.work <- q
	return nil
}

// wait stores what is queued and answers the first failure.
func (w *writer) wait() error {
	if !w.closed {
		w.closed = true
		close(w.work)
		<-w.done
	}
	return w.failed()
}

func (w *writer) stop() { _ = w.wait() }

// future is a block being prepared ahead of its turn: done closes when p
// is ready (nil: not prepared ahead, the audit's turn prepares it).
type future struct {
	blk  Delivered
	p    *prepared
	done chan struct{}
}

// ahead prepares the stream's blocks on every core (parsed, records read,
// signatures checked under checker's configuration) and hands them on in
// stream order; the channel closes when the stream ends. A block whose
// header does not cover its data is not prepared (the audit refuses it;
// the genesis block, before any configuration, is prepared regardless),
// and a block whose preparation panics is prepared again in its turn,
// after its audit, as a block always was. Besides the blocks the source
// holds, at most three times as many as cores are in hand: being
// prepared, waiting to be taken, and the one taken.
func (ix *Indexer) ahead(ctx context.Context, channel string, blocks <-chan Delivered, checker *atomic.Pointer[proof.SignatureChecker]) <-chan *future {
	workers := runtime.GOMAXPROCS(0)
	out := make(chan *future, 2*workers)
	slots := make(chan struct{}, workers)
	withTxs := !ix.TrustPeerValidation
	go func() {
		defer close(out)
		for blk := range blocks {
			f := &future{blk: blk, done: make(chan struct{})}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			sc := checker.Load()
			go func() {
				defer func() { <-slots }()
				defer close(f.done)
				defer func() {
					if recover() != nil {
						f.p = nil
					}
				}()
				var sigs *proof.Signatures
				if sc != nil {
					if sigs = sc.CheckBlock(blk.Block); sigs == nil {
						return // its header does not cover its data: the audit refuses it
					}
				}
				p := prepare(channel, ix.Chaincode, blk)
				if sigs != nil && withTxs {
					sigs.CheckTxs(p.toCheck(), ix.Chaincode)
				}
				p.sigs, f.p = sigs, p
			}()
			select {
			case out <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

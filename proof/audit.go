package proof

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Blocks yields a channel's blocks in order, from a given number; Next
// answers io.EOF after the last one.
type Blocks interface {
	Next() ([]byte, error)
}

// Broken is the first block that fails the audit.
type Broken struct {
	Block  uint64 `json:"block"`
	Reason string `json:"reason"`
}

// AuditReport is what an audit found.
type AuditReport struct {
	Channel      string      `json:"channel"`
	From         uint64      `json:"from"`
	To           uint64      `json:"to"` // last block checked (valid or not)
	Blocks       int         `json:"blocks"`
	ConfigBlocks int         `json:"configBlocks"`
	Transactions int         `json:"transactions"`
	Valid        int         `json:"valid"`
	Invalid      int         `json:"invalid"`
	FirstBroken  *Broken     `json:"firstBroken,omitempty"`
	Elapsed      string      `json:"elapsed"`
	Checkpoint   *Checkpoint `json:"checkpoint"` // after the last block that passed
}

// OK tells whether every block checked passed.
func (r *AuditReport) OK() bool { return r.FirstBroken == nil }

// Print writes the report for a person.
func (r *AuditReport) Print(w io.Writer) {
	if r.Blocks == 0 {
		fmt.Fprintf(w, "channel %s: no new block (the next will be %d)\n", r.Channel, r.From)
	} else {
		fmt.Fprintf(w, "channel %s: blocks %d..%d checked (%d), %d configuration block(s)\n", r.Channel, r.From, r.To, r.Blocks, r.ConfigBlocks)
	}
	fmt.Fprintf(w, "  transactions %d: %d valid, %d invalid\n", r.Transactions, r.Valid, r.Invalid)
	fmt.Fprintf(w, "  took %s; next audit resumes at block %d\n", r.Elapsed, r.Checkpoint.Next)
	if r.FirstBroken != nil {
		fmt.Fprintf(w, "✗ BROKEN at block %d: %s\n", r.FirstBroken.Block, r.FirstBroken.Reason)
		return
	}
	fmt.Fprintln(w, "✓ every header links to the previous one, every data hash matches, every block is signed by its orderers")
}

// Audit walks blocks from a checkpoint (nil: genesis) and checks each
// header's previous hash and data hash and, after genesis, the orderers'
// signatures under the configuration in force. With a trust file the
// genesis block must be the pinned one; a later configuration block takes
// over from the block after it once it is judged an update the
// configuration before it allowed (judgeUpdate). It
// stops at the first broken link; the returned checkpoint follows the
// last block that passed.
func Audit(channel string, blocks Blocks, cp *Checkpoint, trust *TrustFile) (*AuditReport, error) {
	start := time.Now()
	a, err := NewAuditor(channel, cp, trust)
	if err != nil {
		return nil, err
	}
	r := &AuditReport{Channel: channel, From: a.Next(), To: a.Next(), Checkpoint: cp}
	for {
		raw, err := blocks.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		blk, err := ParseBlock(raw)
		if err != nil {
			r.FirstBroken = &Broken{a.Next(), err.Error()}
			break
		}
		if blk.Header.Number < a.Next() {
			continue // block sources that start at genesis
		}
		r.To = blk.Header.Number
		r.Blocks++
		if b := a.Check(blk); b != nil {
			r.FirstBroken = b
			break
		}
		if a.IsConfig(blk) {
			r.ConfigBlocks++
		}
		for i := range blk.Data.Data {
			r.Transactions++
			if code, _ := ValidationCode(blk, i); code == peer.TxValidationCode_VALID {
				r.Valid++
			} else {
				r.Invalid++
			}
		}
		r.Checkpoint = a.Checkpoint()
	}
	if r.Checkpoint == nil {
		r.Checkpoint = &Checkpoint{Channel: channel}
	}
	r.Checkpoint.Audited = time.Now().UTC().Format(time.RFC3339)
	r.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return r, nil
}

// Auditor checks a channel's blocks one at a time, in order, as Audit
// does: for a reader of the block stream (the supervision index) that
// stores nothing of a block before it passed. After a broken block it
// refuses every later one.
type Auditor struct {
	channel string
	trust   Trust
	next    uint64
	prev    []byte
	cfg     *Config
	cfgRaw  []byte
	cfgNum  uint64 // the block the configuration in force came from
	genesis string // hex hash of block 0, once seen or resumed
	broken  *Broken
}

// NewAuditor resumes from a checkpoint (nil: genesis). With a trust
// file, the genesis block must be the one it pins for the channel.
func NewAuditor(channel string, cp *Checkpoint, trust *TrustFile) (*Auditor, error) {
	tr, err := trustFor(trust, channel)
	if err != nil {
		return nil, err
	}
	a := &Auditor{channel: channel, trust: tr}
	if cp == nil || cp.Next == 0 {
		return a, nil
	}
	if cp.Channel != channel {
		return nil, fmt.Errorf("checkpoint is of channel %q, not %q", cp.Channel, channel)
	}
	blk, err := ParseBlock(cp.ConfigBlock)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if a.cfg, err = ParseConfigBlock(blk); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if tr.anchor != nil && cp.Genesis != tr.anchor.Genesis {
		if cp.Genesis == "" {
			return nil, fmt.Errorf("checkpoint: it does not name the genesis block it was audited from, so it cannot be resumed under the trust file: audit channel %s from genesis", channel)
		}
		return nil, fmt.Errorf("checkpoint: made from genesis block %s, the trust file pins %s for channel %s", short(cp.Genesis), short(tr.anchor.Genesis), channel)
	}
	a.genesis = cp.Genesis
	a.next, a.prev, a.cfgRaw, a.cfgNum = cp.Next, cp.PreviousHash, cp.ConfigBlock, blk.Header.Number
	return a, nil
}

// Next is the number of the block Check expects.
func (a *Auditor) Next() uint64 { return a.next }

// Check is why blk does not continue the chain (nil when it does; the
// auditor then expects the block after it).
func (a *Auditor) Check(blk *common.Block) *Broken { return a.CheckSigned(blk, nil) }

// CheckSigned is Check taking the orderers' signatures as s found them
// when s was made for blk under the configuration in force.
func (a *Auditor) CheckSigned(blk *common.Block, s *Signatures) *Broken {
	if a.broken != nil {
		return &Broken{blk.GetHeader().GetNumber(), fmt.Sprintf("the chain broke at block %d: %s", a.broken.Block, a.broken.Reason)}
	}
	if blk.GetHeader() == nil || blk.GetData() == nil {
		a.broken = &Broken{a.next, "a block without header or data"}
		return a.broken
	}
	n := blk.Header.Number
	orderers := func() error {
		_, err := verifyOrderers(blk, a.cfg, a.trust, blockTime(blk))
		return err
	}
	if s.For(a, blk) {
		orderers = func() error { return s.orderers }
	}
	if reason := checkLink(blk, a.next, a.prev, a.cfg != nil, orderers); reason != "" {
		a.broken = &Broken{n, reason}
		return a.broken
	}
	if n == 0 {
		a.genesis = hex.EncodeToString(HeaderHash(blk.Header))
	}
	if p := a.trust.anchor.pinnedConfig(); p != nil && n == p.Number && hex.EncodeToString(HeaderHash(blk.Header)) != p.Hash {
		a.broken = &Broken{n, fmt.Sprintf("block %d is not the configuration block the trust file pins (hash %s)", n, short(p.Hash))}
		return a.broken
	}
	if c, err := ParseConfigBlock(blk); err == nil {
		if c.Channel != a.channel {
			a.broken = &Broken{n, fmt.Sprintf("configuration of channel %q in channel %q", c.Channel, a.channel)}
			return a.broken
		}
		var err error
		switch {
		case n == 0 && a.trust.anchor != nil:
			err = a.trust.anchor.anchors(blk, c)
		case n > 0:
			err = judgeUpdate(a.cfg, c, blk, a.trust)
		}
		if err == nil {
			err = c.checkPolicies()
		}
		if err != nil {
			a.broken = &Broken{n, err.Error()}
			return a.broken
		}
		raw, err := proto.Marshal(blk)
		if err != nil {
			a.broken = &Broken{n, err.Error()}
			return a.broken
		}
		a.cfg, a.cfgRaw, a.cfgNum = c, raw, n
	} else if last, err := LastConfig(blk); err != nil || last != a.cfgNum {
		// The orderers sign which configuration a block is judged by; a
		// block naming another than the one in force would have its
		// bundles judged under that one.
		a.broken = &Broken{n, fmt.Sprintf("block %d names configuration block %d, the configuration in force is block %d (%v)", n, last, a.cfgNum, err)}
		return a.broken
	}
	a.prev, a.next = HeaderHash(blk.Header), n+1
	return nil
}

// CheckTx re-checks a transaction of a block that passed Check and whose
// filter marks it VALID, as far as a reader of blocks can without the
// world state: its ID derives from its nonce and creator, it is on this
// channel, its submitter signed it, it is endorsed under the verifier's
// rules (peers of two application organizations at least, one each, and
// the channel's endorsement policy) for chaincode, and no earlier valid transaction of the block
// wrote a key it read. The filter itself is the peer's word, not signed
// by the orderers: this is what keeps a lying peer from passing a
// fabricated transaction as valid. A read of a key written in an earlier
// block at another version (MVCC) remains the peer's word.
func (a *Auditor) CheckTx(tx *Tx, chaincode string, earlier BlockWrites) error {
	if err := txSignatures(tx, a.channel, a.cfg, a.trust, chaincode); err != nil {
		return err
	}
	return earlier.conflict(tx)
}

// IsConfig tells whether blk (which passed Check) is the configuration
// now in force.
func (a *Auditor) IsConfig(blk *common.Block) bool {
	return a.cfgRaw != nil && a.cfgNum == blk.GetHeader().GetNumber()
}

// Checkpoint is where the auditor stands: resume a later audit from it.
func (a *Auditor) Checkpoint() *Checkpoint {
	if a.next == 0 {
		return &Checkpoint{Channel: a.channel}
	}
	return &Checkpoint{Channel: a.channel, Next: a.next, PreviousHash: a.prev, ConfigBlock: a.cfgRaw, Genesis: a.genesis}
}

// checkLink is why a block does not continue the chain ("" when it does).
func checkLink(blk *common.Block, want uint64, prev []byte, configured bool, orderers func() error) string {
	n := blk.Header.Number
	if n != want {
		return fmt.Sprintf("block number %d where %d was expected (a block is missing or repeated)", n, want)
	}
	if n > 0 && !bytes.Equal(blk.Header.PreviousHash, prev) {
		return fmt.Sprintf("previous hash %x is not the hash %x of block %d's header", blk.Header.PreviousHash, prev, n-1)
	}
	if !bytes.Equal(DataHash(blk.Data), blk.Header.DataHash) {
		return "the header's data hash does not match the block's data"
	}
	if n == 0 {
		if _, err := ParseConfigBlock(blk); err != nil {
			return "genesis: " + err.Error()
		}
		return ""
	}
	if !configured {
		return "no configuration in force to check the orderers' signatures"
	}
	if err := orderers(); err != nil {
		return "orderer signatures: " + err.Error()
	}
	return ""
}

// BlockWrites are the keys the valid transactions of a block wrote, as a
// reader goes through it in order: a later transaction that read one of
// them cannot be valid (Fabric's MVCC check within a block).
// Each key maps to the index of the transaction that wrote it.
type BlockWrites map[string]int

// Add records what a valid transaction wrote.
func (w BlockWrites) Add(t *Tx) {
	for _, k := range t.writeKeys() {
		w[k] = t.Index
	}
}

func (w BlockWrites) conflict(t *Tx) error {
	for k := range t.readKeys() {
		if i, ok := w[k]; ok {
			return fmt.Errorf("transaction %d of the block, marked valid before it, wrote %s, which it read: it cannot be VALID", i, printableKey(strings.SplitN(k, "\x01", 2)[1]))
		}
	}
	return nil
}

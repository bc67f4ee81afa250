package proof

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
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
// signatures under the configuration in force (configuration blocks take
// over from the block after them once their own signatures verify). It
// stops at the first broken link; the returned checkpoint follows the
// last block that passed.
func Audit(channel string, blocks Blocks, cp *Checkpoint, pinned []*x509.Certificate) (*AuditReport, error) {
	start := time.Now()
	tr := Trust{Pinned: pinned}
	r := &AuditReport{Channel: channel}
	next, prev := uint64(0), []byte(nil)
	var cfg *Config
	if cp != nil {
		if cp.Channel != channel {
			return nil, fmt.Errorf("checkpoint is of channel %q, not %q", cp.Channel, channel)
		}
		next, prev = cp.Next, cp.PreviousHash
		blk, err := ParseBlock(cp.ConfigBlock)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		if cfg, err = ParseConfigBlock(blk); err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
	}
	r.From, r.To = next, next
	r.Checkpoint = cp
	cfgRaw := []byte(nil)
	if cp != nil {
		cfgRaw = cp.ConfigBlock
	}
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
			r.FirstBroken = &Broken{next, err.Error()}
			break
		}
		n := blk.Header.Number
		if n < next {
			continue // block sources that start at genesis
		}
		r.To = n
		r.Blocks++
		if reason := checkLink(blk, next, prev, cfg, tr); reason != "" {
			r.FirstBroken = &Broken{n, reason}
			break
		}
		if c, err := ParseConfigBlock(blk); err == nil {
			if c.Channel != channel {
				r.FirstBroken = &Broken{n, fmt.Sprintf("configuration of channel %q in channel %q", c.Channel, channel)}
				break
			}
			cfg, cfgRaw = c, raw
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
		prev, next = HeaderHash(blk.Header), n+1
		r.Checkpoint = &Checkpoint{Channel: channel, Next: next, PreviousHash: prev, ConfigBlock: cfgRaw}
	}
	if r.Checkpoint == nil {
		r.Checkpoint = &Checkpoint{Channel: channel}
	}
	r.Checkpoint.Audited = time.Now().UTC().Format(time.RFC3339)
	r.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return r, nil
}

// checkLink is why a block does not continue the chain ("" when it does).
func checkLink(blk *common.Block, want uint64, prev []byte, cfg *Config, tr Trust) string {
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
	if cfg == nil {
		return "no configuration in force to check the orderers' signatures"
	}
	if _, err := verifyOrderers(blk, cfg, tr, blockTime(blk)); err != nil {
		return "orderer signatures: " + err.Error()
	}
	return ""
}

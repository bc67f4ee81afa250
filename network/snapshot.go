package network

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Joining a channel from a ledger snapshot (Fabric 2.5): a member peer
// writes a snapshot of the channel at its last committed block; the files
// are carried to the joining peer's host (here: copied into its own
// directory, as an operator copies them between orgs) and the peer joins
// from them instead of fetching and replaying every block from genesis.
// A peer joined this way holds the state and every block after the
// snapshot only: it answers reads of the state (verification), not
// earlier blocks (proofs); Fabric's history of a key there starts at the
// snapshot, which the chaincode refuses (DL-HISTORY-PARTIAL). A
// snapshot is taken from a peer of the joining peer's own org, or else
// from peers of two other orgs whose snapshots must match.

// snapshotWait bounds the wait for a snapshot, and for a join from one.
const snapshotWait = 30 * time.Minute

// Snapshot has peer p write a snapshot of channel at block (0: its last
// committed block), or finds the one it wrote of that block before, and
// answers its directory, the number of the last block it covers and
// whether this call had it written. The peer commits no block of the
// channel while it writes the snapshot; a peer behind the block writes it
// once it has committed the block.
func (n *Net) Snapshot(p *Peer, channel string, block uint64) (string, uint64, bool, error) {
	root := filepath.Join(n.L.NodeDir(p.ID()), "snapshots", "completed", channel)
	want := block
	if want == 0 {
		h, err := n.Height(p, channel)
		if err != nil {
			return "", 0, false, err
		}
		want = h - 1
	}
	dir := filepath.Join(root, strconv.FormatUint(want, 10))
	if _, err := os.Stat(dir); err == nil {
		return dir, want, false, nil
	}
	if _, err := n.PeerCLI(p, "snapshot", "submitrequest", "-c", channel, "-b", strconv.FormatUint(block, 10), "--peerAddress", p.Address(), "--tlsRootCertFile", n.L.TLSCACert(p.org)); err != nil &&
		!strings.Contains(err.Error(), "already generated") && !strings.Contains(err.Error(), "duplicate snapshot request") {
		return "", 0, false, err
	}
	// The peer writes the snapshot under temp/ and renames it into
	// completed/ when it is whole (then drops the request). A request the
	// peer dropped without a snapshot (a failed write is only logged) is
	// no longer pending.
	written := func() (string, uint64, bool) {
		des, _ := os.ReadDir(root)
		for _, d := range des {
			if got, err := strconv.ParseUint(d.Name(), 10, 64); err == nil && d.IsDir() && (got == want || (block == 0 && got > want)) {
				return filepath.Join(root, d.Name()), got, true
			}
		}
		return "", 0, false
	}
	for deadline, asked := time.Now().Add(snapshotWait), time.Now(); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if dir, got, ok := written(); ok {
			return dir, got, true, nil
		}
		if time.Since(asked) > 10*time.Second {
			asked = time.Now()
			out, err := n.PeerCLI(p, "snapshot", "listpending", "-c", channel, "--peerAddress", p.Address(), "--tlsRootCertFile", n.L.TLSCACert(p.org))
			if err == nil && !anyDigit.Match(out) {
				if dir, got, ok := written(); ok { // finished between the two reads
					return dir, got, true, nil
				}
				return "", 0, false, fmt.Errorf("%s dropped the snapshot request of %s (see its log) and wrote no snapshot", p.ID(), channel)
			}
		}
	}
	return "", 0, false, fmt.Errorf("%s wrote no snapshot of %s within %s", p.ID(), channel, snapshotWait)
}

// anyDigit finds a block number in `peer snapshot listpending`'s answer.
var anyDigit = regexp.MustCompile(`\d`)

// snapshotHash is a snapshot's hash as its peer computed it over its
// files' hashes (_snapshot_additional_metadata.json).
func (n *Net) snapshotHash(dir string) (string, error) {
	b, err := n.readFile(filepath.Join(dir, "_snapshot_additional_metadata.json"))
	if err != nil {
		return "", err
	}
	var m struct {
		Hash string `json:"snapshot_hash"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Hash == "" {
		return "", fmt.Errorf("%s: no snapshot_hash (%v)", dir, err)
	}
	return m.Hash, nil
}

// JoinFromSnapshot joins peer p to a channel from a snapshot directory
// another member peer wrote: the files are copied into p's own directory
// first, then p joins from them; it waits until the join is done.
func (n *Net) JoinFromSnapshot(p *Peer, channel, snapshot string) error {
	// A join an earlier up began may still be importing from its copy.
	if err := n.awaitSnapshotJoin(p); err != nil {
		return err
	}
	copies := filepath.Join(n.L.NodeDir(p.ID()), "joinsnapshots", channel)
	if joined, err := n.joinedChannels(p); err != nil || joined[channel] {
		if err == nil {
			err = n.removeAll(copies)
		}
		return err
	}
	dst := filepath.Join(copies, filepath.Base(snapshot))
	if err := n.removeAll(copies); err != nil { // an interrupted join's copy
		return err
	}
	if err := n.copyTree(snapshot, dst); err != nil {
		return fmt.Errorf("copying the snapshot of %s for %s: %w", channel, p.ID(), err)
	}
	if err := n.own(p.org); err != nil { // the copy is the joining org's
		return err
	}
	if _, err := n.PeerCLI(p, "channel", "joinbysnapshot", "--snapshotpath", dst); err != nil {
		return err
	}
	if err := n.awaitSnapshotJoin(p); err != nil {
		return err
	}
	joined, err := n.joinedChannels(p)
	if err != nil {
		return err
	}
	if !joined[channel] {
		return fmt.Errorf("%s finished joining %s from %s but does not list the channel", p.ID(), channel, dst)
	}
	return n.removeAll(copies) // imported into the peer's own ledger
}

// awaitSnapshotJoin waits until peer p is joining no channel from a
// snapshot. A join is begun only after its copy of the snapshot is made
// (joinsnapshots/<channel>) and the copy is removed once the join is
// done, so a peer without copies is joining nothing (and is not asked).
func (n *Net) awaitSnapshotJoin(p *Peer) error {
	if copies, _ := os.ReadDir(filepath.Join(n.L.NodeDir(p.ID()), "joinsnapshots")); len(copies) == 0 {
		return nil
	}
	for deadline := time.Now().Add(snapshotWait); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, err := n.PeerCLI(p, "channel", "joinbysnapshotstatus")
		if err != nil {
			return err
		}
		if strings.Contains(string(out), "No joinbysnapshot operation is in progress") {
			return nil
		}
	}
	return fmt.Errorf("%s did not finish joining from a snapshot within %s", p.ID(), snapshotWait)
}

// snapshotSources are the peers channel c's snapshot for peer p is taken
// from: a peer of p's own org that holds the channel (its org trusts it);
// failing that, peers of two other member orgs, whose snapshots of one
// block must match (Fabric checks a snapshot's files against its own
// metadata, not the state against anyone else's). None: p joins from the
// genesis block (so does a channel with only its genesis block).
// It answers the last block each source has committed too.
func (n *Net) snapshotSources(c *Channel, p *Peer) ([]*Peer, map[*Peer]uint64, error) {
	var own *Peer
	others := map[string]*Peer{}
	var order []string
	last := map[*Peer]uint64{}
	for _, q := range n.D.ChannelPeers(c) {
		if q == p {
			continue
		}
		joined, err := n.joinedChannels(q)
		if err != nil || !joined[c.Name] {
			continue
		}
		h, err := n.Height(q, c.Name)
		if err != nil || h < 2 {
			continue
		}
		last[q] = h - 1
		switch {
		case q.org == p.org:
			if own == nil {
				own = q
			}
		case others[q.org.MSPID] == nil:
			others[q.org.MSPID] = q
			order = append(order, q.org.MSPID)
		}
	}
	switch {
	case own != nil:
		return []*Peer{own}, last, nil
	case len(order) >= 2:
		return []*Peer{others[order[0]], others[order[1]]}, last, nil
	}
	return nil, nil, nil
}

// joinFromSnapshot joins p to c from a snapshot of the sources'
// ledgers; false when there are none (then the genesis block does).
func (n *Net) joinFromSnapshot(c *Channel, p *Peer) (bool, error) {
	srcs, last, err := n.snapshotSources(c, p)
	if err != nil || len(srcs) == 0 {
		return false, err
	}
	began := time.Now()
	// Two sources write their snapshots of one block: the highest either
	// has committed (the other writes it once it has committed it too).
	var at uint64
	if len(srcs) > 1 {
		for _, src := range srcs {
			at = max(at, last[src])
		}
	}
	var dir, hash string
	var block uint64
	var written []string
	defer func() { // a copy of the whole state each: not kept
		for _, d := range written {
			_ = n.removeAll(d)
		}
	}()
	for i, src := range srcs {
		d, b, made, err := n.Snapshot(src, c.Name, at)
		if err != nil {
			return false, err
		}
		if made {
			written = append(written, d)
		}
		h, err := n.snapshotHash(d)
		if err != nil {
			return false, err
		}
		if i > 0 && (b != block || h != hash) {
			return false, fmt.Errorf("the snapshots of %s by %s (block %d, hash %s) and %s (block %d, hash %s) differ: %s joins from neither",
				c.Name, srcs[0].ID(), block, hash, src.ID(), b, h, p.ID())
		}
		dir, block, hash = d, b, h
	}
	took := time.Since(began)
	began = time.Now()
	if err := n.JoinFromSnapshot(p, c.Name, dir); err != nil {
		return false, err
	}
	names := make([]string, len(srcs))
	for i, src := range srcs {
		names[i] = src.ID()
	}
	fmt.Fprintf(n.Out, "  %s joined %s from a snapshot of %s at block %d, hash %.16s… (snapshot %s, join %s)\n",
		p.ID(), c.Name, strings.Join(names, " matching "), block, hash, took.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	return true, nil
}

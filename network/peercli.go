package network

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// peerEnv is the environment for running the peer CLI as the identity
// whose MSP is mspDir (of p's org) against peer p.
func (n *Net) peerEnv(p *Peer, mspDir string) []string {
	return []string{
		"FABRIC_CFG_PATH=" + n.L.NodeDir(p.ID()),
		"FABRIC_LOGGING_SPEC=error",
		"CORE_PEER_TLS_ENABLED=true",
		"CORE_PEER_LOCALMSPID=" + p.org.MSPID,
		"CORE_PEER_MSPCONFIGPATH=" + mspDir,
		"CORE_PEER_ADDRESS=" + p.Address(),
		"CORE_PEER_TLS_ROOTCERT_FILE=" + n.L.TLSCACert(p.org),
	}
}

// PeerCLI runs the peer CLI as the org admin against peer p.
func (n *Net) PeerCLI(p *Peer, args ...string) ([]byte, error) {
	return n.peerCLI(p, "admin", n.L.AdminMSP(p.org), 0, args...)
}

// PeerCLIAs runs the peer CLI as one of the org's users (its own MSP)
// against peer p: what that user may read at that very peer, with no
// gateway choosing another.
func (n *Net) PeerCLIAs(p *Peer, user string, args ...string) ([]byte, error) {
	return n.peerCLI(p, user, n.L.UserMSP(p.org, user), 0, args...)
}

// peerCLI runs the peer CLI as the identity whose MSP is mspDir (named
// who in errors) against peer p, killed after within (0: no bound; then
// errNoAnswer).
func (n *Net) peerCLI(p *Peer, who, mspDir string, within time.Duration, args ...string) ([]byte, error) {
	ctx := context.Background()
	if within > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, within)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, n.fabricBin("peer"), args...)
	cmd.Env = append(os.Environ(), n.peerEnv(p, mspDir)...)
	if err := n.asOrg(cmd, p.org); err != nil {
		return nil, err
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = errNoAnswer
	}
	if err != nil {
		return out, fmt.Errorf("peer %s (as %s of %s on %s): %w: %s", strings.Join(args[:min(3, len(args))], " "), who, p.org.MSPID, p.ID(), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// ordered runs a peer CLI command that sends a transaction to the
// orderers (its arguments hold ordererArgs), riding out what means
// nothing was ordered: SERVICE_UNAVAILABLE until a Raft leader is elected,
// a few seconds after a node rejoins; and an orderer that would not take
// the envelope ("could not send to orderer node", e.g. EOF from a node
// that restarted, or no answer within orderedAttempt), which is asked
// again through the next running orderer. Retries stop 30 s after the
// first attempt, but a failure of an attempt that ran long (a hung
// broadcast) is retried once more.
func (n *Net) ordered(p *Peer, args ...string) ([]byte, error) {
	deadline := time.Now().Add(30 * time.Second)
	for next := 1; ; {
		began := time.Now()
		out, err := n.peerCLI(p, "admin", n.L.AdminMSP(p.org), orderedAttempt, args...)
		if err == nil || began.After(deadline) {
			return out, err
		}
		switch msg := err.Error(); {
		// An orderer with no leader (electing one, or cut off from the
		// others: a consenter whose TLS certificate its channel no longer
		// names) answers SERVICE_UNAVAILABLE: ask the next.
		case strings.Contains(msg, "SERVICE_UNAVAILABLE"), strings.Contains(msg, "could not send to orderer node"), errors.Is(err, errNoAnswer):
			args = n.withOrderer(args, next)
			next++
		default:
			return out, err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// orderedAttempt bounds one attempt of ordered: longer than the CLI's own
// wait for the commit event (commitWait).
const orderedAttempt = 150 * time.Second

var errNoAnswer = errors.New("no answer within the attempt's bound")

// runningOrderers are a channel's consenters this process started or
// found running, in the description's order (all of them when none is
// known), those whose TLS certificate is being rotated last: the others
// may no longer accept the one it serves until up puts its next one in
// place (rotate.go), and it may answer with a stale configuration.
func (n *Net) runningOrderers(channel string) []*Orderer {
	all := n.channelOrderers(channel)
	var up, rotating []*Orderer
	for _, x := range all {
		if _, ok := n.running(x.ID()); !ok {
			continue
		}
		if _, err := os.Stat(n.L.OrdererNextTLSCert(x)); err == nil {
			rotating = append(rotating, x)
		} else {
			up = append(up, x)
		}
	}
	up = append(up, rotating...)
	if len(up) == 0 {
		return all
	}
	return up
}

// channelOrderers are the consenters of a channel the description names
// (every orderer for a channel it does not: one made by a configuration
// update is ordered by whoever its configuration says, and any orderer
// answers for it or refuses).
func (n *Net) channelOrderers(channel string) []*Orderer {
	if c := n.D.Channel(channel); c != nil {
		return n.D.ChannelOrderers(c)
	}
	return n.D.AllOrderers()
}

// ordererArgs points the peer CLI at a live consenter of the channel over
// TLS.
func (n *Net) ordererArgs(channel string) []string {
	return n.ordererArgsOf(n.runningOrderers(channel)[0])
}

func (n *Net) ordererArgsOf(x *Orderer) []string {
	return []string{"-o", x.Address(), "--tls", "--cafile", n.L.TLSCACert(x.org), "--ordererTLSHostnameOverride", x.Hostname()}
}

// channelArg is the channel a peer CLI command names (-c or --channelID).
func channelArg(args []string) string {
	for i, a := range args[:max(len(args)-1, 0)] {
		if a == "-c" || a == "--channelID" {
			return args[i+1]
		}
	}
	return ""
}

// withOrderer is args with its ordererArgs (wherever they are) pointed at
// the i-th running consenter of the channel they name (round robin); args
// without them are returned as they are.
func (n *Net) withOrderer(args []string, i int) []string {
	up := n.runningOrderers(channelArg(args))
	width := len(n.ordererArgsOf(up[0]))
	for at, a := range args {
		if a == "-o" && at+width <= len(args) {
			out := append([]string(nil), args[:at]...)
			out = append(out, n.ordererArgsOf(up[i%len(up)])...)
			return append(out, args[at+width:]...)
		}
	}
	return args
}

// joinedChannels lists the channels a peer has joined.
func (n *Net) joinedChannels(p *Peer) (map[string]bool, error) {
	out, err := n.PeerCLI(p, "channel", "list")
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.Contains(line, " ") {
			m[line] = true
		}
	}
	return m, nil
}

var heightRE = regexp.MustCompile(`"height":\s*(\d+)`)

// Height is a peer's block height on a channel.
func (n *Net) Height(p *Peer, channel string) (uint64, error) {
	return parseHeight(n.PeerCLI(p, "channel", "getinfo", "-c", channel))
}

// parseHeight reads "height": N from the peer CLI's or osnadmin's output.
func parseHeight(out []byte, err error) (uint64, error) {
	if err != nil {
		return 0, err
	}
	m := heightRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no height in %q", out)
	}
	return strconv.ParseUint(string(m[1]), 10, 64)
}

// osnadmin runs the orderer admin CLI with the org admin's TLS client cert.
func (n *Net) osnadmin(x *Orderer, args ...string) ([]byte, error) {
	cert, key := n.L.AdminTLS(x.org)
	full := append(args, "-o", fmt.Sprintf("%s:%d", x.Host, x.AdminPort), "--ca-file", n.L.TLSCACert(x.org), "--client-cert", cert, "--client-key", key)
	cmd := exec.Command(n.fabricBin("osnadmin"), full...)
	if err := n.asOrg(cmd, x.org); err != nil {
		return nil, err
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("osnadmin %s on %s: %v: %s", args[0]+" "+args[1], x.ID(), err, out)
	}
	return out, nil
}

// ordererChannels lists the channels an orderer participates in.
func (n *Net) ordererChannels(x *Orderer) (map[string]bool, error) {
	out, err := n.osnadmin(x, "channel", "list")
	if err != nil {
		return nil, err
	}
	i := strings.Index(string(out), "{")
	if i < 0 {
		return nil, fmt.Errorf("osnadmin channel list on %s: %s", x.ID(), out)
	}
	var resp struct {
		Channels []struct{ Name string } `json:"channels"`
	}
	if err := json.Unmarshal(out[i:], &resp); err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, c := range resp.Channels {
		m[c.Name] = true
	}
	return m, nil
}

// joinChannels creates each channel's block and joins each of its
// consenters and member peers that has not joined yet.
func (n *Net) joinChannels() error {
	// trusts are the orgs whose TLS roots a fresh orderer's listener took
	// from the first channel it joined here; one that joins a channel of
	// other orgs later is restarted once every join is done (see below).
	trusts := map[*Orderer]map[string]bool{}
	trustOf := func(x *Orderer, joined map[string]bool) map[string]bool {
		if trusts[x] == nil { // the orgs of the channels it serves (none: any)
			trusts[x] = map[string]bool{}
			for ch := range joined {
				if dc := n.D.Channel(ch); dc != nil {
					for _, m := range dc.Members {
						trusts[x][m] = true
					}
				}
			}
		}
		return trusts[x]
	}
	var restart []*Orderer
	for i := range n.D.Channels {
		c := &n.D.Channels[i]
		block, err := n.channelBlock(c)
		if err != nil {
			return err
		}
		// Orderers that serve a channel already join first, an orderer new
		// to every channel last. An orderer serving channels trusts, for
		// client certificates on its listener, only the TLS roots of the
		// orgs of those channels until it joins this one; a new orgs'
		// orderer that joined first would dial it at once, its TLS client
		// would send no certificate to a server naming other roots, and
		// that connection, kept, would carry every later Raft message
		// unauthenticated ("no TLS certificate sent"): the channel never
		// elects a leader. A new orderer trusts any certificate until it
		// joins its first channel.
		var fresh, serving []*Orderer
		consenting := 0
		for _, x := range n.D.ChannelOrderers(c) {
			joined, err := n.ordererChannels(x)
			if err != nil {
				return err
			}
			trustOf(x, joined)
			switch {
			case joined[c.Name]:
				consenting++
			case len(joined) == 0:
				fresh = append(fresh, x)
			default:
				serving = append(serving, x)
			}
		}
		// A running channel's consenters must be the description's: an
		// orderer the channel does not name would join as a follower, one
		// it names but the description lacks would stay out of
		// BlockValidation, and a description that moved the consenters
		// would leave the channel short of a Raft majority. Consenters
		// change by updates.
		if consenting > 0 {
			if err := n.checkConsenters(c); err != nil {
				return err
			}
		}
		for _, x := range append(serving, fresh...) {
			if _, err := n.osnadmin(x, "channel", "join", "--channelID", c.Name, "--config-block", block); err != nil {
				return err
			}
			fmt.Fprintf(n.Out, "  %s joined %s\n", x.ID(), c.Name)
		}
		// The same race the other way: an orderer serving channels trusts
		// their orgs' TLS roots alone; a running consenter of this channel
		// (one already ordered by others) whose org is not among them and
		// that dialled it before it joined sent no certificate, and the
		// kept connection carries its Raft messages unauthenticated: the
		// orderer never receives the channel's blocks. Restarted after
		// every join, it trusts the roots of all its channels from the
		// start. A channel new here is dialled by nobody before its
		// orderers join, and a fresh orderer trusts any certificate.
		for _, x := range append(serving, fresh...) {
			trust := trusts[x]
			if consenting > 0 && len(trust) > 0 && !slices.Contains(restart, x) && slices.ContainsFunc(c.Members, func(m string) bool { return !trust[m] }) {
				restart = append(restart, x)
			}
			for _, m := range c.Members {
				trust[m] = true
			}
		}
		for _, p := range n.D.ChannelPeers(c) {
			// A join from a snapshot an earlier up began: the peer lists
			// the channel once it has imported it.
			if err := n.awaitSnapshotJoin(p); err != nil {
				return err
			}
			joined, err := n.joinedChannels(p)
			if err != nil {
				return err
			}
			if !joined[c.Name] {
				if n.SnapshotJoins {
					done, err := n.joinFromSnapshot(c, p)
					if err != nil {
						return err
					}
					if done {
						continue
					}
				}
				if _, err := n.PeerCLI(p, "channel", "join", "-b", block); err != nil {
					return err
				}
				fmt.Fprintf(n.Out, "  %s joined %s\n", p.ID(), c.Name)
			}
		}
	}
	for _, x := range restart { // one at a time: a channel's other consenters stay up
		if _, err := n.stop(x.ID(), 10*time.Second); err != nil {
			return err
		}
		if err := n.startNode(x.ID(), n.fabricBin("orderer"), nil); err != nil {
			return err
		}
		if err := n.waitHealthy(60 * time.Second); err != nil {
			return err
		}
		fmt.Fprintf(n.Out, "  %s restarted: it trusts the TLS roots of every channel it joined\n", x.ID())
	}
	return nil
}

func (n *Net) builderBin() string   { return filepath.Join(n.BinDir, "dataledger-ccaas-builder") }
func (n *Net) chaincodeBin() string { return filepath.Join(n.BinDir, "dataledger-chaincode") }

// OrdererHeight is an orderer's block height on a channel (participation API).
func (n *Net) OrdererHeight(x *Orderer, channel string) (uint64, error) {
	return parseHeight(n.osnadmin(x, "channel", "list", "--channelID", channel))
}

// OrdererRelation is how an orderer takes part in a channel, as its
// participation API says: "consenter" or "follower" (one that joined
// with a block whose consenters do not name it, until a later one does),
// and its status ("active", "onboarding", …).
func (n *Net) OrdererRelation(x *Orderer, channel string) (relation, status string, err error) {
	out, err := n.osnadmin(x, "channel", "list", "--channelID", channel)
	if err != nil {
		return "", "", err
	}
	body := out
	if i := bytes.IndexByte(out, '{'); i >= 0 {
		body = out[i:]
	}
	var info struct {
		ConsensusRelation string `json:"consensusRelation"`
		Status            string `json:"status"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return "", "", fmt.Errorf("osnadmin channel list on %s: %w: %s", x.ID(), err, out)
	}
	return info.ConsensusRelation, info.Status, nil
}

// RaftLeader is the orderer that leads the channel's Raft cluster now, as
// the orderers' own metrics say (consensus_etcdraft_is_leader); nil when
// none reports leading (an election is under way).
func (n *Net) RaftLeader(channel string) (*Orderer, error) {
	want := fmt.Sprintf(`consensus_etcdraft_is_leader{channel=%q} 1`, channel)
	var lastErr error
	for _, x := range n.channelOrderers(channel) {
		resp, err := http.Get(fmt.Sprintf("http://%s:%d/metrics", x.Host, x.OperationsPort))
		if err != nil {
			lastErr = err
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			lastErr = err
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line == want {
				return x, nil
			}
		}
	}
	return nil, lastErr
}

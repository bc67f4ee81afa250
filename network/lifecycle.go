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

	"dataledger/chaincode/domain"
	"dataledger/network/ccaas"
)

func (n *Net) label() string { return n.D.Chaincode.Name + "_" + n.D.Chaincode.Version }

// installBuilder links the builder binary as bin/detect, build, release.
func (n *Net) installBuilder() error {
	if _, err := os.Stat(n.builderBin()); err != nil {
		return fmt.Errorf("the chaincode builder is missing next to this binary (%s): build with `go build -o bin/ ./cmd/...`", n.builderBin())
	}
	dir := filepath.Join(n.L.BuilderDir(), "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"detect", "build", "release"} {
		p := filepath.Join(dir, name)
		_ = os.Remove(p)
		if err := os.Symlink(n.builderBin(), p); err != nil {
			return err
		}
	}
	return nil
}

// packageFor writes the ccaas package of one peer's chaincode server.
func (n *Net) packageFor(p *Peer) (string, string, error) {
	// One package per org (its peers share one approved package ID): its
	// first peer's, whose address the builder replaces with each peer's
	// own chaincode server (ccaas.AddressEnv).
	if first := p.org.Peers[0]; first != p {
		return n.packageFor(first)
	}
	root, err := os.ReadFile(n.L.TLSCACert(p.org))
	if err != nil {
		return "", "", err
	}
	pkg, err := ccaas.Package(n.label(), ccaas.Connection{
		Address: p.ChaincodeServerAddress(), DialTimeout: "10s",
		TLSRequired: true, RootCert: string(root),
	})
	if err != nil {
		return "", "", err
	}
	path := filepath.Join(n.L.ChaincodeDir(p.ID()), n.label()+".tar.gz")
	if old, err := n.readFile(path); err == nil && ccaas.Same(old, pkg) {
		// The package this network was deployed with: another build of
		// the CLI compresses the same contents differently, and a new ID
		// would no longer be the one the channels approved.
		return path, ccaas.PackageID(n.label(), old), nil
	}
	return path, ccaas.PackageID(n.label(), pkg), n.writeFile(path, pkg, 0o644)
}

// install installs a peer's package unless it is installed already, and
// returns its package ID.
func (n *Net) install(p *Peer) (string, error) {
	path, id, err := n.packageFor(p)
	if err != nil {
		return "", err
	}
	out, err := n.PeerCLI(p, "lifecycle", "chaincode", "queryinstalled", "--output", "json")
	if err != nil {
		return "", err
	}
	var inst struct {
		Installed []struct {
			PackageID string `json:"package_id"`
		} `json:"installed_chaincodes"`
	}
	_ = json.Unmarshal(out, &inst)
	for _, c := range inst.Installed {
		if c.PackageID == id {
			return id, nil
		}
	}
	if _, err := n.PeerCLI(p, "lifecycle", "chaincode", "install", path); err != nil {
		return "", err
	}
	fmt.Fprintf(n.Out, "  installed %s on %s\n", id[:len(n.label())+13]+"…", p.ID())
	return id, nil
}

// chaincodeServer is the process ID and environment of peer p's
// chaincode server for its package ID, and the file that keeps the
// environment it was started with.
func (n *Net) chaincodeServer(p *Peer, packageID string) (id string, env []string, configFile string) {
	channels, _ := json.Marshal(n.D.ChannelConfigs()) // map keys marshal sorted: a stable fingerprint
	tls := filepath.Join(n.L.ChaincodeDir(p.ID()), "tls")
	env = []string{
		"CHAINCODE_ID=" + packageID,
		"CHAINCODE_SERVER_ADDRESS=" + p.ChaincodeServerAddress(),
		"CHAINCODE_TLS_CERT=" + filepath.Join(tls, "server.crt"),
		"CHAINCODE_TLS_KEY=" + filepath.Join(tls, "server.key"),
		"DATALEDGER_CHANNELS=" + string(channels),
	}
	if n.Bench {
		env = append(env, "DATALEDGER_BENCH=1")
	}
	return "cc." + p.ID(), env, filepath.Join(n.L.ChaincodeDir(p.ID()), "server.env")
}

// stopStaleChaincodeServer stops peer p's chaincode server when it runs
// with another configuration (an older package, or another channel →
// authority map after a channel was added), before any definition
// changes: a server at the peer's address that registers under another
// package ID than the one the peer launches leaves the launch waiting
// for its 5-minute timeout, and the peer's lifecycle with it (a commit
// or approval then times out). Stopped, a launch fails at once, until
// startChaincodeServer runs the server anew once every channel is
// defined.
func (n *Net) stopStaleChaincodeServer(p *Peer, packageID string) error {
	id, env, configFile := n.chaincodeServer(p, packageID)
	if prev, _ := n.readFile(configFile); string(prev) == strings.Join(env, "\n") {
		return nil
	}
	if stopped, err := n.stop(id, 5*time.Second); err != nil {
		return err
	} else if stopped {
		fmt.Fprintf(n.Out, "  %s stopped: it restarts with its new configuration once the channels are defined\n", id)
	}
	return nil
}

// startChaincodeServer runs the chaincode for peer p with its package ID
// (stopStaleChaincodeServer stopped one started with another
// configuration).
func (n *Net) startChaincodeServer(p *Peer, packageID string) error {
	if err := n.stopStaleChaincodeServer(p, packageID); err != nil {
		return err
	}
	id, env, configFile := n.chaincodeServer(p, packageID)
	config := strings.Join(env, "\n")
	if _, err := os.Stat(n.chaincodeBin()); err != nil {
		return fmt.Errorf("the chaincode server is missing next to this binary (%s): build with `go build -o bin/ ./cmd/...`", n.chaincodeBin())
	}
	if _, err := n.start(proc{ID: id, Bin: n.chaincodeBin(), Env: env}); err != nil {
		return err
	}
	return n.writeFile(configFile, []byte(config), 0o644)
}

type committed struct {
	Sequence int    `json:"sequence"`
	Version  string `json:"version"`
	// collection: the definition has the private data collection (one
	// committed before it existed is refused: deployChaincode).
	collection bool
}

var collectionName = regexp.MustCompile(`"name"\s*:\s*"` + domain.Collection + `"`)

func (n *Net) queryCommitted(p *Peer, channel string) (*committed, error) {
	out, err := n.PeerCLI(p, "lifecycle", "chaincode", "querycommitted", "--channelID", channel, "--name", n.D.Chaincode.Name, "--output", "json")
	if err != nil {
		if strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "is not defined") {
			return nil, nil
		}
		return nil, err
	}
	var c committed
	c.collection = collectionName.Match(out)
	return &c, json.Unmarshal(out, &c)
}

var approvedPackage = regexp.MustCompile(`"package_id"\s*:\s*"([^"]+)"`)

// reapprove has each member of channel c approve the committed sequence
// again where its approval names another package than its peer's now.
func (n *Net) reapprove(c *Channel, seq int, packageIDs map[string]string) error {
	def, err := n.definition(c, seq)
	if err != nil {
		return err
	}
	for _, m := range c.Members {
		p := n.D.Org(m).Peers[0]
		out, err := n.PeerCLI(p, "lifecycle", "chaincode", "queryapproved", "--channelID", c.Name, "--name", n.D.Chaincode.Name, "--sequence", strconv.Itoa(seq), "--output", "json")
		// The approved source's package_id, however the CLI nests it; an
		// org whose approval cannot be read approves again (an approval
		// that is refused says why).
		if m := approvedPackage.FindSubmatch(out); err == nil && m != nil && string(m[1]) == packageIDs[p.ID()] {
			continue
		}
		args := append(append([]string{"lifecycle", "chaincode", "approveformyorg", commitWait, "--package-id", packageIDs[p.ID()]}, def...), n.ordererArgs(c.Name)...)
		if _, err := n.ordered(p, args...); err != nil {
			return err
		}
		fmt.Fprintf(n.Out, "  %s re-approved %s on %s for its new package (sequence %d)\n", m, n.label(), c.Name, seq)
	}
	return nil
}

// definition is the chaincode definition's flags on channel c at seq:
// its name, version, sequence and private data collection
// (Description.Collections, written next to the channel's blocks).
func (n *Net) definition(c *Channel, seq int) ([]string, error) {
	coll, err := n.D.Collections(c)
	if err != nil {
		return nil, err
	}
	path := n.L.path("public", "channels", c.Name+".collections.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, coll, 0o644); err != nil {
		return nil, err
	}
	return []string{"--channelID", c.Name, "--name", n.D.Chaincode.Name, "--version", n.D.Chaincode.Version,
		"--sequence", strconv.Itoa(seq), "--collections-config", path}, nil
}

// approvals are the orgs whose approval of a definition peer p holds.
func (n *Net) approvals(p *Peer, def []string) (map[string]bool, error) {
	ready, err := n.PeerCLI(p, append(append([]string{"lifecycle", "chaincode", "checkcommitreadiness", "--output", "json"}, def...), n.ordererArgs(channelArg(def))...)...)
	if err != nil {
		return nil, err
	}
	var r struct {
		Approvals map[string]bool `json:"approvals"`
	}
	if err := json.Unmarshal(ready, &r); err != nil {
		return nil, fmt.Errorf("checkcommitreadiness on %s: %w", p.ID(), err)
	}
	return r.Approvals, nil
}

// awaitApprovals waits, up to two minutes, until peer p holds every
// member's approval of the definition on channel c.
func (n *Net) awaitApprovals(p *Peer, c *Channel, def []string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		approvals, err := n.approvals(p, def)
		missing := []string{}
		for _, m := range c.Members {
			if !approvals[m] {
				missing = append(missing, m)
			}
		}
		if err == nil && len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("channel %s: peer %s does not hold the approvals of %v after 2 minutes (%v)", c.Name, p.ID(), missing, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// commitWait is how long the peer CLI waits for a lifecycle transaction
// to commit on the peers it sent it to: on a loaded 2-core machine, right
// after a Raft leader change, 30 s (its default) was seen to pass with
// the transaction still to commit, and the CLI then fails although the
// orderers took it.
const commitWait = "--waitForEventTimeout=120s"

// deployChaincode defines the chaincode on every channel: each member org
// approves its own package, then one admin commits with MAJORITY. A new
// version in the description is an upgrade at sequence + 1; state stays.
func (n *Net) deployChaincode(packageIDs map[string]string) error {
	for i := range n.D.Channels {
		c := &n.D.Channels[i]
		peers := n.D.ChannelPeers(c)
		cur, err := n.queryCommitted(peers[0], c.Name)
		if err != nil {
			return err
		}
		seq := 1
		if cur != nil && !cur.collection {
			// Its applications and objections are whole in the world state:
			// a definition that gains the collection would leave them
			// unreadable to the chaincode that expects their private parts,
			// and public. No migration is built.
			return fmt.Errorf("channel %s: its chaincode definition (sequence %d) has no private data collection %q, and its records were written without one; this version keeps applications and objections in it and cannot migrate them: make the network anew (network down --purge) or stay on the earlier version", c.Name, cur.Sequence, domain.Collection)
		}
		if cur != nil {
			if cur.Version == n.D.Chaincode.Version {
				// Committed already: each member's approval must still name
				// the package its peer serves (a moved chaincode server is
				// another package); re-approving the committed sequence
				// with another package ID is what Fabric allows for that.
				if err := n.reapprove(c, cur.Sequence, packageIDs); err != nil {
					return err
				}
				continue
			}
			seq = cur.Sequence + 1
			fmt.Fprintf(n.Out, "  %s: upgrading %s %s → %s (sequence %d)\n", c.Name, n.D.Chaincode.Name, cur.Version, n.D.Chaincode.Version, seq)
		}
		def, err := n.definition(c, seq)
		if err != nil {
			return err
		}
		approvals, err := n.approvals(peers[0], def)
		if err != nil {
			return err
		}
		for _, m := range c.Members {
			if approvals[m] {
				continue
			}
			p := n.D.Org(m).Peers[0]
			args := append(append([]string{"lifecycle", "chaincode", "approveformyorg", commitWait, "--package-id", packageIDs[p.ID()]}, def...), n.ordererArgs(c.Name)...)
			if _, err := n.ordered(p, args...); err != nil {
				return err
			}
			fmt.Fprintf(n.Out, "  %s approved %s on %s\n", m, n.label(), c.Name)
		}
		// The commit is endorsed by every peer of the channel: each must
		// have committed every approval first, or their answers differ
		// ("ProposalResponsePayloads do not match"): an approval waits
		// for its own org's peer only.
		for _, p := range peers {
			if err := n.awaitApprovals(p, c, def); err != nil {
				return err
			}
		}
		args := append([]string{"lifecycle", "chaincode", "commit", commitWait}, def...)
		args = append(args, n.ordererArgs(c.Name)...)
		for _, p := range peers {
			args = append(args, "--peerAddresses", p.Address(), "--tlsRootCertFiles", n.L.TLSCACert(p.org))
		}
		if _, err := n.ordered(n.D.Org(c.Authority).Peers[0], args...); err != nil {
			return err
		}
		fmt.Fprintf(n.Out, "  committed %s on %s (sequence %d)\n", n.label(), c.Name, seq)
	}
	return nil
}

// awaitChaincode waits until every peer of every channel answers the
// chaincode: the package each channel's definition names is launched.
func (n *Net) awaitChaincode() error {
	for i := range n.D.Channels {
		c := &n.D.Channels[i]
		for _, p := range n.D.ChannelPeers(c) {
			if err := n.awaitLaunched(p, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// awaitLaunched waits until peer p answers the chaincode on channel c (its
// contract metadata, a read no access rule holds back): the package its
// definition names is launched there.
func (n *Net) awaitLaunched(p *Peer, c *Channel) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := n.peerCLI(p, "admin", n.L.AdminMSP(p.org), 30*time.Second, "chaincode", "query", "-C", c.Name, "-n", n.D.Chaincode.Name, "-c", `{"Args":["org.hyperledger.fabric:GetMetadata"]}`)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("channel %s: peer %s does not answer %s 2 minutes after its definition named the package (a launch the peer is stuck in ends after its chaincode.startuptimeout, 5 minutes: then run up again): %w", c.Name, p.ID(), n.label(), err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

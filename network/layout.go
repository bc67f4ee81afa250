package network

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Layout is where a network's generated files and runtime state live
// (default ./.run, never in git). Each org's state is a directory of its
// own, orgs/<org>/: its CAs' keys, its nodes' and users' identities, its
// nodes' configuration and ledgers, its chaincode servers' TLS keys. What
// an org publishes for the others (its verifying MSP, its TLS root, its
// orderers' TLS certificates) is public/<org>/, written by the org's own
// commands (Net.InitOrg offers it, and what it offers is checked and
// copied there) and read by the others; channel blocks, made from the
// members' public material, are public/channels/. Where orgs run as
// accounts of their own (Org.Account), each org's directory is its
// account's alone and the kernel refuses the others
// (TestEachOrgInItsOwnNetworkNamespace); what root does there for an org
// goes through an os.Root of the directory (account.go).
type Layout struct{ Home string }

func (l Layout) path(p ...string) string { return filepath.Join(append([]string{l.Home}, p...)...) }

// OrgHome is an org's private directory.
func (l Layout) OrgHome(o *Org) string { return l.path("orgs", o.Name) }

// PublicDir is what an org publishes to the others.
func (l Layout) PublicDir(o *Org) string { return l.path("public", o.Name) }

func (l Layout) ConfigDir() string             { return l.path("config") }
func (l Layout) ChannelBlock(ch string) string { return l.path("public", "channels", ch+".block") }
func (l Layout) BuilderDir() string            { return l.path("builder") }

// CryptoDir is an org's identities as its CA enrolled them (enrollOrg),
// in the MSP layout Fabric's tools write.
func (l Layout) CryptoDir(o *Org) string { return filepath.Join(l.OrgHome(o), "crypto") }

// orgOfID is the org name a process or node ID ends with
// ("peer0.citya", "cc.peer0.citya": citya); "" for the network's own
// services ("gateway", "index").
func orgOfID(id string) string {
	if i := strings.LastIndexByte(id, '.'); i >= 0 {
		return id[i+1:]
	}
	return ""
}

// NodeDir is a node's configuration and ledgers, in its org's directory.
func (l Layout) NodeDir(id string) string { return l.path("orgs", orgOfID(id), "nodes", id) }

// ChaincodeDir is a peer's chaincode package and its server's TLS key.
func (l Layout) ChaincodeDir(peerID string) string {
	return l.path("orgs", orgOfID(peerID), "chaincode", peerID)
}

// OrgDir is an org's verifying MSP (msp/), its nodes' identities (peers/)
// and its admin's (users/); an org initialised before it had a Fabric CA
// keeps its roots here too (ca/, tlsca/: caRootsOf).
func (l Layout) OrgDir(o *Org) string {
	return filepath.Join(l.CryptoDir(o), "peerOrganizations", o.Domain)
}

// OrgMSPDir is the org's verifying MSP (CA certs, NodeOUs) as it
// publishes it: what channel configurations are made from.
func (l Layout) OrgMSPDir(o *Org) string { return filepath.Join(l.PublicDir(o), "msp") }

// TLSCACert is the org's TLS root certificate as it publishes it.
func (l Layout) TLSCACert(o *Org) string {
	_, tls := rootFiles(o)
	return filepath.Join(l.OrgMSPDir(o), "tlscacerts", tls)
}

// OrdererTLSCert is an orderer's TLS certificate as its org publishes it
// (a channel's configuration names its consenters by it).
func (l Layout) OrdererTLSCert(x *Orderer) string {
	return filepath.Join(l.PublicDir(x.org), "orderers", x.ID()+"-tls.crt")
}

// NodeCryptoDir holds a node's msp/ and tls/ (orderers and peers alike,
// under the org that runs them).
func (l Layout) NodeCryptoDir(o *Org, host string) string {
	return filepath.Join(l.OrgDir(o), "peers", host+"."+o.Domain)
}

// AdminMSP is the org admin's MSP (lifecycle, channel joins).
func (l Layout) AdminMSP(o *Org) string {
	return filepath.Join(l.OrgDir(o), "users", "Admin@"+o.Domain, "msp")
}

// AdminTLS is the org admin's TLS client cert and key (orderer admin API).
func (l Layout) AdminTLS(o *Org) (cert, key string) {
	d := filepath.Join(l.OrgDir(o), "users", "Admin@"+o.Domain, "tls")
	return filepath.Join(d, "client.crt"), filepath.Join(d, "client.key")
}

// UserMSP is a role identity's MSP directory.
func (l Layout) UserMSP(o *Org, user string) string {
	return filepath.Join(l.OrgHome(o), "identities", user, "msp")
}

// CAHome is the org's Fabric CA: the server's state (its roots, their
// keys, its databases) and its registrar's client homes.
func (l Layout) CAHome(o *Org) string { return filepath.Join(l.OrgHome(o), "ca") }

// PIDFile and LogFile of a process by its ID.
func (l Layout) PIDFile(id string) string { return l.path("run", id+".pid") }
func (l Layout) LogFile(id string) string { return l.path("logs", id+".log") }

// BlockFiles is the directory of a peer's block files for a channel.
func (l Layout) BlockFiles(peerID, channel string) string {
	return filepath.Join(l.NodeDir(peerID), "data", "ledgersData", "chains", "chains", channel)
}

// migrate moves a home written before each org had a directory of its
// own into this layout (every org's material, nodes and ledgers keep
// their content; nothing is generated anew). The processes must be
// stopped: a running node keeps writing where it was started.
func (n *Net) migrate() error {
	old := func(p ...string) string { return n.L.path(p...) }
	var moves [][2]string
	for _, o := range n.D.Orgs {
		moves = append(moves,
			[2]string{old("crypto", "peerOrganizations", o.Domain), n.L.OrgDir(o)},
			[2]string{old("identities", o.Name), filepath.Join(n.L.OrgHome(o), "identities")},
			[2]string{old("ca", o.Name), n.L.CAHome(o)})
	}
	for _, dir := range []string{"nodes", "chaincode"} {
		entries, _ := os.ReadDir(old(dir))
		for _, e := range entries {
			if org := orgOfID(e.Name()); org != "" {
				moves = append(moves, [2]string{old(dir, e.Name()), n.L.path("orgs", org, dir, e.Name())})
			}
		}
	}
	if entries, _ := os.ReadDir(old("channels")); len(entries) > 0 {
		for _, e := range entries {
			moves = append(moves, [2]string{old("channels", e.Name()), n.L.path("public", "channels", e.Name())})
		}
	}
	var todo [][2]string
	for _, m := range moves {
		if _, err := os.Stat(m[0]); err == nil {
			if _, err := os.Stat(m[1]); err == nil {
				return fmt.Errorf("home %s holds both %s and %s: resolve by hand", n.L.Home, m[0], m[1])
			}
			todo = append(todo, m)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if ids := n.runningIDs(); len(ids) > 0 {
		return fmt.Errorf("home %s has the layout before each org had a directory of its own: stop the network first (network down; %s running), then up moves it", n.L.Home, strings.Join(ids, ", "))
	}
	for _, m := range todo {
		if err := os.MkdirAll(filepath.Dir(m[1]), 0o700); err != nil {
			return err
		}
		if err := os.Rename(m[0], m[1]); err != nil {
			return err
		}
	}
	// What is left (an org no longer described, its keys among it) stays
	// where it was; empty directories go.
	var left []string
	for _, dir := range []string{"crypto", "identities", "ca", "nodes", "chaincode", "channels"} {
		removeEmpty(old(dir))
		if _, err := os.Stat(old(dir)); err == nil {
			left = append(left, old(dir))
		}
	}
	fmt.Fprintf(n.Out, "  home moved to one directory per org (%d moves)\n", len(todo))
	if len(left) > 0 {
		fmt.Fprintf(n.Out, "  left as they were (of no described org): %s\n", strings.Join(left, ", "))
	}
	return nil
}

// removeEmpty removes the empty directories of a tree, deepest first.
func removeEmpty(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			removeEmpty(filepath.Join(dir, e.Name()))
		}
	}
	_ = os.Remove(dir) // fails unless empty
}

// runningIDs are the processes of this home that run now.
func (n *Net) runningIDs() []string {
	var ids []string
	for _, id := range n.startedIDs() {
		if _, ok := n.running(id); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

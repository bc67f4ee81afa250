package network

import (
	"path/filepath"
)

// Layout is where a network's generated files and runtime state live
// (default ./.run, never in git).
type Layout struct{ Home string }

func (l Layout) path(p ...string) string { return filepath.Join(append([]string{l.Home}, p...)...) }

func (l Layout) ConfigDir() string             { return l.path("config") }
func (l Layout) CryptoDir() string             { return l.path("crypto") }
func (l Layout) ChannelBlock(ch string) string { return l.path("channels", ch+".block") }
func (l Layout) NodeDir(id string) string      { return l.path("nodes", id) }
func (l Layout) BuilderDir() string            { return l.path("builder") }
func (l Layout) ChaincodeDir(peerID string) string {
	return l.path("chaincode", peerID)
}

// OrgDir is the cryptogen output of an org.
func (l Layout) OrgDir(o *Org) string {
	return l.path("crypto", "peerOrganizations", o.Domain)
}

// OrgMSPDir is the org's verifying MSP (CA certs, NodeOUs).
func (l Layout) OrgMSPDir(o *Org) string { return filepath.Join(l.OrgDir(o), "msp") }

// TLSCACert is the org's TLS root certificate.
func (l Layout) TLSCACert(o *Org) string {
	return filepath.Join(l.OrgDir(o), "tlsca", "tlsca."+o.Domain+"-cert.pem")
}

// NodeCryptoDir holds a node's msp/ and tls/ (orderers are generated as
// nodes of the org that runs them).
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
	return l.path("identities", o.Name, user, "msp")
}

// PIDFile and LogFile of a process by its ID.
func (l Layout) PIDFile(id string) string { return l.path("run", id+".pid") }
func (l Layout) LogFile(id string) string { return l.path("logs", id+".log") }

// BlockFiles is the directory of a peer's block files for a channel.
func (l Layout) BlockFiles(peerID, channel string) string {
	return filepath.Join(l.NodeDir(peerID), "data", "ledgersData", "chains", "chains", channel)
}

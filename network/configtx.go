package network

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"dataledger/proof"
)

type policy struct {
	Type string `yaml:"Type"`
	Rule string `yaml:"Rule"`
}

type anchor struct {
	Host string `yaml:"Host"`
	Port int    `yaml:"Port"`
}

type txOrg struct {
	Name             string            `yaml:"Name"`
	ID               string            `yaml:"ID"`
	MSPDir           string            `yaml:"MSPDir"`
	Policies         map[string]policy `yaml:"Policies"`
	OrdererEndpoints []string          `yaml:"OrdererEndpoints,omitempty"`
	AnchorPeers      []anchor          `yaml:"AnchorPeers,omitempty"`
}

type consenter struct {
	Host          string `yaml:"Host"`
	Port          int    `yaml:"Port"`
	ClientTLSCert string `yaml:"ClientTLSCert"`
	ServerTLSCert string `yaml:"ServerTLSCert"`
}

type txProfile struct {
	Policies     map[string]policy `yaml:"Policies"`
	Capabilities map[string]bool   `yaml:"Capabilities"`
	Orderer      struct {
		OrdererType  string `yaml:"OrdererType"`
		BatchTimeout string `yaml:"BatchTimeout"`
		BatchSize    struct {
			MaxMessageCount   int    `yaml:"MaxMessageCount"`
			AbsoluteMaxBytes  string `yaml:"AbsoluteMaxBytes"`
			PreferredMaxBytes string `yaml:"PreferredMaxBytes"`
		} `yaml:"BatchSize"`
		EtcdRaft struct {
			Consenters []consenter `yaml:"Consenters"`
		} `yaml:"EtcdRaft"`
		Organizations []txOrg           `yaml:"Organizations"`
		Policies      map[string]policy `yaml:"Policies"`
		Capabilities  map[string]bool   `yaml:"Capabilities"`
	} `yaml:"Orderer"`
	Application struct {
		Organizations []txOrg           `yaml:"Organizations"`
		Policies      map[string]policy `yaml:"Policies"`
		Capabilities  map[string]bool   `yaml:"Capabilities"`
	} `yaml:"Application"`
}

func implicit(rule string) policy  { return policy{Type: "ImplicitMeta", Rule: rule} }
func signature(rule string) policy { return policy{Type: "Signature", Rule: rule} }

// txOrgOf describes an org to configtxgen. Endorsement by any peer of the
// org; the channel-level policies combine the orgs by MAJORITY.
func (n *Net) txOrgOf(o *Org, withAnchors bool) txOrg {
	t := txOrg{
		Name: o.MSPID, ID: o.MSPID, MSPDir: n.L.OrgMSPDir(o),
		Policies: map[string]policy{
			"Readers":     signature(fmt.Sprintf("OR('%s.member')", o.MSPID)),
			"Writers":     signature(fmt.Sprintf("OR('%s.member')", o.MSPID)),
			"Admins":      signature(fmt.Sprintf("OR('%s.admin')", o.MSPID)),
			"Endorsement": signature(fmt.Sprintf("OR('%s.peer')", o.MSPID)),
		},
	}
	for _, x := range o.Orderers {
		t.OrdererEndpoints = append(t.OrdererEndpoints, x.Address())
	}
	if withAnchors {
		for _, p := range o.Peers {
			t.AnchorPeers = append(t.AnchorPeers, anchor{Host: p.Host, Port: p.Port})
		}
	}
	return t
}

// writeConfigtx writes configtx.yaml with one profile per channel.
func (n *Net) writeConfigtx() error {
	profiles := map[string]*txProfile{}
	for i := range n.D.Channels {
		c := &n.D.Channels[i]
		profiles[c.Name] = n.profileOf(c, c.Members)
	}
	return n.writeYAML(filepath.Join(n.L.ConfigDir(), "configtx.yaml"), map[string]any{"Profiles": profiles})
}

// profileOf is channel c's configtxgen profile with the application orgs
// members, each defined from its public material.
func (n *Net) profileOf(c *Channel, members []string) *txProfile {
	p := &txProfile{
		Policies: map[string]policy{
			"Readers": implicit("ANY Readers"), "Writers": implicit("ANY Writers"), "Admins": implicit("MAJORITY Admins"),
		},
		Capabilities: map[string]bool{"V2_0": true},
	}
	p.Orderer.OrdererType = "etcdraft"
	p.Orderer.BatchTimeout = n.D.Ordering.BatchTimeout
	p.Orderer.BatchSize.MaxMessageCount = n.D.Ordering.MaxMessageCount
	p.Orderer.BatchSize.AbsoluteMaxBytes = "10 MB"
	p.Orderer.BatchSize.PreferredMaxBytes = "2 MB"
	for _, o := range n.D.ChannelOrdererOrgs(c) {
		p.Orderer.Organizations = append(p.Orderer.Organizations, n.txOrgOf(o, false))
		for _, x := range o.Orderers {
			tls := n.L.OrdererTLSCert(x)
			p.Orderer.EtcdRaft.Consenters = append(p.Orderer.EtcdRaft.Consenters, consenter{Host: x.Host, Port: x.Port, ClientTLSCert: tls, ServerTLSCert: tls})
		}
	}
	p.Orderer.Policies = map[string]policy{
		"Readers": implicit("ANY Readers"), "Writers": implicit("ANY Writers"), "Admins": implicit("MAJORITY Admins"),
		"BlockValidation": n.blockValidation(c),
	}
	p.Orderer.Capabilities = map[string]bool{"V2_0": true}
	for _, m := range members {
		p.Application.Organizations = append(p.Application.Organizations, n.txOrgOf(n.D.Org(m), true))
	}
	// Endorsement by a majority (endorsementOf): one org being down does
	// not stop issuing. Chaincode definitions are approved by a majority.
	p.Application.Policies = map[string]policy{
		"Readers": implicit("ANY Readers"), "Writers": implicit("ANY Writers"), "Admins": implicit("MAJORITY Admins"),
		"LifecycleEndorsement": implicit("MAJORITY Endorsement"), "Endorsement": signature(endorsementOf(members, n.D.keepers(members)).dsl()),
	}
	p.Application.Capabilities = map[string]bool{"V2_5": true}
	return p
}

// OrgDefinition is an org's definition as an application org of a
// channel (/Channel/Application/<MSP ID>: its MSP, policies and anchor
// peers), made by configtxgen from the org's public material alone, as
// a genesis block of the channel would hold it: what a configuration
// update adding the org to a running channel writes.
func (n *Net) OrgDefinition(channel, mspID string) (*common.ConfigGroup, error) {
	cfg, err := n.definingConfig(channel, mspID)
	if err != nil {
		return nil, err
	}
	def := cfg.GetChannelGroup().GetGroups()["Application"].GetGroups()[mspID]
	if def == nil {
		return nil, fmt.Errorf("configtxgen's block holds no definition of %s", mspID)
	}
	return def, nil
}

// definingConfig is the configuration of a genesis block configtxgen
// makes for channel with the org mspID as its one application org and
// the ordering section the description gives the channel, all from the
// orgs' public material.
func (n *Net) definingConfig(channel, mspID string) (*common.Config, error) {
	c, o := n.D.Channel(channel), n.D.Org(mspID)
	if c == nil || o == nil {
		return nil, fmt.Errorf("no channel %q or org %q in the description", channel, mspID)
	}
	if _, err := os.Stat(n.L.TLSCACert(o)); err != nil {
		return nil, fmt.Errorf("org %s has published no material (dataledger org init --org %s): %w", mspID, mspID, err)
	}
	dir, err := os.MkdirTemp("", "dataledger-define-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	const profile = "define"
	if err := n.writeYAML(filepath.Join(dir, "configtx.yaml"), map[string]any{"Profiles": map[string]*txProfile{profile: n.profileOf(c, []string{mspID})}}); err != nil {
		return nil, err
	}
	block := filepath.Join(dir, "define.block")
	if res, err := runCmd([]string{"FABRIC_CFG_PATH=" + dir}, n.fabricBin("configtxgen"), "-configPath", dir, "-profile", profile, "-channelID", channel, "-outputBlock", block); err != nil {
		return nil, fmt.Errorf("configtxgen defining %s: %v\n%s", mspID, err, res)
	}
	raw, err := os.ReadFile(block)
	if err != nil {
		return nil, err
	}
	blk, err := proof.ParseBlock(raw)
	if err != nil {
		return nil, err
	}
	ce, _, err := proof.ConfigEnvelope(blk)
	if err != nil {
		return nil, err
	}
	return ce.GetConfig(), nil
}

// channelBlock makes a channel's genesis block once; it is kept so a node
// added later joins the same channel.
func (n *Net) channelBlock(c *Channel) (string, error) {
	out := n.L.ChannelBlock(c.Name)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	res, err := runCmd([]string{"FABRIC_CFG_PATH=" + n.L.ConfigDir()}, n.fabricBin("configtxgen"),
		"-configPath", n.L.ConfigDir(), "-profile", c.Name, "-channelID", c.Name, "-outputBlock", out)
	if err != nil {
		return "", fmt.Errorf("configtxgen %s: %v\n%s", c.Name, err, res)
	}
	// Public: every member's admin joins its nodes with it (configtxgen
	// writes 0640).
	return out, os.Chmod(out, 0o644)
}

// Package network describes, generates, starts and stops a dataledger
// Fabric network. The network is data (dataledger.yaml): orgs, nodes,
// hosts, ports and channels; everything else is generated from it.
package network

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"dataledger/chaincode/domain"
)

// Description is the whole network.
type Description struct {
	Name      string    `yaml:"name"`
	Bridge    Bridge    `yaml:"bridge"` // joins the orgs that run in network namespaces
	Ordering  Ordering  `yaml:"ordering"`
	Chaincode Chaincode `yaml:"chaincode"`
	Orgs      []*Org    `yaml:"orgs"`
	Channels  []Channel `yaml:"channels"`
}

// Ordering holds the Raft block-cutting settings.
type Ordering struct {
	BatchTimeout    string `yaml:"batchTimeout"`
	MaxMessageCount int    `yaml:"maxMessageCount"`
}

// Chaincode names the deployed chaincode; a new version is an upgrade.
type Chaincode struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
}

// Org is one organization with its nodes and client identities.
type Org struct {
	Name         string     `yaml:"name"`
	MSPID        string     `yaml:"mspId"`
	Domain       string     `yaml:"domain"`
	Role         string     `yaml:"role"`
	Jurisdiction string     `yaml:"jurisdiction"`
	DivisionCode string     `yaml:"divisionCode"`
	Users        []User     `yaml:"users"`
	Orderers     []*Orderer `yaml:"orderers"`
	Peers        []*Peer    `yaml:"peers"`
	// NetNS runs the org's processes in this network namespace (created by
	// up, at the nodes' host address; needs root).
	NetNS string `yaml:"netns"`
	// Account is the Unix account the org's processes (orderers, peers,
	// chaincode servers, its CA) and its commands (its material, the
	// peer CLI and osnadmin as its admin) run as, its directory its own
	// (0700): one host holding several orgs keeps each out of the others'
	// keys by the kernel's rule. Empty: whoever runs dataledger. Created
	// by up (root) when missing.
	Account string `yaml:"account"`
}

// User is a client identity with its role attribute.
type User struct {
	Name string `yaml:"name"`
	Role string `yaml:"role"`
	// CreditCode is an enterprise identity's own credit code (role
	// enterprise only): its certificate carries it, and it reads only
	// that enterprise's records (domain.Actor.MayHave).
	CreditCode string `yaml:"creditCode,omitempty"`
}

// EnterpriseUser is the identity an enterprise acts with under the org
// that registered it (EnrollUser issues it; the gateway acts as it for the
// enterprise's API keys).
func EnterpriseUser(creditCode string) User {
	return User{Name: EnterprisePrefix + strings.ToLower(creditCode), Role: domain.RoleEnterprise, CreditCode: creditCode}
}

// EnterprisePrefix starts the name of every enterprise identity.
const EnterprisePrefix = "enterprise-"

// Orderer is a Raft ordering node.
type Orderer struct {
	Name           string `yaml:"name"`
	Host           string `yaml:"host"`
	Port           int    `yaml:"port"`
	AdminPort      int    `yaml:"adminPort"`
	OperationsPort int    `yaml:"operationsPort"`
	org            *Org
}

// Peer is an endorsing peer with its chaincode server.
type Peer struct {
	Name                string `yaml:"name"`
	Host                string `yaml:"host"`
	Port                int    `yaml:"port"`
	ChaincodePort       int    `yaml:"chaincodePort"`
	OperationsPort      int    `yaml:"operationsPort"`
	ChaincodeServerPort int    `yaml:"chaincodeServerPort"`
	org                 *Org
}

// Channel is one jurisdiction's ledger.
type Channel struct {
	Name         string   `yaml:"name"`
	Authority    string   `yaml:"authority"`
	Jurisdiction string   `yaml:"jurisdiction"`
	DivisionCode string   `yaml:"divisionCode"`
	Profile      string   `yaml:"profile"`
	Members      []string `yaml:"members"`
	// Supervisor is the data authority a level up, which reviews the
	// channel's cross-region applications; by default the authority of
	// the channel of the province the division code belongs to.
	Supervisor string `yaml:"supervisor"`
}

// Load reads and validates a description file.
func Load(path string) (*Description, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse decodes and validates a description.
func Parse(data []byte) (*Description, error) {
	var d Description
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("network description: %w", err)
	}
	for _, o := range d.Orgs {
		for _, n := range o.Orderers {
			n.org = o
		}
		for _, p := range o.Peers {
			p.org = o
		}
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("network description: %w", err)
	}
	return &d, nil
}

var (
	nameRE    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	channelRE = regexp.MustCompile(`^[a-z][a-z0-9.-]{0,48}$`)
	mspRE     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{1,40}$`)
	domainRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,100}[a-z0-9])?$`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9.]{1,20}$`)
	accountRE = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
)

// Validate checks names, uniqueness of identities and endpoints, channel
// membership and each channel's authority and profile.
func (d *Description) Validate() error {
	if !nameRE.MatchString(d.Name) {
		return fmt.Errorf("name %q: lowercase letters, digits and '-'", d.Name)
	}
	if _, err := time.ParseDuration(d.Ordering.BatchTimeout); err != nil {
		return fmt.Errorf("ordering.batchTimeout %q: %v", d.Ordering.BatchTimeout, err)
	}
	if d.Ordering.MaxMessageCount < 1 || d.Ordering.MaxMessageCount > 10000 {
		return fmt.Errorf("ordering.maxMessageCount %d: must be 1..10000", d.Ordering.MaxMessageCount)
	}
	if !nameRE.MatchString(d.Chaincode.Name) || !versionRE.MatchString(d.Chaincode.Version) {
		return fmt.Errorf("chaincode: name %q / version %q invalid", d.Chaincode.Name, d.Chaincode.Version)
	}
	seen := map[string]string{}
	claim := func(kind, v, who string) error {
		if prev, ok := seen[kind+v]; ok {
			return fmt.Errorf("%s %s is used by both %s and %s", kind, v, prev, who)
		}
		seen[kind+v] = who
		return nil
	}
	orderers := 0
	for _, o := range d.Orgs {
		if !nameRE.MatchString(o.Name) || !mspRE.MatchString(o.MSPID) || !domainRE.MatchString(o.Domain) {
			return fmt.Errorf("org %q: name, mspId %q or domain %q invalid", o.Name, o.MSPID, o.Domain)
		}
		if o.Name == "channels" { // public/channels holds the channels' blocks
			return fmt.Errorf("org %q: the name is reserved", o.Name)
		}
		claims := []error{claim("org ", o.Name, o.Name), claim("domain ", o.Domain, o.Name)}
		if o.MSPID != o.Name { // Description.Org takes either: one namespace
			claims = append(claims, claim("org ", o.MSPID, o.Name))
		}
		for _, c := range claims {
			if c != nil {
				return c
			}
		}
		if err := domain.ValidateDivisionCode("divisionCode", o.DivisionCode); err != nil {
			return fmt.Errorf("org %s: %w", o.Name, err)
		}
		if o.Account != "" {
			if !accountRE.MatchString(o.Account) {
				return fmt.Errorf("org %s: account %q: a Unix account name (lowercase letters, digits, '-', '_'; at most 32)", o.Name, o.Account)
			}
			if err := claim("account ", o.Account, o.Name); err != nil {
				return err
			}
		}
		if len(o.Peers) == 0 {
			return fmt.Errorf("org %s has no peer", o.Name)
		}
		users := map[string]bool{}
		for _, u := range o.Users {
			if !nameRE.MatchString(u.Name) || users[u.Name] || u.Name == "admin" {
				return fmt.Errorf("org %s: user %q invalid or repeated (admin is reserved)", o.Name, u.Name)
			}
			users[u.Name] = true
			if !validRole(u.Role) {
				return fmt.Errorf("org %s: user %s has unknown role %q", o.Name, u.Name, u.Role)
			}
			if u.Role == domain.RoleEnterprise {
				if err := domain.ValidateCreditCode("creditCode", u.CreditCode); err != nil {
					return fmt.Errorf("org %s: enterprise user %s: %w", o.Name, u.Name, err)
				}
			} else if u.CreditCode != "" {
				return fmt.Errorf("org %s: user %s: only an enterprise user names a credit code", o.Name, u.Name)
			}
		}
		for _, n := range o.Orderers {
			orderers++
			who := n.ID()
			if !nameRE.MatchString(n.Name) || n.Host == "" {
				return fmt.Errorf("orderer %q: name and host are required", who)
			}
			for _, p := range []int{n.Port, n.AdminPort, n.OperationsPort} {
				if err := claimPort(claim, n.Host, p, who); err != nil {
					return err
				}
			}
		}
		for _, p := range o.Peers {
			who := p.ID()
			if !nameRE.MatchString(p.Name) || p.Host == "" {
				return fmt.Errorf("peer %q: name and host are required", who)
			}
			for _, port := range []int{p.Port, p.ChaincodePort, p.OperationsPort, p.ChaincodeServerPort} {
				if err := claimPort(claim, p.Host, port, who); err != nil {
					return err
				}
			}
		}
	}
	if orderers == 0 {
		return fmt.Errorf("no orderer: at least one org must run orderers (3 on a channel for Raft fault tolerance)")
	}
	profiles := domain.BuiltinProfiles()
	for _, c := range d.Channels {
		if !channelRE.MatchString(c.Name) {
			return fmt.Errorf("channel %q: lowercase letters, digits, '.' and '-'", c.Name)
		}
		if err := claim("channel ", c.Name, c.Name); err != nil {
			return err
		}
		if _, ok := profiles[c.Profile]; !ok {
			return fmt.Errorf("channel %s: profile %q is not one of %v", c.Name, c.Profile, domain.BuiltinProfileNames())
		}
		if err := domain.ValidateDivisionCode("divisionCode", c.DivisionCode); err != nil {
			return fmt.Errorf("channel %s: %w", c.Name, err)
		}
		if len(c.Members) == 0 {
			return fmt.Errorf("channel %s has no members", c.Name)
		}
		members := map[string]bool{}
		for _, m := range c.Members {
			o := d.Org(m)
			if o == nil || o.MSPID != m || members[m] {
				return fmt.Errorf("channel %s: member %q is unknown, repeated or not an MSP ID", c.Name, m)
			}
			members[m] = true
		}
		if !members[c.Authority] || d.Org(c.Authority).Role != "data-authority" {
			return fmt.Errorf("channel %s: its authority %q must be a member and a data authority (it keeps the channel's private data collection)", c.Name, c.Authority)
		}
		// A channel is ordered by its members' orderers: three at least,
		// and no org with half of them, so that losing any one org's
		// host leaves a majority of the consenters.
		consenters := d.ChannelOrderers(&c)
		if len(consenters) < 3 {
			return fmt.Errorf("channel %s: its members run %d orderer(s); a channel is ordered by its members' orderers and needs three at least", c.Name, len(consenters))
		}
		for _, o := range d.ChannelOrdererOrgs(&c) {
			if 2*len(o.Orderers) >= len(consenters) {
				return fmt.Errorf("channel %s: %s runs %d of its %d consenters; losing its host would leave no majority", c.Name, o.MSPID, len(o.Orderers), len(consenters))
			}
		}
		if err := keepersEnough(c.Members, d.keepers(c.Members)); err != nil {
			return fmt.Errorf("channel %s: %w", c.Name, err)
		}
		if sup := d.supervisor(c); sup != "" {
			if o := d.Org(sup); o == nil || !members[sup] || o.Role != "data-authority" || sup == c.Authority {
				return fmt.Errorf("channel %s: its supervisor %q must be another data authority that is a member of the channel", c.Name, sup)
			}
		}
	}
	for _, o := range d.OrdererOrgs() {
		if len(d.ChannelsOf(o)) == 0 {
			return fmt.Errorf("org %s runs orderers but is a member of no channel: they would order nothing", o.Name)
		}
	}
	return nil
}

// Collections is the collection configuration of a channel's chaincode
// definition (the peer CLI's --collections-config): one collection,
// domain.Collection, kept by the channel's data authorities. Only they
// read it (memberOnlyRead); anyone on the channel may write to it through
// their endorsement (an objection by anyone, GX 12(8)); nothing is ever
// purged (blockToLive 0: records are superseded, never deleted). An
// endorser disseminates to no other peer (maxPeerCount 0): each member
// org's peer endorses what it must hold, and any other member peer pulls
// the data from them when it commits the block. Dissemination waits for
// every peer chosen, and one member peer down held each private
// endorsement of the others for 35 s (the gateway's 20 s ran out).
func (d *Description) Collections(c *Channel) ([]byte, error) {
	cfg := d.ChannelConfigs()[c.Name]
	principals := make([]string, len(cfg.Private))
	for i, m := range cfg.Private {
		principals[i] = fmt.Sprintf("'%s.member'", m)
	}
	return json.MarshalIndent([]map[string]any{{
		"name":              domain.Collection,
		"policy":            "OR(" + strings.Join(principals, ",") + ")",
		"requiredPeerCount": 0,
		"maxPeerCount":      0,
		"blockToLive":       0,
		"memberOnlyRead":    true,
		"memberOnlyWrite":   false,
	}}, "", "  ")
}

func claimPort(claim func(kind, v, who string) error, host string, port int, who string) error {
	if port < 1024 || port > 65535 {
		return fmt.Errorf("%s: port %d must be 1024..65535", who, port)
	}
	return claim("address ", fmt.Sprintf("%s:%d", host, port), who)
}

func validRole(r string) bool {
	switch r {
	case domain.RoleAuthority, domain.RoleOperator, domain.RoleAgency, domain.RoleExchange,
		domain.RoleEnterprise, domain.RoleRegulator, domain.RoleClerk, domain.RoleWitness:
		return true
	}
	return false
}

// Org finds an org by MSP ID or name.
func (d *Description) Org(id string) *Org {
	for _, o := range d.Orgs {
		if o.MSPID == id || o.Name == id {
			return o
		}
	}
	return nil
}

// HasUser tells whether the org has a client identity of that name.
func (o *Org) HasUser(name string) bool {
	for _, u := range o.Users {
		if u.Name == name {
			return true
		}
	}
	return false
}

// Channel finds a channel by name.
func (d *Description) Channel(name string) *Channel {
	for i := range d.Channels {
		if d.Channels[i].Name == name {
			return &d.Channels[i]
		}
	}
	return nil
}

// OrdererOrgs are the orgs that run orderers.
func (d *Description) OrdererOrgs() []*Org {
	var out []*Org
	for _, o := range d.Orgs {
		if len(o.Orderers) > 0 {
			out = append(out, o)
		}
	}
	return out
}

// ChannelOrderers are a channel's Raft consenters: the orderers of its
// member orgs. Ordering is shared as membership is: no org orders a
// channel it is not a member of, and losing one org's nodes leaves a
// channel with its other members' consenters (a majority when the
// members run as many orderers each).
func (d *Description) ChannelOrderers(c *Channel) []*Orderer {
	var out []*Orderer
	for _, o := range d.ChannelOrdererOrgs(c) {
		out = append(out, o.Orderers...)
	}
	return out
}

// ChannelOrdererOrgs are the member orgs of a channel that run orderers:
// the ordering organizations of its configuration.
func (d *Description) ChannelOrdererOrgs(c *Channel) []*Org {
	var out []*Org
	for _, m := range c.Members {
		if o := d.Org(m); o != nil && len(o.Orderers) > 0 {
			out = append(out, o)
		}
	}
	return out
}

// AllOrderers lists every orderer.
func (d *Description) AllOrderers() []*Orderer {
	var out []*Orderer
	for _, o := range d.Orgs {
		out = append(out, o.Orderers...)
	}
	return out
}

// AllPeers lists every peer.
func (d *Description) AllPeers() []*Peer {
	var out []*Peer
	for _, o := range d.Orgs {
		out = append(out, o.Peers...)
	}
	return out
}

// ChannelPeers lists the peers of a channel's member orgs.
func (d *Description) ChannelPeers(c *Channel) []*Peer {
	var out []*Peer
	for _, m := range c.Members {
		out = append(out, d.Org(m).Peers...)
	}
	return out
}

// ChannelsOf lists the channels an org is a member of.
func (d *Description) ChannelsOf(o *Org) []string {
	var out []string
	for _, c := range d.Channels {
		for _, m := range c.Members {
			if m == o.MSPID {
				out = append(out, c.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// supervisor is a channel's supervising authority: as the description
// names it, or the authority of the province-level channel (division code
// NN0000) of a city or county channel; "" for a province-level channel.
func (d *Description) supervisor(c Channel) string {
	if c.Supervisor != "" {
		return c.Supervisor
	}
	if len(c.DivisionCode) != 6 || strings.HasSuffix(c.DivisionCode, "0000") {
		return ""
	}
	for _, p := range d.Channels {
		if p.DivisionCode == c.DivisionCode[:2]+"0000" && p.Authority != c.Authority {
			return p.Authority
		}
	}
	return ""
}

// keepers are the orgs of members that keep a channel's private data
// collection (domain.Collection): its data authorities.
func (d *Description) keepers(members []string) []string {
	var out []string
	for _, m := range members {
		if o := d.Org(m); o != nil && o.Role == "data-authority" {
			out = append(out, m)
		}
	}
	return out
}

// ChannelConfigs is the chaincode's deployment configuration: each
// channel's data authority and its exchanges (member orgs whose role is
// "exchange").
func (d *Description) ChannelConfigs() map[string]domain.ChannelConfig {
	m := map[string]domain.ChannelConfig{}
	for _, c := range d.Channels {
		cfg := domain.ChannelConfig{Authority: c.Authority, Exchanges: []string{}, Supervisor: d.supervisor(c)}
		for _, msp := range c.Members {
			if d.Org(msp).Role == "exchange" {
				cfg.Exchanges = append(cfg.Exchanges, msp)
			}
		}
		cfg.Private = d.keepers(c.Members)
		m[c.Name] = cfg
	}
	return m
}

// Org returns the node's organization.
func (n *Orderer) Org() *Org { return n.org }
func (p *Peer) Org() *Org    { return p.org }

// ID is the node's unique name, e.g. "orderer0.province".
func (n *Orderer) ID() string { return n.Name + "." + n.org.Name }
func (p *Peer) ID() string    { return p.Name + "." + p.org.Name }

// Hostname is the node's TLS host name, e.g. "peer0.citya.dataledger.local".
func (n *Orderer) Hostname() string { return n.Name + "." + n.org.Domain }
func (p *Peer) Hostname() string    { return p.Name + "." + p.org.Domain }

// Address is host:port of the node's main endpoint.
func (n *Orderer) Address() string { return fmt.Sprintf("%s:%d", n.Host, n.Port) }
func (p *Peer) Address() string    { return fmt.Sprintf("%s:%d", p.Host, p.Port) }

// ChaincodeServerAddress is host:port of the peer's chaincode server.
func (p *Peer) ChaincodeServerAddress() string {
	return fmt.Sprintf("%s:%d", p.Host, p.ChaincodeServerPort)
}

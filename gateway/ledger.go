package gateway

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"

	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/proof"
)

// Identity is a Fabric identity of an organization: an org and one of its
// users (as the network description names them).
type Identity struct {
	Org  string
	User string
}

// Enterprise tells whether the identity is an enterprise's own
// (network.EnterpriseUser): the chaincode gives it only what is public or
// that enterprise's.
func (w Identity) Enterprise() bool { return strings.HasPrefix(w.User, network.EnterprisePrefix) }

// Ledger is what the handlers need of the network; the Fabric
// implementation is FabricLedger, and unit tests use a fake.
type Ledger interface {
	Evaluate(ctx context.Context, who Identity, channel, fn string, args ...string) ([]byte, error)
	Submit(ctx context.Context, who Identity, channel, fn string, args ...string) (*network.Committed, error)
	// SubmitOwnTxID submits a transaction whose arguments contain its own
	// transaction ID (build receives it before anything is signed).
	SubmitOwnTxID(ctx context.Context, who Identity, channel, fn string, build func(txID string) ([]string, error)) (*network.Committed, error)
	// WaitCommitted returns once every peer the gateway reads from on the
	// channel has committed the given block (bounded by ctx).
	WaitCommitted(ctx context.Context, channel string, block uint64) error
	// Block is the number of the block holding a transaction.
	Block(ctx context.Context, who Identity, channel, txID string) (uint64, error)
	// ChannelOf names the channel of a jurisdiction's division code.
	ChannelOf(division string) (string, bool)
	// HasChannel tells whether a channel exists in the network.
	HasChannel(name string) bool
	// Channels are the channels who's org is a member of.
	Channels(who Identity) []string
	// Member refuses an org that is not on the channel.
	Member(who Identity, channel string) error
	// HasUser tells whether who's org has that user on the network (the
	// identity the gateway acts as for a caller).
	HasUser(who Identity) bool
	// Events follows a channel's chaincode events from a block (0: now).
	Events(ctx context.Context, who Identity, channel string, fromBlock uint64) (<-chan ChainEvent, error)
	// Ready answers nil when a query to the network succeeds.
	Ready(ctx context.Context, who Identity) error
	// Query evaluates a function of any chaincode (qscc for blocks).
	Query(ctx context.Context, who Identity, channel, chaincode, fn string, args ...string) ([]byte, error)
	// BlockRead reads a block with qscc (fn: GetBlockByNumber or
	// GetBlockByTxID) for a reader who judges it itself (a proof, the
	// chain audit): from another member's peer where the gateway's peer
	// joined from a later snapshot (network.Client.BlockContext).
	BlockRead(ctx context.Context, who Identity, channel, fn string, args ...string) ([]byte, error)
	// Chaincode is the name of the dataledger chaincode.
	Chaincode() string
	// Trust is the network's trust file (each channel's genesis block
	// pinned), what the gateway verifies proofs and audits the chain by.
	Trust() (*proof.TrustFile, error)
}

// invoker runs the typed client's transactions (network.Tx) on a Ledger,
// as one identity, within one request's context.
type invoker struct {
	ctx    context.Context
	ledger Ledger
	who    Identity
}

func (i invoker) Evaluate(channel, fn string, args ...string) ([]byte, error) {
	return i.ledger.Evaluate(i.ctx, i.who, channel, fn, args...)
}

func (i invoker) Submit(channel, fn string, args ...string) (*network.Committed, error) {
	return i.ledger.Submit(i.ctx, i.who, channel, fn, args...)
}

func (i invoker) SubmitOwnTxID(channel, fn string, build func(string) ([]string, error)) (*network.Committed, error) {
	return i.ledger.SubmitOwnTxID(i.ctx, i.who, channel, fn, build)
}

// FabricLedger submits through fabric-gateway, one connection per
// identity, reused across requests.
type FabricLedger struct {
	Net *network.Net
	// Org, when set, is the one org this gateway acts for: it loads and
	// signs with that org's identities only, and refuses any other
	// (RuleOwnOrg), so an org's gateway holds none of the others' keys.
	Org     string
	mu      sync.Mutex
	clients map[Identity]*network.Client
	conns   map[string]*grpc.ClientConn // one gRPC connection per peer, shared by every identity

	trustOnce sync.Once
	trust     *proof.TrustFile
	trustErr  error
}

// RuleChannelMember: an org acts only on the channels it is a member of.
const RuleChannelMember = "DL-ACL-CHANNEL"

// RuleOwnOrg: an org's gateway acts with its own org's identities only.
const RuleOwnOrg = "DL-ACL-OWN-ORG"

// The gateway's own access rules: a route needs a known API key unless
// the public may call it (RuleAPIKey, 401), and the key's role must be in
// the route's row of acl.yaml (RuleRole, 403).
const (
	RuleAPIKey = "DL-ACL-KEY"
	RuleRole   = "DL-ACL-ROLE"
)

func (f *FabricLedger) Member(who Identity, channel string) error { return f.member(who, channel) }

// ownOrg refuses, on an org's gateway, an identity of another org.
func (f *FabricLedger) ownOrg(who Identity) error {
	if f.Org != "" && who.Org != f.Org {
		return domain.Forbidden(RuleOwnOrg, "caller", "this gateway acts for %s alone and holds no identity of %s", f.Org, who.Org)
	}
	return nil
}

func (f *FabricLedger) member(who Identity, channel string) error {
	if err := f.ownOrg(who); err != nil { // before any answer, a cached one too
		return err
	}
	ch := f.Net.D.Channel(channel)
	if ch == nil {
		return domain.NotFound(domain.RuleChannelUnknown, "channel", "no channel %q on this network", channel)
	}
	for _, m := range ch.Members {
		if m == who.Org {
			return nil
		}
	}
	return domain.Forbidden(RuleChannelMember, "caller", "%s is not a member of channel %s (members: %v)", who.Org, channel, ch.Members)
}

func (f *FabricLedger) client(who Identity) (*network.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.clients[who]; ok {
		return c, nil
	}
	if err := f.ownOrg(who); err != nil {
		return nil, err
	}
	o := f.Net.D.Org(who.Org)
	if o == nil {
		return nil, fmt.Errorf("identity %s/%s: no such org", who.Org, who.User)
	}
	peer := o.Peers[0]
	if f.conns == nil {
		f.conns, f.clients = map[string]*grpc.ClientConn{}, map[Identity]*network.Client{}
	}
	conn, ok := f.conns[peer.ID()]
	if !ok {
		var err error
		if conn, err = f.Net.Dial(peer); err != nil {
			return nil, err
		}
		f.conns[peer.ID()] = conn
	}
	c, err := f.Net.ConnectOver(who.Org, who.User, peer, conn)
	if err != nil {
		return nil, fmt.Errorf("identity %s/%s: %w", who.Org, who.User, err)
	}
	f.clients[who] = c
	return c, nil
}

func (f *FabricLedger) Query(ctx context.Context, who Identity, channel, chaincode, fn string, args ...string) ([]byte, error) {
	if err := f.member(who, channel); err != nil {
		return nil, err
	}
	c, err := f.client(who)
	if err != nil {
		return nil, err
	}
	return c.QueryContext(ctx, channel, chaincode, fn, args...)
}

func (f *FabricLedger) BlockRead(ctx context.Context, who Identity, channel, fn string, args ...string) ([]byte, error) {
	if err := f.member(who, channel); err != nil {
		return nil, err
	}
	c, err := f.client(who)
	if err != nil {
		return nil, err
	}
	return c.BlockContext(ctx, channel, fn, args...)
}

func (f *FabricLedger) Chaincode() string { return f.Net.D.Chaincode.Name }

// Trust is made once from the channels' genesis blocks: they are fixed
// for the life of the network.
//
// An org's gateway (Org set) reads the trust file the network published
// (HOME/trust.json) instead: making one reads each channel's
// configuration as the admin of one of its members, whose keys an org's
// gateway does not hold.
func (f *FabricLedger) Trust() (*proof.TrustFile, error) {
	f.trustOnce.Do(func() {
		if f.Org != "" {
			f.trust, f.trustErr = proof.LoadTrust(f.Net.TrustFile())
			return
		}
		f.trust, f.trustErr = f.Net.Trust()
	})
	return f.trust, f.trustErr
}

func (f *FabricLedger) Evaluate(ctx context.Context, who Identity, channel, fn string, args ...string) ([]byte, error) {
	return f.Query(ctx, who, channel, f.Chaincode(), fn, args...)
}

func (f *FabricLedger) Submit(ctx context.Context, who Identity, channel, fn string, args ...string) (*network.Committed, error) {
	if err := f.member(who, channel); err != nil {
		return nil, err
	}
	c, err := f.client(who)
	if err != nil {
		return nil, err
	}
	return c.SubmitContext(ctx, channel, fn, args...)
}

// Connect opens the connections of identities ahead of their first read,
// so their peers count in WaitCommitted from the start.
func (f *FabricLedger) Connect(who ...Identity) error {
	for _, w := range who {
		if _, err := f.client(w); err != nil {
			return err
		}
	}
	return nil
}

// WaitCommitted polls each connected identity's peer (qscc GetChainInfo)
// on the channel until its height passes block: a write is acknowledged
// only when every peer this gateway reads from can see it, so the next read
// cannot return, or cache, the state before it.
func (f *FabricLedger) WaitCommitted(ctx context.Context, channel string, block uint64) error {
	f.mu.Lock()
	var readers []*network.Client
	for who, c := range f.clients {
		if f.member(who, channel) == nil {
			readers = append(readers, c)
		}
	}
	f.mu.Unlock()
	for _, c := range readers {
		for {
			h, err := c.HeightContext(ctx, channel)
			if err == nil && h > block {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("peer of %s has not committed block %d: %w", c.Org.MSPID, block, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

func (f *FabricLedger) SubmitOwnTxID(ctx context.Context, who Identity, channel, fn string, build func(string) ([]string, error)) (*network.Committed, error) {
	if err := f.member(who, channel); err != nil {
		return nil, err
	}
	c, err := f.client(who)
	if err != nil {
		return nil, err
	}
	return c.SubmitOwnTxIDContext(ctx, channel, fn, build)
}

func (f *FabricLedger) Block(ctx context.Context, who Identity, channel, txID string) (uint64, error) {
	if err := f.member(who, channel); err != nil {
		return 0, err
	}
	c, err := f.client(who)
	if err != nil {
		return 0, err
	}
	return c.BlockOfContext(ctx, channel, txID)
}

func (f *FabricLedger) Ready(ctx context.Context, who Identity) error {
	for _, ch := range f.Net.D.Channels {
		if err := f.member(who, ch.Name); err == nil {
			_, err := network.Tx.GetJurisdiction().Raw(invoker{ctx, f, who}, ch.Name)
			return err
		}
	}
	return domain.NotFound(domain.RuleChannelUnknown, "channel", "%s is a member of no channel", who.Org)
}

func (f *FabricLedger) HasChannel(name string) bool { return f.Net.D.Channel(name) != nil }

func (f *FabricLedger) HasUser(who Identity) bool {
	o := f.Net.D.Org(who.Org)
	return o != nil && (o.HasUser(who.User) || who.User == "admin")
}

// Channels are the channels who's org is a member of.
func (f *FabricLedger) Channels(who Identity) []string {
	var out []string
	for _, ch := range f.Net.D.Channels {
		if f.member(who, ch.Name) == nil {
			out = append(out, ch.Name)
		}
	}
	return out
}

func (f *FabricLedger) ChannelOf(division string) (string, bool) {
	for _, ch := range f.Net.D.Channels {
		if ch.DivisionCode == division {
			return ch.Name, true
		}
	}
	return "", false
}

// Close ends every connection.
func (f *FabricLedger) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.clients {
		c.Close()
	}
	for _, conn := range f.conns {
		_ = conn.Close()
	}
	f.clients, f.conns = nil, nil
}

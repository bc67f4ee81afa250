package network

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"dataledger/chaincode/domain"
)

// Client is an org identity connected to one peer's gateway service
// (fabric-gateway), with TLS verified against the org's TLS CA.
type Client struct {
	Gateway *client.Gateway
	Conn    *grpc.ClientConn // nil when the connection is shared
	Org     *Org
	User    string
	Peer    *Peer
	// Chaincode is the deployed chaincode's name, from the network
	// description (chaincode.name).
	Chaincode string
	// CommitWait bounds the wait for a submitted transaction's commit
	// status (0: a minute). Past it the submit is an error to the caller,
	// though the transaction may still commit (a load client that must
	// not stall on a transaction an orderer lost sets it lower).
	CommitWait time.Duration
	// Collections are each channel's private data collection members
	// (domain.ChannelConfig.Private): the only endorsers of a transaction
	// that reads or writes the collection.
	Collections map[string][]string
	// Members are each channel's member orgs (MSP IDs).
	Members map[string][]string
}

// Close ends the gateway and, when the client dialed it, its connection.
func (c *Client) Close() {
	_ = c.Gateway.Close()
	if c.Conn != nil {
		_ = c.Conn.Close()
	}
}

// Connect signs in as user of org (a role identity, or "admin") on peer p
// (the org's first peer when nil), over a connection of its own.
func (n *Net) Connect(orgID, user string, p *Peer) (*Client, error) {
	return n.ConnectOver(orgID, user, p, nil)
}

// ConnectOver is Connect over an existing connection to the peer (nil:
// dial one). A shared connection is not closed by the client's Close.
func (n *Net) ConnectOver(orgID, user string, p *Peer, conn *grpc.ClientConn) (*Client, error) {
	o := n.D.Org(orgID)
	if o == nil {
		return nil, fmt.Errorf("no org %q in the description", orgID)
	}
	if p == nil {
		p = o.Peers[0]
	}
	mspDir := n.L.UserMSP(o, user)
	if user == "admin" {
		mspDir = n.L.AdminMSP(o)
	}
	id, sign, err := n.loadIdentity(o.MSPID, mspDir)
	if err != nil {
		return nil, fmt.Errorf("identity %s@%s: %w", user, o.Name, err)
	}
	own := conn == nil
	if own {
		if conn, err = n.Dial(p); err != nil {
			return nil, err
		}
	}
	gw, err := client.Connect(id, client.WithSign(sign), client.WithHash(hash.SHA256), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(10*time.Second), client.WithEndorseTimeout(20*time.Second),
		client.WithSubmitTimeout(10*time.Second), client.WithCommitStatusTimeout(time.Minute))
	if err != nil {
		if own {
			conn.Close()
		}
		return nil, err
	}
	c := &Client{Gateway: gw, Org: o, User: user, Peer: p, Chaincode: n.D.Chaincode.Name, Collections: map[string][]string{}, Members: map[string][]string{}}
	for ch, cfg := range n.D.ChannelConfigs() {
		c.Collections[ch] = cfg.Private
	}
	for _, ch := range n.D.Channels {
		c.Members[ch.Name] = ch.Members
	}
	if own {
		c.Conn = conn
	}
	return c, nil
}

// Contract is the deployed chaincode on a channel (its default contract).
func (c *Client) Contract(channel string) *client.Contract {
	return c.Gateway.GetNetwork(channel).GetContract(c.Chaincode)
}

// Dial opens a gRPC connection to a peer, verifying its TLS certificate
// against the peer org's TLS CA (no insecure skip).
func (n *Net) Dial(p *Peer) (*grpc.ClientConn, error) {
	caPEM, err := os.ReadFile(n.L.TLSCACert(p.org))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in %s", n.L.TLSCACert(p.org))
	}
	return grpc.NewClient("dns:///"+p.Address(), grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, p.Hostname())))
}

// readOne reads the one file of an MSP's signcerts or keystore (through
// the org directory's root when it is in one: a link the org's account
// made is not followed out of it).
func (n *Net) readOne(dir string) ([]byte, error) {
	r, rel, err := n.orgPath(dir)
	if err != nil {
		return nil, err
	}
	var entries []fs.DirEntry
	if r == nil {
		entries, err = os.ReadDir(dir)
	} else {
		defer r.Close()
		entries, err = fs.ReadDir(r.FS(), filepath.ToSlash(rel))
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			if r == nil {
				return os.ReadFile(filepath.Join(dir, e.Name()))
			}
			return r.ReadFile(filepath.Join(rel, e.Name()))
		}
	}
	return nil, fmt.Errorf("%s holds no file", dir)
}

// Committed is the chain reference of a committed transaction.
type Committed struct {
	Channel     string
	TxID        string
	BlockNumber uint64
	Result      []byte
}

// CommitError is a transaction that was ordered but committed invalid
// (an MVCC read conflict, an endorsement policy failure, …).
type CommitError struct {
	TxID string
	Code string // the validation code, as peer.TxValidationCode names it
}

func (e *CommitError) Error() string {
	return fmt.Sprintf("transaction %s committed as %s", e.TxID, e.Code)
}

// CommitCode is the outcome of a submit as load generators count it: VALID,
// the validation code of an invalid commit, or "" for any other error.
func CommitCode(err error) string {
	var ce *CommitError
	switch {
	case err == nil:
		return "VALID"
	case errors.As(err, &ce):
		return ce.Code
	}
	return ""
}

// Submit endorses, orders and waits for the commit of a transaction; an
// invalid commit is a *CommitError.
func (c *Client) Submit(channel, fn string, args ...string) (*Committed, error) {
	return c.SubmitContext(context.Background(), channel, fn, args...)
}

// SubmitContext is Submit bounded by ctx: endorsement, ordering and the
// wait for the commit status end when ctx does (a transaction already
// ordered may still commit).
func (c *Client) SubmitContext(ctx context.Context, channel, fn string, args ...string) (*Committed, error) {
	return resent(ctx, fn, func() (*Committed, error) { return c.submitOnce(ctx, channel, fn, args) })
}

// resent runs once, and again while fn's proofs went stale
// (staleParties), at most partyAttempts times; and once more after a
// commit short of the endorsement policy (replanned).
func resent(ctx context.Context, fn string, once func() (*Committed, error)) (*Committed, error) {
	replanned := false
	for attempt := 1; ; attempt++ {
		done, err := once()
		if !replanned && policyShort(err) && ctx.Err() == nil {
			replanned = true
			policyShortResends.Add(1)
			continue
		}
		if attempt >= partyAttempts || !staleParties(fn, err) {
			return done, err
		}
		select { // apart from the others that lost the same root
		case <-time.After(time.Duration(50+mrand.IntN(200)) * time.Millisecond):
		case <-ctx.Done():
			return done, err
		}
	}
}

// partyAttempts bounds the submissions of a transaction that names
// parties or registered products: its proofs hold against the
// registries' roots when it is endorsed, and a registration or status
// change committed in between refuses it (at endorsement,
// domain.RulePartyStale) or invalidates it (a read conflict on a root),
// with nothing written; it is sent again with fresh proofs; so is one that
// checks a party's facts when another changed any party's facts.
// Registrations of parties in one bucket (1 in 64; of certificates, 1 in
// 256) commit one per block: from one process they take the bucket's turn
// (proveParties), and between processes about half of 64 in flight lose a
// race at each attempt, hence a bound far above the few a transaction
// needs.
const partyAttempts = 16

// policyShortResends counts the transactions this process sent again
// after a policy-short commit: a steady count where no org joined or
// left is an endorser's fault to look into (the gateway exports it).
var policyShortResends atomic.Int64

// PolicyShortResends is how many transactions this process sent again
// after a commit short of the endorsement policy.
func PolicyShortResends() int64 { return policyShortResends.Load() }

// policyShort tells whether err is a commit the peers found short of the
// endorsement policy. A transaction endorsed just before a configuration
// update changed the policy (an org joined or left a channel) meets the
// policy it was planned for, not the one in force when its block
// committed: the gateway plans anew from the configuration now in force.
// Invalid, it wrote nothing, so sending it again cannot write twice.
func policyShort(err error) bool {
	var ce *CommitError
	return errors.As(err, &ce) && ce.Code == "ENDORSEMENT_POLICY_FAILURE"
}

// staleParties tells whether err is such a refusal of fn.
func staleParties(fn string, err error) bool {
	if err == nil || !domain.ProvesParties(fn) && !domain.ProvesFacts(fn) {
		return false
	}
	var ce *CommitError
	if errors.As(err, &ce) {
		return ce.Code == "MVCC_READ_CONFLICT"
	}
	return domain.IsRule(err, domain.RulePartyStale)
}

func (c *Client) submitOnce(ctx context.Context, channel, fn string, args []string) (*Committed, error) {
	contract := c.Contract(channel)
	opts, release, err := c.privately(ctx, channel, fn, args)
	defer release()
	if err != nil {
		return nil, err
	}
	res, commit, err := contract.SubmitAsyncWithContext(ctx, calledAs(fn), opts...)
	if err != nil {
		return nil, refusal(err)
	}
	done, err := c.waitCommitted(ctx, channel, res, commit)
	if err != nil {
		return nil, err
	}
	// The answer in the block of a write with a private part is the
	// record's public view: the caller's answer is the record as the
	// caller reads it, once committed (whole for a collection member).
	if recordType, number, ok := privateAnswer(fn, args); ok {
		whole, err := RecordOf(readerCtx{c, ctx}, channel, recordType, number)
		if err != nil {
			return done, fmt.Errorf("%s committed in transaction %s (block %d); reading %s %s back: %w", fn, done.TxID, done.BlockNumber, recordType, number, err)
		}
		done.Result = whole
	}
	return done, nil
}

// turns are this process's turns by name: per channel, its transactions
// that check or change a party's facts (factsTurn), and per registry
// bucket, those that move its root (proveParties, before any facts turn).
var turns sync.Map // name → chan struct{} (one token)

// factsTurn waits for the channel's turn (or ctx) and answers its
// release.
func factsTurn(ctx context.Context, channel string) (func(), error) {
	return takeTurn(ctx, "facts/"+channel)
}

// takeTurn waits for the turn of name (or ctx) and answers its release,
// which gives the turn back once however often it is called.
func takeTurn(ctx context.Context, name string) (func(), error) {
	v, _ := turns.LoadOrStore(name, make(chan struct{}, 1))
	turn := v.(chan struct{})
	select {
	case turn <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-turn }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// proveInto runs a proof query and puts each proof it answers into the
// transient map, under entry(code). A query that refuses the caller adds
// none: the transaction then refuses it by its own rule (an enterprise
// filing in another's name) or, if it may act, names the proof it misses.
func proveInto(transient map[string][]byte, query Read[map[string]domain.PartyProof], ask Invoker, channel string, entry func(code string) string) error {
	proofs, err := query.Evaluate(ask, channel)
	if re, ok := domain.AsRule(err); ok && re.Kind == domain.KindForbidden {
		return nil
	}
	if err != nil {
		return err
	}
	for code, p := range proofs {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		transient[entry(code)] = b
	}
	return nil
}

// membersOnly evaluates as the client within ctx on a peer of the
// collection's members.
type membersOnly struct {
	*Client
	ctx     context.Context
	members []string
}

func (m membersOnly) Evaluate(channel, fn string, args ...string) ([]byte, error) {
	if len(m.members) == 0 {
		return nil, fmt.Errorf("%s: channel %s names no collection members to ask", fn, channel)
	}
	res, err := m.Contract(channel).EvaluateWithContext(m.ctx, fn, client.WithArguments(args...), client.WithEndorsingOrganizations(m.members...))
	return res, refusal(err)
}

// readerCtx evaluates as the client within ctx.
type readerCtx struct {
	*Client
	ctx context.Context
}

func (r readerCtx) Evaluate(channel, fn string, args ...string) ([]byte, error) {
	return r.Client.QueryContext(r.ctx, channel, r.Chaincode, fn, args...)
}

// calledAs is the function name fn's proposal carries: domain.PrivateCall
// for a transaction with private arguments, whose own name travels with
// them in the transient map (privately).
func calledAs(fn string) string {
	if domain.PrivateArgs(fn) {
		return domain.PrivateCall
	}
	return fn
}

// privately is how fn's arguments travel: in the proposal, or, for a
// transaction with private arguments (domain.PrivateArgs), in the
// transient map with its name and a fresh salt, which no block keeps (and for a
// transaction that may open a private record with public arguments,
// domain.PrivateSalt, the salt alone), endorsed by the collection's
// members alone (every one of them together meets the channel's
// endorsement policy, endorsementOf), so no other organization's peer
// sees them. A transaction that only reads a private part
// (ConfirmDestruction, RegisterCertificate of an application) is left to
// the gateway: its discovery plans the endorsement among the peers that
// may read what the first endorser read (RegisterCertificate's transient
// map, a proof of a public fact, holds nothing private).
func (c *Client) privately(ctx context.Context, channel, fn string, args []string) (opts []client.ProposalOption, release func(), err error) {
	transient := map[string][]byte{}
	// A party's facts and a private record are the collection's: asked of
	// a member's peer.
	asked := membersOnly{c, ctx, c.Collections[channel]}
	lookup := func(recordType, number string) ([]byte, error) {
		b, err := RecordOf(asked, channel, recordType, number)
		if _, refused := domain.AsRule(err); refused {
			return nil, nil // no such record for the caller: the transaction says so
		}
		return b, err
	}
	if release, err = c.proveParties(ctx, transient, channel, fn, args, lookup); err != nil {
		return nil, release, err
	}
	facts, err := domain.FactsNamed(fn, args, lookup)
	if err != nil {
		return nil, release, fmt.Errorf("%s: whose facts it checks: %w", fn, err)
	}
	if len(facts) > 0 {
		// One at a time per channel from this process, from the proof
		// to the commit: every change of any party's facts moves the one
		// root, and a race is lost to a read conflict.
		turn, err := factsTurn(ctx, channel)
		if err != nil {
			return nil, release, err
		}
		roots := release
		release = func() { turn(); roots() }
		if err := proveInto(transient, Tx.ProveFacts(facts), asked, channel, domain.TransientFacts); err != nil {
			return nil, release, fmt.Errorf("%s: proving the facts of %v: %w", fn, facts, err)
		}
	}
	subject, err := domain.SubjectSent(fn, args, lookup)
	if err != nil {
		return nil, release, fmt.Errorf("%s: reading its subject: %w", fn, err)
	}
	if subject != nil {
		transient[domain.TransientSubject] = subject
	}
	if !domain.PrivateSalt(fn) {
		opts := []client.ProposalOption{client.WithArguments(args...)}
		if len(transient) > 0 {
			opts = append(opts, client.WithTransient(transient))
		}
		return opts, release, nil
	}
	members := c.Collections[channel]
	if len(members) == 0 {
		return nil, release, fmt.Errorf("%s writes private data, and channel %s names no collection members to endorse it", fn, channel)
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, release, err
	}
	transient[domain.TransientSalt] = []byte(hex.EncodeToString(salt))
	opts = []client.ProposalOption{client.WithEndorsingOrganizations(members...)}
	if !domain.PrivateArgs(fn) { // public arguments; the salt of the private records it may write
		return append(opts, client.WithArguments(args...), client.WithTransient(transient)), release, nil
	}
	encoded, err := json.Marshal(args)
	if err != nil {
		return nil, release, err
	}
	transient[domain.TransientArgs] = encoded
	transient[domain.TransientFunction] = []byte(fn) // the proposal calls domain.PrivateCall (calledAs)
	return append(opts, client.WithTransient(transient)), release, nil
}

// proveParties puts into transient the proofs of the parties (and
// registered products) fn's arguments name (domain.PartiesNamed, with
// lookup). For a
// transaction that moves their roots (domain.MovesRoots) it first waits
// for the turn of each bucket from this process, which release gives back
// (after the commit): two in one bucket commit one per block, and the
// other would be refused (stale) or invalid (a read conflict on the
// root) and sent again.
func (c *Client) proveParties(ctx context.Context, transient map[string][]byte, channel, fn string, args []string, lookup func(recordType, number string) ([]byte, error)) (release func(), err error) {
	release = func() {}
	codes, err := domain.PartiesNamed(fn, args, lookup)
	if err != nil {
		return release, fmt.Errorf("%s: what it names: %w", fn, err)
	}
	if len(codes) == 0 {
		return release, nil
	}
	if domain.MovesRoots(fn) {
		var names []string
		for _, id := range codes {
			names = append(names, fmt.Sprintf("root/%s/%s/%s", channel, domain.RegistryKind(id), domain.PartyBucketName(domain.RegistryBucket(id))))
		}
		slices.Sort(names) // one order for every caller: no two wait on each other
		var held []func()
		release = func() {
			for _, r := range held {
				r()
			}
		}
		for _, name := range slices.Compact(names) {
			r, err := takeTurn(ctx, name)
			if err != nil {
				release()
				return func() {}, err
			}
			held = append(held, r)
		}
	}
	// The codes of a transaction with private arguments are as private
	// as they are: asked of a member's peer only.
	var ask Invoker = readerCtx{c, ctx}
	if domain.PrivateArgs(fn) {
		ask = membersOnly{c, ctx, c.Collections[channel]}
	}
	if err := proveInto(transient, Tx.ProveParties(codes), ask, channel, domain.TransientParty); err != nil {
		return release, fmt.Errorf("%s: proving %v: %w", fn, codes, err)
	}
	return release, nil
}

// waitCommitted waits for a submitted transaction's commit status; an
// invalid commit is an error.
func (c *Client) waitCommitted(ctx context.Context, channel string, result []byte, commit *client.Commit) (*Committed, error) {
	var st *client.Status
	var err error
	switch {
	case c.CommitWait > 0:
		ctx, cancel := context.WithTimeout(ctx, c.CommitWait)
		defer cancel()
		st, err = commit.StatusWithContext(ctx)
	case ctx.Done() != nil:
		st, err = commit.StatusWithContext(ctx)
	default:
		st, err = commit.Status() // the gateway's commit-status timeout
	}
	if err != nil {
		return nil, err
	}
	if !st.Successful {
		return nil, &CommitError{TxID: st.TransactionID, Code: st.Code.String()}
	}
	return &Committed{Channel: channel, TxID: st.TransactionID, BlockNumber: st.BlockNumber, Result: result}, nil
}

// SubmitJSON is Submit with arguments that are strings or values to send
// as JSON (records, inputs, decisions).
func (c *Client) SubmitJSON(channel, fn string, args ...any) (*Committed, error) {
	strs := make([]string, 0, len(args))
	for _, a := range args {
		if s, ok := a.(string); ok {
			strs = append(strs, s)
			continue
		}
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		strs = append(strs, string(b))
	}
	return c.Submit(channel, fn, strs...)
}

// SubmitOwnTxID submits a transaction whose argument must contain its own
// transaction ID (a certificate's 区块链编号). A Fabric transaction ID is
// SHA-256 of the proposal's nonce and creator, not of its arguments, so
// the client builds the proposal, reads its ID, has build make the
// arguments that contain it, writes them into the proposal's chaincode
// input, and only then signs, endorses and submits it.
func (c *Client) SubmitOwnTxID(channel, fn string, build func(txID string) ([]string, error)) (*Committed, error) {
	return c.SubmitOwnTxIDContext(context.Background(), channel, fn, build)
}

// SubmitOwnTxIDContext is SubmitOwnTxID bounded by ctx; like
// SubmitContext, it is sent again (a new transaction ID, arguments built
// anew) when the proofs it carries went stale.
func (c *Client) SubmitOwnTxIDContext(ctx context.Context, channel, fn string, build func(txID string) ([]string, error)) (*Committed, error) {
	return resent(ctx, fn, func() (*Committed, error) { return c.submitOwnTxIDOnce(ctx, channel, fn, build) })
}

func (c *Client) submitOwnTxIDOnce(ctx context.Context, channel, fn string, build func(txID string) ([]string, error)) (*Committed, error) {
	contract := c.Contract(channel)
	if domain.PrivateArgs(fn) {
		return nil, fmt.Errorf("%s takes private arguments, which a proposal rewritten with its own transaction ID would carry", fn)
	}
	if domain.ProvesFacts(fn) {
		return nil, fmt.Errorf("%s checks parties' facts, whose turn would be taken before the turns of its buckets", fn)
	}
	opts, release, err := c.privately(ctx, channel, fn, nil)
	defer release()
	if err != nil {
		return nil, err
	}
	draft, err := contract.NewProposal(fn, opts...)
	if err != nil {
		return nil, err
	}
	txID := draft.TransactionID()
	args, err := build(txID)
	if err != nil {
		return nil, err
	}
	// The proofs of what the arguments name, now that they are known
	// (and the turns of the buckets it moves: privately took no facts
	// turn, which proveParties' turns come before).
	proofs := map[string][]byte{}
	roots, err := c.proveParties(ctx, proofs, channel, fn, args, nil)
	defer roots()
	if err != nil {
		return nil, err
	}
	raw, err := draft.Bytes()
	if err != nil {
		return nil, err
	}
	rewritten, err := withArguments(raw, fn, args, proofs)
	if err != nil {
		return nil, err
	}
	proposal, err := c.Gateway.NewProposal(rewritten)
	if err != nil {
		return nil, err
	}
	if proposal.TransactionID() != txID {
		return nil, fmt.Errorf("the rewritten proposal has transaction ID %s, not %s", proposal.TransactionID(), txID)
	}
	tx, err := proposal.EndorseWithContext(ctx)
	if err != nil {
		return nil, refusal(err)
	}
	commit, err := tx.SubmitWithContext(ctx)
	if err != nil {
		return nil, err
	}
	return c.waitCommitted(ctx, channel, tx.Result(), commit)
}

// withArguments replaces the chaincode arguments inside a serialized,
// unsigned gateway.ProposedTransaction and adds transient entries; header
// and nonce, hence the transaction ID, stay as they are.
func withArguments(raw []byte, fn string, args []string, transient map[string][]byte) ([]byte, error) {
	var pt gateway.ProposedTransaction
	if err := proto.Unmarshal(raw, &pt); err != nil {
		return nil, err
	}
	var prop peer.Proposal
	if err := proto.Unmarshal(pt.GetProposal().GetProposalBytes(), &prop); err != nil {
		return nil, err
	}
	var payload peer.ChaincodeProposalPayload
	if err := proto.Unmarshal(prop.GetPayload(), &payload); err != nil {
		return nil, err
	}
	var spec peer.ChaincodeInvocationSpec
	if err := proto.Unmarshal(payload.GetInput(), &spec); err != nil {
		return nil, err
	}
	all := [][]byte{[]byte(fn)}
	for _, a := range args {
		all = append(all, []byte(a))
	}
	spec.ChaincodeSpec.Input.Args = all
	if len(transient) > 0 && payload.TransientMap == nil {
		payload.TransientMap = map[string][]byte{}
	}
	maps.Copy(payload.TransientMap, transient)
	var err error
	if payload.Input, err = proto.Marshal(&spec); err != nil {
		return nil, err
	}
	if prop.Payload, err = proto.Marshal(&payload); err != nil {
		return nil, err
	}
	if pt.Proposal.ProposalBytes, err = proto.Marshal(&prop); err != nil {
		return nil, err
	}
	pt.Proposal.Signature = nil
	return proto.Marshal(&pt)
}

// Evaluate runs a query on the gateway peer (and what discovery picks).
func (c *Client) Evaluate(channel, fn string, args ...string) ([]byte, error) {
	res, err := c.Contract(channel).Evaluate(fn, client.WithArguments(args...))
	return res, refusal(err)
}

// ErrorText is an error's message with every peer's detail (where the
// chaincode's rule code is), for messages and tests.
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	parts := []string{err.Error()}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := status.FromError(e); ok {
			for _, d := range s.Details() {
				parts = append(parts, fmt.Sprint(d))
			}
			break
		}
	}
	return strings.Join(parts, " | ")
}

// Query evaluates a function of any chaincode on a channel: qscc for
// blocks and chain information, or the dataledger chaincode.
func (c *Client) Query(channel, chaincode, fn string, args ...string) ([]byte, error) {
	return c.QueryContext(context.Background(), channel, chaincode, fn, args...)
}

// QueryContext is Query bounded by ctx.
func (c *Client) QueryContext(ctx context.Context, channel, chaincode, fn string, args ...string) ([]byte, error) {
	res, err := c.Gateway.GetNetwork(channel).GetContract(chaincode).EvaluateWithContext(ctx, fn, client.WithArguments(args...))
	if chaincode != c.Chaincode {
		return res, err // a system chaincode's failure (qscc) is not a refusal of ours
	}
	return res, refusal(err)
}

// BlockContext reads a block with qscc (fn: GetBlockByNumber or
// GetBlockByTxID) for a reader who judges it itself, as a proof verifier
// or the chain audit does: from the client's own peer, or, where that
// peer joined the channel from a snapshot taken after the block and holds
// none before it, from the best-placed peer of the channel's other member
// orgs. A block is signed by the orderers and chained by hashes: who
// serves it does not make it true. A witness, which vouches for what its
// own org's peer holds, reads with QueryContext instead.
func (c *Client) BlockContext(ctx context.Context, channel, fn string, args ...string) ([]byte, error) {
	res, err := c.QueryContext(ctx, channel, "qscc", fn, args...)
	if err == nil || !strings.Contains(err.Error(), "bootstrapped from a snapshot") {
		return res, err
	}
	var others []string
	for _, m := range c.Members[channel] {
		if m != c.Org.MSPID {
			others = append(others, m)
		}
	}
	if len(others) == 0 {
		return nil, err
	}
	res, elsewhere := c.Gateway.GetNetwork(channel).GetContract("qscc").EvaluateWithContext(ctx, fn, client.WithArguments(args...), client.WithEndorsingOrganizations(others...))
	if elsewhere != nil {
		return nil, fmt.Errorf("%w; from the other members' peers: %w", err, elsewhere)
	}
	return res, nil
}

// BlockOf finds the number of the block that holds a transaction (qscc
// GetBlockByTxID): the chain reference's block number.
func (c *Client) BlockOf(channel, txID string) (uint64, error) {
	return c.BlockOfContext(context.Background(), channel, txID)
}

// BlockOfContext is BlockOf bounded by ctx.
func (c *Client) BlockOfContext(ctx context.Context, channel, txID string) (uint64, error) {
	b, err := c.BlockContext(ctx, channel, "GetBlockByTxID", channel, txID) // a number the answer's proof proves
	if err != nil {
		return 0, err
	}
	var block common.Block
	if err := proto.Unmarshal(b, &block); err != nil {
		return 0, err
	}
	return block.GetHeader().GetNumber(), nil
}

// Height is the block height of the connected peer on a channel (qscc
// GetChainInfo).
func (c *Client) Height(channel string) (uint64, error) {
	return c.HeightContext(context.Background(), channel)
}

// HeightContext is Height bounded by ctx.
func (c *Client) HeightContext(ctx context.Context, channel string) (uint64, error) {
	b, err := c.QueryContext(ctx, channel, "qscc", "GetChainInfo", channel)
	if err != nil {
		return 0, err
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(b, &info); err != nil {
		return 0, err
	}
	return info.GetHeight(), nil
}

func bgctx() context.Context { return context.Background() }

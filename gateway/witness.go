package gateway

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"dataledger/chaincode/domain"
	"dataledger/proof"
)

// Witnessing: the province runs every orderer, so it could sign two
// versions of a block and show each to different organizations. Each
// organization's gateway signs the head of each channel as its own peer
// holds it (proof.Head) and publishes it; every Period it fetches the
// other organizations' gateways' heads, compares each with its own peer's
// block at that height, co-signs a matching head (sending the signature
// back to its publisher) and raises an alarm on a mismatch: a metric, a
// log line and the regulators' list of alarms. Bundles the gateway serves
// carry, for each of their blocks, a head signed by every witness that
// holds the block.

// WitnessConfig makes the gateway its organization's witness.
type WitnessConfig struct {
	Who Identity // reads its org's peer; Creator and Sign are its key
	// Creator is Who's serialized identity, Sign signs a SHA-256 digest
	// with its key (network.Net.Signer).
	Creator []byte
	Sign    func(digest []byte) ([]byte, error)
	// Channels are the channels witnessed (Who's org is a member of each).
	Channels []string
	// Peers are the base URLs of the other organizations' gateways.
	Peers []string
	// Period is how often heads are published, fetched and compared
	// (0: 30 s).
	Period time.Duration
	// Client calls the peers (nil: a client with a 5 s timeout).
	Client *http.Client
}

// DefaultWitnessPeriod is how often a witness compares heads by default.
const DefaultWitnessPeriod = 30 * time.Second

// WitnessAlarm is a head another organization signed that the witness's
// own peer contradicts.
type WitnessAlarm struct {
	Time    string     `json:"time"`
	Channel string     `json:"channel"`
	Height  uint64     `json:"height"`
	From    string     `json:"from"`  // the gateway whose head it is, or "posted" for one sent to this gateway
	Orgs    []string   `json:"orgs"`  // the organizations that signed it
	Their   string     `json:"their"` // the hash they signed for block Height-1
	Ours    string     `json:"ours"`  // the hash of that block on this gateway's peer
	Head    proof.Head `json:"head"`  // the signed head: the evidence
}

// WitnessAlarms is the regulators' list, newest last.
type WitnessAlarms struct {
	Witness string         `json:"witness"` // this gateway's organization
	Alarms  []WitnessAlarm `json:"alarms"`
}

const maxAlarms = 1000

type witness struct {
	cfg    WitnessConfig
	ledger Ledger
	log    *slog.Logger
	mu     sync.Mutex
	peers  []string
	latest map[string]*proof.Head // channel → this org's latest head, with co-signatures
	alarms []WitnessAlarm
	seen   map[string]bool // alarms kept, by channel, height, hash and signers
	signed map[string]*proof.Head
	blocks map[string]blockFacts // channel/number → what a head of it needs
	heads  *prometheus.CounterVec
	raised *prometheus.CounterVec
	cfgs   map[string]*proof.Config // channel/config block → configuration
}

// maxSigned bounds the heads kept signed (by channel and height): a head
// of a block never changes, so each is signed once.
const maxSigned = 10_000

// witnesses tells whether the witness follows a channel; a refusal
// otherwise, before anything reads the ledger.
func (w *witness) witnesses(channel string) error {
	if w == nil {
		return domain.NotFound(RuleWitness, "channel", "this gateway witnesses no channel")
	}
	if !slices.Contains(w.cfg.Channels, channel) {
		return domain.NotFound(RuleWitness, "channel", "this gateway does not witness channel %s", channel)
	}
	return nil
}

func (w *witness) peerList() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.peers)
}

func newWitness(cfg WitnessConfig, ledger Ledger, log *slog.Logger, m *metrics) *witness {
	if cfg.Period <= 0 {
		cfg.Period = DefaultWitnessPeriod
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Second}
	}
	w := &witness{cfg: cfg, ledger: ledger, log: log, peers: slices.Clone(cfg.Peers), latest: map[string]*proof.Head{}, cfgs: map[string]*proof.Config{},
		seen: map[string]bool{}, signed: map[string]*proof.Head{}, blocks: map[string]blockFacts{},
		heads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dataledger_witness_heads_total", Help: "Other organizations' heads this witness read, by channel and outcome: cosigned, ahead (beyond its own peer), invalid (a signature that does not verify), unreachable, mismatch.",
		}, []string{"channel", "outcome"}),
		raised: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dataledger_witness_alarms_total", Help: "Signed heads this witness's own peer contradicts (two versions of a block), by channel.",
		}, []string{"channel"}),
	}
	m.reg.MustRegister(w.heads, w.raised)
	return w
}

// SetWitnessPeers replaces the other organizations' gateways the witness
// compares heads with.
func (s *Server) SetWitnessPeers(urls []string) {
	if s.witness != nil {
		s.witness.mu.Lock()
		s.witness.peers = slices.Clone(urls)
		s.witness.mu.Unlock()
	}
}

// RunWitness compares heads every period until ctx ends (no witness
// configured: it returns at once).
func (s *Server) RunWitness(ctx context.Context) {
	if s.witness == nil {
		return
	}
	t := time.NewTicker(s.witness.cfg.Period)
	defer t.Stop()
	for {
		s.WitnessRound(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// WitnessRound publishes this organization's heads and compares the other
// gateways' once.
func (s *Server) WitnessRound(ctx context.Context) {
	w := s.witness
	if w == nil {
		return
	}
	peers := w.peerList()
	for _, ch := range w.cfg.Channels {
		if _, err := w.own(ctx, ch); err != nil {
			w.log.Warn("witness: own head", "channel", ch, "err", err)
			continue
		}
		for _, p := range peers {
			w.compare(ctx, ch, p)
		}
	}
}

// height is the number of blocks of a channel on this organization's
// peer.
func (w *witness) height(ctx context.Context, channel string) (uint64, error) {
	raw, err := w.ledger.Query(ctx, w.cfg.Who, channel, "qscc", "GetChainInfo", channel)
	if err != nil {
		return 0, err
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(raw, &info); err != nil {
		return 0, err
	}
	return info.Height, nil
}

// own is this organization's latest head of a channel, signed, with the
// co-signatures gathered for it (a copy).
func (w *witness) own(ctx context.Context, channel string) (*proof.Head, error) {
	if err := w.witnesses(channel); err != nil {
		return nil, err
	}
	height, err := w.height(ctx, channel)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	cur := w.latest[channel]
	w.mu.Unlock()
	if cur == nil || cur.Height < height {
		h, err := w.signedAt(ctx, channel, height)
		if err != nil {
			return nil, err
		}
		w.mu.Lock()
		if cur = w.latest[channel]; cur == nil || cur.Height < h.Height { // only forward
			w.latest[channel], cur = h, h
		}
		w.mu.Unlock()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := *cur
	out.Signatures = slices.Clone(cur.Signatures)
	return &out, nil
}

// signedAt is this organization's signed head of a channel at a height
// (block height-1 as its own peer holds it), signed once and kept.
func (w *witness) signedAt(ctx context.Context, channel string, height uint64) (*proof.Head, error) {
	if height == 0 {
		return nil, domain.Invalid(RuleWitness, "height", "a head has a height of at least 1")
	}
	key := channel + "/" + strconv.FormatUint(height, 10)
	w.mu.Lock()
	kept := w.signed[key]
	w.mu.Unlock()
	if kept != nil {
		out := *kept
		out.Signatures = slices.Clone(kept.Signatures)
		return &out, nil
	}
	hash, _, _, err := w.block(ctx, channel, height-1)
	if err != nil {
		return nil, err
	}
	h := &proof.Head{Format: proof.HeadFormat, Channel: channel, Height: height, Hash: hash}
	if err := h.Sign(w.cfg.Creator, w.cfg.Sign, time.Now()); err != nil {
		return nil, err
	}
	w.mu.Lock()
	if len(w.signed) >= maxSigned {
		clear(w.signed)
	}
	w.signed[key] = h
	w.mu.Unlock()
	out := *h
	out.Signatures = slices.Clone(h.Signatures)
	return &out, nil
}

// block is the header hash of block n on this organization's peer, the
// configuration in force for it and its time.
func (w *witness) block(ctx context.Context, channel string, n uint64) (string, *proof.Config, time.Time, error) {
	if err := w.witnesses(channel); err != nil {
		return "", nil, time.Time{}, err
	}
	if f, ok := w.knownBlock(channel, n); ok {
		return f.hash, f.cfg, f.at, nil
	}
	raw, err := w.ledger.Query(ctx, w.cfg.Who, channel, "qscc", "GetBlockByNumber", channel, strconv.FormatUint(n, 10))
	if err != nil {
		return "", nil, time.Time{}, err
	}
	hash, err := proof.HeaderHashHex(raw)
	if err != nil {
		return "", nil, time.Time{}, err
	}
	blk, _ := proof.ParseBlock(raw)
	at := proof.BlockTime(blk)
	last, err := proof.LastConfig(blk)
	if err != nil {
		return "", nil, time.Time{}, err
	}
	key := channel + "/" + strconv.FormatUint(last, 10)
	w.mu.Lock()
	cfg := w.cfgs[key]
	w.mu.Unlock()
	if cfg == nil {
		craw := raw
		if last != n {
			if craw, err = w.ledger.Query(ctx, w.cfg.Who, channel, "qscc", "GetBlockByNumber", channel, strconv.FormatUint(last, 10)); err != nil {
				return "", nil, time.Time{}, err
			}
		}
		cb, err := proof.ParseBlock(craw)
		if err != nil {
			return "", nil, time.Time{}, err
		}
		if cfg, err = proof.ParseConfigBlock(cb); err != nil {
			return "", nil, time.Time{}, err
		}
		w.mu.Lock()
		w.cfgs[key] = cfg
		w.mu.Unlock()
	}
	w.mu.Lock()
	if len(w.blocks) >= maxSigned {
		clear(w.blocks)
	}
	w.blocks[channel+"/"+strconv.FormatUint(n, 10)] = blockFacts{hash, cfg, at}
	w.mu.Unlock()
	return hash, cfg, at, nil
}

// blockFacts are what judging a head of a block needs of it: its header
// hash, the configuration in force for it and its time. A block never
// changes, so each is read from the peer once (a bundle's blocks are
// judged again for every peer gateway).
type blockFacts struct {
	hash string
	cfg  *proof.Config
	at   time.Time
}

func (w *witness) knownBlock(channel string, n uint64) (blockFacts, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, ok := w.blocks[channel+"/"+strconv.FormatUint(n, 10)]
	return f, ok
}

// judge checks another organization's head against this organization's
// peer: its signatures verify under the channel's configuration and the
// peer's block at that height has the hash it states. It answers the
// signing organizations and the hash here; a contradiction raises an
// alarm (from names where the head came from).
func (w *witness) judge(ctx context.Context, h *proof.Head, from string) (orgs []string, outcome string, err error) {
	if h.Height == 0 {
		return nil, "invalid", fmt.Errorf("a head has a height of at least 1")
	}
	if _, known := w.knownBlock(h.Channel, h.Height-1); !known {
		mine, err := w.height(ctx, h.Channel)
		if err != nil {
			return nil, "unreachable", err
		}
		if h.Height > mine {
			return nil, "ahead", fmt.Errorf("the head's height %d is beyond this organization's peer (%d blocks)", h.Height, mine)
		}
	}
	hash, cfg, at, err := w.block(ctx, h.Channel, h.Height-1)
	if err != nil {
		return nil, "unreachable", err
	}
	if orgs, err = proof.CheckHead(h, cfg, at); err != nil {
		return nil, "invalid", err
	}
	if hash != h.Hash {
		w.alarm(WitnessAlarm{Time: time.Now().UTC().Format(time.RFC3339), Channel: h.Channel, Height: h.Height, From: from, Orgs: orgs, Their: h.Hash, Ours: hash, Head: *h})
		return orgs, "mismatch", fmt.Errorf("block %d of channel %s: %s signed hash %s, this organization's peer holds %s", h.Height-1, h.Channel, strings.Join(orgs, ", "), h.Hash, hash)
	}
	return orgs, "cosigned", nil
}

func (w *witness) alarm(a WitnessAlarm) {
	key := fmt.Sprintf("%s/%d/%s/%v", a.Channel, a.Height, a.Their, a.Orgs)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[key] {
		return // the same evidence again (reposted): kept once
	}
	w.seen[key] = true
	w.raised.WithLabelValues(a.Channel).Inc()
	w.log.Error("witness: a signed head contradicts this organization's peer: two versions of a block", "channel", a.Channel, "block", a.Height-1,
		"from", a.From, "signed_by", a.Orgs, "their_hash", a.Their, "our_hash", a.Ours)
	w.alarms = append(w.alarms, a)
	if len(w.alarms) > maxAlarms {
		w.alarms = w.alarms[len(w.alarms)-maxAlarms:]
	}
}

// compare fetches a peer's latest head of a channel, judges it and, when
// it holds, co-signs it and sends the co-signed head back.
func (w *witness) compare(ctx context.Context, channel, peer string) {
	var h proof.Head
	if err := w.call(ctx, http.MethodGet, peer+"/api/v1/channels/"+channel+"/heads", nil, &h); err != nil {
		w.heads.WithLabelValues(channel, "unreachable").Inc()
		w.log.Warn("witness: fetching a head", "channel", channel, "peer", peer, "err", err)
		return
	}
	if h.Channel != channel {
		w.heads.WithLabelValues(channel, "invalid").Inc()
		return
	}
	_, outcome, err := w.judge(ctx, &h, peer)
	w.heads.WithLabelValues(channel, outcome).Inc()
	if err != nil {
		if outcome != "mismatch" {
			w.log.Info("witness: head not co-signed", "channel", channel, "peer", peer, "outcome", outcome, "err", err)
		}
		return
	}
	if h.SignedBy(w.cfg.Who.Org) {
		return // co-signed in an earlier round
	}
	if err := h.Sign(w.cfg.Creator, w.cfg.Sign, time.Now()); err != nil {
		w.log.Warn("witness: signing", "err", err)
		return
	}
	body, _ := json.Marshal(&h)
	if err := w.call(ctx, http.MethodPost, peer+"/api/v1/channels/"+channel+"/heads", body, nil); err != nil {
		w.log.Warn("witness: returning a co-signed head", "channel", channel, "peer", peer, "err", err)
	}
}

func (w *witness) call(ctx context.Context, method, url string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Client.Timeout+time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxHeadBytes))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %.200s", method, url, resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// maxHeadBytes bounds a head read or posted (a few signatures).
const maxHeadBytes = 64 << 10

// attach adds to a bundle, for each of its blocks, a head signed by this
// organization and co-signed by every peer whose organization's peer
// holds the same block; a peer that contradicts it raises an alarm.
func (w *witness) attach(ctx context.Context, b *proof.Bundle) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Client.Timeout)
	defer cancel()
	peers := w.peerList()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for n := range b.Blocks() {
		h, err := w.signedAt(ctx, b.Channel, n+1)
		if err != nil {
			w.log.Warn("witness: signing a bundle's block", "channel", b.Channel, "block", n, "err", err)
			continue
		}
		for _, p := range peers {
			wg.Add(1)
			go func() { // the peers in parallel, under one deadline
				defer wg.Done()
				var theirs proof.Head
				if err := w.call(ctx, http.MethodGet, p+"/api/v1/channels/"+b.Channel+"/heads/"+strconv.FormatUint(n+1, 10), nil, &theirs); err != nil {
					w.heads.WithLabelValues(b.Channel, "unreachable").Inc()
					return
				}
				if _, outcome, err := w.judge(ctx, &theirs, p); err != nil || !theirs.Same(h) {
					w.heads.WithLabelValues(b.Channel, outcome).Inc()
					return
				}
				mu.Lock()
				h.Merge(&theirs)
				mu.Unlock()
			}()
		}
		wg.Wait()
		b.Heads = append(b.Heads, *h)
	}
	slices.SortFunc(b.Heads, func(x, y proof.Head) int { return cmp.Compare(x.Height, y.Height) })
}

// RuleWitness names refusals of the witness routes.
const RuleWitness = "DL-WITNESS"

// latestHead serves this organization's latest head of a channel with
// the co-signatures other witnesses returned.
func (s *Server) latestHead(c *gin.Context) {
	h, err := s.witness.own(c.Request.Context(), c.Param("channel"))
	if err != nil {
		abort(c, witnessErr(c.Param("channel"), err))
		return
	}
	c.JSON(http.StatusOK, h)
}

// headAt serves this organization's signed head of a channel at a height
// (block height-1 as its peer holds it): a bundle maker's co-signature.
func (s *Server) headAt(c *gin.Context) {
	if err := s.witness.witnesses(c.Param("channel")); err != nil {
		abort(c, err)
		return
	}
	height, err := strconv.ParseUint(c.Param("height"), 10, 64)
	if err != nil || height == 0 {
		abort(c, domain.Invalid(RuleWitness, "height", "%q is not a block height (a count of blocks, at least 1)", c.Param("height")))
		return
	}
	if mine, err := s.witness.height(c.Request.Context(), c.Param("channel")); err != nil || height > mine {
		abort(c, witnessErr(c.Param("channel"), cmp.Or(err, error(domain.NotFound(RuleWitness, "height", "this organization's peer holds %d blocks of channel %s", mine, c.Param("channel"))))))
		return
	}
	h, err := s.witness.signedAt(c.Request.Context(), c.Param("channel"), height)
	if err != nil {
		abort(c, witnessErr(c.Param("channel"), err))
		return
	}
	c.JSON(http.StatusOK, h)
}

// cosignHead takes another witness's co-signed copy of this
// organization's head: every signature must verify and the hash must be
// the one this organization's peer holds at that height. A head this
// peer contradicts is kept as an alarm and refused.
func (s *Server) cosignHead(c *gin.Context) {
	if err := s.witness.witnesses(c.Param("channel")); err != nil {
		abort(c, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxHeadBytes+1))
	if err != nil || len(body) > maxHeadBytes {
		abort(c, refuse(http.StatusRequestEntityTooLarge, RuleWitness, "head", "a head is at most "+strconv.Itoa(maxHeadBytes)+" bytes"))
		return
	}
	var h proof.Head
	if err := json.Unmarshal(body, &h); err != nil || h.Channel != c.Param("channel") {
		abort(c, domain.Invalid(RuleWitness, "head", "not a head of channel %s (%v)", c.Param("channel"), err))
		return
	}
	_, outcome, err := s.witness.judge(c.Request.Context(), &h, "posted")
	s.witness.heads.WithLabelValues(h.Channel, "posted-"+outcome).Inc()
	switch outcome {
	case "cosigned":
	case "mismatch":
		abort(c, refuse(http.StatusConflict, RuleWitness, "head", err.Error()))
		return
	case "unreachable":
		abort(c, err)
		return
	default:
		abort(c, domain.Invalid(RuleWitness, "head", "%v", err))
		return
	}
	s.witness.mu.Lock()
	if cur := s.witness.latest[h.Channel]; cur != nil && cur.Same(&h) {
		cur.Merge(&h)
		h = *cur
		h.Signatures = slices.Clone(cur.Signatures)
	}
	s.witness.mu.Unlock()
	c.JSON(http.StatusOK, h)
}

// witnessAlarms lists the signed heads this organization's peer
// contradicted, for regulators.
func (s *Server) witnessAlarms(c *gin.Context) {
	out := WitnessAlarms{Alarms: []WitnessAlarm{}}
	if s.witness != nil {
		out.Witness = s.witness.cfg.Who.Org
		s.witness.mu.Lock()
		out.Alarms = append(out.Alarms, s.witness.alarms...)
		s.witness.mu.Unlock()
	}
	c.JSON(http.StatusOK, out)
}

func witnessErr(channel string, err error) error {
	var re *domain.RuleError
	if errors.As(err, &re) {
		return err
	}
	return fmt.Errorf("witness of channel %s: %w", channel, err)
}

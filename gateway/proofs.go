package gateway

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/proof"
)

// ledgerSource is proof.Source over the gateway's ledger, as one identity.
type ledgerSource struct {
	ctx    context.Context
	ledger Ledger
	who    Identity
	// elsewhere lets blocks the gateway's peer does not hold (it joined
	// from a later snapshot) come from another member's peer, for a reader
	// who judges them itself (a proof bundle, the chain audit): never for
	// what this org signs as its own witness (a presentation).
	elsewhere bool
}

// Query reads blocks as their reader judges them (Ledger.BlockRead).
func (l ledgerSource) Query(channel, chaincode, fn string, args ...string) ([]byte, error) {
	if l.elsewhere && chaincode == "qscc" && (fn == "GetBlockByNumber" || fn == "GetBlockByTxID") {
		return l.ledger.BlockRead(l.ctx, l.who, channel, fn, args...)
	}
	return l.ledger.Query(l.ctx, l.who, channel, chaincode, fn, args...)
}

func (l ledgerSource) Record(channel, recordType, number string) ([]byte, error) {
	return network.RecordOf(invoker{l.ctx, l.ledger, l.who}, channel, recordType, number)
}

// PrivatePart is the record's private part when the identity may read it
// (a key holder's bundle), nil for anyone else (the chaincode refuses
// them: a public bundle) and for a record that keeps none (an authorizing
// agreement, whose record is public whole).
func (l ledgerSource) PrivatePart(channel, recordType, number string) ([]byte, error) {
	b, err := network.PrivatePartOf(invoker{l.ctx, l.ledger, l.who}, channel, recordType, number)
	if re, ok := domain.AsRule(err); ok && (re.Kind == domain.KindForbidden || recordType == domain.TypeAgreement && re.Kind == domain.KindNotFound && re.Rule == domain.RulePrivateRead) {
		return nil, nil
	}
	return b, err
}

func (l ledgerSource) Verification(channel, recordType, number string) ([]byte, error) {
	return network.VerificationOf(invoker{l.ctx, l.ledger, l.who}, channel, recordType, number)
}

// proofBundle serves the proof bundle of the record a number identifies
// (credentials, certificates, objections, agreements, applications).
func (s *Server) proofBundle(c *gin.Context) {
	number := c.Param("number")
	kind, n, err := proof.KindOf(number)
	if err == nil && !strings.HasPrefix(c.FullPath(), "/api/v1/"+kind.Name+"s/") {
		err = domain.Invalid(domain.RuleNumber, "number", "%s is the number of a %s, not of what %s serves", number, kind.Name, c.FullPath())
	}
	if err != nil {
		abort(c, err)
		return
	}
	channel, ok := s.ledger.ChannelOf(n.Division)
	if !ok {
		abort(c, domain.NotFound(domain.RuleChannelUnknown, "number", "no jurisdiction with division code %s is on this network", n.Division))
		return
	}
	who := identity(c)
	if err := s.ledger.Member(who, channel); err != nil {
		abort(c, err)
		return
	}
	b, err := proof.Build(ledgerSource{c.Request.Context(), s.ledger, who, true}, channel, s.ledger.Chaincode(), kind, number)
	if err != nil {
		abort(c, err)
		return
	}
	if s.witness != nil && slices.Contains(s.witness.cfg.Channels, channel) {
		s.witness.attach(c.Request.Context(), b)
	}
	c.Header("Content-Disposition", `attachment; filename="`+number+`.proof.json"`)
	c.JSON(http.StatusOK, b)
}

// verifyProof runs the offline verifier on a bundle with this network's
// trust file (its channels' genesis blocks pinned): the page shows its
// checks. A verifier
// that trusts nobody runs `dataledger proof verify` itself.
func (s *Server) verifyProof(c *gin.Context) {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, MaxPresentationBytes+1))
	if err != nil || len(body) > MaxPresentationBytes {
		abort(c, refuse(http.StatusRequestEntityTooLarge, RuleProofBound, "presentation", "the upload is larger than "+strconv.Itoa(MaxPresentationBytes)+" bytes"))
		return
	}
	if proof.IsPresentation(body) {
		s.verifyPresentation(c, body)
		return
	}
	if len(body) > MaxProofBytes {
		abort(c, refuse(http.StatusRequestEntityTooLarge, RuleProofBound, "bundle", "the bundle is larger than "+strconv.Itoa(MaxProofBytes)+" bytes"))
		return
	}
	if err := checkMembers(body, &proof.Bundle{}, ""); err != nil {
		abort(c, err)
		return
	}
	b, err := proof.ParseBundle(body)
	if err != nil {
		abort(c, domain.Invalid(proof.RuleProof, "bundle", "%v", err))
		return
	}
	trust, err := s.ledger.Trust()
	if err != nil {
		abort(c, err)
		return
	}
	if err := boundBundle(b); err != nil {
		abort(c, err)
		return
	}
	report, err := verifyBounded(c.Request.Context(), b, trust)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, report)
}

// AuditCheckpoints keep each channel's audit checkpoint where a
// gateway's instances share it (package pgstate).
type AuditCheckpoints interface {
	// Checkpointer is the channel's checkpoint as last recorded, read now
	// (fromGenesis: none, without reading it).
	Checkpointer(channel string, fromGenesis bool) (proof.Checkpointer, error)
}

// audits keeps each channel's audit checkpoint, one audit at a time (in
// this process).
type audits struct {
	mu     sync.Mutex
	shared AuditCheckpoints              // nil: dir
	dir    string                        // "" keeps checkpoints in memory
	mem    map[string]proof.Checkpointer // when dir is ""
}

// checkpointer is the channel's: its file in dir, read afresh for each
// audit, or the one kept in memory.
func (a *audits) checkpointer(channel string) (proof.Checkpointer, error) {
	if a.dir != "" {
		return proof.NewFileCheckpointer(filepath.Join(a.dir, channel+".json"))
	}
	if a.mem[channel] == nil {
		if a.mem == nil {
			a.mem = map[string]proof.Checkpointer{}
		}
		a.mem[channel] = proof.NewMemoryCheckpointer()
	}
	return a.mem[channel], nil
}

// auditChain walks the channel's blocks from the last checkpoint (or
// genesis with ?from=genesis) and reports (regulators).
func (s *Server) auditChain(c *gin.Context) {
	channel := c.Param("channel")
	who := identity(c)
	if err := s.ledger.Member(who, channel); err != nil {
		abort(c, err)
		return
	}
	a := &s.audits
	a.mu.Lock()
	defer a.mu.Unlock()
	var cps proof.Checkpointer
	var err error
	switch {
	case a.shared != nil:
		cps, err = a.shared.Checkpointer(channel, c.Query("from") == "genesis")
		if err != nil {
			abort(c, fail(http.StatusServiceUnavailable, "the audit checkpoint cannot be read: "+err.Error()))
			return
		}
	case c.Query("from") == "genesis" && a.dir != "":
		// Without reading the file, which may be torn: this audit's
		// checkpoint replaces it.
		cps = proof.NewFileCheckpointerFromGenesis(filepath.Join(a.dir, channel+".json"))
	default:
		if cps, err = a.checkpointer(channel); err != nil {
			abort(c, err)
			return
		}
		if c.Query("from") == "genesis" {
			cps = proof.FromGenesis(cps)
		}
	}
	trust, err := s.ledger.Trust()
	if err != nil {
		abort(c, err)
		return
	}
	src := ledgerSource{c.Request.Context(), s.ledger, who, true}
	r, err := proof.Resume(channel, cps, func(from uint64) (proof.Blocks, error) {
		return proof.NewQueryBlocks(src, channel, from)
	}, trust)
	if err != nil {
		abort(c, err)
		return
	}
	out := *r
	out.Checkpoint = nil // the configuration block inside is for the gateway's own resumption
	c.JSON(http.StatusOK, AuditAnswer{out, r.OK(), r.Checkpoint.Next})
}

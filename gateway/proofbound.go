package gateway

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"dataledger/proof"
)

// RuleProofBound: POST /api/v1/proofs/verify checks a bundle of at most
// MaxProofBytes, MaxProofBlocks block checks (one per inclusion: the
// record's, the issuer key's and each link's, a link's block shared or
// not, and one per configuration in force), MaxProofTxs transactions in a
// block and MaxProofSignatures signatures and endorsements in all, within
// ProofVerifyTimeout, ProofVerifiers at a time. Every signature is an
// ECDSA verification and every block a protobuf parse: without bounds one
// public request could make the gateway verify for as long as it likes.
const RuleProofBound = "DL-PROOF-BOUND"

// The bounds of RuleProofBound: a certificate's bundle has 2 inclusions,
// 4 links of its own and 2 per listed credential (the credential and its
// agreement), each about 4 signatures (orderer, submitter, 2 endorsers):
// these admit a certificate listing 16 credentials under distinct
// agreements. `dataledger proof verify` checks any bundle.
const (
	MaxProofBytes      = 1 << 20
	MaxProofBlocks     = 40
	MaxProofTxs        = 1000
	MaxProofSignatures = 256
	// MaxPresentationBytes bounds an uploaded presentation (the body of
	// POST /api/v1/proofs/verify, whatever Config.MaxBodyBytes says), its
	// bundles each within the bounds above and MaxPresentationSignatures
	// in all.
	MaxPresentationBytes      = 8 << 20
	MaxPresentationSignatures = 4 * MaxProofSignatures
)

// bodyLimits are the routes whose bodies may be larger than
// Config.MaxBodyBytes: a presentation carries many bundles.
var bodyLimits = map[string]int64{"/api/v1/proofs/verify": MaxPresentationBytes}

// ProofVerifyTimeout bounds one verification (a variable for tests).
var ProofVerifyTimeout = 5 * time.Second

// ProofVerifiers is how many verifications run at once.
var ProofVerifiers = runtime.NumCPU()

var proofSlots = make(chan struct{}, max(ProofVerifiers, 1))

// boundBundle counts a parsed bundle's block checks, transactions,
// signatures and endorsements, refusing one beyond the bounds before any
// signature is checked.
func boundBundle(b *proof.Bundle) error {
	_, err := countBundle(b)
	return err
}

// countBundle is boundBundle answering the signatures and endorsements
// the bundle holds to check.
func countBundle(b *proof.Bundle) (int, error) {
	type blk struct {
		raw   []byte
		tx    int // the included transaction (-1: none)
		field string
	}
	blocks := []blk{{b.Record.Block, b.Record.TxIndex, "record.block"}}
	if b.IssuerKey != nil {
		blocks = append(blocks, blk{b.IssuerKey.Block, b.IssuerKey.TxIndex, "issuerKey.block"})
	}
	carried := map[uint64][]byte{b.Record.BlockNumber: b.Record.Block}
	if b.IssuerKey != nil {
		carried[b.IssuerKey.BlockNumber] = b.IssuerKey.Block
	}
	for _, l := range b.Links {
		if l.Block != nil {
			carried[l.BlockNumber] = l.Block
		}
	}
	for _, l := range b.Links {
		raw := l.Block
		if raw == nil {
			raw = carried[l.BlockNumber] // verified again for this link
		}
		blocks = append(blocks, blk{raw, l.TxIndex, "links"})
	}
	for _, c := range b.Configs {
		blocks = append(blocks, blk{c.Block, 0, "configs"})
	}
	if len(blocks) > MaxProofBlocks {
		return 0, refuse(http.StatusUnprocessableEntity, RuleProofBound, "links", "the bundle needs "+strconv.Itoa(len(blocks))+" block checks; at most "+strconv.Itoa(MaxProofBlocks)+" are made here (dataledger proof verify makes any number)")
	}
	sigs := 0
	for _, k := range blocks {
		var block common.Block
		if err := proto.Unmarshal(k.raw, &block); err != nil {
			continue // proof.Verify reports a malformed block
		}
		txs := block.GetData().GetData()
		if len(txs) > MaxProofTxs {
			return 0, refuse(http.StatusUnprocessableEntity, RuleProofBound, k.field, "a block of "+strconv.Itoa(len(txs))+" transactions; at most "+strconv.Itoa(MaxProofTxs))
		}
		if md := block.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_SIGNATURES) {
			var m common.Metadata
			if proto.Unmarshal(md[common.BlockMetadataIndex_SIGNATURES], &m) == nil {
				sigs += len(m.GetSignatures())
			}
		}
		for i, tx := range txs {
			if i != k.tx {
				continue
			}
			sigs += 1 + endorsements(tx) // the creator's signature and the endorsers'
		}
		if sigs > MaxProofSignatures {
			return 0, refuse(http.StatusUnprocessableEntity, RuleProofBound, k.field, "the bundle holds more than "+strconv.Itoa(MaxProofSignatures)+" signatures and endorsements to check")
		}
	}
	return sigs, nil
}

// endorsements counts a transaction envelope's endorsements.
func endorsements(env []byte) int {
	var e common.Envelope
	var p common.Payload
	var tx peer.Transaction
	if proto.Unmarshal(env, &e) != nil || proto.Unmarshal(e.GetPayload(), &p) != nil || proto.Unmarshal(p.GetData(), &tx) != nil {
		return 0
	}
	n := 0
	for _, a := range tx.GetActions() {
		var cap peer.ChaincodeActionPayload
		if proto.Unmarshal(a.GetPayload(), &cap) == nil {
			n += len(cap.GetAction().GetEndorsements())
		}
	}
	return n
}

// verifyBounded runs proof.Verify within ProofVerifyTimeout, one of
// ProofVerifiers at a time.
func verifyBounded(ctx context.Context, b *proof.Bundle, trust *proof.TrustFile) (*proof.Report, error) {
	return bounded(ctx, "bundle", ProofVerifyTimeout, func() *proof.Report { return verifyProofFn(b, trust) })
}

// bounded runs a verification (of what: "bundle", "presentation") within
// run, one of ProofVerifiers at a time, waiting at most
// ProofVerifyTimeout for a slot. A verification past its deadline goes on
// in the background holding its slot, so the slots bound the CPU spent.
func bounded[T any](ctx context.Context, what string, run time.Duration, verify func() T) (T, error) {
	var zero T
	wait, cancel := context.WithTimeout(ctx, ProofVerifyTimeout)
	defer cancel()
	select {
	case proofSlots <- struct{}{}:
	case <-wait.Done():
		return zero, refuse(http.StatusServiceUnavailable, RuleProofBound, what, "the gateway is verifying as many bundles as it may; retry later")
	}
	done := make(chan T, 1)
	go func() {
		defer func() { <-proofSlots }()
		done <- verify()
	}()
	deadline := time.NewTimer(run)
	defer deadline.Stop()
	select {
	case r := <-done:
		return r, nil
	case <-ctx.Done():
		return zero, refuse(http.StatusServiceUnavailable, RuleProofBound, what, "the "+what+" was not verified before the request's deadline")
	case <-deadline.C:
		return zero, refuse(http.StatusServiceUnavailable, RuleProofBound, what, "the "+what+" was not verified within "+run.String())
	}
}

// verifyProofFn is proof.Verify (a test makes it slow).
var verifyProofFn = proof.Verify

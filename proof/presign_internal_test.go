package proof

import (
	"errors"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// TestSignaturesCheckedAheadCountOnlyForTheirBlockAndConfiguration: the
// audit takes signature results made ahead only for the very block value
// and the configuration in force; otherwise it checks the signatures
// itself, so a result made for another block, or under a configuration
// replaced since, never lets a badly signed block or transaction pass.
func TestSignaturesCheckedAheadCountOnlyForTheirBlockAndConfiguration(t *testing.T) {
	trust, err := LoadTrust("testdata/trust.json")
	if err != nil {
		t.Fatal(err)
	}
	fb, err := OpenBlockFiles("testdata/nanning")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []*common.Block
	for {
		raw, err := fb.Next()
		if err != nil {
			break
		}
		blk, err := ParseBlock(raw)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, blk)
	}
	const n = 12
	auditTo := func() *Auditor {
		a, err := NewAuditor("nanning", nil, trust)
		if err != nil {
			t.Fatal(err)
		}
		for _, blk := range blocks[:n] {
			if b := a.Check(blk); b != nil {
				t.Fatal(b.Reason)
			}
		}
		return a
	}
	forged := proto.Clone(blocks[n]).(*common.Block)
	var md common.Metadata
	if err := proto.Unmarshal(forged.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], &md); err != nil {
		t.Fatal(err)
	}
	md.Signatures[0].Signature[10] ^= 0xff
	forged.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], _ = proto.Marshal(&md)

	// Made for the genuine block: the forged one (same header) is checked anew.
	a := auditTo()
	genuine := a.SignatureChecker().CheckBlock(blocks[n])
	if genuine.orderers != nil {
		t.Fatalf("the genuine block's signatures: %v", genuine.orderers)
	}
	if b := a.CheckSigned(forged, genuine); b == nil || !strings.Contains(b.Reason, "orderer signatures") {
		t.Fatalf("a forged block passed on another block's signature results: %+v", b)
	}
	// Made for this block, but under a configuration not in force.
	a = auditTo()
	stale := &Signatures{checker: &SignatureChecker{cfg: &Config{}}, block: forged, txs: map[*Tx]error{}}
	if b := a.CheckSigned(forged, stale); b == nil || !strings.Contains(b.Reason, "orderer signatures") {
		t.Fatalf("a forged block passed on results of another configuration: %+v", b)
	}
	// Taken when they are this block's under the configuration in force:
	// a failure found ahead is the audit's finding.
	a = auditTo()
	found := &Signatures{checker: a.SignatureChecker(), block: blocks[n], orderers: errors.New("found ahead"), txs: map[*Tx]error{}}
	if b := a.CheckSigned(blocks[n], found); b == nil || !strings.Contains(b.Reason, "found ahead") {
		t.Fatalf("a failure found ahead was not the audit's: %+v", b)
	}
	// A transaction's: taken only from results for its block.
	a = auditTo()
	if b := a.Check(blocks[n]); b != nil {
		t.Fatal(b.Reason)
	}
	var tx *Tx
	for i := range blocks[n].Data.Data {
		if tx, err = ParseTx(blocks[n], i); err != nil {
			t.Fatal(err)
		}
		if len(tx.Writes("dataledger")) > 0 {
			break
		}
	}
	bad := &Signatures{checker: a.SignatureChecker(), block: blocks[n], txs: map[*Tx]error{tx: errors.New("endorsement found bad ahead")}}
	if err := a.CheckTxSigned(tx, "dataledger", BlockWrites{}, bad, blocks[n]); err == nil || !strings.Contains(err.Error(), "found bad ahead") {
		t.Fatalf("a transaction's failure found ahead: %v", err)
	}
	tx.Envelope.Signature = append([]byte(nil), tx.Envelope.Signature...)
	tx.Envelope.Signature[8] ^= 0xff
	good := &Signatures{checker: a.SignatureChecker(), block: forged, txs: map[*Tx]error{tx: nil}}
	if err := a.CheckTxSigned(tx, "dataledger", BlockWrites{}, good, blocks[n]); err == nil || !strings.Contains(err.Error(), "submitter") {
		t.Fatalf("a transaction passed on another block's results: %v", err)
	}
	other, err := ParseTx(blocks[n], tx.Index) // the same transaction, another value
	if err != nil {
		t.Fatal(err)
	}
	mine := &Signatures{checker: a.SignatureChecker(), block: blocks[n], txs: map[*Tx]error{other: nil}}
	if err := a.CheckTxSigned(tx, "dataledger", BlockWrites{}, mine, blocks[n]); err == nil || !strings.Contains(err.Error(), "submitter") {
		t.Fatalf("a transaction passed on another transaction value's results: %v", err)
	}
	// A block its orderers did not sign: no transaction is checked ahead.
	a = auditTo()
	s := a.SignatureChecker().CheckBlock(forged)
	if s.CheckTxs([]*Tx{other}, "dataledger"); s.orderers == nil || len(s.txs) != 0 {
		t.Fatalf("a badly signed block's transactions were checked ahead: %v %d", s.orderers, len(s.txs))
	}
	// A block whose header does not cover its data: nothing checked ahead.
	altered := proto.Clone(blocks[n]).(*common.Block)
	altered.Data.Data[0] = append([]byte(nil), altered.Data.Data[0]...)
	altered.Data.Data[0][0] ^= 0xff
	if s := a.SignatureChecker().CheckBlock(altered); s != nil {
		t.Fatalf("a block whose data its header does not cover was checked ahead: %+v", s)
	}
}

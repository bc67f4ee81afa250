package proof

import (
	"bytes"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// Signatures is the signature work of a block's audit done ahead of its
// turn, under the configuration in force when it was done: the orderers'
// signatures of the block and, for each transaction given, its
// submitter's and endorsers' (CheckTx without the conflicts). A reader
// of a block stream checks many blocks' signatures at once on every core
// and then audits the blocks in order (Auditor.CheckSigned,
// CheckTxSigned), which take these results only for the very block,
// transactions and configuration they were made for and check anew
// otherwise.
type Signatures struct {
	checker  *SignatureChecker // the configuration they were checked under
	block    *common.Block     // the block checked (this very value: its metadata is not in its header hash)
	orderers error
	txs      map[*Tx]error
}

// SignatureChecker checks blocks' signatures under one configuration; it
// is safe for concurrent use (Config.Validate's cache is locked).
type SignatureChecker struct {
	channel string
	cfg     *Config
	trust   Trust
}

// SignatureChecker is a checker under the configuration now in force
// (nil before the genesis block was checked).
func (a *Auditor) SignatureChecker() *SignatureChecker {
	if a.cfg == nil || a.broken != nil {
		return nil
	}
	return &SignatureChecker{channel: a.channel, cfg: a.cfg, trust: a.trust}
}

// CheckBlock checks blk's orderer signatures. It is nil, having checked
// nothing, for a block whose header does not cover its data: the audit
// refuses that block before it asks for any result, and a reader need not
// parse it either.
func (s *SignatureChecker) CheckBlock(blk *common.Block) *Signatures {
	if blk.GetHeader() == nil || blk.GetData() == nil || !bytes.Equal(DataHash(blk.Data), blk.Header.DataHash) {
		return nil
	}
	out := &Signatures{checker: s, block: blk, txs: map[*Tx]error{}}
	if blk.Header.Number > 0 {
		_, out.orderers = verifyOrderers(blk, s.cfg, s.trust, blockTime(blk))
	}
	return out
}

// CheckTxs checks the submitter's and endorsers' signatures of txs
// (transactions of the block s was made for) for chaincode; none of a
// block its orderers did not sign (a forged block costs no more than its
// orderers' signatures).
func (s *Signatures) CheckTxs(txs []*Tx, chaincode string) {
	if s.orderers != nil {
		return
	}
	c := s.checker
	for _, tx := range txs {
		s.txs[tx] = txSignatures(tx, c.channel, c.cfg, c.trust, chaincode)
	}
}

// For is whether s was made for blk under the configuration in force.
func (s *Signatures) For(a *Auditor, blk *common.Block) bool {
	return s != nil && s.block == blk && s.checker.cfg == a.cfg
}

// txSignatures is what CheckTx checks of one transaction's signatures.
func txSignatures(tx *Tx, channel string, cfg *Config, tr Trust, chaincode string) error {
	if err := tx.checkOrigin(channel, cfg, tr); err != nil {
		return err
	}
	_, err := verifyEndorsements(tx, cfg, tr, chaincode)
	return err
}

// CheckTxSigned is CheckTx taking the transaction's signature checks from
// s when they were made for this transaction value of blk under the
// configuration in force.
func (a *Auditor) CheckTxSigned(tx *Tx, chaincode string, earlier BlockWrites, s *Signatures, blk *common.Block) error {
	err, ok := error(nil), false
	if s.For(a, blk) {
		err, ok = s.txs[tx]
	}
	if !ok {
		return a.CheckTx(tx, chaincode, earlier)
	}
	if err != nil {
		return err
	}
	return earlier.conflict(tx)
}

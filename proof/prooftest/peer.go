package prooftest

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"dataledger/chaincode/domain"
	"dataledger/proof"
)

// Peer answers what proof.Build asks a channel member's peer, from blocks
// alone: qscc's blocks by number and by transaction, the dataledger
// chaincode's records (the latest value each valid transaction wrote) and
// its verifications, derived from those records with domain's chains as
// the chaincode derives them. Tests build bundles from it with no network.
type Peer struct {
	Channel, Chaincode string
	// Now is the time verifications are derived for (the chaincode takes
	// its query's timestamp).
	Now    time.Time
	blocks [][]byte
	byTx   map[string]uint64
	state  map[string][]byte
}

// NewPeer is a peer that has committed blocks (0 first, in order).
func NewPeer(channel, chaincode string, blocks [][]byte) (*Peer, error) {
	p := &Peer{Channel: channel, Chaincode: chaincode, byTx: map[string]uint64{}, state: map[string][]byte{}}
	for _, raw := range blocks {
		if err := p.Commit(raw); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// OpenPeer is a peer with the first height blocks of a copy of a node's
// block files (0: all of them).
func OpenPeer(channel, chaincode, dir string, height int) (*Peer, error) {
	fb, err := proof.OpenBlockFiles(dir)
	if err != nil {
		return nil, err
	}
	var blocks [][]byte
	for height == 0 || len(blocks) < height {
		raw, err := fb.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, raw)
	}
	return NewPeer(channel, chaincode, blocks)
}

// Commit appends a block and applies the writes of its valid
// transactions; Now moves to its last transaction's time.
func (p *Peer) Commit(raw []byte) error {
	blk, err := proof.ParseBlock(raw)
	if err != nil {
		return err
	}
	if blk.Header.Number != uint64(len(p.blocks)) {
		return fmt.Errorf("block %d follows block %d", blk.Header.Number, len(p.blocks)-1)
	}
	for i := range blk.Data.Data {
		tx, err := proof.ParseTx(blk, i)
		if err != nil {
			return err
		}
		p.byTx[tx.TxID] = blk.Header.Number
		if !tx.Timestamp.IsZero() && tx.Timestamp.After(p.Now) {
			p.Now = tx.Timestamp
		}
		if code, _ := proof.ValidationCode(blk, i); code != peer.TxValidationCode_VALID {
			continue
		}
		for _, w := range tx.Writes(p.Chaincode) {
			if w.IsDelete {
				delete(p.state, w.Key)
			} else {
				p.state[w.Key] = w.Value
			}
		}
	}
	p.blocks = append(p.blocks, raw)
	return nil
}

// Height is the number of blocks committed.
func (p *Peer) Height() int { return len(p.blocks) }

// Block is block n as committed.
func (p *Peer) Block(n uint64) []byte { return p.blocks[n] }

// Query answers qscc's GetBlockByNumber and GetBlockByTxID and the
// chaincode's VerifyCredential and VerifyCertificate.
func (p *Peer) Query(channel, chaincode, fn string, args ...string) ([]byte, error) {
	if channel != p.Channel {
		return nil, fmt.Errorf("not a member of channel %s", channel)
	}
	switch {
	case chaincode == "qscc" && fn == "GetBlockByNumber" && len(args) == 2:
		n, err := strconv.ParseUint(args[1], 10, 64)
		if err != nil || n >= uint64(len(p.blocks)) {
			return nil, fmt.Errorf("no block %s", args[1])
		}
		return p.blocks[n], nil
	case chaincode == "qscc" && fn == "GetBlockByTxID" && len(args) == 2:
		n, ok := p.byTx[args[1]]
		if !ok {
			return nil, fmt.Errorf("no transaction %s", args[1])
		}
		return p.blocks[n], nil
	}
	return nil, fmt.Errorf("the test peer does not answer %s.%s", chaincode, fn)
}

// Verification derives a signed document's status from the state, as the
// chaincode's verification does.
func (p *Peer) Verification(channel, recordType, number string) ([]byte, error) {
	if channel != p.Channel {
		return nil, fmt.Errorf("no channel %s", channel)
	}
	switch recordType {
	case domain.TypeCertificate:
		return json.Marshal(p.VerifyCertificate(number))
	case domain.TypeCredential:
		return json.Marshal(p.VerifyCredential(number))
	}
	return nil, fmt.Errorf("the test peer verifies no %s", recordType)
}

// Record is the latest value of a record.
func (p *Peer) Record(channel, recordType, number string) ([]byte, error) {
	k, err := domain.CompositeKey(recordType, number)
	if err != nil {
		return nil, err
	}
	v, ok := p.state[k]
	if !ok || channel != p.Channel {
		return nil, fmt.Errorf("no %s %s on channel %s", recordType, number, channel)
	}
	return v, nil
}

// load decodes the latest value of a record (nil when there is none).
func load[T any](p *Peer, recordType, number string) *T {
	raw, err := p.Record(p.Channel, recordType, number)
	if err != nil {
		return nil
	}
	var v T
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return &v
}

// CertificateChain reads every record a certificate rests on, as the
// chaincode's certificateChain does (nil: no such certificate).
func (p *Peer) CertificateChain(number string) *domain.CertificateChain {
	r := load[domain.CertificateRecord](p, domain.TypeCertificate, number)
	if r == nil {
		return nil
	}
	c := &domain.CertificateChain{Certificate: r, Credentials: map[string]*domain.CredentialRecord{}, Agreements: map[string]*domain.Agreement{}}
	if n := r.AgreementNumber; n != "" {
		c.Agreement = load[domain.Agreement](p, domain.TypeAgreement, n)
		c.Agreements[n] = c.Agreement
	}
	for _, n := range r.AuthorizationNumbers {
		cr := load[domain.CredentialRecord](p, domain.TypeCredential, n)
		c.Credentials[n] = cr
		if cr != nil {
			if _, ok := c.Agreements[cr.AgreementNumber]; !ok {
				c.Agreements[cr.AgreementNumber] = load[domain.Agreement](p, domain.TypeAgreement, cr.AgreementNumber)
			}
		}
	}
	c.Enterprise = load[domain.Party](p, domain.TypeParty, r.EnterpriseCreditCode)
	c.Key = load[domain.IssuerKey](p, domain.TypeIssuerKey, r.IssuerKeyID)
	return c
}

// CredentialChain reads every record a credential rests on (nil: no such
// credential).
func (p *Peer) CredentialChain(number string) *domain.CredentialChain {
	r := load[domain.CredentialRecord](p, domain.TypeCredential, number)
	if r == nil {
		return nil
	}
	return &domain.CredentialChain{Credential: r,
		Agreement: load[domain.Agreement](p, domain.TypeAgreement, r.AgreementNumber),
		Holder:    load[domain.Party](p, domain.TypeParty, r.HolderCreditCode),
		Key:       load[domain.IssuerKey](p, domain.TypeIssuerKey, r.IssuerKeyID)}
}

// VerifyCertificate is the chaincode's answer at Now.
func (p *Peer) VerifyCertificate(number string) domain.Verification {
	c := p.CertificateChain(number)
	if c == nil {
		return domain.NotFoundVerification(domain.LinkCertificate, number, p.Channel)
	}
	return c.Verify(p.Channel, p.Now)
}

// VerifyCredential is the chaincode's answer at Now.
func (p *Peer) VerifyCredential(number string) domain.Verification {
	c := p.CredentialChain(number)
	if c == nil {
		return domain.NotFoundVerification(domain.LinkCredential, number, p.Channel)
	}
	return c.Verify(p.Channel, p.Now)
}

// State is a copy of every key the chaincode's namespace holds, with its
// latest value.
func (p *Peer) State() map[string][]byte {
	out := make(map[string][]byte, len(p.state))
	for k, v := range p.state {
		out[k] = v
	}
	return out
}

// Package proof builds and checks proofs that a record is on the ledger,
// which anyone can verify offline against the channel organizations' root
// certificates: the block holding the transaction that wrote the record,
// the configuration block in force, and, for signed documents, the
// transaction that wrote the issuer key the chaincode verified it with and
// the latest version of every record the document's status derives from
// (its links, domain.CertificateChain and domain.CredentialChain), so the
// verifier derives that status itself. It also audits a channel's whole
// chain of blocks.
package proof

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"dataledger/chaincode/domain"
)

// Format names the bundle layout. Version 2 added the links of signed
// documents and the time their status is derived for: a version 1 bundle
// proves a registration but not the status, and is refused rather than
// read as if it had none to prove.
const Format = "dataledger-proof/2"

// EndorsementPolicy is the policy the chaincode is defined with (the
// channel default, see network/lifecycle.go); the verifier evaluates this
// one whatever a bundle says.
const EndorsementPolicy = "/Channel/Application/Endorsement"

// Bundle is a self-contained proof of one record.
type Bundle struct {
	Format            string          `json:"format"`
	Kind              string          `json:"kind"`
	Number            string          `json:"number"`
	Channel           string          `json:"channel"`
	Chaincode         string          `json:"chaincode"`
	EndorsementPolicy string          `json:"endorsementPolicy"`
	Document          json.RawMessage `json:"document,omitempty"` // the signed credential or certificate
	Record            Inclusion       `json:"record"`
	// Private is, in a bundle made for a member of the channel's private
	// data collection, the record's private part as the collection holds
	// it (domain.Sealed: the record whole and its salt); the record's
	// block proves it by the hashes it keeps. A public bundle has none:
	// its record is the public view.
	Private   *PrivatePart `json:"private,omitempty"`
	IssuerKey *Inclusion   `json:"issuerKey,omitempty"` // signed documents: where their key was written
	// Links are, for signed documents, the latest version of every record
	// their status derives from (the chaincode's verification links: the
	// document's own record, its agreements, credentials, party and key),
	// each as the transaction that last wrote it.
	Links []Inclusion `json:"links,omitempty"`
	// At is the time the status is derived for (RFC 3339): the time of the
	// chaincode's verification the links were read from.
	At      string        `json:"at,omitempty"`
	Configs []ConfigBlock `json:"configs"`
	Created string        `json:"created"`
	// Heads are witnessed heads of the bundle's blocks: for a block N, a
	// head of height N+1 whose hash is block N's, signed by the
	// organizations whose peers hold that block (optional: a gateway
	// that witnesses adds them).
	Heads []Head `json:"heads,omitempty"`
}

// Blocks are the distinct blocks the bundle's inclusions hold, by number.
func (b *Bundle) Blocks() map[uint64][]byte {
	out := map[uint64][]byte{}
	for _, inc := range b.inclusions() {
		if inc.Block != nil {
			out[inc.BlockNumber] = inc.Block
		}
	}
	return out
}

// Inclusion is a transaction that wrote a key, with its whole block
// (protobuf common.Block, base64 in JSON). A link whose block another
// inclusion of the bundle already carries (the same block number) omits
// it; the verifier checks that block in full for each inclusion.
type Inclusion struct {
	Key         string          `json:"key"`
	TxID        string          `json:"txId"`
	BlockNumber uint64          `json:"blockNumber"`
	TxIndex     int             `json:"txIndex"`
	Value       json.RawMessage `json:"value,omitempty"` // what the transaction wrote (for reading; checked against the block)
	Block       []byte          `json:"block,omitempty"`
}

// PrivatePart is a record's private part and the collection it is in.
type PrivatePart struct {
	Collection string `json:"collection"`
	Value      []byte `json:"value"` // the collection's value, exactly (base64 in JSON)
}

// PrivateRecords is a Records that may also read a record's private part
// (nil, nil when the caller may not: a bundle for the public).
type PrivateRecords interface {
	Records
	PrivatePart(channel, recordType, number string) ([]byte, error)
}

// ConfigBlock is a channel configuration block a bundle's blocks name as
// in force.
type ConfigBlock struct {
	BlockNumber uint64 `json:"blockNumber"`
	Block       []byte `json:"block"`
}

// Kind is a record a proof can be made for: a numbered record (its name,
// number prefix and record type, domain.NumberedRecords) and which change
// of it to prove.
type Kind struct {
	domain.NumberedRecord
	Signed bool // carries a signed document: prove its registration and issuer key
}

// Kinds are the records with proofs, by name: every numbered record.
// Credentials and certificates prove their registration, document and
// key; objections, agreements, applications and obligations their
// recorded decision (their latest version).
var Kinds = kinds(map[string]Kind{
	domain.TypeCredential:  {Signed: true},
	domain.TypeCertificate: {Signed: true},
	domain.TypeObjection:   {},
	domain.TypeAgreement:   {},
	domain.TypeApplication: {},
	domain.TypeReport:      {}, // its record carries the signed summary; its key is read from the ledger
	domain.TypeObligation:  {},
	domain.TypeCredit:      {},
	domain.TypeEvaluation:  {},
	domain.TypeSelection:   {},
	domain.TypePlan:        {},
})

// kinds completes the proof facts, by record type, with domain's table;
// every numbered record must have them.
func kinds(byType map[string]Kind) map[string]Kind {
	out := map[string]Kind{}
	for _, r := range domain.NumberedRecords {
		k, ok := byType[r.RecordType]
		if !ok {
			panic("proof: no proof kind for numbered record " + r.Name)
		}
		k.NumberedRecord = r
		out[r.Name] = k
	}
	return out
}

// kindNames lists the kinds a proof can be made for, in domain's order.
func kindNames() string {
	var names []string
	for _, r := range domain.NumberedRecords {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}

// KindOf is the kind of record a number identifies (by its prefix; the
// number is checked, check character included).
func KindOf(number string) (Kind, domain.Number, error) {
	if r, ok := domain.NumberedOf(number); ok {
		n, err := domain.ParseNumber("number", number, r.Prefix)
		return Kinds[r.Name], n, err
	}
	return Kind{}, domain.Number{}, domain.Invalid(domain.RuleNumber, "number", "%q is not the number of a %s", number, kindNames())
}

// Source answers queries on a channel: the chaincode's and qscc's.
type Source interface {
	Query(channel, chaincode, fn string, args ...string) ([]byte, error)
}

// Records is a Source that also reads the dataledger chaincode's numbered
// records (the Fabric client, network.RecordOf, knows which query reads
// each; this package links no client).
type Records interface {
	Source
	// Record is the chaincode's JSON of a numbered record (recordType as
	// in domain.NumberedRecords).
	Record(channel, recordType, number string) ([]byte, error)
	// Verification is the chaincode's verification of a signed document
	// by number (recordType credential or certificate): its links.
	Verification(channel, recordType, number string) ([]byte, error)
}

// record is what a proof reads of any record.
type record struct {
	Number      string          `json:"number"`
	Document    json.RawMessage `json:"document"`
	IssuerKeyID string          `json:"issuerKeyId"`
	Issued      *domain.Change  `json:"issued"`
	Registered  *domain.Change  `json:"registered"`
	Last        *domain.Change  `json:"last"`
}

// provedTx is the change a proof is about: a signed document's
// registration, otherwise the record's latest change.
func (r *record) provedTx(k Kind) string {
	switch {
	case k.Signed && r.Issued != nil:
		return r.Issued.TxID
	case k.Signed && r.Registered != nil:
		return r.Registered.TxID
	case r.Last != nil:
		return r.Last.TxID
	}
	return ""
}

// Build assembles the proof of a record from a channel member's peer.
func Build(src Records, channel, chaincode string, kind Kind, number string) (*Bundle, error) {
	raw, err := src.Record(channel, kind.RecordType, number)
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind.Name, number, err)
	}
	txID := rec.provedTx(kind)
	if txID == "" {
		return nil, fmt.Errorf("%s %s names no transaction", kind.Name, number)
	}
	b := &Bundle{Format: Format, Kind: kind.Name, Number: number, Channel: channel, Chaincode: chaincode,
		EndorsementPolicy: EndorsementPolicy, Created: time.Now().UTC().Format(time.RFC3339)}
	if kind.Signed {
		b.Document = rec.Document
	}
	key, err := domain.CompositeKey(kind.RecordType, number)
	if err != nil {
		return nil, err
	}
	blocks := &blockCache{src: src, channel: channel, byTx: map[string][]byte{}}
	blockRaw, err := blocks.ofTx(txID)
	if err != nil {
		return nil, err
	}
	if pr, ok := src.(PrivateRecords); ok && domain.HasPrivatePart(kind.RecordType) {
		v, err := pr.PrivatePart(channel, kind.RecordType, number)
		if err != nil {
			return nil, err
		}
		if v != nil {
			b.Private = &PrivatePart{Collection: domain.Collection, Value: v}
		}
	}
	pick := func(t *Tx) bool { return t.TxID == txID }
	inc, tx, err := include(blockRaw, key, chaincode, false, pick)
	if err != nil && b.Private != nil {
		// A record with no public view (an application before its notice,
		// an evaluation, a credit record): its private part is the record,
		// proven by the hash its block keeps.
		inc, tx, err = include(blockRaw, key, chaincode, true, pick)
	}
	if err != nil {
		if domain.HasPrivatePart(kind.RecordType) {
			return nil, domain.Conflict(domain.RulePrivateRead, "number", "%s %s has no public record in its last transaction (an application before its public notice, an evaluation, a credit record, an obligation of a kind that is not public are private whole): only a collection member's bundle proves it, by its private part", kind.Name, number)
		}
		return nil, err
	}
	b.Record = *inc
	if kind.Signed {
		kk, err := domain.CompositeKey(domain.TypeIssuerKey, rec.IssuerKeyID)
		if err != nil {
			return nil, err
		}
		v, ok := tx.Read(chaincode, kk)
		if !ok || v == nil {
			return nil, fmt.Errorf("transaction %s did not read issuer key %s", txID, rec.IssuerKeyID)
		}
		kb, err := blockByNumber(src, channel, v.BlockNum)
		if err != nil {
			return nil, err
		}
		b.IssuerKey, _, err = include(kb, kk, chaincode, false, func(t *Tx) bool { return t.Index == int(v.TxNum) })
		if err != nil {
			return nil, err
		}
		if err := b.addLinks(src, blocks, kind, number); err != nil {
			return nil, err
		}
	}
	seen := map[uint64]bool{}
	for _, inc := range b.inclusions() {
		if inc.Block == nil {
			continue // its block is another inclusion's
		}
		blk, _ := ParseBlock(inc.Block)
		n, err := LastConfig(blk)
		if err != nil {
			return nil, err
		}
		// The configuration in force and every one before it down to
		// genesis: a verifier judges each under the one before, from the
		// genesis block it pins. The block before a configuration block
		// names the configuration it followed.
		for !seen[n] {
			seen[n] = true
			cb, err := blockByNumber(src, channel, n)
			if err != nil {
				return nil, err
			}
			b.Configs = append(b.Configs, ConfigBlock{BlockNumber: n, Block: cb})
			if n == 0 {
				break
			}
			before, err := blockByNumber(src, channel, n-1)
			if err != nil {
				return nil, err
			}
			pb, err := ParseBlock(before)
			if err != nil {
				return nil, err
			}
			if n, err = LastConfig(pb); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(b.Configs, func(x, y ConfigBlock) int { return cmp.Compare(x.BlockNumber, y.BlockNumber) })
	return b, nil
}

// linkTypes are the record types of the links' kinds.
var linkTypes = map[string]string{
	domain.LinkCertificate: domain.TypeCertificate, domain.LinkCredential: domain.TypeCredential,
	domain.LinkAgreement: domain.TypeAgreement, domain.LinkParty: domain.TypeParty, domain.LinkIssuerKey: domain.TypeIssuerKey,
}

// addLinks reads the chaincode's verification of a signed document and
// proves, for each of its links, the transaction that last wrote the
// link's record. A link with no transaction (its record is not on the
// ledger) cannot be proven: the verifier finds it missing.
func (b *Bundle) addLinks(src Records, blocks *blockCache, kind Kind, number string) error {
	raw, err := src.Verification(b.Channel, kind.RecordType, number)
	if err != nil {
		return fmt.Errorf("verification of %s %s: %w", kind.Name, number, err)
	}
	var v domain.Verification
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("verification of %s %s: %w", kind.Name, number, err)
	}
	if v.Status == domain.VerifyNotFound || v.At == "" {
		return fmt.Errorf("verification of %s %s: %s %s", kind.Name, number, v.Status, v.Reason)
	}
	b.At = v.At
	carried := map[uint64]bool{b.Record.BlockNumber: true, b.IssuerKey.BlockNumber: true}
	proven := map[string]bool{}
	for _, l := range v.Links {
		rt, ok := linkTypes[l.Kind]
		if !ok {
			return fmt.Errorf("verification of %s %s: link of unknown kind %q", kind.Name, number, l.Kind)
		}
		if l.TxID == "" {
			continue
		}
		key, err := domain.CompositeKey(rt, l.Number)
		if err != nil {
			return err
		}
		if proven[key] {
			continue
		}
		proven[key] = true
		raw, err := blocks.ofTx(l.TxID)
		if err != nil {
			return err
		}
		inc, _, err := include(raw, key, b.Chaincode, false, func(t *Tx) bool { return t.TxID == l.TxID })
		if err != nil {
			return fmt.Errorf("%s %s: %w", l.Kind, l.Number, err)
		}
		if carried[inc.BlockNumber] {
			inc.Block = nil
		}
		carried[inc.BlockNumber] = true
		b.Links = append(b.Links, *inc)
	}
	return nil
}

// inclusions are every transaction a bundle proves: the record's, the
// issuer key's and the links'.
func (b *Bundle) inclusions() []*Inclusion {
	out := []*Inclusion{&b.Record}
	if b.IssuerKey != nil {
		out = append(out, b.IssuerKey)
	}
	for i := range b.Links {
		out = append(out, &b.Links[i])
	}
	return out
}

// blockCache reads each transaction's block once.
type blockCache struct {
	src     Source
	channel string
	byTx    map[string][]byte
}

func (c *blockCache) ofTx(txID string) ([]byte, error) {
	if raw, ok := c.byTx[txID]; ok {
		return raw, nil
	}
	raw, err := c.src.Query(c.channel, "qscc", "GetBlockByTxID", c.channel, txID)
	if err != nil {
		return nil, fmt.Errorf("block of %s: %w", txID, err)
	}
	c.byTx[txID] = raw
	return raw, nil
}

func blockByNumber(src Source, channel string, n uint64) ([]byte, error) {
	raw, err := src.Query(channel, "qscc", "GetBlockByNumber", channel, strconv.FormatUint(n, 10))
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", n, err)
	}
	return raw, nil
}

// include finds the transaction pick selects in a block and what it wrote
// to key; with private, a record it wrote to the private data collection
// only (the block keeps its hash, and the inclusion no value: the
// bundle's private part is the record).
func include(raw []byte, key, chaincode string, private bool, pick func(*Tx) bool) (*Inclusion, *Tx, error) {
	blk, err := ParseBlock(raw)
	if err != nil {
		return nil, nil, err
	}
	for i := range blk.Data.Data {
		t, err := ParseTx(blk, i)
		if err != nil || !pick(t) {
			continue
		}
		inc := &Inclusion{Key: key, TxID: t.TxID, BlockNumber: blk.Header.Number, TxIndex: i, Block: raw}
		if private {
			if _, ok := t.PrivateWrite(chaincode, domain.Collection, key); !ok {
				return nil, nil, fmt.Errorf("transaction %s in block %d writes %q neither to the world state nor to collection %s", t.TxID, blk.Header.Number, key, domain.Collection)
			}
			return inc, t, nil
		}
		v, _, ok := t.Write(chaincode, key)
		if !ok {
			return nil, nil, fmt.Errorf("transaction %s in block %d does not write %q", t.TxID, blk.Header.Number, key)
		}
		if json.Valid(v) {
			inc.Value = v
		}
		return inc, t, nil
	}
	return nil, nil, fmt.Errorf("block %d holds no such transaction", blk.GetHeader().GetNumber())
}

// Block is the parsed block of an inclusion.
func (i *Inclusion) block() (*common.Block, error) { return ParseBlock(i.Block) }

// Package proof builds and checks proofs that a record is on the ledger,
// which anyone can verify offline against the channel organizations' root
// certificates: the block holding the transaction that wrote the record,
// the configuration block in force, and, for signed documents, the
// transaction that wrote the issuer key the chaincode verified it with. It
// also audits a channel's whole chain of blocks.
package proof

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"dataledger/chaincode/domain"
)

// Format names the bundle layout.
const Format = "dataledger-proof/1"

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
	IssuerKey         *Inclusion      `json:"issuerKey,omitempty"` // signed documents: where their key was written
	Configs           []ConfigBlock   `json:"configs"`
	Created           string          `json:"created"`
}

// Inclusion is a transaction that wrote a key, with its whole block
// (protobuf common.Block, base64 in JSON).
type Inclusion struct {
	Key         string          `json:"key"`
	TxID        string          `json:"txId"`
	BlockNumber uint64          `json:"blockNumber"`
	TxIndex     int             `json:"txIndex"`
	Value       json.RawMessage `json:"value,omitempty"` // what the transaction wrote (for reading; checked against the block)
	Block       []byte          `json:"block"`
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
// key; objections, agreements and applications their recorded decision
// (their latest version).
var Kinds = kinds(map[string]Kind{
	domain.TypeCredential:  {Signed: true},
	domain.TypeCertificate: {Signed: true},
	domain.TypeObjection:   {},
	domain.TypeAgreement:   {},
	domain.TypeApplication: {},
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

// KindOf is the kind of record a number identifies (by its prefix; the
// number is checked, check character included).
func KindOf(number string) (Kind, domain.Number, error) {
	if r, ok := domain.NumberedOf(number); ok {
		n, err := domain.ParseNumber("number", number, r.Prefix)
		return Kinds[r.Name], n, err
	}
	return Kind{}, domain.Number{}, domain.Invalid(domain.RuleNumber, "number", "%q is not the number of a credential, certificate, objection, agreement or application", number)
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
	blockRaw, err := src.Query(channel, "qscc", "GetBlockByTxID", channel, txID)
	if err != nil {
		return nil, fmt.Errorf("block of %s: %w", txID, err)
	}
	inc, tx, err := include(blockRaw, key, chaincode, func(t *Tx) bool { return t.TxID == txID })
	if err != nil {
		return nil, err
	}
	b.Record = *inc
	blocks := []*Inclusion{&b.Record}
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
		b.IssuerKey, _, err = include(kb, kk, chaincode, func(t *Tx) bool { return t.Index == int(v.TxNum) })
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, b.IssuerKey)
	}
	seen := map[uint64]bool{}
	for _, inc := range blocks {
		blk, _ := ParseBlock(inc.Block)
		n, err := LastConfig(blk)
		if err != nil {
			return nil, err
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		cb, err := blockByNumber(src, channel, n)
		if err != nil {
			return nil, err
		}
		b.Configs = append(b.Configs, ConfigBlock{BlockNumber: n, Block: cb})
	}
	return b, nil
}

func blockByNumber(src Source, channel string, n uint64) ([]byte, error) {
	raw, err := src.Query(channel, "qscc", "GetBlockByNumber", channel, strconv.FormatUint(n, 10))
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", n, err)
	}
	return raw, nil
}

// include finds the transaction pick selects in a block and what it wrote
// to key.
func include(raw []byte, key, chaincode string, pick func(*Tx) bool) (*Inclusion, *Tx, error) {
	blk, err := ParseBlock(raw)
	if err != nil {
		return nil, nil, err
	}
	for i := range blk.Data.Data {
		t, err := ParseTx(blk, i)
		if err != nil || !pick(t) {
			continue
		}
		v, _, ok := t.Write(chaincode, key)
		if !ok {
			return nil, nil, fmt.Errorf("transaction %s in block %d does not write %q", t.TxID, blk.Header.Number, key)
		}
		inc := &Inclusion{Key: key, TxID: t.TxID, BlockNumber: blk.Header.Number, TxIndex: i, Block: raw}
		if json.Valid(v) {
			inc.Value = v
		}
		return inc, t, nil
	}
	return nil, nil, fmt.Errorf("block %d holds no such transaction", blk.GetHeader().GetNumber())
}

// Block is the parsed block of an inclusion.
func (i *Inclusion) block() (*common.Block, error) { return ParseBlock(i.Block) }

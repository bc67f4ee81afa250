package index

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/proof"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Write is one version of a record: a valid transaction's write to its
// state key.
type Write struct {
	Row      *Row
	Block    uint64
	TxIndex  int
	TxID     string
	TxTime   time.Time
	Function string
	Creator  string // the submitting client's MSP
	Deleted  bool
}

// Block is what the index keeps of a block that passed the audit.
type Block struct {
	Channel      string
	Number       uint64
	HeaderHash   []byte
	Time         time.Time
	Transactions int
	Valid        int
	Config       bool
	Writes       []Write
}

// InvalidTxError is a transaction the block's filter marks valid that does
// not check (Decode's check): the block is not stored.
type InvalidTxError struct {
	Block uint64
	TxID  string
	Err   error
}

func (e *InvalidTxError) Error() string {
	return fmt.Sprintf("block %d: transaction %s is marked valid but %v", e.Block, e.TxID, e.Err)
}

// Decode reads the record writes of a block's valid transactions in the
// chaincode's namespace, in block order. Invalid transactions wrote
// nothing and are only counted. check, when set, re-checks each valid
// transaction that writes in the namespace (proof.Auditor.CheckTx); one
// that fails is an *InvalidTxError. A block without a validation code
// for every transaction, a transaction that does not parse, or a record
// that does not read as its kind, is an error naming them: the block
// passed the audit, so this is a block or record the index cannot read,
// and skipping it would leave a gap.
func Decode(channel, chaincode string, blk *common.Block, config bool, check func(tx *proof.Tx, earlier proof.BlockWrites) error) (*Block, error) {
	return prepare(channel, chaincode, Delivered{Block: blk}).decode(config, check)
}

// prepared is a block parsed and its records read, ahead of its turn (any
// number at once, on every core): what Decode does that depends on no
// earlier block. decode then judges its transactions in order.
type prepared struct {
	channel, chaincode string
	blk                Delivered
	txs                []preparedTx
	sigs               *proof.Signatures // checked ahead too, when a checker was given
}

type preparedTx struct {
	tx     *proof.Tx
	err    error // the transaction does not parse, or a record it writes does not read
	code   peer.TxValidationCode
	coded  bool
	writes []Write
}

// wrote is whether the transaction's writes count: marked valid, and a
// chaincode transaction.
func (p preparedTx) wrote() bool {
	return p.coded && p.code == peer.TxValidationCode_VALID && p.tx.Type == common.HeaderType_ENDORSER_TRANSACTION
}

// checked is whether decode re-checks the transaction: its writes count
// and it writes in the namespace, to the world state or a private data
// collection (a record indexed whole from its private part is checked
// as any other).
func (p preparedTx) checked(chaincode string) bool {
	return p.wrote() && (len(p.tx.Writes(chaincode)) > 0 || p.tx.WritesPrivate(chaincode))
}

func prepare(channel, chaincode string, blk Delivered) *prepared {
	p := &prepared{channel: channel, chaincode: chaincode, blk: blk, txs: make([]preparedTx, len(blk.GetData().GetData()))}
	number := blk.GetHeader().GetNumber()
	for i := range p.txs {
		pt := &p.txs[i]
		pt.code, pt.coded = proof.ValidationCode(blk.Block, i)
		if pt.tx, pt.err = proof.ParseTx(blk.Block, i); pt.err != nil {
			pt.err = fmt.Errorf("block %d: %w", number, pt.err)
			continue
		}
		if !pt.wrote() {
			continue
		}
		tx := pt.tx
		for _, w := range tx.Writes(chaincode) {
			var row *Row
			if w.IsDelete {
				_, r, ok := keyRow(channel, w.Key)
				if !ok {
					continue
				}
				row = r
			} else {
				r, ok, err := Summarize(channel, w.Key, w.Value)
				if err != nil {
					pt.err = fmt.Errorf("block %d transaction %s: %w", number, tx.TxID, err)
					break
				}
				if !ok {
					continue
				}
				row = r
			}
			pt.writes = append(pt.writes, Write{Row: row, Block: number, TxIndex: i, TxID: tx.TxID, TxTime: tx.Timestamp.UTC(),
				Function: tx.Function(), Creator: tx.Creator.GetMspid(), Deleted: w.IsDelete})
		}
		if pt.err == nil {
			pt.err = pt.private(channel, chaincode, number, blk.Private[uint64(i)])
		}
	}
	return p
}

// private puts in place of a record's public view the whole record its
// private part holds (the transaction's private data, as the peer
// delivered it), after checking it against the hash the block keeps.
func (pt *preparedTx) private(channel, chaincode string, number uint64, pvt *rwset.TxPvtReadWriteSet) error {
	tx := pt.tx
	for _, ns := range pvt.GetNsPvtRwset() {
		if ns.Namespace != chaincode {
			continue
		}
		for _, coll := range ns.CollectionPvtRwset {
			if coll.CollectionName != domain.Collection {
				continue
			}
			var kv kvrwset.KVRWSet
			if err := proto.Unmarshal(coll.Rwset, &kv); err != nil {
				return fmt.Errorf("transaction %s: private data: %w", tx.TxID, err)
			}
			for _, w := range kv.Writes {
				t, attrs, err := domain.SplitCompositeKey(w.Key)
				words := t == domain.TypeWords && len(attrs) == 3
				if err != nil || !(domain.HasPrivatePart(t) || words) || w.IsDelete {
					continue // an index of the collection
				}
				if h, ok := tx.PrivateWrite(chaincode, coll.CollectionName, w.Key); !ok || !bytes.Equal(h, sha256Sum(w.Value)) {
					return fmt.Errorf("transaction %s: the private data delivered for %q is not what the block's hash names", tx.TxID, w.Key)
				}
				var sealed domain.Sealed
				if err := json.Unmarshal(w.Value, &sealed); err != nil {
					return fmt.Errorf("transaction %s: private record %q: %w", tx.TxID, w.Key, err)
				}
				if words { // a change's words: into the public record the transaction wrote
					if attrs[2] != tx.TxID {
						return fmt.Errorf("transaction %s: words keyed for transaction %s", tx.TxID, attrs[2])
					}
					if err := pt.say(channel, attrs[0], attrs[1], sealed.Record); err != nil {
						return fmt.Errorf("transaction %s: %w", tx.TxID, err)
					}
					continue
				}
				row, ok, err := Summarize(channel, w.Key, sealed.Record)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				write := Write{Row: row, Block: number, TxIndex: tx.Index, TxID: tx.TxID, TxTime: tx.Timestamp.UTC(),
					Function: tx.Function(), Creator: tx.Creator.GetMspid()}
				if j := slices.IndexFunc(pt.writes, func(x Write) bool { return x.Row.Kind == row.Kind && x.Row.ID == row.ID }); j >= 0 {
					pt.writes[j] = write
				} else {
					pt.writes = append(pt.writes, write)
				}
			}
		}
	}
	return nil
}

// say puts a change's words (the reason rule: private, domain.Words)
// into the row of the public record (its type and key) the transaction
// wrote.
func (pt *preparedTx) say(channel, recordType, id string, sealed []byte) error {
	var w domain.Words
	if err := json.Unmarshal(sealed, &w); err != nil || w.TxID != pt.tx.TxID {
		return fmt.Errorf("the words of %s %s are not this transaction's", recordType, id)
	}
	parts := []string{id}
	if recordType == domain.TypeEgress { // a check is keyed by its product and its transaction
		parts = append(parts, w.TxID)
	}
	k, err := domain.CompositeKey(recordType, parts...)
	if err != nil {
		return err
	}
	_, r, ok := keyRow(channel, k)
	if !ok {
		return nil
	}
	j := slices.IndexFunc(pt.writes, func(x Write) bool { return x.Row.Kind == r.Kind && x.Row.ID == r.ID })
	if j < 0 {
		return fmt.Errorf("words of %s %s, which the transaction did not write", recordType, id)
	}
	body, err := domain.SayIn(recordType, pt.writes[j].Row.Body, w)
	if err != nil {
		return err
	}
	row, ok, err := Summarize(channel, k, body)
	if err != nil || !ok {
		return err
	}
	pt.writes[j].Row = row
	return nil
}

// toCheck are the transactions decode's check will ask about.
func (p *prepared) toCheck() []*proof.Tx {
	var txs []*proof.Tx
	for _, pt := range p.txs {
		if pt.err == nil && pt.checked(p.chaincode) {
			txs = append(txs, pt.tx)
		}
	}
	return txs
}

// decode judges the prepared transactions in block order, as Decode.
func (p *prepared) decode(config bool, check func(tx *proof.Tx, earlier proof.BlockWrites) error) (*Block, error) {
	blk := p.blk
	b := &Block{Channel: p.channel, Number: blk.GetHeader().GetNumber(), HeaderHash: proof.HeaderHash(blk.GetHeader()),
		Transactions: len(p.txs), Config: config}
	earlier := proof.BlockWrites{}
	for i, pt := range p.txs {
		if pt.tx == nil {
			return nil, pt.err
		}
		if i == 0 {
			b.Time = pt.tx.Timestamp
		}
		if !pt.coded {
			return nil, fmt.Errorf("block %d has no validation code for transaction %d", b.Number, i)
		}
		if pt.code != peer.TxValidationCode_VALID {
			continue
		}
		b.Valid++
		if pt.tx.Type != common.HeaderType_ENDORSER_TRANSACTION {
			continue
		}
		if check != nil && pt.checked(p.chaincode) {
			if err := check(pt.tx, earlier); err != nil {
				return nil, &InvalidTxError{b.Number, pt.tx.TxID, err}
			}
		}
		if pt.err != nil {
			return nil, pt.err
		}
		earlier.Add(pt.tx)
		b.Writes = append(b.Writes, pt.writes...)
	}
	return b, nil
}

func sha256Sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

package index

import (
	"fmt"
	"time"

	"dataledger/proof"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
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
	b := &Block{Channel: channel, Number: blk.GetHeader().GetNumber(), HeaderHash: proof.HeaderHash(blk.GetHeader()),
		Transactions: len(blk.GetData().GetData()), Config: config}
	earlier := proof.BlockWrites{}
	for i := range blk.GetData().GetData() {
		tx, err := proof.ParseTx(blk, i)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", b.Number, err)
		}
		if i == 0 {
			b.Time = tx.Timestamp
		}
		code, ok := proof.ValidationCode(blk, i)
		if !ok {
			return nil, fmt.Errorf("block %d has no validation code for transaction %d", b.Number, i)
		}
		if code != peer.TxValidationCode_VALID {
			continue
		}
		b.Valid++
		if tx.Type != common.HeaderType_ENDORSER_TRANSACTION {
			continue
		}
		if check != nil && len(tx.Writes(chaincode)) > 0 {
			if err := check(tx, earlier); err != nil {
				return nil, &InvalidTxError{b.Number, tx.TxID, err}
			}
		}
		earlier.Add(tx)
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
					return nil, fmt.Errorf("block %d transaction %s: %w", b.Number, tx.TxID, err)
				}
				if !ok {
					continue
				}
				row = r
			}
			b.Writes = append(b.Writes, Write{Row: row, Block: b.Number, TxIndex: i, TxID: tx.TxID, TxTime: tx.Timestamp.UTC(),
				Function: tx.Function(), Creator: tx.Creator.GetMspid(), Deleted: w.IsDelete})
		}
	}
	return b, nil
}

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

// Decode reads the record writes of a block's valid transactions in the
// chaincode's namespace, in block order. Invalid transactions wrote
// nothing and are only counted. A transaction that does not parse, or a
// record that does not read as its kind, is an error naming both: the
// block passed the audit, so this is a record the index cannot read, and
// skipping it would leave a gap.
func Decode(channel, chaincode string, blk *common.Block, config bool) (*Block, error) {
	b := &Block{Channel: channel, Number: blk.GetHeader().GetNumber(), HeaderHash: proof.HeaderHash(blk.GetHeader()),
		Transactions: len(blk.GetData().GetData()), Config: config}
	for i := range blk.GetData().GetData() {
		tx, err := proof.ParseTx(blk, i)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", b.Number, err)
		}
		if i == 0 {
			b.Time = tx.Timestamp
		}
		if code, _ := proof.ValidationCode(blk, i); code != peer.TxValidationCode_VALID {
			continue
		}
		b.Valid++
		if tx.Type != common.HeaderType_ENDORSER_TRANSACTION {
			continue
		}
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

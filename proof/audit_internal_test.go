package proof

import (
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
)

// TestBlockWritesRefuseAReadOfAnEarlierWrite: within a block, a
// transaction that read what an earlier valid one wrote cannot be valid.
func TestBlockWritesRefuseAReadOfAnEarlierWrite(t *testing.T) {
	tx := func(reads, writes []string) *Tx {
		kv := &kvrwset.KVRWSet{}
		for _, k := range reads {
			kv.Reads = append(kv.Reads, &kvrwset.KVRead{Key: k})
		}
		for _, k := range writes {
			kv.Writes = append(kv.Writes, &kvrwset.KVWrite{Key: k})
		}
		return &Tx{nsRWSets: map[string]*kvrwset.KVRWSet{"dataledger": kv}}
	}
	w := BlockWrites{}
	first := tx([]string{"a"}, []string{"b"})
	if err := w.conflict(first); err != nil {
		t.Fatal(err)
	}
	w.Add(first)
	if err := w.conflict(tx([]string{"c"}, []string{"b"})); err != nil {
		t.Fatalf("a blind write of the same key: %v", err)
	}
	if err := w.conflict(tx([]string{"b"}, nil)); err == nil || !strings.Contains(err.Error(), "cannot be VALID") {
		t.Fatalf("a read of an earlier write: %v", err)
	}
}

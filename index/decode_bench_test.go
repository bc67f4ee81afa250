package index

import (
	"testing"

	"dataledger/proof"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// BenchmarkAuditAndDecode is the reader's side of a catch-up without the
// database: each block of the fixture chain audited (links, data hash,
// orderer signatures), each valid transaction re-checked (submitter,
// endorsements, conflicts within its block) and its writes decoded, as
// the follower does before it stores a batch. Reported per block.
func BenchmarkAuditAndDecode(b *testing.B) {
	raws := fixtureBlocks(b)
	trust := fixtureTrust(b)
	var blocks []*common.Block
	for _, raw := range raws {
		blk, err := proof.ParseBlock(raw)
		if err != nil {
			b.Fatal(err)
		}
		blocks = append(blocks, blk)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, err := proof.NewAuditor("nanning", nil, trust)
		if err != nil {
			b.Fatal(err)
		}
		for _, blk := range blocks {
			if br := a.Check(blk); br != nil {
				b.Fatal(br.Reason)
			}
			check := func(tx *proof.Tx, earlier proof.BlockWrites) error { return a.CheckTx(tx, "dataledger", earlier) }
			if _, err := Decode("nanning", "dataledger", blk, a.IsConfig(blk), check); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(blocks))/1e6, "ms/block")
}

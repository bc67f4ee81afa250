package index

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"dataledger/proof"
)

// BenchmarkStore stores blocks of 1,000 credential-sized records (about
// 1 KiB each, as BenchLoad writes them): the database's share of a
// catch-up, in records per second.
func BenchmarkStore(b *testing.B) {
	d := testDB(b)
	body := []byte(`{"number":"SQ-450200-2026-00000000-0","document":{"docType":"dataledger.credential.v1","holderName":"压测规模企业","scope":"` + strings.Repeat("公共数据", 60) + `"},"status":"valid","version":1}`)
	var cp *proof.Checkpoint
	b.ResetTimer()
	n := 0
	start := time.Now()
	for i := 0; i < b.N; i++ {
		blk := &Block{Channel: "bench", Number: uint64(i), Transactions: 1, Valid: 1}
		h := sha256.Sum256([]byte(fmt.Sprint(i)))
		blk.HeaderHash = h[:]
		for j := 0; j < 1000; j++ {
			id := fmt.Sprintf("SQ-450200-2026-%08d-X", i*1000+j)
			blk.Writes = append(blk.Writes, Write{Row: &Row{Kind: "credential", ID: id, Status: "valid", Division: "450200",
				Parties: []string{"91450200MA5L0000AW"}, Title: "压测规模企业", Date: "2026-12-02", Body: json.RawMessage(body)},
				Block: uint64(i), TxIndex: 0, TxID: fmt.Sprintf("%064d", i), TxTime: time.Now(), Function: "BenchLoad", Creator: "CityBMSP"})
			n++
		}
		cp = &proof.Checkpoint{Channel: "bench", Next: uint64(i) + 1, PreviousHash: blk.HeaderHash}
		if err := d.Store(context.Background(), "bench", []*Block{blk}, cp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
}

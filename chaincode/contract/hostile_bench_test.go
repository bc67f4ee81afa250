package contract

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/store"
)

// hostileInputs are pathological arguments at the size the gateway lets
// through (1 MB, certs.MaxDocumentSize), each sent to every transaction
// that parses outside input.
var hostileInputs = map[string]string{
	"deep nesting":     strings.Repeat("[", 1<<19) + strings.Repeat("]", 1<<19),
	"wide object":      wideObject(1 << 20),
	"one long string":  `{"name":"` + strings.Repeat("名", (1<<20)/3-8) + `"}`,
	"huge numbers":     "[" + strings.Repeat("1e999999999,", (1<<20)/12) + "0]",
	"escapes":          `{"scope":"` + strings.Repeat(`\u202e\u0000`, (1<<20)/12) + `"}`,
	"a valid document": partyJSON, // the baseline
}

func wideObject(size int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; b.Len() < size-16; i++ {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	b.WriteString(`"end":0}`)
	return b.String()
}

// BenchmarkHostileInputs: the chaincode's work on each pathological input,
// every transaction of fuzzOps once per iteration, against the same
// transactions on a small valid input. It reports the slowest single
// transaction (worst-ms) and the ratio of each input's total to the
// baseline's. The peer bounds any one execution by its execute timeout;
// this shows how far below it the worst input stays.
//
//	go test -run '^$' -bench BenchmarkHostileInputs -benchtime 3x ./chaincode/contract/
func BenchmarkHostileInputs(b *testing.B) {
	m := bootstrapped(b)
	run := func(input string) (total, worst time.Duration) {
		for _, fn := range fuzzOps {
			began := time.Now()
			_, _ = m.Run(cityAAuthority, func(s store.Store) error { return fn(s, input, input) })
			took := time.Since(began)
			total += took
			worst = max(worst, took)
		}
		return total, worst
	}
	var baseline time.Duration
	for range 3 {
		t, _ := run(hostileInputs["a valid document"])
		baseline += t / 3
	}
	for name, input := range hostileInputs {
		b.Run(name, func(b *testing.B) {
			var total, worst time.Duration
			for range b.N {
				t, w := run(input)
				total += t
				worst = max(worst, w)
			}
			b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
			b.ReportMetric(float64(total/time.Duration(b.N))/float64(baseline), "x-baseline")
		})
	}
}

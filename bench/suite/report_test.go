package suite

import (
	"math"
	"strings"
	"testing"
)

func TestRatiosAreTheMedianOfInterleavedRoundsWithTheirSpread(t *testing.T) {
	m, lo, hi, ok := roundRatios(map[int]float64{0: 80, 1: 90, 2: 70}, map[int]float64{0: 100, 1: 100, 2: 100})
	if !ok || math.Abs(m-0.8) > 1e-9 || math.Abs(lo-0.7) > 1e-9 || math.Abs(hi-0.9) > 1e-9 {
		t.Fatalf("median %v, rounds %v to %v", m, lo, hi)
	}
	if _, _, _, ok := roundRatios(map[int]float64{0: 1}, map[int]float64{1: 1}); ok {
		t.Fatal("rounds that do not pair made a ratio")
	}
	for _, c := range []struct {
		t          Target
		conclusive bool
		met        bool
	}{
		{Target{Ratio: 0.95, Goal: 0.8, Higher: true, Min: 0.85, Max: 1.2, rounds: true}, true, true}, // wide, but every round meets it
		{Target{Ratio: 0.85, Goal: 0.8, Higher: true, Min: 0.75, Max: 0.9, rounds: true}, false, false},
		{Target{Ratio: 0.6, Goal: 0.8, Higher: true, Min: 0.55, Max: 0.65, rounds: true}, true, false},
		{Target{Ratio: 0, Goal: 0}, true, true}, // a count: no conflicts
		{Target{Ratio: 1.2, Goal: 1.5}, true, true},
	} {
		if c.t.Conclusive() != c.conclusive || c.t.Met() != c.met {
			t.Errorf("%+v: conclusive %v met %v, want %v %v", c.t, c.t.Conclusive(), c.t.Met(), c.conclusive, c.met)
		}
	}
	r := &Report{Options: Options{WriteLevels: []int{16}, Rounds: 2}, Write: []WriteRow{
		{Path: PathRawPut, InFlight: 16, Round: 0}, {Path: PathIssuance, InFlight: 16, Round: 0},
		{Path: PathRawPut, InFlight: 16, Round: 1}, {Path: PathIssuance, InFlight: 16, Round: 1},
	}}
	for i, v := range []float64{100, 90, 100, 70} {
		r.Write[i].PerSecond = v
	}
	md := r.Markdown("")
	if !strings.Contains(md, "| credential issuance ÷ raw put, 16 in flight | 0.80 | 0.20 | ≥ 0.80 | ✗ rounds on both sides of the goal |") {
		t.Fatalf("report:\n%s", md)
	}
}

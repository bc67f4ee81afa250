package suite

import (
	"fmt"
	"image/color"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Report is one run's figures.
type Report struct {
	Started   time.Time
	Elapsed   time.Duration
	Smoke     bool
	Options   Options
	Write     []WriteRow
	Resources []ResourceRow
	Verify    []VerifyRow
	Scale     []ScaleRow
	History   []HistoryRow
	Crypto    []CryptoRow
	Index     []IndexRow
}

// Target is a ratio measured in the run against its goal: the median of
// the interleaved rounds' ratios, with the smallest and largest round.
type Target struct {
	Name     string
	Ratio    float64
	Goal     float64
	Higher   bool    // the ratio must be at least the goal (else at most)
	Min, Max float64 // the rounds' extremes; both Ratio for a count or a single figure
	rounds   bool
}

// Spread is the largest minus the smallest round's ratio.
func (t Target) Spread() float64 {
	if !t.rounds {
		return 0
	}
	return t.Max - t.Min
}

// Conclusive tells whether the rounds agree on the verdict: every round
// meets the goal, or none does. A spread across the goal means the run
// cannot tell, and the line fails.
func (t Target) Conclusive() bool {
	if !t.rounds {
		return true
	}
	if t.Higher {
		return t.Min >= t.Goal || t.Max < t.Goal
	}
	return t.Max <= t.Goal || t.Min > t.Goal
}

// Met tells whether the ratio reaches its goal in every round.
func (t Target) Met() bool {
	if !t.Conclusive() {
		return false
	}
	if t.Higher {
		return t.Ratio >= t.Goal
	}
	return t.Ratio <= t.Goal
}

// roundRatios is the median, smallest and largest of a/b over the rounds
// both have; ok is false when either has none.
func roundRatios(a, b map[int]float64) (median, lo, hi float64, ok bool) {
	var rs []float64
	for round, x := range a {
		if y, found := b[round]; found && y > 0 {
			rs = append(rs, x/y)
		}
	}
	if len(rs) == 0 {
		return 0, 0, 0, false
	}
	sort.Float64s(rs)
	return middle(rs), rs[0], rs[len(rs)-1], true
}

// middle is the median of sorted values.
func middle(sorted []float64) float64 {
	m := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		m = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	return m
}

// median is the median of the values by round (0 when none).
func median(byRound map[int]float64) float64 {
	if len(byRound) == 0 {
		return 0
	}
	vs := slices.Sorted(maps.Values(byRound))
	return middle(vs)
}

// writeRate is a write path's tx/s by round at k in flight.
func (r *Report) writeRate(path string, k int) map[int]float64 {
	out := map[int]float64{}
	for _, w := range r.Write {
		if w.Path == path && w.InFlight == k {
			out[w.Round] = w.PerSecond
		}
	}
	return out
}

// verifyRate is a verification path's req/s by round at c connections.
func (r *Report) verifyRate(path string, c int) map[int]float64 {
	out := map[int]float64{}
	for _, v := range r.Verify {
		if v.Path == path && v.Conns == c {
			out[v.Round] = v.PerSecond
		}
	}
	return out
}

// ratioTarget is the target a/b against goal, when both were measured.
func ratioTarget(out []Target, name string, a, b map[int]float64, goal float64) []Target {
	if m, lo, hi, ok := roundRatios(a, b); ok {
		out = append(out, Target{Name: name, Ratio: m, Goal: goal, Higher: true, Min: lo, Max: hi, rounds: true})
	}
	return out
}

// Targets are the goals, as ratios of this run.
func (r *Report) Targets() []Target {
	var out []Target
	for _, k := range r.Options.WriteLevels {
		raw := r.writeRate(PathRawPut, k)
		for _, p := range []string{PathIssuance, PathRegistration} {
			out = ratioTarget(out, fmt.Sprintf("%s ÷ raw put, %d in flight", p, k), r.writeRate(p, k), raw, 0.8)
		}
		// Diagnostic, not a goal of the issue: the product's code against a
		// raw put touching the same state.
		out = ratioTarget(out, fmt.Sprintf("credential issuance ÷ raw put of its shape, %d in flight", k), r.writeRate(PathIssuance, k), r.writeRate(PathShapedPut, k), 0.8)
		// Diagnostic: issuance's state without its listing indexes, the
		// most that moving listing off the chain could give.
		out = ratioTarget(out, fmt.Sprintf("raw put of issuance's reads (no listing index) ÷ raw put, %d in flight", k), r.writeRate(PathReadsPut, k), raw, 0.8)
		conflicts := 0
		for _, w := range r.Write {
			if w.InFlight == k {
				conflicts += w.Conflicts()
			}
		}
		if len(raw) > 0 {
			out = append(out, Target{Name: fmt.Sprintf("MVCC conflicts, %d in flight", k), Ratio: float64(conflicts)})
		}
	}
	for _, c := range r.Options.VerifyConns {
		out = ratioTarget(out, fmt.Sprintf("cached verification ÷ bare handler, %d connections", c), r.verifyRate(PathCached, c), r.verifyRate(PathBare, c), 0.5)
		out = ratioTarget(out, fmt.Sprintf("uncached verification ÷ raw Evaluate, %d connections", c), r.verifyRate(PathUncached, c), r.verifyRate(PathEvaluate, c), 0.8)
	}
	for _, x := range r.Index {
		stream, idx := x.rates()
		out = ratioTarget(out, fmt.Sprintf("index catch-up ÷ block stream (%s: %d blocks, %d record versions)", x.Channel, x.Blocks, x.Records), idx, stream, 0.5)
	}
	if n := len(r.Scale); n > 0 {
		last := r.Scale[n-1]
		out = append(out, Target{Name: fmt.Sprintf("disclosure page %d ÷ page 1 (p50, %d records)", last.DeepPageNo, last.Records), Ratio: float64(last.DeepPage.P50) / float64(last.Page1.P50), Goal: 1.5})
		if n > 1 {
			out = append(out, Target{Name: fmt.Sprintf("verification p50 at %d ÷ at %d records", last.Records, r.Scale[0].Records), Ratio: float64(last.Verify.P50) / float64(r.Scale[0].Verify.P50), Goal: 1.5})
		}
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// Markdown is the report as it goes into docs/PERFORMANCE.md.
func (r *Report) Markdown(chart string) string {
	var b strings.Builder
	mode := "full mode"
	if r.Smoke {
		mode = "smoke mode (small sizes; CI keeps the command working)"
	}
	fmt.Fprintf(&b, "Run %s, %s, %d CPUs, %s, took %s. Every figure comes from this one run on this machine; compare the ratios, not the absolute numbers.\n\n",
		r.Started.UTC().Format("2006-01-02 15:04 UTC"), mode, runtime.NumCPU(), runtime.Version(), r.Elapsed.Round(time.Second))
	if t := r.Targets(); len(t) > 0 {
		fmt.Fprintf(&b, "### Targets\n\nEach throughput ratio is the median of %d interleaved rounds (A B A B …, after the ledger settled); the spread is the largest minus the smallest round's ratio. A line whose rounds fall on both sides of the goal fails: the run cannot tell. Counts and scale figures are single measurements.\n\n| ratio | median | spread | goal | |\n|---|---|---|---|---|\n", max(1, r.Options.Rounds))
		for _, x := range t {
			mark, op := "✓", "≥"
			switch {
			case !x.Conclusive():
				mark = "✗ rounds on both sides of the goal"
			case !x.Met():
				mark = "✗"
			}
			if !x.Higher {
				op = "≤"
			}
			fmt.Fprintf(&b, "| %s | %.2f | %.2f | %s %.2f | %s |\n", x.Name, x.Ratio, x.Spread(), op, x.Goal, mark)
		}
		if chart != "" {
			fmt.Fprintf(&b, "\n![ratios against their goals](%s)\n", chart)
		}
		b.WriteString("\n")
	}
	if len(r.Write) > 0 {
		rounds := max(1, r.Options.Rounds)
		fmt.Fprintf(&b, "### 1. Ledger write path (channel %s, each submit waits for its commit; %d transactions per path and round (at least four times those in flight), %d rounds interleaved, after a warm-up of %d per path)\n\n", r.Options.WriteChannel, r.Options.RoundSize(0), rounds, max(4, r.Options.WriteN/16))
		b.WriteString("| path | in flight | round | tx/s | p50 commit | p99 commit | outcomes |\n|---|---|---|---|---|---|---|\n")
		for _, w := range r.Write {
			fmt.Fprintf(&b, "| %s | %d | %d | %.1f | %s | %s | %v |\n", w.Path, w.InFlight, w.Round+1, w.PerSecond, ms(w.P50), ms(w.P99), w.Outcomes)
		}
		b.WriteString("\n")
	}
	if len(r.Resources) > 0 {
		b.WriteString("### 5. Resources during scenario 1 (CPU: % of one core, averaged)\n\n| process | CPU | peak RSS |\n|---|---|---|\n")
		for _, x := range r.Resources {
			fmt.Fprintf(&b, "| %s | %.1f %% | %d MB |\n", x.Process, x.CPU, x.PeakRSSMB)
		}
		b.WriteString("\n")
	}
	if len(r.Verify) > 0 {
		fmt.Fprintf(&b, "### 2. Verification path (%s per run after a warm-up; the gateways are separate processes)\n\n", r.Options.VerifyFor)
		b.WriteString("| path | connections | round | req/s | p50 | p99 | outcomes |\n|---|---|---|---|---|---|---|\n")
		for _, v := range r.Verify {
			fmt.Fprintf(&b, "| %s | %d | %d | %.0f | %s | %s | %v |\n", v.Path, v.Conns, v.Round+1, v.PerSecond, ms(v.P50), ms(v.P99), v.Outcomes)
		}
		b.WriteString("\n")
	}
	if len(r.Scale) > 0 {
		fmt.Fprintf(&b, "### 3. Scale (channel %s; synthetic credential records bulk-loaded by `BenchLoad`, 1,000 per transaction, 8 in flight)\n\n", r.Options.ScaleChannel)
		b.WriteString("| records | bulk load | verification p50 / p99 | disclosure page 1 p50 / p99 | deep page | deep page p50 / p99 |\n|---|---|---|---|---|---|\n")
		for _, s := range r.Scale {
			rate := "already loaded"
			if s.LoadPerSec > 0 {
				rate = fmt.Sprintf("%.0f records/s", s.LoadPerSec)
			}
			fmt.Fprintf(&b, "| %d | %s | %s / %s | %s / %s | %d | %s / %s |\n", s.Records, rate, ms(s.Verify.P50), ms(s.Verify.P99), ms(s.Page1.P50), ms(s.Page1.P99), s.DeepPageNo, ms(s.DeepPage.P50), ms(s.DeepPage.P99))
		}
		b.WriteString("\n")
	}
	if len(r.History) > 0 {
		b.WriteString("### 3b. History read cost vs history length (1 KiB values, `History`)\n\n| versions | p50 | p99 | bytes |\n|---|---|---|---|\n")
		for _, h := range r.History {
			fmt.Fprintf(&b, "| %d | %s | %s | %d |\n", h.Versions, ms(h.Latency.P50), ms(h.Latency.P99), h.Bytes)
		}
		b.WriteString("\n")
	}
	if len(r.Index) > 0 {
		b.WriteString("### 3c. Supervision index (PostgreSQL): catch-up from genesis against the block stream alone, searches, export\n\n")
		b.WriteString("Stream and index interleaved (stream, index, stream, index, …), each index into an empty database; blocks/s are each side's median round, the ratio the median of the rounds' own ratios and their range. The stream alone decodes on one core, the index on every core. Taking the peer's valid marks (a diagnostic: the index re-checks every transaction) is one round, divided by the median stream.\n\n")
		b.WriteString("| channel | blocks | record versions | stream blocks/s (records/s) | index blocks/s (records/s) | ratio, median (rounds) | taking the peer's marks | ÷ median stream |\n|---|---|---|---|---|---|---|---|\n")
		for _, x := range r.Index {
			stream, idx := x.rates()
			m, lo, hi, _ := roundRatios(idx, stream)
			fmt.Fprintf(&b, "| %s | %d | %d | %.0f (%.0f) | %.0f (%.0f) | %.2f (%.2f–%.2f) | %.0f (%.0f) | %.2f |\n", x.Channel, x.Blocks, x.Records, x.StreamPerSec, x.StreamRecPerSec,
				x.IndexPerSec, x.IndexRecPerSec, m, lo, hi, x.TrustPerSec, x.TrustRecPerSec, x.TrustPerSec/x.StreamPerSec)
		}
		x := r.Index[0]
		fmt.Fprintf(&b, "\nOn %s: status filter p50 %s / p99 %s; name search p50 %s / p99 %s; CSV export of %d rows at %.0f rows/s, peak RSS +%d MB.\n\n",
			x.Channel, ms(x.Status.P50), ms(x.Status.P99), ms(x.Name.P50), ms(x.Name.P99), x.ExportRows, x.ExportPerSec, x.ExportRSSMB)
	}
	if len(r.Crypto) > 0 {
		b.WriteString("### 4. Crypto (one process, `testing.Benchmark`; ratio to the first row of each operation)\n\n| operation | implementation | per op | ratio |\n|---|---|---|---|\n")
		for _, c := range r.Crypto {
			fmt.Fprintf(&b, "| %s | %s | %.1f µs | %.2f× |\n", c.Op, c.Impl, float64(c.PerOp.Nanoseconds())/1000, c.Ratio)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Chart draws the measured ratios beside their goals as a PNG.
func (r *Report) Chart(path string) error {
	var names []string
	var got, goal plotter.Values
	for _, t := range r.Targets() {
		if strings.HasPrefix(t.Name, "MVCC") {
			continue // a count, not a ratio
		}
		names = append(names, shortName(t.Name))
		got = append(got, t.Ratio)
		goal = append(goal, t.Goal)
	}
	if len(got) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = "dataledger bench: measured ratio (blue), goal (grey; a floor, except the two scale ratios: ceilings)"
	p.Y.Label.Text = "ratio"
	w := vg.Points(12)
	bars, err := plotter.NewBarChart(got, w)
	if err != nil {
		return err
	}
	bars.Color = color.RGBA{R: 11, G: 61, B: 107, A: 255}
	bars.Offset = -w / 2
	goals, err := plotter.NewBarChart(goal, w)
	if err != nil {
		return err
	}
	goals.Color = color.Gray{Y: 170}
	goals.Offset = w / 2
	p.Add(bars, goals)
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0.6
	p.X.Tick.Label.XAlign = -1
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return p.Save(vg.Length(90+len(names)*50), 11*vg.Centimeter, path)
}

// shortName keeps a target's name readable under a bar.
func shortName(s string) string {
	for _, r := range [][2]string{
		{"credential issuance ÷ raw put of its shape", "issue÷shape"},
		{"credential issuance ÷ raw put", "issue÷put"},
		{"certificate registration ÷ raw put", "register÷put"},
		{"cached verification ÷ bare handler", "cached÷bare"},
		{"uncached verification ÷ raw Evaluate", "uncached÷eval"},
		{" in flight", ""},
		{" connections", "c"},
		{"verification p50 at", "verify"},
		{"disclosure page", "page"},
	} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}

// Section markers in docs/PERFORMANCE.md between which the report goes.
const (
	BeginMarker = "<!-- bench:begin (written by `dataledger bench`; edits here are replaced) -->"
	EndMarker   = "<!-- bench:end -->"
)

// WriteInto replaces the report section of a markdown file (appending it
// with a heading the first time).
func WriteInto(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	block := BeginMarker + "\n" + section + EndMarker + "\n"
	i, j := strings.Index(text, BeginMarker), strings.Index(text, EndMarker)
	if i >= 0 && j > i {
		text = text[:i] + block + text[j+len(EndMarker)+1:]
	} else {
		text += "\n## Benchmark report (`dataledger bench`)\n\n" + block
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

package suite

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
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
}

// Target is a ratio measured in the run against its goal.
type Target struct {
	Name   string
	Ratio  float64
	Goal   float64
	Higher bool // the ratio must be at least the goal (else at most)
}

// Met tells whether the ratio reaches its goal.
func (t Target) Met() bool {
	if t.Higher {
		return t.Ratio >= t.Goal
	}
	return t.Ratio <= t.Goal
}

func (r *Report) write(path string, k int) *WriteRow {
	for i := range r.Write {
		if r.Write[i].Path == path && r.Write[i].InFlight == k {
			return &r.Write[i]
		}
	}
	return nil
}

func (r *Report) verify(path string, c int) *VerifyRow {
	for i := range r.Verify {
		if r.Verify[i].Path == path && r.Verify[i].Conns == c {
			return &r.Verify[i]
		}
	}
	return nil
}

// Targets are the goals, as ratios of this run.
func (r *Report) Targets() []Target {
	var out []Target
	for _, k := range r.Options.WriteLevels {
		raw := r.write(PathRawPut, k)
		for _, p := range []string{PathIssuance, PathRegistration} {
			if w := r.write(p, k); raw != nil && w != nil && raw.PerSecond > 0 {
				out = append(out, Target{fmt.Sprintf("%s ÷ raw put, %d in flight", p, k), w.PerSecond / raw.PerSecond, 0.8, true})
			}
		}
		// Diagnostic, not a goal of the issue: the product's code against a
		// raw put touching the same state.
		if shaped, w := r.write(PathShapedPut, k), r.write(PathIssuance, k); shaped != nil && w != nil && shaped.PerSecond > 0 {
			out = append(out, Target{fmt.Sprintf("credential issuance ÷ raw put of its shape, %d in flight", k), w.PerSecond / shaped.PerSecond, 0.8, true})
		}
		conflicts := 0
		for _, w := range r.Write {
			if w.InFlight == k {
				conflicts += w.Conflicts()
			}
		}
		if raw != nil {
			out = append(out, Target{fmt.Sprintf("MVCC conflicts, %d in flight", k), float64(conflicts), 0, false})
		}
	}
	for _, c := range r.Options.VerifyConns {
		if bare, v := r.verify(PathBare, c), r.verify(PathCached, c); bare != nil && v != nil && bare.PerSecond > 0 {
			out = append(out, Target{fmt.Sprintf("cached verification ÷ bare handler, %d connections", c), v.PerSecond / bare.PerSecond, 0.5, true})
		}
		if raw, v := r.verify(PathEvaluate, c), r.verify(PathUncached, c); raw != nil && v != nil && raw.PerSecond > 0 {
			out = append(out, Target{fmt.Sprintf("uncached verification ÷ raw Evaluate, %d connections", c), v.PerSecond / raw.PerSecond, 0.8, true})
		}
	}
	if n := len(r.Scale); n > 0 {
		last := r.Scale[n-1]
		out = append(out, Target{fmt.Sprintf("disclosure page %d ÷ page 1 (p50, %d records)", last.DeepPageNo, last.Records), float64(last.DeepPage.P50) / float64(last.Page1.P50), 1.5, false})
		if n > 1 {
			out = append(out, Target{fmt.Sprintf("verification p50 at %d ÷ at %d records", last.Records, r.Scale[0].Records), float64(last.Verify.P50) / float64(r.Scale[0].Verify.P50), 1.5, false})
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
		b.WriteString("### Targets\n\n| ratio | measured | goal | |\n|---|---|---|---|\n")
		for _, x := range t {
			mark, op := "✓", "≥"
			if !x.Met() {
				mark = "✗"
			}
			if !x.Higher {
				op = "≤"
			}
			fmt.Fprintf(&b, "| %s | %.2f | %s %.2f | %s |\n", x.Name, x.Ratio, op, x.Goal, mark)
		}
		if chart != "" {
			fmt.Fprintf(&b, "\n![ratios against their goals](%s)\n", chart)
		}
		b.WriteString("\n")
	}
	if len(r.Write) > 0 {
		fmt.Fprintf(&b, "### 1. Ledger write path (channel %s, each submit waits for its commit; %d transactions per run, after a warm-up of %d per path)\n\n", r.Options.WriteChannel, r.Options.WriteN, max(4, r.Options.WriteN/16))
		b.WriteString("| path | in flight | tx/s | p50 commit | p99 commit | outcomes |\n|---|---|---|---|---|---|\n")
		for _, w := range r.Write {
			fmt.Fprintf(&b, "| %s | %d | %.1f | %s | %s | %v |\n", w.Path, w.InFlight, w.PerSecond, ms(w.P50), ms(w.P99), w.Outcomes)
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
		b.WriteString("| path | connections | req/s | p50 | p99 | outcomes |\n|---|---|---|---|---|---|\n")
		for _, v := range r.Verify {
			fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s | %v |\n", v.Path, v.Conns, v.PerSecond, ms(v.P50), ms(v.P99), v.Outcomes)
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

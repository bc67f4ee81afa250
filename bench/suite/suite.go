// Package suite runs dataledger's benchmark scenarios against a running
// network from its own process, each as a ratio against a baseline
// measured in the same run, and writes the report (markdown and a PNG
// chart). `dataledger bench` runs it; `--smoke` is the short mode CI runs.
package suite

import (
	"fmt"
	"io"
	"time"

	"dataledger/network"
)

// Options choose the sizes of a run.
type Options struct {
	Net         *network.Net
	Description string    // the network description's path (for the gateways it starts)
	Out         io.Writer // progress
	GatewayBin  string    // dataledger-gateway, started twice (cached, uncached) for the verification path
	Smoke       bool

	WriteLevels []int // transactions in flight
	WriteN      int   // transactions per path and level, split over Rounds
	// Rounds interleaves the paths compared by a ratio (A B A B …): each
	// path runs Rounds times at each level, each round 1/Rounds of the
	// work, and a ratio is the median of the rounds' ratios with their
	// spread, so a machine still busy with one run does not bias a ratio.
	Rounds       int
	VerifyConns  []int // HTTP connections / goroutines
	VerifyFor    time.Duration
	ScaleLevels  []int // records on the ledger
	HistoryLens  []int // versions of one key
	Skip         map[string]bool
	PortBase     int // the benchmark's own gateways listen on PortBase, PortBase+1
	WriteChannel string
	ScaleChannel string
	// BlocksChannel is given at least IndexBlocks blocks of one
	// transaction each (the orderers cut a block per transaction while
	// they are written, by two configuration updates) for the index's
	// catch-up of many blocks. Not in smoke runs: CI's network is shared
	// by the tests around it.
	BlocksChannel string
	IndexBlocks   int
}

// Full are the sizes of the manual run.
func Full() Options {
	return Options{WriteLevels: []int{16, 64, 256}, WriteN: 1536, Rounds: 3, VerifyConns: []int{32, 128}, VerifyFor: 10 * time.Second,
		ScaleLevels: []int{10_000, 100_000, 1_000_000}, HistoryLens: []int{1, 10, 100, 1000}, PortBase: 8180,
		WriteChannel: "nanning", ScaleChannel: "liuzhou", BlocksChannel: "province", IndexBlocks: 100_000, Skip: map[string]bool{}}
}

// Smoke keeps every scenario working in CI in well under two minutes.
func Smoke() Options {
	return Options{Smoke: true, WriteLevels: []int{4, 16}, WriteN: 36, Rounds: 3, VerifyConns: []int{8, 32}, VerifyFor: time.Second,
		ScaleLevels: []int{1000, 3000}, HistoryLens: []int{1, 5, 15}, PortBase: 8180,
		WriteChannel: "nanning", ScaleChannel: "liuzhou", BlocksChannel: "province", IndexBlocks: 0, Skip: map[string]bool{}}
}

// Scenarios are the names --skip accepts.
var Scenarios = []string{"write", "verify", "scale", "history", "index", "crypto"}

func (o *Options) logf(format string, args ...any) {
	fmt.Fprintf(o.Out, format+"\n", args...)
}

// Run runs every scenario not skipped and returns the report.
func Run(o Options) (*Report, error) {
	r := &Report{Started: time.Now(), Smoke: o.Smoke, Options: o}
	steps := []struct {
		name string
		run  func(*Options, *Report) error
	}{{"write", runWrite}, {"verify", runVerify}, {"scale", runScale}, {"history", runHistory}, {"index", runIndex}, {"crypto", runCrypto}}
	for _, s := range steps {
		if o.Skip[s.name] {
			continue
		}
		o.logf("== %s", s.name)
		start := time.Now()
		if err := s.run(&o, r); err != nil {
			return r, fmt.Errorf("%s: %w", s.name, err)
		}
		o.logf("   (%s)", time.Since(start).Round(time.Second))
	}
	r.Elapsed = time.Since(r.Started)
	return r, nil
}

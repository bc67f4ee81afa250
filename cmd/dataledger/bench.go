package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"dataledger/bench/suite"
)

func benchCmd() *cobra.Command {
	var smoke, noUp bool
	var report, img, skip, writeChannel, scaleChannel string
	var indexBlocks int
	var scale []int
	var writeN int
	cmd := &cobra.Command{
		Use:   "bench [--smoke] [--skip write,verify,scale,history,crypto]",
		Short: "Run the benchmark scenarios against the network, as ratios to baselines of the same run, and write the report",
		Long: `Brings the network up with the benchmark functions on (network up --bench;
on a running network this restarts only the chaincode servers), then runs, from
this process: the ledger write path (raw put vs credential issuance vs
certificate registration, with each process's CPU and memory), the
verification path (bare handler vs cached vs uncached vs raw Evaluate, through
two gateways it starts), scale (verification and disclosure pages with 10k,
100k, 1M records), history read cost, the supervision index's catch-up
(1M records; 100k blocks), searches and export, and crypto. The report replaces the
benchmark section of --report and the chart goes to --img.

--smoke runs every scenario at small sizes in well under two minutes (CI).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			o := suite.Full()
			if smoke {
				o = suite.Smoke()
			}
			if len(scale) > 0 {
				o.ScaleLevels = scale
			}
			if writeN > 0 {
				o.WriteN = writeN
			}
			if writeChannel != "" {
				o.WriteChannel = writeChannel
			}
			if scaleChannel != "" {
				o.ScaleChannel = scaleChannel
			}
			if cmd.Flags().Changed("index-blocks") {
				o.IndexBlocks = indexBlocks
			}
			for _, s := range strings.Split(skip, ",") {
				if s = strings.TrimSpace(s); s != "" {
					o.Skip[s] = true
				}
			}
			o.Net, o.Out, o.Description = n, cmd.OutOrStdout(), netFlags.description
			o.GatewayBin = filepath.Join(n.BinDir, "dataledger-gateway")
			if !noUp {
				n.Bench = true
				if err := n.Up(netFlags.tools); err != nil {
					return err
				}
			}
			r, err := suite.Run(o)
			if err != nil {
				return err
			}
			chart := ""
			if img != "" {
				chart = filepath.Join(img, "benchmarks.png")
				if err := r.Chart(chart); err != nil {
					return err
				}
				if rel, err := filepath.Rel(filepath.Dir(report), chart); err == nil {
					chart = rel
				}
			}
			md := r.Markdown(chart)
			if report != "" {
				if err := suite.WriteInto(report, md); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "report written to %s\n", report)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "\n"+md)
			return nil
		},
	}
	cmd.Flags().BoolVar(&smoke, "smoke", false, "small sizes, every scenario (CI)")
	cmd.Flags().BoolVar(&noUp, "no-up", false, "do not bring the network up (it must run with --bench)")
	cmd.Flags().StringVar(&report, "report", "docs/PERFORMANCE.md", "markdown file whose benchmark section is replaced (empty: print only)")
	cmd.Flags().StringVar(&img, "img", "docs/img", "directory of the chart (empty: none)")
	cmd.Flags().StringVar(&skip, "skip", "", "scenarios to skip: "+strings.Join(suite.Scenarios, ","))
	cmd.Flags().IntSliceVar(&scale, "scale", nil, "record counts of the scale scenario (default 10000,100000,1000000)")
	cmd.Flags().IntVar(&writeN, "write-n", 0, "transactions per write run (default 1024)")
	cmd.Flags().StringVar(&writeChannel, "write-channel", "", "channel of the write and verification paths (default nanning)")
	cmd.Flags().StringVar(&scaleChannel, "scale-channel", "", "channel of the scale scenario (default liuzhou)")
	cmd.Flags().IntVar(&indexBlocks, "index-blocks", 0, "blocks of one transaction each the index scenario gives the province channel and indexes (default 100000; 0: none)")
	cmd.PersistentFlags().StringVar(&netFlags.description, "description", "network/dataledger.yaml", "network description (YAML)")
	cmd.PersistentFlags().StringVar(&netFlags.home, "home", defaultHome(), "state directory ($DATALEDGER_HOME)")
	cmd.PersistentFlags().StringVar(&netFlags.tools, "fabric-tools", "network/fabrictools", "module that pins the Fabric release")
	return cmd
}

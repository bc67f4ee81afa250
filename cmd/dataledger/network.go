package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"dataledger/index"
	"dataledger/network"
	"dataledger/network/fabricbin"
)

var bench bool

var netFlags struct {
	description string
	home        string
	tools       string
}

func defaultHome() string {
	if h := os.Getenv("DATALEDGER_HOME"); h != "" {
		return h
	}
	return ".run"
}

func openNet(cmd *cobra.Command) (*network.Net, error) {
	return network.Open(netFlags.description, netFlags.home, cmd.OutOrStdout())
}

func networkCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "network", Short: "Run the Fabric network described in network/dataledger.yaml"}
	cmd.PersistentFlags().StringVar(&netFlags.description, "description", "network/dataledger.yaml", "network description (YAML)")
	cmd.PersistentFlags().StringVar(&netFlags.home, "home", defaultHome(), "state directory: crypto, ledgers, logs, PIDs ($DATALEDGER_HOME)")
	cmd.PersistentFlags().StringVar(&netFlags.tools, "fabric-tools", "network/fabrictools", "module that pins the Fabric release")

	var fromSnapshot bool
	up := &cobra.Command{
		Use:   "up",
		Short: "Build what is missing, generate config, start every process, create channels, deploy the chaincode, wait until ready",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			n.Bench, n.SnapshotJoins = bench, fromSnapshot
			return n.Up(netFlags.tools)
		},
	}
	up.Flags().BoolVar(&bench, "bench", false, "serve the benchmark functions (raw put, bulk load); never on a production network")
	up.Flags().BoolVar(&fromSnapshot, "join-from-snapshot", false, "a peer new to a channel that has more than its genesis block joins from a snapshot of another member peer's ledger instead of replaying every block (it then holds no block before the snapshot, and refuses a record's history that starts before it)")
	var purge bool
	down := &cobra.Command{
		Use:   "down [--purge]",
		Short: "Stop the processes the network started; --purge also deletes its state",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			if err := n.Down(purge); err != nil || !purge {
				return err
			}
			// The ledgers are gone: so is what the index held of them.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if dropped, err := index.DropDatabase(ctx, indexDSN(n.L.Home)); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "the supervision index's database was not dropped (%v): run bin/dataledger index reset for each channel before indexing the new network\n", err)
			} else if dropped {
				fmt.Fprintln(cmd.OutOrStdout(), "dropped the supervision index's database")
			}
			return nil
		},
	}
	down.Flags().BoolVar(&purge, "purge", false, "delete crypto material, ledgers and logs too, and the supervision index's database")
	down.Flags().StringVar(&indexDB, "index-db", "", "PostgreSQL URL of the supervision index (default: as dataledger index start chooses it)")
	status := &cobra.Command{
		Use:   "status",
		Short: "Every node with ports, PID and health; each peer's height per channel",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			return n.Status(cmd.OutOrStdout())
		},
	}
	var lines int
	logs := &cobra.Command{
		Use:   "logs NODE",
		Short: "The last lines of a node's log (e.g. peer0.citya, orderer0.citya, cc.peer0.citya)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			return n.Logs(args[0], lines, cmd.OutOrStdout())
		},
	}
	logs.Flags().IntVarP(&lines, "lines", "n", 100, "how many lines")
	cmd.AddCommand(up, down, status, logs)
	return cmd
}

func fabricCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "fabric", Short: "The Fabric binaries"}
	tools, caTools := "network/fabrictools", "network/catools"
	build := &cobra.Command{
		Use:   "build",
		Short: "Build Fabric " + fabricbin.Version + " and Fabric CA " + fabricbin.CAVersion + " binaries into the cache (instant when cached)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := fabricbin.Ensure(tools, cmd.OutOrStdout()); err != nil {
				return err
			}
			return fabricbin.EnsureCA(caTools, cmd.OutOrStdout())
		},
	}
	build.Flags().StringVar(&tools, "fabric-tools", tools, "module that pins the Fabric release")
	build.Flags().StringVar(&caTools, "ca-tools", caTools, "module that pins the Fabric CA release")
	dir := &cobra.Command{
		Use:   "dir",
		Short: "Print the directory of the cached binaries",
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), filepath.Join(fabricbin.Dir(), "bin"))
		},
	}
	cmd.AddCommand(build, dir)
	return cmd
}

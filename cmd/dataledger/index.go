package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"dataledger/index"
	"dataledger/network"
)

// indexDB is the supervision index's database as a flag gave it ("":
// indexDSN decides).
var indexDB string

// indexDSN is the index database of a network home: the flag, else
// $DATALEDGER_INDEX_DB, else a database on this machine's PostgreSQL named
// for the home's path (/work/main/.run: dataledger_run_1a2b3c4d), so that
// purging one network never drops another's index.
func indexDSN(home string) string {
	if indexDB != "" {
		return indexDB
	}
	if v := os.Getenv("DATALEDGER_INDEX_DB"); v != "" {
		return v
	}
	abs, err := filepath.Abs(home)
	if err != nil {
		abs = home
	}
	base := strings.Trim(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, filepath.Base(abs)), "_")
	sum := sha256.Sum256([]byte(abs))
	name := fmt.Sprintf("dataledger_%.24s_%x", base, sum[:4])
	return strings.Replace(index.DefaultDSN, "/dataledger?", "/"+name+"?", 1)
}

func indexCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "index", Short: "The supervision index: regulators' searches over every channel, in PostgreSQL"}
	cmd.PersistentFlags().StringVar(&netFlags.description, "description", "network/dataledger.yaml", "network description (YAML)")
	cmd.PersistentFlags().StringVar(&netFlags.home, "home", defaultHome(), "state directory ($DATALEDGER_HOME)")
	cmd.PersistentFlags().StringVar(&netFlags.tools, "fabric-tools", "network/fabrictools", "module that pins the Fabric release")
	cmd.PersistentFlags().StringVar(&indexDB, "db", "", "PostgreSQL URL of the index (default $DATALEDGER_INDEX_DB, else a database named for the home)")
	var org, user, adminListen string
	var maxBatch int
	start := &cobra.Command{
		Use:   "start [--org MSPID]",
		Short: "Start the index process: it follows every channel the org is on from the org's own peer (stopped by network down)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			args := []string{"--description", netFlags.description, "--home", n.L.Home, "--org", org, "--user", user, "--admin-listen", adminListen, "--max-batch", strconv.Itoa(maxBatch)}
			pid, err := n.StartService("index", filepath.Join(n.BinDir, "dataledger-index"), args, []string{"DATALEDGER_INDEX_DB=" + indexDSN(n.L.Home)})
			if err != nil {
				return err
			}
			if err := network.WaitReady("http://"+adminListen+"/readyz", 60*time.Second); err != nil {
				return fmt.Errorf("the index (pid %d) is not ready: %w; see %s", pid, err, n.L.LogFile("index"))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "supervision index following the channels of %s (pid %d)\n", org, pid)
			return nil
		},
	}
	start.Flags().StringVar(&org, "org", "ProvinceMSP", "the organization whose peer the index reads")
	start.Flags().StringVar(&user, "user", "regulator", "the user of that organization it reads as")
	start.Flags().IntVar(&maxBatch, "max-batch", 256, "most blocks stored in one database transaction while catching up")
	start.Flags().StringVar(&adminListen, "admin-listen", "127.0.0.1:9091", "address of its /readyz and /metrics (loopback)")
	stop := &cobra.Command{
		Use:   "stop",
		Short: "Stop the index process (it resumes from its checkpoint when started again)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			_, err = n.StopService("index")
			return err
		},
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Where the index stands on each channel: height audited and stored, last block's time, any broken block",
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := index.Open(cmd.Context(), indexDSN(netFlags.home))
			if err != nil {
				return err
			}
			defer db.Close()
			st, err := db.Channels(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "CHANNEL\tHEIGHT\tLAST BLOCK\tINDEXED\tAUDIT")
			for _, s := range st {
				audit := "every block passed"
				if s.Broken != nil {
					audit = fmt.Sprintf("BROKEN at block %d: %s", s.Broken.Block, s.Broken.Reason)
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", s.Channel, s.Height, when(s.LastBlockTime), when(s.IndexedAt), audit)
			}
			return tw.Flush()
		},
	}
	var channel string
	reset := &cobra.Command{
		Use:   "reset --channel NAME",
		Short: "Forget what the index holds of a channel: it is indexed anew from genesis (after a broken block was looked into, or a network set up anew)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := index.Open(cmd.Context(), indexDSN(netFlags.home))
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Reset(cmd.Context(), channel); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "channel %s: index reset; the index process indexes it from genesis when (re)started\n", channel)
			return nil
		},
	}
	reset.Flags().StringVar(&channel, "channel", "", "the channel")
	_ = reset.MarkFlagRequired("channel")
	cmd.AddCommand(start, stop, status, reset)
	return cmd
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"dataledger/certs"
	"dataledger/index"
	"dataledger/network"
	"dataledger/proof"
	"dataledger/report"
)

func reportCmd() *cobra.Command {
	var division, period, keyPath, passFile, department, out string
	var noRecord bool
	cmd := &cobra.Command{
		Use:   "report --jurisdiction DIVISION --period 2026Q4 --key KEY.pem --department NAME",
		Short: "Make a jurisdiction's periodic supervision report from the supervision index (HTML and XLSX), sign its summary with the authority's registered SM2 key and record it on the ledger",
		Long: `Reads the period's figures and lists (new authorizations, registrations,
objections by outcome, late and overdue items) from the supervision index,
writes report.html and report.xlsx, signs a summary holding each file's
SM3 digest (report.json) with the authority's issuer key, records it on the
jurisdiction's channel as the authority (RecordReport) and saves the proof
bundle of that record (report.proof.json). Anyone holding the directory
checks it offline with: dataledger report verify.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			var ch *network.Channel
			for i, c := range n.D.Channels {
				if c.DivisionCode == division {
					ch = &n.D.Channels[i]
				}
			}
			if ch == nil {
				return fmt.Errorf("--jurisdiction: no channel of division %s in %s", division, netFlags.description)
			}
			pem, err := os.ReadFile(keyPath)
			if err != nil {
				return err
			}
			pass, err := readPassphrase(passFile)
			if err != nil {
				return err
			}
			key, err := certs.ParsePrivateKeyPEM(pem, pass)
			if err != nil {
				return fmt.Errorf("--key: %w", err)
			}
			db, err := index.Open(cmd.Context(), indexDSN(n.L.Home))
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := report.Build(cmd.Context(), db, report.Spec{Channel: ch.Name, DivisionCode: ch.DivisionCode, Jurisdiction: ch.Jurisdiction,
				Period: period, Department: department, Now: time.Now()})
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join(n.L.Home, "reports", ch.Name+"-"+period)
			}
			doc, signed, err := c.Write(out, key)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s (%s): %s, %s in %s; figures true at block %d of %s\n", doc.Title, doc.ReportNumber, report.HTMLFile, report.XLSXFile, out, doc.IndexHeight, ch.Name)
			for _, f := range c.Figures {
				fmt.Fprintf(w, "  %s: %d\n", f.Label, f.Value)
			}
			if noRecord {
				fmt.Fprintln(w, "signed summary written (report.json); not recorded on the ledger (--no-record)")
				return nil
			}
			auth, err := n.Connect(ch.Authority, "authority", nil)
			if err != nil {
				return err
			}
			defer auth.Close()
			_, res, err := auth.RecordReport(ch.Name, signed)
			if err != nil {
				return fmt.Errorf("recording the report: %s", network.ErrorText(err))
			}
			b, err := proof.Build(auth, ch.Name, n.D.Chaincode.Name, proof.Kinds["report"], doc.ReportNumber)
			if err != nil {
				return fmt.Errorf("the report's proof bundle: %s", network.ErrorText(err))
			}
			raw, err := json.MarshalIndent(b, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, report.ProofFile), raw, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(w, "recorded on channel %s: block %d, transaction %s; proof bundle %s\n", ch.Name, res.BlockNumber, res.TxID, report.ProofFile)
			fmt.Fprintf(w, "check offline: bin/dataledger report verify --dir %s --key AUTHORITY.pub.pem --trust ROOTS.pem\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&division, "jurisdiction", "", "division code of the jurisdiction (its channel's)")
	cmd.Flags().StringVar(&period, "period", "", "2026Q4, 2026-11 or 2026")
	cmd.Flags().StringVar(&keyPath, "key", "", "the authority's SM2 issuer key (PKCS#8 PEM), registered on the channel")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "the key's passphrase (default: $"+passphraseEnv+")")
	cmd.Flags().StringVar(&department, "department", "", "the issuing department, as the key is registered")
	cmd.Flags().StringVar(&out, "out", "", "directory of the report (default HOME/reports/CHANNEL-PERIOD)")
	cmd.Flags().BoolVar(&noRecord, "no-record", false, "write and sign the report, but do not record it on the ledger")
	cmd.PersistentFlags().StringVar(&netFlags.description, "description", "network/dataledger.yaml", "network description (YAML)")
	cmd.PersistentFlags().StringVar(&netFlags.home, "home", defaultHome(), "state directory ($DATALEDGER_HOME)")
	cmd.PersistentFlags().StringVar(&netFlags.tools, "fabric-tools", "network/fabrictools", "module that pins the Fabric release")
	cmd.PersistentFlags().StringVar(&indexDB, "db", "", "PostgreSQL URL of the supervision index (default: as dataledger index start chooses it)")
	for _, f := range []string{"jurisdiction", "period", "key", "department"} {
		_ = cmd.MarkFlagRequired(f)
	}

	var dir, pubPath, trust string
	verify := &cobra.Command{
		Use:   "verify --dir DIR --key AUTHORITY.pub.pem --trust TRUST.json",
		Short: "Check a supervision report offline: its files' SM3 digests, its summary's SM2 signature and the proof that the ledger recorded it",
		RunE: func(cmd *cobra.Command, _ []string) error {
			pemBytes, err := os.ReadFile(pubPath)
			if err != nil {
				return err
			}
			pub, err := certs.ParsePublicKeyPEM(pemBytes)
			if err != nil {
				return fmt.Errorf("--key: %w", err)
			}
			pinned, err := loadTrust(trust)
			if err != nil {
				return err
			}
			v := report.Verify(dir, pub, pinned)
			w := cmd.OutOrStdout()
			for _, c := range v.Checks {
				mark := "✓"
				if !c.OK {
					mark = "✗"
				}
				fmt.Fprintf(w, "%s %s: %s\n", mark, c.Name, c.Detail)
			}
			if !v.OK {
				return fmt.Errorf("the report does not verify")
			}
			fmt.Fprintf(w, "✓ report %s (%s) verifies\n", v.Report.ReportNumber, v.Report.Title)
			return nil
		},
	}
	verify.Flags().StringVar(&dir, "dir", ".", "the report's directory")
	verify.Flags().StringVar(&pubPath, "key", "", "the authority's public key (SPKI PEM)")
	verify.Flags().StringVar(&trust, "trust", "", "the network's trust file to pin (dataledger proof trust; the network publishes it)")
	_ = verify.MarkFlagRequired("key")
	_ = verify.MarkFlagRequired("trust") // a bundle must not vouch for its own configuration
	cmd.AddCommand(verify)
	return cmd
}

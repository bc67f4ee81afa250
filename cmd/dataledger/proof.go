package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"dataledger/proof"
)

// maxBundle bounds a bundle read from a file or the gateway.
const maxBundle = 64 << 20

func proofCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "proof", Short: "Proof bundles: a record's block, configuration and endorsements, checked offline"}

	var gatewayURL, apiKey, out string
	get := &cobra.Command{
		Use:   "get NUMBER [-o FILE]",
		Short: "Fetch the proof bundle of a credential, certificate, objection, agreement or application from the gateway",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, _, err := proof.KindOf(args[0])
			if err != nil {
				return &exitError{2, err}
			}
			u := strings.TrimRight(gatewayURL, "/") + "/api/v1/" + kind.Name + "s/" + url.PathEscape(args[0]) + "/proof"
			req, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				return err
			}
			if apiKey != "" {
				req.Header.Set("Authorization", "Bearer "+apiKey)
			}
			res, err := (&http.Client{Timeout: time.Minute}).Do(req)
			if err != nil {
				return err
			}
			defer res.Body.Close()
			body, err := io.ReadAll(io.LimitReader(res.Body, maxBundle))
			if err != nil {
				return err
			}
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s: %s", u, res.Status, body)
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(body)
				return err
			}
			if err := os.WriteFile(out, body, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d bytes)\n", out, len(body))
			return nil
		},
	}
	get.Flags().StringVar(&gatewayURL, "gateway", envOr("DATALEDGER_GATEWAY", "http://127.0.0.1:8080"), "gateway base URL ($DATALEDGER_GATEWAY)")
	get.Flags().StringVar(&apiKey, "api-key", os.Getenv("DATALEDGER_API_KEY"), "API key ($DATALEDGER_API_KEY); none acts as the public")
	get.Flags().StringVarP(&out, "output", "o", "", "file to write (default: standard output)")

	var trustFile string
	var asJSON, genesisOnly bool
	var maxAge time.Duration
	verify := &cobra.Command{
		Use:   "verify BUNDLE|PRESENTATION [--trust TRUST.json]",
		Short: "Verify a proof bundle or a presentation with no network",
		Long: `Checks, with no network: the block's data hash covers its transactions; the
transaction is in it and marked VALID; its endorsements chain to the channel's
MSP roots and satisfy the endorsement policy (MAJORITY); the block carries
valid orderer signatures; the write set writes exactly the document; the
document's SM2 signature verifies with the issuer key recorded on the ledger.

For a credential or certificate, the same checks prove the latest version of
every record its status derives from (its own record, agreements, listed
credentials, party, issuer key); they must be exactly those records. The
status is then derived from them at the bundle's time, as the chaincode
derives it, and printed with its cause and every link. It is the status as of
the blocks the bundle proves: a later change shows only in a newer bundle.

--trust pins the channel's genesis block by hash (a trust file obtained out
of band, written by "dataledger proof trust"): the bundle's configuration
blocks must start at that genesis, and each later one must be an update the
configuration before it allowed (signed by the admins its modification
policies name, and by its orderers). A bundle cannot bring its own
configuration. Without --trust the bundle's first configuration is taken as
given and the report says so.

A presentation (` + proof.PresentationFormat + `: an enterprise's chosen
credentials and certificates, each with its bundle and stated status, signed
by the witness identity of the organization whose gateway made it) is
verified item by item the same way, each stated status and height against
its bundle, each item held by the presenting enterprise, and the signature
under every item's channel configuration. --max-age is the counterparty's own
rule: a presentation signed longer ago does not verify.

Exit status: 0 every check holds (whatever the derived status: read it);
1 a check fails; 2 the input is malformed (a dataledger-proof/1 bundle
included: fetch a new one).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pinned, err := loadTrust(trustFile)
			if err != nil {
				return &exitError{2, err}
			}
			data, err := readLimited(args[0], maxBundle)
			if err != nil {
				return &exitError{2, err}
			}
			if proof.IsPresentation(data) {
				p, err := proof.ParsePresentation(data)
				if err != nil {
					return &exitError{2, err}
				}
				r := proof.VerifyPresentation(p, pinned)
				if maxAge > 0 {
					r.NotOlderThan(maxAge, time.Now())
				}
				printReport(cmd.OutOrStdout(), r, asJSON)
				if !r.OK {
					return &exitError{1, fmt.Errorf("the presentation does not verify")}
				}
				return nil
			}
			b, err := proof.ParseBundle(data)
			if err != nil {
				return &exitError{2, err}
			}
			r := proof.Verify(b, pinned)
			printReport(cmd.OutOrStdout(), r, asJSON)
			if !r.OK {
				return &exitError{1, fmt.Errorf("the bundle does not verify")}
			}
			return nil
		},
	}
	verify.Flags().StringVar(&trustFile, "trust", "", "trust file pinning the channel's genesis block (dataledger proof trust)")
	verify.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	verify.Flags().DurationVar(&maxAge, "max-age", 0, "a presentation must have been signed within this long (e.g. 24h; 0: any age)")

	trust := &cobra.Command{
		Use:   "trust",
		Short: "Print this network's trust file (" + proof.TrustFormat + "), to publish for --trust",
		Long: `Prints, as JSON, each channel's genesis block hash and the organizations it
names (MSP ID, application member or orderer, root certificates), made from
the genesis blocks the network was created from, and the configuration block
in force as the orderers serve it (the network must be up; --genesis-only
pins the genesis blocks alone). Publish it out of band (the authority's
website, a signed notice): verifiers pin it. Bundles carry every
configuration block since genesis and the verifier judges each under the one
before; make the file again after a configuration change, so that a block
after it cannot name an older, weaker configuration.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			mk := n.Trust
			if genesisOnly {
				mk = n.GenesisTrust
			}
			tf, err := mk()
			if err != nil {
				return err
			}
			out, err := tf.Marshal()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	trust.Flags().BoolVar(&genesisOnly, "genesis-only", false, "pin the genesis blocks only, with no network (not the configuration in force)")
	trust.Flags().StringVar(&netFlags.description, "description", "network/dataledger.yaml", "network description (YAML)")
	trust.Flags().StringVar(&netFlags.home, "home", defaultHome(), "state directory ($DATALEDGER_HOME)")
	cmd.AddCommand(get, verify, trust)
	return cmd
}

func auditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Audit the ledger for regulators"}
	var channel, blockfiles, checkpoint, trustFile, org, user string
	chain := &cobra.Command{
		Use:   "chain --channel C [--blockfiles DIR] [--checkpoint FILE] [--trust TRUST.json]",
		Short: "Walk every block from genesis (or a checkpoint): previous hashes, data hashes, orderer signatures",
		Long: `Reads the blocks from a peer (as --org/--user of the network in --home) or,
with --blockfiles, from a copy of a node's block files with no network.
With --checkpoint the audit resumes where the last one stopped and saves
where this one stopped. Exit status: 0 the chain holds; 1 a broken link
(the first is reported); 2 the audit could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pinned, err := loadTrust(trustFile)
			if err != nil {
				return &exitError{2, err}
			}
			var cps proof.Checkpointer = proof.NewMemoryCheckpointer()
			if checkpoint != "" {
				fc, err := proof.NewFileCheckpointer(checkpoint)
				if err != nil {
					return &exitError{2, err}
				}
				cps = fc
			}
			var closeNet func()
			defer func() {
				if closeNet != nil {
					closeNet()
				}
			}()
			r, err := proof.Resume(channel, cps, func(from uint64) (proof.Blocks, error) {
				if blockfiles != "" {
					return proof.OpenBlockFiles(blockfiles)
				}
				n, err := openNet(cmd)
				if err != nil {
					return nil, err
				}
				c, err := n.Connect(org, user, nil)
				if err != nil {
					return nil, err
				}
				closeNet = c.Close
				return proof.NewQueryBlocks(c, channel, from)
			}, pinned)
			if r == nil {
				return &exitError{2, err}
			}
			r.Print(cmd.OutOrStdout())
			if err != nil { // the audit ran; its checkpoint could not be saved
				return &exitError{2, err}
			}
			if !r.OK() {
				return &exitError{1, fmt.Errorf("channel %s: broken at block %d", channel, r.FirstBroken.Block)}
			}
			return nil
		},
	}
	chain.Flags().StringVar(&channel, "channel", "", "channel to audit")
	chain.Flags().StringVar(&blockfiles, "blockfiles", "", "directory of a copy of a node's blockfile_* for the channel (no network)")
	chain.Flags().StringVar(&checkpoint, "checkpoint", "", "checkpoint file: resume from it, save to it")
	chain.Flags().StringVar(&trustFile, "trust", "", "trust file pinning the channel's genesis block (dataledger proof trust)")
	chain.Flags().StringVar(&org, "org", "ProvinceMSP", "MSP ID to read the blocks as")
	chain.Flags().StringVar(&user, "user", "regulator", "user of that org")
	chain.Flags().StringVar(&netFlags.description, "description", "network/dataledger.yaml", "network description (YAML)")
	chain.Flags().StringVar(&netFlags.home, "home", defaultHome(), "state directory ($DATALEDGER_HOME)")
	_ = chain.MarkFlagRequired("channel")
	cmd.AddCommand(chain)
	return cmd
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// readLimited reads a file, or standard input for "-", up to limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

// loadTrust reads the trust file a verifier pinned ("" : none).
func loadTrust(path string) (*proof.TrustFile, error) {
	if path == "" {
		return nil, nil
	}
	return proof.LoadTrust(path)
}

// printReport writes a verification report, as JSON or for people.
func printReport(w io.Writer, r interface{ Print(io.Writer) }, asJSON bool) {
	if !asJSON {
		r.Print(w)
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(r)
}

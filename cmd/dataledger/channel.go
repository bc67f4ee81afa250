package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"dataledger/network"
	"dataledger/proof"
)

// setEndorsement sets the endorsement policy of the application section
// app to the one its orgs make (network.EndorsementPolicy): an org added
// or removed changes the majority, in the same update the same admins
// sign.
func setEndorsement(n *network.Net, app *common.ConfigGroup) error {
	p := app.GetPolicies()["Endorsement"]
	if p == nil {
		return fmt.Errorf("the channel's configuration has no /Channel/Application/Endorsement policy")
	}
	members := slices.Sorted(maps.Keys(app.GetGroups()))
	var err error
	p.Policy, err = n.EndorsementPolicy(members)
	return err
}

// channelCmd changes a channel's configuration as a consortium does: one
// org proposes an update (a file), the admins its changes need sign the
// file in turn, one of them submits it. The orderers refuse an update
// short of the signatures; verifiers judge each configuration block the
// same way, from the genesis their trust file pins.
func channelCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "channel", Short: "Propose, sign and submit a channel configuration update, passed between orgs as a file"}
	cmd.PersistentFlags().StringVar(&netFlags.description, "description", "network/dataledger.yaml", "network description (YAML)")
	cmd.PersistentFlags().StringVar(&netFlags.home, "home", defaultHome(), "state directory ($DATALEDGER_HOME)")

	var channel, out, addOrg, from, removeOrg, addConsenter, removeConsenter, rotateTLS string
	var batchTimeout time.Duration
	propose := &cobra.Command{
		Use:   "propose --channel C (--batch-timeout D | --add-org MSPID [--from CHANNEL] | --remove-org MSPID | --add-consenter ORDERER | --remove-consenter ORDERER | --rotate-tls ORDERER) -o UPDATE",
		Short: "Write an unsigned configuration update of the channel's configuration in force",
		Long: `Reads the channel's configuration from the orderers, applies the change and
writes the update (the envelope "peer channel update -f" reads) to -o. The
change names which admins must sign: the batch timeout /Channel/Orderer/Admins
(the ordering orgs' admins), an application org added or removed
/Channel/Application/Admins (a majority of the channel's application orgs'
admins; the update also sets the endorsement policy the orgs then make:
a majority of them, or every keeper of the private data), a consenter added or removed /Channel/Orderer/Admins (a majority
of the ordering orgs' admins; one consenter at a time), a consenter's TLS
certificate rotated (the same admins; the next certificate its org
published with "dataledger org rotate-tls"). --add-org defines the org from its public material
(HOME/public/<org>, which "dataledger org init" writes and the org sends),
or with --from copies its definition from another channel it is a member
of. Then "dataledger channel sign UPDATE --org X" for each admin and
"dataledger channel submit UPDATE --org Y", which also writes the trust file
again (HOME/trust.json) to publish.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			var def *common.ConfigGroup
			if addOrg != "" && from == "" {
				// An org new to the channel, defined from what it published
				// (dataledger org init) alone.
				if def, err = n.OrgDefinition(channel, addOrg); err != nil {
					return fmt.Errorf("--add-org %s: %w", addOrg, err)
				}
			} else if addOrg != "" {
				src, _, err := n.ChannelConfig(from)
				if err != nil {
					return fmt.Errorf("--from %s: %w", from, err)
				}
				if def = src.GetChannelGroup().GetGroups()["Application"].GetGroups()[addOrg]; def == nil {
					return fmt.Errorf("--add-org: %s is not an application org of channel %s", addOrg, from)
				}
			}
			update, err := n.ProposeConfig(channel, func(c *common.Config) error {
				app := c.GetChannelGroup().GetGroups()["Application"]
				switch {
				case batchTimeout > 0:
					v := c.GetChannelGroup().GetGroups()["Orderer"].GetValues()["BatchTimeout"]
					if v == nil {
						return fmt.Errorf("channel %s has no orderer batch timeout", channel)
					}
					v.Value = mustProto(&orderer.BatchTimeout{Timeout: batchTimeout.String()})
				case addOrg != "":
					if app.GetGroups()[addOrg] != nil {
						return fmt.Errorf("%s is already an application org of channel %s", addOrg, channel)
					}
					app.Groups[addOrg] = proto.Clone(def).(*common.ConfigGroup)
					return setEndorsement(n, app)
				case addConsenter != "" || removeConsenter != "" || rotateTLS != "":
					id := addConsenter + removeConsenter + rotateTLS
					x := n.D.Orderer(id)
					if x == nil {
						return fmt.Errorf("no orderer %q in the description", id)
					}
					switch {
					case addConsenter != "":
						return n.AddConsenter(c, channel, x)
					case removeConsenter != "":
						return n.RemoveConsenter(c, channel, x)
					}
					return n.RotateConsenterTLS(c, channel, x)
				case removeOrg != "":
					if app.GetGroups()[removeOrg] == nil {
						return fmt.Errorf("%s is not an application org of channel %s", removeOrg, channel)
					}
					delete(app.Groups, removeOrg)
					return setEndorsement(n, app)
				default:
					return fmt.Errorf("name a change: --batch-timeout, --add-org [--from CHANNEL], --remove-org, --add-consenter, --remove-consenter or --rotate-tls")
				}
				return nil
			})
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, update, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: an unsigned update of channel %s (%d bytes)\n", out, channel, len(update))
			return nil
		},
	}
	propose.Flags().StringVar(&channel, "channel", "", "channel to change")
	propose.Flags().StringVarP(&out, "output", "o", "", "update file to write")
	propose.Flags().DurationVar(&batchTimeout, "batch-timeout", 0, "set the orderers' batch timeout")
	propose.Flags().StringVar(&addOrg, "add-org", "", "add this application org (MSP ID)")
	propose.Flags().StringVar(&from, "from", "", "channel whose definition of --add-org to copy (default: define it from the org's public material)")
	propose.Flags().StringVar(&removeOrg, "remove-org", "", "remove this application org (MSP ID)")
	propose.Flags().StringVar(&addConsenter, "add-consenter", "", "make this orderer (its ID, e.g. orderer0.exchange2) a Raft consenter of the channel, its org an ordering org from its public material if it is not one")
	propose.Flags().StringVar(&removeConsenter, "remove-consenter", "", "take this orderer out of the channel's consenters (its org out of the ordering orgs with its last one)")
	propose.Flags().StringVar(&rotateTLS, "rotate-tls", "", "name this consenter's next TLS certificate (its org's dataledger org rotate-tls) instead of the one in use")
	propose.MarkFlagsMutuallyExclusive("batch-timeout", "add-org", "remove-org", "add-consenter", "remove-consenter", "rotate-tls")
	_ = propose.MarkFlagRequired("channel")
	_ = propose.MarkFlagRequired("output")

	var org string
	sign := &cobra.Command{
		Use:   "sign UPDATE --org MSPID",
		Short: "Add the org admin's signature to an update file (in place)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, raw, err := openUpdate(cmd, args[0])
			if err != nil {
				return err
			}
			signed, err := n.SignConfig(raw, org)
			if err != nil {
				return err
			}
			if err := os.WriteFile(args[0], signed, 0o644); err != nil {
				return err
			}
			return showUpdate(cmd, signed)
		},
	}
	sign.Flags().StringVar(&org, "org", "", "org whose admin signs")
	_ = sign.MarkFlagRequired("org")

	submit := &cobra.Command{
		Use:   "submit UPDATE --org MSPID",
		Short: "Submit an update file as the org's admin (who signs it too) and wait for its configuration block",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, raw, err := openUpdate(cmd, args[0])
			if err != nil {
				return err
			}
			num, err := n.SubmitConfig(raw, org)
			if err != nil {
				return err
			}
			ch, _, _ := network.ReadConfigUpdate(raw)
			fmt.Fprintf(cmd.OutOrStdout(), "channel %s: configuration block %d holds the update\n", ch, num)
			return n.WriteTrust() // it pins the configuration in force: publish it again
		},
	}
	submit.Flags().StringVar(&org, "org", "", "org whose admin submits (and signs)")
	_ = submit.MarkFlagRequired("org")

	show := &cobra.Command{
		Use:   "show UPDATE",
		Short: "Print an update file's channel and the signatures it carries",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			return showUpdate(cmd, raw)
		},
	}
	cmd.AddCommand(propose, sign, submit, show)
	return cmd
}

// openUpdate opens the network and reads an update file.
func openUpdate(cmd *cobra.Command, path string) (*network.Net, []byte, error) {
	n, err := openNet(cmd)
	if err != nil {
		return nil, nil, err
	}
	raw, err := os.ReadFile(path)
	return n, raw, err
}

func showUpdate(cmd *cobra.Command, raw []byte) error {
	ch, cue, err := network.ReadConfigUpdate(raw)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "update of channel %s, %d signature(s)\n", ch, len(cue.Signatures))
	for _, s := range cue.Signatures {
		var sh common.SignatureHeader
		var id msp.SerializedIdentity
		name := "?"
		if proto.Unmarshal(s.SignatureHeader, &sh) == nil && proto.Unmarshal(sh.Creator, &id) == nil {
			name = id.Mspid
			if certs, err := proof.ParseCertificates(id.IdBytes); err == nil {
				name += ":" + certs[0].Subject.CommonName
			}
		}
		fmt.Fprintf(cmd.OutOrStdout(), "  signed by %s\n", name)
	}
	return nil
}

func mustProto(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

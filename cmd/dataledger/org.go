package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"dataledger/network/fabricbin"
)

// orgCmd is what one org does on its own host to take part: make its
// keys and identities in its own directory and publish what the others
// need (public material only).
func orgCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "One org's own material: its keys, identities and what it publishes"}
	cmd.PersistentFlags().StringVar(&netFlags.description, "description", "network/dataledger.yaml", "network description (YAML)")
	cmd.PersistentFlags().StringVar(&netFlags.home, "home", defaultHome(), "state directory ($DATALEDGER_HOME)")
	cmd.PersistentFlags().StringVar(&netFlags.tools, "fabric-tools", "network/fabrictools", "module that pins the Fabric release")
	var org string
	initCmd := &cobra.Command{
		Use:   "init --org MSPID",
		Short: "Make the org's CAs, node and user identities in HOME/orgs/<org> and publish its public material in HOME/public/<org>",
		Long: `Creates the org's keys and nothing else, all in HOME/orgs/<org>: its Fabric CA
(fabric-ca-server, run for as long as the command needs it; it makes the
org's CA and TLS roots once and never again), and from it, registered and
enrolled, every identity the org holds: its nodes' by their roles (peer,
orderer) with their TLS keys, its admin's, its users' with their roles in
their certificates, its chaincode servers' TLS keys. Then it publishes, in
HOME/public/<org>, what the other orgs and the channels' configurations
need: the verifying MSP (CA and TLS roots, NodeOUs) and its orderers' TLS
certificates. No private key is ever written there. Run again after the
org gains a node: only the new node is enrolled. Prints the public files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			if err := fabricbin.EnsureAll(netFlags.tools, cmd.ErrOrStderr()); err != nil {
				return err
			}
			files, err := n.InitOrg(org, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s publishes %d files:\n", org, len(files))
			for _, f := range files {
				fmt.Fprintln(cmd.OutOrStdout(), " ", f)
			}
			return nil
		},
	}
	initCmd.Flags().StringVar(&org, "org", "", "the org (MSP ID)")
	_ = initCmd.MarkFlagRequired("org")
	cmd.AddCommand(initCmd)

	var orderer string
	rotate := &cobra.Command{
		Use:   "rotate-tls --orderer ID",
		Short: "Issue an orderer's next TLS key and certificate from its org's TLS CA and publish the certificate",
		Long: `The org's step of rotating an orderer's TLS certificate. The next key and
certificate (the names of the one in use) are kept in the orderer's tls/next
directory, in the org's own directory; the certificate is published as
HOME/public/<org>/orderers/<orderer>-tls.next.crt. Then, on each channel the
orderer is a consenter of, "dataledger channel propose --channel C
--rotate-tls ID", signed by a majority of the ordering orgs' admins, and
submitted; then "dataledger network up", which puts the next key and
certificate in place and restarts the orderer once every channel names it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			published, err := n.IssueNextTLS(orderer, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s's next TLS certificate is published: %s\n", orderer, published) // offered, when run as the org's account: root's up or rotate-tls publishes it
			return nil
		},
	}
	rotate.Flags().StringVar(&orderer, "orderer", "", "the orderer (its ID, e.g. orderer0.exchange)")
	_ = rotate.MarkFlagRequired("orderer")
	cmd.AddCommand(rotate)
	return cmd
}

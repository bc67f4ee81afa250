package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"dataledger/network"
)

// caCmd runs an org's own certificate authority (Fabric CA, signing with
// the org's CA key): enrolls its identities with their roles and credit
// codes, and revokes them, publishing the CRL in the configuration of the
// org's channels by its own admin's signature.
func caCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ca", Short: "An org's certificate authority: start it, enroll and revoke identities"}
	cmd.PersistentFlags().StringVar(&netFlags.description, "description", "network/dataledger.yaml", "network description (YAML)")
	cmd.PersistentFlags().StringVar(&netFlags.home, "home", defaultHome(), "state directory ($DATALEDGER_HOME)")
	var org string
	var port int
	cmd.PersistentFlags().StringVar(&org, "org", "", "the org (MSP ID) whose CA it is")
	cmd.PersistentFlags().IntVar(&port, "port", 0, "the CA's port on 127.0.0.1, its operations endpoint the next one (0: the port it was started on, or 7054)")
	_ = cmd.MarkPersistentFlagRequired("org")
	startCA := func(cmd *cobra.Command) (*network.Net, *network.CA, error) {
		n, err := openNet(cmd)
		if err != nil {
			return nil, nil, err
		}
		ca, err := n.StartCA(org, port)
		return n, ca, err
	}
	// openCA is the org's CA for one command: the one started for it, or
	// one run for as long as the command (as the org's account, where
	// the org has one).
	openCA := func(cmd *cobra.Command) (*network.Net, *network.CA, error) {
		n, err := openNet(cmd)
		if err != nil {
			return nil, nil, err
		}
		ca, done, err := n.OpenCA(org)
		if err == nil {
			cobra.OnFinalize(done)
		}
		return n, ca, err
	}
	start := &cobra.Command{
		Use:   "start --org MSPID [--port P]",
		Short: "Start the org's Fabric CA (its state in the org's directory; network down stops it)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, ca, err := startCA(cmd)
			if err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "the CA of %s answers at %s\n", org, ca.URL())
			}
			return err
		},
	}
	var role, creditCode string
	enroll := &cobra.Command{
		Use:   "enroll NAME --org MSPID --role ROLE [--credit-code CODE]",
		Short: "Register and enroll an identity of the org, its role (and an enterprise's credit code) in its certificate",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, ca, err := openCA(cmd)
			if err != nil {
				return err
			}
			if err := ca.Enroll(network.User{Name: args[0], Role: role, CreditCode: creditCode}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "enrolled %s (%s) of %s into %s\n", args[0], role, org, n.L.UserMSP(n.D.Org(org), args[0]))
			return nil
		},
	}
	enroll.Flags().StringVar(&role, "role", "", "its role (domain roles: authority, operator, clerk, enterprise, …)")
	enroll.Flags().StringVar(&creditCode, "credit-code", "", "an enterprise identity's credit code")
	_ = enroll.MarkFlagRequired("role")
	var reason string
	revoke := &cobra.Command{
		Use:   "revoke NAME --org MSPID [--reason R]",
		Short: "Revoke an identity's certificates and publish the CRL in the org's channels (its admin signs)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, ca, err := openCA(cmd)
			if err != nil {
				return err
			}
			crl, err := ca.Revoke(args[0], reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s of %s\n", args[0], org)
			return publishCRL(cmd, n, org, crl)
		},
	}
	revoke.Flags().StringVar(&reason, "reason", "unspecified", "the revocation reason (RFC 5280 name: keycompromise, superseded, …)")
	crl := &cobra.Command{
		Use:   "crl --org MSPID",
		Short: "Publish the CA's CRL in the org's channels again (after a revoke whose publication failed)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, ca, err := openCA(cmd)
			if err != nil {
				return err
			}
			crl, err := ca.CRL()
			if err != nil {
				return err
			}
			return publishCRL(cmd, n, org, crl)
		},
	}
	var tlsCA bool
	issued := &cobra.Command{
		Use:   "certificates --org MSPID [--tls]",
		Short: "List every certificate the org's CA (or its TLS CA) has issued: serial, subject, validity",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, ca, err := openCA(cmd)
			if err != nil {
				return err
			}
			certs, err := ca.Issued(tlsCA)
			if err != nil {
				return err
			}
			for _, c := range certs {
				fmt.Fprintf(cmd.OutOrStdout(), "%x\t%s\t%s\t%s\n", c.SerialNumber, c.Subject, c.NotBefore.UTC().Format("2006-01-02"), c.NotAfter.UTC().Format("2006-01-02"))
			}
			return nil
		},
	}
	issued.Flags().BoolVar(&tlsCA, "tls", false, "the TLS CA's certificates")
	stop := &cobra.Command{
		Use:   "stop --org MSPID",
		Short: "Stop the org's CA",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			return n.StopCA(org)
		},
	}
	cmd.AddCommand(start, enroll, revoke, crl, issued, stop)
	return cmd
}

// publishCRL puts the CA's CRL in the org's channels and writes the
// trust file again (it pins the configuration in force: publish it).
func publishCRL(cmd *cobra.Command, n *network.Net, org string, crl []byte) error {
	blocks, err := n.PublishCRL(org, crl)
	if err != nil {
		return fmt.Errorf("%w (publish it again: dataledger ca crl --org %s)", err, org)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "the CRL of %s's CA is in configuration blocks %v\n", org, blocks)
	return n.WriteTrust()
}

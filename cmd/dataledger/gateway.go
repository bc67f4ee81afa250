package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"dataledger/gateway"
)

func gatewayCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "gateway", Short: "The HTTP gateway's API keys"}
	keysPath := ".run/gateway/keys.json"
	cmd.PersistentFlags().StringVar(&keysPath, "keys", keysPath, "API key file (hashes only)")
	keys := &cobra.Command{Use: "keys", Short: "Create, list and revoke API keys"}
	var org, role string
	create := &cobra.Command{
		Use:   "create --org MSPID --role ROLE",
		Short: "Create a key; its secret is printed once",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ks, err := gateway.OpenKeyStore(keysPath)
			if err != nil {
				return err
			}
			secret, k, err := ks.Create(org, role)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\n", secret)
			fmt.Fprintf(cmd.ErrOrStderr(), "key %s for %s as %s: keep the secret; only its hash is stored\n", k.ID, k.Org, k.Role)
			return nil
		},
	}
	create.Flags().StringVar(&org, "org", "", "MSP ID the caller acts for")
	create.Flags().StringVar(&role, "role", "", "enterprise | exchange | regulator | issuer | admin")
	_ = create.MarkFlagRequired("org")
	_ = create.MarkFlagRequired("role")
	list := &cobra.Command{
		Use:   "list",
		Short: "List keys (no secrets)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ks, err := gateway.OpenKeyStore(keysPath)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tORG\tROLE\tCREATED\tREVOKED")
			for _, k := range ks.List() {
				revoked := "-"
				if k.Revoked != nil {
					revoked = k.Revoked.Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Org, k.Role, k.Created.Format("2006-01-02 15:04"), revoked)
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a key (kept, marked revoked)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, err := gateway.OpenKeyStore(keysPath)
			if err != nil {
				return err
			}
			return ks.Revoke(args[0])
		},
	}
	keys.AddCommand(create, list, revoke)
	cmd.AddCommand(keys)
	return cmd
}

package main

import (
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/network"
)

func gatewayCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "gateway", Short: "The HTTP gateway's API keys"}
	keysPath := ".run/gateway/keys.json"
	cmd.PersistentFlags().StringVar(&keysPath, "keys", keysPath, "API key file (hashes only)")
	keys := &cobra.Command{Use: "keys", Short: "Create, list and revoke API keys"}
	var org, role, creditCode string
	create := &cobra.Command{
		Use:   "create --org MSPID --role ROLE [--credit-code CODE]",
		Short: "Create a key; its secret is printed once",
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The gateway acts for a key as a user of its org: refuse a key
			// the network has no such user for (a regulator key of a city).
			if d, err := network.Load(netFlags.description); err == nil {
				o := d.Org(org)
				if o == nil {
					return fmt.Errorf("--org: no organization %q in %s", org, netFlags.description)
				}
				if user, ok := gateway.DefaultConfig().UserFor[role]; ok && !o.HasUser(user) {
					return fmt.Errorf("--role %s: %s has no %q user in %s, whom the gateway would act as", role, org, user, netFlags.description)
				}
			}
			ks, err := gateway.OpenKeyStore(keysPath)
			if err != nil {
				return err
			}
			var secret string
			var k *gateway.APIKey
			if role == gateway.RoleEnterprise {
				// The enterprise's own identity, issued by its org's CA with
				// its credit code: it reads only that enterprise's records.
				n, err := openNet(cmd)
				if err != nil {
					return err
				}
				if err := domain.ValidateCreditCode("--credit-code", creditCode); err != nil {
					return err
				}
				if err := n.EnrollUser(org, network.EnterpriseUser(creditCode)); err != nil {
					return err
				}
				secret, k, err = ks.CreateEnterprise(org, creditCode)
			} else if creditCode != "" {
				return fmt.Errorf("--credit-code: only an enterprise key acts for one enterprise")
			} else {
				secret, k, err = ks.Create(org, role)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\n", secret)
			fmt.Fprintf(cmd.ErrOrStderr(), "key %s for %s as %s: keep the secret; only its hash is stored\n", k.ID, k.Org, keyRole(*k))
			return nil
		},
	}
	create.Flags().StringVar(&org, "org", "", "MSP ID the caller acts for")
	create.Flags().StringVar(&role, "role", "", "enterprise | exchange | regulator | issuer | admin")
	create.Flags().StringVar(&creditCode, "credit-code", "", "the enterprise an enterprise key acts for (its identity is issued by --org's CA in --home)")
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
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Org, keyRole(k), k.Created.Format("2006-01-02 15:04"), revoked)
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
	var listen, adminListen, redisAddr string
	var noCache bool
	var noIndex bool
	var exchangeOrg, name, witness, publicOrg, ownOrg string
	var witnessPeers []string
	var witnessPeriod time.Duration
	start := &cobra.Command{
		Use:   "start [--listen ADDR] [--redis ADDR]",
		Short: "Start the gateway in front of the running network (stopped by network down)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			args := []string{"--listen", listen, "--admin-listen", adminListen, "--description", netFlags.description, "--home", n.L.Home, "--keys", keysPath}
			if redisAddr != "" {
				args = append(args, "--redis", redisAddr)
			}
			// In the environment: a URL may hold a password.
			env := []string{"DATALEDGER_GATEWAY_INDEX_DB=" + indexDSN(n.L.Home)}
			if noIndex {
				env = nil
			}
			if noCache {
				args = append(args, "--no-cache")
			}
			if exchangeOrg != "" {
				args = append(args, "--exchange-org", exchangeOrg)
			}
			if publicOrg != "" {
				args = append(args, "--public-org", publicOrg)
			}
			if ownOrg != "" {
				args = append(args, "--org", ownOrg)
			}
			if name != "gateway" { // a second gateway (another org's) keeps its own state
				args = append(args, "--state", filepath.Join(n.L.Home, name))
			}
			if witness != "" {
				args = append(args, "--witness", witness, "--witness-period", witnessPeriod.String())
				for _, p := range witnessPeers {
					args = append(args, "--witness-peer", p)
				}
			}
			pid, err := n.StartService(name, filepath.Join(n.BinDir, "dataledger-gateway"), args, env)
			if err != nil {
				return err
			}
			if err := network.WaitReady("http://"+adminListen+"/readyz", 60*time.Second); err != nil {
				return fmt.Errorf("the gateway (pid %d) is not ready: %w; see %s", pid, err, n.L.LogFile(name))
			}
			what := ""
			if witness != "" {
				what = ", witness for " + witness
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s ready on http://%s (pid %d%s)\n", name, listen, pid, what)
			return nil
		},
	}
	start.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to serve on")
	start.Flags().StringVar(&adminListen, "admin-listen", "127.0.0.1:9090", "address of /metrics and /readyz (loopback)")
	start.Flags().StringVar(&redisAddr, "redis", "", "Redis for the shared cache (empty: in-process)")
	start.Flags().StringVar(&indexDB, "index-db", "", "PostgreSQL URL of the supervision index (default: as dataledger index start chooses it)")
	start.Flags().BoolVar(&noIndex, "no-index", false, "serve no supervision index (its routes answer 503)")
	start.Flags().BoolVar(&noCache, "no-cache", false, "answer every lookup from the ledger (for measurements)")
	start.Flags().StringVar(&exchangeOrg, "exchange-org", "", "record, as this exchange org, receipt of every new certificate")
	start.Flags().StringVar(&publicOrg, "public-org", "", "the org whose clerk serves callers without a key, from its own peer (default ProvinceMSP)")
	start.Flags().StringVar(&ownOrg, "org", "", "the one org (MSP ID) this gateway acts for: only its identities are loaded, keys of other orgs are refused (default: every org's)")
	start.Flags().StringVar(&name, "name", "gateway", "the service's name (its PID file, log and, for another than gateway, state directory)")
	start.Flags().StringVar(&witness, "witness", "", "ORG/USER: witness that org's chain heads with that identity (its witness user)")
	start.Flags().StringArrayVar(&witnessPeers, "witness-peer", nil, "base URL of another org's gateway to compare heads with (repeatable)")
	start.Flags().DurationVar(&witnessPeriod, "witness-period", 30*time.Second, "how often heads are compared")
	stop := &cobra.Command{
		Use:   "stop",
		Short: "Stop the gateway",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			_, err = n.StopService(name)
			return err
		},
	}
	stop.Flags().StringVar(&name, "name", "gateway", "the service to stop")
	cmd.PersistentFlags().StringVar(&netFlags.description, "description", "network/dataledger.yaml", "network description (YAML)")
	cmd.PersistentFlags().StringVar(&netFlags.home, "home", defaultHome(), "state directory ($DATALEDGER_HOME)")
	cmd.AddCommand(keys, start, stop)
	return cmd
}

// keyRole is a key's role as keys list shows it: an enterprise key with
// its credit code, or marked for re-creation when it has none.
func keyRole(k gateway.APIKey) string {
	switch {
	case k.Role != gateway.RoleEnterprise:
		return k.Role
	case k.CreditCode == "":
		return k.Role + " (no credit code: re-create)"
	}
	return k.Role + " " + k.CreditCode
}

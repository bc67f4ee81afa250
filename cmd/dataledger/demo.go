package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"dataledger/certs"
	"dataledger/chaincode/contract"
	"dataledger/chaincode/domain"
	"dataledger/network"
)

// The sample enterprise of the demo (a valid GB 32100 code in 南宁市青秀区).
const demoCreditCode = "91450100MA5L0000AW"

func demoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Show the running network at work on sample data",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			return runDemo(n, cmd)
		},
	}
}

func runDemo(n *network.Net, cmd *cobra.Command) error {
	w := cmd.OutOrStdout()
	op, err := n.Connect("CityAMSP", "operator", nil)
	if err != nil {
		return err
	}
	defer op.Close()
	in, _ := json.Marshal(domain.PartyInput{CreditCode: demoCreditCode, Name: "广西数智科技有限公司", Role: domain.PartyEnterprise, DivisionCode: "450103"})
	fmt.Fprintln(w, "1. 南宁市 (CityAMSP operator) registers an enterprise on channel nanning")
	res, err := op.Submit("nanning", "RegisterParty", string(in))
	switch {
	case err == nil:
		fmt.Fprintf(w, "   committed: channel %s, block %d, tx %s\n", res.Channel, res.BlockNumber, res.TxID)
	case strings.Contains(network.ErrorText(err), domain.RulePartyUnique):
		fmt.Fprintf(w, "   already registered (refused by %s, ledger unchanged)\n", domain.RulePartyUnique)
	default:
		return fmt.Errorf("%s", network.ErrorText(err))
	}

	fmt.Fprintln(w, "2. the exchange reads it from its own peer")
	ex, err := n.Connect("ExchangeMSP", "exchange", nil)
	if err != nil {
		return err
	}
	defer ex.Close()
	b, err := ex.Evaluate("nanning", "GetParty", demoCreditCode)
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	var p domain.Party
	_ = json.Unmarshal(b, &p)
	fmt.Fprintf(w, "   %s %s (%s, %s) status %s, onboarded %s by %s/%s\n", p.CreditCode, p.Name, domain.PartyRoles[p.Role], p.DivisionCode, p.Status, p.Onboarded.Time, p.Onboarded.Actor.MSP, p.Onboarded.Actor.Role)

	fmt.Fprintln(w, "3. a clerk without the authority role tries to change nanning's policy profile")
	clerk, err := n.Connect("CityAMSP", "clerk", nil)
	if err != nil {
		return err
	}
	defer clerk.Close()
	if _, err := clerk.Submit("nanning", "AdoptProfile", "NS", "试图越权"); err != nil {
		fmt.Fprintf(w, "   refused: %s\n", network.ChaincodeMessage(err))
	} else {
		return fmt.Errorf("a clerk changed the policy profile")
	}

	fmt.Fprintln(w, "4. the province regulator reads the record's full history")
	reg, err := n.Connect("ProvinceMSP", "regulator", nil)
	if err != nil {
		return err
	}
	defer reg.Close()
	b, err = reg.Evaluate("nanning", "History", "party", demoCreditCode)
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	var hist []contract.HistoryItem
	_ = json.Unmarshal(b, &hist)
	for _, h := range hist {
		var v domain.Party
		_ = json.Unmarshal(h.Record, &v)
		fmt.Fprintf(w, "   %s  tx %s…  %s → %s\n", h.Time, h.TxID[:16], v.Last.Action, v.Status)
	}

	fmt.Fprintln(w, "5. an issuer signs a sample 电子凭证 with SM2/SM3 and anyone verifies it offline")
	keyDir := filepath.Join(n.L.Home, "demo", "keys")
	key, err := demoKey(keyDir)
	if err != nil {
		return err
	}
	cred := certs.Credential{
		Type: certs.TypeCredential, AuthorizationNumber: domain.Number{Prefix: domain.PrefixAuthorization, Division: "450100", Year: 2026, Serial: "DEM00001"}.String(),
		HolderName: "广西数智科技有限公司", HolderCreditCode: demoCreditCode,
		Scope: "南宁市公共交通客流统计数据（目录授权）", ValidFrom: "2026-01-01", ValidUntil: "2028-12-31",
		IssuingDepartment: "南宁市大数据发展局", IssueDate: time.Now().Format(time.DateOnly),
		DivisionCode: "450100", Channel: "nanning", AgreementDigest: certs.SM3Hex([]byte("sample catalog authorization agreement")),
	}
	doc, _ := json.Marshal(cred)
	signed, err := certs.Sign(doc, key, nil)
	if err != nil {
		return err
	}
	credPath := filepath.Join(n.L.Home, "demo", "credential.json")
	if err := os.WriteFile(credPath, signed, 0o644); err != nil {
		return err
	}
	v, err := certs.VerifyOffline(signed, certs.KeyRing{key.Public().KeyID(): key.Public()})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   valid signature by key %s\n", v.KeyID)
	for _, f := range v.Document.Fields()[:6] {
		fmt.Fprintf(w, "   %s: %s\n", f.Label, f.Value)
	}
	fmt.Fprintf(w, "   try: bin/dataledger cert verify --offline --key %s %s\n", filepath.Join(keyDir, "demo-issuer.pub.pem"), credPath)
	return nil
}

func demoKey(dir string) (*certs.PrivateKey, error) {
	path := filepath.Join(dir, "demo-issuer.key.pem")
	if data, err := os.ReadFile(path); err == nil {
		return certs.ParsePrivateKeyPEM(data, nil)
	}
	k, err := certs.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	pemKey, _ := k.PEM(nil)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pemKey, 0o600); err != nil {
		return nil, err
	}
	return k, os.WriteFile(filepath.Join(dir, "demo-issuer.pub.pem"), k.Public().PEM(), 0o644)
}

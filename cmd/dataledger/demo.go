package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/index"
	"dataledger/network"
	"dataledger/network/sample"
	"dataledger/proof"
)

// demoGatewayURL is where scripts/up.sh starts the gateway.
var demoGatewayURL = "http://127.0.0.1:8080"

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
	in := domain.PartyInput{CreditCode: demoCreditCode, Name: "广西数智科技有限公司", Role: domain.PartyEnterprise, DivisionCode: "450103"}
	fmt.Fprintln(w, "1. 南宁市 (CityAMSP operator) registers an enterprise on channel nanning")
	_, res, err := op.RegisterParty("nanning", in)
	err = n.Held(res, err)
	switch {
	case err == nil:
		fmt.Fprintf(w, "   committed: channel %s, block %d, tx %s\n", res.Channel, res.BlockNumber, res.TxID)
	case domain.IsRule(err, domain.RulePartyUnique):
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
	p, err := ex.GetParty("nanning", demoCreditCode)
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	fmt.Fprintf(w, "   %s %s (%s, %s) status %s, onboarded %s by %s/%s\n", p.CreditCode, p.Name, domain.PartyRoles[p.Role], p.DivisionCode, p.Status, "北京时间 "+domain.ChinaTime(p.Onboarded.Time), p.Onboarded.Actor.MSP, p.Onboarded.Actor.Role)

	fmt.Fprintln(w, "3. a clerk without the authority role tries to change nanning's policy profile")
	clerk, err := n.Connect("CityAMSP", "clerk", nil)
	if err != nil {
		return err
	}
	defer clerk.Close()
	if _, _, err := clerk.AdoptProfile("nanning", "NS", "试图越权"); err != nil {
		re, ok := domain.AsRule(err)
		if !ok {
			return err
		}
		fmt.Fprintf(w, "   refused: %s\n", re)
	} else {
		return fmt.Errorf("a clerk changed the policy profile")
	}

	fmt.Fprintln(w, "4. 南宁市 registers an SM2 issuer key, records and files a catalog authorization agreement (目录授权协议)")
	is, err := sample.NewIssuer(n, "nanning", "南宁市大数据发展局")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	defer is.Close()
	platform, err := is.Party(domain.PartyOperator, "广西数字运营平台有限公司")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	ag, err := is.CatalogAgreement(platform, demoCreditCode, "广西数智科技有限公司")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	fmt.Fprintf(w, "   key %s…, agreement %s filed (SM3 of the signed document only: %s…)\n", is.Key.Public().KeyID()[:16], ag.Number, ag.Digest[:16])

	fmt.Fprintln(w, "5. the platform issues an SM2-signed 电子凭证; the chaincode verifies it against the key registry")
	cred, signed, err := is.Credential(ag, is.Key)
	if err != nil {
		return err
	}
	issued, err := is.Issue(signed, ag)
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	fmt.Fprintf(w, "   授权编号 %s registered: channel %s, block %d, tx %s\n", cred.AuthorizationNumber, issued.Channel, issued.BlockNumber, issued.TxID)

	verify := func() error {
		v, err := ex.VerifyCredential("nanning", cred.AuthorizationNumber)
		if err != nil {
			return fmt.Errorf("%s", network.ErrorText(err))
		}
		fmt.Fprintf(w, "   exchange verifies %s: %s — %s\n", v.Number, v.Status, v.Reason)
		return nil
	}
	fmt.Fprintln(w, "6. the exchange verifies it from its own peer")
	if err := verify(); err != nil {
		return err
	}
	fmt.Fprintln(w, "7. 南宁市 suspends it while an objection is examined, then reinstates it")
	if err := written(n)(is.Authority.ChangeCredentialStatus("nanning", cred.AuthorizationNumber, "suspend", "收到异议，核查期间暂停")); err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	if err := verify(); err != nil {
		return err
	}
	if err := written(n)(is.Authority.ChangeCredentialStatus("nanning", cred.AuthorizationNumber, "reinstate", "异议不成立")); err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}

	fmt.Fprintln(w, "8. the province regulator reads the credential's full history")
	reg, err := n.Connect("ProvinceMSP", "regulator", nil)
	if err != nil {
		return err
	}
	defer reg.Close()
	hist, err := reg.History("nanning", domain.TypeCredential, cred.AuthorizationNumber)
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	for _, h := range hist {
		var r domain.CredentialRecord
		_ = json.Unmarshal(h.Record, &r)
		fmt.Fprintf(w, "   %s  tx %s…  %s by %s/%s → %s %s\n", "北京时间 "+domain.ChinaTime(h.Time), h.TxID[:16], r.Last.Action, r.Last.Actor.MSP, r.Last.Actor.Role, r.Status, r.Last.Reason)
	}

	fmt.Fprintln(w, "9. anyone holding the credential and the issuer's public key verifies the signature offline")
	dir := filepath.Join(n.L.Home, "demo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	credPath, pubPath := filepath.Join(dir, "credential.json"), filepath.Join(dir, "issuer.pub.pem")
	if err := os.WriteFile(credPath, []byte(signed), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(pubPath, is.Key.Public().PEM(), 0o644); err != nil {
		return err
	}
	if _, err := certs.VerifyOffline([]byte(signed), certs.KeyRing{is.Key.Public().KeyID(): is.Key.Public()}); err != nil {
		return err
	}
	fmt.Fprintf(w, "   bin/dataledger cert verify --offline --key %s %s\n", pubPath, credPath)
	return demoProduct(n, is, ex, reg, platform, cred.AuthorizationNumber, w)
}

// demoProduct takes a product from its scenario application to a
// registration certificate that carries its own 区块链编号, then through
// an exchange listing and an objection.
func demoProduct(n *network.Net, is *sample.Issuer, ex, reg *network.Client, platform, credential string, w io.Writer) error {
	fmt.Fprintln(w, "10. a product goes through GX 12: application, 初审, 复审, scenario agreement, development, 一致性验证")
	provider, err := is.Party(domain.PartyDataProvider, "南宁市公共交通集团")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	app, err := is.Application(demoCreditCode, provider, "城市通勤客流指数", "RES-450100-0001")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	if err := is.Develop(app, platform); err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	cert, build := is.CertificateFor(demoCreditCode, "广西数智科技有限公司", app.ProductName, app.ResourceIDs, false)
	res, err := is.RegisterCertificate(build, app.Number)
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	fmt.Fprintf(w, "11. 《数据产品登记证书》 %s registered in block %d; its 区块链编号 is its own transaction %s\n", cert.RegistrationNumber, res.BlockNumber, cert.ChainReference.TxID)
	// The exchange's listener in the gateway records receipt from the push
	// feed; without a gateway, the exchange records it here.
	received := false
	for deadline := time.Now().Add(5 * time.Second); !received && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if acks, err := ex.ListAcknowledgements("nanning", cert.RegistrationNumber); err == nil {
			received = len(acks) > 0
		}
	}
	if received { // by the gateway's listener, through the exchange's peer
		if h, err := ex.Height("nanning"); err == nil && h > 0 {
			if err := n.Held(&network.Committed{Channel: "nanning", BlockNumber: h - 1}, nil); err != nil {
				return err
			}
		}
	}
	if !received {
		if err := written(n)(ex.AcknowledgeCertificate("nanning", cert.RegistrationNumber, domain.AckReceived)); err != nil {
			return fmt.Errorf("%s", network.ErrorText(err))
		}
	}
	if err := written(n)(ex.AcknowledgeCertificate("nanning", cert.RegistrationNumber, domain.AckListed)); err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	fmt.Fprintln(w, "12. the exchange has received (pushed to it) and lists it; then files an objection, and the certificate reads suspended")
	o := domain.ObjectionInput{Number: is.Number(domain.PrefixObjection), TargetKind: "certificate", Target: cert.RegistrationNumber,
		EvidenceDigest: certs.SM3Hex([]byte("异议材料")), Summary: "质疑产品是否超出授权范围"}
	if err := written(n)(ex.FileObjection("nanning", o)); err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	status := func() (string, error) {
		v, err := ex.VerifyCertificate("nanning", cert.RegistrationNumber)
		if err != nil {
			return "", err
		}
		return v.Status + " — " + v.Reason, nil
	}
	st, err := status()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "    %s\n", st)
	decision := domain.ObjectionDecision{Outcome: domain.OutcomeDismissed, Reasons: "经核实未超出授权范围，驳回"}
	if err := written(n)(is.Operator.DecideObjection("nanning", o.Number, decision)); err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	if st, err = status(); err != nil {
		return err
	}
	fmt.Fprintf(w, "13. the operator dismisses it with reasons: %s\n", st)
	size := 0
	for _, q := range [][2]string{{domain.TypeApplication, app.Number}, {domain.TypeCertificate, cert.RegistrationNumber}, {domain.TypeObjection, o.Number}} {
		b, err := network.Tx.History(q[0], q[1]).Raw(reg, "nanning")
		if err != nil {
			return fmt.Errorf("%s", network.ErrorText(err))
		}
		size += len(b)
	}
	fmt.Fprintf(w, "    the regulator's full history of this product (application, certificate, objection) is %d bytes\n", size)
	pinned, err := n.Trust() // what an outsider pins: read from the orderers once
	if err != nil {
		return err
	}
	if err := demoProof(n, reg, pinned, cert.RegistrationNumber, w); err != nil {
		return err
	}
	if err := demoGateway(pinned, w, cert.RegistrationNumber); err != nil {
		return err
	}
	if err := demoPresentation(n, pinned, w, credential, cert.RegistrationNumber); err != nil {
		return err
	}
	h, err := reg.Height("nanning")
	if err != nil {
		return err
	}
	return demoIndex(w, indexDSN(n.L.Home), h)
}

// demoIndex shows the province regulator's search of the supervision
// index, once the index has caught up with the demo's last block.
func demoIndex(w io.Writer, dsn string, height uint64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := index.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintf(w, "18. (no supervision index database: %v)\n", err)
		return nil
	}
	defer db.Close()
	for {
		st, err := db.Channel(ctx, "nanning")
		if err != nil && ctx.Err() == nil {
			return err
		}
		if err == nil && st.Height >= height {
			break
		}
		select {
		case <-ctx.Done(): // a read the deadline cut short says the same
			fmt.Fprintf(w, "18. (the supervision index is at block %d of nanning, not %d: is it running? bin/dataledger index start)\n", st.Height, height)
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
	p, err := db.Search(ctx, index.Query{Channel: "nanning", Party: "数智", Limit: 500})
	if err != nil {
		return err
	}
	kinds := map[string]int{}
	for _, h := range p.Items {
		kinds[h.Kind]++
	}
	fmt.Fprintf(w, "18. the province regulator searches the supervision index (PostgreSQL, every block audited before it is stored) for 数智: %d records at height %d %v\n",
		len(p.Items), p.Height, kinds)
	fmt.Fprintln(w, "    GET /api/v1/channels/nanning/index/records?party=数智 (regulator key); bin/dataledger index status")
	return nil
}

// demoProof writes the certificate's proof bundle and the network's trust
// file, verifies the bundle as an outsider would (genesis pinned, no
// network), and audits the channel's chain as the regulator.
func demoProof(n *network.Net, reg *network.Client, pinned *proof.TrustFile, number string, w io.Writer) error {
	kind, _, err := proof.KindOf(number)
	if err != nil {
		return err
	}
	b, err := proof.Build(reg, "nanning", n.D.Chaincode.Name, kind, number)
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	raw, err := json.Marshal(b)
	if err != nil {
		return err
	}
	trustJSON, err := pinned.Marshal()
	if err != nil {
		return err
	}
	dir := filepath.Join(n.L.Home, "demo")
	bundlePath, trustPath := filepath.Join(dir, number+".proof.json"), filepath.Join(dir, "trust.json")
	if err := os.WriteFile(bundlePath, raw, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(trustPath, trustJSON, 0o644); err != nil {
		return err
	}
	r := proof.Verify(b, pinned)
	passed := 0
	for _, c := range r.Checks {
		if c.OK {
			passed++
		}
	}
	fmt.Fprintf(w, "14. its proof bundle (%d bytes: block %d, the issuer key's block %d, the %d records its status derives from, configuration block %d) passes %d of %d checks offline, genesis pinned\n",
		len(raw), b.Record.BlockNumber, b.IssuerKey.BlockNumber, len(b.Links), b.Configs[0].BlockNumber, passed, len(r.Checks))
	if !r.OK || r.Derived == nil {
		return fmt.Errorf("the demo's proof bundle does not verify: %+v", r.Checks)
	}
	fmt.Fprintf(w, "    status derived offline from them, as of their blocks: %s — %s\n", r.Derived.Status, r.Derived.ReasonZh)
	fmt.Fprintf(w, "    bin/dataledger proof verify --trust %s %s\n", trustPath, bundlePath)
	blocks, err := proof.NewQueryBlocks(reg, "nanning", 0)
	if err != nil {
		return err
	}
	a, err := proof.Audit("nanning", blocks, nil, pinned)
	if err != nil {
		return err
	}
	verdict := "every link holds"
	if !a.OK() {
		verdict = fmt.Sprintf("BROKEN at block %d: %s", a.FirstBroken.Block, a.FirstBroken.Reason)
	}
	fmt.Fprintf(w, "15. the regulator audits channel nanning from genesis: %d blocks, %d transactions (%d valid) in %s — %s\n", a.Blocks, a.Transactions, a.Valid, a.Elapsed, verdict)
	fmt.Fprintln(w, "    bin/dataledger audit chain --channel nanning --trust "+trustPath)
	return nil
}

// demoGateway verifies the certificate through the HTTP gateway, when one
// answers, and prints the URL anyone can open.
func demoGateway(pinned *proof.TrustFile, w io.Writer, number string) error {
	url := demoGatewayURL + "/api/v1/verify/" + number
	resp, err := http.Get(url)
	if err != nil {
		fmt.Fprintf(w, "16. (no gateway on %s: start it with bin/dataledger gateway start)\n", demoGatewayURL)
		return nil
	}
	defer resp.Body.Close()
	var v gateway.VerifyResponse
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return err
	}
	block := ""
	if v.BlockNumber != nil {
		block = fmt.Sprintf(", block %d", *v.BlockNumber)
	}
	fmt.Fprintf(w, "16. anyone verifies it over HTTP, no key needed: %s (channel %s%s)\n    open %s/verify/%s\n", v.Status, v.Channel, block, demoGatewayURL, number)
	// The bundle the gateway serves: with witnesses running, each block
	// carries heads the province's and the exchange's gateways signed.
	resp, err = http.Get(demoGatewayURL + "/api/v1/certificates/" + number + "/proof")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	b, err := proof.ParseBundle(raw)
	if err != nil {
		return fmt.Errorf("the gateway's bundle: %w", err)
	}
	r := proof.Verify(b, pinned)
	if !r.OK {
		return fmt.Errorf("the gateway's bundle does not verify: %+v", r.Checks)
	}
	witnessed := "not witnessed (start the gateways as witnesses: scripts/up.sh)"
	if len(r.WitnessedBy) > 0 {
		witnessed = fmt.Sprintf("every block witnessed by %d organization(s): %s", len(r.WitnessedBy), strings.Join(r.WitnessedBy, ", "))
	}
	fmt.Fprintf(w, "    its bundle from the gateway (%d bytes, %d heads) verifies; %s\n", len(raw), len(b.Heads), witnessed)
	return nil
}

// demoPresentation has the enterprise present its credential and
// certificate to a counterparty off the network: a one-off enterprise key
// (its own identity, issued by CityAMSP's CA) asks the province's gateway
// for a presentation, which is verified offline as the counterparty would,
// and the key is revoked.
func demoPresentation(n *network.Net, pinned *proof.TrustFile, w io.Writer, numbers ...string) error {
	if err := n.EnrollUser("CityAMSP", network.EnterpriseUser(demoCreditCode)); err != nil {
		return err
	}
	ks, err := gateway.OpenKeyStore(filepath.Join(n.L.Home, "gateway", "keys.json"))
	if err != nil {
		return err
	}
	secret, k, err := ks.CreateEnterprise("CityAMSP", demoCreditCode)
	if err != nil {
		return err
	}
	defer func() { _ = ks.Revoke(k.ID) }()
	body, _ := json.Marshal(gateway.PresentationRequest{Items: numbers})
	var raw []byte
	status := 0
	// The running gateway picks the new key up from the file within a second.
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodPost, demoGatewayURL+"/api/v1/presentations", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintf(w, "17. (no gateway on %s for the enterprise's presentation)\n", demoGatewayURL)
			return nil
		}
		raw, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return err
		}
		if status = resp.StatusCode; status != http.StatusUnauthorized || time.Now().After(deadline) {
			break
		}
	}
	if status != http.StatusOK {
		fmt.Fprintf(w, "17. (the gateway made no presentation: %d %.200s)\n", status, raw)
		return nil
	}
	p, err := proof.ParsePresentation(raw)
	if err != nil {
		return fmt.Errorf("the gateway's presentation: %w", err)
	}
	r := proof.VerifyPresentation(p, pinned)
	if !r.OK {
		var sb strings.Builder
		r.Print(&sb)
		return fmt.Errorf("the gateway's presentation does not verify:\n%s", sb.String())
	}
	file := filepath.Join(n.L.Home, "demo", "presentation.json")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "17. the enterprise presents its credential and certificate to a bank off the network: one file (%d bytes, %d items, signed by %s's witness) verifies offline\n", len(raw), len(p.Items), r.SignedBy)
	fmt.Fprintf(w, "    bin/dataledger proof verify --trust %s %s   (or upload it on the verification page)\n", filepath.Join(filepath.Dir(file), "trust.json"), file)
	return nil
}

// written is network.Net.Held for a typed client's write (record, commit,
// error): the demo's next step reads or endorses on other orgs' peers.
func written(n *network.Net) func(any, *network.Committed, error) error {
	return func(_ any, res *network.Committed, err error) error { return n.Held(res, err) }
}

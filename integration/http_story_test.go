package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/contract"
	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/network/sample"
)

// TestFullStoryOverHTTP runs both chaincode stories through the gateway
// only: an authority registers its key, parties and a filed catalog
// agreement, registers a credential; a product goes through GX 12 and its
// certificate is registered with the gateway signing the 区块链编号 in;
// the exchange acknowledges it; the public objects; the decision revokes
// it; the regulator reads the history; the public reads the disclosures.
func TestFullStoryOverHTTP(t *testing.T) {
	issuerKey, ks, cfg := signingGateway(t)
	issuer, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	exchange, _, _ := ks.Create("ExchangeMSP", gateway.RoleExchange)
	regulator, _, _ := ks.Create("ProvinceMSP", gateway.RoleRegulator)
	srv, _ := startGateway(t, &cfg, ks)
	api := apiOf(t, srv.URL)
	number := func(prefix string) string { return sample.Number(prefix, "450100") }
	today := sample.Today()
	until := time.Now().In(domain.CST).AddDate(3, 0, -1).Format(time.DateOnly)

	keyRec := api("POST", "/api/v1/channels/nanning/keys", issuer, domain.IssuerKeyInput{PublicKey: string(issuerKey.Public().PEM()), Department: "南宁市大数据发展局", ValidFrom: today, ValidUntil: until}, 201)
	keyID := keyRec["record"].(map[string]any)["keyId"].(string)
	if k := api("GET", "/api/v1/channels/nanning/keys/"+keyID, "", nil, 200); k["status"] != domain.KeyActive {
		t.Fatalf("issuer key: %v", k)
	}
	operator, enterprise, provider := sample.CreditCode("450100"), sample.CreditCode("450100"), sample.CreditCode("450100")
	for _, p := range []domain.PartyInput{
		{CreditCode: operator, Name: "南宁HTTP运营平台", Role: domain.PartyOperator, DivisionCode: "450100"},
		{CreditCode: enterprise, Name: "南宁HTTP数据企业", Role: domain.PartyEnterprise, DivisionCode: "450100"},
		{CreditCode: provider, Name: "南宁HTTP数源单位", Role: domain.PartyDataProvider, DivisionCode: "450100"},
	} {
		api("POST", "/api/v1/channels/nanning/parties", issuer, p, 201)
	}
	catalog := domain.AgreementInput{Number: number(domain.PrefixAgreement), Kind: domain.AgreementCatalog, GrantorCreditCode: operator, GranteeCreditCode: enterprise,
		DocumentDigest: certs.SM3Hex([]byte("目录授权协议")), Scope: "公交客流数据目录", TermStart: today, TermEnd: until, SignedOn: today, Declaration: sample.Declaration}
	api("POST", "/api/v1/channels/nanning/agreements", issuer, catalog, 201)
	api("POST", "/api/v1/agreements/"+catalog.Number+"/file", issuer, nil, 200)

	cred := domain.Credential{Type: domain.DocTypeCredential, AuthorizationNumber: number(domain.PrefixAuthorization), HolderName: "南宁HTTP数据企业",
		HolderCreditCode: enterprise, Scope: catalog.Scope, ValidFrom: today, ValidUntil: until, IssuingDepartment: "南宁市大数据发展局",
		IssueDate: today, DivisionCode: "450100", Channel: "nanning", AgreementDigest: catalog.DocumentDigest}
	cb, _ := json.Marshal(cred)
	signedCred, _ := certs.Sign(cb, issuerKey, nil)
	api("POST", "/api/v1/credentials", issuer, gateway.IssueRequest{Document: signedCred, AgreementNumber: catalog.Number}, 201)
	if v := api("GET", "/api/v1/verify/"+cred.AuthorizationNumber, "", nil, 200); v["status"] != domain.VerifyValid {
		t.Fatalf("credential: %v", v)
	}

	app := domain.ApplicationInput{Number: number(domain.PrefixApplication), ApplicantCreditCode: enterprise, ProductName: "HTTP客流指数", ProductType: "dataset",
		Scenario: "线网优化", ResourceIDs: []string{"RES-450100-0001"}, DataProviders: []string{provider}, DesignDigest: certs.SM3Hex([]byte("设计"))}
	api("POST", "/api/v1/channels/nanning/applications", issuer, app, 201)
	a := "/api/v1/applications/" + app.Number
	api("POST", a+"/development", issuer, nil, 409) // out of order: refused, naming the stage it needs
	api("POST", a+"/preliminary-review", issuer, map[string]string{"decision": "approved", "reasons": ""}, 200)
	api("POST", a+"/extension", issuer, map[string]string{"reason": "数据提供单位需补充安全评估"}, 200) // silence no longer counts as approval
	api("POST", a+"/compliance-review", issuer, map[string]string{"reviewer": "agency", "decision": "approved", "reasons": ""}, 200)
	api("POST", a+"/compliance-review", issuer, map[string]string{"reviewer": provider, "decision": "approved", "reasons": ""}, 200)
	scenario := catalog
	scenario.Number, scenario.Kind, scenario.DocumentDigest = number(domain.PrefixAgreement), domain.AgreementScenario, certs.SM3Hex([]byte("场景授权协议"))
	api("POST", "/api/v1/channels/nanning/agreements", issuer, scenario, 201)
	api("POST", "/api/v1/agreements/"+scenario.Number+"/file", issuer, nil, 200)
	api("POST", a+"/agreement", issuer, map[string]string{"agreementNumber": scenario.Number}, 200)
	api("POST", a+"/development", issuer, nil, 200)
	// The product submitted for its evaluation (GX sets no deadline; GD 26
	// would: 10 working days); the verification evaluates that product.
	api("POST", a+"/product", issuer, map[string]string{"productDigest": certs.SM3Hex([]byte("产品"))}, 200)
	if p := api("POST", a+"/consistency", issuer, map[string]any{"productDigest": certs.SM3Hex([]byte("另一产品")), "matchesDesign": true, "changeNote": "", "decision": "approved", "reasons": ""}, 422); p["rule"] != domain.RuleApplication || p["field"] != "productDigest" {
		t.Fatalf("another product than the one submitted: %v", p)
	}
	api("POST", a+"/consistency", issuer, map[string]any{"productDigest": certs.SM3Hex([]byte("产品")), "matchesDesign": true, "changeNote": "", "decision": "approved", "reasons": ""}, 200)

	cert := domain.Certificate{CertificateName: "数据产品登记证书", ProductName: app.ProductName, RegistrationNumber: number(domain.PrefixRegistration),
		ProductType: "dataset", EnterpriseName: "南宁HTTP数据企业", EnterpriseCreditCode: enterprise, UpdateCycle: "每日", ApplicationScenario: "线网优化",
		RegistrationDate: today, ResourceIDs: app.ResourceIDs, AuthorizationNumbers: []string{cred.AuthorizationNumber}, IssuingDepartment: "南宁市大数据发展局"}
	certJSON, _ := json.Marshal(cert)
	reg := api("POST", "/api/v1/certificates", issuer, gateway.RegisterRequest{Certificate: certJSON, ApplicationNumber: app.Number}, 201)
	txID := reg["chainReference"].(map[string]any)["txId"].(string)
	if inside := reg["certificate"].(map[string]any)["chainReference"].(map[string]any)["txId"]; inside != txID {
		t.Fatalf("区块链编号 %v, registered in %s", inside, txID)
	}
	if v := api("GET", "/api/v1/verify/"+cert.RegistrationNumber, "", nil, 200); v["status"] != domain.VerifyValid || v["txId"] != txID {
		t.Fatalf("certificate: %v", v)
	}
	// Its registration on the national platform: recorded by the issuer,
	// shown in the verification, found by its code by anyone.
	queryCode := "CX-" + cert.RegistrationNumber[len(cert.RegistrationNumber)-10:]
	national := domain.NationalInput{Platform: "国家数据资产登记平台", QueryCode: queryCode, UnifiedCode: "DPR:" + cert.RegistrationNumber}
	api("POST", "/api/v1/certificates/"+cert.RegistrationNumber+"/national-registration", issuer, national, 200)
	if v := api("GET", "/api/v1/verify/"+cert.RegistrationNumber, "", nil, 200); v["record"].(map[string]any)["nationalRegistration"].(map[string]any)["queryCode"] != queryCode {
		t.Fatalf("the verification does not show the national registration: %v", v["record"])
	}
	if v := api("GET", "/api/v1/channels/nanning/national-registrations/"+url.PathEscape(national.UnifiedCode), "", nil, 200); v["number"] != cert.RegistrationNumber || v["status"] != domain.VerifyValid {
		t.Fatalf("found by its unified code: %v", v)
	}
	if p := api("POST", "/api/v1/certificates/"+cert.RegistrationNumber+"/national-registration", issuer, national, 409); p["rule"] != domain.RuleNationalUnique {
		t.Fatalf("the same national registration twice: %v", p)
	}
	if p := api("GET", "/api/v1/channels/nanning/national-registrations/has%20space", "", nil, 422); p["rule"] != domain.RuleNationalCode {
		t.Fatalf("a malformed code: %v", p)
	}
	api("POST", "/api/v1/certificates/"+cert.RegistrationNumber+"/acknowledgements", exchange, map[string]string{"action": "received"}, 200)
	api("POST", "/api/v1/certificates/"+cert.RegistrationNumber+"/acknowledgements", exchange, map[string]string{"action": "listed"}, 200)
	api("POST", "/api/v1/certificates/"+cert.RegistrationNumber+"/acknowledgements", issuer, map[string]string{"action": "delisted"}, 403)
	api("POST", "/api/v1/certificates/"+cert.RegistrationNumber+"/egress", issuer, map[string]string{"result": "passed", "reportDigest": certs.SM3Hex([]byte("出域核查报告")), "reasons": ""}, 200)
	if eg := api("GET", "/api/v1/certificates/"+cert.RegistrationNumber+"/egress", exchange, nil, 200); len(eg["items"].([]any)) != 1 {
		t.Fatalf("egress checks: %v", eg)
	}
	// A failed check: its result is the exchange's to see, its reasons the
	// issuer's and the regulator's only (words, docs/PRIVACY.md).
	failedWhy := privateText("接收方所在地数据保护水平未经评估（出域）")
	api("POST", "/api/v1/certificates/"+cert.RegistrationNumber+"/egress", issuer, map[string]string{"result": "failed", "reportDigest": certs.SM3Hex([]byte("出域核查报告二")), "reasons": failedWhy}, 200)
	for who, words := range map[string]bool{exchange: false, regulator: true} {
		eg := api("GET", "/api/v1/certificates/"+cert.RegistrationNumber+"/egress", who, nil, 200)
		items, said := eg["items"].([]any), false
		for _, it := range items {
			said = said || it.(map[string]any)["reasons"] == failedWhy
		}
		if len(items) != 2 || said != words {
			t.Fatalf("egress checks as %s: %v", who, eg)
		}
	}
	// The scenario agreement is read and changed (a filed agreement's terms are superseded with a reason).
	if ag := api("GET", "/api/v1/agreements/"+scenario.Number, regulator, nil, 200); ag["status"] != domain.AgreementFiled {
		t.Fatalf("scenario agreement: %v", ag)
	}
	change := domain.AgreementChange{DocumentDigest: certs.SM3Hex([]byte("场景授权协议（修订）")), Scope: scenario.Scope, TermStart: scenario.TermStart, TermEnd: scenario.TermEnd}
	if ch := api("POST", "/api/v1/agreements/"+scenario.Number+"/change", issuer, map[string]any{"change": change, "reason": privateText("补充协议：更新数据使用要求")}, 200); ch["record"].(map[string]any)["changes"] != float64(1) {
		t.Fatalf("changed agreement: %v", ch)
	}

	objection := domain.ObjectionInput{Number: number(domain.PrefixObjection), TargetKind: "certificate", Target: cert.RegistrationNumber,
		EvidenceDigest: certs.SM3Hex([]byte("证据")), Summary: privateText("公众异议：数据来源存疑（故事）")}
	api("POST", "/api/v1/channels/nanning/objections", "", objection, 201) // the public, no key
	if v := api("GET", "/api/v1/verify/"+cert.RegistrationNumber, "", nil, 200); v["status"] != domain.VerifySuspended {
		t.Fatalf("with the objection open: %v", v)
	}
	deadline := time.Now().In(domain.CST).AddDate(0, 0, 30).Format(time.DateOnly)
	api("POST", "/api/v1/objections/"+objection.Number+"/decision", issuer, domain.ObjectionDecision{Outcome: domain.OutcomeDataDestructionOrdered, Reasons: privateText("核实属实，撤销登记并销毁数据"), DestructionDeadline: deadline}, 200)
	if v := api("GET", "/api/v1/verify/"+cert.RegistrationNumber, "", nil, 200); v["status"] != domain.VerifyRevoked {
		t.Fatalf("after 撤销登记 and the destruction order: %v", v)
	}
	api("POST", "/api/v1/objections/"+objection.Number+"/destruction", issuer, map[string]string{"evidenceDigest": certs.SM3Hex([]byte("销毁记录"))}, 200)
	api("POST", "/api/v1/objections/"+objection.Number+"/destruction", issuer, map[string]string{"evidenceDigest": certs.SM3Hex([]byte("销毁记录"))}, 409)
	api("GET", "/api/v1/channels/nanning/history/certificate/"+cert.RegistrationNumber, "", nil, 401)
	var hist []any
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/channels/nanning/history/certificate/"+cert.RegistrationNumber, nil)
	req.Header.Set("Authorization", "Bearer "+regulator)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&hist)
	resp.Body.Close()
	if len(hist) != 4 {
		t.Fatalf("the regulator reads %d versions of the certificate, want 4 (register, national registration, objection, decision)", len(hist))
	}
	products := api("GET", "/api/v1/channels/nanning/disclosures/products?pageSize=200", "", nil, 200)
	if !strings.Contains(mustJSONString(products), cert.RegistrationNumber) {
		t.Fatal("the public product list does not show the product")
	}
	api("POST", "/api/v1/credentials/"+cred.AuthorizationNumber+"/status", issuer, map[string]string{"action": "revoke", "reason": privateText("授权终止（故事）")}, 200)
	if v := api("GET", "/api/v1/verify/"+cred.AuthorizationNumber, "", nil, 200); v["status"] != domain.VerifyRevoked {
		t.Fatalf("credential after revocation: %v", v)
	}

	// A product built on non-public data goes to public notice (GX 12(6)).
	noticed := app
	noticed.Number, noticed.ProductName, noticed.UsesNonPublicData = number(domain.PrefixApplication), "HTTP客流指数（含非公开数据）", true
	api("POST", "/api/v1/channels/nanning/applications", issuer, noticed, 201)
	na := "/api/v1/applications/" + noticed.Number
	api("POST", na+"/preliminary-review", issuer, map[string]string{"decision": "approved", "reasons": ""}, 200)
	api("POST", na+"/compliance-review", issuer, map[string]string{"reviewer": "agency", "decision": "approved", "reasons": ""}, 200)
	api("POST", na+"/compliance-review", issuer, map[string]string{"reviewer": provider, "decision": "approved", "reasons": ""}, 200)
	scenario2 := scenario
	scenario2.Number, scenario2.DocumentDigest = number(domain.PrefixAgreement), certs.SM3Hex([]byte("场景授权协议二"))
	api("POST", "/api/v1/channels/nanning/agreements", issuer, scenario2, 201)
	api("POST", "/api/v1/agreements/"+scenario2.Number+"/file", issuer, nil, 200)
	api("POST", na+"/agreement", issuer, map[string]string{"agreementNumber": scenario2.Number}, 200)
	api("POST", na+"/development", issuer, nil, 200)
	api("POST", na+"/consistency", issuer, map[string]any{"productDigest": certs.SM3Hex([]byte("产品二")), "matchesDesign": true, "changeNote": "", "decision": "approved", "reasons": ""}, 200)
	if n := api("POST", na+"/public-notice", issuer, nil, 200); n["record"].(map[string]any)["stage"] != domain.StageInNotice {
		t.Fatalf("public notice: %v", n)
	}

	// Ending the catalog agreement is one write; the credential still in
	// force under it reads revoked from the very next verification.
	second := cred
	second.AuthorizationNumber = number(domain.PrefixAuthorization)
	sb, _ := json.Marshal(second)
	signedSecond, _ := certs.Sign(sb, issuerKey, nil)
	api("POST", "/api/v1/credentials", issuer, gateway.IssueRequest{Document: signedSecond, AgreementNumber: catalog.Number}, 201)
	if v := api("GET", "/api/v1/verify/"+second.AuthorizationNumber, "", nil, 200); v["status"] != domain.VerifyValid {
		t.Fatalf("second credential: %v", v)
	}
	ended := api("POST", "/api/v1/agreements/"+catalog.Number+"/end", issuer, map[string]string{"action": "terminate", "reason": privateText("企业申请终止授权")}, 200)
	// The issuer's answer is read back as the issuer: with the words,
	// which the block and the public's verification never hold.
	if rec, _ := ended["record"].(map[string]any); rec["status"] != domain.AgreementTerminated || rec["last"].(map[string]any)["reason"] != "企业申请终止授权" {
		t.Fatalf("ended agreement: %v", ended)
	}
	if v := api("GET", "/api/v1/verify/"+second.AuthorizationNumber, "", nil, 200); v["status"] != domain.VerifyAuthorizationEnded ||
		!strings.Contains(v["reason"].(string), catalog.Number) || strings.Contains(v["reason"].(string), "企业申请终止授权") { // the words are private
		t.Fatalf("credential after its agreement ended: %v", v)
	}
	status, raw := request(t, "GET", srv.URL+"/api/v1/verify/"+second.AuthorizationNumber+"/timeline", "", nil)
	var tl []gateway.TimelineEntry
	if err := json.Unmarshal(raw, &tl); err != nil || status != 200 || len(tl) != 2 || tl[1].Status != domain.CredentialAuthorizationEnded || tl[1].Action != "terminate" {
		t.Fatalf("the public timeline after the agreement ended: %d %s", status, raw)
	}
	if p := api("POST", "/api/v1/agreements/"+catalog.Number+"/end", issuer, map[string]string{"action": "revoke", "reason": "再次"}, 409); p["rule"] != domain.RuleAgreementTransition {
		t.Fatalf("ending twice: %v", p)
	}
	held := api("GET", "/api/v1/channels/nanning/credentials?by=holder&value="+enterprise, regulator, nil, 200)
	// The first was revoked on its own before (final); the second's
	// authorization ended with the agreement.
	statuses := map[string]string{}
	for _, it := range held["items"].([]any) {
		statuses[it.(map[string]any)["number"].(string)], _ = it.(map[string]any)["status"].(string)
	}
	if len(statuses) != 2 || statuses[cred.AuthorizationNumber] != domain.CredentialRevoked || statuses[second.AuthorizationNumber] != domain.CredentialAuthorizationEnded {
		t.Fatalf("the holder's credentials after the agreement ended: %v", held)
	}

	// Governance: the channel's authority sets its profile and exchanges
	// (here to what they are, with reasons) and rotates its issuer key.
	profile := api("GET", "/api/v1/channels/nanning/profile", "", nil, 200)
	api("PUT", "/api/v1/channels/nanning/profile", issuer, map[string]any{"profile": profile["profile"], "reason": "年度复核：规则不变"}, 200)
	jur := api("GET", "/api/v1/channels/nanning/jurisdiction", "", nil, 200)
	api("POST", "/api/v1/channels/nanning/exchanges", issuer, map[string]any{"exchanges": jur["exchangeMsps"], "reason": "年度复核：交易场所不变"}, 200)
	nextKey, _ := certs.GenerateKey(nil)
	rotated := api("POST", "/api/v1/channels/nanning/keys/"+keyID+"/rotate", issuer, map[string]any{
		"key": domain.IssuerKeyInput{PublicKey: string(nextKey.Public().PEM()), Department: "南宁市大数据发展局", ValidFrom: today, ValidUntil: until}, "reason": "定期轮换"}, 200)
	if rotated["record"].(map[string]any)["status"] != domain.KeyActive {
		t.Fatalf("rotated key: %v", rotated)
	}
	if k := api("GET", "/api/v1/channels/nanning/keys/"+keyID, "", nil, 200); k["status"] == domain.KeyActive {
		t.Fatalf("the old key is still active after the rotation: %v", k)
	}
	// A bookmark that does not continue its list is refused on the peer
	// (it would read other record types there).
	forged := url.QueryEscape("\x00agreement\x00")
	if p := api("GET", "/api/v1/channels/nanning/disclosures/products?bookmark="+forged, "", nil, 422); p["rule"] != contract.RuleBookmark {
		t.Fatalf("forged bookmark: %v", p)
	}
}

func mustJSONString(v any) string { b, _ := json.Marshal(v); return string(b) }

// signingGateway is a gateway configuration that holds CityAMSP's issuer
// key (it signs certificates' 区块链编号 in), with an API key store: the
// setup of the stories told over HTTP.
func signingGateway(t *testing.T) (*certs.PrivateKey, *gateway.KeyStore, gateway.Config) {
	t.Helper()
	dir := t.TempDir()
	issuerKey, _ := certs.GenerateKey(nil)
	encrypted, _ := issuerKey.PEM([]byte("keystore-pass"))
	keyFile := filepath.Join(dir, "citya.key.pem")
	_ = os.WriteFile(keyFile, encrypted, 0o600)
	signers, err := gateway.LoadKeystore([]string{"CityAMSP=" + keyFile}, []byte("keystore-pass"))
	if err != nil {
		t.Fatal(err)
	}
	ks, _ := gateway.OpenKeyStore(filepath.Join(dir, "keys.json"))
	cfg := gateway.DefaultConfig()
	cfg.Signers = signers
	return issuerKey, ks, cfg
}

// apiOf calls the gateway at url: a JSON body in, the status it must
// answer, the JSON object out.
func apiOf(t *testing.T, url string) func(method, path, key string, body any, want int) map[string]any {
	raw := rawAPIOf(t, url)
	return func(method, path, key string, body any, want int) map[string]any {
		t.Helper()
		var out map[string]any
		_ = json.Unmarshal(raw(method, path, key, body, want), &out)
		return out
	}
}

// rawAPIOf is apiOf answering the body as it came.
func rawAPIOf(t *testing.T, url string) func(method, path, key string, body any, want int) []byte {
	return func(method, path, key string, body any, want int) []byte {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		status, raw := request(t, method, url+path, key, rd)
		if status != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, status, want, raw)
		}
		return raw
	}
}

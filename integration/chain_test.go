package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/network/sample"
)

// verifyAnswer is what a verifier reads of GET /api/v1/verify/:number.
type verifyAnswer struct {
	gateway.VerifyResponse
	Problem gateway.Problem
	Code    int
}

// TestChainOfAuthorityOverHTTP changes each record a certificate (and a
// credential) rests on, one at a time, through the gateway only, with
// Redis as its cache, and reads the very next verification of every
// dependent document: an agreement with 5,000 credentials ended in one
// transaction; a party suspended then reinstated; a party exited; a listed
// credential revoked; data destruction ordered; a scenario agreement
// terminated; the issuer key compromised between two registrations. Then
// a mistyped number, an unknown one, one of another channel and one of a
// jurisdiction not on the network each get their own answer.
func TestChainOfAuthorityOverHTTP(t *testing.T) {
	issuerKey, ks, cfg := signingGateway(t)
	issuer, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rc.Close()
	if err := rc.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis (scripts/deps.sh starts it): %v", err)
	}
	cfg.Cache = gateway.RedisCache{C: rc}
	srv, _ := startGateway(t, &cfg, ks)
	api := apiOf(t, srv.URL)
	verify := func(number string) verifyAnswer {
		t.Helper()
		a, err := verifyOver(srv.URL, number)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// want checks the very next verification: its status and, for a
	// broken chain, the link that caused it (kind, number, transaction).
	want := func(what, number, status, causeKind, causeNumber, causeTx string) verifyAnswer {
		t.Helper()
		v := verify(number)
		if v.Code != 200 || v.Status != status {
			t.Fatalf("%s: %s reads %s (%d), want %s: %s", what, number, v.Status, v.Code, status, v.Reason)
		}
		if causeKind == "" {
			if v.Cause != nil {
				t.Fatalf("%s: %s is valid with a cause %+v", what, number, v.Cause)
			}
			return v
		}
		if c := v.Cause; c == nil || c.Kind != causeKind || c.Number != causeNumber || (causeTx != "" && c.TxID != causeTx) || c.Status != status {
			t.Fatalf("%s: %s: cause %+v, want the %s %s (tx %s)", what, number, v.Cause, causeKind, causeNumber, causeTx)
		}
		if !strings.Contains(v.Message, v.Cause.ReasonZh) || v.ReasonZh == "" || v.Reason == "" {
			t.Fatalf("%s: the message %q does not say why in Chinese (%q)", what, v.Message, v.Cause.ReasonZh)
		}
		for _, l := range v.Links {
			if l.Time != "" && !strings.HasSuffix(l.Time, "+08:00") {
				t.Fatalf("%s: link time %q is not China time", what, l.Time)
			}
		}
		return v
	}
	txOf := func(w map[string]any) string { return w["chainReference"].(map[string]any)["txId"].(string) }
	number := func(prefix string) string { return sample.Number(prefix, "450100") }
	today := sample.Today()
	until := time.Now().In(domain.CST).AddDate(3, 0, -1).Format(time.DateOnly)

	keyRec := api("POST", "/api/v1/channels/nanning/keys", issuer, domain.IssuerKeyInput{PublicKey: string(issuerKey.Public().PEM()), Department: "南宁市大数据发展局", ValidFrom: today, ValidUntil: until}, 201)
	keyID := keyRec["record"].(map[string]any)["keyId"].(string)
	operator, enterprise, leaving, provider := sample.CreditCode("450100"), sample.CreditCode("450100"), sample.CreditCode("450100"), sample.CreditCode("450100")
	names := map[string]string{enterprise: "南宁授权链企业", leaving: "南宁拟退出企业"}
	for _, p := range []domain.PartyInput{
		{CreditCode: operator, Name: "南宁授权链运营平台", Role: domain.PartyOperator, DivisionCode: "450100"},
		{CreditCode: enterprise, Name: names[enterprise], Role: domain.PartyEnterprise, DivisionCode: "450100"},
		{CreditCode: leaving, Name: names[leaving], Role: domain.PartyEnterprise, DivisionCode: "450100"},
		{CreditCode: provider, Name: "南宁授权链数源单位", Role: domain.PartyDataProvider, DivisionCode: "450100"},
	} {
		api("POST", "/api/v1/channels/nanning/parties", issuer, p, 201)
	}
	agreement := func(kind, grantee, text string) domain.AgreementInput {
		a := domain.AgreementInput{Number: number(domain.PrefixAgreement), Kind: kind, GrantorCreditCode: operator, GranteeCreditCode: grantee,
			DocumentDigest: certs.SM3Hex([]byte(text)), Scope: "公交客流数据目录", TermStart: today, TermEnd: until, SignedOn: today, Declaration: sample.Declaration}
		api("POST", "/api/v1/channels/nanning/agreements", issuer, a, 201)
		api("POST", "/api/v1/agreements/"+a.Number+"/file", issuer, nil, 200)
		return a
	}
	credential := func(ag domain.AgreementInput) (domain.Credential, []byte) {
		c := domain.Credential{Type: domain.DocTypeCredential, AuthorizationNumber: number(domain.PrefixAuthorization), HolderName: names[ag.GranteeCreditCode],
			HolderCreditCode: ag.GranteeCreditCode, Scope: ag.Scope, ValidFrom: today, ValidUntil: until, IssuingDepartment: "南宁市大数据发展局",
			IssueDate: today, DivisionCode: "450100", Channel: "nanning", AgreementDigest: ag.DocumentDigest}
		b, _ := json.Marshal(c)
		signed, err := certs.Sign(b, issuerKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(gateway.IssueRequest{Document: signed, AgreementNumber: ag.Number})
		return c, body
	}
	issue := func(ag domain.AgreementInput) domain.Credential {
		c, body := credential(ag)
		if status, raw, err := httpDo("POST", srv.URL+"/api/v1/credentials", issuer, body); err != nil || status != 201 {
			t.Fatalf("issue: %d %s", status, raw)
		}
		return c
	}
	// register registers a certificate through the gateway, which signs
	// its 区块链编号 in: a pre-existing product (no application) resting on
	// the credentials it lists, or a product from its GX 12 application.
	register := func(holder string, applicationNumber string, creds ...domain.Credential) (string, string) {
		n := number(domain.PrefixRegistration)
		cert := domain.Certificate{CertificateName: "数据产品登记证书", ProductName: "授权链测试产品" + n[len(n)-10:], RegistrationNumber: n,
			ProductType: "dataset", EnterpriseName: names[holder], EnterpriseCreditCode: holder, UpdateCycle: "每日", ApplicationScenario: "线网优化",
			RegistrationDate: today, ResourceIDs: []string{"RES-450100-0001"}, IssuingDepartment: "南宁市大数据发展局", PreExisting: applicationNumber == ""}
		if applicationNumber != "" {
			cert.ProductName = "授权链场景产品" // the application's
		}
		for _, c := range creds {
			cert.AuthorizationNumbers = append(cert.AuthorizationNumbers, c.AuthorizationNumber)
		}
		b, _ := json.Marshal(cert)
		reg := api("POST", "/api/v1/certificates", issuer, gateway.RegisterRequest{Certificate: b, ApplicationNumber: applicationNumber}, 201)
		want("registered", n, domain.VerifyValid, "", "", "")
		return n, txOf(reg)
	}

	// 1. One agreement, 5,000 credentials, one certificate listing one of
	// them; the agreement ends in one transaction.
	const many = 5000
	bulk := agreement(domain.AgreementCatalog, enterprise, "五千份凭证的目录授权协议")
	numbers := make([]string, many)
	bodies := make([][]byte, many)
	for i := range bodies {
		c, body := credential(bulk)
		numbers[i], bodies[i] = c.AuthorizationNumber, body
	}
	started := time.Now()
	parallel(t, many, 32, func(i int) error {
		status, raw, err := httpDo("POST", srv.URL+"/api/v1/credentials", issuer, bodies[i])
		if err == nil && status != 201 {
			err = fmt.Errorf("issue %s: %d %s", numbers[i], status, raw)
		}
		return err
	})
	t.Logf("issued %d credentials under agreement %s over HTTP in %s", many, bulk.Number, time.Since(started).Round(time.Millisecond))
	first := domain.Credential{AuthorizationNumber: numbers[0]}
	bulkCert, _ := register(enterprise, "", first)
	want("before the ending", numbers[many-1], domain.VerifyValid, "", "", "")

	ended := api("POST", "/api/v1/agreements/"+bulk.Number+"/end", issuer, map[string]string{"action": "terminate", "reason": privateText("经营主体申请终止授权")}, 200)
	endTx := txOf(ended)
	want("agreement ended", bulkCert, domain.VerifyAuthorizationEnded, domain.LinkAgreement, bulk.Number, endTx)
	started = time.Now()
	parallel(t, many, 32, func(i int) error {
		v, err := verifyOver(srv.URL, numbers[i])
		if err != nil {
			return err
		}
		if v.Status != domain.VerifyAuthorizationEnded || v.Cause == nil || v.Cause.TxID != endTx {
			return fmt.Errorf("%s after its agreement ended: %s %+v", numbers[i], v.Status, v.Cause)
		}
		return nil
	})
	t.Logf("all %d credentials read authorization-ended, caused by the one ending transaction %s (verified in %s)", many, endTx, time.Since(started).Round(time.Millisecond))

	// 2. Each other link, on its own.
	catalog := agreement(domain.AgreementCatalog, enterprise, "目录授权协议")
	x1, x2, x3 := issue(catalog), issue(catalog), issue(catalog)
	c1, _ := register(enterprise, "", x1)
	c2, _ := register(enterprise, "", x2)
	c3, _ := register(enterprise, "", x3)

	suspended := api("POST", "/api/v1/channels/nanning/parties/"+enterprise+"/status", issuer, map[string]string{"action": "suspend", "reason": privateText("限期整改（链测试）")}, 200)
	want("party suspended", c1, domain.VerifySuspended, domain.LinkParty, enterprise, txOf(suspended))
	want("party suspended", x1.AuthorizationNumber, domain.VerifySuspended, domain.LinkParty, enterprise, txOf(suspended))
	api("POST", "/api/v1/channels/nanning/parties/"+enterprise+"/status", issuer, map[string]string{"action": "reinstate", "reason": privateText("整改完成（链测试）")}, 200)
	want("party reinstated", c1, domain.VerifyValid, "", "", "")
	want("party reinstated", x1.AuthorizationNumber, domain.VerifyValid, "", "", "")

	revoked := api("POST", "/api/v1/credentials/"+x2.AuthorizationNumber+"/status", issuer, map[string]string{"action": "revoke", "reason": privateText("超范围使用（链测试）")}, 200)
	want("listed credential revoked", c2, domain.VerifyAuthorizationEnded, domain.LinkCredential, x2.AuthorizationNumber, txOf(revoked))
	want("the credential itself", x2.AuthorizationNumber, domain.VerifyRevoked, domain.LinkCredential, x2.AuthorizationNumber, txOf(revoked))
	want("its neighbour", c1, domain.VerifyValid, "", "", "")

	objection := domain.ObjectionInput{Number: number(domain.PrefixObjection), TargetKind: "certificate", Target: c3,
		EvidenceDigest: certs.SM3Hex([]byte("证据")), Summary: privateText("公众异议：数据来源存疑（链）")}
	filed := api("POST", "/api/v1/channels/nanning/objections", "", objection, 201)
	want("objection open", c3, domain.VerifySuspended, domain.LinkCertificate, c3, txOf(filed))
	deadline := time.Now().In(domain.CST).AddDate(0, 0, 30).Format(time.DateOnly)
	decided := api("POST", "/api/v1/objections/"+objection.Number+"/decision", issuer, domain.ObjectionDecision{Outcome: domain.OutcomeDataDestructionOrdered, Reasons: privateText("核实属实，销毁数据"), DestructionDeadline: deadline}, 200)
	v := want("destruction ordered", c3, domain.VerifyRevoked, domain.LinkCertificate, c3, txOf(decided))
	if !strings.Contains(v.ReasonZh, "销毁") || !strings.Contains(v.ReasonZh, deadline) {
		t.Fatalf("destruction ordered: %q", v.ReasonZh)
	}

	exitAg := agreement(domain.AgreementCatalog, leaving, "拟退出企业的目录授权协议")
	y := issue(exitAg)
	c4, _ := register(leaving, "", y)
	exited := api("POST", "/api/v1/channels/nanning/parties/"+leaving+"/status", issuer, map[string]string{"action": "exit", "reason": privateText("主体注销，退出授权运营")}, 200)
	want("party exited", c4, domain.VerifyAuthorizationEnded, domain.LinkParty, leaving, txOf(exited))
	want("party exited", y.AuthorizationNumber, domain.VerifyAuthorizationEnded, domain.LinkParty, leaving, txOf(exited))

	// A product through GX 12 rests on its scenario agreement.
	x5 := issue(catalog)
	app := domain.ApplicationInput{Number: number(domain.PrefixApplication), ApplicantCreditCode: enterprise, ProductName: "授权链场景产品", ProductType: "dataset",
		Scenario: "线网优化", ResourceIDs: []string{"RES-450100-0001"}, DataProviders: []string{provider}, DesignDigest: certs.SM3Hex([]byte("设计"))}
	api("POST", "/api/v1/channels/nanning/applications", issuer, app, 201)
	a := "/api/v1/applications/" + app.Number
	api("POST", a+"/preliminary-review", issuer, map[string]string{"decision": "approved", "reasons": ""}, 200)
	api("POST", a+"/compliance-review", issuer, map[string]string{"reviewer": "agency", "decision": "approved", "reasons": ""}, 200)
	api("POST", a+"/compliance-review", issuer, map[string]string{"reviewer": provider, "decision": "approved", "reasons": ""}, 200)
	scenario := agreement(domain.AgreementScenario, enterprise, "场景授权协议")
	api("POST", a+"/agreement", issuer, map[string]string{"agreementNumber": scenario.Number}, 200)
	api("POST", a+"/development", issuer, nil, 200)
	api("POST", a+"/consistency", issuer, map[string]any{"productDigest": certs.SM3Hex([]byte("产品")), "matchesDesign": true, "changeNote": "", "decision": "approved", "reasons": ""}, 200)
	c5, _ := register(enterprise, app.Number, x5)
	if v := verify(c5); len(v.Links) != 6 || v.Links[1].Kind != domain.LinkAgreement || v.Links[1].Number != scenario.Number || v.Links[1].Role != domain.AgreementScenario {
		t.Fatalf("a workflow certificate's links: %+v", v.Links)
	}
	terminated := api("POST", "/api/v1/agreements/"+scenario.Number+"/end", issuer, map[string]string{"action": "terminate", "reason": privateText("场景协议到期前终止")}, 200)
	want("scenario agreement terminated", c5, domain.VerifyAuthorizationEnded, domain.LinkAgreement, scenario.Number, txOf(terminated))
	want("the credential is not under it", x5.AuthorizationNumber, domain.VerifyValid, "", "", "")

	// 3. The key is compromised between two registrations: the one before
	// stays valid, the one from the compromise on reads revoked.
	x6, x7 := issue(catalog), issue(catalog)
	before, _ := register(enterprise, "", x6)
	after, _ := register(enterprise, "", x7)
	// The compromise is stated at the second registration's own time.
	compromisedAt := api("GET", "/api/v1/certificates/"+after, issuer, nil, 200)["registered"].(map[string]any)["time"].(string)
	rk := api("POST", "/api/v1/channels/nanning/keys/"+keyID+"/revoke", issuer, map[string]string{"reason": "私钥泄露", "compromisedAt": compromisedAt}, 200)
	want("registered before the compromise", before, domain.VerifyValid, "", "", "")
	want("registered at the compromise", after, domain.VerifyRevoked, domain.LinkIssuerKey, keyID, txOf(rk))
	if v := verify(before); v.Links[len(v.Links)-1].State != domain.KeyRevoked || v.KeyStatus != domain.KeyRevoked {
		t.Fatalf("the key link of a certificate registered before: %+v", v.Links[len(v.Links)-1])
	}
	api("POST", "/api/v1/channels/nanning/keys/"+keyID+"/revoke", issuer, map[string]string{"reason": "again", "compromisedAt": "yesterday"}, 422)

	// 4. Numbers that are not a registered document, each told apart.
	if v := verify(mistypeLast(x1.AuthorizationNumber)); v.Code != 422 || v.Problem.Rule != domain.RuleNumber || v.Problem.Field != "number" {
		t.Fatalf("mistyped number: %d %+v", v.Code, v.Problem)
	}
	unknown := number(domain.PrefixAuthorization)
	if v := verify(unknown); v.Code != 200 || v.Status != domain.VerifyNotFound || v.Channel != "nanning" || !strings.Contains(v.Message, "nanning") {
		t.Fatalf("unknown number: %d %+v", v.Code, v.VerifyResponse)
	}
	if v := verify(sample.Number(domain.PrefixRegistration, "450200")); v.Code != 200 || v.Status != domain.VerifyNotFound || v.Channel != "liuzhou" {
		t.Fatalf("a number of another channel is looked up there: %d %+v", v.Code, v.VerifyResponse)
	}
	if v := verify(sample.Number(domain.PrefixRegistration, "110000")); v.Code != 404 || v.Problem.Rule != domain.RuleChannelUnknown {
		t.Fatalf("a jurisdiction not on this network: %d %+v", v.Code, v.Problem)
	}
	// English on request.
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/verify/"+after, nil)
	req.Header.Set("Accept-Language", "en")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var en gateway.VerifyResponse
	_ = json.NewDecoder(resp.Body).Decode(&en)
	resp.Body.Close()
	if en.Message != en.Reason || !strings.Contains(en.Message, "compromised") || resp.Header.Get("Content-Language") != "en" {
		t.Fatalf("English: %q (%s)", en.Message, resp.Header.Get("Content-Language"))
	}
}

// httpDo is one request that reports rather than fails (for workers).
func httpDo(method, url, key string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// verifyOver reads GET /api/v1/verify/:number as the public.
func verifyOver(url, number string) (verifyAnswer, error) {
	status, raw, err := httpDo("GET", url+"/api/v1/verify/"+number, "", nil)
	a := verifyAnswer{Code: status}
	if err != nil {
		return a, err
	}
	if status == 200 {
		err = json.Unmarshal(raw, &a.VerifyResponse)
	} else {
		err = json.Unmarshal(raw, &a.Problem)
	}
	if err != nil {
		return a, fmt.Errorf("verify %s: %d %s", number, status, raw)
	}
	return a, nil
}

// parallel runs f(0..n-1) on workers goroutines and fails on the first
// error.
func parallel(t *testing.T, n, workers int, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

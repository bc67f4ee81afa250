package integration

import (
	"encoding/json"
	"strings"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

// issuedCredentials are checked again after every process is killed.
var issuedCredentials = map[string]string{}

// mistypeLast changes the last character (the check character).
func mistypeLast(s string) string {
	last := s[len(s)-1]
	for _, c := range []byte("0123456789ABCDEFGHJKLMNPQRTUWXY") {
		if c != last {
			return s[:len(s)-1] + string(c)
		}
	}
	return s
}

func verification(t *testing.T, c *network.Client, channel, fn, arg string) domain.Verification {
	t.Helper()
	b, err := c.Evaluate(channel, fn, arg)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	return decode[domain.Verification](t, b)
}

// TestCredentialLifecycle: register key → parties → filed catalog agreement
// → issue → the exchange verifies (signature, status, chain reference) →
// suspend → revoke, with the whole history; then the refusals.
func TestCredentialLifecycle(t *testing.T) {
	is, err := sample.NewIssuer(net, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	operator, err := is.Party(domain.PartyOperator, "广西数字运营平台有限公司")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	holder, err := is.Party(domain.PartyEnterprise, "南宁数据服务有限公司")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	ag, err := is.CatalogAgreement(operator, holder, "南宁数据服务有限公司")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	doc, signed, err := is.Credential(ag, is.Key)
	if err != nil {
		t.Fatal(err)
	}
	issued, err := is.Issue(signed, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	issuedCredentials[doc.AuthorizationNumber] = domain.VerifyRevoked // where the story below leaves it
	synced(t, issued)

	// The exchange verifies from its own peer, by number and by the document the enterprise shows it.
	exchange := connect(t, "ExchangeMSP", "exchange", nil)
	v := verification(t, exchange, "nanning", "VerifyCredential", doc.AuthorizationNumber)
	if v.Status != domain.VerifyValid || v.TxID != issued.TxID || v.Channel != "nanning" || v.KeyID != is.Key.Public().KeyID() {
		t.Fatalf("verify by number: %+v", v)
	}
	block, err := exchange.BlockOf("nanning", v.TxID)
	if err != nil || block != issued.BlockNumber {
		t.Fatalf("chain reference block %d (%v), committed in %d", block, err, issued.BlockNumber)
	}
	if v := verification(t, exchange, "nanning", "VerifyCredentialDocument", signed); v.Status != domain.VerifyValid {
		t.Fatalf("verify presented document: %+v", v)
	}
	if _, err := certs.VerifyOffline([]byte(signed), certs.KeyRing{is.Key.Public().KeyID(): is.Key.Public()}); err != nil {
		t.Fatalf("offline: %v", err)
	}
	tampered := strings.Replace(signed, ag.TermEnd, "2099-12-31", 1)
	if v := verification(t, exchange, "nanning", "VerifyCredentialDocument", tampered); v.Status != domain.VerifyTampered {
		t.Fatalf("tampered document: %+v", v)
	}

	// Suspend, verify, revoke, verify.
	steps := []string{issued.TxID}
	for _, step := range []struct{ action, reason, want string }{
		{"suspend", privateText("收到异议，暂停使用"), domain.VerifySuspended},
		{"revoke", privateText("经核查违反授权范围使用数据"), domain.VerifyRevoked},
	} {
		r, err := is.Authority.Submit("nanning", "ChangeCredentialStatus", doc.AuthorizationNumber, step.action, step.reason)
		if err != nil {
			t.Fatal(network.ErrorText(err))
		}
		steps = append(steps, r.TxID)
		synced(t, r)
		// The exchange learns what happened, by whom and when; the words
		// are private (docs/PRIVACY.md, the reason rule).
		if v := verification(t, exchange, "nanning", "VerifyCredential", doc.AuthorizationNumber); v.Status != step.want || strings.Contains(v.Reason, step.reason) || !strings.Contains(v.Reason, "CityAMSP") {
			t.Fatalf("after %s: %+v", step.action, v)
		}
	}
	b, err := connect(t, "ProvinceMSP", "regulator", nil).Evaluate("nanning", "History", "credential", doc.AuthorizationNumber)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	hist := decode[[]domain.HistoryItem](t, b)
	if len(hist) != 3 {
		t.Fatalf("history has %d versions, want 3", len(hist))
	}
	for i, h := range hist {
		r := decode[domain.CredentialRecord](t, h.Record)
		if h.TxID != steps[i] || r.Last.TxID != steps[i] {
			t.Fatalf("history[%d] is tx %s, want %s", i, h.TxID, steps[i])
		}
		if i == 2 && (r.StatusReason != "经核查违反授权范围使用数据" || r.Last.Reason != r.StatusReason) { // the regulator, a member, reads the words
			t.Fatalf("history[%d] reads the words %q / %q", i, r.StatusReason, r.Last.Reason)
		}
	}

	// The same credential on another city's channel is refused.
	cityB := connect(t, "CityBMSP", "operator", nil)
	_, err = cityB.Submit("liuzhou", "IssueCredential", signed, ag.Number)
	wantRefusal(t, err, domain.RuleCredentialChannel)

	// A forged signature: signed by another key, claiming the registered one.
	forger, _ := certs.GenerateKey(nil)
	_, forgedDoc, _ := is.Credential(ag, forger)
	var m map[string]any
	_ = json.Unmarshal([]byte(forgedDoc), &m)
	m["issuerKeyId"] = is.Key.Public().KeyID()
	m["signature"].(map[string]any)["keyId"] = is.Key.Public().KeyID()
	forged, _ := json.Marshal(m)
	_, err = is.Issue(string(forged), ag)
	wantRefusal(t, err, domain.RuleSignature)

	// A credential issued before the key's revocation still verifies; new issues are refused.
	before, beforeSigned, _ := is.Credential(ag, is.Key)
	if _, err := is.Issue(beforeSigned, ag); err != nil {
		t.Fatal(network.ErrorText(err))
	}
	issuedCredentials[before.AuthorizationNumber] = domain.VerifyValid
	revokedKey, err := is.Authority.Submit("nanning", "RevokeIssuerKey", is.Key.Public().KeyID(), "私钥保管介质遗失", "")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, revokedKey)
	_, afterSigned, _ := is.Credential(ag, is.Key)
	_, err = is.Issue(afterSigned, ag)
	wantRefusal(t, err, domain.RuleKeyStatus)
	v = verification(t, exchange, "nanning", "VerifyCredential", before.AuthorizationNumber)
	if v.Status != domain.VerifyValid || v.KeyStatus != domain.KeyRevoked || len(v.Links) != 4 || !strings.Contains(v.Links[3].Reason, "usable when registered") {
		t.Fatalf("credential signed before the key's revocation: %+v", v)
	}
}

func TestCredentialBadInputChangesNothing(t *testing.T) {
	is, ag := holderAgreement(t, "南宁持证")
	height, _ := net.Height(peerOf("CityAMSP"), "nanning")
	sign := func(edit func(*domain.Credential)) string {
		c, _, _ := is.Credential(ag, is.Key)
		edit(c)
		b, _ := json.Marshal(c)
		s, err := certs.Sign(b, is.Key, nil)
		if err != nil {
			t.Fatal(err)
		}
		return string(s)
	}
	cases := []struct {
		rule string
		doc  string
	}{
		{domain.RuleNumber, sign(func(c *domain.Credential) {
			c.AuthorizationNumber = mistypeLast(c.AuthorizationNumber)
		})},
		{domain.RuleTerm, sign(func(c *domain.Credential) { c.ValidUntil = "2020-01-01" })},
		{domain.RulePartyExists, sign(func(c *domain.Credential) { c.HolderCreditCode = sample.CreditCode("450100") })},
		{domain.RuleText, sign(func(c *domain.Credential) { c.Scope = strings.Repeat("范围", 1001) })},
		{"GX-10.3", sign(func(c *domain.Credential) { c.ValidUntil = "2099-12-31" })},
	}
	for _, c := range cases {
		_, err := is.Issue(c.doc, ag)
		wantRefusal(t, err, c.rule)
	}
	_, err := is.Operator.Submit("nanning", "IssueCredential", cases[0].doc[:40], ag.Number)
	wantRefusal(t, err, domain.RuleDocument)
	if h, _ := net.Height(peerOf("CityAMSP"), "nanning"); h != height {
		t.Fatalf("refused issues were committed: height %d → %d", height, h)
	}
}

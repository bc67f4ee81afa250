package contract

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

var cityAOperator = domain.Actor{MSP: "CityAMSP", Role: domain.RoleOperator, ID: "operator"}

var (
	operatorCode = withCheck("91450100MA5L00001") // grantor: the operation platform
	holderCode   = "91450100MA5L0000AW"           // grantee: an enterprise
	otherEntCode = withCheck("91450100MA5L00002")
)

// fixture is a bootstrapped nanning channel with both calendars, an issuer
// key, an operator, two enterprises and a filed catalog agreement.
type fixture struct {
	t      *testing.T
	m      *store.Memory
	key    *certs.PrivateKey
	keyID  string
	agreem string
	// profile is the profile the channel was bootstrapped with.
	profile domain.Profile
}

func withCheck(body string) string { c, _ := domain.CreditCodeCheckChar(body); return body + string(c) }

// mistyped changes a valid code's check character.
func mistyped(code string) string {
	if code[17] == 'A' {
		return code[:17] + "B"
	}
	return code[:17] + "A"
}

func run[T any](f *fixture, actor domain.Actor, fn func(s store.Store) (T, error)) (T, error) {
	var out T
	_, err := f.m.Run(actor, func(s store.Store) error {
		var err error
		out, err = fn(s)
		return err
	})
	return out, err
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func newFixture(t *testing.T, profile string) *fixture {
	t.Helper()
	m := newLedger("nanning", time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)) // Monday 09:00 CST
	f := &fixture{t: t, m: m, profile: domain.BuiltinProfiles()[profile]}
	fixtureClasses = f.profile.OpenDataClasses
	do := func(actor domain.Actor, fn func(s store.Store) error) {
		t.Helper()
		if _, err := m.Run(actor, fn); err != nil {
			t.Fatal(err)
		}
	}
	do(cityAAuthority, func(s store.Store) error { _, err := app.Bootstrap(s, "南宁市", "450100", profile); return err })
	for _, c := range domain.BuiltinCalendars() {
		b, _ := json.Marshal(c)
		do(cityAAuthority, func(s store.Store) error { _, err := app.LoadCalendar(s, string(b), ""); return err })
	}
	f.key, _ = certs.GenerateKey(nil)
	f.keyID = f.key.Public().KeyID()
	keyJSON, _ := json.Marshal(domain.IssuerKeyInput{PublicKey: string(f.key.Public().PEM()), Department: "南宁市大数据发展局", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31"})
	do(cityAAuthority, func(s store.Store) error { _, err := app.RegisterIssuerKey(s, string(keyJSON)); return err })
	for _, p := range []domain.PartyInput{
		{CreditCode: operatorCode, Name: "广西数据运营有限公司", Role: domain.PartyOperator, DivisionCode: "450103"},
		{CreditCode: holderCode, Name: "广西数智科技有限公司", Role: domain.PartyEnterprise, DivisionCode: "450102"},
		{CreditCode: otherEntCode, Name: "南宁链数科技有限公司", Role: domain.PartyEnterprise, DivisionCode: "450102"},
	} {
		b, _ := json.Marshal(p)
		do(cityAOperator, func(s store.Store) error { _, err := app.RegisterParty(s, string(b)); return err })
	}
	f.agreem = f.recordAgreement(domain.AgreementCatalog, operatorCode, holderCode, "2026-01-01", "2028-12-31", "2026-03-02")
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) { return app.FileAgreement(s, f.agreem) }))
	return f
}

var agreementSerial = 0

func agreementNumber() string {
	agreementSerial++
	return domain.Number{Prefix: domain.PrefixAgreement, Division: "450100", Year: 2026, Serial: fmt.Sprintf("AG%06d", agreementSerial)}.String()
}

func agreementInput(kind, grantor, grantee, start, end, signed string) domain.AgreementInput {
	in := domain.AgreementInput{Number: agreementNumber(), Kind: kind, GrantorCreditCode: grantor, GranteeCreditCode: grantee,
		DocumentDigest: certs.SM3Hex([]byte("agreement " + grantee + start + end)), Scope: "南宁市公共交通客流数据目录", TermStart: start, TermEnd: end, SignedOn: signed}
	if domain.Authorizes(kind) {
		in.Declaration = declaration // the grantee's eligibility (GX 6, 9, 11)
	}
	if len(fixtureClasses) > 0 && (kind == domain.AgreementCatalog || kind == domain.AgreementScenario) {
		in.DataClass = domain.DataUnconditional // the profile's classes govern what it grants (NS 2)
	}
	return in
}

// fixtureClasses are the open-data classes of the latest fixture's
// profile (the tests of this package run one at a time).
var fixtureClasses []string

func (f *fixture) recordAgreement(kind, grantor, grantee, start, end, signed string) string {
	f.t.Helper()
	in := agreementInput(kind, grantor, grantee, start, end, signed)
	b, _ := json.Marshal(in)
	must[*domain.Agreement](f.t)(run(f, cityAOperator, func(s store.Store) (*domain.Agreement, error) { return app.RecordAgreement(s, string(b)) }))
	return in.Number
}

var credSerial = 0

func (f *fixture) credential(edit func(c *domain.Credential)) *domain.Credential {
	credSerial++
	c := &domain.Credential{
		Type: domain.DocTypeCredential, AuthorizationNumber: domain.Number{Prefix: domain.PrefixAuthorization, Division: "450100", Year: 2026, Serial: fmt.Sprintf("CR%06d", credSerial)}.String(),
		HolderName: "广西数智科技有限公司", HolderCreditCode: holderCode, Scope: "南宁市公共交通客流数据目录",
		ValidFrom: "2026-03-01", ValidUntil: "2027-12-31", IssuingDepartment: "南宁市大数据发展局", IssueDate: "2026-03-02",
		DivisionCode: "450100", Channel: "nanning", AgreementDigest: certs.SM3Hex([]byte("agreement " + holderCode + "2026-01-012028-12-31")),
	}
	if edit != nil {
		edit(c)
	}
	return c
}

func (f *fixture) sign(c *domain.Credential, key *certs.PrivateKey) string {
	b, _ := json.Marshal(c)
	signed, err := certs.Sign(b, key, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(signed)
}

func (f *fixture) issue(actor domain.Actor, signed, agreement string) (*domain.CredentialRecord, error) {
	return run(f, actor, func(s store.Store) (*domain.CredentialRecord, error) {
		return app.IssueCredential(s, signed, agreement)
	})
}

func (f *fixture) refused(actor domain.Actor, rule string, fn func(s store.Store) error) {
	f.t.Helper()
	refused(f.t, f.m, actor, rule, fn)
}

func TestIssueCredentialAllowedAndVerified(t *testing.T) {
	f := newFixture(t, "GX")
	doc := f.credential(nil)
	rec, err := f.issue(cityAOperator, f.sign(doc, f.key), f.agreem)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != domain.CredentialValid || rec.IssuerKeyID != f.keyID || rec.AgreementNumber != f.agreem || rec.Issued.TxID == "" {
		t.Fatalf("record %+v", rec)
	}
	v := must[*domain.Verification](t)(run(f, cityAClerk, func(s store.Store) (*domain.Verification, error) {
		return app.VerifyCredential(s, doc.AuthorizationNumber)
	}))
	if v.Status != domain.VerifyValid || v.TxID != rec.Issued.TxID || v.Channel != "nanning" || v.KeyID != f.keyID || len(v.Links) != 4 || v.Cause != nil {
		t.Fatalf("verification %+v", v)
	}
	ev := f.m.Events[len(f.m.Events)-1]
	if ev.Name != "credential.issue" {
		t.Fatalf("event %s", ev.Name)
	}
	for _, by := range []struct{ by, value string }{{"holder", holderCode}, {"agreement", f.agreem}, {"issuer", f.keyID}} {
		page := must[*domain.Page[domain.CredentialRecord]](t)(run(f, cityAClerk, func(s store.Store) (*domain.Page[domain.CredentialRecord], error) {
			return app.ListCredentials(s, by.by, by.value, 10, "")
		}))
		if len(page.Items) != 1 || page.Items[0].Number != doc.AuthorizationNumber {
			t.Fatalf("list by %s: %+v", by.by, page)
		}
	}
}

func TestIssueCredentialRefusals(t *testing.T) {
	f := newFixture(t, "GX")
	forger, _ := certs.GenerateKey(nil)
	issued := f.credential(nil)
	if _, err := f.issue(cityAOperator, f.sign(issued, f.key), f.agreem); err != nil {
		t.Fatal(err)
	}
	signedAgreement := f.recordAgreement(domain.AgreementCatalog, operatorCode, holderCode, "2026-01-01", "2028-12-31", "2026-03-02")
	scenario := f.recordAgreement(domain.AgreementScenario, operatorCode, holderCode, "2026-01-01", "2028-12-31", "2026-03-02")
	cases := []struct {
		name, rule string
		actor      domain.Actor
		signed     func() string
		agreement  string
	}{
		{"a clerk issues", domain.RuleIssuer, cityAClerk, func() string { return f.sign(f.credential(nil), f.key) }, f.agreem},
		{"another city's authority issues", domain.RuleIssuer, cityBAuthority, func() string { return f.sign(f.credential(nil), f.key) }, f.agreem},
		{"unknown key", domain.RuleKeyUnknown, cityAOperator, func() string { return f.sign(f.credential(nil), forger) }, f.agreem},
		{"forged signature", domain.RuleSignature, cityAOperator, func() string {
			var m map[string]any
			_ = json.Unmarshal([]byte(f.sign(f.credential(nil), forger)), &m)
			sig := m["signature"].(map[string]any)
			sig["keyId"], m["issuerKeyId"] = f.keyID, f.keyID
			b, _ := json.Marshal(m)
			return string(b)
		}, f.agreem},
		{"another channel", domain.RuleCredentialChannel, cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) { c.Channel = "liuzhou" }), f.key)
		}, f.agreem},
		{"another jurisdiction", domain.RuleCredentialDivision, cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) { c.DivisionCode = "450200" }), f.key)
		}, f.agreem},
		{"mistyped number", domain.RuleNumber, cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) {
				wrong := "0" // another check character than the number's own (one number in 32 ends in 0)
				if strings.HasSuffix(c.AuthorizationNumber, wrong) {
					wrong = "1"
				}
				c.AuthorizationNumber = c.AuthorizationNumber[:len(c.AuthorizationNumber)-1] + wrong
			}), f.key)
		}, f.agreem},
		{"number of another year", domain.RuleNumber, cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) { c.IssueDate = "2025-12-31" }), f.key)
		}, f.agreem},
		{"duplicate number", domain.RuleCredentialUnique, cityAOperator, func() string { return f.sign(issued, f.key) }, f.agreem},
		{"unknown holder", domain.RulePartyExists, cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) { c.HolderCreditCode = withCheck("91450100MA5L9999A") }), f.key)
		}, f.agreem},
		{"holder name differs", domain.RuleCredentialHolder, cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) { c.HolderName = "别的公司" }), f.key)
		}, f.agreem},
		{"holder is not the grantee", domain.RuleCredentialHolder, cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) {
				c.HolderCreditCode, c.HolderName = otherEntCode, "南宁链数科技有限公司"
			}), f.key)
		}, f.agreem},
		{"not a catalog agreement", domain.RuleCredentialAgreement, cityAOperator, func() string { return f.sign(f.credential(nil), f.key) }, scenario},
		{"agreement not filed (GX 12)", "GX-12", cityAOperator, func() string { return f.sign(f.credential(nil), f.key) }, signedAgreement},
		{"scope differs from the agreement's", domain.RuleCredentialAgreement, cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) { c.Scope = "全部公共数据" }), f.key)
		}, f.agreem},
		{"digest differs", domain.RuleCredentialAgreement, cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) { c.AgreementDigest = certs.SM3Hex([]byte("other")) }), f.key)
		}, f.agreem},
		{"outlasts the agreement (GX 10(3))", "GX-10.3", cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) { c.ValidUntil = "2029-06-30" }), f.key)
		}, f.agreem},
		{"over five years (GX 10(3))", "GX-10.3", cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) { c.ValidFrom, c.ValidUntil = "2026-01-01", "2031-01-01" }), f.key)
		}, f.agreem},
		{"end before start", domain.RuleTerm, cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) { c.ValidFrom, c.ValidUntil = "2027-01-01", "2026-12-31" }), f.key)
		}, f.agreem},
		{"oversized scope", domain.RuleText, cityAOperator, func() string {
			return f.sign(f.credential(func(c *domain.Credential) { c.Scope = strings.Repeat("数", 2001) }), f.key)
		}, f.agreem},
		{"unknown agreement", domain.RuleAgreementExists, cityAOperator, func() string { return f.sign(f.credential(nil), f.key) }, agreementNumber()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			signed := c.signed()
			f.t = t
			f.refused(c.actor, c.rule, func(s store.Store) error { _, err := app.IssueCredential(s, signed, c.agreement); return err })
		})
	}
}

func TestKeyRegistryRules(t *testing.T) {
	f := newFixture(t, "GX")
	k2, _ := certs.GenerateKey(nil)
	input := func(k *certs.PrivateKey, from, until string) string {
		b, _ := json.Marshal(domain.IssuerKeyInput{PublicKey: string(k.Public().PEM()), Department: "南宁市大数据发展局", ValidFrom: from, ValidUntil: until})
		return string(b)
	}
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error {
		_, err := app.RegisterIssuerKey(s, input(k2, "2026-01-01", "2027-01-01"))
		return err
	})
	f.refused(cityAAuthority, domain.RuleKeyUnique, func(s store.Store) error {
		_, err := app.RegisterIssuerKey(s, input(f.key, "2026-01-01", "2027-01-01"))
		return err
	})
	f.refused(cityAAuthority, domain.RuleKeyMaterial, func(s store.Store) error {
		_, err := app.RegisterIssuerKey(s, `{"publicKey":"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n","department":"x","validFrom":"2026-01-01","validUntil":"2027-01-01"}`)
		return err
	})

	// A credential issued before the rotation stays valid; after it, the
	// old key signs nothing new, the new one does.
	before := f.credential(nil)
	if _, err := f.issue(cityAOperator, f.sign(before, f.key), f.agreem); err != nil {
		t.Fatal(err)
	}
	must[*domain.IssuerKey](t)(run(f, cityAAuthority, func(s store.Store) (*domain.IssuerKey, error) {
		return app.RotateIssuerKey(s, f.keyID, input(k2, "2026-03-02", "2031-03-01"), "年度密钥轮换")
	}))
	f.refused(cityAOperator, domain.RuleKeyStatus, func(s store.Store) error {
		_, err := app.IssueCredential(s, f.sign(f.credential(nil), f.key), f.agreem)
		return err
	})
	if _, err := f.issue(cityAOperator, f.sign(f.credential(nil), k2), f.agreem); err != nil {
		t.Fatalf("new key: %v", err)
	}
	must[*domain.IssuerKey](t)(run(f, cityAAuthority, func(s store.Store) (*domain.IssuerKey, error) {
		return app.RevokeIssuerKey(s, f.keyID, "私钥疑似泄露", "")
	}))
	v := must[*domain.Verification](t)(run(f, cityAClerk, func(s store.Store) (*domain.Verification, error) {
		return app.VerifyCredential(s, before.AuthorizationNumber)
	}))
	if v.Status != domain.VerifyValid || v.KeyStatus != domain.KeyRevoked || !strings.Contains(v.Links[3].Reason, "usable when registered") || v.Links[3].State != domain.KeyRevoked {
		t.Fatalf("old credential after key revocation: %+v", v)
	}
	f.refused(cityAAuthority, domain.RuleKeyStatus, func(s store.Store) error { _, err := app.RevokeIssuerKey(s, f.keyID, "again", ""); return err })
}

func TestCredentialStatusAndExpiry(t *testing.T) {
	f := newFixture(t, "GX")
	doc := f.credential(nil)
	if _, err := f.issue(cityAOperator, f.sign(doc, f.key), f.agreem); err != nil {
		t.Fatal(err)
	}
	n := doc.AuthorizationNumber
	status := func() *domain.Verification {
		return must[*domain.Verification](t)(run(f, cityAClerk, func(s store.Store) (*domain.Verification, error) { return app.VerifyCredential(s, n) }))
	}
	change := func(actor domain.Actor, action, reason string) error {
		_, err := run(f, actor, func(s store.Store) (*domain.CredentialRecord, error) {
			return app.ChangeCredentialStatus(s, n, action, reason)
		})
		return err
	}
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error { _, err := app.ChangeCredentialStatus(s, n, "suspend", "x"); return err })
	f.refused(cityAAuthority, domain.RuleText, func(s store.Store) error { _, err := app.ChangeCredentialStatus(s, n, "suspend", ""); return err })
	f.refused(cityAAuthority, domain.RuleCredentialTransition, func(s store.Store) error { _, err := app.ChangeCredentialStatus(s, n, "reinstate", "x"); return err })
	if err := change(cityAAuthority, "suspend", "异议处理中"); err != nil || status().Status != domain.VerifySuspended {
		t.Fatalf("suspend: %v %+v", err, status())
	}
	if err := change(cityAAuthority, "reinstate", "异议驳回"); err != nil || status().Status != domain.VerifyValid {
		t.Fatalf("reinstate: %v", err)
	}
	f.m.SetClock(time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)) // 08:00 CST, the day after validUntil
	if v := status(); v.Status != domain.VerifyExpired || !strings.Contains(v.Reason, "2027-12-31") {
		t.Fatalf("after validUntil: %+v", v)
	}
	if err := change(cityAAuthority, "revoke", "违规使用"); err != nil || status().Status != domain.VerifyRevoked {
		t.Fatalf("revoke: %v", err)
	}
	f.refused(cityAAuthority, domain.RuleCredentialTransition, func(s store.Store) error { _, err := app.ChangeCredentialStatus(s, n, "reinstate", "x"); return err })
	h := must[[]domain.HistoryItem](t)(run(f, cityAClerk, func(s store.Store) ([]domain.HistoryItem, error) { return app.History(s, domain.TypeCredential, n) }))
	if len(h) != 4 {
		t.Fatalf("history has %d versions, want 4 (issue, suspend, reinstate, revoke)", len(h))
	}
}

func TestVerifyPresentedDocument(t *testing.T) {
	f := newFixture(t, "GX")
	doc := f.credential(nil)
	signed := f.sign(doc, f.key)
	if _, err := f.issue(cityAOperator, signed, f.agreem); err != nil {
		t.Fatal(err)
	}
	verify := func(d string) *domain.Verification {
		return must[*domain.Verification](t)(run(f, cityAClerk, func(s store.Store) (*domain.Verification, error) { return app.VerifyCredentialDocument(s, d) }))
	}
	if v := verify(signed); v.Status != domain.VerifyValid {
		t.Fatalf("genuine: %+v", v)
	}
	// Changed and re-signed with the registered key: the signature holds, the ledger says otherwise.
	resigned := f.sign(f.credential(func(c *domain.Credential) {
		c.AuthorizationNumber, c.Scope = doc.AuthorizationNumber, "全部公共数据"
	}), f.key)
	if v := verify(resigned); v.Status != domain.VerifyTampered || !strings.Contains(v.Reason, "scope") {
		t.Fatalf("re-signed change: %+v", v)
	}
	edited := strings.Replace(signed, "2027-12-31", "2029-12-31", 1)
	if v := verify(edited); v.Status != domain.VerifyTampered {
		t.Fatalf("edited: %+v", v)
	}
	if v := verify(f.sign(f.credential(nil), f.key)); v.Status != domain.VerifyNotFound {
		t.Fatalf("never registered: %+v", v)
	}
	if v := verify(`{"docType":"x"}`); v.Status != domain.VerifyTampered {
		t.Fatalf("garbage: %+v", v)
	}
}

func TestEndingAgreementRevokesItsCredentialsWithOneWrite(t *testing.T) {
	f := newFixture(t, "GX")
	var numbers []string
	for i := 0; i < 3; i++ {
		d := f.credential(nil)
		if _, err := f.issue(cityAOperator, f.sign(d, f.key), f.agreem); err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, d.AuthorizationNumber)
	}
	// One of them suspended before the agreement ends: it must read
	// revoked afterwards, not suspended (which could be reinstated).
	must[*domain.CredentialRecord](t)(run(f, cityAAuthority, func(s store.Store) (*domain.CredentialRecord, error) {
		return app.ChangeCredentialStatus(s, numbers[0], "suspend", "核查中")
	}))
	before := f.m.Snapshot()
	txID, err := f.m.Run(cityAAuthority, func(s store.Store) error {
		_, err := app.EndAgreement(s, f.agreem, "terminate", "企业主动申请终止")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	after := f.m.Snapshot()
	changed := 0
	for k, v := range after {
		if before[k] != v {
			changed++
		}
	}
	if changed != 1 || len(after) != len(before) {
		t.Fatalf("ending the agreement changed %d keys and added %d, want the agreement alone", changed, len(after)-len(before))
	}
	for _, n := range numbers {
		v := must[*domain.Verification](t)(run(f, cityAClerk, func(s store.Store) (*domain.Verification, error) { return app.VerifyCredential(s, n) }))
		// The public learns what happened, by whom and when; the words are
		// private (the reason rule).
		if v.Status != domain.VerifyAuthorizationEnded || v.Cause == nil || v.Cause.Number != f.agreem || v.Cause.TxID != txID ||
			!strings.Contains(v.ReasonZh, "已由 CityAMSP") || strings.Contains(v.ReasonZh, "企业主动申请终止") || strings.HasSuffix(v.ReasonZh, "：") {
			t.Fatalf("credential %s after termination (tx %s): %+v", n, txID, v)
		}
	}
	for k, v := range f.m.Snapshot() {
		if strings.Contains(v, "企业主动申请终止") || strings.Contains(v, "核查中") {
			t.Fatalf("world state key %q holds a change's words: %s", k, v)
		}
	}
	// The authority reads them; the public, the exchange and another
	// enterprise do not; the grantee does (its own agreement).
	for who, want := range map[domain.Actor]string{cityAAuthority: "企业主动申请终止", cityAClerk: "", cityAExchange: "", selfActor(otherEntCode): "", selfActor(holderCode): "企业主动申请终止"} {
		ag, err := run(f, who, func(s store.Store) (*domain.Agreement, error) { return app.GetAgreement(s, f.agreem) })
		if err != nil || ag.Last.Reason != want {
			t.Fatalf("%s/%s reads the ended agreement's words %q (%v), want %q", who.MSP, who.Role, ag.Last.Reason, err, want)
		}
	}
	for who, want := range map[domain.Actor]bool{cityAAuthority: true, cityAClerk: false} {
		hist := must[[]domain.HistoryItem](t)(run(f, who, func(s store.Store) ([]domain.HistoryItem, error) {
			return app.History(s, domain.TypeAgreement, f.agreem)
		}))
		if last := hist[len(hist)-1]; last.TxID != txID || strings.Contains(string(last.Record), "企业主动申请终止") != want {
			t.Fatalf("%s/%s reads the ending in the agreement's history: %s", who.MSP, who.Role, last.Record)
		}
	}
	if c := must[*domain.CredentialRecord](t)(run(f, cityAAuthority, func(s store.Store) (*domain.CredentialRecord, error) {
		return app.GetCredential(s, numbers[1])
	})); !strings.Contains(c.StatusReason, "agreement "+f.agreem+" terminated") {
		t.Fatalf("a credential resting on the ended agreement reads %q", c.StatusReason)
	}
	for _, n := range numbers {
		r := must[*domain.CredentialRecord](t)(run(f, cityAClerk, func(s store.Store) (*domain.CredentialRecord, error) { return app.GetCredential(s, n) }))
		if r.Status != domain.CredentialAuthorizationEnded || r.Last.TxID != txID || !strings.Contains(r.StatusReason, f.agreem) {
			t.Fatalf("GetCredential %s after termination: %s %q (last tx %s)", n, r.Status, r.StatusReason, r.Last.TxID)
		}
		for _, action := range []string{"suspend", "reinstate", "revoke"} {
			f.refused(cityAAuthority, domain.RuleCredentialTransition, func(s store.Store) error {
				_, err := app.ChangeCredentialStatus(s, n, action, "试图恢复")
				return err
			})
		}
	}
	listed := must[*domain.Page[domain.CredentialRecord]](t)(run(f, cityAClerk, func(s store.Store) (*domain.Page[domain.CredentialRecord], error) {
		return app.ListCredentials(s, "agreement", f.agreem, 10, "")
	}))
	if len(listed.Items) != 3 {
		t.Fatalf("listed %d credentials of the agreement, want 3", len(listed.Items))
	}
	for _, r := range listed.Items {
		if r.Status != domain.CredentialAuthorizationEnded {
			t.Fatalf("ListCredentials shows %s as %s", r.Number, r.Status)
		}
	}
	page := must[*domain.Page[domain.AuthorizationDisclosure]](t)(run(f, cityAClerk, func(s store.Store) (*domain.Page[domain.AuthorizationDisclosure], error) {
		return app.ListDisclosedAuthorizations(s, 10, "")
	}))
	if len(page.Items) != 3 {
		t.Fatalf("the public list has %d authorizations, want 3", len(page.Items))
	}
	for _, d := range page.Items {
		if d.Status != domain.VerifyAuthorizationEnded {
			t.Fatalf("the public list shows %s as %s after its agreement ended, as verification does", d.AuthorizationNumber, d.Status)
		}
	}
	var ev domain.Event
	_ = json.Unmarshal(f.m.Events[len(f.m.Events)-1].Payload, &ev)
	if len(ev.Changes) != 1 || ev.Changes[0].RecordType != domain.TypeAgreement {
		t.Fatalf("event lists %+v, want the agreement alone", ev.Changes)
	}
	ag := must[*domain.Agreement](t)(run(f, cityAClerk, func(s store.Store) (*domain.Agreement, error) { return app.GetAgreement(s, f.agreem) }))
	if ag.Ending == nil || ag.Ending.LogsRetainedUntil != "2026-09-02" || ag.Ending.RetentionRule != "GX-12" {
		t.Fatalf("ending %+v", ag.Ending)
	}
	f.refused(cityAAuthority, domain.RuleAgreementTransition, func(s store.Store) error { _, err := app.EndAgreement(s, f.agreem, "revoke", "x"); return err })
	f.refused(cityAOperator, domain.RuleCredentialAgreement, func(s store.Store) error {
		_, err := app.IssueCredential(s, f.sign(f.credential(nil), f.key), f.agreem)
		return err
	})
}

func TestAgreementRules(t *testing.T) {
	f := newFixture(t, "GX")
	rec := func(actor domain.Actor, in domain.AgreementInput) func(s store.Store) error {
		b, _ := json.Marshal(in)
		return func(s store.Store) error { _, err := app.RecordAgreement(s, string(b)); return err }
	}
	ok := agreementInput(domain.AgreementScenario, operatorCode, holderCode, "2026-03-01", "2029-02-28", "2026-03-02")
	edit := func(fn func(*domain.AgreementInput)) domain.AgreementInput {
		in := ok
		in.Number = agreementNumber()
		fn(&in)
		return in
	}
	// The rules on the agreement's own terms: domain.TestRecordAgreementRules.
	f.refused(cityAClerk, domain.RuleRegistrar, rec(cityAClerk, ok))
	f.refused(cityAOperator, domain.RulePartyExists, rec(cityAOperator, edit(func(in *domain.AgreementInput) { in.GranteeCreditCode = withCheck("91450100MA5L9999A") })))
	f.refused(cityAOperator, domain.RuleCreditCode, rec(cityAOperator, edit(func(in *domain.AgreementInput) { in.GranteeCreditCode = mistyped(withCheck("91450100MA5L9999A")) })))
	f.refused(cityAOperator, domain.RuleNumber, rec(cityAOperator, edit(func(in *domain.AgreementInput) { in.Number = "XY-450100-2026-00000000-1" })))
	if err := rec(cityAOperator, ok); err == nil {
		t.Fatal()
	}
	if _, err := f.m.Run(cityAOperator, rec(cityAOperator, ok)); err != nil {
		t.Fatal(err)
	}
	f.refused(cityAOperator, domain.RuleAgreementUnique, rec(cityAOperator, ok))
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error { _, err := app.FileAgreement(s, ok.Number); return err })
	change := `{"documentDigest":"` + certs.SM3Hex([]byte("v2")) + `","scope":"扩大范围","termStart":"2026-03-01","termEnd":"2029-02-28"}`
	f.refused(cityAAuthority, domain.RuleAgreementTransition, func(s store.Store) error { _, err := app.ChangeAgreement(s, ok.Number, change, "扩围"); return err })
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) { return app.FileAgreement(s, ok.Number) }))
	changed := must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) {
		return app.ChangeAgreement(s, ok.Number, change, "扩围")
	}))
	if changed.Status != domain.AgreementChanged || changed.Scope != "扩大范围" || changed.Version != 3 {
		t.Fatalf("changed %+v", changed)
	}
	h := must[[]domain.HistoryItem](t)(run(f, cityAClerk, func(s store.Store) ([]domain.HistoryItem, error) {
		return app.History(s, domain.TypeAgreement, ok.Number)
	}))
	if len(h) != 3 || !strings.Contains(string(h[0].Record), "南宁市公共交通客流数据目录") {
		t.Fatalf("the superseded terms are not in the history: %d versions", len(h))
	}
}

func TestFilingNeedsTheCalendarOfTheDeadlinesYear(t *testing.T) {
	f := newFixture(t, "HB")
	f.m.SetClock(time.Date(2026, 12, 28, 2, 0, 0, 0, time.UTC))
	n := f.recordAgreement(domain.AgreementCatalog, operatorCode, otherEntCode, "2027-01-01", "2028-12-31", "2026-12-28")
	f.refused(cityAAuthority, domain.RuleCalendarYear, func(s store.Store) error { _, err := app.FileAgreement(s, n); return err })
	b, _ := json.Marshal(domain.Calendar{Year: 2027, Source: "测试：仅周末", Holidays: []string{"2027-01-01"}})
	must[*domain.Calendar](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Calendar, error) { return app.LoadCalendar(s, string(b), "") }))
	ag := must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) { return app.FileAgreement(s, n) }))
	// 12-29, 12-30, 12-31, (1-1 off, weekend), 1-4, 1-5.
	if ag.Filing.Deadline != "2027-01-05" || ag.Filing.Late || ag.Filing.Rule != "HB-37" {
		t.Fatalf("filing %+v", ag.Filing)
	}
	f.refused(cityAAuthority, domain.RuleText, func(s store.Store) error { _, err := app.LoadCalendar(s, string(b), ""); return err })
}

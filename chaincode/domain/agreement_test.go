package domain

import (
	"strings"
	"testing"
)

func withCheck(body string) string { c, _ := CreditCodeCheckChar(body); return body + string(c) }

var (
	operatorParty = &Party{CreditCode: withCheck("91450100MA5L00001"), Name: "广西数据运营有限公司", Role: PartyOperator, Status: PartyActive}
	holderParty   = &Party{CreditCode: "91450100MA5L0000AW", Name: "广西数智科技有限公司", Role: PartyEnterprise, Status: PartyActive}
	otherParty    = &Party{CreditCode: withCheck("91450100MA5L00002"), Name: "南宁链数科技有限公司", Role: PartyEnterprise, Status: PartyActive}
)

// TestRecordAgreementRules: the decisions on a signed agreement's own
// terms (moved from the adapter's agreement test, which keeps the ones
// that depend on what the adapter loads: unknown parties, mistyped codes,
// duplicates).
func TestRecordAgreementRules(t *testing.T) {
	gx := BuiltinProfiles()["GX"]
	ok := AgreementInput{Number: Number{Prefix: PrefixAgreement, Division: "450100", Year: 2026, Serial: "AG000001"}.String(), Kind: AgreementScenario,
		GrantorCreditCode: operatorParty.CreditCode, GranteeCreditCode: holderParty.CreditCode, DocumentDigest: strings.Repeat("ab", 32),
		Scope: "南宁市公共交通客流数据目录", TermStart: "2026-03-01", TermEnd: "2029-02-28", SignedOn: "2026-03-02",
		Declaration: FullDeclaration(strings.Repeat("cd", 32))}
	c := change("CityAMSP", RoleOperator)
	ag, err := RecordAgreement(nanning, gx, nil, operatorParty, holderParty, GranteeFacts{}, ok, at, c)
	if err != nil || ag.Status != AgreementSigned || ag.Version != 1 || ag.Registered.Action != "record" {
		t.Fatalf("%+v %v", ag, err)
	}
	cases := []struct {
		name             string
		edit             func(*AgreementInput)
		grantor, grantee *Party
		rule, field      string
	}{
		{"an enterprise grants onward", func(in *AgreementInput) {
			in.GrantorCreditCode, in.GranteeCreditCode = holderParty.CreditCode, otherParty.CreditCode
		}, holderParty, otherParty, RuleSubLicense, "grantorCreditCode"},
		{"the same party on both sides", func(in *AgreementInput) { in.GranteeCreditCode = operatorParty.CreditCode }, operatorParty, operatorParty, RuleAgreementParty, "granteeCreditCode"},
		{"granted to an operator", func(in *AgreementInput) { in.Kind = AgreementCatalog; in.GranteeCreditCode = otherParty.CreditCode }, operatorParty, &Party{CreditCode: otherParty.CreditCode, Role: PartyOperator, Status: PartyActive}, RuleAgreementParty, "granteeCreditCode"},
		{"longer than GX allows", func(in *AgreementInput) { in.TermEnd = "2031-03-01" }, operatorParty, holderParty, "GX-12", "termEnd"},
		{"ends before it starts", func(in *AgreementInput) { in.TermEnd = "2026-02-01" }, operatorParty, holderParty, RuleTerm, "termEnd"},
		{"a text, not a digest", func(in *AgreementInput) { in.DocumentDigest = "协议全文" }, operatorParty, holderParty, RuleDigest, "documentDigest"},
		{"an unknown kind", func(in *AgreementInput) { in.Kind = "lease" }, operatorParty, holderParty, RuleAgreementKind, "kind"},
		{"signed in the future", func(in *AgreementInput) { in.SignedOn = "2026-04-01" }, operatorParty, holderParty, RuleDocument, "signedOn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			tc.edit(&in)
			_, err := RecordAgreement(nanning, gx, nil, tc.grantor, tc.grantee, GranteeFacts{}, in, at, c)
			wantRule(t, err, tc.rule, tc.field)
		})
	}
}

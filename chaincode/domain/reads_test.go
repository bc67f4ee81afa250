package domain

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestAnEnterpriseHasOnlyWhatIsPublicOrItsOwn(t *testing.T) {
	code := func(body string) string { c, _ := CreditCodeCheckChar(body); return body + string(c) }
	mine, theirs, third := code("91450100MA5L00001"), code("91450100MA5L00002"), code("91450100MA5L00003")
	ent := Actor{MSP: "CityAMSP", Role: RoleEnterprise, ID: "ent", CreditCode: mine}
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	agreement := func(grantor, grantee string) []byte {
		return js(Agreement{AgreementInput: AgreementInput{GrantorCreditCode: grantor, GranteeCreditCode: grantee}})
	}
	sealed := func(record []byte) []byte { return js(Sealed{Salt: strings.Repeat("ab", 32), Record: record}) }
	history := func(first []byte) []byte {
		return js([]HistoryItem{{TxID: "a", Record: first}, {TxID: "b", Record: []byte(`{}`)}})
	}
	for _, c := range []struct {
		fn     string
		args   []string
		answer []byte
		ok     bool
	}{
		{"GetParty", []string{mine}, js(Party{CreditCode: mine}), true},
		{"GetParty", []string{theirs}, js(Party{CreditCode: theirs}), false},
		{"ProveParties", nil, js(map[string]PartyProof{theirs: {Party: js(Party{CreditCode: theirs, Role: PartyOperator})}}), true},
		{"ProveFacts", nil, js(map[string]PartyProof{mine: {Party: js(PartyFacts{CreditCode: mine})}}), true},
		{"ProveFacts", nil, js(map[string]PartyProof{mine: {Party: json.RawMessage("null")}, theirs: {Party: js(PartyFacts{CreditCode: theirs})}}), false},
		{"GetCredential", nil, js(CredentialRecord{HolderCreditCode: theirs}), true}, // public: every verification answers with it
		{"GetCertificate", nil, js(CertificateRecord{EnterpriseCreditCode: theirs}), true},
		{"GetAgreement", nil, agreement(theirs, mine), true},
		{"GetAgreement", nil, agreement(mine, theirs), true},
		{"GetAgreement", nil, agreement(theirs, third), false},
		{"GetApplication", nil, js(Application{ApplicationInput: ApplicationInput{ApplicantCreditCode: mine}}), true},
		{"GetApplication", nil, js(Application{ApplicationInput: ApplicationInput{ApplicantCreditCode: theirs}}), false},
		{"ListCredentials", []string{"holder", mine, "50", ""}, []byte(`{"items":[]}`), true},
		{"ListCredentials", []string{"holder", theirs, "50", ""}, []byte(`{"items":[]}`), false},
		{"ListCredentials", []string{"agreement", "SQ-450100-2026-000001", "50", ""}, []byte(`{"items":[]}`), false},
		{"ListParties", []string{"50", ""}, []byte(`{"items":[]}`), false},
		{"History", []string{TypeParty, mine}, history(js(Party{CreditCode: mine})), true},
		{"History", []string{TypeParty, theirs}, history(js(Party{CreditCode: theirs})), false},
		{"History", []string{TypeAgreement, "x"}, history(agreement(theirs, third)), false},
		{"History", []string{TypeCredential, "x"}, history(js(CredentialRecord{HolderCreditCode: theirs})), true}, // the public timeline
		{"History", []string{TypeBench, "x"}, history([]byte(`{}`)), false},
		{"VerifyCredential", []string{"x"}, []byte(`{}`), true},
		{"FileObjection", []string{"{}"}, []byte(`{}`), true},
		{"RegisterParty", []string{"{}"}, js(Party{CreditCode: mine}), false}, // not in the table: refused, writes included
		{"ListEgressChecks", []string{"x"}, []byte(`{"items":[]}`), false},
		{"GetCreditRecord", nil, js(CreditRecord{CreditInput: CreditInput{PartyCreditCode: mine}}), true},
		{"GetCreditRecord", nil, js(CreditRecord{CreditInput: CreditInput{PartyCreditCode: theirs}}), false},
		{"History", []string{TypeCredit, "x"}, history(js(CreditRecord{CreditInput: CreditInput{PartyCreditCode: mine}})), true},
		{"History", []string{TypeCredit, "x"}, history(js(CreditRecord{CreditInput: CreditInput{PartyCreditCode: theirs}})), false},
		{"RecordCreditRecord", []string{"{}"}, js(CreditRecord{CreditInput: CreditInput{PartyCreditCode: mine}}), false}, // the authority's act
		{"GetEvaluation", nil, js(Evaluation{EvaluationInput: EvaluationInput{PartyCreditCode: mine}}), true},
		{"GetEvaluation", nil, js(Evaluation{EvaluationInput: EvaluationInput{PartyCreditCode: theirs}}), false},
		{"GetPrivatePart", []string{TypeCredit, "x"}, sealed(js(CreditRecord{CreditInput: CreditInput{PartyCreditCode: mine}})), true},
		{"GetPrivatePart", []string{TypeCredit, "x"}, sealed(js(CreditRecord{CreditInput: CreditInput{PartyCreditCode: theirs}})), false},
		{"GetPrivatePart", []string{TypeApplication, "x"}, sealed(js(Application{ApplicationInput: ApplicationInput{ApplicantCreditCode: mine}})), true},
		{"GetPrivatePart", []string{TypeObjection, "x"}, sealed(js(Objection{})), false}, // an objection is nobody's own
		{"GetPrivatePart", []string{TypeCredit, "x"}, js(CreditRecord{CreditInput: CreditInput{PartyCreditCode: mine}}), false},
	} {
		err := ent.MayHave(c.fn, c.args, c.answer)
		// Refused before it runs exactly when the table has no row for it.
		if called := ent.MayCall(c.fn); (called == nil) != slices.Contains(EnterpriseTransactions(), c.fn) {
			t.Errorf("%s: before it runs: %v", c.fn, called)
		}
		if (err == nil) != c.ok {
			t.Errorf("%s %v: got %v, want allowed=%v", c.fn, c.args, err, c.ok)
		}
		if err != nil && !IsRule(err, RuleEnterpriseRead) {
			t.Errorf("%s: refused by %v, not %s", c.fn, err, RuleEnterpriseRead)
		}
		// Any other role is not asked: the access table decided.
		if err := (Actor{MSP: "CityAMSP", Role: RoleClerk}).MayHave(c.fn, c.args, c.answer); err != nil {
			t.Errorf("a clerk refused %s: %v", c.fn, err)
		}
	}
	// An enterprise identity without a valid credit code has nothing, not
	// even what the public has: its certificate is malformed.
	for _, code := range []string{"", "not-a-code", theirs[:17]} {
		if err := (Actor{Role: RoleEnterprise, CreditCode: code}).MayHave("GetProfile", nil, []byte(`{}`)); !IsRule(err, RuleEnterpriseRead) {
			t.Errorf("credit code %q: %v", code, err)
		}
	}
}

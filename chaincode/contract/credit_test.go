package contract

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

var creditSeq = 0

func creditNumber() string {
	creditSeq++
	return domain.Number{Prefix: domain.PrefixCredit, Division: "450100", Year: 2026, Serial: fmt.Sprintf("XD%06d", creditSeq)}.String()
}

func recordCreditFn(in domain.CreditInput) func(s store.Store) (*domain.CreditRecord, error) {
	b, _ := json.Marshal(in)
	return func(s store.Store) (*domain.CreditRecord, error) { return app.RecordCreditRecord(s, string(b)) }
}

func heldCredits(t *testing.T, f *fixture, party string) []string {
	t.Helper()
	return factsOf(t, f, party).Credits
}

// factsOf reads a party's facts as a transaction checks them.
func factsOf(t *testing.T, f *fixture, party string) *domain.PartyFacts {
	t.Helper()
	facts := must[*partyFacts](t)(run(f, cityAAuthority, func(s store.Store) (*partyFacts, error) { return readFacts(s, "party", party) }))
	return facts.PartyFacts
}

// GX 19: a finding goes to a party's credit file with the decision that
// caused it — here the revocation of its credential. Only the authority
// writes it, only for a decision against that party, once per decision;
// rescinded with reasons, it stays in the history and leaves the party's
// records in force.
func TestCreditRecordFollowsTheDecisionThatCausedIt(t *testing.T) {
	f := newFixture(t, "GX")
	rec := must[*domain.CredentialRecord](t)(f.issue(cityAOperator, f.sign(f.credential(nil), f.key), f.agreem))
	terminated := f.recordAgreement(domain.AgreementCatalog, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-02")
	in := domain.CreditInput{Number: creditNumber(), PartyCreditCode: holderCode, Cause: rec.Number, Category: "illegal_fees",
		FindingDigest: certs.SM3Hex([]byte("处理决定书")), Finding: "利用公共数据违规经营收费"}

	// The credential still stands: its issuance is no finding.
	f.refused(cityAAuthority, domain.RuleCreditCause, func(s store.Store) error { _, err := recordCreditFn(in)(s); return err })
	must[*domain.CredentialRecord](t)(run(f, cityAAuthority, func(s store.Store) (*domain.CredentialRecord, error) {
		return app.ChangeCredentialStatus(s, rec.Number, "revoke", "违规收费，撤销授权")
	}))
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error { _, err := recordCreditFn(in)(s); return err })
	for rule, bad := range map[string]domain.CreditInput{
		domain.RuleCredit:      func() domain.CreditInput { x := in; x.Category = "tax"; return x }(),
		domain.RuleCreditCause: func() domain.CreditInput { x := in; x.PartyCreditCode = otherEntCode; return x }(), // not the decision against this party
		domain.RuleDigest:      func() domain.CreditInput { x := in; x.FindingDigest = "abc"; return x }(),
		domain.RuleReasons:     func() domain.CreditInput { x := in; x.Finding = ""; return x }(),
		domain.RuleNumber: func() domain.CreditInput {
			x := in
			x.Number = strings.Replace(x.Number, "450100", "450200", 1)
			return x
		}(),
		domain.RulePartyExists: func() domain.CreditInput { x := in; x.PartyCreditCode = agencyCode; return x }(),
	} {
		f.refused(cityAAuthority, rule, func(s store.Store) error { _, err := recordCreditFn(bad)(s); return err })
	}
	// A number of no kind a decision is, and a decision not on the ledger.
	for _, cause := range []string{"XX-450100-2026-1", agreementNumber()} {
		bad := in
		bad.Cause = cause
		f.refused(cityAAuthority, domain.RuleCreditCause, func(s store.Store) error { _, err := recordCreditFn(bad)(s); return err })
	}
	r := must[*domain.CreditRecord](t)(run(f, cityAAuthority, recordCreditFn(in)))
	if r.Status != domain.CreditRecorded || r.Cite != "GX-19" || r.CauseKind != "credential" || r.CauseDecision != "credential revoked" || len(r.DecisionTxID) != 64 || r.RecordedOn != "2026-03-02" {
		t.Fatalf("recorded: %+v", r)
	}
	if held := heldCredits(t, f, holderCode); len(held) != 1 || held[0] != in.Number {
		t.Fatalf("in force: %v", held)
	}
	// While it stands, the party's declaration of good credit is refused
	// by the article (GX 9 asks none, but one declared is checked).
	more := agreementInput(domain.AgreementCatalog, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-02")
	mb, _ := json.Marshal(more)
	f.refused(cityAOperator, "GX-9", func(s store.Store) error { _, err := app.RecordAgreement(s, string(mb)); return err })
	// One record in force per decision.
	again := in
	again.Number = creditNumber()
	f.refused(cityAAuthority, domain.RuleCreditUnique, func(s store.Store) error { _, err := recordCreditFn(again)(s); return err })
	f.refused(cityAAuthority, domain.RuleCreditUnique, func(s store.Store) error { _, err := recordCreditFn(in)(s); return err })

	rescind := func(reasons string) func(s store.Store) (*domain.CreditRecord, error) {
		return func(s store.Store) (*domain.CreditRecord, error) {
			return app.RescindCreditRecord(s, in.Number, reasons)
		}
	}
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error { _, err := rescind("x")(s); return err })
	f.refused(cityAAuthority, domain.RuleReasons, func(s store.Store) error { _, err := rescind("")(s); return err })
	r = must[*domain.CreditRecord](t)(run(f, cityAAuthority, rescind("行政复议撤销原处理决定")))
	if r.Status != domain.CreditRescinded || r.Version != 2 || len(r.Steps) != 2 {
		t.Fatalf("rescinded: %+v", r)
	}
	f.refused(cityAAuthority, domain.RuleStep, func(s store.Store) error { _, err := rescind("again")(s); return err })
	if held := heldCredits(t, f, holderCode); len(held) != 0 {
		t.Fatalf("in force after rescission: %v", held)
	}
	// The decision may be written again, under a new number.
	must[*domain.CreditRecord](t)(run(f, cityAAuthority, recordCreditFn(again)))
	// Private whole (docs/PRIVACY.md): nothing of it in the world state,
	// the answers or the events, which blocks keep; its versions are the
	// collection's, which keeps no history: refused by name.
	f.refused(cityAAuthority, domain.RulePrivateRead, func(s store.Store) error { _, err := app.History(s, domain.TypeCredit, in.Number); return err })
	privateOnly(t, f, domain.TypeCredit, in.Number, in.Finding, "行政复议撤销原处理决定")
	for _, who := range []domain.Actor{cityAClerk, cityAExchange} {
		f.refused(who, domain.RuleCredit, func(s store.Store) error { _, err := app.GetCreditRecord(s, in.Number); return err })
	}
	// The party reads its own record (another enterprise's read is refused
	// by the enterprise table after the answer: domain's reads_test).
	got := must[*domain.CreditRecord](t)(run(f, selfActor(holderCode), func(s store.Store) (*domain.CreditRecord, error) { return app.GetCreditRecord(s, again.Number) }))
	if got.Number != again.Number || got.Cause != rec.Number {
		t.Fatalf("read: %+v", got)
	}

	// An agreement revoked is a decision against its grantee, not its
	// grantor; a terminated one is no finding.
	end := func(number, action string) {
		must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) { return app.EndAgreement(s, number, action, "违约") }))
	}
	end(terminated, "terminate")
	if asked := f.m.Last.ProvedFacts; len(asked) != 1 || asked[0] != holderCode { // its end is noted among the grants
		t.Fatalf("a termination checked the facts of %v, want its grantee's", asked)
	}
	if facts := factsOf(t, f, holderCode); facts.Grants[terminated].Status != domain.AgreementTerminated || facts.Decisions[terminated].What != "" {
		t.Fatalf("a termination in the grantee's facts: %+v", facts)
	}
	end(f.agreem, "revoke")
	asked := f.m.Last.ProvedFacts // the revocation is noted in the grantee's facts
	keysNameNoParty(t, f, "EndAgreement", []string{f.agreem, "revoke", "违约"}, holderCode)
	if len(asked) != 1 || asked[0] != holderCode || factsOf(t, f, holderCode).Decisions[f.agreem].What != "agreement revoked" {
		t.Fatalf("the revocation in the grantee's facts: asked %v", asked)
	}
	for _, bad := range []domain.CreditInput{
		{Number: creditNumber(), PartyCreditCode: holderCode, Cause: terminated},
		{Number: creditNumber(), PartyCreditCode: operatorCode, Cause: f.agreem},
	} {
		bad.Category, bad.FindingDigest, bad.Finding = "data_security", in.FindingDigest, "违约"
		f.refused(cityAAuthority, domain.RuleCreditCause, func(s store.Store) error { _, err := recordCreditFn(bad)(s); return err })
	}
	must[*domain.CreditRecord](t)(run(f, cityAAuthority, recordCreditFn(domain.CreditInput{Number: creditNumber(), PartyCreditCode: holderCode, Cause: f.agreem,
		Category: "data_security", FindingDigest: in.FindingDigest, Finding: "违反数据安全要求，撤销授权"})))
}

// An objection decision that revokes a registration is the decision: the
// certificate it revoked is no cause of its own (named, it is refused); a
// dismissed objection is no finding.
func TestCreditRecordOnAnObjectionIsOneDecision(t *testing.T) {
	f := newFixture(t, "GX")
	cred := f.credential(nil)
	must[*domain.CredentialRecord](t)(f.issue(cityAOperator, f.sign(cred, f.key), f.agreem))
	objection := func(cert string, seq int, outcome string) string {
		in := domain.ObjectionInput{Number: domain.Number{Prefix: domain.PrefixObjection, Division: "450100", Year: 2026, Serial: fmt.Sprintf("CR%06d", seq)}.String(),
			TargetKind: "certificate", Target: cert, EvidenceDigest: certs.SM3Hex([]byte("evidence")), Summary: "产品包含未授权数据"}
		b, _ := json.Marshal(in)
		must[*domain.Objection](t)(run(f, cityAClerk, func(s store.Store) (*domain.Objection, error) { return app.FileObjection(s, string(b)) }))
		d, _ := json.Marshal(domain.ObjectionDecision{Outcome: outcome, Reasons: "经核实"})
		must[*domain.Objection](t)(run(f, cityAOperator, func(s store.Store) (*domain.Objection, error) { return app.DecideObjection(s, in.Number, string(d)) }))
		return in.Number
	}
	cert := f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) {
		c.PreExisting, c.AuthorizationNumbers = true, []string{cred.AuthorizationNumber}
	})
	must[*domain.CertificateRecord](t)(f.register(cert, ""))
	dismissed := objection(cert.RegistrationNumber, 1, domain.OutcomeDismissed)
	if len(f.m.Last.ProvedFacts) != 0 {
		t.Fatalf("a dismissal checked facts: %v", f.m.Last.ProvedFacts)
	}
	upheld := objection(cert.RegistrationNumber, 2, domain.OutcomeRegistrationRevoked)
	asked := f.m.Last.ProvedFacts // upheld: noted in the facts of the certificate's enterprise
	d, _ := json.Marshal(domain.ObjectionDecision{Outcome: domain.OutcomeRegistrationRevoked, Reasons: "经核实"})
	keysNameNoParty(t, f, "DecideObjection", []string{upheld, string(d)}, holderCode)
	if len(asked) != 1 || asked[0] != holderCode {
		t.Fatalf("an upheld objection checked the facts of %v", asked)
	}
	in := domain.CreditInput{Number: creditNumber(), PartyCreditCode: holderCode, Cause: dismissed, Category: "data_security",
		FindingDigest: certs.SM3Hex([]byte("决定")), Finding: "使用未授权数据"}
	f.refused(cityAAuthority, domain.RuleCreditCause, func(s store.Store) error { _, err := recordCreditFn(in)(s); return err })
	in.Cause = upheld
	other := in
	other.PartyCreditCode = otherEntCode // not its certificate
	f.refused(cityAAuthority, domain.RuleCreditCause, func(s store.Store) error { _, err := recordCreditFn(other)(s); return err })
	r := must[*domain.CreditRecord](t)(run(f, cityAAuthority, recordCreditFn(in)))
	if r.CauseDecision != "objection upheld: registration_revoked" {
		t.Fatalf("recorded: %+v", r)
	}
	viaCert := in
	viaCert.Number, viaCert.Cause = creditNumber(), cert.RegistrationNumber
	f.refused(cityAAuthority, domain.RuleCreditCause, func(s store.Store) error { _, err := recordCreditFn(viaCert)(s); return err }) // the objection is the decision
}

// NS 30: a rectification order given to the operator is a decision
// against it, which a credit record may follow; an annual or periodic
// report it owes is not. ZW writes no credit file.
func TestCreditRecordFollowsAnOrderNotAReport(t *testing.T) {
	f := newFixture(t, "NS")
	report := domain.ObligationInput{Number: obligationNumber(), Kind: "operation_report", PartyCreditCode: operatorCode, Due: "2026-03-31", Note: "运营情况"}
	must[*domain.Obligation](t)(run(f, cityAAuthority, openFn(report)))
	order := domain.ObligationInput{Number: obligationNumber(), Kind: "rectification", PartyCreditCode: operatorCode, Subject: f.agreem, Due: "2026-03-31", Note: "数据安全整改"}
	must[*domain.Obligation](t)(f.order(cityAAuthority, order)) // an agreement the operator granted: from its grantee's facts
	in := domain.CreditInput{Number: creditNumber(), PartyCreditCode: operatorCode, Cause: report.Number, Category: "data_security",
		FindingDigest: certs.SM3Hex([]byte("决定")), Finding: "未落实数据安全保护义务"}
	f.refused(cityAAuthority, domain.RuleCreditCause, func(s store.Store) error { _, err := recordCreditFn(in)(s); return err })
	in.Cause = order.Number
	bad := in
	bad.Category = "antitrust" // HB 36 names it, NS 30 does not
	f.refused(cityAAuthority, domain.RuleCredit, func(s store.Store) error { _, err := recordCreditFn(bad)(s); return err })
	r := must[*domain.CreditRecord](t)(run(f, cityAAuthority, recordCreditFn(in)))
	if r.Cite != "NS-30" || r.CauseKind != "obligation" || r.CauseDecision != "order: rectification (NS-26.4)" {
		t.Fatalf("recorded: %+v", r)
	}

	// The order stands while the credit file rests on it: withdrawn only
	// after the record is rescinded.
	withdraw := func(s store.Store) (*domain.Obligation, error) {
		return app.DecideObligation(s, order.Number, domain.ObligationWithdrawn, "下达有误")
	}
	f.refused(cityAAuthority, domain.RuleCredit, func(s store.Store) error { _, err := withdraw(s); return err })
	must[*domain.CreditRecord](t)(run(f, cityAAuthority, func(s store.Store) (*domain.CreditRecord, error) {
		return app.RescindCreditRecord(s, in.Number, "整改决定撤回")
	}))
	must[*domain.Obligation](t)(run(f, cityAAuthority, withdraw))
	again := in
	again.Number = creditNumber()
	f.refused(cityAAuthority, domain.RuleCreditCause, func(s store.Store) error { _, err := recordCreditFn(again)(s); return err }) // a withdrawn order is no decision

	g := newFixture(t, "GD")
	gorder := domain.ObligationInput{Number: obligationNumber(), Kind: "rectification", PartyCreditCode: operatorCode, Subject: g.agreem, Due: "2026-03-31", Note: "违约整改"}
	must[*domain.Obligation](t)(g.order(cityAAuthority, gorder))
	gin := domain.CreditInput{Number: creditNumber(), PartyCreditCode: holderCode, Cause: gorder.Number, Category: "data_security", FindingDigest: in.FindingDigest, Finding: "违约"}
	// GD writes no enterprise's credit file (GD 34: implementing agencies
	// and operators).
	g.refused(cityAAuthority, domain.RuleCredit, func(s store.Store) error { _, err := recordCreditFn(gin)(s); return err })

	z := newFixture(t, "ZW")
	zin := in
	zin.Number = creditNumber()
	z.refused(cityAAuthority, domain.RuleCredit, func(s store.Store) error { _, err := recordCreditFn(zin)(s); return err })
}

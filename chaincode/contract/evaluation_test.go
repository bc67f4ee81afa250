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

var evaluationSeq = 0

func evaluationNumber() string {
	evaluationSeq++
	return domain.Number{Prefix: domain.PrefixEvaluation, Division: "450100", Year: 2026, Serial: fmt.Sprintf("PJ%06d", evaluationSeq)}.String()
}

func evaluateFn(in domain.EvaluationInput) func(s store.Store) (*domain.Evaluation, error) {
	b, _ := json.Marshal(in)
	return func(s store.Store) (*domain.Evaluation, error) { return app.RecordEvaluation(s, string(b)) }
}

// GD 38: the implementing agency evaluates the operator; the result is
// the basis of its re-authorization, so an authorizing agreement records
// the operator's latest evaluation. One stands per party and year; a
// correction supersedes it and both stay. NS evaluates no one.
func TestEvaluationIsTheBasisOfReauthorization(t *testing.T) {
	f := newFixture(t, "GD")
	in := domain.EvaluationInput{Number: evaluationNumber(), PartyCreditCode: operatorCode, Period: "2025", Outcome: domain.EvaluationUnqualified,
		Evaluators: []string{"南宁市大数据发展局", "第三方评估机构"}, ReportDigest: certs.SM3Hex([]byte("2025年度综合评价报告")), Summary: "协议执行情况不合格"}
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error { _, err := evaluateFn(in)(s); return err })
	for _, c := range []struct {
		rule string
		bad  func(x *domain.EvaluationInput)
	}{
		{domain.RuleEvaluation, func(x *domain.EvaluationInput) { x.Period = "2027" }},
		{domain.RuleEvaluation, func(x *domain.EvaluationInput) { x.Outcome = "good" }},
		{domain.RuleEvaluation, func(x *domain.EvaluationInput) { x.Evaluators = nil }},
		{domain.RuleEvaluation, func(x *domain.EvaluationInput) { x.PartyCreditCode = holderCode }},    // GD 38 evaluates operators and providers
		{domain.RuleEvaluation, func(x *domain.EvaluationInput) { x.Supersedes = evaluationNumber() }}, // nothing stands to supersede
		{domain.RuleDigest, func(x *domain.EvaluationInput) { x.ReportDigest = "x" }},
	} {
		bad := in
		c.bad(&bad)
		f.refused(cityAAuthority, c.rule, func(s store.Store) error { _, err := evaluateFn(bad)(s); return err })
	}
	e := must[*domain.Evaluation](t)(run(f, cityAAuthority, evaluateFn(in)))
	if e.Cite != "GD-38.2" || e.Status != domain.EvaluationStanding {
		t.Fatalf("recorded: %+v", e)
	}
	second := in
	second.Number = evaluationNumber()
	f.refused(cityAAuthority, domain.RuleEvaluationUnique, func(s store.Store) error { _, err := evaluateFn(second)(s); return err })
	second.Supersedes, second.Outcome = in.Number, domain.EvaluationQualified
	must[*domain.Evaluation](t)(run(f, cityAAuthority, evaluateFn(second)))
	old := must[*domain.Evaluation](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Evaluation, error) { return app.GetEvaluation(s, in.Number) }))
	if old.Status != domain.EvaluationSuperseded || old.SupersededBy != second.Number || old.Version != 2 {
		t.Fatalf("superseded: %+v", old)
	}
	// Written together, each is sealed with a salt of its own: a bundle of
	// one shows its salt, and must tell nothing of the other.
	salts := map[string]bool{}
	for _, n := range []string{in.Number, second.Number} {
		k, _ := domain.CompositeKey(domain.TypeEvaluation, n)
		var sealed domain.Sealed
		_ = json.Unmarshal([]byte(f.m.PrivateSnapshot()[k]), &sealed)
		if sealed.Salt != domain.SaltFor(strings.Repeat("5a", 32), k) {
			t.Fatalf("evaluation %s is sealed with %q, not its own salt", n, sealed.Salt)
		}
		salts[sealed.Salt] = true
	}
	if len(salts) != 2 {
		t.Fatalf("the evaluations written together share a salt: %v", salts)
	}
	// A superseded evaluation is superseded no more; a correction names
	// the one standing.
	third := second
	third.Number = evaluationNumber() // supersedes in.Number, superseded already
	f.refused(cityAAuthority, domain.RuleEvaluation, func(s store.Store) error { _, err := evaluateFn(third)(s); return err })
	// An earlier year recorded later is not the latest, nor is its
	// correction.
	earlier := in
	earlier.Number, earlier.Period = evaluationNumber(), "2024"
	must[*domain.Evaluation](t)(run(f, cityAAuthority, evaluateFn(earlier)))
	fixed := earlier
	fixed.Number, fixed.Supersedes, fixed.Outcome = evaluationNumber(), earlier.Number, domain.EvaluationQualified
	must[*domain.Evaluation](t)(run(f, cityAAuthority, evaluateFn(fixed)))

	// GD 21 asks the operator's declaration on its operation agreement;
	// the agreement records the latest evaluation, the corrected one.
	f.registerAgency()
	chosen := f.selected(operatorCode) // GD 20 (the clock moves on past the notice)
	op := agreementInput(domain.AgreementOperation, agencyCode, operatorCode, "2026-01-01", "2028-12-31", domain.DateOf(f.m.Clock()).Format(time.DateOnly))
	op.Selection = chosen
	ob, _ := json.Marshal(op)
	ag := must[*domain.Agreement](t)(run(f, cityAOperator, func(s store.Store) (*domain.Agreement, error) { return app.RecordAgreement(s, string(ob)) }))
	if ag.Evaluation != second.Number {
		t.Fatalf("the operation agreement's evaluation: %q, want %s", ag.Evaluation, second.Number)
	}
	// Another grantee's agreement names its own latest, none here.
	catalog := agreementInput(domain.AgreementCatalog, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-02")
	cb, _ := json.Marshal(catalog)
	if a := must[*domain.Agreement](t)(run(f, cityAOperator, func(s store.Store) (*domain.Agreement, error) { return app.RecordAgreement(s, string(cb)) })); a.Evaluation != "" {
		t.Fatalf("an agreement for an enterprise never evaluated names %q", a.Evaluation)
	}
	// Private whole (docs/PRIVACY.md): only the agreement's number of the
	// latest is public, and tells not its outcome.
	privateOnly(t, f, domain.TypeEvaluation, in.Number, in.Summary)
	for _, who := range []domain.Actor{cityAClerk, cityAExchange} {
		f.refused(who, domain.RuleEvaluation, func(s store.Store) error { _, err := app.GetEvaluation(s, second.Number); return err })
	}

	ns := newFixture(t, "NS")
	nin := in
	nin.Number = evaluationNumber()
	ns.refused(cityAAuthority, domain.RuleEvaluation, func(s store.Store) error { _, err := evaluateFn(nin)(s); return err })
}

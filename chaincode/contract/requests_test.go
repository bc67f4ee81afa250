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

// selfActor is an enterprise acting for itself through the platform of
// nanning (its identity issued by CityAMSP).
func selfActor(code string) domain.Actor {
	return domain.Actor{MSP: "CityAMSP", Role: domain.RoleEnterprise, ID: "enterprise-" + code, CreditCode: code}
}

func nextApplicationNumber(serial string) string {
	applicationSeq++
	return domain.Number{Prefix: domain.PrefixApplication, Division: "450100", Year: 2026, Serial: fmt.Sprintf("%s%06d", serial, applicationSeq)}.String()
}

func applyFn(in domain.ApplicationInput) func(s store.Store) (*domain.Application, error) {
	b, _ := json.Marshal(in)
	return func(s store.Store) (*domain.Application, error) { return app.Apply(s, string(b)) }
}

func reviewFn(number, decision, reasons string) func(s store.Store) (*domain.Application, error) {
	return func(s store.Store) (*domain.Application, error) {
		return app.PreliminaryReview(s, number, decision, reasons)
	}
}

// A 数商 onboards (ZW 18): its check is due in 5 working days; a refusal
// carries reasons; it files again naming the refused application and is
// registered; it exits with a reason. Another enterprise can neither file
// again in its name nor exit it.
func TestOnboardingIsRegisteredOrRefusedWithinItsDays(t *testing.T) {
	f := newFixture(t, "ZW")
	self, other := selfActor(holderCode), selfActor(otherEntCode)
	in := domain.ApplicationInput{Number: nextApplicationNumber("NB"), Kind: domain.KindOnboarding, ApplicantCreditCode: holderCode,
		MaterialsDigest: certs.SM3Hex([]byte("进驻申请材料"))}
	withProduct := in
	withProduct.ProductName = "某产品"
	f.refused(self, domain.RuleApplication, func(s store.Store) error { _, err := applyFn(withProduct)(s); return err })
	noMaterials := in
	noMaterials.MaterialsDigest = ""
	f.refused(self, domain.RuleDigest, func(s store.Store) error { _, err := applyFn(noMaterials)(s); return err })
	operatorApplies := in
	operatorApplies.ApplicantCreditCode = operatorCode
	f.refused(cityAOperator, domain.RuleApplication, func(s store.Store) error { _, err := applyFn(operatorApplies)(s); return err })

	a := must[*domain.Application](t)(run(f, self, applyFn(in)))
	// Monday 2 March + 5 working days (ZW 18) = Monday 9 March.
	if a.Stage != domain.StageApplied || a.PreliminaryDeadline != "2026-03-09" {
		t.Fatalf("filed: %s due %s", a.Stage, a.PreliminaryDeadline)
	}
	f.refused(cityAOperator, domain.RuleStep, func(s store.Store) error {
		_, err := reviewFn(in.Number, domain.DecisionCorrection, "补充材料")(s)
		return err
	})
	f.refused(cityAOperator, domain.RuleReasons, func(s store.Store) error { _, err := reviewFn(in.Number, domain.DecisionRejected, "")(s); return err })
	f.m.SetClock(time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)) // Tuesday 10 March: past the deadline
	a = must[*domain.Application](t)(run(f, cityAOperator, reviewFn(in.Number, domain.DecisionRejected, "营业执照已过期")))
	if a.Stage != domain.StageRejected || !a.Steps[len(a.Steps)-1].Late {
		t.Fatalf("refused late: %s late %v", a.Stage, a.Steps[len(a.Steps)-1].Late)
	}

	again := in
	again.Number, again.Previous = nextApplicationNumber("NB"), in.Number
	theirs := again
	theirs.ApplicantCreditCode = otherEntCode
	f.refused(other, domain.RuleApplication, func(s store.Store) error { _, err := applyFn(theirs)(s); return err }) // another's refusal: as if missing
	pending := again
	pending.Previous = again.Number // not recorded yet: missing
	f.refused(self, domain.RuleApplication, func(s store.Store) error { _, err := applyFn(pending)(s); return err })
	a = must[*domain.Application](t)(run(f, self, applyFn(again)))
	if a.Previous != in.Number || a.PreliminaryDeadline != "2026-03-17" {
		t.Fatalf("filed again: previous %s due %s", a.Previous, a.PreliminaryDeadline)
	}
	a = must[*domain.Application](t)(run(f, cityAOperator, reviewFn(again.Number, domain.DecisionApproved, "")))
	if a.Stage != domain.StageOnboarded || a.Steps[len(a.Steps)-1].Late {
		t.Fatalf("registered: %s", a.Stage)
	}
	// Filing again after a registration (not a refusal) is refused, and so
	// is a new onboarding while one is in force.
	third := in
	third.Number, third.Previous = nextApplicationNumber("NB"), again.Number
	f.refused(self, domain.RuleApplicationUniq, func(s store.Store) error { _, err := applyFn(third)(s); return err })
	fresh := in
	fresh.Number, fresh.Previous = nextApplicationNumber("NB"), ""
	f.refused(self, domain.RuleApplicationUniq, func(s store.Store) error { _, err := applyFn(fresh)(s); return err })

	exit := func(number, reason string) func(s store.Store) (*domain.Application, error) {
		return func(s store.Store) (*domain.Application, error) { return app.ExitOnboarding(s, number, reason) }
	}
	f.refused(other, domain.RuleOwnApplication, func(s store.Store) error { _, err := exit(again.Number, "代为退出")(s); return err })
	f.refused(cityAClerk, domain.RuleRegistrar, func(s store.Store) error { _, err := exit(again.Number, "代为退出")(s); return err })
	f.refused(self, domain.RuleText, func(s store.Store) error { _, err := exit(again.Number, "")(s); return err })
	a = must[*domain.Application](t)(run(f, self, exit(again.Number, "业务调整，主动退出")))
	if a.Stage != domain.StageExited || !a.Closed() {
		t.Fatalf("exited: %s", a.Stage)
	}
	f.refused(self, domain.RuleStep, func(s store.Store) error { _, err := exit(again.Number, "再次退出")(s); return err })
	// Having exited, it may onboard again.
	back := in
	back.Number, back.Previous = nextApplicationNumber("NB"), ""
	must[*domain.Application](t)(run(f, self, applyFn(back)))
	// A scenario application is no onboarding to exit: the same answer as a missing one.
	f.dataProvider()
	scenario := must[*domain.Application](t)(f.apply(applicationInput(holderCode, false)))
	f.refused(cityAOperator, domain.RuleApplication, func(s store.Store) error { _, err := exit(scenario.Number, "x")(s); return err })
}

// A grantee renews its agreement in the 6 months before it expires (NS
// 15): too early is refused citing NS-15; another's agreement reads as a
// missing one; the review is the authority's; the new agreement names
// the application and the agreement it renews.
func TestRenewalInTheMonthsBeforeExpiry(t *testing.T) {
	f := newFixture(t, "NS")
	self := selfActor(holderCode)
	ending := f.recordAgreement(domain.AgreementCatalog, operatorCode, holderCode, "2024-01-01", "2026-06-30", "2024-01-01")
	in := domain.ApplicationInput{Number: nextApplicationNumber("RN"), Kind: domain.KindRenewal, ApplicantCreditCode: holderCode,
		Renews: f.agreem, MaterialsDigest: certs.SM3Hex([]byte("续期申请材料"))}
	f.refused(self, "NS-15", func(s store.Store) error { _, err := applyFn(in)(s); return err }) // f.agreem ends 2028-12-31: window opens 2028-06-30
	in.Renews = ending
	theirs := in
	theirs.ApplicantCreditCode = otherEntCode
	f.refused(selfActor(otherEntCode), domain.RuleAgreementExists, func(s store.Store) error { _, err := applyFn(theirs)(s); return err })
	a := must[*domain.Application](t)(run(f, self, applyFn(in)))
	for k := range f.m.Last.Reads { // the agreement from the applicant's facts, by proof: the read set names neither
		if strings.Contains(k, ending) || strings.Contains(k, holderCode) {
			t.Fatalf("the renewal's application read %q", k)
		}
	}
	if asked := f.m.Last.ProvedFacts; len(asked) != 1 || asked[0] != holderCode {
		t.Fatalf("the renewal's application checked the facts of %v", asked)
	}
	if a.Stage != domain.StageApplied || a.PreliminaryDeadline != "" {
		t.Fatalf("filed: %s due %q (NS 15 sets no review figure)", a.Stage, a.PreliminaryDeadline)
	}
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error { _, err := reviewFn(in.Number, domain.DecisionApproved, "")(s); return err })
	a = must[*domain.Application](t)(run(f, cityAAuthority, reviewFn(in.Number, domain.DecisionApproved, "")))
	if a.Stage != domain.StageRenewalApproved {
		t.Fatalf("approved: %s", a.Stage)
	}
	record := func(ag domain.AgreementInput) func(s store.Store) (*domain.Agreement, error) {
		b, _ := json.Marshal(ag)
		return func(s store.Store) (*domain.Agreement, error) { return app.RecordAgreement(s, string(b)) }
	}
	wrong := agreementInput(domain.AgreementScenario, operatorCode, holderCode, "2026-07-01", "2029-06-29", "2026-03-02")
	wrong.RenewalOf = in.Number
	f.refused(cityAOperator, domain.RuleRenewal, func(s store.Store) error { _, err := record(wrong)(s); return err })
	next := agreementInput(domain.AgreementCatalog, operatorCode, holderCode, "2026-07-01", "2029-06-29", "2026-03-02")
	next.RenewalOf = in.Number
	ag := must[*domain.Agreement](t)(run(f, cityAOperator, record(next)))
	if ag.Renews != ending || ag.RenewalOf != in.Number {
		t.Fatalf("renewed agreement: renews %q of %q", ag.Renews, ag.RenewalOf)
	}
	a = must[*domain.Application](t)(run(f, self, func(s store.Store) (*domain.Application, error) { return app.GetApplication(s, in.Number) }))
	if a.Stage != domain.StageRenewed || a.AgreementNumber != next.Number {
		t.Fatalf("after the new agreement: %s %s", a.Stage, a.AgreementNumber)
	}
	again := agreementInput(domain.AgreementCatalog, operatorCode, holderCode, "2026-07-01", "2029-06-29", "2026-03-02")
	again.RenewalOf = in.Number
	f.refused(cityAOperator, domain.RuleStep, func(s store.Store) error { _, err := record(again)(s); return err }) // one new agreement per renewal
	old := must[*domain.Agreement](t)(run(f, self, func(s store.Store) (*domain.Agreement, error) { return app.GetAgreement(s, ending) }))
	if old.RenewedBy != next.Number || old.Status != domain.AgreementSigned || old.TermEnd != "2026-06-30" {
		t.Fatalf("the renewed agreement: renewed by %q, %s until %s", old.RenewedBy, old.Status, old.TermEnd)
	}
	// An agreement is renewed once: a second renewal of it is refused.
	second := in
	second.Number = nextApplicationNumber("RN")
	f.refused(self, domain.RuleRenewal, func(s store.Store) error { _, err := applyFn(second)(s); return err })

	// Two renewals filed before either is answered: the second new
	// agreement is refused; a renewal whose agreement ended after its
	// approval renews nothing.
	ending2 := f.recordAgreement(domain.AgreementCatalog, operatorCode, holderCode, "2024-02-01", "2026-07-31", "2024-02-01")
	r1, r2 := in, in
	r1.Number, r1.Renews = nextApplicationNumber("RN"), ending2
	r2.Number, r2.Renews = nextApplicationNumber("RN"), ending2
	for _, r := range []domain.ApplicationInput{r1, r2} {
		must[*domain.Application](t)(run(f, self, applyFn(r)))
		must[*domain.Application](t)(run(f, cityAAuthority, reviewFn(r.Number, domain.DecisionApproved, "")))
	}
	first := agreementInput(domain.AgreementCatalog, operatorCode, holderCode, "2026-08-01", "2029-07-30", "2026-03-02")
	first.RenewalOf = r1.Number
	must[*domain.Agreement](t)(run(f, cityAOperator, record(first)))
	dup := agreementInput(domain.AgreementCatalog, operatorCode, holderCode, "2026-08-01", "2029-07-30", "2026-03-02")
	dup.RenewalOf = r2.Number
	f.refused(cityAOperator, domain.RuleRenewal, func(s store.Store) error { _, err := record(dup)(s); return err })
	// The second approval can no longer be recorded: it lapses, with
	// reasons, so it does not stay open.
	f.refused(cityAAuthority, domain.RuleStep, func(s store.Store) error { _, err := reviewFn(r2.Number, domain.DecisionApproved, "")(s); return err })
	f.refused(cityAAuthority, domain.RuleReasons, func(s store.Store) error { _, err := reviewFn(r2.Number, domain.DecisionRejected, "")(s); return err })
	if a := must[*domain.Application](t)(run(f, cityAAuthority, reviewFn(r2.Number, domain.DecisionRejected, "协议已由另一续期申请续期"))); a.Stage != domain.StageRejected || !a.Closed() {
		t.Fatalf("lapsed: %s", a.Stage)
	}
	// A successor revoked as a wrong record no longer stands in the way.
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) {
		return app.EndAgreement(s, first.Number, "revoke", "登记有误")
	}))
	r4 := r1
	r4.Number = nextApplicationNumber("RN")
	must[*domain.Application](t)(run(f, self, applyFn(r4)))

	ending3 := f.recordAgreement(domain.AgreementCatalog, operatorCode, holderCode, "2024-03-01", "2026-08-31", "2024-03-01")
	r3 := in
	r3.Number, r3.Renews = nextApplicationNumber("RN"), ending3
	must[*domain.Application](t)(run(f, self, applyFn(r3)))
	must[*domain.Application](t)(run(f, cityAAuthority, reviewFn(r3.Number, domain.DecisionApproved, "")))
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) {
		return app.EndAgreement(s, ending3, "terminate", "经营异常")
	}))
	late := agreementInput(domain.AgreementCatalog, operatorCode, holderCode, "2026-09-01", "2029-08-30", "2026-03-02")
	late.RenewalOf = r3.Number
	f.refused(cityAOperator, domain.RuleRenewal, func(s store.Store) error { _, err := record(late)(s); return err })
}

// A data-quality request (HB 25) to one data provider: answered within 3
// working days (a late answer is recorded, marked late), confirmed with a
// date to resolve it by, then resolved (late after that date).
func TestQualityRequestIsAnsweredAndResolved(t *testing.T) {
	f := newFixture(t, "HB")
	f.dataProvider()
	self := selfActor(holderCode)
	in := domain.ApplicationInput{Number: nextApplicationNumber("QR"), Kind: domain.KindQuality, ApplicantCreditCode: holderCode,
		Problem: "公交刷卡数据2026年2月缺失约12%记录", ResourceIDs: []string{"RES-450100-0001"}, DataProviders: []string{providerCode}}
	twoProviders := in
	twoProviders.DataProviders = []string{providerCode, operatorCode}
	f.refused(self, domain.RuleQuality, func(s store.Store) error { _, err := applyFn(twoProviders)(s); return err })
	notProvider := in
	notProvider.DataProviders = []string{operatorCode}
	f.refused(self, domain.RuleReviewer, func(s store.Store) error { _, err := applyFn(notProvider)(s); return err })
	a := must[*domain.Application](t)(run(f, self, applyFn(in)))
	if a.PreliminaryDeadline != "2026-03-05" {
		t.Fatalf("due %s, want 2026-03-05 (HB 25: 3 working days)", a.PreliminaryDeadline)
	}
	f.refused(cityAOperator, domain.RuleStep, func(s store.Store) error { _, err := reviewFn(in.Number, domain.DecisionApproved, "")(s); return err })
	answer := func(q domain.QualityAnswer) func(s store.Store) (*domain.Application, error) {
		b, _ := json.Marshal(q)
		return func(s store.Store) (*domain.Application, error) {
			return app.AnswerQualityRequest(s, in.Number, string(b))
		}
	}
	for _, who := range []domain.Actor{self, cityAOperator} { // the operator may have filed it: the authority records for the provider
		f.refused(who, domain.RuleOwnAuthority, func(s store.Store) error {
			_, err := answer(domain.QualityAnswer{Decision: domain.DecisionConfirmed, ResolveBy: "2026-03-20"})(s)
			return err
		})
	}
	f.refused(cityAAuthority, domain.RuleReasons, func(s store.Store) error {
		_, err := answer(domain.QualityAnswer{Decision: domain.DecisionNotConfirmed})(s)
		return err
	})
	f.m.SetClock(time.Date(2026, 3, 6, 2, 0, 0, 0, time.UTC)) // Friday 6 March: a day late
	for _, by := range []string{"2026-03-05", "2026-06-05"} { // in the past; more than 90 days ahead
		f.refused(cityAAuthority, domain.RuleQuality, func(s store.Store) error {
			_, err := answer(domain.QualityAnswer{Decision: domain.DecisionConfirmed, ResolveBy: by})(s)
			return err
		})
	}
	a = must[*domain.Application](t)(run(f, cityAAuthority, answer(domain.QualityAnswer{Decision: domain.DecisionConfirmed, Reasons: "确认缺失，补采中", ResolveBy: "2026-03-10"})))
	if s := a.Steps[len(a.Steps)-1]; a.Stage != domain.StageQualityConfirmed || !s.Late || s.Reviewer != providerCode || a.ResolveBy != "2026-03-10" {
		t.Fatalf("answered: %s late %v by %s resolve by %s", a.Stage, s.Late, s.Reviewer, a.ResolveBy)
	}
	resolve := func(r domain.QualityResolution) func(s store.Store) (*domain.Application, error) {
		b, _ := json.Marshal(r)
		return func(s store.Store) (*domain.Application, error) {
			return app.ResolveQualityRequest(s, in.Number, string(b))
		}
	}
	f.refused(cityAAuthority, domain.RuleDigest, func(s store.Store) error {
		_, err := resolve(domain.QualityResolution{Note: "已补采"})(s)
		return err
	})
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error {
		_, err := resolve(domain.QualityResolution{Note: "已补采", Digest: certs.SM3Hex([]byte("y"))})(s)
		return err
	})
	f.m.SetClock(time.Date(2026, 3, 11, 2, 0, 0, 0, time.UTC)) // Wednesday 11 March: a day after resolveBy
	a = must[*domain.Application](t)(run(f, cityAAuthority, resolve(domain.QualityResolution{Note: "已补采并重新汇聚", Digest: certs.SM3Hex([]byte("补采报告"))})))
	if a.Stage != domain.StageQualityResolved || !a.Steps[len(a.Steps)-1].Late || !a.Closed() {
		t.Fatalf("resolved: %s late %v", a.Stage, a.Steps[len(a.Steps)-1].Late)
	}
	f.refused(cityAAuthority, domain.RuleStep, func(s store.Store) error {
		_, err := resolve(domain.QualityResolution{Note: "再次处理", Digest: certs.SM3Hex([]byte("x"))})(s)
		return err
	})
}

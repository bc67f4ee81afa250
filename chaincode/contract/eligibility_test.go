package contract

import (
	"encoding/json"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// HB 14: an operator declares, on its operation agreement, that it had no
// security incident in three years and has no bad record; the ledger holds
// the incident it reported itself (HB 34(3)) and refuses the declaration.
// A declaration goes only on an agreement that authorizes.
func TestOperatorEligibilityIsCheckedAgainstWhatItReported(t *testing.T) {
	f := newFixture(t, "HB")
	f.registerAgency()
	record := func(in domain.AgreementInput) func(s store.Store) (*domain.Agreement, error) {
		b, _ := json.Marshal(in)
		return func(s store.Store) (*domain.Agreement, error) { return app.RecordAgreement(s, string(b)) }
	}
	op := agreementInput(domain.AgreementOperation, agencyCode, operatorCode, "2026-01-01", "2028-12-31", "2026-03-02")
	op.Declaration = nil
	f.refused(cityAOperator, "HB-14", func(s store.Store) error { _, err := record(op)(s); return err }) // none declared
	partial := op
	partial.Declaration = &domain.Declaration{Items: []string{domain.ItemNoIncident3Y, domain.ItemNoBadCreditRecord, "no_serious_penalty"}, EvidenceDigest: certs.SM3Hex([]byte("承诺书"))}
	f.refused(cityAOperator, "HB-14", func(s store.Store) error { _, err := record(partial)(s); return err }) // no_criminal_record missing
	development := agreementInput(domain.AgreementDevelopment, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-02")
	development.Declaration = declaration // grants no authorization: nothing to declare
	f.refused(cityAOperator, domain.RuleAgreementKind, func(s store.Store) error { _, err := record(development)(s); return err })

	// The operator reports an incident (the registrar for it).
	incident := domain.ObligationInput{Number: obligationNumber(), Kind: "security_incident", PartyCreditCode: operatorCode, OccurredOn: "2026-03-01",
		Note: "接口遭未授权访问", DocumentDigest: certs.SM3Hex([]byte("事件报告"))}
	must[*domain.Obligation](t)(run(f, cityAOperator, openFn(incident)))
	op.Declaration = declaration
	f.refused(cityAOperator, "HB-14", func(s store.Store) error { _, err := record(op)(s); return err })
	// An earlier incident reported later is kept beside it; a report
	// withdrawn (opened in error) is dropped.
	earlier := incident
	earlier.Number, earlier.OccurredOn = obligationNumber(), "2025-06-01"
	must[*domain.Obligation](t)(run(f, cityAOperator, openFn(earlier)))
	held := func() []domain.ReportedEvent {
		return factsOf(t, f, operatorCode).Incidents
	}
	if h := held(); len(h) != 2 || h[0].Number != incident.Number || h[1].Number != earlier.Number {
		t.Fatalf("incidents held: %+v", h)
	}
	must[*domain.Obligation](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Obligation, error) {
		return app.DecideObligation(s, incident.Number, domain.ObligationWithdrawn, "误报：非本运营机构")
	}))
	if h := held(); len(h) != 1 || h[0].Number != earlier.Number {
		t.Fatalf("incidents held after a withdrawal: %+v", h)
	}
	f.refused(cityAOperator, "HB-14", func(s store.Store) error { _, err := record(op)(s); return err }) // the earlier one is within three years
	// A risk report (HB 35, another kind) is no incident.
	risk := domain.ObligationInput{Number: obligationNumber(), Kind: "risk_report", PartyCreditCode: operatorCode, OccurredOn: "2026-03-02",
		Note: "发现数据关联风险", DocumentDigest: certs.SM3Hex([]byte("风险报告"))}
	must[*domain.Obligation](t)(run(f, cityAOperator, openFn(risk)))
	if h := held(); len(h) != 1 {
		t.Fatalf("incidents: %+v", h)
	}
	// Three years on, the declaration stands.
	f.m.SetClock(time.Date(2028, 6, 2, 1, 0, 0, 0, time.UTC))
	if ag := must[*domain.Agreement](t)(run(f, cityAOperator, record(op))); ag.Declaration == nil || len(ag.Declaration.Items) != len(domain.EligibilityItems) {
		t.Fatalf("recorded with its declaration: %+v", ag.Declaration)
	}
}

package contract

import (
	"encoding/json"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// GD 23 ¶3: the operation agreement's change, and then its termination,
// each open in their own transaction the implementing agency's filing
// (agreement_change_filing, 10 working days, public), named for the
// agreement and listed in the one event; nobody opens one by hand, and a
// catalog agreement's change opens none. The agency files it like any
// obligation.
func TestAnAgreementsChangeOpensItsFiling(t *testing.T) {
	f := newFixture(t, "GD")
	f.registerAgency()
	sel := f.selected(operatorCode)
	op := agreementInput(domain.AgreementOperation, agencyCode, operatorCode, "2026-01-01", "2028-12-31", domain.DateOf(f.m.Clock()).Format("2006-01-02"))
	op.Selection = sel
	b, _ := json.Marshal(op)
	must[*domain.Agreement](t)(run(f, cityAOperator, func(s store.Store) (*domain.Agreement, error) { return app.RecordAgreement(s, string(b)) }))
	// opened are the obligations of kind the events from the index on
	// opened.
	openedOf := func(from int, kind string) []domain.Obligation {
		t.Helper()
		var out []domain.Obligation
		for _, e := range f.m.Events[from:] {
			var ev domain.Event
			_ = json.Unmarshal(e.Payload, &ev)
			for _, c := range ev.Changes[1:] {
				o := must[*domain.Obligation](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Obligation, error) {
					number := c.Key
					if number == "" { // a kind with no public view: its key hash
						ref, err := app.FindPrivateRecord(s, c.KeyHash)
						if err != nil {
							return nil, err
						}
						number = ref.Number
					}
					return app.loadObligation(s, number)
				}))
				if o.Kind == kind {
					out = append(out, *o)
				}
			}
		}
		return out
	}
	opened := func(from int) []domain.Obligation { t.Helper(); return openedOf(from, "agreement_change_filing") }
	upward := func(from int) []domain.Obligation { t.Helper(); return openedOf(from, "agreement_upward_filing") }
	filedAt := len(f.m.Events)
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) { return app.FileAgreement(s, op.Number) }))
	// GD 23 ¶4: the city reports the filed agreement to the province at once
	// (及时): a duty owed a level up, no party's.
	up := upward(filedAt)
	if len(up) != 1 || !up[0].Upward || up[0].PartyCreditCode != "" || up[0].DueOn != "2026-03-12" || up[0].Cite != "GD-23.4" {
		t.Fatalf("the filing opened %+v", up)
	}
	privateOnly(t, f, domain.TypeObligation, up[0].Number, up[0].Note) // a kind that is not public: nothing in the world state

	change, _ := json.Marshal(domain.AgreementChange{DocumentDigest: certs.SM3Hex([]byte("变更后的协议")), Scope: "南宁市公共交通与医疗数据", TermStart: "2026-01-01", TermEnd: "2028-12-31"})
	from := len(f.m.Events)
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) {
		return app.ChangeAgreement(s, op.Number, string(change), "增加医疗数据")
	}))
	first := opened(from)
	if up := upward(from); len(up) != 1 || up[0].Subject != op.Number {
		t.Fatalf("the change opened, a level up, %+v", up)
	}
	// The clock: 2026-03-12 (a Thursday) → 10 working days → 2026-03-26.
	if len(first) != 1 || first[0].Kind != "agreement_change_filing" || first[0].PartyCreditCode != agencyCode || first[0].Subject != op.Number ||
		!first[0].Disclosed || first[0].Cite != "GD-23.3" || first[0].DueOn != "2026-03-26" || f.m.Events[from].Name != "agreement.change" {
		t.Fatalf("the change opened %+v (event %s)", first, f.m.Events[from].Name)
	}
	byHand, _ := json.Marshal(domain.ObligationInput{Number: obligationNumber(), Kind: "agreement_change_filing", PartyCreditCode: agencyCode, Subject: op.Number, Note: "手工"})
	f.refused(cityAAuthority, domain.RuleObligationKind, func(s store.Store) error { _, err := app.OpenObligation(s, string(byHand)); return err })

	from = len(f.m.Events)
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) {
		return app.EndAgreement(s, op.Number, "terminate", "协商一致终止")
	}))
	second := opened(from)
	if len(second) != 1 || second[0].Number == first[0].Number || second[0].Subject != op.Number {
		t.Fatalf("the termination opened %+v", second)
	}
	filing, _ := json.Marshal(domain.ObligationFiling{DocumentDigest: certs.SM3Hex([]byte("变更备案函"))})
	if o := must[*domain.Obligation](t)(run(f, cityAOperator, func(s store.Store) (*domain.Obligation, error) {
		return app.FileObligation(s, first[0].Number, string(filing))
	})); o.Status != domain.ObligationFiled || o.FiledLate {
		t.Fatalf("filed: %+v", o)
	}

	from = len(f.m.Events)
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) {
		return app.ChangeAgreement(s, f.agreem, string(change), "目录调整")
	}))
	if got := opened(from); len(got) != 0 {
		t.Fatalf("a catalog agreement's change opened %+v", got)
	}

	// A revocation late in December, with no calendar for next year, is
	// not held up: its filing is due the latest the 10 working days could
	// end (weekdays, and 9 days for holidays), and says so.
	f.m.SetClock(time.Date(2026, 12, 18, 2, 0, 0, 0, time.UTC)) // 10:00 CST; the selection's notice takes it to the 28th
	late := agreementInput(domain.AgreementOperation, agencyCode, operatorCode, "2026-12-01", "2028-11-30", "2026-12-28")
	late.Selection = f.selected(operatorCode)
	lb, _ := json.Marshal(late)
	must[*domain.Agreement](t)(run(f, cityAOperator, func(s store.Store) (*domain.Agreement, error) { return app.RecordAgreement(s, string(lb)) }))
	from = len(f.m.Events)
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) {
		return app.EndAgreement(s, late.Number, "revoke", "严重违约")
	}))
	third := opened(from)
	if today := domain.DateOf(f.m.Clock()); today.Format("2006-01-02") != "2026-12-28" || len(third) != 1 || third[0].DueOn != "2027-01-20" || third[0].DueNote == "" || f.m.Events[from].Name != "agreement.revoke" {
		t.Fatalf("the revocation on %s opened %+v", f.m.Clock(), third)
	}
}

// NS 20 on a change: a catalog agreement's change restates the class of
// the data it grants, and data opened conditionally needs the joint
// meeting's assessment of the change, by its day (not the one before).
func TestAChangeIsAssessedAsAGrant(t *testing.T) {
	f := newFixture(t, "NS")
	change := domain.AgreementChange{DocumentDigest: certs.SM3Hex([]byte("扩大范围")), Scope: "南宁市公共交通与人口数据", TermStart: "2026-01-01", TermEnd: "2028-12-31"}
	try := func(ch domain.AgreementChange) func(s store.Store) (*domain.Agreement, error) {
		b, _ := json.Marshal(ch)
		return func(s store.Store) (*domain.Agreement, error) {
			return app.ChangeAgreement(s, f.agreem, string(b), "扩大范围")
		}
	}
	f.refused(cityAAuthority, "NS-2", func(s store.Store) error { _, err := try(change)(s); return err })
	change.DataClass = domain.DataConditional
	f.refused(cityAAuthority, "NS-20", func(s store.Store) error { _, err := try(change)(s); return err })
	change.JointAssessment = &domain.JointAssessment{OpinionDigest: certs.SM3Hex([]byte("联席会议意见")), IssuedOn: "2026-03-02"}
	if ag := must[*domain.Agreement](t)(run(f, cityAAuthority, try(change))); ag.DataClass != domain.DataConditional || ag.JointAssessment == nil {
		t.Fatalf("changed: %+v", ag)
	}
	wider := change
	wider.Scope = "南宁市公共交通、人口与医疗数据"
	f.refused(cityAAuthority, "NS-20", func(s store.Store) error { _, err := try(wider)(s); return err }) // the same assessment again
	wider.JointAssessment = &domain.JointAssessment{OpinionDigest: certs.SM3Hex([]byte("联席会议意见（扩大范围）")), IssuedOn: "2026-03-02"}
	must[*domain.Agreement](t)(run(f, cityAAuthority, try(wider)))
}

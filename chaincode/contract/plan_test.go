package contract

import (
	"encoding/json"
	"fmt"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

var planSeq = 0

func planNumber() string {
	planSeq++
	return domain.Number{Prefix: domain.PrefixPlan, Division: "450100", Year: 2026, Serial: fmt.Sprintf("FA%06d", planSeq)}.String()
}

func recordPlanFn(in domain.PlanInput) func(s store.Store) (*domain.Plan, error) {
	b, _ := json.Marshal(in)
	return func(s store.Store) (*domain.Plan, error) { return app.RecordPlan(s, string(b)) }
}

func filePlanFn(number, letter string) func(s store.Store) (*domain.Plan, error) {
	b, _ := json.Marshal(domain.PlanFiling{DocumentDigest: certs.SM3Hex([]byte(letter))})
	return func(s store.Store) (*domain.Plan, error) { return app.FilePlan(s, number, string(b)) }
}

func decidePlanFn(number, decision, reasons string) func(s store.Store) (*domain.Plan, error) {
	return func(s store.Store) (*domain.Plan, error) { return app.DecidePlanFiling(s, number, decision, reasons) }
}

// plan records a plan approved on 2026-02-10 (superseding supersedes, if
// any) and answers its number.
func (f *fixture) plan(supersedes string) string {
	f.t.Helper()
	in := domain.PlanInput{Number: planNumber(), Title: "南宁市公共数据资源授权运营实施方案", Scope: "交通出行",
		DocumentDigest: certs.SM3Hex([]byte("实施方案")), ApprovedOn: "2026-02-10", ApprovedBy: "南宁市人民政府", Supersedes: supersedes}
	return must[*domain.Plan](f.t)(run(f, cityAAuthority, recordPlanFn(in))).Number
}

// GX 7(3): an operator is selected under an approved implementation plan
// in force: a selection naming none, a plan the channel has not, or a
// superseded one is refused.
func TestSelectionFollowsThePlanInForce(t *testing.T) {
	f := newFixture(t, "GX")
	f.registerAgency()
	in := domain.SelectionInput{Number: selectionNumber(), AgencyCreditCode: agencyCode, Method: "public_tender", Scope: "南宁市公共数据授权运营",
		AnnouncementDigest: certs.SM3Hex([]byte("征集公告"))}
	f.refused(cityAAuthority, "GX-7.3", func(s store.Store) error { _, err := openSelectionFn(in)(s); return err })
	in.Plan = planNumber()
	f.refused(cityAAuthority, domain.RulePlan, func(s store.Store) error { _, err := openSelectionFn(in)(s); return err })
	old := f.plan("")
	current := f.plan(old)
	in.Plan = old
	f.refused(cityAAuthority, "GX-7.3", func(s store.Store) error { _, err := openSelectionFn(in)(s); return err })
	in.Plan = current
	if s := must[*domain.Selection](t)(run(f, cityAAuthority, openSelectionFn(in))); s.Plan != current {
		t.Fatalf("opened: %+v", s)
	}
}

// GD 19 on nanning, whose authority a level up is the province: the city
// records the approved plan (due 10 working days after its approval), files
// it, the province returns it and then accepts it; the city may not decide
// on its own filing, nor the province record or file the city's plan. A
// change supersedes the plan in one transaction whose one event names
// both. Every refusal leaves the ledger as it was.
func TestPlanIsRecordedFiledUpwardAndSuperseded(t *testing.T) {
	f := newFixture(t, "GD")
	in := domain.PlanInput{Number: planNumber(), Title: "南宁市公共数据资源授权运营实施方案", Scope: "交通出行、医疗健康",
		DocumentDigest: certs.SM3Hex([]byte("实施方案 2026")), ApprovedOn: "2026-02-10", ApprovedBy: "南宁市人民政府"}
	for _, who := range []domain.Actor{cityAOperator, provinceAuth} {
		f.refused(who, domain.RuleOwnAuthority, func(s store.Store) error { _, err := recordPlanFn(in)(s); return err })
	}
	plan := must[*domain.Plan](t)(run(f, cityAAuthority, recordPlanFn(in)))
	// Feb 10 + 10 working days across 春节 (Feb 15–23) and the 调休 Saturdays Feb 14 and 28.
	if plan.FilingDue != "2026-03-02" || plan.FilingRule != "GD-19" || plan.Status != domain.PlanApproved {
		t.Fatalf("recorded: %+v", plan)
	}
	f.refused(provinceAuth, domain.RuleOwnAuthority, func(s store.Store) error { _, err := filePlanFn(in.Number, "报送函")(s); return err })
	f.refused(cityAAuthority, domain.RuleReviewer, func(s store.Store) error {
		_, err := decidePlanFn(in.Number, domain.PlanAccepted, "")(s)
		return err
	})
	filed := must[*domain.Plan](t)(run(f, cityAAuthority, filePlanFn(in.Number, "报送函")))
	if filed.Status != domain.PlanFiled || filed.FiledLate { // the fixture's clock: 2 March, the last day
		t.Fatalf("filed: %+v", filed)
	}
	must[*domain.Plan](t)(run(f, provinceAuth, decidePlanFn(in.Number, domain.PlanReturned, "缺少数据资源目录")))
	must[*domain.Plan](t)(run(f, cityAAuthority, filePlanFn(in.Number, "补正后的报送函")))
	accepted := must[*domain.Plan](t)(run(f, provinceAuth, decidePlanFn(in.Number, domain.PlanAccepted, "")))
	if accepted.Status != domain.PlanAccepted || accepted.Version != 5 || accepted.Last.Actor.MSP != "ProvinceMSP" {
		t.Fatalf("accepted: %+v", accepted)
	}

	change := in
	change.Number, change.Supersedes, change.ApprovedOn, change.Title = planNumber(), in.Number, "2026-03-02", "南宁市公共数据资源授权运营实施方案（修订）"
	events := len(f.m.Events)
	next := must[*domain.Plan](t)(run(f, cityAAuthority, recordPlanFn(change)))
	old := must[*domain.Plan](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Plan, error) { return app.GetPlan(s, in.Number) }))
	if old.Status != domain.PlanSuperseded || old.SupersededBy != next.Number || next.Status != domain.PlanApproved || next.FilingDue != "2026-03-16" {
		t.Fatalf("the change %+v, the old plan %+v", next, old)
	}
	if len(f.m.Events) != events+1 {
		t.Fatalf("%d events for one change", len(f.m.Events)-events)
	}
	var ev domain.Event
	_ = json.Unmarshal(f.m.Events[events].Payload, &ev)
	if f.m.Events[events].Name != "plan.record" || len(ev.Changes) != 2 || ev.Changes[1].Key != in.Number || ev.Changes[1].Status != domain.PlanSuperseded {
		t.Fatalf("event %s: %+v", f.m.Events[events].Name, ev)
	}
	again := change
	again.Number = planNumber()
	f.refused(cityAAuthority, domain.RulePlanUnique, func(s store.Store) error { _, err := recordPlanFn(again)(s); return err })
	f.refused(cityAAuthority, domain.RuleStep, func(s store.Store) error { _, err := filePlanFn(in.Number, "再报")(s); return err })
	f.refused(cityAAuthority, domain.RulePlan, func(s store.Store) error {
		_, err := app.GetPlan(s, planNumber())
		return err
	})
	// The history keeps every step of the superseded plan.
	h := must[[]domain.HistoryItem](t)(run(f, cityAAuthority, func(s store.Store) ([]domain.HistoryItem, error) { return app.History(s, domain.TypePlan, in.Number) }))
	if len(h) != 6 {
		t.Fatalf("%d versions in the history of %s, want 6", len(h), in.Number)
	}
}

// HB 37 ¶2: the authority's yearly work report is owed a level up: it
// names no party, the authority opens and files it (not its operator), and
// only the supervisor decides on it.
func TestADutyOwedALevelUp(t *testing.T) {
	f := newFixture(t, "HB")
	in := domain.ObligationInput{Number: obligationNumber(), Kind: "work_report", Due: "2026-03-31", Note: "2025年度授权运营工作开展情况"}
	open := func(in domain.ObligationInput) func(s store.Store) (*domain.Obligation, error) {
		b, _ := json.Marshal(in)
		return func(s store.Store) (*domain.Obligation, error) { return app.OpenObligation(s, string(b)) }
	}
	named := in
	named.PartyCreditCode = operatorCode
	f.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error { _, err := open(named)(s); return err })
	f.refused(provinceAuth, domain.RuleOwnAuthority, func(s store.Store) error { _, err := open(in)(s); return err })
	o := must[*domain.Obligation](t)(run(f, cityAAuthority, open(in)))
	if !o.Upward || o.PartyCreditCode != "" || o.Cite != "HB-37.2" || o.DueOn != "2026-03-31" {
		t.Fatalf("opened: %+v", o)
	}
	filing, _ := json.Marshal(domain.ObligationFiling{DocumentDigest: certs.SM3Hex([]byte("工作情况报告"))})
	file := func(s store.Store) (*domain.Obligation, error) {
		return app.FileObligation(s, in.Number, string(filing))
	}
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error { _, err := file(s); return err })
	// An enterprise is refused as for another's: nothing says what the number names.
	f.refused(selfActor(holderCode), domain.RuleOwnApplication, func(s store.Store) error { _, err := file(s); return err })
	must[*domain.Obligation](t)(run(f, cityAAuthority, file))
	decide := func(s store.Store) (*domain.Obligation, error) {
		return app.DecideObligation(s, in.Number, domain.ObligationAccepted, "")
	}
	f.refused(cityAAuthority, domain.RuleReviewer, func(s store.Store) error { _, err := decide(s); return err })
	if d := must[*domain.Obligation](t)(run(f, provinceAuth, decide)); d.Status != domain.ObligationAccepted || d.Last.Actor.MSP != "ProvinceMSP" {
		t.Fatalf("decided: %+v", d)
	}
	// The authority still decides what a party owes it; the supervisor does not.
	report := domain.ObligationInput{Number: obligationNumber(), Kind: "annual_report", PartyCreditCode: operatorCode, Due: "2026-04-30", Note: "2025年度运营报告"}
	must[*domain.Obligation](t)(run(f, cityAAuthority, open(report)))
	b, _ := json.Marshal(domain.ObligationFiling{DocumentDigest: certs.SM3Hex([]byte("运营报告"))})
	must[*domain.Obligation](t)(run(f, cityAOperator, func(s store.Store) (*domain.Obligation, error) {
		return app.FileObligation(s, report.Number, string(b))
	}))
	f.refused(provinceAuth, domain.RuleOwnAuthority, func(s store.Store) error {
		_, err := app.DecideObligation(s, report.Number, domain.ObligationAccepted, "")
		return err
	})
}

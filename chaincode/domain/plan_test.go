package domain

import (
	"strings"
	"testing"
	"time"
)

// onLiuzhou is a city channel with the province as its authority a level
// up.
var onLiuzhou = &Jurisdiction{Channel: "liuzhou", Name: "柳州市", DivisionCode: "450200", AuthorityMSP: "CityBMSP", SupervisorMSP: "ProvinceMSP"}

func planNo(seq uint64) string { return SequenceNumber(PrefixPlan, "450200", 2026, seq).String() }

func planInput(number, approvedOn string) PlanInput {
	return PlanInput{Number: number, Title: "柳州市公共数据资源授权运营实施方案", Scope: "交通出行、医疗健康数据",
		DocumentDigest: strings.Repeat("a", 64), ApprovedOn: approvedOn, ApprovedBy: "柳州市人民政府"}
}

// TestPlanFilingIsDueOnTheCalendar: GD 19 gives 10 working days after the
// approval, across 国庆 and its 调休 Saturday; HB 37 5, across 春节 and its
// 调休 Saturday; GX, ZW and NS set none, and a channel with no authority a
// level up owes none; without next year's calendar, the latest it could be.
func TestPlanFilingIsDueOnTheCalendar(t *testing.T) {
	cals, ps := builtin(t), BuiltinProfiles()
	now := day("2026-11-02").Add(10 * time.Hour)
	for _, c := range []struct {
		profile, approved, due, rule string
		j                            *Jurisdiction
	}{
		{"GD", "2026-09-28", "2026-10-16", "GD-19", onLiuzhou}, // Sep 29, 30, Oct 8, 9, 10 (调休), 12–16
		{"HB", "2026-02-12", "2026-02-26", "HB-37", onLiuzhou}, // Feb 13, 14 (调休), 24–26
		{"GX", "2026-09-28", "", "", onLiuzhou},
		{"NS", "2026-09-28", "", "", onLiuzhou},
		{"GD", "2026-09-28", "", "", &Jurisdiction{Channel: "province", DivisionCode: "450200", AuthorityMSP: "ProvinceMSP"}},
	} {
		plan, old, err := RecordPlan(c.j, ps[c.profile], cals, nil, nil, planInput(planNo(1), c.approved), now, change("CityBMSP", RoleAuthority))
		if err != nil {
			t.Fatalf("%s: %v", c.profile, err)
		}
		if old != nil || plan.Status != PlanApproved || plan.FilingDue != c.due || plan.FilingRule != c.rule || plan.RecordedOn != "2026-11-02" {
			t.Errorf("%s on %s: due %q by %q, status %s, recorded %s; want due %q by %q", c.profile, c.j.Channel, plan.FilingDue, plan.FilingRule, plan.Status, plan.RecordedOn, c.due, c.rule)
		}
	}
	// A due date in a year with no calendar is counted at the latest it
	// could be (weekdays, and 9 days for holidays), and says so: the plan is
	// recorded all the same, and its filing is never marked late too soon.
	late := day("2026-12-28").Add(10 * time.Hour)
	plan, _, err := RecordPlan(onLiuzhou, ps["GD"], cals, nil, nil, planInput(planNo(2), "2026-12-28"), late, change("CityBMSP", RoleAuthority))
	if err != nil || plan.FilingDue != "2027-01-20" || !strings.Contains(plan.FilingDueNote, "the latest the deadline could be") { // Dec 29–31, Jan 1, 4–8, 11; +9
		t.Fatalf("approved 2026-12-28, no 2027 calendar: due %q (%q), %v", plan.FilingDue, plan.FilingDueNote, err)
	}
}

func TestRecordPlanRefusesWhatDoesNotHoldTogether(t *testing.T) {
	cals, gd := builtin(t), BuiltinProfiles()["GD"]
	now := day("2026-11-02").Add(10 * time.Hour)
	c := change("CityBMSP", RoleAuthority)
	ok := planInput(planNo(1), "2026-10-30")
	for _, x := range []struct {
		edit        func(*PlanInput)
		rule, field string
	}{
		{func(in *PlanInput) { in.Number = SequenceNumber(PrefixPlan, "450100", 2026, 1).String() }, RuleNumber, "number"},
		{func(in *PlanInput) { in.Number = SequenceNumber(PrefixSelection, "450200", 2026, 1).String() }, RuleNumber, "number"},
		{func(in *PlanInput) { in.Title = "" }, RuleText, "title"},
		{func(in *PlanInput) { in.ApprovedBy = " 柳州市人民政府" }, RuleText, "approvedBy"},
		{func(in *PlanInput) { in.DocumentDigest = "A" + strings.Repeat("a", 63) }, RuleDigest, "documentDigest"},
		{func(in *PlanInput) { in.ApprovedOn = "2026-11-03" }, RulePlan, "approvedOn"}, // not yet approved
		{func(in *PlanInput) { in.ApprovedOn = "2026/10/30" }, RuleDocument, "approvedOn"},
		{func(in *PlanInput) { in.Supersedes = planNo(9) }, RulePlan, "supersedes"}, // no such plan
	} {
		in := ok
		x.edit(&in)
		_, _, err := RecordPlan(onLiuzhou, gd, cals, nil, nil, in, now, c)
		wantRule(t, err, x.rule, x.field)
	}
	first, _, err := RecordPlan(onLiuzhou, gd, cals, nil, nil, ok, now, c)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = RecordPlan(onLiuzhou, gd, cals, first, nil, ok, now, c)
	wantRule(t, err, RulePlanUnique, "number")
}

// TestPlanIsFiledUpwardAndChangedOnlyByAnother: the authority files late
// (after its due date), the supervisor returns it with reasons, it is
// filed again and accepted; a change is a new plan that supersedes it in
// the same step, and is owed its own filing; a superseded plan is changed
// or filed no more.
func TestPlanIsFiledUpwardAndChangedOnlyByAnother(t *testing.T) {
	cals, gd := builtin(t), BuiltinProfiles()["GD"]
	c, sup := change("CityBMSP", RoleAuthority), change("ProvinceMSP", RoleAuthority)
	now := day("2026-10-19").Add(10 * time.Hour)
	plan, _, err := RecordPlan(onLiuzhou, gd, cals, nil, nil, planInput(planNo(1), "2026-09-28"), now, c)
	if err != nil {
		t.Fatal(err)
	}
	_, err = DecidePlanFiling(onLiuzhou, plan, PlanAccepted, "", sup)
	wantRule(t, err, RuleStep, "status") // nothing filed yet
	filing := PlanFiling{DocumentDigest: strings.Repeat("b", 64)}
	_, err = FilePlan(onLiuzhou, plan, PlanFiling{DocumentDigest: "x"}, now, c)
	wantRule(t, err, RuleDigest, "documentDigest")
	_, err = FilePlan(&Jurisdiction{Channel: "province", DivisionCode: "450000", AuthorityMSP: "ProvinceMSP"}, plan, filing, now, c)
	wantRule(t, err, RulePlanFiling, "number")
	filed, err := FilePlan(onLiuzhou, plan, filing, now, c)
	if err != nil {
		t.Fatal(err)
	}
	if filed.Status != PlanFiled || !filed.FiledLate || filed.FiledOn != "2026-10-19" || !filed.Steps[1].Late || filed.Version != 2 {
		t.Fatalf("filed after 2026-10-16: %+v", filed)
	}
	_, err = FilePlan(onLiuzhou, filed, filing, now, c)
	wantRule(t, err, RuleStep, "status") // filed once, until returned
	_, err = DecidePlanFiling(onLiuzhou, filed, PlanReturned, "", sup)
	wantRule(t, err, RuleReasons, "reasons")
	_, err = DecidePlanFiling(onLiuzhou, filed, "approved", "", sup)
	wantRule(t, err, RulePlan, "decision")
	returned, err := DecidePlanFiling(onLiuzhou, filed, PlanReturned, "缺少数据资源目录附件", sup)
	if err != nil {
		t.Fatal(err)
	}
	again, err := FilePlan(onLiuzhou, returned, PlanFiling{DocumentDigest: strings.Repeat("c", 64), Note: "补充目录"}, now, c)
	if err != nil {
		t.Fatal(err)
	}
	accepted, err := DecidePlanFiling(onLiuzhou, again, PlanAccepted, "", sup)
	if err != nil {
		t.Fatal(err)
	}
	if accepted.Status != PlanAccepted || accepted.FilingDigest != strings.Repeat("c", 64) || len(accepted.Steps) != 5 || accepted.Last.Actor.MSP != "ProvinceMSP" {
		t.Fatalf("accepted: %+v", accepted)
	}

	changed := planInput(planNo(2), "2026-10-15")
	_, _, err = RecordPlan(onLiuzhou, gd, cals, nil, accepted, func() PlanInput { x := changed; x.ApprovedOn = "2026-09-27"; x.Supersedes = accepted.Number; return x }(), now, c)
	wantRule(t, err, RulePlan, "approvedOn") // a change is approved after the plan it changes
	changed.Supersedes = accepted.Number
	next, gone, err := RecordPlan(onLiuzhou, gd, cals, nil, accepted, changed, now, c)
	if err != nil {
		t.Fatal(err)
	}
	if gone.Status != PlanSuperseded || gone.SupersededBy != next.Number || gone.Last.TxID != next.Last.TxID || next.FilingDue == "" || !next.InForce() || gone.InForce() {
		t.Fatalf("the change %+v supersedes %+v", next, gone)
	}
	_, _, err = RecordPlan(onLiuzhou, gd, cals, nil, gone, func() PlanInput { x := changed; x.Number = planNo(3); return x }(), now, c)
	wantRule(t, err, RulePlanUnique, "supersedes")
	_, err = FilePlan(onLiuzhou, gone, filing, now, c)
	wantRule(t, err, RuleStep, "status")
}

// TestUpwardKinds: a duty the authority owes a level up names no party
// roles, is opened by the authority and due by a date it sets or days; it
// is opened only on a channel with an authority a level up.
func TestUpwardKinds(t *testing.T) {
	hb := BuiltinProfiles()["HB"]
	k, ok := hb.ObligationKind("work_report")
	if !ok || !k.Upward {
		t.Fatalf("HB's work report: %+v", k)
	}
	for _, c := range []struct {
		edit  func(k *ObligationKind)
		field string
	}{
		{func(k *ObligationKind) { k.Owes = []string{PartyOperator} }, "k.upward"},
		{func(k *ObligationKind) { k.Opens = OpensBySelf; k.Deadline = Deadline{Rule: DeadlineImmediately} }, "k.upward"},
		{func(k *ObligationKind) { k.Deadline = Deadline{Rule: DeadlineYearly, Month: 3, Day: 31} }, "k.upward"},
		{func(k *ObligationKind) { k.Upward = false }, "k.owes"},
	} {
		x := k
		c.edit(&x)
		if re, isRule := AsRule(x.validate("k")); !isRule || re.Field != c.field {
			t.Errorf("want %s refused, got %v", c.field, x.validate("k"))
		}
	}
	in := OpenObligationInput{In: ObligationInput{Number: SequenceNumber(PrefixObligation, "450100", 2026, 7).String(), Kind: "work_report", Due: "2026-12-31", Note: "年度工作情况"}}
	now := day("2026-11-02").Add(10 * time.Hour)
	_, err := OpenObligation(nanning, hb, builtin(t), in, now, change("CityAMSP", RoleAuthority))
	wantRule(t, err, RuleObligation, "kind") // nanning here records no supervisor
	o, err := OpenObligation(onNanning, hb, builtin(t), in, now, change("CityAMSP", RoleAuthority))
	if err != nil || !o.Upward {
		t.Fatalf("%+v %v", o, err)
	}
}

package domain

import (
	"strings"
	"testing"
	"time"
)

// TestTriggerValidation: a kind opened by its trigger names agreement
// events and kinds it knows, a party whose roles it owes, and a deadline
// that runs from the event; no other kind names a trigger.
func TestTriggerValidation(t *testing.T) {
	ok := ObligationKind{Kind: "agreement_change_filing", Title: "协议变更备案", Owes: []string{PartyAgency}, Opens: OpensByTrigger,
		Deadline: Deadline{Rule: DeadlineWorkingDays, N: 10}, Cite: "GD-23.3",
		Trigger: &ObligationTrigger{On: []string{"change", "terminate"}, Kinds: []string{AgreementOperation}, OwedBy: OwedByGrantor}}
	if err := ok.validate("k"); err != nil {
		t.Fatal(err)
	}
	up := ok
	up.Upward, up.Owes, up.Deadline = true, nil, Deadline{Rule: DeadlineImmediately}
	up.Trigger = &ObligationTrigger{On: []string{"file", "change"}, Kinds: []string{AgreementOperation}}
	if err := up.validate("k"); err != nil {
		t.Fatalf("a triggered duty owed a level up (GD 23 ¶4): %v", err)
	}
	for _, c := range []struct {
		edit  func(k *ObligationKind)
		field string
	}{
		{func(k *ObligationKind) { k.Trigger = nil }, "k.trigger"},
		{func(k *ObligationKind) { k.Opens = OpensByAuthority; k.Deadline = Deadline{Rule: DeadlineSet} }, "k.trigger"},
		{func(k *ObligationKind) { k.Trigger.On = []string{"record"} }, "k.trigger.on[0]"},
		{func(k *ObligationKind) { k.Trigger.Kinds = []string{"lease"} }, "k.trigger.kinds[0]"},
		{func(k *ObligationKind) { k.Trigger.OwedBy = "agency" }, "k.trigger.owedBy"},
		{func(k *ObligationKind) { k.Trigger.OwedBy = OwedByGrantee }, "k.owes"}, // an operation agreement's grantee is an operator
		{func(k *ObligationKind) { k.Deadline = Deadline{Rule: DeadlineSet} }, "k.deadline.rule"},
		{func(k *ObligationKind) { k.Trigger.On = nil }, "k.trigger"},
		{func(k *ObligationKind) { k.Upward, k.Owes = true, nil }, "k.trigger.owedBy"}, // owed a level up: the authority's, no owedBy
	} {
		k := ok
		tr := *ok.Trigger
		k.Trigger = &tr
		c.edit(&k)
		re, isRule := AsRule(k.validate("k"))
		if !isRule || re.Rule != RuleProfile || re.Field != c.field {
			t.Errorf("want %s refused, got %v", c.field, k.validate("k"))
		}
	}
}

// TestDerivedNumberIsTheSameOnEveryPeer: a number derived from the
// transaction is valid, the same for the same seed and another for
// another.
func TestDerivedNumberIsTheSameOnEveryPeer(t *testing.T) {
	a, err := DerivedNumber(PrefixObligation, "450100", 2026, "tx1/agreement_change_filing")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := DerivedNumber(PrefixObligation, "450100", 2026, "tx1/agreement_change_filing")
	c, _ := DerivedNumber(PrefixObligation, "450100", 2026, "tx2/agreement_change_filing")
	if a != b || a == c {
		t.Fatalf("%s, %s, %s", a, b, c)
	}
	if _, err := ParseNumber("number", a.String(), PrefixObligation); err != nil {
		t.Fatal(err)
	}
}

// TestTriggeredDeadlinesCrossHolidays: under GD an operation agreement's
// change on Monday 28 September 2026 opens the agency's filing, due 10
// working days later across 国庆 and its 调休 Saturday (16 October), and
// the city's report to the province due that very day (及时); on a channel
// with no authority a level up only the first; a catalog agreement's
// change opens neither.
func TestTriggeredDeadlinesCrossHolidays(t *testing.T) {
	gd, cals := BuiltinProfiles()["GD"], builtin(t)
	now := day("2026-09-28").Add(10 * time.Hour)
	ag := &Agreement{AgreementInput: AgreementInput{Number: SequenceNumber(PrefixAgreement, "450200", 2026, 1).String(), Kind: AgreementOperation,
		GrantorCreditCode: "agency", GranteeCreditCode: "operator"}}
	c := change("CityBMSP", RoleAuthority)
	got, err := TriggeredObligations(onLiuzhou, gd, cals, ag, "change", now, c)
	if err != nil || len(got) != 2 {
		t.Fatalf("%d opened, %v", len(got), err)
	}
	due := map[string]string{}
	for _, o := range got {
		due[o.Kind] = o.DueOn + " " + o.PartyCreditCode
	}
	if due["agreement_change_filing"] != "2026-10-16 agency" || due["agreement_upward_filing"] != "2026-09-28 " {
		t.Fatalf("due: %v", due)
	}
	if got, _ := TriggeredObligations(&Jurisdiction{Channel: "province", DivisionCode: "450000", AuthorityMSP: "ProvinceMSP"}, gd, cals, ag, "change", now, c); len(got) != 1 {
		t.Fatalf("on the province's own channel: %d opened", len(got))
	}
	catalog := *ag
	catalog.Kind = AgreementCatalog
	if got, _ := TriggeredObligations(onLiuzhou, gd, cals, &catalog, "change", now, c); len(got) != 0 {
		t.Fatalf("a catalog agreement's change opened %d", len(got))
	}
}

// TestLatestDueWithoutACalendar: the same working day is the event's
// day, the next working day after a weekend or holiday, and — in a year
// with no calendar — the first weekday and 9 days more, the note naming
// the year that is missing.
func TestLatestDueWithoutACalendar(t *testing.T) {
	cals := builtin(t)
	for _, c := range []struct{ day, due, missing string }{
		{"2026-09-28", "2026-09-28", ""}, // a Monday
		{"2026-10-03", "2026-10-08", ""}, // 国庆: the first working day after
		{"2026-10-10", "2026-10-10", ""}, // its 调休 Saturday
		{"2027-01-02", "2027-01-13", "2027"},
	} {
		due, note, err := cals.SameWorkingDayOrLatest(day(c.day))
		if err != nil || due.Format("2006-01-02") != c.due || (c.missing == "") != (note == "") || (c.missing != "" && !strings.Contains(note, c.missing)) {
			t.Errorf("%s: due %s (%q), %v; want %s", c.day, due.Format("2006-01-02"), note, err, c.due)
		}
	}
	// A count that starts in a year with no calendar and ends in one with
	// names the year it lacked.
	only2026 := Calendars{2026: cals[2026]}
	if _, note, _ := only2026.WorkingDaysOrLatest(day("2025-12-30"), 3); !strings.Contains(note, "2025") {
		t.Errorf("the note names %q", note)
	}
}

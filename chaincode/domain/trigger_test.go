package domain

import "testing"

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

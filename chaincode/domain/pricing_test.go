package domain

import (
	"fmt"
	"testing"
)

// TestFeeScheduleUnderGD: GD 35's schedule lists products with fees; GD 29
// makes public-good use free and commercial use free or government-guided,
// capped; a kind without fees files none; a profile with no pricing (HB)
// takes any basis.
func TestFeeScheduleUnderGD(t *testing.T) {
	ps := BuiltinProfiles()
	gd, hb := ps["GD"], ps["HB"]
	fees, _ := gd.ObligationKind("fee_schedule")
	report, _ := gd.ObligationKind("annual_report")
	ok := []FeeItem{
		{Product: "城市交通出行指数", Use: UsePublicGood, Basis: BasisFree},
		{Product: "城市交通出行指数", Use: UseCommercial, Basis: "government_guided", Cap: "1200", Unit: "每月"},
		{Product: "DJ-450200-2026-ABCDEFGH-1", Use: UseCommercial, Basis: "government_guided", Cap: "0.05", Unit: "每次调用"},
	}
	if err := CheckFees(gd, fees, ok); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name        string
		edit        func(items []FeeItem)
		rule, field string
	}{
		{"public good, paid", func(it []FeeItem) { it[0].Basis, it[0].Cap, it[0].Unit = "cost_plus", "10", "每次" }, "GD-29", "fees[0].basis"},
		{"commercial, market price", func(it []FeeItem) { it[1].Basis = "market" }, "GD-29", "fees[1].basis"},
		{"an unknown use", func(it []FeeItem) { it[1].Use = "private" }, RuleFee, "fees[1].use"},
		{"an unknown basis", func(it []FeeItem) { it[1].Basis = "auction" }, RuleFee, "fees[1].basis"},
		{"no cap", func(it []FeeItem) { it[1].Cap = "" }, RuleFee, "fees[1].cap"},
		{"a zero cap", func(it []FeeItem) { it[1].Cap = "0.00" }, RuleFee, "fees[1].cap"},
		{"three decimals", func(it []FeeItem) { it[2].Cap = "0.005" }, RuleFee, "fees[2].cap"},
		{"no unit", func(it []FeeItem) { it[1].Unit = "" }, RuleText, "fees[1].unit"},
		{"a free item with a price", func(it []FeeItem) { it[0].Cap = "1" }, RuleFee, "fees[0].cap"},
		{"listed twice", func(it []FeeItem) { it[2].Product = it[1].Product }, RuleFee, "fees[2].product"},
		{"no product", func(it []FeeItem) { it[0].Product = "" }, RuleText, "fees[0].product"},
	} {
		items := append([]FeeItem(nil), ok...)
		c.edit(items)
		re, isRule := AsRule(CheckFees(gd, fees, items))
		if !isRule || re.Rule != c.rule || re.Field != c.field {
			t.Errorf("%s: %v, want %s on %s", c.name, CheckFees(gd, fees, items), c.rule, c.field)
		}
	}
	wantRule(t, CheckFees(gd, fees, nil), RuleFee, "fees")
	wantRule(t, CheckFees(gd, report, ok), RuleFee, "fees")
	if err := CheckFees(gd, report, nil); err != nil {
		t.Fatal(err)
	}
	hbFees := fees // an HB authority's own fee schedule: HB 29 sets no basis
	hbFees.Cite = "HB-29"
	if err := CheckFees(hb, hbFees, []FeeItem{{Product: "产品", Use: UsePublicGood, Basis: "market", Cap: "3", Unit: "每次"}}); err != nil {
		t.Fatal(err)
	}
}

func TestPricingRuleValidation(t *testing.T) {
	gd := BuiltinProfiles()["GD"]
	for _, c := range []struct {
		rule  *PricingRule
		field string
	}{
		{&PricingRule{PublicGood: nil, Commercial: []string{"free"}, Cite: "GD-29"}, "pricing.publicGood"},
		{&PricingRule{PublicGood: []string{"free"}, Commercial: []string{"bid"}, Cite: "GD-29"}, "pricing.commercial[0]"},
		{&PricingRule{PublicGood: []string{"free"}, Commercial: []string{"free"}, Cite: "GD29"}, "pricing.cite"},
	} {
		p := gd
		p.Pricing = c.rule
		re, ok := AsRule(p.Validate())
		if !ok || re.Field != c.field {
			t.Errorf("want %s refused, got %v", c.field, p.Validate())
		}
	}
	p := gd
	p.Obligations = append([]ObligationKind(nil), gd.Obligations...)
	p.Obligations = append(p.Obligations, ObligationKind{Kind: "fee_report", Title: "收费自报", Owes: []string{PartyOperator}, Opens: OpensBySelf,
		Deadline: Deadline{Rule: DeadlineImmediately}, Fees: true, Cite: "GD-35"})
	if re, ok := AsRule(p.Validate()); !ok || re.Field != fmt.Sprintf("obligations[%d].fees", len(gd.Obligations)) {
		t.Errorf("a self-reported fee schedule: %v", p.Validate())
	}
}

package domain

import (
	"strings"
	"testing"
)

var nanning = &Jurisdiction{Channel: "nanning", Name: "南宁市", DivisionCode: "450100", AuthorityMSP: "CityAMSP"}

func change(msp, role string) Change {
	return Change{TxID: "tx1", Time: "2026-03-01T08:00:00Z", Actor: Actor{MSP: msp, Role: role, ID: role + "@" + msp}}
}

func wantRule(t *testing.T, err error, rule, field string) {
	t.Helper()
	re, ok := AsRule(err)
	if !ok {
		t.Fatalf("got %v, want refusal %s on %s", err, rule, field)
	}
	if re.Rule != rule || re.Field != field {
		t.Fatalf("got %s on %q (%s), want %s on %q", re.Rule, re.Field, re.Detail, rule, field)
	}
	if !strings.Contains(re.Error(), rule) {
		t.Fatalf("message %q does not name the rule", re.Error())
	}
}

var validParty = PartyInput{CreditCode: "91450100MA5L0000AW", Name: "广西数智科技有限公司", Role: PartyEnterprise, DivisionCode: "450102"}

func TestRegisterParty(t *testing.T) {
	p, err := RegisterParty(nanning, nil, validParty, change("CityAMSP", RoleOperator))
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != PartyActive || p.Version != 1 || p.Onboarded.Time != "2026-03-01T08:00:00Z" || p.Onboarded.Action != "register" {
		t.Fatalf("unexpected record %+v", p)
	}
	_, err = RegisterParty(nanning, p, validParty, change("CityAMSP", RoleAuthority))
	wantRule(t, err, RulePartyUnique, "creditCode")
	// The decider decides on the records; who may register is the access
	// table's answer (TestAccessTable), asked once by the adapter.
	if _, err := RegisterParty(nanning, nil, validParty, change("CityBMSP", RoleAuthority)); err != nil {
		t.Fatalf("the decider checked the caller again: %v", err)
	}
}

func TestRegisterPartyBadInput(t *testing.T) {
	cases := []struct {
		edit  func(*PartyInput)
		rule  string
		field string
	}{
		{func(p *PartyInput) { p.CreditCode = "91450100MA5L0000AX" }, RuleCreditCode, "creditCode"},
		{func(p *PartyInput) { p.DivisionCode = "45010" }, RuleDivisionCode, "divisionCode"},
		{func(p *PartyInput) { p.DivisionCode = "450202" }, RulePartyDivision, "divisionCode"},
		{func(p *PartyInput) { p.Role = "king" }, RulePartyRole, "role"},
		{func(p *PartyInput) { p.Name = "" }, RuleText, "name"},
		{func(p *PartyInput) { p.Name = strings.Repeat("名", MaxName+1) }, RuleText, "name"},
		{func(p *PartyInput) { p.Name = "Evil\u202eCorp" }, RuleText, "name"},
	}
	for _, tc := range cases {
		in := validParty
		tc.edit(&in)
		_, err := RegisterParty(nanning, nil, in, change("CityAMSP", RoleAuthority))
		wantRule(t, err, tc.rule, tc.field)
	}
}

func TestPartyTransitions(t *testing.T) {
	p, _ := RegisterParty(nanning, nil, validParty, change("CityAMSP", RoleAuthority))
	s, err := ChangePartyStatus(nanning, p, "suspend", "逾期未报送运营报告", change("CityAMSP", RoleAuthority))
	if err != nil || s.Status != PartySuspended || s.Version != 2 || s.Last.Reason == "" {
		t.Fatalf("suspend: %+v %v", s, err)
	}
	_, err = ChangePartyStatus(nanning, s, "suspend", "again", change("CityAMSP", RoleAuthority))
	wantRule(t, err, RulePartyTransition, "status")
	_, err = ChangePartyStatus(nanning, s, "exit", "", change("CityAMSP", RoleAuthority))
	wantRule(t, err, RuleText, "reason")
	x, err := ChangePartyStatus(nanning, s, "exit", "主动退出", change("CityAMSP", RoleAuthority))
	if err != nil || x.Status != PartyExited || x.Exited == nil || x.Onboarded != p.Onboarded {
		t.Fatalf("exit: %+v %v", x, err)
	}
	_, err = ChangePartyStatus(nanning, x, "reinstate", "mistake", change("CityAMSP", RoleAuthority))
	wantRule(t, err, RulePartyTransition, "status")
	_, err = ChangePartyStatus(nanning, nil, "suspend", "x", change("CityAMSP", RoleAuthority))
	wantRule(t, err, RulePartyExists, "creditCode")
}

func TestBuiltinProfilesAreValid(t *testing.T) {
	ps := BuiltinProfiles()
	for _, n := range []string{"GX", "ZW", "GD", "NS", "HB"} {
		p, ok := ps[n]
		if !ok {
			t.Fatalf("profile %s missing", n)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	// Figures of SPEC §6.
	if ps["GX"].MaxAgreementTermMonths != 60 || ps["NS"].MaxAgreementTermMonths != 36 || ps["HB"].FilingDeadlineWorkingDays != 5 ||
		ps["GD"].FilingDeadlineWorkingDays != 10 || ps["GD"].NetworkLogRetentionMonths != 60 || !ps["HB"].SubLicensingForbidden ||
		ps["ZW"].SilenceApprovalWorkingDays != 10 || ps["GX"].PublicNoticeNaturalDays != 10 || ps["GX"].PreliminaryReviewWorkingDays != 3 {
		t.Error("a built-in profile differs from SPEC §6")
	}
}

func TestProfileValidation(t *testing.T) {
	base := BuiltinProfiles()["GX"]
	cases := []struct {
		edit  func(*Profile)
		field string
	}{
		{func(p *Profile) { p.Name = "gx" }, "name"},
		{func(p *Profile) { p.MaxAgreementTermMonths = -1 }, "maxAgreementTermMonths"},
		{func(p *Profile) { p.MaxAgreementTermMonths = 241 }, "maxAgreementTermMonths"},
		{func(p *Profile) { p.MaxCredentialTermMonths = 72 }, "maxCredentialTermMonths"},
		{func(p *Profile) { p.PreliminaryReviewWorkingDays = 61 }, "preliminaryReviewWorkingDays"},
		{func(p *Profile) { p.OpenDataClasses = []string{"closed", "closed"} }, "openDataClasses[1]"},
		{func(p *Profile) { p.OpenDataClasses = []string{"conditional", "restricted"} }, "openDataClasses[1]"}, // a class the rules do not know
		{func(p *Profile) { p.Title = "" }, "title"},
	}
	for _, tc := range cases {
		p := base
		tc.edit(&p)
		err := p.Validate()
		re, ok := AsRule(err)
		if !ok || re.Field != tc.field {
			t.Errorf("want refusal on %s, got %v", tc.field, err)
		}
	}
}

// TestSetProfileHistory (who may set it: TestAccessTable).
func TestSetProfileHistory(t *testing.T) {
	gx := BuiltinProfiles()["GX"]
	r1, err := SetProfile(nanning, nil, gx, "", change("CityAMSP", RoleAuthority))
	if err != nil || r1.Version != 1 {
		t.Fatal(err)
	}
	ns := BuiltinProfiles()["NS"]
	_, err = SetProfile(nanning, r1, ns, "", change("CityAMSP", RoleAuthority))
	wantRule(t, err, RuleText, "reason")
	r2, err := SetProfile(nanning, r1, ns, "采用南山区办法试点", change("CityAMSP", RoleAuthority))
	if err != nil || r2.Version != 2 || r2.Profile.Name != "NS" || r2.Last.Reason == "" {
		t.Fatalf("%+v %v", r2, err)
	}
}

func TestNewJurisdiction(t *testing.T) {
	c := change("CityAMSP", RoleAuthority)
	cfg := ChannelConfig{Authority: "CityAMSP", Exchanges: []string{"ExchangeMSP"}}
	j, err := NewJurisdiction(nil, "nanning", "南宁市", "450100", cfg, c.Actor, c)
	if err != nil || j.AuthorityMSP != "CityAMSP" {
		t.Fatal(err)
	}
	_, err = NewJurisdiction(j, "nanning", "南宁市", "450100", cfg, c.Actor, c)
	wantRule(t, err, RuleBootstrapOnce, "channel")
	ev := change("CityBMSP", RoleAuthority)
	_, err = NewJurisdiction(nil, "nanning", "南宁市", "450100", cfg, ev.Actor, ev)
	wantRule(t, err, RuleOwnAuthority, "caller")
	_, err = NewJurisdiction(nil, "nanning", "南宁市", "4501", cfg, c.Actor, c)
	wantRule(t, err, RuleDivisionCode, "divisionCode")
}

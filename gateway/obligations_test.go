package gateway

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/index"
)

// An enterprise's view holds what the chaincode would give it of the
// records naming it, and the objections against its own applications and
// certificates; what awaits a date comes first, soonest first.
func TestObligationsAreTheEnterprisesOwnSoonestFirst(t *testing.T) {
	code := func(body string) string { c, _ := domain.CreditCodeCheckChar(body); return body + string(c) }
	mine, theirs := code("91450100MA5L00001"), code("91450100MA5L00002")
	js := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	app := func(applicant string, providers ...string) json.RawMessage {
		return js(domain.Application{ApplicationInput: domain.ApplicationInput{ApplicantCreditCode: applicant, DataProviders: providers}})
	}
	now := time.Now()
	hits := []index.Hit{
		{Kind: "party", ID: mine, Record: js(domain.Party{CreditCode: mine}), Changed: now},
		{Kind: "agreement", ID: "ag-mine", Record: js(domain.Agreement{AgreementInput: domain.AgreementInput{GrantorCreditCode: theirs, GranteeCreditCode: mine}}), Changed: now.Add(-time.Hour)},
		{Kind: "application", ID: "app-mine", Record: app(mine), Due: "2026-12-09", Open: true},
		{Kind: "application", ID: "app-deemed", Record: app(mine), Due: "2026-11-20", Deemed: true, Open: true, Changed: now.Add(-3 * time.Hour)},
		{Kind: "application", ID: "app-theirs", Record: app(theirs, mine), Due: "2026-12-03", Open: true}, // it only provides data
		// Returned for correction: the enterprise owes its materials, by no date.
		{Kind: "application", ID: "app-fix", Record: app(mine), Status: domain.StageCorrection, Open: true, Changed: now.Add(-30 * time.Minute)},
		// Its data-quality request awaits the provider's answer, then the
		// resolution the provider promised (HB 25).
		{Kind: "application", ID: "app-quality", Record: js(domain.Application{ApplicationInput: domain.ApplicationInput{Kind: domain.KindQuality, ApplicantCreditCode: mine, DataProviders: []string{theirs}}}),
			Status: domain.StageApplied, Due: "2026-12-07", Open: true},
		{Kind: "application", ID: "app-resolve", Record: js(domain.Application{ApplicationInput: domain.ApplicationInput{Kind: domain.KindQuality, ApplicantCreditCode: mine, DataProviders: []string{theirs}}}),
			Status: domain.StageQualityConfirmed, Due: "2026-12-15", Open: true},
		// Its onboarding awaits the operator's check (ZW 18).
		{Kind: "application", ID: "app-onboard", Record: js(domain.Application{ApplicationInput: domain.ApplicationInput{Kind: domain.KindOnboarding, ApplicantCreditCode: mine}}),
			Status: domain.StageApplied, Due: "2026-12-10", Open: true},
		// An order it owes (an obligation of its profile).
		{Kind: "obligation", ID: "ob-mine", Record: js(domain.Obligation{ObligationInput: domain.ObligationInput{PartyCreditCode: mine}}), Due: "2026-12-20", Open: true},
		{Kind: "obligation", ID: "ob-theirs", Record: js(domain.Obligation{ObligationInput: domain.ObligationInput{PartyCreditCode: theirs}}), Due: "2026-12-01", Open: true},
		{Kind: "certificate", ID: "cert-mine", Record: js(domain.CertificateRecord{EnterpriseCreditCode: mine}), Changed: now.Add(-2 * time.Hour)},
		// Another's credential under an agreement this enterprise granted:
		// the index names it (the agreement's parties), it is not its own.
		{Kind: "credential", ID: "cred-theirs", Record: js(domain.CredentialRecord{HolderCreditCode: theirs}), Parties: []string{theirs, mine}},
		{Kind: "egress", ID: "eg", Record: js(map[string]string{})},
	}
	objections := []index.Hit{
		{Kind: "objection", ID: "obj-cert", Record: js(map[string]string{"target": "cert-mine"}), Due: "2026-12-05"},
		{Kind: "objection", ID: "obj-app", Record: js(map[string]string{"target": "app-mine"}), Open: true, Changed: now.Add(time.Hour)},
		{Kind: "objection", ID: "obj-theirs", Record: js(map[string]string{"target": "app-theirs"}), Open: true},
	}
	got := ownObligations(mine, "nanning", hits, objections)
	sortObligations(got)
	var ids, owes []string
	for _, o := range got {
		ids, owes = append(ids, o.ID), append(owes, o.Owes)
		if o.Record != nil {
			t.Errorf("%s carries its body", o.ID)
		}
	}
	// Dates first, soonest first (the deemed one too: its date is when
	// silence approved it), then what is open, then the rest by change.
	want := []string{"app-deemed", "obj-cert", "app-quality", "app-mine", "app-onboard", "app-resolve", "ob-mine", "obj-app", "app-fix", mine, "ag-mine", "cert-mine"}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Fatalf("view %v, want %v", ids, want)
	}
	if strings.Join(owes, ",") != ",enterprise,provider,authority,operator,provider,enterprise,,enterprise,,," {
		t.Errorf("who owes: %q", owes)
	}
	if got[2].Proof == "" || got[2].Channel != "nanning" {
		t.Errorf("an application's links: %+v", got[2])
	}
}

// The enterprise's view reads much for one caller: each API key may call
// it 30 times a minute, whatever the others do.
func TestObligationsAreBoundedPerKey(t *testing.T) {
	// The bound is a fixed one-minute window: start right after a minute
	// turns when the next one is near, so the 31 calls fall in one.
	if now := time.Now(); now.Sub(now.Truncate(time.Minute)) > 55*time.Second {
		time.Sleep(now.Truncate(time.Minute).Add(time.Minute).Sub(now))
	}
	hs := newHarness(t) // no index: every call that passes the bound is 503
	for i := 1; i <= 30; i++ {
		if w := hs.do("GET", "/api/v1/me/obligations", RoleEnterprise, ""); w.Code != 503 {
			t.Fatalf("call %d: %d %s", i, w.Code, w.Body)
		}
	}
	if w := hs.do("GET", "/api/v1/me/obligations", RoleEnterprise, ""); w.Code != 429 || !strings.Contains(w.Body.String(), RuleRateKey) {
		t.Fatalf("the 31st call in a minute: %d %s", w.Code, w.Body)
	}
	other, _, err := hs.ks.CreateEnterprise("CityAMSP", "91450100MA5L0000AW")
	if err != nil {
		t.Fatal(err)
	}
	hs.keys[RoleEnterprise] = other
	if w := hs.do("GET", "/api/v1/me/obligations", RoleEnterprise, ""); w.Code != 503 {
		t.Fatalf("another key: %d %s", w.Code, w.Body)
	}
}

package contract

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

var selectionSeq = 0

func selectionNumber() string {
	selectionSeq++
	return domain.Number{Prefix: domain.PrefixSelection, Division: "450100", Year: 2026, Serial: fmt.Sprintf("GJ%06d", selectionSeq)}.String()
}

func (f *fixture) registerAgency() {
	f.t.Helper()
	b, _ := json.Marshal(domain.PartyInput{CreditCode: agencyCode, Name: "南宁市大数据发展局（实施机构）", Role: domain.PartyAgency, DivisionCode: "450100"})
	must[*domain.Party](f.t)(run(f, cityAOperator, func(s store.Store) (*domain.Party, error) { return app.RegisterParty(s, string(b)) }))
}

func openSelectionFn(in domain.SelectionInput) func(s store.Store) (*domain.Selection, error) {
	b, _ := json.Marshal(in)
	return func(s store.Store) (*domain.Selection, error) { return app.OpenSelection(s, string(b)) }
}

func nominateFn(number string, in domain.Nomination) func(s store.Store) (*domain.Selection, error) {
	b, _ := json.Marshal(in)
	return func(s store.Store) (*domain.Selection, error) { return app.NominateCandidates(s, number, string(b)) }
}

// selected runs a selection through to operator chosen, the notice waited
// out (the clock moves on 10 days).
func (f *fixture) selected(operator string) string {
	f.t.Helper()
	in := domain.SelectionInput{Number: selectionNumber(), AgencyCreditCode: agencyCode, Method: "public_selection", Scope: "南宁市公共数据授权运营",
		AnnouncementDigest: certs.SM3Hex([]byte("征集公告"))}
	if f.profile.SelectionFollowsPlan { // GX 7(3): under an approved plan
		in.Plan = f.plan("")
	}
	must[*domain.Selection](f.t)(run(f, cityAAuthority, openSelectionFn(in)))
	must[*domain.Selection](f.t)(run(f, cityAAuthority, nominateFn(in.Number, domain.Nomination{Candidates: []string{operator}, ReviewDigest: certs.SM3Hex([]byte("评审报告"))})))
	f.m.SetClock(f.m.Clock().AddDate(0, 0, 10))
	must[*domain.Selection](f.t)(run(f, cityAAuthority, func(s store.Store) (*domain.Selection, error) {
		return app.SelectOperator(s, in.Number, operator, "综合评审第一名")
	}))
	return in.Number
}

// GD 20: the agency announces a call, publishes its candidates for at
// least 5 days (the profile's figure) and selects the operator after the
// notice; the operation agreement names the selection that chose its
// grantee, once.
func TestOperatorIsSelectedAfterTheCandidatesNotice(t *testing.T) {
	f := newFixture(t, "GD")
	f.registerAgency()
	otherOperator := withCheck("91450100MA5L00077")
	ob, _ := json.Marshal(domain.PartyInput{CreditCode: otherOperator, Name: "南宁数据运营第二有限公司", Role: domain.PartyOperator, DivisionCode: "450103"})
	must[*domain.Party](t)(run(f, cityAOperator, func(s store.Store) (*domain.Party, error) { return app.RegisterParty(s, string(ob)) }))
	in := domain.SelectionInput{Number: selectionNumber(), AgencyCreditCode: agencyCode, Method: "public_tender", Scope: "南宁市公共数据授权运营",
		AnnouncementDigest: certs.SM3Hex([]byte("运营机构征集公告"))}
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error { _, err := openSelectionFn(in)(s); return err })
	for _, c := range []struct {
		rule string
		bad  func(x *domain.SelectionInput)
	}{
		{domain.RuleSelection, func(x *domain.SelectionInput) { x.Method = "direct_award" }}, // no fair competition
		{domain.RuleSelection, func(x *domain.SelectionInput) { x.AgencyCreditCode = operatorCode }},
		{domain.RuleDigest, func(x *domain.SelectionInput) { x.AnnouncementDigest = "" }},
	} {
		bad := in
		c.bad(&bad)
		f.refused(cityAAuthority, c.rule, func(s store.Store) error { _, err := openSelectionFn(bad)(s); return err })
	}
	must[*domain.Selection](t)(run(f, cityAAuthority, openSelectionFn(in)))
	sel := func(s store.Store) (*domain.Selection, error) {
		return app.SelectOperator(s, in.Number, operatorCode, "综合评审第一名")
	}
	f.refused(cityAAuthority, domain.RuleStep, func(s store.Store) error { _, err := sel(s); return err }) // no candidates yet
	f.refused(cityAAuthority, domain.RuleSelection, func(s store.Store) error {
		_, err := nominateFn(in.Number, domain.Nomination{Candidates: []string{holderCode}, ReviewDigest: certs.SM3Hex([]byte("r"))})(s) // an enterprise
		return err
	})
	n := must[*domain.Selection](t)(run(f, cityAAuthority, nominateFn(in.Number, domain.Nomination{Candidates: []string{operatorCode}, ReviewDigest: certs.SM3Hex([]byte("评审报告"))})))
	if n.NoticeFrom != "2026-03-03" || n.NoticeEndsOn != "2026-03-07" || n.NoticeRule != "GD-20.4" {
		t.Fatalf("notice: %s to %s (%s)", n.NoticeFrom, n.NoticeEndsOn, n.NoticeRule)
	}
	record := func(a domain.AgreementInput) func(s store.Store) (*domain.Agreement, error) {
		b, _ := json.Marshal(a)
		return func(s store.Store) (*domain.Agreement, error) { return app.RecordAgreement(s, string(b)) }
	}
	inNotice := agreementInput(domain.AgreementOperation, agencyCode, operatorCode, "2026-01-01", "2028-12-31", "2026-03-02")
	inNotice.Selection = in.Number
	f.refused(cityAOperator, "GD-20.4", func(s store.Store) error { _, err := record(inNotice)(s); return err }) // contracting during the notice
	// The notice's fifth day, counted from the day after publication, at
	// 23:30 China time (15:30 UTC): still running.
	f.m.SetClock(time.Date(2026, 3, 7, 15, 30, 0, 0, time.UTC))
	f.refused(cityAAuthority, "GD-20.4", func(s store.Store) error { _, err := sel(s); return err })
	f.m.SetClock(time.Date(2026, 3, 7, 16, 30, 0, 0, time.UTC)) // 8 March, 00:30 China time
	f.refused(cityAAuthority, domain.RuleSelection, func(s store.Store) error {
		_, err := app.SelectOperator(s, in.Number, holderCode, "非候选人")
		return err
	})
	if s := must[*domain.Selection](t)(run(f, cityAAuthority, sel)); s.Status != domain.SelectionSelected || s.Selected != operatorCode {
		t.Fatalf("selected: %+v", s)
	}

	op := agreementInput(domain.AgreementOperation, agencyCode, operatorCode, "2026-01-01", "2028-12-31", "2026-03-08")
	f.refused(cityAOperator, "GD-20.4", func(s store.Store) error { _, err := record(op)(s); return err }) // none named
	catalog := agreementInput(domain.AgreementCatalog, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-08")
	catalog.Selection = in.Number
	f.refused(cityAOperator, domain.RuleSelection, func(s store.Store) error { _, err := record(catalog)(s); return err })
	op.Selection = in.Number
	for _, bad := range []func(x *domain.AgreementInput){
		func(x *domain.AgreementInput) { x.SignedOn = "2026-03-07" },           // before the operator was selected
		func(x *domain.AgreementInput) { x.GranteeCreditCode = otherOperator }, // another operator
	} {
		b := op
		bad(&b)
		f.refused(cityAOperator, domain.RuleSelection, func(s store.Store) error { _, err := record(b)(s); return err })
	}
	if ag := must[*domain.Agreement](t)(run(f, cityAOperator, record(op))); ag.Selection != in.Number {
		t.Fatalf("agreement: %+v", ag)
	}
	again := agreementInput(domain.AgreementOperation, agencyCode, operatorCode, "2026-01-01", "2028-12-31", "2026-03-08")
	again.Selection = in.Number
	f.refused(cityAOperator, domain.RuleSelectionUnique, func(s store.Store) error { _, err := record(again)(s); return err })

	// GX sets no notice: an operation agreement need name no selection,
	// and a selection of its own has none; under GD such a selection does
	// not do.
	g := newFixture(t, "GX")
	g.registerAgency()
	must[*domain.Agreement](t)(run(g, cityAOperator, record(agreementInput(domain.AgreementOperation, agencyCode, operatorCode, "2026-01-01", "2028-12-31", "2026-03-02"))))
	gsel := g.selected(operatorCode)
	if s := must[*domain.Selection](t)(run(g, cityAAuthority, func(s store.Store) (*domain.Selection, error) { return app.GetSelection(s, gsel) })); s.NoticeEndsOn != "" || s.NoticeFrom != "" {
		t.Fatalf("a notice where GX sets none: %+v", s)
	}
	must[*domain.ProfileRecord](t)(run(g, cityAAuthority, func(s store.Store) (*domain.ProfileRecord, error) { return app.AdoptProfile(s, "GD", "广东办法") }))
	late := agreementInput(domain.AgreementOperation, agencyCode, operatorCode, "2026-01-01", "2028-12-31", domain.DateOf(g.m.Clock()).Format(time.DateOnly))
	late.Selection = gsel
	g.refused(cityAOperator, "GD-20.4", func(s store.Store) error { _, err := record(late)(s); return err })
}

package contract

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

var (
	agencyCode    = withCheck("11450100MB0000001")
	obligationSeq = 0
)

func obligationNumber() string {
	obligationSeq++
	return domain.Number{Prefix: domain.PrefixObligation, Division: "450100", Year: 2026, Serial: fmt.Sprintf("LX%06d", obligationSeq)}.String()
}

func openFn(in domain.ObligationInput) func(s store.Store) (*domain.Obligation, error) {
	b, _ := json.Marshal(in)
	return func(s store.Store) (*domain.Obligation, error) { return app.OpenObligation(s, string(b)) }
}

// order opens an obligation as network.Client does: with what it sends
// of the order's subject (domain.SubjectSent).
func (f *fixture) order(actor domain.Actor, in domain.ObligationInput) (*domain.Obligation, error) {
	b, _ := json.Marshal(in)
	sent, err := domain.SubjectSent("OpenObligation", []string{string(b)}, f.lookup)
	if err != nil {
		return nil, err
	}
	if sent != nil {
		f.m.Transient[domain.TransientSubject] = sent
		defer delete(f.m.Transient, domain.TransientSubject)
	}
	return run(f, actor, openFn(in))
}

func fileFn(number, doc string) func(s store.Store) (*domain.Obligation, error) {
	b, _ := json.Marshal(domain.ObligationFiling{DocumentDigest: certs.SM3Hex([]byte(doc))})
	return func(s store.Store) (*domain.Obligation, error) { return app.FileObligation(s, number, string(b)) }
}

func obligationNow(t *testing.T, f *fixture, number string) *domain.ObligationView {
	t.Helper()
	return must[*domain.ObligationView](t)(run(f, cityAAuthority, func(s store.Store) (*domain.ObligationView, error) { return app.GetObligation(s, number) }))
}

// GD 37: the implementing agency reports the previous year by the end of
// March. Opened by the authority, due 31 March, overdue after it, filed
// late and accepted; every field the rule does not use is refused.
func TestAnnualReportIsDueAtTheEndOfMarchAndFiledLate(t *testing.T) {
	f := newFixture(t, "GD")
	b, _ := json.Marshal(domain.PartyInput{CreditCode: agencyCode, Name: "南宁市大数据发展局（实施机构）", Role: domain.PartyAgency, DivisionCode: "450100"})
	must[*domain.Party](t)(run(f, cityAOperator, func(s store.Store) (*domain.Party, error) { return app.RegisterParty(s, string(b)) }))
	in := domain.ObligationInput{Number: obligationNumber(), Kind: "annual_report", PartyCreditCode: agencyCode, Period: "2025", Note: "2025年度运营报告"}
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error { _, err := openFn(in)(s); return err })
	// A period of four bytes that are no digits is refused, never reaching
	// a state key (which would stop the chaincode).
	for _, period := range []string{"\u0000abc", "\U0010ffff", "+202"} {
		bad := in
		bad.Number, bad.Period = obligationNumber(), period
		f.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error { _, err := openFn(bad)(s); return err })
	}
	for field, bad := range map[string]domain.ObligationInput{
		"kind":            func() domain.ObligationInput { x := in; x.Kind = "security_incident"; return x }(), // NS and HB define it, not GD
		"period":          func() domain.ObligationInput { x := in; x.Period = "2027"; return x }(),
		"due":             func() domain.ObligationInput { x := in; x.Due = "2026-04-30"; return x }(),
		"partyCreditCode": func() domain.ObligationInput { x := in; x.PartyCreditCode = holderCode; return x }(), // an enterprise owes no GD 37 report
		"subject":         func() domain.ObligationInput { x := in; x.Subject = f.agreem + "X"; return x }(),
	} {
		if _, err := run(f, cityAAuthority, openFn(bad)); err == nil {
			t.Errorf("%s: an annual report opened with a bad %s", field, field)
		}
	}
	o := must[*domain.Obligation](t)(run(f, cityAAuthority, openFn(in)))
	if o.DueOn != "2026-03-31" || o.Cite != "GD-37" || o.Status != domain.ObligationOpen {
		t.Fatalf("opened: due %s cite %s %s", o.DueOn, o.Cite, o.Status)
	}
	if v := obligationNow(t, f, in.Number); v.Standing != domain.StandingDue {
		t.Fatalf("before the end of March: %s", v.Standing)
	}
	f.m.SetClock(time.Date(2026, 4, 2, 2, 0, 0, 0, time.UTC))
	if v := obligationNow(t, f, in.Number); v.Standing != domain.StandingOverdue {
		t.Fatalf("on 2 April: %s", v.Standing)
	}
	f.refused(cityAClerk, domain.RuleRegistrar, func(s store.Store) error { _, err := fileFn(in.Number, "报告")(s); return err })
	o = must[*domain.Obligation](t)(run(f, cityAOperator, fileFn(in.Number, "2025年度运营报告")))
	if !o.FiledLate || !o.Steps[len(o.Steps)-1].Late || o.FiledOn != "2026-04-02" {
		t.Fatalf("filed on %s late %v", o.FiledOn, o.FiledLate)
	}
	if v := obligationNow(t, f, in.Number); v.Standing != domain.StandingFiledLate {
		t.Fatalf("filed late reads %s", v.Standing)
	}
	decide := func(decision, reasons string) func(s store.Store) (*domain.Obligation, error) {
		return func(s store.Store) (*domain.Obligation, error) {
			return app.DecideObligation(s, in.Number, decision, reasons)
		}
	}
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error { _, err := decide(domain.ObligationAccepted, "")(s); return err })
	if o = must[*domain.Obligation](t)(run(f, cityAAuthority, decide(domain.ObligationAccepted, ""))); o.Status != domain.ObligationAccepted {
		t.Fatalf("decided: %s", o.Status)
	}
	f.refused(cityAAuthority, domain.RuleStep, func(s store.Store) error { _, err := decide(domain.ObligationAccepted, "")(s); return err })
	// One report per party and period: a second is refused while the first
	// stands; opened in error and withdrawn, it frees the period.
	dup := in
	dup.Number, dup.Period = obligationNumber(), "2024"
	must[*domain.Obligation](t)(run(f, cityAAuthority, openFn(dup)))
	again := dup
	again.Number = obligationNumber()
	f.refused(cityAAuthority, domain.RuleObligationUnique, func(s store.Store) error { _, err := openFn(again)(s); return err })
	must[*domain.Obligation](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Obligation, error) {
		return app.DecideObligation(s, dup.Number, domain.ObligationWithdrawn, "期间有误")
	}))
	must[*domain.Obligation](t)(run(f, cityAAuthority, openFn(again)))

	// GD 35: a fee schedule is a public kind: the public list holds it,
	// not the annual reports.
	fees := domain.ObligationInput{Number: obligationNumber(), Kind: "fee_schedule", PartyCreditCode: operatorCode, Due: "2026-04-30", Note: "请于四月底前报送收费标准"}
	must[*domain.Obligation](t)(run(f, cityAAuthority, openFn(fees)))
	// Its public view is in the world state, without its note; an annual
	// report has none.
	feesKey, _ := domain.CompositeKey(domain.TypeObligation, fees.Number)
	if v := f.m.Snapshot()[feesKey]; !strings.Contains(v, fees.Number) || strings.Contains(v, fees.Note) {
		t.Fatalf("the public view of a public kind: %s", v)
	}
	privateOnly(t, f, domain.TypeObligation, in.Number, in.Note)
	list := must[*domain.Page[domain.ObligationDisclosure]](t)(run(f, cityAClerk, func(s store.Store) (*domain.Page[domain.ObligationDisclosure], error) {
		return app.ListDisclosedObligations(s, 200, "")
	}))
	if len(list.Items) != 1 || list.Items[0].Number != fees.Number || list.Items[0].Standing != domain.StandingDue {
		t.Fatalf("disclosed: %+v", list.Items)
	}
}

// HB 35: a product developer reports a risk immediately, itself (an
// enterprise with its own identity); reported after the working day it was
// found it is late (a Sunday's is due on Monday, a working Saturday's that
// day). The rectification
// order that follows (HB 36) names the report and sets its own deadline; a
// returned filing is filed again.
func TestIncidentReportAndTheRectificationOrderThatFollows(t *testing.T) {
	f := newFixture(t, "HB")
	self, other := selfActor(holderCode), selfActor(otherEntCode)
	incident := domain.ObligationInput{Number: obligationNumber(), Kind: "risk_report", PartyCreditCode: holderCode, OccurredOn: "2026-03-02",
		Note: "接口日志发现批量异常调用", DocumentDigest: certs.SM3Hex([]byte("事件报告"))}
	f.refused(other, domain.RuleOwnApplication, func(s store.Store) error { _, err := openFn(incident)(s); return err })
	noReport := incident
	noReport.DocumentDigest = ""
	f.refused(self, domain.RuleDigest, func(s store.Store) error { _, err := openFn(noReport)(s); return err })
	future := incident
	future.OccurredOn = "2026-03-03"
	f.refused(self, domain.RuleObligation, func(s store.Store) error { _, err := openFn(future)(s); return err })
	o := must[*domain.Obligation](t)(run(f, self, openFn(incident)))
	if o.Status != domain.ObligationFiled || o.FiledLate || o.DueOn != "2026-03-02" || o.Cite != "HB-35" {
		t.Fatalf("reported: %s late %v due %s", o.Status, o.FiledLate, o.DueOn)
	}
	lateOne := incident
	lateOne.Number, lateOne.OccurredOn = obligationNumber(), "2026-02-27"
	if o := must[*domain.Obligation](t)(run(f, self, openFn(lateOne))); !o.FiledLate {
		t.Fatal("an incident of 27 February reported on 2 March is not late")
	}
	// Sunday 1 March's risk is due on Monday; Saturday 28 February was a
	// working day (调休 after 春节), so its risk was due that day.
	sunday, saturday := incident, incident
	sunday.Number, sunday.OccurredOn = obligationNumber(), "2026-03-01"
	saturday.Number, saturday.OccurredOn = obligationNumber(), "2026-02-28"
	if o := must[*domain.Obligation](t)(run(f, self, openFn(sunday))); o.FiledLate || o.DueOn != "2026-03-02" {
		t.Fatalf("a Sunday's risk reported on Monday: due %s late %v", o.DueOn, o.FiledLate)
	}
	if o := must[*domain.Obligation](t)(run(f, self, openFn(saturday))); !o.FiledLate || o.DueOn != "2026-02-28" {
		t.Fatalf("a risk of the working Saturday 28 February reported on Monday: due %s late %v", o.DueOn, o.FiledLate)
	}
	withSubject := incident
	withSubject.Number, withSubject.Subject = obligationNumber(), lateOne.Number
	f.refused(self, domain.RuleObligation, func(s store.Store) error { _, err := openFn(withSubject)(s); return err })

	order := domain.ObligationInput{Number: obligationNumber(), Kind: "rectification", PartyCreditCode: holderCode, Subject: incident.Number,
		Due: "2026-03-16", Note: "责令改正：关闭异常接口并提交整改报告"}
	f.refused(self, domain.RuleOwnAuthority, func(s store.Store) error { _, err := openFn(order)(s); return err })
	past := order
	past.Due = "2026-03-01"
	f.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error { _, err := openFn(past)(s); return err })
	missing := order
	missing.Subject = obligationNumber()
	f.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error { _, err := openFn(missing)(s); return err })
	// Another party's record reads as a missing one.
	theirs := order
	theirs.PartyCreditCode = otherEntCode
	f.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error { _, err := openFn(theirs)(s); return err })
	o = must[*domain.Obligation](t)(run(f, cityAAuthority, openFn(order)))
	if o.DueOn != "2026-03-16" || o.Subject != incident.Number {
		t.Fatalf("ordered: due %s after %s", o.DueOn, o.Subject)
	}
	f.refused(other, domain.RuleOwnApplication, func(s store.Store) error { _, err := fileFn(order.Number, "不是我的")(s); return err })
	must[*domain.Obligation](t)(run(f, self, fileFn(order.Number, "整改报告")))
	f.refused(cityAAuthority, domain.RuleReasons, func(s store.Store) error {
		_, err := app.DecideObligation(s, order.Number, domain.ObligationReturned, "")
		return err
	})
	o = must[*domain.Obligation](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Obligation, error) {
		return app.DecideObligation(s, order.Number, domain.ObligationReturned, "未附接口关闭证明")
	}))
	if v := obligationNow(t, f, order.Number); o.Status != domain.ObligationReturned || v.Standing != domain.StandingDue {
		t.Fatalf("returned: %s reads %s", o.Status, v.Standing)
	}
	o = must[*domain.Obligation](t)(run(f, self, fileFn(order.Number, "整改报告及接口关闭证明")))
	if o.Filings != 2 || o.FiledLate {
		t.Fatalf("filed again: %d filings, late %v", o.Filings, o.FiledLate)
	}

	// Private whole (docs/PRIVACY.md): the report, the order, their notes
	// and the decision's reasons; the party reads its own.
	privateOnly(t, f, domain.TypeObligation, incident.Number, incident.Note)
	privateOnly(t, f, domain.TypeObligation, order.Number, order.Note, "未附接口关闭证明")
	for _, who := range []domain.Actor{cityAClerk, cityAExchange} {
		f.refused(who, domain.RuleObligation, func(s store.Store) error { _, err := app.GetObligation(s, order.Number); return err })
	}
	if v := obligationNow(t, f, order.Number); v.Note != order.Note {
		t.Fatalf("the authority reads %+v", v)
	}
	// Its history is the collection's, which keeps none: refused by name
	// to the authority; the public learns nothing of it.
	f.refused(cityAAuthority, domain.RulePrivateRead, func(s store.Store) error { _, err := app.History(s, domain.TypeObligation, order.Number); return err })
	f.refused(cityAClerk, RuleRecordType, func(s store.Store) error { _, err := app.History(s, domain.TypeObligation, order.Number); return err })

	// The authority files for a party (an operator here) only if another
	// of its identities decides on it.
	opOrder := order
	opOrder.Number, opOrder.PartyCreditCode, opOrder.Subject = obligationNumber(), operatorCode, ""
	must[*domain.Obligation](t)(run(f, cityAAuthority, openFn(opOrder)))
	must[*domain.Obligation](t)(run(f, cityAAuthority, fileFn(opOrder.Number, "整改情况")))
	f.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error {
		_, err := app.DecideObligation(s, opOrder.Number, domain.ObligationAccepted, "")
		return err
	})
	// Withdrawn with reasons, it is owed no more: not by the filer either.
	f.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error {
		_, err := app.DecideObligation(s, opOrder.Number, domain.ObligationWithdrawn, "撤回")
		return err
	})
	head := domain.Actor{MSP: "CityAMSP", Role: domain.RoleAuthority, ID: "authority-head"}
	f.refused(head, domain.RuleReasons, func(s store.Store) error {
		_, err := app.DecideObligation(s, opOrder.Number, domain.ObligationWithdrawn, "")
		return err
	})
	must[*domain.Obligation](t)(run(f, head, func(s store.Store) (*domain.Obligation, error) {
		return app.DecideObligation(s, opOrder.Number, domain.ObligationWithdrawn, "责令对象有误")
	}))
	if v := obligationNow(t, f, opOrder.Number); v.Standing != domain.StandingWithdrawn {
		t.Fatalf("withdrawn reads %s", v.Standing)
	}
	// An objection against the party's own product may be an order's
	// subject; another party's may not.
	product := must[*domain.CertificateRecord](t)(f.register(f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) { c.PreExisting = true }), ""))
	obj := domain.ObjectionInput{Number: domain.Number{Prefix: domain.PrefixObjection, Division: "450100", Year: 2026, Serial: fmt.Sprintf("YY%06d", obligationSeq)}.String(),
		TargetKind: "certificate", Target: product.Number, EvidenceDigest: certs.SM3Hex([]byte("证据")), Summary: "数据来源存疑"}
	ob, _ := json.Marshal(obj)
	must[*domain.Objection](t)(run(f, cityAClerk, func(s store.Store) (*domain.Objection, error) { return app.FileObjection(s, string(ob)) }))
	fromObjection := order
	fromObjection.Number, fromObjection.Subject = obligationNumber(), obj.Number
	must[*domain.Obligation](t)(f.order(cityAAuthority, fromObjection))
	readsNoParty(t, f, "OpenObligation", fromObjection) // the objected certificate by proof, as its client sends it
	fromObjection.Number, fromObjection.PartyCreditCode = obligationNumber(), otherEntCode
	f.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error { _, err := openFn(fromObjection)(s); return err })
	// GX defines no incident report.
	gx := newFixture(t, "GX")
	incident.Number = obligationNumber()
	gx.refused(self, domain.RuleObligationKind, func(s store.Store) error { _, err := openFn(incident)(s); return err })
}

// Every built-in profile's obligation kinds are valid and cite their own
// regulation.
func TestBuiltinObligationKindsCiteTheirRegulation(t *testing.T) {
	for name, p := range domain.BuiltinProfiles() {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, k := range p.Obligations {
			if len(k.Cite) < 3 || k.Cite[:3] != name+"-" {
				t.Errorf("%s %s cites %s", name, k.Kind, k.Cite)
			}
		}
	}
}

// An order's subject is checked without its key in the read set: an
// agreement among its grantee's grants (the party's own, or for one the
// party granted, the grantee's, named by the client), a credential by its
// signed document and its department's registered key.
func TestAnOrdersSubjectIsCheckedWithoutItsKey(t *testing.T) {
	f := newFixture(t, "HB")
	cred := must[*domain.CredentialRecord](t)(f.issue(cityAOperator, f.sign(f.credential(nil), f.key), f.agreem))
	readsNeither := func(what string, numbers ...string) {
		t.Helper()
		for k := range f.m.Last.Reads {
			for _, n := range numbers {
				if strings.Contains(k, n) {
					t.Fatalf("%s read %q", what, k)
				}
			}
		}
	}
	order := func(party, subject string) domain.ObligationInput {
		return domain.ObligationInput{Number: obligationNumber(), Kind: "rectification", PartyCreditCode: party, Subject: subject, Due: "2026-03-31", Note: "整改"}
	}
	first := order(holderCode, f.agreem)
	must[*domain.Obligation](t)(f.order(cityAAuthority, first))
	readsNeither("an order about the grantee's agreement", f.agreem, holderCode)
	readsNoParty(t, f, "OpenObligation", first)
	if asked := f.m.Last.ProvedFacts; !slices.Equal(asked, []string{holderCode}) {
		t.Fatalf("it checked the facts of %v", asked)
	}
	must[*domain.Obligation](t)(f.order(cityAAuthority, order(operatorCode, f.agreem)))
	readsNeither("an order about the agreement its party granted", f.agreem, holderCode, operatorCode)
	if asked := f.m.Last.ProvedFacts; !slices.Equal(asked, []string{operatorCode, holderCode}) {
		t.Fatalf("it checked the facts of %v", asked)
	}
	f.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error {
		_, err := f.order(cityAAuthority, order(otherEntCode, f.agreem))
		return err
	})

	aboutCred := must[*domain.Obligation](t)(f.order(cityAAuthority, order(holderCode, cred.Number)))
	readsNeither("an order about a credential", cred.Number, holderCode)
	if aboutCred.SubjectDocument != certs.SM3Hex(cred.Document) || aboutCred.Public() != nil {
		t.Fatalf("the order keeps the digest %q of the document it was checked against, want %q", aboutCred.SubjectDocument, certs.SM3Hex(cred.Document))
	}
	f.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error {
		_, err := f.order(cityAAuthority, order(otherEntCode, cred.Number))
		return err
	})
	// Without its document, or with a document changed after signing.
	f.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error { _, err := openFn(order(holderCode, cred.Number))(s); return err })
	forged := strings.Replace(string(cred.Document), holderCode, otherEntCode, 1)
	f.m.Transient[domain.TransientSubject] = []byte(forged)
	f.refused(cityAAuthority, domain.RuleSignature, func(s store.Store) error { _, err := openFn(order(otherEntCode, cred.Number))(s); return err })
	delete(f.m.Transient, domain.TransientSubject)
}

package contract

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// An objection's summary and its decision's reasons live in the
// collection only: the world state, the answers (which a block keeps) and
// the events hold its public view; the collection's members read it whole.
func TestObjectionSummaryAndReasonsAreOnlyInTheCollection(t *testing.T) {
	f := newFixture(t, "GX")
	cred := f.issued()
	c := f.preExisting(cred)
	const summary, reasons = "异议人张三称产品含其个人数据", "经核实该数据未经授权使用"
	number := func(serial string) string {
		return domain.Number{Prefix: domain.PrefixObjection, Division: "450100", Year: 2026, Serial: serial}.String()
	}
	in := domain.ObjectionInput{Number: number("YJ000001"), TargetKind: "certificate", Target: c.RegistrationNumber,
		EvidenceDigest: certs.SM3Hex([]byte("evidence")), Summary: summary}
	b, _ := json.Marshal(in)
	filed := must[*domain.Objection](t)(run(f, cityAExchange, func(s store.Store) (*domain.Objection, error) { return app.FileObjection(s, string(b)) }))
	if answer, _ := outPublic(filed, nil); strings.Contains(answer, summary) || !strings.Contains(answer, in.Number) {
		t.Fatalf("the answer, which the block keeps, carries the summary: %s", answer)
	}
	d, _ := json.Marshal(domain.ObjectionDecision{Outcome: domain.OutcomeRegistrationRevoked, Reasons: reasons})
	decided := must[*domain.Objection](t)(run(f, cityAOperator, func(s store.Store) (*domain.Objection, error) {
		return app.DecideObjection(s, in.Number, string(d))
	}))
	if answer, _ := outPublic(decided, nil); strings.Contains(answer, reasons) || !strings.Contains(answer, domain.OutcomeRegistrationRevoked) {
		t.Fatalf("decision answer: %s", answer)
	}
	for k, v := range f.m.Snapshot() {
		if strings.Contains(v, summary) || strings.Contains(v, reasons) {
			t.Fatalf("world state key %q holds private text: %s", k, v)
		}
	}
	for _, e := range f.m.Events {
		if strings.Contains(string(e.Payload), summary) || strings.Contains(string(e.Payload), reasons) {
			t.Fatalf("event %s holds private text", e.Name)
		}
	}
	sealedAt := ""
	for k, v := range f.m.PrivateSnapshot() {
		// Sealed with a salt of its own, from the transaction's.
		if strings.Contains(v, summary) && strings.Contains(v, reasons) && strings.Contains(v, `"salt":"`+domain.SaltFor(strings.Repeat("5a", 32), k)) {
			sealedAt = k
		}
	}
	if sealedAt == "" {
		t.Fatal("the collection does not hold the objection whole, sealed with its salt from the transaction's")
	}
	get := func(who domain.Actor) *domain.Objection {
		return must[*domain.Objection](t)(run(f, who, func(s store.Store) (*domain.Objection, error) { return app.GetObjection(s, in.Number) }))
	}
	for _, who := range []domain.Actor{cityAOperator, provinceAuth} {
		if o := get(who); o.Summary != summary || o.Decision.Reasons != reasons || o.Status != domain.ObjectionDecided {
			t.Fatalf("%s/%s reads %+v, want it whole", who.MSP, who.Role, o)
		}
	}
	for _, who := range []domain.Actor{cityAClerk, cityAExchange} {
		if o := get(who); o.Summary != "" || o.Decision.Reasons != "" || o.Status != domain.ObjectionDecided {
			t.Fatalf("%s/%s reads %+v, want the public view", who.MSP, who.Role, o)
		}
	}
	// The certificate says why publicly by cause, not by the reasons.
	v := must[*domain.Verification](t)(run(f, cityAClerk, func(s store.Store) (*domain.Verification, error) {
		return app.VerifyCertificate(s, c.RegistrationNumber)
	}))
	if v.Status != domain.VerifyRevoked {
		t.Fatalf("certificate reads %s", v.Status)
	}
	// The peer refuses a non-member's read of the collection itself; the
	// contract never tries one for it.
	if _, err := f.m.Run(cityAExchange, func(s store.Store) error { _, err := s.GetPrivate(sealedAt); return err }); err == nil || !strings.Contains(err.Error(), "read access") {
		t.Fatalf("a non-member read the collection: %v", err)
	}
	// A new private record is sealed with the client's salt, or not at all.
	other := f.preExisting(cred)
	for _, salt := range []string{"", "short", strings.Repeat("5a", 31)} {
		f.m.Transient = map[string][]byte{domain.TransientSalt: []byte(salt)}
		in.Number, in.Target = number("YJ000002"), other.RegistrationNumber
		b, _ := json.Marshal(in)
		f.refused(cityAExchange, domain.RulePrivateArgs, func(s store.Store) error { _, err := app.FileObjection(s, string(b)); return err })
	}
}

// argsOnly is a stub that answers only what privateChaincode reads
// before it hands the transaction on.
type argsOnly struct {
	shim.ChaincodeStubInterface
	fn        string
	args      []string
	transient map[string][]byte
}

func (s argsOnly) GetFunctionAndParameters() (string, []string) { return s.fn, s.args }
func (s argsOnly) GetTransient() (map[string][]byte, error)     { return s.transient, nil }

func TestPrivateArgumentsNeverInTheProposal(t *testing.T) {
	cc, err := New(app.Channels, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		stub argsOnly
		want string
	}{
		// Called by its own name, with or without arguments: the block
		// would show which step ran.
		{argsOnly{fn: "FileObjection", args: []string{`{"summary":"x"}`}}, "is called as Private"},
		{argsOnly{fn: "dataledger:DecideObjection", transient: map[string][]byte{domain.TransientArgs: []byte(`["YY-450100-2026-P00001","{}"]`)}}, "is called as Private"},
		// Private names a transaction with private arguments, and carries
		// none of them.
		{argsOnly{fn: "Private", transient: map[string][]byte{domain.TransientFunction: []byte("GetParty")}}, "not a transaction with private arguments"},
		{argsOnly{fn: "private"}, "not a transaction with private arguments"},
		{argsOnly{fn: "Private", args: []string{`{"summary":"x"}`}, transient: map[string][]byte{domain.TransientFunction: []byte("FileObjection")}}, "from the transient map"},
		{argsOnly{fn: "dataledger:Private", transient: map[string][]byte{domain.TransientFunction: []byte("FileObjection"), domain.TransientArgs: []byte(`{"not":"an array"}`)}}, "JSON array of strings"},
		{argsOnly{fn: "Private", transient: map[string][]byte{domain.TransientFunction: []byte("DecideObjection")}}, "JSON array of strings"},
	} {
		res := cc.Invoke(tc.stub)
		re, ok := domain.ParseWire(res.GetMessage())
		if res.GetStatus() == shim.OK || !ok || re.Rule != domain.RulePrivateArgs || !strings.Contains(re.Detail, tc.want) {
			t.Fatalf("%s %v: %d %q", tc.stub.fn, tc.stub.args, res.GetStatus(), res.GetMessage())
		}
	}
}

// An application is private until its public notice: no world-state key,
// no number in its events (a key hash a member resolves), not found by the
// public; from the notice on, its public view is in the state and the
// public reads it, without its providers, reviews or steps.
func TestAnApplicationIsPrivateUntilItsNotice(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	in := applicationInput(holderCode, true)
	n := f.throughVerification(in)
	k, _ := domain.CompositeKey(domain.TypeApplication, n)
	if _, ok := f.m.Snapshot()[k]; ok {
		t.Fatal("an application before its notice is in the world state")
	}
	for _, e := range f.m.Events {
		if strings.Contains(string(e.Payload), n) {
			t.Fatalf("event %s names the application before its notice: %s", e.Name, e.Payload)
		}
	}
	// Apply's read set names no application key (a read set keeps keys in
	// clear): it reads the application from the collection only.
	other := applicationInput(holderCode, true)
	must[*domain.Application](t)(f.apply(other))
	ok, _ := domain.CompositeKey(domain.TypeApplication, other.Number)
	if f.m.Last.Reads[ok] != 0 {
		t.Fatalf("Apply read the world state's key of the application it files: %v", f.m.Last.Reads)
	}
	last := f.m.Events[len(f.m.Events)-2]
	var ev domain.Event
	_ = json.Unmarshal(last.Payload, &ev)
	ref := must[*domain.PrivateRecordRef](t)(run(f, cityAOperator, func(s store.Store) (*domain.PrivateRecordRef, error) {
		return app.FindPrivateRecord(s, ev.Changes[0].KeyHash)
	}))
	if ref.Number != n || ref.RecordType != domain.TypeApplication {
		t.Fatalf("the key hash names %+v", ref)
	}
	f.refused(cityAClerk, domain.RulePrivateRead, func(s store.Store) error { _, err := app.FindPrivateRecord(s, ev.Changes[0].KeyHash); return err })
	for _, who := range []domain.Actor{cityAClerk, cityAExchange} {
		f.refused(who, domain.RuleApplication, func(s store.Store) error { _, err := app.GetApplication(s, n); return err })
	}
	// An objection by the public (a member org's clerk) learns nothing of
	// an application before its notice: the refusal of a missing target.
	for _, target := range []string{n, applicationInput(holderCode, true).Number} {
		ob, _ := json.Marshal(domain.ObjectionInput{Number: domain.Number{Prefix: domain.PrefixObjection, Division: "450100", Year: 2026, Serial: "YJ000077"}.String(),
			TargetKind: "application", Target: target, EvidenceDigest: certs.SM3Hex([]byte("e")), Summary: "s"})
		f.refused(cityAClerk, domain.RuleObjectionTarget, func(s store.Store) error { _, err := app.FileObjection(s, string(ob)); return err })
	}
	applicant := domain.Actor{MSP: "CityAMSP", Role: domain.RoleEnterprise, ID: "enterprise-" + holderCode, CreditCode: holderCode}
	if a := must[*domain.Application](t)(run(f, applicant, func(s store.Store) (*domain.Application, error) { return app.GetApplication(s, n) })); len(a.Steps) == 0 {
		t.Fatal("the applicant does not read its own application's steps")
	}
	noticed := must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.StartPublicNotice(s, n) }))
	if answer, _ := outPublic(noticed, nil); !strings.Contains(answer, n) || strings.Contains(answer, providerCode) {
		t.Fatalf("the notice's answer: %s", answer)
	}
	pub := f.m.Snapshot()[k]
	if pub == "" || strings.Contains(pub, providerCode) || strings.Contains(pub, `"reviews"`) || strings.Contains(pub, "preliminary_review") {
		t.Fatalf("the public view in the world state: %s", pub)
	}
	for _, who := range []domain.Actor{cityAClerk, cityAExchange} {
		a := must[*domain.Application](t)(run(f, who, func(s store.Store) (*domain.Application, error) { return app.GetApplication(s, n) }))
		if a.NoticeEnds == "" || a.ProductName != in.ProductName || len(a.Steps) != 0 || len(a.DataProviders) != 0 {
			t.Fatalf("%s reads %+v", who.MSP, a)
		}
	}
	if a := must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.GetApplication(s, n) })); len(a.Steps) < 5 || len(a.DataProviders) != 1 {
		t.Fatalf("the operator reads %+v", a)
	}
}

// A write that brings no salt (ConfirmDestruction: no private input)
// seals the record again with the salt it was sealed with.
func TestAWriteWithoutASaltKeepsTheRecordsOwn(t *testing.T) {
	f := newFixture(t, "GX")
	c := f.preExisting(f.issued())
	in := domain.ObjectionInput{Number: domain.Number{Prefix: domain.PrefixObjection, Division: "450100", Year: 2026, Serial: "YJ000009"}.String(),
		TargetKind: "certificate", Target: c.RegistrationNumber, EvidenceDigest: certs.SM3Hex([]byte("e")), Summary: "数据来源存疑"}
	b, _ := json.Marshal(in)
	must[*domain.Objection](t)(run(f, cityAExchange, func(s store.Store) (*domain.Objection, error) { return app.FileObjection(s, string(b)) }))
	d, _ := json.Marshal(domain.ObjectionDecision{Outcome: domain.OutcomeDataDestructionOrdered, Reasons: "核实属实", DestructionDeadline: "2026-04-30"})
	must[*domain.Objection](t)(run(f, cityAOperator, func(s store.Store) (*domain.Objection, error) { return app.DecideObjection(s, in.Number, string(d)) }))
	sealed := func() domain.Sealed {
		k, _ := domain.CompositeKey(domain.TypeObjection, in.Number)
		var s domain.Sealed
		if err := json.Unmarshal([]byte(f.m.PrivateSnapshot()[k]), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := sealed()
	f.m.Transient = nil
	o := must[*domain.Objection](t)(run(f, cityAOperator, func(s store.Store) (*domain.Objection, error) {
		return app.ConfirmDestruction(s, in.Number, certs.SM3Hex([]byte("销毁记录")))
	}))
	after := sealed()
	if o.Destruction == nil || after.Salt != before.Salt || !strings.Contains(string(after.Record), "核实属实") || !strings.Contains(string(after.Record), "destructionConfirmed") {
		t.Fatalf("resealed with salt %s (was %s): %s", after.Salt, before.Salt, after.Record)
	}
}

// Every transaction whose answer is a record with a private part answers,
// in the block, its public view: its Contract method goes through
// outPublic (the adapter is the one place that turns records into
// answers).
func TestEveryPrivateWriteAnswersItsPublicView(t *testing.T) {
	src, err := os.ReadFile("contract.go")
	if err != nil {
		t.Fatal(err)
	}
	methods := regexp.MustCompile(`(?s)func \(c \*Contract\) (\w+)\(ctx[^{]*\{(.*?)\n\}`).FindAllStringSubmatch(string(src), -1)
	seen := 0
	for _, m := range methods {
		if _, ok := domain.PrivateAnswer(m[1]); !ok {
			continue
		}
		seen++
		if !strings.Contains(m[2], "outPublic(c.App."+m[1]+"(") {
			t.Errorf("%s answers without outPublic: %s", m[1], m[2])
		}
	}
	if want := len(domain.PrivateWrites()); seen != want {
		t.Fatalf("%d of the contract's methods answer with a private record, and domain names %d", seen, want)
	}
}

// privateOnly checks that a record with no public view (domain.PublicNever,
// an obligation of a kind that is not public) is in the collection,
// sealed, and nowhere a block reads: not in the world
// state (neither its key nor its texts), not in an event (whose entries
// name it by its key hash).
func privateOnly(t *testing.T, f *fixture, recordType, number string, texts ...string) {
	t.Helper()
	for k, v := range f.m.Snapshot() {
		if strings.Contains(k, number) || strings.Contains(v, number) {
			t.Fatalf("world state key %q names %s %s: %s", k, recordType, number, v)
		}
		for _, text := range texts {
			if strings.Contains(v, text) {
				t.Fatalf("world state key %q holds private text %q", k, text)
			}
		}
	}
	for _, e := range f.m.Events {
		if strings.Contains(string(e.Payload), number) {
			t.Fatalf("event %s names %s", e.Name, number)
		}
	}
	k, _ := domain.CompositeKey(recordType, number)
	sealed := f.m.PrivateSnapshot()[k]
	var whole domain.Sealed
	if err := json.Unmarshal([]byte(sealed), &whole); err != nil || domain.ValidSalt(whole.Salt) != nil {
		t.Fatalf("the collection does not hold %s %s sealed: %q", recordType, number, sealed)
	}
	for _, text := range texts {
		if !strings.Contains(string(whole.Record), text) {
			t.Fatalf("the collection's %s %s lacks %q", recordType, number, text)
		}
	}
}

// A development agreement's terms (its parties, scope, term, signing day,
// filing deadline) are the parties' (HB 23, 27, 31 file it, no article
// publishes it): the world state and the answers hold its public view
// (number, kind, status, document digest, the day it was filed and
// ended); the collection holds it whole; the authority and its grantee
// read it whole, the public and the exchange its public view, and the
// authority files and ends it from its whole.
func TestADevelopmentAgreementKeepsItsTerms(t *testing.T) {
	f := newFixture(t, "GD") // GD 23 sets a filing deadline
	in := agreementInput(domain.AgreementDevelopment, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-02")
	in.Scope = "联合开发城市通勤客流模型"
	b, _ := json.Marshal(in)
	ag := must[*domain.Agreement](t)(run(f, cityAOperator, func(s store.Store) (*domain.Agreement, error) { return app.RecordAgreement(s, string(b)) }))
	if answer, _ := outPublic(ag, nil); strings.Contains(answer, in.Scope) || strings.Contains(answer, holderCode) || !strings.Contains(answer, in.Number) {
		t.Fatalf("the answer, which the block keeps, holds the terms: %s", answer)
	}
	filed := must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) { return app.FileAgreement(s, in.Number) }))
	if answer, _ := outPublic(filed, nil); filed.Filing == nil || filed.Filing.Deadline == "" || strings.Contains(answer, holderCode) || strings.Contains(answer, `"deadline"`) {
		t.Fatalf("the filing's answer, which the block keeps, holds its terms: %s (whole: %+v)", answer, filed.Filing)
	}
	ended := must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) {
		return app.EndAgreement(s, in.Number, "terminate", "合作结束")
	}))
	if ended.Status != domain.AgreementTerminated || ended.GranteeCreditCode != holderCode || ended.Filing == nil || ended.Filing.FiledOn == "" {
		t.Fatalf("ended from its whole: %+v", ended)
	}
	k, _ := domain.CompositeKey(domain.TypeAgreement, in.Number)
	pub := f.m.Snapshot()[k]
	for _, text := range []string{in.Scope, holderCode, operatorCode, "2027-12-31", "合作结束"} {
		if strings.Contains(pub, text) {
			t.Fatalf("the world state's agreement holds %q: %s", text, pub)
		}
	}
	if !strings.Contains(pub, domain.AgreementTerminated) || strings.Contains(pub, `"filing"`) {
		t.Fatalf("the public view: %s", pub)
	}
	// Its history names its parties to its grantee (the enterprise
	// table's ownership check reads the first version), none to the public.
	for who, named := range map[domain.Actor]bool{selfActor(holderCode): true, cityAClerk: false} {
		hist := must[[]domain.HistoryItem](t)(run(f, who, func(s store.Store) ([]domain.HistoryItem, error) {
			return app.History(s, domain.TypeAgreement, in.Number)
		}))
		if strings.Contains(string(hist[0].Record), holderCode) != named || len(hist) != 3 {
			t.Fatalf("%s/%s reads the history %s", who.MSP, who.Role, hist[0].Record)
		}
	}
	for who, whole := range map[domain.Actor]bool{cityAAuthority: true, selfActor(holderCode): true, cityAClerk: false, cityAExchange: false} {
		got := must[*domain.Agreement](t)(run(f, who, func(s store.Store) (*domain.Agreement, error) { return app.GetAgreement(s, in.Number) }))
		if (got.Scope == in.Scope && got.GranteeCreditCode == holderCode && got.Last.Reason == "合作结束") != whole || got.Status != domain.AgreementTerminated {
			t.Fatalf("%s/%s reads %+v (whole: %v)", who.MSP, who.Role, got, whole)
		}
	}
	// An authorizing agreement stays public.
	catalog := f.recordAgreement(domain.AgreementCatalog, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-02")
	ck, _ := domain.CompositeKey(domain.TypeAgreement, catalog)
	if v := f.m.Snapshot()[ck]; !strings.Contains(v, holderCode) || !strings.Contains(v, "南宁市公共交通客流数据目录") {
		t.Fatalf("a catalog agreement's public record: %s", v)
	}
}

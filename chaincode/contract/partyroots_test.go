package contract

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// readsNoParty checks the last transaction, fn with args: it read every
// bucket's root and no party's key, which a block's read set would keep
// in clear, and asked proofs only of the codes a client sends for it
// (domain.PartiesNamed: the fake's client proves whatever is asked).
func readsNoParty(t *testing.T, f *fixture, fn string, args ...any) {
	t.Helper()
	prefix, _ := domain.CompositeKey(domain.TypeParty)
	for k := range f.m.Last.Reads {
		if strings.HasPrefix(k, prefix) {
			t.Errorf("%s read party key %q", fn, k)
		}
	}
	readEveryRoot(t, f, fn, domain.TypePartyRoot, domain.PartyBuckets)
	var strs []string
	for _, a := range args {
		if s, ok := a.(string); ok {
			strs = append(strs, s)
		} else {
			b, _ := json.Marshal(a)
			strs = append(strs, string(b))
		}
	}
	named, err := domain.PartiesNamed(fn, strs, f.lookup)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.m.Last.Proved {
		if !slices.Contains(named, c) {
			t.Errorf("%s asked the proof of %s, which its client does not send (it sends %v)", fn, c, named)
		}
	}
	if len(f.m.Last.Proved) == 0 {
		t.Errorf("%s asked no proof", fn)
	}
	keysNameNoParty(t, f, fn, strs, named...)
}

// readEveryRoot checks that the last transaction, fn, read each of a
// registry's n roots (rootType).
func readEveryRoot(t *testing.T, f *fixture, fn, rootType string, n int) {
	t.Helper()
	for b := 0; b < n; b++ {
		k, _ := domain.CompositeKey(rootType, domain.PartyBucketName(b))
		if f.m.Last.Reads[k] == 0 {
			t.Fatalf("%s did not read %s %d", fn, rootType, b)
		}
	}
}

// lookup reads a record as network.Client reads it to tell what it sends
// with a transaction (an authority of the channel's member org).
// The ledger's last transaction stays the one before the lookup.
func (f *fixture) lookup(recordType, number string) ([]byte, error) {
	last := f.m.Last
	defer func() { f.m.Last = last }()
	return run(f, cityAAuthority, func(s store.Store) ([]byte, error) {
		var v any
		var err error
		switch recordType {
		case domain.TypeCredit:
			v, err = app.GetCreditRecord(s, number)
		case domain.TypeObligation:
			v, err = app.GetObligation(s, number)
		case domain.TypeCredential:
			v, err = app.GetCredential(s, number)
		case domain.TypeAgreement:
			v, err = app.GetAgreement(s, number)
		case domain.TypeObjection:
			v, err = app.GetObjection(s, number)
		case domain.TypeCertificate:
			v, err = app.GetCertificate(s, number)
		case domain.TypeApplication:
			v, err = app.GetApplication(s, number)
		default:
			f.t.Fatalf("a client looks up a %s", recordType)
		}
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	})
}

// keysNameNoParty checks the last transaction, fn with args: it asked
// the proofs of only the facts a client sends for it
// (domain.FactsNamed), and nothing it read or wrote in the collection
// is keyed by a party's code (the block keeps the keys' hashes, which
// the public codes would match).
func keysNameNoParty(t *testing.T, f *fixture, fn string, strs []string, named ...string) {
	t.Helper()
	last := f.m.Last
	facts, err := domain.FactsNamed(fn, strs, f.lookup)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range last.ProvedFacts {
		if !slices.Contains(facts, c) {
			t.Errorf("%s asked the proof of %s's facts, which its client does not send (it sends %v)", fn, c, facts)
		}
	}
	for _, k := range last.PrivateKeys {
		for _, c := range append(named, facts...) {
			if strings.Contains(k, c) {
				t.Errorf("%s touched the collection's key %q, which holds party %s", fn, k, c)
			}
		}
	}
}

// Every private transaction that names parties checks them by proof
// against the registry's roots and reads no party's key.
func TestPrivateTransactionsReadNoPartyByKey(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	in := applicationInput(holderCode, true)
	must[*domain.Application](t)(f.apply(in))
	readsNoParty(t, f, "Apply", in)
	for _, kind := range []string{domain.AgreementDevelopment, domain.AgreementCatalog} {
		ag := agreementInput(kind, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-02")
		b, _ := json.Marshal(ag)
		must[*domain.Agreement](t)(run(f, cityAOperator, func(s store.Store) (*domain.Agreement, error) { return app.RecordAgreement(s, string(b)) }))
		readsNoParty(t, f, "RecordAgreement", ag)
	}
	rec := must[*domain.CredentialRecord](t)(f.issue(cityAOperator, f.sign(f.credential(nil), f.key), f.agreem))
	must[*domain.CredentialRecord](t)(run(f, cityAAuthority, func(s store.Store) (*domain.CredentialRecord, error) {
		return app.ChangeCredentialStatus(s, rec.Number, "revoke", "违规收费，撤销授权")
	}))
	asked := f.m.Last.ProvedFacts // the revocation is noted in the holder's facts
	keysNameNoParty(t, f, "ChangeCredentialStatus", []string{rec.Number, "revoke", "违规收费，撤销授权"}, holderCode)
	if len(asked) != 1 || factsOf(t, f, holderCode).Decisions[rec.Number].What != "credential revoked" {
		t.Fatalf("the revocation is not in the holder's facts (asked %v)", asked)
	}
	credit := domain.CreditInput{Number: creditNumber(), PartyCreditCode: holderCode, Cause: rec.Number,
		Category: "illegal_fees", FindingDigest: certs.SM3Hex([]byte("处理决定书")), Finding: "利用公共数据违规经营收费"}
	must[*domain.CreditRecord](t)(run(f, cityAAuthority, recordCreditFn(credit)))
	causeKey, _ := domain.CompositeKey(domain.TypeCredential, rec.Number)
	if f.m.Last.Reads[causeKey] != 0 {
		t.Error("RecordCreditRecord read its cause's key, which names the party")
	}
	readsNoParty(t, f, "RecordCreditRecord", credit)

	g := newFixture(t, "GD")
	ev := domain.EvaluationInput{Number: evaluationNumber(), PartyCreditCode: operatorCode, Period: "2025",
		Outcome: domain.EvaluationUnqualified, Evaluators: []string{"第三方评估机构"}, ReportDigest: certs.SM3Hex([]byte("报告")), Summary: "不合格"}
	must[*domain.Evaluation](t)(run(g, cityAAuthority, evaluateFn(ev)))
	readsNoParty(t, g, "RecordEvaluation", ev)
	b, _ := json.Marshal(domain.PartyInput{CreditCode: agencyCode, Name: "南宁市大数据发展局（实施机构）", Role: domain.PartyAgency, DivisionCode: "450100"})
	must[*domain.Party](t)(run(g, cityAOperator, func(s store.Store) (*domain.Party, error) { return app.RegisterParty(s, string(b)) }))
	ob := domain.ObligationInput{Number: obligationNumber(), Kind: "annual_report", PartyCreditCode: agencyCode, Period: "2025", Note: "报告"}
	must[*domain.Obligation](t)(run(g, cityAAuthority, openFn(ob)))
	readsNoParty(t, g, "OpenObligation", ob)
	if facts := factsOf(t, g, agencyCode); facts.Obligations[domain.ObligationYear("annual_report", "2025")] != ob.Number {
		t.Fatalf("the agency's facts: %+v", facts)
	}

	// The transactions that change a party's facts by the record they
	// number: a credit record rescinded, an incident report withdrawn.
	must[*domain.CreditRecord](t)(run(f, cityAAuthority, func(s store.Store) (*domain.CreditRecord, error) {
		return app.RescindCreditRecord(s, credit.Number, "复议撤销")
	}))
	asked = f.m.Last.ProvedFacts
	keysNameNoParty(t, f, "RescindCreditRecord", []string{credit.Number, "复议撤销"}, holderCode)
	if held := heldCredits(t, f, holderCode); len(asked) != 1 || len(held) != 0 {
		t.Fatalf("rescinded: facts asked %v, credits held %v", asked, held)
	}
	h := newFixture(t, "HB")
	incident := domain.ObligationInput{Number: obligationNumber(), Kind: domain.IncidentKind, PartyCreditCode: operatorCode, OccurredOn: "2026-03-01",
		Note: "接口遭未授权访问", DocumentDigest: certs.SM3Hex([]byte("事件报告"))}
	must[*domain.Obligation](t)(run(h, cityAOperator, openFn(incident)))
	readsNoParty(t, h, "OpenObligation", incident)
	must[*domain.Obligation](t)(run(h, cityAAuthority, func(s store.Store) (*domain.Obligation, error) {
		return app.DecideObligation(s, incident.Number, domain.ObligationWithdrawn, "误报")
	}))
	asked = h.m.Last.ProvedFacts
	keysNameNoParty(t, h, "DecideObligation", []string{incident.Number, domain.ObligationWithdrawn, "误报"}, operatorCode)
	if len(asked) != 1 || len(factsOf(t, h, operatorCode).Incidents) != 0 {
		t.Fatalf("withdrawn: facts asked %v", asked)
	}
	z := newFixture(t, "ZW")
	onboarding := domain.ApplicationInput{Number: nextApplicationNumber("NB"), Kind: domain.KindOnboarding, ApplicantCreditCode: holderCode,
		MaterialsDigest: certs.SM3Hex([]byte("进驻申请材料"))}
	must[*domain.Application](t)(run(z, selfActor(holderCode), applyFn(onboarding)))
	asked = z.m.Last.ProvedFacts
	readsNoParty(t, z, "Apply", onboarding)
	if factsOf(t, z, holderCode).Onboarding != onboarding.Number || len(asked) != 1 {
		t.Fatal("the onboarding is not the applicant's facts'")
	}
}

// A proof that does not hold is refused by name, and nothing is written:
// none at all, another party's, a record bent (a suspended party shown
// active), a proof made before the registry changed.
func TestAPartyProofThatDoesNotHoldIsRefused(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	in := applicationInput(holderCode, true)
	body, _ := json.Marshal(in)
	apply := func(s store.Store) error { _, err := app.Apply(s, string(body)); return err }
	entry := domain.TransientParty(holderCode)
	var stale []byte
	must[[]byte](t)(run(f, cityAOperator, func(s store.Store) ([]byte, error) { stale = s.Transient(entry); return stale, nil }))
	must[*domain.Party](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Party, error) {
		return app.ChangePartyStatus(s, holderCode, "suspend", "暂停")
	}))
	var bent domain.PartyProof
	_ = json.Unmarshal(stale, &bent)
	bent.Party = json.RawMessage(strings.Replace(string(bent.Party), `"status":"active"`, `"status":"active" `, 1))
	bentJSON, _ := json.Marshal(bent)
	other := must[[]byte](t)(run(f, cityAOperator, func(s store.Store) ([]byte, error) { return s.Transient(domain.TransientParty(providerCode)), nil }))
	for name, c := range map[string]struct {
		proof []byte
		rule  string
	}{"stale": {stale, domain.RulePartyStale}, "bent": {bentJSON, domain.RulePartyStale}, "another party's": {other, domain.RulePartyStale}, "not JSON": {[]byte("{"), domain.RulePartyProof}} {
		f.m.Transient[entry] = c.proof
		before := f.m.Snapshot()
		f.refused(cityAOperator, c.rule, apply)
		if len(f.m.Snapshot()) != len(before) {
			t.Fatalf("%s: a refused Apply wrote", name)
		}
	}
	delete(f.m.Transient, entry)
	f.m.Prove = nil
	f.refused(cityAOperator, domain.RulePartyProof, apply)
}

// ProveParties answers proofs that hold, for registered and unregistered
// codes, and refuses roots that do not commit to the registry.
func TestProvePartiesAnswersProofsThatHold(t *testing.T) {
	f := newFixture(t, "GX")
	absent := withCheck("91450100MA5L09999")
	codes, _ := json.Marshal([]string{holderCode, absent})
	proofs := must[map[string]domain.PartyProof](t)(run(f, cityAClerk, func(s store.Store) (map[string]domain.PartyProof, error) {
		return app.ProveParties(s, string(codes))
	}))
	for _, c := range []string{holderCode, absent} {
		root := must[domain.PartyRoot](t)(run(f, cityAClerk, func(s store.Store) (domain.PartyRoot, error) { return partyRegistry.root(s, domain.RegistryBucket(c)) }))
		rec, err := proofs[c].CheckIn(domain.PartyBucketBits, c, root)
		if err != nil || (rec == nil) != (c == absent) {
			t.Fatalf("%s: %s, %v", c, rec, err)
		}
	}
	// Registered after a proof of its absence: the next proof shows it
	// (the tree kept between queries is the roots').
	b, _ := json.Marshal(domain.PartyInput{CreditCode: absent, Name: "新登记企业", Role: domain.PartyEnterprise, DivisionCode: "450102"})
	must[*domain.Party](t)(run(f, cityAOperator, func(s store.Store) (*domain.Party, error) { return app.RegisterParty(s, string(b)) }))
	again := must[map[string]domain.PartyProof](t)(run(f, cityAClerk, func(s store.Store) (map[string]domain.PartyProof, error) {
		return app.ProveParties(s, string(codes))
	}))
	if string(again[absent].Party) == "null" {
		t.Fatal("a proof after the registration still shows the party absent")
	}
	many, _ := json.Marshal(make([]string, domain.MaxPartiesNamed+1))
	f.refused(cityAClerk, domain.RulePartyProof, func(s store.Store) error { _, err := app.ProveParties(s, string(many)); return err })
	// A root bent in the state: the registry's proofs are refused.
	must[bool](t)(run(f, cityAAuthority, func(s store.Store) (bool, error) {
		return true, s.Put(partyRegistry.rootKey(s, domain.RegistryBucket(holderCode)), []byte(strings.Repeat("ab", 32)))
	}))
	f.refused(cityAClerk, domain.RulePartyProof, func(s store.Store) error { _, err := app.ProveParties(s, string(codes)); return err })
}

// A caller the transaction refuses is refused by the transaction's own
// rule, though its client sends no proof (a proof query refused it): an
// enterprise filing in another's name.
func TestACallerRefusedIsRefusedBeforeTheProofs(t *testing.T) {
	f := newFixture(t, "ZW")
	f.m.Prove = nil
	onboarding := domain.ApplicationInput{Number: nextApplicationNumber("NB"), Kind: domain.KindOnboarding, ApplicantCreditCode: holderCode,
		MaterialsDigest: certs.SM3Hex([]byte("进驻申请材料"))}
	f.refused(selfActor(otherEntCode), domain.RuleOwnApplication, func(s store.Store) error { _, err := applyFn(onboarding)(s); return err })
	g := newFixture(t, "HB")
	g.m.Prove = nil
	incident := domain.ObligationInput{Number: obligationNumber(), Kind: domain.IncidentKind, PartyCreditCode: operatorCode, OccurredOn: "2026-03-01",
		Note: "接口遭未授权访问", DocumentDigest: certs.SM3Hex([]byte("事件报告"))}
	g.refused(selfActor(otherEntCode), domain.RuleOwnApplication, func(s store.Store) error { _, err := openFn(incident)(s); return err })
}

// An objection upheld against an application in its notice is a decision
// against the applicant: noted in its facts, which the client proves
// after reading the objection and then the application.
func TestAnObjectionUpheldOnAnApplicationIsTheApplicantsDecision(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	n := f.throughVerification(applicationInput(holderCode, true))
	must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.StartPublicNotice(s, n) }))
	in := domain.ObjectionInput{Number: domain.Number{Prefix: domain.PrefixObjection, Division: "450100", Year: 2026, Serial: "AP000001"}.String(),
		TargetKind: "application", Target: n, EvidenceDigest: certs.SM3Hex([]byte("e")), Summary: "使用未授权数据"}
	b, _ := json.Marshal(in)
	must[*domain.Objection](t)(run(f, cityAClerk, func(s store.Store) (*domain.Objection, error) { return app.FileObjection(s, string(b)) })) // through a member
	d, _ := json.Marshal(domain.ObjectionDecision{Outcome: domain.OutcomeAuthorizationChanged, Reasons: "经核实"})
	must[*domain.Objection](t)(run(f, cityAOperator, func(s store.Store) (*domain.Objection, error) { return app.DecideObjection(s, in.Number, string(d)) }))
	asked := f.m.Last.ProvedFacts
	keysNameNoParty(t, f, "DecideObjection", []string{in.Number, string(d)}, holderCode)
	if len(asked) != 1 || asked[0] != holderCode || factsOf(t, f, holderCode).Decisions[in.Number].Kind != domain.TypeObjection {
		t.Fatalf("the upheld objection in the applicant's facts: asked %v", asked)
	}
}

// The products an application re-develops (redevelopedFrom, private) and
// a certificate an order is about are checked by proof against the
// registry's roots, which RegisterCertificate moves: no certificate key
// is in their read sets, and a proof made before the registration is
// stale.
func TestRegisteredProductsAreCheckedByProof(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	src := f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) { c.PreExisting = true })
	entry := domain.TransientParty(src.RegistrationNumber)
	before := must[[]byte](t)(run(f, cityAOperator, func(s store.Store) ([]byte, error) { return s.Transient(entry), nil }))
	number := src.RegistrationNumber // its chain reference names the next transaction
	src = f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) { c.PreExisting, c.RegistrationNumber = true, number })
	if _, err := f.register(src, ""); err != nil {
		t.Fatal(err)
	}
	if named, _ := domain.PartiesNamed("RegisterCertificate", []string{f.signCert(src), ""}, nil); !slices.Equal(f.m.Last.Proved, []string{number}) || !slices.Equal(named, []string{number}) {
		t.Fatalf("RegisterCertificate asked the proofs of %v, its client sends %v; want its number alone", f.m.Last.Proved, named)
	}
	in := applicationInput(otherEntCode, false, src.RegistrationNumber)
	inJSON, _ := json.Marshal(in)
	if named, _ := domain.PartiesNamed("Apply", []string{string(inJSON)}, nil); !slices.Contains(named, src.RegistrationNumber) {
		t.Fatalf("the client of Apply sends no proof of the product it re-develops: %v", named)
	}
	f.m.Transient[entry] = before // its proof of absence, made before the registration
	f.refused(cityAOperator, domain.RulePartyStale, func(s store.Store) error { _, err := applyFn(in)(s); return err })
	delete(f.m.Transient, entry)
	if _, err := f.apply(in); err != nil {
		t.Fatal(err)
	}
	certPrefix, _ := domain.CompositeKey(domain.TypeCertificate)
	for k := range f.m.Last.Reads {
		if strings.HasPrefix(k, certPrefix) {
			t.Errorf("Apply read certificate key %q: its read set links the application to the product", k)
		}
	}
	if !slices.Contains(f.m.Last.Proved, src.RegistrationNumber) {
		t.Errorf("Apply did not check %s by proof: %v", src.RegistrationNumber, f.m.Last.Proved)
	}
	readEveryRoot(t, f, "Apply", domain.TypeProductRoot, domain.ProductBuckets)
	readsNoParty(t, f, "Apply", in) // and asked only the proofs its client sends
	// One that re-develops nothing reads the products' roots all the same.
	plain := applicationInput(otherEntCode, false)
	if _, err := f.apply(plain); err != nil {
		t.Fatal(err)
	}
	readEveryRoot(t, f, "Apply", domain.TypeProductRoot, domain.ProductBuckets)
	// A number registered nowhere is not found, by its proof of absence.
	missing := applicationInput(otherEntCode, false, f.certificate(holderCode, "广西数智科技有限公司", nil).RegistrationNumber)
	_, err := f.apply(missing)
	wantRuleErr(t, err, domain.RuleApplication)

	// An order about a certificate (GD 39): the party's own record, by
	// its entry.
	g := newFixture(t, "GD")
	owned := g.certificate(operatorCode, "广西数据运营有限公司", func(c *domain.Certificate) { c.PreExisting = true })
	if _, err := g.register(owned, ""); err != nil {
		t.Fatal(err)
	}
	theirs := g.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) { c.PreExisting = true })
	if _, err := g.register(theirs, ""); err != nil {
		t.Fatal(err)
	}
	order := domain.ObligationInput{Number: obligationNumber(), Kind: "rectification", PartyCreditCode: operatorCode, Subject: owned.RegistrationNumber,
		Due: "2026-03-16", Note: "责令改正：更正产品说明"}
	if _, err := run(g, cityAAuthority, openFn(order)); err != nil {
		t.Fatal(err)
	}
	for k := range g.m.Last.Reads {
		if strings.HasPrefix(k, certPrefix) {
			t.Errorf("OpenObligation read certificate key %q", k)
		}
	}
	if !slices.Contains(g.m.Last.Proved, owned.RegistrationNumber) {
		t.Errorf("OpenObligation did not check its subject %s by proof: %v", owned.RegistrationNumber, g.m.Last.Proved)
	}
	another := order // another party's product reads as a missing one
	another.Number, another.Subject = obligationNumber(), theirs.RegistrationNumber
	g.refused(cityAAuthority, domain.RuleObligation, func(s store.Store) error { _, err := openFn(another)(s); return err })
}

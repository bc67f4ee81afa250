package contract

import (
	"encoding/json"
	"strings"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// readsNoParty checks the reads of the last transaction: every bucket's
// root, and no party's key, which a block's read set would keep in clear.
func readsNoParty(t *testing.T, f *fixture, what string) {
	t.Helper()
	prefix, _ := domain.CompositeKey(domain.TypeParty)
	for k := range f.m.Last.Reads {
		if strings.HasPrefix(k, prefix) {
			t.Errorf("%s read party key %q", what, k)
		}
	}
	for b := 0; b < domain.PartyBuckets; b++ {
		k, _ := domain.CompositeKey(domain.TypePartyRoot, domain.PartyBucketName(b))
		if f.m.Last.Reads[k] == 0 {
			t.Fatalf("%s did not read bucket %d's root", what, b)
		}
	}
}

// Every private transaction that names parties checks them by proof
// against the registry's roots and reads no party's key.
func TestPrivateTransactionsReadNoPartyByKey(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	must[*domain.Application](t)(f.apply(applicationInput(holderCode, true)))
	readsNoParty(t, f, "Apply")
	f.recordAgreement(domain.AgreementDevelopment, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-02")
	readsNoParty(t, f, "RecordAgreement (development)")
	f.recordAgreement(domain.AgreementCatalog, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-02")
	readsNoParty(t, f, "RecordAgreement (catalog)")
	rec := must[*domain.CredentialRecord](t)(f.issue(cityAOperator, f.sign(f.credential(nil), f.key), f.agreem))
	must[*domain.CredentialRecord](t)(run(f, cityAAuthority, func(s store.Store) (*domain.CredentialRecord, error) {
		return app.ChangeCredentialStatus(s, rec.Number, "revoke", "违规收费，撤销授权")
	}))
	must[*domain.CreditRecord](t)(run(f, cityAAuthority, recordCreditFn(domain.CreditInput{Number: creditNumber(), PartyCreditCode: holderCode, Cause: rec.Number,
		Category: "illegal_fees", FindingDigest: certs.SM3Hex([]byte("处理决定书")), Finding: "利用公共数据违规经营收费"})))
	readsNoParty(t, f, "RecordCreditRecord")

	g := newFixture(t, "GD")
	must[*domain.Evaluation](t)(run(g, cityAAuthority, evaluateFn(domain.EvaluationInput{Number: evaluationNumber(), PartyCreditCode: operatorCode, Period: "2025",
		Outcome: domain.EvaluationUnqualified, Evaluators: []string{"第三方评估机构"}, ReportDigest: certs.SM3Hex([]byte("报告")), Summary: "不合格"})))
	readsNoParty(t, g, "RecordEvaluation")
	b, _ := json.Marshal(domain.PartyInput{CreditCode: agencyCode, Name: "南宁市大数据发展局（实施机构）", Role: domain.PartyAgency, DivisionCode: "450100"})
	must[*domain.Party](t)(run(g, cityAOperator, func(s store.Store) (*domain.Party, error) { return app.RegisterParty(s, string(b)) }))
	must[*domain.Obligation](t)(run(g, cityAAuthority, openFn(domain.ObligationInput{Number: obligationNumber(), Kind: "annual_report", PartyCreditCode: agencyCode, Period: "2025", Note: "报告"})))
	readsNoParty(t, g, "OpenObligation")
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
		root := must[domain.PartyRoot](t)(run(f, cityAClerk, func(s store.Store) (domain.PartyRoot, error) { return readPartyRoot(s, domain.PartyBucket(c)) }))
		rec, err := proofs[c].Check(c, root)
		if err != nil || (rec == nil) != (c == absent) {
			t.Fatalf("%s: %s, %v", c, rec, err)
		}
	}
	many, _ := json.Marshal(make([]string, domain.MaxPartiesNamed+1))
	f.refused(cityAClerk, domain.RulePartyProof, func(s store.Store) error { _, err := app.ProveParties(s, string(many)); return err })
	// A root bent in the state: the registry's proofs are refused.
	must[bool](t)(run(f, cityAAuthority, func(s store.Store) (bool, error) {
		return true, s.Put(partyRootKey(s, domain.PartyBucket(holderCode)), []byte(strings.Repeat("ab", 32)))
	}))
	f.refused(cityAClerk, domain.RulePartyProof, func(s store.Store) error { _, err := app.ProveParties(s, string(codes)); return err })
}

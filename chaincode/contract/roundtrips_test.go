package contract

import (
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// TestRoundTripsPerWrite counts the shim round trips (each a message
// between chaincode and peer) of the two hot write paths, issuance and
// registration, and refuses a key read twice in one transaction: each
// read is a round trip, and the endorsement's cost is mostly these.
func TestRoundTripsPerWrite(t *testing.T) {
	f := newFixture(t, "GX")
	if _, err := f.issue(cityAOperator, f.sign(f.credential(nil), f.key), f.agreem); err != nil {
		t.Fatal(err)
	}
	issuance := f.m.Last
	checkOneReadPerKey(t, "issuance", issuance)

	f.dataProvider()
	n := f.throughVerification(applicationInput(holderCode, true))
	if _, err := run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.StartPublicNotice(s, n) }); err != nil {
		t.Fatal(err)
	}
	f.m.SetClock(time.Date(2026, 3, 12, 2, 0, 0, 0, time.UTC))
	if _, err := f.register(f.certificate(holderCode, "广西数智科技有限公司", nil), n); err != nil {
		t.Fatal(err)
	}
	registration := f.m.Last
	checkOneReadPerKey(t, "registration", registration)

	t.Logf("issuance: %d round trips (%d reads, %d writes); registration: %d (%d reads, %d writes)",
		issuance.Total(), issuance.Gets, issuance.Puts, registration.Total(), registration.Gets, registration.Puts)
	// The budget as measured: a change that adds a round trip to a hot
	// path shows here (docs/PERFORMANCE.md reports the figures).
	// Registration reads the scenario agreement, which must be in force,
	// writes the application twice (whole to the collection, its public
	// view to the state) and adds the certificate's entry to the
	// registry's trees (its bucket's root read and written, the entry kept
	// under the bucket).
	if issuance.Total() > 9 || registration.Total() > 12 {
		t.Errorf("issuance takes %d round trips (budget 9), registration %d (budget 12)", issuance.Total(), registration.Total())
	}
}

func checkOneReadPerKey(t *testing.T, what string, r store.RoundTrips) {
	t.Helper()
	for k, n := range r.Reads {
		if n > 1 {
			t.Errorf("%s reads %q %d times", what, k, n)
		}
	}
}

// A channel bootstrapped before the jurisdiction's record carried the
// profile in force still reads its profile (one round trip more), and
// its next profile change records it there.
func TestProfileInForceReadFromItsOwnRecordUntilRecorded(t *testing.T) {
	m := bootstrapped(t)
	read := func() (string, int) {
		var name string
		if _, err := m.Run(cityAOperator, func(s store.Store) error {
			tx, err := app.begin(s)
			if err != nil {
				return err
			}
			p, err := tx.profile()
			name = p.Name
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return name, m.Last.Gets
	}
	if name, gets := read(); name != "GX" || gets != 1 {
		t.Fatalf("profile %q in %d reads, want GX in 1", name, gets)
	}
	// The record as an earlier version wrote it: the jurisdiction alone.
	if _, err := m.Run(cityAAuthority, func(s store.Store) error {
		j, err := app.jurisdiction(s)
		if err != nil {
			return err
		}
		return put(s, key(s, domain.TypeJurisdiction), j)
	}); err != nil {
		t.Fatal(err)
	}
	if name, gets := read(); name != "GX" || gets != 2 {
		t.Fatalf("old record: profile %q in %d reads, want GX in 2", name, gets)
	}
	if _, err := m.Run(cityAAuthority, func(s store.Store) error {
		_, err := app.AdoptProfile(s, "NS", "改用南沙规则")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if name, gets := read(); name != "NS" || gets != 1 {
		t.Fatalf("after a profile change: %q in %d reads, want NS in 1", name, gets)
	}
}

// TestRecordAgreementRoundTrips: an authorizing agreement reads what its
// grantee's declaration is checked against (the credit file, the
// incidents reported) and its latest evaluation, all of them the
// grantee's facts, from the transient map, checked against one key, the
// facts' root; an agreement that authorizes nothing reads the same facts
// (it is noted among the grantee's grants), so both cost the same.
func TestRecordAgreementRoundTrips(t *testing.T) {
	f := newFixture(t, "GX")
	f.recordAgreement(domain.AgreementCatalog, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-02")
	catalog := f.m.Last
	checkOneReadPerKey(t, "a catalog agreement", catalog)
	dev := f.recordAgreement(domain.AgreementDevelopment, operatorCode, holderCode, "2026-01-01", "2027-12-31", "2026-03-02")
	development := f.m.Last
	t.Logf("catalog agreement with a full declaration: %d round trips (%d reads); development agreement: %d (%d reads)",
		catalog.Total(), catalog.Gets, development.Total(), development.Gets)
	if catalog.Gets != development.Gets {
		t.Errorf("the declaration and evaluation cost %d reads more, want none: both read the facts' root", catalog.Gets-development.Gets)
	}
	if g := factsOf(t, f, holderCode).Grants[dev]; g.Kind != domain.AgreementDevelopment || g.Grantor != operatorCode || g.TermEnd != "2027-12-31" {
		t.Errorf("the development agreement among its grantee's grants: %+v", g)
	}
}

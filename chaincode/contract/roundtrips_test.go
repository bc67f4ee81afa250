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
	if issuance.Total() > 10 || registration.Total() > 8 {
		t.Errorf("issuance takes %d round trips (budget 10), registration %d (budget 8)", issuance.Total(), registration.Total())
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

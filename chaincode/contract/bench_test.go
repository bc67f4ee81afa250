package contract

import (
	"testing"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

func TestBenchFunctionsAnswerOnlyOnABenchNetwork(t *testing.T) {
	m := bootstrapped(t)
	refused(t, m, cityAClerk, RuleBenchOff, func(s store.Store) error { return app.BenchPut(s, "k", "v") })
	refused(t, m, cityAClerk, RuleBenchOff, func(s store.Store) error { _, err := app.BenchLoad(s, 0, 10); return err })

	bench := &App{Channels: app.Channels, Bench: true}
	if _, err := m.Run(cityAClerk, func(s store.Store) error { return bench.BenchPut(s, "k", "v") }); err != nil {
		t.Fatal(err)
	}
	refused(t, m, cityAClerk, "DL-BENCH-COUNT", func(s store.Store) error { _, err := bench.BenchLoad(s, 0, domain.MaxBenchLoad+1); return err })
	refused(t, m, cityAClerk, domain.RuleIssuer, func(s store.Store) error { _, err := bench.BenchLoad(s, 0, 10); return err })
	refused(t, m, cityAClerk, RuleBenchOff, func(s store.Store) error { return app.BenchShape(s, "k", "v", 6, 4) })
	refused(t, m, cityAClerk, "DL-BENCH-COUNT", func(s store.Store) error { return bench.BenchShape(s, "k", "v", 6, 0) })
	before := len(m.Snapshot())
	if _, err := m.Run(cityAClerk, func(s store.Store) error { return bench.BenchShape(s, "shape", "v", 6, 4) }); err != nil {
		t.Fatal(err)
	}
	if got := len(m.Snapshot()) - before; got != 4 {
		t.Fatalf("BenchShape wrote %d keys, want 4", got)
	}
	for _, start := range []int{0, 250} {
		if _, err := m.Run(cityAOperator, func(s store.Store) error { _, err := bench.BenchLoad(s, start, 250); return err }); err != nil {
			t.Fatal(err)
		}
	}
	// The loaded records are distinct, valid numbers in the disclosure list.
	seen, bookmark := map[string]bool{}, ""
	for {
		var page *domain.Page[domain.AuthorizationDisclosure]
		if _, err := m.Run(cityAClerk, func(s store.Store) error {
			var err error
			page, err = app.ListDisclosedAuthorizations(s, domain.MaxPageSize, bookmark)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			if _, err := domain.ParseNumber("number", it.AuthorizationNumber, domain.PrefixAuthorization); err != nil || seen[it.AuthorizationNumber] {
				t.Fatalf("loaded number %s: %v (seen %v)", it.AuthorizationNumber, err, seen[it.AuthorizationNumber])
			}
			seen[it.AuthorizationNumber] = true
		}
		if bookmark = page.Bookmark; bookmark == "" || len(page.Items) == 0 {
			break
		}
	}
	if len(seen) != 500 {
		t.Fatalf("%d records listed, want 500", len(seen))
	}
}

// TestMemoryAnswersTheStoreProbesLikeThePeer runs the store probes on the
// fake; integration.TestStoreProbesOnThePeer runs them on a real peer
// against the same ProbeWant.
func TestMemoryAnswersTheStoreProbesLikeThePeer(t *testing.T) {
	m := bootstrapped(t)
	bench := &App{Channels: app.Channels, Bench: true}
	for _, op := range ProbeOps {
		var res string
		_, err := m.Run(cityAClerk, func(s store.Store) error {
			var err error
			res, err = bench.BenchProbe(s, op)
			return err
		})
		if msg := ProbeCheck(op, res, err); msg != "" {
			t.Error(msg)
		}
	}
}

// TestForgedBookmarksAreRefused: a bookmark that does not continue the
// list would read other record types on the peer (see ProbeBelowPrefix).
func TestForgedBookmarksAreRefused(t *testing.T) {
	m := bootstrapped(t)
	forged, _ := domain.CompositeKey(domain.TypeAgreement)
	refused(t, m, cityAClerk, RuleBookmark, func(s store.Store) error {
		_, err := app.ListDisclosedProducts(s, 10, forged)
		return err
	})
	refused(t, m, cityAClerk, RuleBookmark, func(s store.Store) error {
		_, err := app.ListCredentials(s, "holder", "91450100MA5L0000AW", 10, forged)
		return err
	})
}

package store

import (
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/domain"
)

// A root moved twice in one transaction is refused: Fabric keeps the last
// write of a key, so the second move, made from the committed root, would
// lose the first. The registries' roots are world-state keys, the facts'
// root a key of the collection; any other key may be written twice.
func TestARootMovesOncePerTransaction(t *testing.T) {
	m := NewMemory("nanning", time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	m.Collection = []string{"CityAMSP"}
	actor := domain.Actor{MSP: "CityAMSP", Role: domain.RoleAuthority}
	partyRoot, _ := domain.CompositeKey(domain.TypePartyRoot, "00")
	factsRoot, _ := domain.CompositeKey(domain.TypeFactsRoot)
	other, _ := domain.CompositeKey(domain.TypeFacts, "0", "0abc")
	for _, c := range []struct {
		key  string
		put  func(s Store, k string) error
		want bool
	}{
		{partyRoot, func(s Store, k string) error { return s.Put(k, []byte("r")) }, true},
		{factsRoot, func(s Store, k string) error { return s.PutPrivate(k, []byte("r")) }, true},
		{other, func(s Store, k string) error { return s.PutPrivate(k, []byte("r")) }, false},
	} {
		_, err := m.Run(actor, func(s Store) error {
			if err := c.put(s, c.key); err != nil {
				return err
			}
			return c.put(s, c.key)
		})
		if refused := err != nil && strings.Contains(err.Error(), "written twice"); refused != c.want {
			t.Errorf("%q written twice: %v", c.key, err)
		}
	}
}

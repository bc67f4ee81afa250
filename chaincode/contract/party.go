package contract

import (
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

func partyKey(s store.Store, code string) (string, error) {
	if err := domain.ValidateCreditCode("creditCode", code); err != nil {
		return "", err
	}
	return s.Key(domain.TypeParty, code)
}

func (a *App) loadParty(s store.Store, field, code string) (*domain.Party, error) {
	if err := domain.ValidateCreditCode(field, code); err != nil {
		return nil, err
	}
	return load[domain.Party](s, key(s, domain.TypeParty, code))
}

// RegisterParty records a new party (domain.RegisterParty).
func (a *App) RegisterParty(s store.Store, inputJSON string) (*domain.Party, error) {
	var in domain.PartyInput
	if err := decodeArg("party", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActRegisterParty)
	if err != nil {
		return nil, err
	}
	j, c := t.j, t.c
	k, err := partyKey(s, in.CreditCode)
	if err != nil {
		return nil, err
	}
	existing, err := load[domain.Party](s, k)
	if err != nil {
		return nil, err
	}
	p, err := domain.RegisterParty(j, existing, in, c)
	if err != nil {
		return nil, err
	}
	if err := putParty(s, k, p.CreditCode, nil, p); err != nil {
		return nil, err
	}
	return p, emit(s, c, changed(domain.TypeParty, p.CreditCode, "register", p.Status, p.Version))
}

// ChangePartyStatus suspends, reinstates or exits a party.
func (a *App) ChangePartyStatus(s store.Store, creditCode, action, reason string) (*domain.Party, error) {
	t, err := a.allowed(s, domain.ActChangePartyStatus, action)
	if err != nil {
		return nil, err
	}
	j, c := t.j, t.c
	k, err := partyKey(s, creditCode)
	if err != nil {
		return nil, err
	}
	old, err := s.Get(k)
	if err != nil {
		return nil, err
	}
	cur, err := loadBy[domain.Party](func(string) ([]byte, error) { return old, nil }, k)
	if err != nil {
		return nil, err
	}
	p, err := domain.ChangePartyStatus(j, cur, action, reason, c)
	if err != nil {
		return nil, err
	}
	if err := putParty(s, k, p.CreditCode, old, p.Public()); err != nil {
		return nil, err
	}
	if err := putWords(s, domain.TypeParty, p.CreditCode, reason); err != nil {
		return nil, err
	}
	return p, emit(s, c, changed(domain.TypeParty, p.CreditCode, action, p.Status, p.Version))
}

// GetParty reads a party by credit code.
func (a *App) GetParty(s store.Store, creditCode string) (*domain.Party, error) {
	k, err := partyKey(s, creditCode)
	if err != nil {
		return nil, err
	}
	p, err := load[domain.Party](s, k)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, domain.NotFound(domain.RulePartyExists, "creditCode", "no party %s on channel %s", creditCode, s.Channel())
	}
	return p, a.saidTo(s, domain.TypeParty, p.CreditCode, p)
}

// ListParties pages through the party registry in credit-code order.
func (a *App) ListParties(s store.Store, pageSize int32, bookmark string) (*domain.Page[domain.Party], error) {
	return listRecords[domain.Party](s, domain.TypeParty, nil, pageSize, bookmark)
}

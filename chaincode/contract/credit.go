package contract

import (
	"encoding/json"
	"slices"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

func (a *App) loadCredit(s store.Store, number string) (*domain.CreditRecord, error) {
	if _, err := domain.ParseNumber("number", number, domain.PrefixCredit); err != nil {
		return nil, err
	}
	return load[domain.CreditRecord](s, key(s, domain.TypeCredit, number))
}

// saveCredit writes a credit record, the index of its cause (the record
// in force for that decision) and its party's list of records in force.
func (a *App) saveCredit(t *tx, r *domain.CreditRecord) (*domain.CreditRecord, error) {
	partyKey := key(t.s, domain.TypeCreditParty, r.PartyCreditCode)
	var held []string
	if b, err := t.s.Get(partyKey); err != nil {
		return nil, err
	} else if b != nil {
		if err := json.Unmarshal(b, &held); err != nil {
			return nil, domain.Internal(err)
		}
	}
	b, _ := json.Marshal(r.InForce(held))
	if err := t.s.Put(partyKey, b); err != nil {
		return nil, err
	}
	if err := t.s.Put(key(t.s, domain.TypeCreditCause, r.Cause), []byte(r.Number)); err != nil {
		return nil, err
	}
	if err := put(t.s, key(t.s, domain.TypeCredit, r.Number), r); err != nil {
		return nil, err
	}
	return r, emit(t.s, t.c, changed(domain.TypeCredit, r.Number, r.Last.Action, r.Status, r.Version))
}

// creditCauseKinds are the kinds of record a credit record may follow.
var creditCauseKinds = []string{domain.TypeCredential, domain.TypeCertificate, domain.TypeAgreement, domain.TypeObjection, domain.TypeObligation}

// RecordCreditRecord writes a finding to a party's credit file, naming
// the decision on the ledger that caused it (GX 19, GD 34, HB 36, NS 30).
func (a *App) RecordCreditRecord(s store.Store, inputJSON string) (*domain.CreditRecord, error) {
	var in domain.CreditInput
	if err := decodeArg("credit", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActRecordCredit)
	if err != nil {
		return nil, err
	}
	p, err := t.profile()
	if err != nil {
		return nil, err
	}
	x := domain.RecordCreditInput{In: in}
	if x.Existing, err = a.loadCredit(s, in.Number); err != nil {
		return nil, err
	}
	if x.Party, err = a.loadParty(s, "partyCreditCode", in.PartyCreditCode); err != nil {
		return nil, err
	}
	if x.Cause, err = a.creditCause(s, p, in.Cause); err != nil {
		return nil, err
	}
	if x.Cause != nil {
		if held, err := s.Get(key(s, domain.TypeCreditCause, in.Cause)); err != nil {
			return nil, err
		} else if held != nil {
			if x.Holder, err = a.loadCredit(s, string(held)); err != nil {
				return nil, err
			}
		}
	}
	r, err := domain.RecordCredit(t.j, p, x, t.now, t.c)
	if err != nil {
		return nil, err
	}
	return a.saveCredit(t, r)
}

// creditCause reads the decision a credit record names (nil: no record
// of a kind a credit record follows); an objection comes with the record
// it was against, an obligation with whether its kind is an order.
func (a *App) creditCause(s store.Store, p domain.Profile, number string) (*domain.CreditCause, error) {
	kind, ok := domain.NumberedOf(number)
	if !ok || !slices.Contains(creditCauseKinds, kind.RecordType) {
		return nil, domain.Invalid(domain.RuleCreditCause, "cause", "%q is not the number of a decision a credit record follows (a credential, certificate, agreement, objection or obligation)", truncate(number))
	}
	if _, err := domain.ParseNumber("cause", number, kind.Prefix); err != nil {
		return nil, err
	}
	body, err := s.Get(key(s, kind.RecordType, number))
	if err != nil || body == nil {
		return nil, err
	}
	c := &domain.CreditCause{Kind: kind.RecordType, Body: body}
	switch kind.RecordType {
	case domain.TypeObjection:
		var o domain.Objection
		if json.Unmarshal(body, &o) == nil {
			if target, ok := domain.NumberedOf(o.Target); ok {
				if c.Target, err = s.Get(key(s, target.RecordType, o.Target)); err != nil {
					return nil, err
				}
			}
		}
	case domain.TypeObligation:
		var o domain.Obligation
		if json.Unmarshal(body, &o) == nil {
			k, _ := p.ObligationKind(o.Kind)
			c.Order = k.Order
		}
	}
	return c, nil
}

// RescindCreditRecord sets a credit record aside, with reasons.
func (a *App) RescindCreditRecord(s store.Store, number, reasons string) (*domain.CreditRecord, error) {
	t, err := a.allowed(s, domain.ActRescindCredit)
	if err != nil {
		return nil, err
	}
	r, err := a.loadCredit(s, number)
	if err != nil {
		return nil, err
	}
	next, err := domain.RescindCredit(t.j, r, reasons, t.c)
	if err != nil {
		return nil, err
	}
	return a.saveCredit(t, next)
}

// GetCreditRecord reads a credit record.
func (a *App) GetCreditRecord(s store.Store, number string) (*domain.CreditRecord, error) {
	r, err := a.loadCredit(s, number)
	return found(r, err, domain.NotFound(domain.RuleCredit, "number", "no credit record %s on channel %s", number, s.Channel()))
}

package contract

import (
	"slices"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// loadCredit reads a credit record whole, from the collection (it has no
// public view): only a collection member's identity may (loadWhole).
func (a *App) loadCredit(s store.Store, number string) (*domain.CreditRecord, error) {
	return loadWholeNumbered[domain.CreditRecord](a, s, domain.TypeCredit, number)
}

// saveCredit writes a credit record to the collection, and its party's
// facts with the records in force after it (docs/PRIVACY.md): the block
// keeps their hashes, and the event the record's key hash only.
func (a *App) saveCredit(t *tx, r *domain.CreditRecord, facts *partyFacts) (*domain.CreditRecord, error) {
	facts.Credits = r.InForceAfter(facts.Credits)
	if err := facts.save(t.s); err != nil {
		return nil, err
	}
	ch, err := putNumbered(t.s, domain.TypeCredit, r.Number, r.Version, r.Public(), r, domain.Changed{})
	if err != nil {
		return nil, err
	}
	return r, emit(t.s, t.c, ch)
}

// eligibilityFacts is what the ledger knows of a declaring party (its
// facts), only what its declaration's conditions are checked against
// (its credit records in force, the incidents it reported), and its
// latest evaluation where latest says so (an authorizing agreement).
func eligibilityFacts(facts *partyFacts, d *domain.Declaration, latest bool) domain.GranteeFacts {
	var f domain.GranteeFacts
	credit, incidents := d.ChecksLedger()
	if credit {
		f.CreditRecords = facts.Credits
	}
	if incidents {
		f.Incidents = facts.Incidents
	}
	if latest && facts.Latest != nil {
		f.Evaluation = facts.Latest.Number
	}
	return f
}

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
	var facts *partyFacts
	if x.Party, facts, err = a.partyWithFacts(s, "partyCreditCode", in.PartyCreditCode); err != nil {
		return nil, err
	}
	kind, ok := domain.NumberedOf(in.Cause)
	if !ok || !slices.Contains(domain.CreditCauseKinds, kind.RecordType) {
		return nil, domain.Invalid(domain.RuleCreditCause, "cause", "%q is not the number of a decision a credit record follows (a credential, agreement, objection or obligation; a revoked registration: the objection that revoked it)", truncate(in.Cause))
	}
	if _, err := domain.ParseNumber("cause", in.Cause, kind.Prefix); err != nil {
		return nil, err
	}
	if d, ok := facts.decision(in.Cause); ok { // the party's facts, never the cause's record: its key would name the party
		x.Decision = &d
		if x.Holder, err = a.creditOnDecision(s, facts, d.TxID); err != nil {
			return nil, err
		}
	}
	r, err := domain.RecordCredit(t.j, p, x, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if facts == nil { // the domain refuses a credit record of no party
		return nil, domain.NotFound(domain.RulePartyExists, "partyCreditCode", "no party %s on channel %s", in.PartyCreditCode, s.Channel())
	}
	if facts.CreditDecisions == nil {
		facts.CreditDecisions = map[string]string{}
	}
	facts.CreditDecisions[r.DecisionTxID] = r.Number
	return a.saveCredit(t, r, facts)
}

// creditOnDecision is the credit record written on the decision made by
// transaction txID against the party of facts, if any.
func (a *App) creditOnDecision(s store.Store, facts *partyFacts, txID string) (*domain.CreditRecord, error) {
	n := facts.CreditDecisions[txID]
	if n == "" {
		return nil, nil
	}
	return a.loadCredit(s, n)
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
	facts, err := readFacts(s, "number", next.PartyCreditCode)
	if err != nil {
		return nil, err
	}
	return a.saveCredit(t, next, facts)
}

// GetCreditRecord reads a credit record, for whom may read it whole
// (domain.MayReadPrivate); to anyone else there is none.
func (a *App) GetCreditRecord(s store.Store, number string) (*domain.CreditRecord, error) {
	r, err := loadNumbered[domain.CreditRecord](a, s, domain.TypeCredit, number)
	return found(r, err, domain.NotFound(domain.RuleCredit, "number", "no credit record %s on channel %s", number, s.Channel()))
}

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

// saveCredit writes a credit record and its party's list of records in
// force, all to the collection (docs/PRIVACY.md): the block keeps their
// hashes, and the event the record's key hash only.
func (a *App) saveCredit(t *tx, r *domain.CreditRecord) (*domain.CreditRecord, error) {
	held, err := creditInForce(t.s, r.PartyCreditCode)
	if err != nil {
		return nil, err
	}
	if err := putPrivate(t.s, key(t.s, domain.TypeCreditParty, r.PartyCreditCode), r.InForceAfter(held)); err != nil {
		return nil, err
	}
	ch, err := putNumbered(t.s, domain.TypeCredit, r.Number, r.Version, r.Public(), r, domain.Changed{})
	if err != nil {
		return nil, err
	}
	return r, emit(t.s, t.c, ch)
}

// creditInForce reads the numbers of a party's credit records in force
// (one key: no range scan in a write). It reads the collection: the Fabric
// gateway plans such a transaction's endorsement among its members.
func creditInForce(s store.Store, party string) ([]string, error) {
	held, err := loadPrivate[[]string](s, key(s, domain.TypeCreditParty, party))
	if err != nil || held == nil {
		return nil, err
	}
	return *held, nil
}

// eligibilityFacts reads what the ledger knows of a declaring party, only
// what its declaration's conditions are checked against (its credit
// records in force, the incidents it reported).
func eligibilityFacts(s store.Store, party string, d *domain.Declaration) (domain.GranteeFacts, error) {
	var f domain.GranteeFacts
	credit, incidents := d.ChecksLedger()
	if domain.ValidateCreditCode("party", party) != nil {
		return f, nil
	}
	var err error
	if credit {
		if f.CreditRecords, err = creditInForce(s, party); err != nil {
			return f, err
		}
	}
	if incidents {
		f.Incidents, err = reportedIncidents(s, party)
	}
	return f, err
}

// reportedIncidents reads the incidents a party reported (one key).
func reportedIncidents(s store.Store, party string) ([]domain.ReportedEvent, error) {
	held, err := loadPrivate[[]domain.ReportedEvent](s, key(s, domain.TypeReportedEvents, party))
	if err != nil || held == nil {
		return nil, err
	}
	return *held, nil
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
	if x.Party, err = a.provenParty(s, "partyCreditCode", in.PartyCreditCode); err != nil {
		return nil, err
	}
	if x.Cause, err = a.creditCause(s, in.PartyCreditCode, in.Cause); err != nil {
		return nil, err
	}
	if x.Cause != nil {
		if d, ok := x.Cause.Decision(in.PartyCreditCode); ok {
			if x.Holder, err = a.creditOnDecision(s, d.TxID); err != nil {
				return nil, err
			}
		}
	}
	r, err := domain.RecordCredit(t.j, p, x, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := s.PutPrivate(key(s, domain.TypeCreditDecision, r.DecisionTxID), []byte(r.Number)); err != nil {
		return nil, err
	}
	return a.saveCredit(t, r)
}

// creditOnDecision is the credit record written on the decision made by
// transaction txID (well-formed: OwnedRecord.Decision), if any.
func (a *App) creditOnDecision(s store.Store, txID string) (*domain.CreditRecord, error) {
	return heldBy(s, s.GetPrivate, key(s, domain.TypeCreditDecision, txID), a.loadCredit)
}

// creditCause reads the decision a credit record names (nil: no such
// record), and whether it is the party's own record or an objection
// against one (subjectOf, the rule an order's subject follows).
func (a *App) creditCause(s store.Store, party, number string) (*domain.OwnedRecord, error) {
	kind, ok := domain.NumberedOf(number)
	if !ok || !slices.Contains(domain.CreditCauseKinds, kind.RecordType) {
		return nil, domain.Invalid(domain.RuleCreditCause, "cause", "%q is not the number of a decision a credit record follows (a credential, agreement, objection or obligation; a revoked registration: the objection that revoked it)", truncate(number))
	}
	return a.recordOf(s, "cause", kind, party, number)
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

// GetCreditRecord reads a credit record, for whom may read it whole
// (domain.MayReadPrivate); to anyone else there is none.
func (a *App) GetCreditRecord(s store.Store, number string) (*domain.CreditRecord, error) {
	r, err := loadNumbered[domain.CreditRecord](a, s, domain.TypeCredit, number)
	return found(r, err, domain.NotFound(domain.RuleCredit, "number", "no credit record %s on channel %s", number, s.Channel()))
}

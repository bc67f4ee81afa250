package contract

import (
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// loadEvaluation reads an evaluation whole, from the collection (it has
// no public view): only a collection member's identity may (loadWhole).
func (a *App) loadEvaluation(s store.Store, number string) (*domain.Evaluation, error) {
	return loadWholeNumbered[domain.Evaluation](a, s, domain.TypeEvaluation, number)
}

// RecordEvaluation records the authority's evaluation of a party (GX 18,
// GD 38, HB 30, HB 37, ZW 33); a correction supersedes the one
// standing for the party and year in the same transaction. The
// evaluation, its indexes and its input are private (docs/PRIVACY.md):
// the block keeps their hashes, and the event the key hashes only.
func (a *App) RecordEvaluation(s store.Store, inputJSON string) (*domain.Evaluation, error) {
	var in domain.EvaluationInput
	if err := decodeArg("evaluation", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActRecordEvaluation)
	if err != nil {
		return nil, err
	}
	p, err := t.profile()
	if err != nil {
		return nil, err
	}
	x := domain.RecordEvaluationInput{In: in}
	if x.Existing, err = a.loadEvaluation(s, in.Number); err != nil {
		return nil, err
	}
	var facts *partyFacts
	if x.Party, facts, err = a.partyWithFacts(s, "partyCreditCode", in.PartyCreditCode); err != nil {
		return nil, err
	}
	if facts != nil {
		if n := facts.Evaluations[in.Period]; n != "" {
			if x.Standing, err = a.loadEvaluation(s, n); err != nil {
				return nil, err
			}
		}
	}
	e, superseded, err := domain.RecordEvaluation(t.j, p, x, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if facts == nil { // the domain refuses an evaluation of no party
		return nil, domain.NotFound(domain.RulePartyExists, "partyCreditCode", "no party %s on channel %s", in.PartyCreditCode, s.Channel())
	}
	if facts.Evaluations == nil {
		facts.Evaluations = map[string]string{}
	}
	facts.Evaluations[e.Period] = e.Number
	if e.Later(facts.Latest) {
		facts.Latest = &domain.LatestEvaluation{Number: e.Number, Period: e.Period}
	}
	if err := facts.save(s); err != nil {
		return nil, err
	}
	var changes []domain.Changed // the new evaluation's first: the event is named for it
	for _, r := range []*domain.Evaluation{e, superseded} {
		if r == nil {
			continue
		}
		ch, err := putNumbered(s, domain.TypeEvaluation, r.Number, r.Version, r.Public(), r, domain.Changed{})
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch)
	}
	return e, emit(s, t.c, changes...) // one event per transaction, naming both
}

// GetEvaluation reads an evaluation, for whom may read it whole
// (domain.MayReadPrivate); to anyone else there is none.
func (a *App) GetEvaluation(s store.Store, number string) (*domain.Evaluation, error) {
	e, err := loadNumbered[domain.Evaluation](a, s, domain.TypeEvaluation, number)
	return found(e, err, domain.NotFound(domain.RuleEvaluation, "number", "no evaluation %s on channel %s", number, s.Channel()))
}

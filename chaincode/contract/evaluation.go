package contract

import (
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

func (a *App) loadEvaluation(s store.Store, number string) (*domain.Evaluation, error) {
	if _, err := domain.ParseNumber("number", number, domain.PrefixEvaluation); err != nil {
		return nil, err
	}
	return load[domain.Evaluation](s, key(s, domain.TypeEvaluation, number))
}

// RecordEvaluation records the authority's evaluation of a party (GX 18,
// GD 38, HB 30, HB 37, ZW 33); a correction supersedes the one
// standing for the party and year in the same transaction.
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
	if x.Party, err = a.loadParty(s, "partyCreditCode", in.PartyCreditCode); err != nil {
		return nil, err
	}
	if x.Party != nil && domain.PeriodPattern.MatchString(in.Period) { // a key of checked parts only
		if x.Standing, err = heldBy(s, s.Get, key(s, domain.TypeEvaluationPeriod, in.PartyCreditCode, in.Period), a.loadEvaluation); err != nil {
			return nil, err
		}
	}
	e, superseded, err := domain.RecordEvaluation(t.j, p, x, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := s.Put(key(s, domain.TypeEvaluationPeriod, e.PartyCreditCode, e.Period), []byte(e.Number)); err != nil {
		return nil, err
	}
	latestKey := key(s, domain.TypeEvaluationLatest, e.PartyCreditCode)
	latest, err := load[domain.LatestEvaluation](s, latestKey)
	if err != nil {
		return nil, err
	}
	if e.Later(latest) {
		if err := put(s, latestKey, domain.LatestEvaluation{Number: e.Number, Period: e.Period}); err != nil {
			return nil, err
		}
	}
	var changes []domain.Changed // the new evaluation's first: the event is named for it
	for _, r := range []*domain.Evaluation{e, superseded} {
		if r == nil {
			continue
		}
		if err := put(s, key(s, domain.TypeEvaluation, r.Number), r); err != nil {
			return nil, err
		}
		changes = append(changes, changed(domain.TypeEvaluation, r.Number, r.Last.Action, r.Status, r.Version))
	}
	return e, emit(s, t.c, changes...) // one event per transaction, naming both
}

// latestEvaluation is the number of a party's latest evaluation standing
// ("" none): an authorizing agreement records it.
func latestEvaluation(s store.Store, party string) (string, error) {
	if domain.ValidateCreditCode("party", party) != nil {
		return "", nil
	}
	held, err := load[domain.LatestEvaluation](s, key(s, domain.TypeEvaluationLatest, party))
	if err != nil || held == nil {
		return "", err
	}
	return held.Number, nil
}

// GetEvaluation reads an evaluation.
func (a *App) GetEvaluation(s store.Store, number string) (*domain.Evaluation, error) {
	e, err := a.loadEvaluation(s, number)
	return found(e, err, domain.NotFound(domain.RuleEvaluation, "number", "no evaluation %s on channel %s", number, s.Channel()))
}

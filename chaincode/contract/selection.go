package contract

import (
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

func (a *App) loadSelection(s store.Store, field, number string) (*domain.Selection, error) {
	if _, err := domain.ParseNumber(field, number, domain.PrefixSelection); err != nil {
		return nil, err
	}
	return load[domain.Selection](s, key(s, domain.TypeSelection, number))
}

func (a *App) saveSelection(t *tx, sel *domain.Selection) (*domain.Selection, error) {
	if err := put(t.s, key(t.s, domain.TypeSelection, sel.Number), sel); err != nil {
		return nil, err
	}
	return sel, emit(t.s, t.c, changed(domain.TypeSelection, sel.Number, sel.Last.Action, sel.Status, sel.Version))
}

// OpenSelection announces an operator selection (GD 20(1)).
func (a *App) OpenSelection(s store.Store, inputJSON string) (*domain.Selection, error) {
	var in domain.SelectionInput
	if err := decodeArg("selection", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActOpenSelection)
	if err != nil {
		return nil, err
	}
	existing, err := a.loadSelection(s, "number", in.Number)
	if err != nil {
		return nil, err
	}
	agency, err := a.loadParty(s, "agencyCreditCode", in.AgencyCreditCode)
	if err != nil {
		return nil, err
	}
	p, err := t.profile()
	if err != nil {
		return nil, err
	}
	var plan *domain.Plan
	if in.Plan != "" {
		if plan, err = a.loadPlan(s, "plan", in.Plan); err != nil {
			return nil, err
		}
	}
	sel, err := domain.OpenSelection(t.j, p, existing, agency, plan, in, t.now, t.c)
	if err != nil {
		return nil, err
	}
	return a.saveSelection(t, sel)
}

// NominateCandidates publishes the candidates and starts their notice
// (GD 20(3)(4)).
func (a *App) NominateCandidates(s store.Store, number, nominationJSON string) (*domain.Selection, error) {
	var in domain.Nomination
	if err := decodeArg("nomination", nominationJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActNominateCandidates)
	if err != nil {
		return nil, err
	}
	p, err := t.profile()
	if err != nil {
		return nil, err
	}
	sel, err := a.loadSelection(s, "number", number)
	if err != nil {
		return nil, err
	}
	candidates := map[string]*domain.Party{}
	if len(in.Candidates) <= domain.MaxCandidates {
		for _, code := range in.Candidates {
			if domain.ValidateCreditCode("candidates", code) == nil {
				if candidates[code], err = load[domain.Party](s, key(s, domain.TypeParty, code)); err != nil {
					return nil, err
				}
			}
		}
	}
	next, err := domain.NominateCandidates(t.j, p, sel, in, candidates, t.now, t.c)
	if err != nil {
		return nil, err
	}
	return a.saveSelection(t, next)
}

// SelectOperator records the operator selected after the notice.
func (a *App) SelectOperator(s store.Store, number, operator, reason string) (*domain.Selection, error) {
	t, err := a.allowed(s, domain.ActSelectOperator)
	if err != nil {
		return nil, err
	}
	sel, err := a.loadSelection(s, "number", number)
	if err != nil {
		return nil, err
	}
	next, err := domain.SelectOperator(t.j, sel, operator, reason, t.now, t.c)
	if err != nil {
		return nil, err
	}
	return a.saveSelection(t, next)
}

// GetSelection reads a selection (public: the call and the notice are).
func (a *App) GetSelection(s store.Store, number string) (*domain.Selection, error) {
	sel, err := a.loadSelection(s, "number", number)
	return found(sel, err, domain.NotFound(domain.RuleSelection, "number", "no selection %s on channel %s", number, s.Channel()))
}

// agreedSelection reads the selection an operation agreement names and
// the agreement already signed on it ("" none).
func (a *App) agreedSelection(s store.Store, number string) (*domain.Selection, string, error) {
	if number == "" {
		return nil, "", nil
	}
	sel, err := a.loadSelection(s, "selection", number)
	if err != nil || sel == nil {
		return nil, "", err
	}
	taken, err := s.Get(key(s, domain.TypeSelectionAgreement, number))
	return sel, string(taken), err
}

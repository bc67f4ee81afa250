package contract

import (
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

func (a *App) loadPlan(s store.Store, field, number string) (*domain.Plan, error) {
	if _, err := domain.ParseNumber(field, number, domain.PrefixPlan); err != nil {
		return nil, err
	}
	return load[domain.Plan](s, key(s, domain.TypePlan, number))
}

// savePlans writes plans, the first named by the event, all in it (one
// event per transaction).
func (a *App) savePlans(t *tx, plans ...*domain.Plan) (*domain.Plan, error) {
	var changes []domain.Changed
	for _, p := range plans {
		if p == nil {
			continue
		}
		if err := put(t.s, key(t.s, domain.TypePlan, p.Number), p); err != nil {
			return nil, err
		}
		changes = append(changes, changed(domain.TypePlan, p.Number, p.Last.Action, p.Status, p.Version))
	}
	return plans[0], emit(t.s, t.c, changes...)
}

// RecordPlan records an approved implementation plan (GX 7(2), ZW 12,
// GD 19, HB 8), superseding the plan it changes in the same transaction.
func (a *App) RecordPlan(s store.Store, inputJSON string) (*domain.Plan, error) {
	var in domain.PlanInput
	if err := decodeArg("plan", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActRecordPlan)
	if err != nil {
		return nil, err
	}
	p, err := t.profile()
	if err != nil {
		return nil, err
	}
	taken, err := a.loadPlan(s, "number", in.Number)
	if err != nil {
		return nil, err
	}
	var old *domain.Plan
	if in.Supersedes != "" {
		if old, err = a.loadPlan(s, "supersedes", in.Supersedes); err != nil {
			return nil, err
		}
	}
	from := t.now // the due date counts from the approval: its year's calendar
	if on, err := domain.ParseDate("approvedOn", in.ApprovedOn); err == nil && on.Before(from) {
		from = on
	}
	cals, err := calendars(s, from)
	if err != nil {
		return nil, err
	}
	plan, superseded, err := domain.RecordPlan(t.j, p, cals, taken, old, in, t.now, t.c)
	if err != nil {
		return nil, err
	}
	return a.savePlans(t, plan, superseded)
}

// FilePlan records the authority's upward filing of a plan (GD 19 ¶2,
// HB 37 ¶2).
func (a *App) FilePlan(s store.Store, number, filingJSON string) (*domain.Plan, error) {
	var in domain.PlanFiling
	if err := decodeArg("filing", filingJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActFilePlan)
	if err != nil {
		return nil, err
	}
	plan, err := a.loadPlan(s, "number", number)
	if err != nil {
		return nil, err
	}
	next, err := domain.FilePlan(t.j, plan, in, t.now, t.c)
	if err != nil {
		return nil, err
	}
	return a.savePlans(t, next)
}

// DecidePlanFiling records the supervisor's decision on a plan's filing:
// accepted (备案) or returned with reasons.
func (a *App) DecidePlanFiling(s store.Store, number, decision, reasons string) (*domain.Plan, error) {
	t, err := a.allowed(s, domain.ActDecidePlanFiling)
	if err != nil {
		return nil, err
	}
	plan, err := a.loadPlan(s, "number", number)
	if err != nil {
		return nil, err
	}
	next, err := domain.DecidePlanFiling(t.j, plan, decision, reasons, t.c)
	if err != nil {
		return nil, err
	}
	return a.savePlans(t, next)
}

// GetPlan reads a plan (the channel's members; not an enterprise).
func (a *App) GetPlan(s store.Store, number string) (*domain.Plan, error) {
	plan, err := a.loadPlan(s, "number", number)
	return found(plan, err, domain.NotFound(domain.RulePlan, "number", "no plan %s on channel %s", number, s.Channel()))
}

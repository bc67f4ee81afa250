package domain

import (
	"time"
)

// Implementation plans (实施方案, GX 7(1)(2), ZW 12, GD 17–19, HB 8–11):
// the data authority drafts the plan, the government at its level approves
// it (三重一大, 审议通过后实施), and the authority records it here with the
// approval. A city's or county's plan, and every change of it, is filed a
// level up (报上级备案): GD 19 ¶2 within 10, HB 37 ¶2 within 5 working
// days of its approval. The channel's authority records that it filed; the
// authority a level up (the channel's supervisor) takes it on file or
// returns it with reasons. A plan is changed only by approving it again
// (GD 19 ¶1, GX 7(2), HB 11): the new plan supersedes the old one, which
// stays on the ledger with its history.

// PrefixPlan numbers implementation plans (方案).
const PrefixPlan = "FA"

// Plan rule codes (the filing deadline cites the profile's article).
const (
	RulePlan       = "DL-PLAN"        // a plan that does not hold together, or a step out of turn
	RulePlanUnique = "DL-PLAN-UNIQUE" // a number taken, or a plan superseded twice
	RulePlanFiling = "DL-PLAN-FILING" // the upward filing: owed where the profile sets its deadline, to the channel's supervisor
)

// Plan statuses: approved (recorded; its upward filing not yet made) →
// filed (with the authority a level up) → accepted, or returned (filed
// again); superseded by a re-approved change, from any of them.
const (
	PlanApproved   = "approved"
	PlanFiled      = "filed"
	PlanAccepted   = ObligationAccepted // the decisions on a filing are one vocabulary (decideFiling)
	PlanReturned   = ObligationReturned
	PlanSuperseded = "superseded"
)

// PlanInput records an approved implementation plan.
type PlanInput struct {
	Number         string `json:"number"`
	Title          string `json:"title"`
	Scope          string `json:"scope"`          // the data resources and scenarios it authorizes (GD 18, HB 9)
	DocumentDigest string `json:"documentDigest"` // SM3 of the plan as approved
	ApprovedOn     string `json:"approvedOn"`     // the day the government at its level approved it (审议通过)
	ApprovedBy     string `json:"approvedBy"`     // that government, or the national department (GX 7(2): 国家行业主管部门)
	// Supersedes is the plan this one changes (确需变更的，重新报请审议): it
	// is superseded in the same transaction.
	Supersedes string `json:"supersedes,omitempty"`
}

// PlanFiling is one upward filing of a plan.
type PlanFiling struct {
	DocumentDigest string `json:"documentDigest"` // SM3 of the filing letter (书面报送)
	Note           string `json:"note,omitempty"`
}

// Plan is the ledger record of an implementation plan.
type Plan struct {
	PlanInput
	Status     string `json:"status"`
	RecordedOn string `json:"recordedOn"`
	// FilingDue is the last day of its upward filing, on the calendar
	// (empty where none is owed: no deadline in the profile, or no
	// authority a level up on the channel); FilingRule its article.
	FilingDue  string `json:"filingDue,omitempty"`
	FilingRule string `json:"filingRule,omitempty"`
	// FilingDueNote says how FilingDue was counted where the calendar of
	// the year it reaches is not loaded (the latest it could be).
	FilingDueNote string `json:"filingDueNote,omitempty"`
	FiledOn       string `json:"filedOn,omitempty"` // the latest filing
	FiledLate     bool   `json:"filedLate,omitempty"`
	FilingDigest  string `json:"filingDigest,omitempty"`
	SupersededBy  string `json:"supersededBy,omitempty"`
	Steps         []Step `json:"steps"`
	Last          Change `json:"last"`
	Version       int    `json:"version"`
}

// InForce tells whether the plan governs: recorded and not superseded.
func (p *Plan) InForce() bool { return p != nil && p.Status != PlanSuperseded }

// Awaiting tells whether the plan awaits its upward filing (the index
// lists it overdue past FilingDue).
func (p *Plan) Awaiting() bool {
	return p.Status == PlanApproved || p.Status == PlanReturned
}

// planFilingRule is the article of the upward filing's deadline.
func (p Profile) planFilingRule() string { return p.Cite("planFiling", RulePlanFiling) }

// RecordPlan records an approved plan (the channel's authority, by the
// access table). Where the profile sets a filing deadline and the channel
// has an authority a level up, the filing is due that many working days
// after the approval, on the calendar (refused in a year without one).
// old is the plan it supersedes (loaded from Supersedes), taken is a plan
// already recorded under its number.
func RecordPlan(j *Jurisdiction, p Profile, cals Calendars, taken, old *Plan, in PlanInput, now time.Time, c Change) (*Plan, *Plan, error) {
	if err := j.numberedNow(in.Number, PrefixPlan, now); err != nil {
		return nil, nil, err
	}
	if taken != nil {
		return nil, nil, Conflict(RulePlanUnique, "number", "plan number %s is taken: number it afresh", in.Number)
	}
	if err := ValidateText("title", in.Title, MaxName); err != nil {
		return nil, nil, err
	}
	if err := ValidateText("scope", in.Scope, MaxReason); err != nil {
		return nil, nil, err
	}
	if err := ValidateText("approvedBy", in.ApprovedBy, MaxName); err != nil {
		return nil, nil, err
	}
	if !digestRE.MatchString(in.DocumentDigest) {
		return nil, nil, Invalid(RuleDigest, "documentDigest", "must be the SM3 digest of the plan as approved: 64 lowercase hex characters")
	}
	approved, err := ParseDate("approvedOn", in.ApprovedOn)
	if err != nil {
		return nil, nil, err
	}
	today := DateOf(now)
	if approved.After(today) {
		return nil, nil, Invalid(RulePlan, "approvedOn", "%s is after today %s: a plan is recorded once approved (审议通过后实施)", in.ApprovedOn, today.Format(time.DateOnly))
	}
	if in.Supersedes != "" {
		if old == nil {
			return nil, nil, NotFound(RulePlan, "supersedes", "no plan %s on channel %s", truncate(in.Supersedes, 40), j.Channel)
		}
		if !old.InForce() {
			return nil, nil, Conflict(RulePlanUnique, "supersedes", "plan %s was superseded by %s: a change supersedes the plan in force", old.Number, old.SupersededBy)
		}
		if in.ApprovedOn < old.ApprovedOn {
			return nil, nil, Invalid(RulePlan, "approvedOn", "%s is before %s, when plan %s it changes was approved", in.ApprovedOn, old.ApprovedOn, old.Number)
		}
	}
	c.Action = "record"
	plan := &Plan{PlanInput: in, Status: PlanApproved, RecordedOn: today.Format(time.DateOnly),
		Steps: []Step{stepAt(c, "record", DecisionDone, "")}, Last: c, Version: 1}
	if n := p.PlanFilingWorkingDays; n > 0 && j.SupervisorMSP != "" {
		due, note, err := cals.WorkingDaysOrLatest(approved, n) // a plan approved before the calendars on the ledger is still recorded
		if err != nil {
			return nil, nil, err
		}
		plan.FilingDue, plan.FilingRule, plan.FilingDueNote = due.Format(time.DateOnly), p.planFilingRule(), note
	}
	if old == nil {
		return plan, nil, nil
	}
	gone := old.next(c, PlanSuperseded, stepAt(c, "supersede", DecisionDone, "superseded by "+in.Number))
	gone.SupersededBy = in.Number
	return plan, gone, nil
}

// next is the plan after a step (its status, its version, the change that
// made it).
func (p *Plan) next(c Change, status string, st Step) *Plan {
	n := *p
	n.Steps = append(append([]Step(nil), p.Steps...), st)
	n.Status, n.Version = status, p.Version+1
	c.Action = st.Step
	n.Last = c
	return &n
}

// FilePlan records the authority's upward filing of a plan in force, to
// the channel's supervisor; after its due date it is recorded late.
func FilePlan(j *Jurisdiction, plan *Plan, in PlanFiling, now time.Time, c Change) (*Plan, error) {
	if plan == nil {
		return nil, NotFound(RulePlan, "number", "no such plan on channel %s", j.Channel)
	}
	if j.SupervisorMSP == "" {
		return nil, Conflict(RulePlanFiling, "number", "channel %s records no authority a level up to file plan %s with", j.Channel, plan.Number)
	}
	if !plan.Awaiting() {
		return nil, Conflict(RuleStep, "status", "plan %s is %s: it is filed when approved, or again when returned", plan.Number, plan.Status)
	}
	if !digestRE.MatchString(in.DocumentDigest) {
		return nil, Invalid(RuleDigest, "documentDigest", "must be the SM3 digest of the filing (书面报送): 64 lowercase hex characters")
	}
	if in.Note != "" {
		if err := ValidateText("note", in.Note, MaxReason); err != nil {
			return nil, err
		}
	}
	today := DateOf(now).Format(time.DateOnly)
	st := stepAt(c, "file", DecisionDone, in.Note)
	st.Late = plan.FilingDue != "" && today > plan.FilingDue
	n := plan.next(c, PlanFiled, st)
	n.FiledOn, n.FiledLate, n.FilingDigest = today, st.Late, in.DocumentDigest
	return n, nil
}

// DecidePlanFiling records the supervisor's decision on a filing (the
// access table lets only the channel's supervisor decide): accepted (备案),
// or returned with what to correct.
func DecidePlanFiling(j *Jurisdiction, plan *Plan, decision, reasons string, c Change) (*Plan, error) {
	if plan == nil {
		return nil, NotFound(RulePlan, "number", "no such plan on channel %s", j.Channel)
	}
	if plan.Status != PlanFiled {
		return nil, Conflict(RuleStep, "status", "plan %s is %s: a decision needs a filing", plan.Number, plan.Status)
	}
	if err := decideFiling(RulePlan, decision, reasons, "accepted or returned"); err != nil {
		return nil, err
	}
	return plan.next(c, decision, stepAt(c, "decide", decision, reasons)), nil
}

package domain

import (
	"fmt"
	"strconv"
	"time"
)

// Evaluations (评估评价): the authority's evaluation of a party for a year —
// an operator (GX 18, GD 38 ¶2, HB 37 ¶4, ZW 33), a product developer
// (HB 37 ¶4), a data provider's supply (GD 38 ¶1, HB 30) — with who evaluated
// (departments, a third party: HB 37), the outcome (合格 or 不合格, the
// ground GD 39 names) and the SM3 digest of the report. The result is the
// basis of re-authorization (GX 18, GD 38, HB 37): an agreement that
// authorizes a party records the party's latest evaluation when it was
// recorded. One evaluation stands per party and year; a correction
// supersedes it, and both stay.

// PrefixEvaluation numbers evaluations (评价).
const PrefixEvaluation = "PJ"

// Evaluation rule codes.
const (
	RuleEvaluation       = "DL-EVALUATION"        // an evaluation the profile does not provide for, or that does not hold together
	RuleEvaluationUnique = "DL-EVALUATION-UNIQUE" // a number taken, or a second evaluation of a party and year not superseding the first
)

// Evaluation outcomes.
const (
	EvaluationQualified   = "qualified"   // 合格
	EvaluationUnqualified = "unqualified" // 不合格 (GD 39: a ground to end the agreement)
)

// Evaluation statuses.
const (
	EvaluationStanding   = "standing"
	EvaluationSuperseded = "superseded"
)

// MaxEvaluators bounds the departments and third parties named.
const MaxEvaluators = 10

// EvaluationRule is whom a profile's article has the authority evaluate.
type EvaluationRule struct {
	Of   []string `json:"of"` // party roles
	Cite string   `json:"cite"`
}

// validateEvaluations checks a profile's rules: each role evaluated by one.
func validateEvaluations(rules []EvaluationRule) error {
	if len(rules) > 10 {
		return Invalid(RuleProfile, "evaluations", "at most 10 evaluation rules")
	}
	seen := map[string]bool{}
	for i, r := range rules {
		field := fmt.Sprintf("evaluations[%d]", i)
		if err := r.validate(field); err != nil {
			return err
		}
		for _, role := range r.Of {
			if seen[role] {
				return Invalid(RuleProfile, field+".of", "%s is evaluated by two rules", role)
			}
			seen[role] = true
		}
	}
	return nil
}

func (r EvaluationRule) validate(field string) error {
	if len(r.Of) == 0 {
		return Invalid(RuleProfile, field+".of", "name the party roles the article has evaluated")
	}
	for i, role := range r.Of {
		if _, ok := PartyRoles[role]; !ok {
			return Invalid(RuleProfile, fmt.Sprintf("%s.of[%d]", field, i), "%q is not a party role", truncate(role, 32))
		}
	}
	if !citationValue.MatchString(r.Cite) {
		return Invalid(RuleProfile, field+".cite", "%q is not an article reference like GD-38", truncate(r.Cite, 32))
	}
	return nil
}

// evaluationOf is the profile's rule that evaluates a party of role.
func (p Profile) evaluationOf(role string) (EvaluationRule, bool) {
	for _, r := range p.Evaluations {
		if contains(r.Of, role) {
			return r, true
		}
	}
	return EvaluationRule{}, false
}

// EvaluationInput records an evaluation.
type EvaluationInput struct {
	Number          string `json:"number"`
	PartyCreditCode string `json:"partyCreditCode"`
	// Period is the year evaluated (YYYY).
	Period  string `json:"period"`
	Outcome string `json:"outcome"`
	// Evaluators are the departments that evaluated, and the third party
	// entrusted (HB 37).
	Evaluators   []string `json:"evaluators"`
	ReportDigest string   `json:"reportDigest"`
	Summary      string   `json:"summary,omitempty"`
	// Supersedes is the evaluation of the same party and year this one
	// corrects.
	Supersedes string `json:"supersedes,omitempty"`
}

// Evaluation is the ledger record of one evaluation.
type Evaluation struct {
	EvaluationInput
	Cite         string `json:"cite"`
	Status       string `json:"status"`
	RecordedOn   string `json:"recordedOn"`
	SupersededBy string `json:"supersededBy,omitempty"`
	Last         Change `json:"last"`
	Version      int    `json:"version"`
}

// RecordEvaluationInput is what an evaluation is recorded on.
type RecordEvaluationInput struct {
	In       EvaluationInput
	Existing *Evaluation
	Party    *Party
	// Standing is the evaluation standing for the party and year, if any.
	Standing *Evaluation
}

// RecordEvaluation records the authority's evaluation of a party (the
// authority, by the access table) under the profile's article for its
// role; a correction names the evaluation it supersedes, which is
// returned superseded.
func RecordEvaluation(j *Jurisdiction, p Profile, x RecordEvaluationInput, now time.Time, c Change) (e, superseded *Evaluation, err error) {
	in := x.In
	if err := j.numberedNow(in.Number, PrefixEvaluation, now); err != nil {
		return nil, nil, err
	}
	if x.Existing != nil {
		return nil, nil, Conflict(RuleEvaluationUnique, "number", "evaluation number %s is taken: number it afresh", in.Number)
	}
	if x.Party == nil {
		return nil, nil, NotFound(RulePartyExists, "partyCreditCode", "%s is not a registered party on channel %s", in.PartyCreditCode, j.Channel)
	}
	rule, ok := p.evaluationOf(x.Party.Role)
	if !ok {
		return nil, nil, Invalid(RuleEvaluation, "partyCreditCode", "the %s profile has no evaluation of a %s (%s is one)", p.Name, x.Party.Role, in.PartyCreditCode)
	}
	today := DateOf(now)
	if year, err := strconv.Atoi(in.Period); err != nil || !PeriodPattern.MatchString(in.Period) || year < 2000 || year > today.Year() {
		return nil, nil, Invalid(RuleEvaluation, "period", "the year evaluated, up to %d (YYYY), got %q", today.Year(), truncate(in.Period, 8))
	}
	if in.Outcome != EvaluationQualified && in.Outcome != EvaluationUnqualified {
		return nil, nil, Invalid(RuleEvaluation, "outcome", "%q is not qualified or unqualified", truncate(in.Outcome, 32))
	}
	if len(in.Evaluators) == 0 || len(in.Evaluators) > MaxEvaluators {
		return nil, nil, Invalid(RuleEvaluation, "evaluators", "name 1 to %d departments or third parties that evaluated", MaxEvaluators)
	}
	for i, who := range in.Evaluators {
		if err := ValidateText(fmt.Sprintf("evaluators[%d]", i), who, MaxName); err != nil {
			return nil, nil, err
		}
	}
	if !digestRE.MatchString(in.ReportDigest) {
		return nil, nil, Invalid(RuleDigest, "reportDigest", "must be the SM3 digest of the evaluation report: 64 lowercase hex characters")
	}
	if in.Summary != "" {
		if err := ValidateText("summary", in.Summary, MaxReason); err != nil {
			return nil, nil, err
		}
	}
	s := x.Standing
	switch {
	case s != nil && in.Supersedes == "":
		return nil, nil, Conflict(RuleEvaluationUnique, "period", "%s's evaluation for %s is %s: a correction names it (supersedes)", in.PartyCreditCode, in.Period, s.Number)
	case s == nil && in.Supersedes != "":
		return nil, nil, NotFound(RuleEvaluation, "supersedes", "no evaluation of %s for %s stands to be superseded", in.PartyCreditCode, in.Period)
	case s != nil && s.Number != in.Supersedes:
		return nil, nil, Invalid(RuleEvaluation, "supersedes", "%s's evaluation for %s is %s, not %s", in.PartyCreditCode, in.Period, s.Number, truncate(in.Supersedes, 40))
	}
	c.Action = "record"
	e = &Evaluation{EvaluationInput: in, Cite: rule.Cite, Status: EvaluationStanding, RecordedOn: today.Format(time.DateOnly), Last: c, Version: 1}
	if s != nil {
		old := *s
		old.Status, old.SupersededBy, old.Version = EvaluationSuperseded, in.Number, s.Version+1
		c.Action = "supersede"
		old.Last = c
		superseded = &old
	}
	return e, superseded, nil
}

// LatestEvaluation is a party's latest evaluation in its facts: the
// number and year of the evaluation standing for its latest year.
type LatestEvaluation struct {
	Number string `json:"number"`
	Period string `json:"period"`
}

// Later tells whether e becomes the party's latest beside held (nil if
// none): a later year, or the same year corrected.
func (e *Evaluation) Later(held *LatestEvaluation) bool {
	return held == nil || e.Period >= held.Period
}

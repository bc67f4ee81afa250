package domain

import (
	"fmt"
	"time"
)

// Operator selection (运营机构选定, GD 20; GX 7(3), HB 13, NS 12–13): the
// implementing agency announces a call (征集公告) by a fair competitive
// method, reviews the applicants, publishes the candidates (公示, GD 20(4):
// at least the profile's operatorCandidateNoticeDays, 5 in GD) and, after
// the notice, selects the operator it then signs the operation agreement
// with (GD 20(5)). Under a profile that sets the notice, an operation
// agreement names the selection that chose its operator.

// PrefixSelection numbers selections (征集).
const PrefixSelection = "ZJ"

// Selection rule codes (the notice's own rule cites the profile's article).
const (
	RuleSelection       = "DL-SELECTION"        // a selection that does not hold together, or an agreement naming one that did not select its grantee
	RuleSelectionUnique = "DL-SELECTION-UNIQUE" // a number taken, or a second operation agreement on one selection
)

// Selection methods (GD 20: 公开招标、邀请招标、谈判; HB 13: 公开遴选、竞争性磋商).
var SelectionMethods = map[string]string{
	"public_tender":           "公开招标",
	"invited_tender":          "邀请招标",
	"negotiation":             "谈判",
	"public_selection":        "公开遴选",
	"competitive_negotiation": "竞争性磋商",
}

// Selection statuses: announced → in_notice (candidates published) →
// selected.
const (
	SelectionAnnounced = "announced"
	SelectionInNotice  = "in_notice"
	SelectionSelected  = "selected"
)

// TypeSelectionAgreement indexes the operation agreement signed on a
// selection (its value: the agreement's number): one per selection.
const TypeSelectionAgreement = "selection~agreement"

// MaxCandidates bounds the candidates published.
const MaxCandidates = 20

// SelectionInput opens a selection.
type SelectionInput struct {
	Number string `json:"number"`
	// AgencyCreditCode is the implementing agency that runs it and signs
	// the operation agreement.
	AgencyCreditCode   string `json:"agencyCreditCode"`
	Method             string `json:"method"`
	Scope              string `json:"scope"`
	AnnouncementDigest string `json:"announcementDigest"` // SM3 of the 征集公告 with its conditions
	// Plan is the approved implementation plan the selection follows
	// (GX 7(3): 根据审定同意后的实施方案选择运营机构), required where the
	// profile says so: a plan in force on the channel.
	Plan string `json:"plan,omitempty"`
}

// Nomination publishes the candidates after the review (资格审查, 综合评审).
type Nomination struct {
	Candidates   []string `json:"candidates"` // credit codes of registered operators
	ReviewDigest string   `json:"reviewDigest"`
}

// Selection is the ledger record of one operator selection.
type Selection struct {
	SelectionInput
	Status       string   `json:"status"`
	AnnouncedOn  string   `json:"announcedOn"`
	Candidates   []string `json:"candidates,omitempty"`
	ReviewDigest string   `json:"reviewDigest,omitempty"`
	// NoticeFrom is the notice's first day counted: the day after the
	// candidates were published.
	NoticeFrom string `json:"noticeFrom,omitempty"`
	// NoticeEndsOn is the last day of the candidates' notice: the
	// profile's days counted from the day after it was published (the
	// first day is not counted, Civil Code art. 201); the operator is
	// selected after it. Empty where the profile sets no notice.
	NoticeEndsOn string `json:"noticeEndsOn,omitempty"`
	NoticeRule   string `json:"noticeRule,omitempty"`
	Selected     string `json:"selected,omitempty"`
	SelectedOn   string `json:"selectedOn,omitempty"`
	Steps        []Step `json:"steps"`
	Last         Change `json:"last"`
	Version      int    `json:"version"`
}

// noticeRule is the article of the candidates' notice.
func (p Profile) noticeRule() string { return p.Cite("operatorCandidateNotice", RuleSelection) }

// OpenSelection announces a selection (the authority, by the access
// table), run by a registered implementing agency.
func OpenSelection(j *Jurisdiction, p Profile, existing *Selection, agency *Party, plan *Plan, in SelectionInput, now time.Time, c Change) (*Selection, error) {
	if err := j.numberedNow(in.Number, PrefixSelection, now); err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, Conflict(RuleSelectionUnique, "number", "selection number %s is taken: number it afresh", in.Number)
	}
	if agency == nil {
		return nil, NotFound(RulePartyExists, "agencyCreditCode", "%s is not a registered party on channel %s", in.AgencyCreditCode, j.Channel)
	}
	if agency.Role != PartyAgency || agency.Status != PartyActive {
		return nil, Invalid(RuleSelection, "agencyCreditCode", "a selection is run by an active implementing agency; %s is a %s %s", in.AgencyCreditCode, agency.Status, agency.Role)
	}
	if _, ok := SelectionMethods[in.Method]; !ok {
		return nil, Invalid(RuleSelection, "method", "%q is not a fair competitive method (%s)", truncate(in.Method, 32), joinSorted(SelectionMethods))
	}
	if err := ValidateText("scope", in.Scope, MaxReason); err != nil {
		return nil, err
	}
	if !digestRE.MatchString(in.AnnouncementDigest) {
		return nil, Invalid(RuleDigest, "announcementDigest", "must be the SM3 digest of the call for applications (征集公告): 64 lowercase hex characters")
	}
	switch rule := p.Cite("selectionPlan", RuleSelection); {
	case in.Plan == "" && p.SelectionFollowsPlan:
		return nil, Invalid(rule, "plan", "an operator is selected under an approved implementation plan (%s): name it", rule)
	case in.Plan != "" && plan == nil:
		return nil, NotFound(RulePlan, "plan", "no plan %s on channel %s", truncate(in.Plan, 40), j.Channel)
	case in.Plan != "" && !plan.InForce():
		return nil, Conflict(rule, "plan", "plan %s was superseded by %s: a selection follows the plan in force", plan.Number, plan.SupersededBy)
	}
	c.Action = "announce"
	return &Selection{SelectionInput: in, Status: SelectionAnnounced, AnnouncedOn: DateOf(now).Format(time.DateOnly),
		Steps: []Step{stepAt(c, "announce", DecisionDone, "")}, Last: c, Version: 1}, nil
}

// NominateCandidates publishes the reviewed candidates and starts their
// notice: the profile's operatorCandidateNoticeDays natural days from the
// day after publication (none where the profile sets none).
func NominateCandidates(j *Jurisdiction, p Profile, s *Selection, in Nomination, candidates map[string]*Party, now time.Time, c Change) (*Selection, error) {
	if s == nil {
		return nil, NotFound(RuleSelection, "number", "no such selection on channel %s", j.Channel)
	}
	if s.Status != SelectionAnnounced {
		return nil, Conflict(RuleStep, "status", "selection %s is %s: its candidates are published once, after the call", s.Number, s.Status)
	}
	if len(in.Candidates) == 0 || len(in.Candidates) > MaxCandidates {
		return nil, Invalid(RuleSelection, "candidates", "name 1 to %d candidates", MaxCandidates)
	}
	seen := map[string]bool{}
	for i, code := range in.Candidates {
		field := fmt.Sprintf("candidates[%d]", i)
		if err := ValidateCreditCode(field, code); err != nil {
			return nil, err
		}
		party := candidates[code]
		if party == nil {
			return nil, NotFound(RulePartyExists, field, "%s is not a registered party on channel %s", code, j.Channel)
		}
		if party.Role != PartyOperator || party.Status != PartyActive || seen[code] {
			return nil, Invalid(RuleSelection, field, "a candidate is an active operator, named once; %s is a %s %s", code, party.Status, party.Role)
		}
		seen[code] = true
	}
	if !digestRE.MatchString(in.ReviewDigest) {
		return nil, Invalid(RuleDigest, "reviewDigest", "must be the SM3 digest of the review (资格审查, 综合评审): 64 lowercase hex characters")
	}
	today := DateOf(now)
	n := s.next(c, SelectionInNotice, stepAt(c, "nominate", DecisionDone, ""))
	n.Candidates, n.ReviewDigest = append([]string(nil), in.Candidates...), in.ReviewDigest
	if d := p.OperatorCandidateNoticeDays; d > 0 {
		n.NoticeFrom = today.AddDate(0, 0, 1).Format(time.DateOnly) // the first day counted
		n.NoticeEndsOn = today.AddDate(0, 0, d).Format(time.DateOnly)
		n.NoticeRule = p.noticeRule()
	}
	return n, nil
}

// next is the selection after a step (its status, its version, the change
// that made it).
func (s *Selection) next(c Change, status string, st Step) *Selection {
	n := *s
	n.Steps = append(append([]Step(nil), s.Steps...), st)
	n.Status, n.Version = status, s.Version+1
	c.Action = st.Step
	n.Last = c
	return &n
}

// SelectOperator records the operator selected among the candidates,
// after their notice ended.
func SelectOperator(j *Jurisdiction, s *Selection, operator, reason string, now time.Time, c Change) (*Selection, error) {
	if s == nil {
		return nil, NotFound(RuleSelection, "number", "no such selection on channel %s", j.Channel)
	}
	if s.Status != SelectionInNotice {
		return nil, Conflict(RuleStep, "status", "selection %s is %s: an operator is selected from candidates in notice", s.Number, s.Status)
	}
	if today := DateOf(now).Format(time.DateOnly); today <= s.NoticeEndsOn && s.NoticeRule != "" {
		return nil, Conflict(s.NoticeRule, "number", "the candidates' notice runs to %s (%s): the operator is selected after it", s.NoticeEndsOn, s.NoticeRule)
	}
	if !contains(s.Candidates, operator) {
		return nil, Invalid(RuleSelection, "operator", "%s is not a candidate of selection %s", truncate(operator, 40), s.Number)
	}
	if err := ValidateText("reason", reason, MaxReason); err != nil {
		return nil, err
	}
	n := s.next(c, SelectionSelected, stepAt(c, "select", DecisionDone, reason))
	n.Selected, n.SelectedOn = operator, DateOf(now).Format(time.DateOnly)
	return n, nil
}

// CheckSelection judges the selection an operation agreement names: where
// the profile sets the candidates' notice, it must name one that selected
// its grantee, run by its grantor, not yet contracted (taken: the
// agreement already signed on it).
func CheckSelection(p Profile, in AgreementInput, s *Selection, taken string) error {
	if in.Kind != AgreementOperation {
		if in.Selection != "" {
			return Invalid(RuleSelection, "selection", "only an operation agreement follows a selection")
		}
		return nil
	}
	if in.Selection == "" {
		if p.OperatorCandidateNoticeDays > 0 {
			return Invalid(p.noticeRule(), "selection", "an operation agreement is signed with the operator a selection chose after its candidates' notice (%s): name it", p.noticeRule())
		}
		return nil
	}
	if s == nil {
		return NotFound(RuleSelection, "selection", "no selection %s on this channel", truncate(in.Selection, 40))
	}
	if s.Status == SelectionInNotice && s.NoticeRule != "" {
		return Conflict(s.NoticeRule, "selection", "selection %s has selected no operator: its candidates' notice runs to %s (%s), and the agreement is signed with the operator selected after it", s.Number, s.NoticeEndsOn, s.NoticeRule)
	}
	if p.OperatorCandidateNoticeDays > 0 && s.NoticeRule == "" {
		return Invalid(p.noticeRule(), "selection", "selection %s published its candidates without the notice %s asks", s.Number, p.noticeRule())
	}
	if s.Status != SelectionSelected || s.Selected != in.GranteeCreditCode || s.AgencyCreditCode != in.GrantorCreditCode {
		return Invalid(RuleSelection, "selection", "selection %s is %s (selected %q, run by %s): it must have selected the grantee, run by the grantor", s.Number, s.Status, s.Selected, s.AgencyCreditCode)
	}
	if taken != "" {
		return Conflict(RuleSelectionUnique, "selection", "selection %s was contracted by agreement %s", s.Number, taken)
	}
	if in.SignedOn < s.SelectedOn {
		return Invalid(RuleSelection, "signedOn", "signed %s, before selection %s chose the operator on %s (GD 20(5): the agreement follows the selection)", in.SignedOn, s.Number, s.SelectedOn)
	}
	return nil
}

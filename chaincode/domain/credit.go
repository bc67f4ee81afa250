package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// Credit records (不良信息记入信用档案): a finding against a party written to
// its credit file, with the decision that caused it (GX 19, GD 34, HB 36
// ¶2, NS 30). The decision is a record of its own already on the ledger — a
// credential revoked, an agreement granted to the party revoked, an
// objection decided against the party's record (a registration revoked),
// an order (整改) the authority gave it — and the credit record names it: one credit record in force per
// decision. It is never deleted: rescinded, with reasons (a decision set
// aside, 信用修复), it stays in the history.

// PrefixCredit numbers credit records (信用档案).
const PrefixCredit = "XD"

// Credit rule codes.
const (
	RuleCredit       = "DL-CREDIT"        // a credit record that does not hold together, or a profile that sets none
	RuleCreditCause  = "DL-CREDIT-CAUSE"  // the decision it names is not a finding against the party
	RuleCreditUnique = "DL-CREDIT-UNIQUE" // a number taken, or a second record in force for one decision
)

// Credit record statuses.
const (
	CreditRecorded  = "recorded"
	CreditRescinded = "rescinded"
)

// CreditRule is what a profile's regulation writes to a party's credit
// file: the categories of violation its article names, the party roles it
// applies to and the article.
type CreditRule struct {
	Categories []string `json:"categories"`
	Against    []string `json:"against"`
	Cite       string   `json:"cite"`
}

// CreditCategories are the violations the articles name (中文 for pages).
var CreditCategories = map[string]string{
	"network_security":     "网络安全",
	"data_security":        "数据安全",
	"personal_information": "个人信息保护",
	"antitrust":            "反垄断",
	"unfair_competition":   "反不正当竞争",
	"consumer_rights":      "消费者权益保护",
	"illegal_fees":         "利用公共数据违规经营收费",
}

func creditCategoryNames() string { return joinSorted(CreditCategories) }

func (r *CreditRule) validate() error {
	if len(r.Categories) == 0 {
		return Invalid(RuleProfile, "creditRecords.categories", "name the violations the article writes to a credit file")
	}
	for i, c := range r.Categories {
		if _, ok := CreditCategories[c]; !ok {
			return Invalid(RuleProfile, fmt.Sprintf("creditRecords.categories[%d]", i), "%q is not a violation an article names (%s)", truncate(c, 32), creditCategoryNames())
		}
	}
	if len(r.Against) == 0 {
		return Invalid(RuleProfile, "creditRecords.against", "name the party roles the article applies to")
	}
	for i, role := range r.Against {
		if _, ok := PartyRoles[role]; !ok {
			return Invalid(RuleProfile, fmt.Sprintf("creditRecords.against[%d]", i), "%q is not a party role", truncate(role, 32))
		}
	}
	if !citationValue.MatchString(r.Cite) {
		return Invalid(RuleProfile, "creditRecords.cite", "%q is not an article reference like GX-19", truncate(r.Cite, 32))
	}
	return nil
}

// CreditInput records a credit record.
type CreditInput struct {
	Number          string `json:"number"`
	PartyCreditCode string `json:"partyCreditCode"`
	// Cause is the number of the decision that caused it.
	Cause    string `json:"cause"`
	Category string `json:"category"`
	// FindingDigest is the SM3 digest of the decision document (处理决定书).
	FindingDigest string `json:"findingDigest"`
	// Finding says what was found, in a sentence.
	Finding string `json:"finding"`
}

// CreditRecord is the ledger record of one entry in a party's credit file.
type CreditRecord struct {
	CreditInput
	// CauseKind is the kind of record the cause is (credential,
	// agreement, objection, obligation).
	CauseKind string `json:"causeKind"`
	// CauseDecision is what the cause decided (credential revoked,
	// registration revoked, agreement revoked, objection upheld: its
	// outcome, order: its kind), never its words.
	CauseDecision string `json:"causeDecision"`
	// DecisionTxID is the transaction that made the decision.
	DecisionTxID string `json:"decisionTxId"`
	Cite         string `json:"cite"`
	Status       string `json:"status"`
	RecordedOn   string `json:"recordedOn"`
	Steps        []Step `json:"steps"`
	Last         Change `json:"last"`
	Version      int    `json:"version"`
}

// CreditCauseKinds are the record types a credit record's cause may be.
// A certificate is not one: it is revoked only by an objection's
// decision, which is named instead (and its record's last change may be a
// later objection's).
var CreditCauseKinds = []string{TypeCredential, TypeAgreement, TypeObjection, TypeObligation}

// cause is a record, as written, that may hold a decision against a
// party (DecisionOn).
type cause struct {
	Kind string // its record type
	Body []byte
}

// CauseDecision is the decision a cause's record holds against a party.
type CauseDecision struct {
	What string // e.g. "credential revoked", "objection upheld: registration_revoked"
	TxID string // the transaction that made it
}

// PartyDecision is a decision against a party as its facts keep it, by
// the number of the record that holds it (PartyFacts.Decisions): the
// record's type, what was decided, and the deciding transaction. The
// transaction that decides notes it (DecisionOn), so that a credit
// record following it reads the party's facts, not the record, whose key
// the block would keep in clear.
type PartyDecision struct {
	Kind string `json:"kind"`
	What string `json:"what"`
	TxID string `json:"txId"`
}

// DecisionOn is the decision record (of recordType, as written now) holds
// against party, as the party's facts keep it; ok false: none.
func DecisionOn(recordType string, record any, party string) (PartyDecision, bool) {
	body, err := json.Marshal(record)
	if err != nil {
		return PartyDecision{}, false
	}
	d, ok := cause{Kind: recordType, Body: body}.Decision(party)
	return PartyDecision{Kind: recordType, What: d.What, TxID: d.TxID}, ok
}

// Decision is the decision the cause holds against party (ok false: none
// — a record of another party, a standing credential, a terminated
// agreement, a dismissed objection, a report, a withdrawn order). An
// agreement is revoked against its grantee: the grantor revokes what it
// granted. An obligation counts when it was opened as an order.
func (c cause) Decision(party string) (CauseDecision, bool) {
	d, ok := c.decision(party)
	// A decision is known by its transaction (the key of the record
	// written on it): one without a well-formed ID is none of ours.
	return d, ok && txIDPattern.MatchString(d.TxID)
}

func (c cause) decision(party string) (CauseDecision, bool) {
	switch c.Kind {
	case TypeCredential:
		var r CredentialRecord
		if json.Unmarshal(c.Body, &r) == nil && r.Status == CredentialRevoked {
			return CauseDecision{"credential revoked", r.Last.TxID}, true
		}
	case TypeAgreement:
		var r Agreement
		if json.Unmarshal(c.Body, &r) == nil && r.Status == AgreementRevoked && r.GranteeCreditCode == party {
			return CauseDecision{"agreement revoked", r.Last.TxID}, true
		}
	case TypeObjection:
		var o Objection
		if json.Unmarshal(c.Body, &o) == nil && o.Decision != nil && o.Decided != nil && o.Decision.Outcome != OutcomeDismissed {
			return CauseDecision{"objection upheld: " + o.Decision.Outcome, o.Decided.TxID}, true
		}
	case TypeObligation:
		var o Obligation
		if json.Unmarshal(c.Body, &o) == nil && o.Status != ObligationWithdrawn && o.OrderTxID() != "" {
			return CauseDecision{"order: " + o.Kind + " (" + o.Cite + ")", o.OrderTxID()}, true
		}
	}
	return CauseDecision{}, false
}

// OrderTxID is the transaction that gave an order (its opening), "" for
// an obligation that is no order.
func (o *Obligation) OrderTxID() string {
	if o == nil || !o.Order || len(o.Steps) == 0 || !txIDPattern.MatchString(o.Steps[0].TxID) {
		return ""
	}
	return o.Steps[0].TxID
}

// CheckOrderWithdrawal refuses to withdraw an order while a credit record
// written on it is in force (held): the finding is rescinded first, so the
// credit file never rests on a decision withdrawn.
func CheckOrderWithdrawal(o *Obligation, held *CreditRecord) error {
	if held != nil && held.Status == CreditRecorded {
		return Conflict(RuleCredit, "decision", "order %s is the decision credit record %s rests on, in force: rescind it first", o.Number, held.Number)
	}
	return nil
}

// RecordCreditInput is what a credit record is written on.
type RecordCreditInput struct {
	In       CreditInput
	Existing *CreditRecord
	Party    *Party
	// Decision is the decision against the party that the input's cause
	// numbers, as the party's facts hold it (nil: none against it).
	Decision *PartyDecision
	// Holder is the credit record written on the same decision, if any.
	Holder *CreditRecord
}

// RecordCredit writes a finding to a party's credit file under the
// channel's profile (the authority, by the access table; a profile whose regulation writes
// no credit file refuses it), naming the decision that caused it.
func RecordCredit(j *Jurisdiction, p Profile, x RecordCreditInput, now time.Time, c Change) (*CreditRecord, error) {
	rule := p.CreditRecords
	if rule == nil {
		return nil, Invalid(RuleCredit, "profile", "the %s profile in force sets no creditRecords: its regulation writes no credit file (ZW), or the profile predates them (adopt it again after an upgrade)", p.Name)
	}
	in := x.In
	if err := j.numberedNow(in.Number, PrefixCredit, now); err != nil {
		return nil, err
	}
	today := DateOf(now)
	if x.Existing != nil {
		return nil, Conflict(RuleCreditUnique, "number", "credit record number %s is taken: number it afresh", in.Number)
	}
	if x.Party == nil {
		return nil, NotFound(RulePartyExists, "partyCreditCode", "%s is not a registered party on channel %s", in.PartyCreditCode, j.Channel)
	}
	if !contains(rule.Against, x.Party.Role) {
		return nil, Invalid(RuleCredit, "partyCreditCode", "%s writes the credit file of a %v; %s is a %s", rule.Cite, rule.Against, in.PartyCreditCode, x.Party.Role)
	}
	if !contains(rule.Categories, in.Category) {
		return nil, Invalid(RuleCredit, "category", "%q is not a violation %s writes to a credit file (%v)", truncate(in.Category, 32), rule.Cite, rule.Categories)
	}
	if !digestRE.MatchString(in.FindingDigest) {
		return nil, Invalid(RuleDigest, "findingDigest", "must be the SM3 digest of the decision document: 64 lowercase hex characters")
	}
	if in.Finding == "" {
		return nil, Invalid(RuleReasons, "finding", "say what was found")
	}
	if err := ValidateText("finding", in.Finding, MaxReason); err != nil {
		return nil, err
	}
	d := x.Decision
	if d == nil {
		return nil, Invalid(RuleCreditCause, "cause", "%s is not a decision against %s: a credit record follows the party's credential revoked, an agreement granted to it revoked, an objection decided against its record (a registration is revoked by one: name the objection) or an order given to it (%s)", in.Cause, in.PartyCreditCode, rule.Cite)
	}
	if h := x.Holder; h != nil && h.Status == CreditRecorded {
		return nil, Conflict(RuleCreditUnique, "cause", "the decision %s names (transaction %s) is already in the credit file as %s", in.Cause, d.TxID, h.Number)
	}
	c.Action = "record"
	return &CreditRecord{CreditInput: in, CauseKind: d.Kind, CauseDecision: d.What, DecisionTxID: d.TxID, Cite: rule.Cite, Status: CreditRecorded,
		RecordedOn: today.Format(time.DateOnly), Steps: []Step{stepAt(c, "record", DecisionDone, in.Finding)}, Last: c, Version: 1}, nil
}

// RescindCredit sets a credit record aside, with reasons (the decision
// reversed, 信用修复; the authority, by the access table): it stays in the history, and is no longer in force.
func RescindCredit(j *Jurisdiction, r *CreditRecord, reasons string, c Change) (*CreditRecord, error) {
	if r == nil {
		return nil, NotFound(RuleCredit, "number", "no such credit record on channel %s", j.Channel)
	}
	if r.Status != CreditRecorded {
		return nil, Conflict(RuleStep, "status", "credit record %s is %s", r.Number, r.Status)
	}
	if reasons == "" {
		return nil, Invalid(RuleReasons, "reasons", "a rescission says why the record no longer stands")
	}
	if err := ValidateText("reasons", reasons, MaxReason); err != nil {
		return nil, err
	}
	n := *r
	n.Steps = append(append([]Step(nil), r.Steps...), stepAt(c, "rescind", CreditRescinded, reasons))
	n.Status, n.Version = CreditRescinded, r.Version+1
	c.Action = "rescind"
	n.Last = c
	return &n, nil
}

// InForceAfter lists, for a party's facts (PartyFacts.Credits), the numbers in force
// after r changed (added when recorded, dropped when rescinded).
func (r *CreditRecord) InForceAfter(held []string) []string {
	out := make([]string, 0, len(held)+1)
	for _, n := range held {
		if n != r.Number {
			out = append(out, n)
		}
	}
	if r.Status == CreditRecorded {
		out = append(out, r.Number)
	}
	return out
}

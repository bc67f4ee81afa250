package domain

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Eligibility declarations (资格条件承诺): the conditions a regulation puts
// on an operator before its operation agreement (GX 6, ZW 13, GD 21, NS
// 11, HB 14) and on an enterprise before its catalog or scenario
// authorization (GX 9, GX 11) — no listing as a 失信被执行人, no incident in
// three years, 等保 and 密评 — declared by the party with the SM3 digest of
// its signed commitment and evidence, on the agreement that authorizes it
// (every credential and certificate rests on one: it cannot be skipped). The profile says, per
// purpose, which conditions its article sets; what the ledger itself knows
// of the party (its credit records in force, the security incidents it
// reported) refuses a declaration it contradicts.

// RuleEligibility is the code of a missing, incomplete or contradicted
// declaration when the profile's rule cites no article.
const RuleEligibility = "DL-ELIGIBILITY"

// What a declaration is made on (EligibilityRule.For).
const (
	EligibilityOperation = "operation_agreement" // the operator, on its operation agreement
	EligibilityCatalog   = "catalog_agreement"   // the enterprise, on its catalog agreement
	EligibilityScenario  = "scenario_agreement"  // the enterprise, on its scenario agreement
)

// Eligibility conditions the ledger checks against its own records.
const (
	ItemNoBadCreditRecord  = "no_bad_credit_record"    // HB 14(2): 无不良记录 — no credit record in force on the channel
	ItemGoodCreditStanding = "good_credit_standing"    // ZW 13: 信用状况良好 — the same
	ItemNoIncident3Y       = "no_security_incident_3y" // HB 14(1): 近3年内未发生网络安全、数据安全事件
)

// IncidentKind is the self-reported obligation kind whose reports count as
// security incidents (NS 26(2), HB 34(3)).
const IncidentKind = "security_incident"

// EligibilityItems are the conditions the articles set (中文 for pages
// and refusals).
var EligibilityItems = map[string]string{
	"good_operation":          "经营状况良好",
	"no_major_violation":      "单位及其法定代表人、负责人无重大违法记录",
	"not_dishonest_debtor":    "未被列入失信被执行人名单",
	"not_tax_violator":        "未被列入重大税收违法案件当事人名单",
	"not_seriously_dishonest": "未被列入严重违法失信企业名单",
	"not_abnormal_operation":  "未被列入企业经营异常名录",
	"security_officer":        "明确数据安全负责人和管理部门，建立内部管理和安全保障制度",
	"mlps":                    "具备网络安全等级保护的保障能力（条款要求的等级或实践经验）",
	"crypto_assessment":       "具备商用密码应用安全性评估的保障能力（条款要求的评估或实践经验）",
	"data_security_compliant": "符合国家数据安全保护要求",
	ItemGoodCreditStanding:    "信用状况良好",
	ItemNoBadCreditRecord:     "在全国信用信息公共服务平台查询中无不良记录",
	"no_serious_penalty":      "企业法人、高管或者法定代表人、负责人不存在重大行政处罚、严重失信等记录",
	"no_criminal_record":      "没有违法犯罪记录",
	ItemNoIncident3Y:          "近3年内未发生网络安全、数据安全事件",
}

// EligibilityItemNames are the items, sorted.
func EligibilityItemNames() []string { return sortedKeys(EligibilityItems) }

// joinSorted lists a table's names, sorted, for a message.
func joinSorted[V any](m map[string]V) string { return strings.Join(sortedKeys(m), ", ") }

// sortedKeys are a table's names, sorted.
func sortedKeys[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// EligibilityRule is what a profile's article asks a party to declare on
// one purpose.
type EligibilityRule struct {
	For   string   `json:"for"`
	Items []string `json:"items"`
	Cite  string   `json:"cite"`
}

func (r EligibilityRule) validate(field string) error {
	if r.For != EligibilityOperation && r.For != EligibilityCatalog && r.For != EligibilityScenario {
		return Invalid(RuleProfile, field+".for", "must be %s, %s or %s, got %q", EligibilityOperation, EligibilityCatalog, EligibilityScenario, truncate(r.For, 32))
	}
	if len(r.Items) == 0 {
		return Invalid(RuleProfile, field+".items", "name the conditions the article sets")
	}
	for i, it := range r.Items {
		if _, ok := EligibilityItems[it]; !ok {
			return Invalid(RuleProfile, fmt.Sprintf("%s.items[%d]", field, i), "%q is not a condition (%s)", truncate(it, 32), strings.Join(EligibilityItemNames(), ", "))
		}
	}
	if !citationValue.MatchString(r.Cite) {
		return Invalid(RuleProfile, field+".cite", "%q is not an article reference like GX-9", truncate(r.Cite, 32))
	}
	return nil
}

// agreementPurpose is, per authorizing agreement kind, the purpose its
// grantee's declaration is made for (Authorizes: these kinds).
var agreementPurpose = map[string]string{AgreementOperation: EligibilityOperation, AgreementCatalog: EligibilityCatalog, AgreementScenario: EligibilityScenario}

// declaringRole is who declares on a purpose: the agreement's grantee.
var declaringRole = map[string]string{EligibilityOperation: PartyOperator, EligibilityCatalog: PartyEnterprise, EligibilityScenario: PartyEnterprise}

// checkIncidentKind: a rule asking "no incident in three years" needs the
// profile's self-reported IncidentKind, owed by the declaring role, or the
// check would pass on nothing.
func (p Profile) checkIncidentKind(field string, r EligibilityRule) error {
	if !contains(r.Items, ItemNoIncident3Y) {
		return nil
	}
	k, ok := p.ObligationKind(IncidentKind)
	if !ok || k.Opens != OpensBySelf || !contains(k.Owes, declaringRole[r.For]) {
		return Invalid(RuleProfile, field+".items", "%s is checked against the %s reports a %s owes (a self-reported obligation kind): define it", ItemNoIncident3Y, IncidentKind, declaringRole[r.For])
	}
	return nil
}

// EligibilityFor is the profile's rule for purpose, if it sets one.
func (p Profile) EligibilityFor(purpose string) (EligibilityRule, bool) {
	for _, r := range p.Eligibility {
		if r.For == purpose {
			return r, true
		}
	}
	return EligibilityRule{}, false
}

// Declaration is a party's eligibility declaration: the conditions it
// declares it meets and the SM3 digest of its signed commitment (承诺书)
// with its evidence (the credit platform's query report, the 等保 and 密评
// reports), never their text.
type Declaration struct {
	Items          []string `json:"items"`
	EvidenceDigest string   `json:"evidenceDigest"`
}

// FullDeclaration is the declaration of a party that meets every
// condition any profile sets, with its evidence's digest.
func FullDeclaration(evidenceDigest string) *Declaration {
	return &Declaration{Items: EligibilityItemNames(), EvidenceDigest: evidenceDigest}
}

// GranteeFacts are what the ledger knows of an authorizing agreement's
// grantee: what its eligibility declaration is checked against, and its
// latest evaluation, which the agreement records.
type GranteeFacts struct {
	// CreditRecords are the numbers of its credit records in force on
	// the channel.
	CreditRecords []string
	// Incidents are the security incidents it reported, not withdrawn.
	Incidents []ReportedEvent
	// Evaluation is its latest evaluation standing ("" none), recorded on
	// the agreement that authorizes it.
	Evaluation string
}

// ReportedEvent is a self-reported incident: its obligation's number and
// the day it happened.
type ReportedEvent struct {
	Number     string `json:"number"`
	OccurredOn string `json:"occurredOn"`
}

// MaxReportedEvents bounds the incidents kept per party: the oldest go
// first (the check looks back three years).
const MaxReportedEvents = 50

// IsIncidentReport tells whether o is a security incident's report, kept
// in its party's reported incidents.
func (o *Obligation) IsIncidentReport() bool { return o.Kind == IncidentKind && o.OccurredOn != "" }

// WithEvent is held after the incident report o was made.
func WithEvent(held []ReportedEvent, o *Obligation) []ReportedEvent {
	out := append(WithoutEvent(held, o), ReportedEvent{Number: o.Number, OccurredOn: o.OccurredOn})
	sort.SliceStable(out, func(i, j int) bool { return out[i].OccurredOn > out[j].OccurredOn })
	if len(out) > MaxReportedEvents {
		out = out[:MaxReportedEvents]
	}
	return out
}

// WithoutEvent is held after the incident report o was withdrawn.
func WithoutEvent(held []ReportedEvent, o *Obligation) []ReportedEvent {
	out := make([]ReportedEvent, 0, len(held)+1)
	for _, e := range held {
		if e.Number != o.Number {
			out = append(out, e)
		}
	}
	return out
}

// ledgerChecked are the conditions the ledger checks against its own
// records, and which: the credit file or the incidents reported.
var ledgerChecked = map[string]string{
	ItemNoBadCreditRecord:  "credit",
	ItemGoodCreditStanding: "credit",
	ItemNoIncident3Y:       "incidents",
}

// CheckDeclaration judges a declaration made on purpose (field names it in
// the input) under the profile: where the profile sets a rule, every
// condition it names must be declared, with the evidence's digest, and
// none may be contradicted by the ledger's own records of the party; where
// it sets none, a declaration is still checked, and kept.
func CheckDeclaration(p Profile, purpose, field string, d *Declaration, facts GranteeFacts, today time.Time) error {
	rule, ok := p.EligibilityFor(purpose)
	if d == nil {
		if ok {
			return Invalid(rule.Cite, field, "%s sets conditions on the %s: declare %s with the digest of the signed commitment", rule.Cite, strings.ReplaceAll(purpose, "_", " "), strings.Join(rule.Items, ", "))
		}
		return nil
	}
	cite := RuleEligibility
	if ok {
		cite = rule.Cite
	}
	if len(d.Items) > len(EligibilityItems) {
		return Invalid(RuleEligibility, field+".items", "at most %d conditions", len(EligibilityItems))
	}
	declared := map[string]bool{}
	for i, it := range d.Items {
		if _, known := EligibilityItems[it]; !known {
			return Invalid(RuleEligibility, fmt.Sprintf("%s.items[%d]", field, i), "%q is not a condition (%s)", truncate(it, 40), strings.Join(EligibilityItemNames(), ", "))
		}
		if declared[it] {
			return Invalid(RuleEligibility, fmt.Sprintf("%s.items[%d]", field, i), "%s is declared twice", it)
		}
		declared[it] = true
	}
	if !digestRE.MatchString(d.EvidenceDigest) {
		return Invalid(RuleDigest, field+".evidenceDigest", "must be the SM3 digest of the signed commitment and its evidence: 64 lowercase hex characters")
	}
	for _, it := range rule.Items {
		if !declared[it] {
			return Invalid(cite, field+".items", "%s sets the condition %s (%s): it is not declared", rule.Cite, it, EligibilityItems[it])
		}
	}
	for _, it := range d.Items {
		switch ledgerChecked[it] {
		case "credit":
			if len(facts.CreditRecords) > 0 {
				// Which records is not said: whoever files for the party
				// may not read its credit file.
				return Conflict(cite, field+".items", "the ledger holds a credit record in force against the party: it cannot declare %s (%s)", it, EligibilityItems[it])
			}
		case "incidents":
			for _, e := range facts.Incidents {
				if on, err := ParseDate("occurredOn", e.OccurredOn); err == nil && on.After(today.AddDate(-3, 0, 0)) {
					return Conflict(cite, field+".items", "the party reported a security incident on %s (%s), within three years: it cannot declare %s", e.OccurredOn, e.Number, it)
				}
			}
		}
	}
	return nil
}

// ChecksLedger tells which of the ledger's records a declaration's
// conditions are checked against (so only those are read).
func (d *Declaration) ChecksLedger() (credit, incidents bool) {
	if d == nil {
		return false, false
	}
	for _, it := range d.Items {
		switch ledgerChecked[it] {
		case "credit":
			credit = true
		case "incidents":
			incidents = true
		}
	}
	return credit, incidents
}

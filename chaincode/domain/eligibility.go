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
// authorization (GX 9, GX 11; HB 14's 特许开发主体) — no listing as a
// 失信被执行人, no incident in three years, 等保 and 密评 — declared by the
// party with the SM3 digest of its signed commitment and evidence, on the
// agreement or application it is the condition of. The profile says, per
// purpose, which conditions its article sets; what the ledger itself knows
// of the party (its credit records in force, the security incidents it
// reported) refuses a declaration it contradicts.

// RuleEligibility is the code of a missing, incomplete or contradicted
// declaration when the profile's rule cites no article.
const RuleEligibility = "DL-ELIGIBILITY"

// What a declaration is made on (EligibilityRule.For).
const (
	EligibilityOperation = "operation_agreement"  // the operator, on its operation agreement
	EligibilityCatalog   = "catalog_application"  // the enterprise, on its catalog application
	EligibilityScenario  = "scenario_application" // the enterprise, on its scenario application
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
	"no_major_violation":      "单位及其法定代表人无重大违法记录",
	"not_dishonest_debtor":    "未被列入失信被执行人名单",
	"not_tax_violator":        "未被列入重大税收违法案件当事人名单",
	"not_seriously_dishonest": "未被列入严重违法失信企业名单",
	"not_abnormal_operation":  "未被列入企业经营异常名录",
	"security_officer":        "明确数据安全负责人和管理部门，建立内部管理和安全保障制度",
	"mlps":                    "符合网络安全等级保护要求（三级及以上）",
	"crypto_assessment":       "通过商用密码应用安全性评估",
	"data_security_compliant": "符合国家数据安全保护要求",
	ItemGoodCreditStanding:    "经营状况和信用状况良好",
	ItemNoBadCreditRecord:     "在全国信用信息公共服务平台查询中无不良记录",
	"no_serious_penalty":      "企业法人、高管或者法定代表人、负责人不存在重大行政处罚、严重失信等记录",
	"no_criminal_record":      "没有违法犯罪记录",
	ItemNoIncident3Y:          "近3年内未发生网络安全、数据安全事件",
}

// EligibilityItemNames are the items, sorted.
func EligibilityItemNames() []string {
	names := make([]string, 0, len(EligibilityItems))
	for n := range EligibilityItems {
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

// EligibilityFacts are what the ledger knows of the declaring party.
type EligibilityFacts struct {
	// CreditRecords are the numbers of its credit records in force on
	// the channel.
	CreditRecords []string
	// Incident is its latest self-reported security incident, if any.
	Incident *ReportedEvent
}

// ReportedEvent is the latest self-reported obligation of a kind by a
// party: its number and the day the event happened.
type ReportedEvent struct {
	Number     string `json:"number"`
	OccurredOn string `json:"occurredOn"`
}

// TypeReportedEvent indexes, per self-reported kind and party, its latest
// report (a ReportedEvent).
const TypeReportedEvent = "obligation~event"

// CheckDeclaration judges a declaration made on purpose (field names it in
// the input) under the profile: where the profile sets a rule, every
// condition it names must be declared, with the evidence's digest, and
// none may be contradicted by the ledger's own records of the party; where
// it sets none, a declaration is still checked, and kept.
func CheckDeclaration(p Profile, purpose, field string, d *Declaration, facts EligibilityFacts, today time.Time) error {
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
	if (declared[ItemNoBadCreditRecord] || declared[ItemGoodCreditStanding]) && len(facts.CreditRecords) > 0 {
		return Conflict(cite, field+".items", "the ledger holds credit records in force against the party (%s): it cannot declare %s", strings.Join(facts.CreditRecords, ", "), firstDeclared(declared, ItemNoBadCreditRecord, ItemGoodCreditStanding))
	}
	if declared[ItemNoIncident3Y] && facts.Incident != nil {
		if on, err := ParseDate("occurredOn", facts.Incident.OccurredOn); err == nil && on.After(today.AddDate(-3, 0, 0)) {
			return Conflict(cite, field+".items", "the party reported a security incident on %s (%s), within three years: it cannot declare %s", facts.Incident.OccurredOn, facts.Incident.Number, ItemNoIncident3Y)
		}
	}
	return nil
}

func firstDeclared(declared map[string]bool, items ...string) string {
	for _, it := range items {
		if declared[it] {
			return it
		}
	}
	return ""
}

// ChecksLedger tells whether a declaration names a condition the ledger
// checks against its records (so its facts must be read).
func (d *Declaration) ChecksLedger() bool {
	if d == nil {
		return false
	}
	for _, it := range d.Items {
		if it == ItemNoBadCreditRecord || it == ItemGoodCreditStanding || it == ItemNoIncident3Y {
			return true
		}
	}
	return false
}

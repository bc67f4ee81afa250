package domain

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
)

// Profile is a jurisdiction's policy: the figures the five regulations
// disagree on, kept as data per channel (SPEC §6). Zero means the regulation
// sets no figure, and the rule that uses it does not apply.
type Profile struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Maximum term of an agreement or authorization: GX, GD 5 y; NS 3 y; HB 3 y.
	MaxAgreementTermMonths int `json:"maxAgreementTermMonths"`
	// Credential validity, never beyond its agreement: GX 10(3) ≤ 5 y.
	MaxCredentialTermMonths int `json:"maxCredentialTermMonths"`
	// Preliminary review (初审): GX 12(2) 3, ZW 5, GD 10 working days.
	PreliminaryReviewWorkingDays int `json:"preliminaryReviewWorkingDays"`
	// Review of a catalog authorization application (受理审核): GX 10(2)
	// 3 working days from receipt.
	CatalogReviewWorkingDays int `json:"catalogReviewWorkingDays"`
	// Onboarding check of a 数商 (进驻申请): ZW 18, 5 working days from
	// acceptance.
	OnboardingReviewWorkingDays int `json:"onboardingReviewWorkingDays"`
	// Renewal window: the grantee applies again in the months before the
	// agreement expires (NS 15: 6).
	RenewalWindowMonths int `json:"renewalWindowMonths"`
	// A data provider's answer to a data-quality request: HB 25, 3
	// working days.
	QualityFeedbackWorkingDays int `json:"qualityFeedbackWorkingDays"`
	// Data-use review after which silence counts as approval: ZW 21, 10 working days.
	SilenceApprovalWorkingDays int `json:"silenceApprovalWorkingDays"`
	// Public notice of a product built with non-public data: GX 12(6), 10 natural days.
	PublicNoticeNaturalDays int `json:"publicNoticeNaturalDays"`
	// Public notice of operator candidates: GD, at least 5 days.
	OperatorCandidateNoticeDays int `json:"operatorCandidateNoticeDays"`
	// Evaluation of a developed product after its submission: GD 26, 10
	// working days (0: no deadline, and the submission is optional: the
	// verification may come at once).
	ProductReviewWorkingDays int `json:"productReviewWorkingDays,omitempty"`
	// Agreement filing deadline after signing: GD 23 10, HB 37 5 working days.
	FilingDeadlineWorkingDays int `json:"filingDeadlineWorkingDays"`
	// An operator selection names the approved implementation plan it
	// follows (GX 7(3)).
	SelectionFollowsPlan bool `json:"selectionFollowsPlan,omitempty"`
	// Upward filing of an implementation plan and of each change, after
	// its approval: GD 19 10, HB 37 5 working days (0: none owed).
	PlanFilingWorkingDays int `json:"planFilingWorkingDays,omitempty"`
	// Filing is required before the authorization is used (GX).
	FilingBeforeUse bool `json:"filingBeforeUse"`
	// Log retention after termination: GX, NS, HB ≥ 6 months.
	LogRetentionMonths int `json:"logRetentionMonths"`
	// Network log retention: GD 39, ≥ 5 years.
	NetworkLogRetentionMonths int `json:"networkLogRetentionMonths"`
	// No onward authorization by a licensee: HB 21.
	SubLicensingForbidden bool `json:"subLicensingForbidden"`
	// Open-data classes: NS 2 (unconditional / conditional / closed); a
	// catalog or scenario agreement names its data's (CheckDataClass).
	OpenDataClasses []string `json:"openDataClasses"`
	// Obligations are the duties beyond the authorization path (annual
	// reports, incident reports, rectification orders): who owes each,
	// who opens it, its deadline rule and its article.
	Obligations []ObligationKind `json:"obligations,omitempty"`
	// CreditRecords is what the regulation writes to a party's credit
	// file (不良信息记入信用档案), nil where it writes none (ZW).
	CreditRecords *CreditRule `json:"creditRecords,omitempty"`
	// Eligibility is what the regulation asks a party to declare, per
	// purpose (an operator's operation agreement, an enterprise's catalog
	// or scenario agreement), with its article.
	Eligibility []EligibilityRule `json:"eligibility,omitempty"`
	// Evaluations are whom the authority evaluates yearly, by article
	// (GX 18, GD 38, HB 30, HB 37, ZW 33).
	Evaluations []EvaluationRule `json:"evaluations,omitempty"`
	// Pricing is the pricing bases the regulation allows per use (ZW 24,
	// GD 29, NS 23), nil where it sets none (any basis).
	Pricing *PricingRule `json:"pricing,omitempty"`
	// Citations name the article behind each figure (e.g. "agreementTerm":
	// "NS-15"), so a refusal cites the channel's own regulation.
	Citations map[string]string `json:"citations"`
}

// Cite is the rule code for a profile rule: the article of this profile's
// regulation, or the product's own rule code when it cites none.
func (p Profile) Cite(rule, product string) string {
	if c, ok := p.Citations[rule]; ok {
		return c
	}
	return product
}

// RuleProfile is the code for policy-profile validation.
const RuleProfile = "DL-PROFILE"

var (
	profileName   = regexp.MustCompile(`^[A-Z][A-Z0-9_-]{1,31}$`)
	citationKey   = regexp.MustCompile(`^[a-zA-Z]{1,40}$`)
	citationValue = regexp.MustCompile(`^[A-Z]{2,8}-[0-9]{1,3}(\.[0-9]{1,2})?$`)
)

// Validate checks that every figure is in a sane range.
func (p Profile) Validate() error {
	if !profileName.MatchString(p.Name) {
		return Invalid(RuleProfile, "name", "must be 2-32 capitals, digits, '_' or '-' (e.g. GX), got %q", truncate(p.Name, 32))
	}
	if err := ValidateText("title", p.Title, MaxName); err != nil {
		return err
	}
	ranges := []struct {
		field    string
		v, hi    int
		unitName string
	}{
		{"maxAgreementTermMonths", p.MaxAgreementTermMonths, 240, "months"},
		{"maxCredentialTermMonths", p.MaxCredentialTermMonths, 240, "months"},
		{"preliminaryReviewWorkingDays", p.PreliminaryReviewWorkingDays, 60, "working days"},
		{"catalogReviewWorkingDays", p.CatalogReviewWorkingDays, 60, "working days"},
		{"onboardingReviewWorkingDays", p.OnboardingReviewWorkingDays, 60, "working days"},
		{"renewalWindowMonths", p.RenewalWindowMonths, 60, "months"},
		{"qualityFeedbackWorkingDays", p.QualityFeedbackWorkingDays, 60, "working days"},
		{"silenceApprovalWorkingDays", p.SilenceApprovalWorkingDays, 60, "working days"},
		{"publicNoticeNaturalDays", p.PublicNoticeNaturalDays, 90, "days"},
		{"operatorCandidateNoticeDays", p.OperatorCandidateNoticeDays, 90, "days"},
		{"filingDeadlineWorkingDays", p.FilingDeadlineWorkingDays, 60, "working days"},
		{"planFilingWorkingDays", p.PlanFilingWorkingDays, 60, "working days"},
		{"productReviewWorkingDays", p.ProductReviewWorkingDays, 60, "working days"},
		{"logRetentionMonths", p.LogRetentionMonths, 600, "months"},
		{"networkLogRetentionMonths", p.NetworkLogRetentionMonths, 600, "months"},
	}
	for _, r := range ranges {
		if r.v < 0 || r.v > r.hi {
			return Invalid(RuleProfile, r.field, "must be between 0 (not regulated) and %d %s, got %d", r.hi, r.unitName, r.v)
		}
	}
	if p.MaxAgreementTermMonths > 0 && p.MaxCredentialTermMonths > p.MaxAgreementTermMonths {
		return Invalid(RuleProfile, "maxCredentialTermMonths", "%d exceeds the agreement maximum %d: a credential never outlasts its agreement (GX 10(3))", p.MaxCredentialTermMonths, p.MaxAgreementTermMonths)
	}
	if len(p.Citations) > 20 {
		return Invalid(RuleProfile, "citations", "at most 20 citations")
	}
	for k, v := range p.Citations {
		if !citationKey.MatchString(k) || !citationValue.MatchString(v) {
			return Invalid(RuleProfile, "citations", "%q: %q is not an article reference like GX-10.3", truncate(k, 32), truncate(v, 32))
		}
	}
	if len(p.Obligations) > 40 {
		return Invalid(RuleProfile, "obligations", "at most 40 obligation kinds")
	}
	kinds := map[string]bool{}
	for i, k := range p.Obligations {
		field := fmt.Sprintf("obligations[%d]", i)
		if err := k.validate(field); err != nil {
			return err
		}
		if kinds[k.Kind] {
			return Invalid(RuleProfile, field+".kind", "%q is defined twice", k.Kind)
		}
		kinds[k.Kind] = true
	}
	if p.CreditRecords != nil {
		if err := p.CreditRecords.validate(); err != nil {
			return err
		}
	}
	if err := validateEvaluations(p.Evaluations); err != nil {
		return err
	}
	purposes := map[string]bool{}
	for i, r := range p.Eligibility {
		field := fmt.Sprintf("eligibility[%d]", i)
		if err := r.validate(field); err != nil {
			return err
		}
		if err := p.checkIncidentKind(field, r); err != nil {
			return err
		}
		if purposes[r.For] {
			return Invalid(RuleProfile, field+".for", "%s has two rules", r.For)
		}
		purposes[r.For] = true
	}
	if len(p.OpenDataClasses) > 10 {
		return Invalid(RuleProfile, "openDataClasses", "at most 10 classes")
	}
	if err := validateOpenDataClasses(p.OpenDataClasses); err != nil {
		return err
	}
	if err := p.Pricing.validate(); err != nil {
		return err
	}
	return nil
}

//go:embed profiles.json
var profilesJSON []byte

// BuiltinProfiles returns the profiles of the five regulations (GX, ZW, GD,
// NS, HB) by name.
func BuiltinProfiles() map[string]Profile {
	var f struct{ Profiles []Profile }
	if err := json.Unmarshal(profilesJSON, &f); err != nil {
		panic("domain: profiles.json: " + err.Error())
	}
	m := map[string]Profile{}
	for _, p := range f.Profiles {
		m[p.Name] = p
	}
	return m
}

// BuiltinProfileNames lists the built-in profile names, sorted.
func BuiltinProfileNames() []string { return sortedKeys(BuiltinProfiles()) }

// ProfileRecord is a channel's profile in force, with its change stamp;
// every earlier version stays in the key's history.
type ProfileRecord struct {
	Channel string  `json:"channel"`
	Profile Profile `json:"profile"`
	Version int     `json:"version"`
	Last    Change  `json:"last"`
}

// SetProfile decides a policy change: only the channel's data authority, a
// valid profile, and a reason for every change after the first.
func SetProfile(j *Jurisdiction, current *ProfileRecord, p Profile, reason string, c Change) (*ProfileRecord, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	version := 1
	if current != nil {
		version = current.Version + 1
		if err := ValidateText("reason", reason, MaxReason); err != nil {
			return nil, err
		}
	} else if reason != "" {
		if err := ValidateText("reason", reason, MaxReason); err != nil {
			return nil, err
		}
	}
	c.Action, c.Reason = "set-profile", reason
	if current == nil {
		c.Action = "adopt-profile"
	}
	return &ProfileRecord{Channel: j.Channel, Profile: p, Version: version, Last: c}, nil
}

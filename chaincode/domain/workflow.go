package domain

import (
	"fmt"
	"sort"
	"time"
)

// PrefixApplication numbers applications: scenario authorization (GX
// 12), catalog authorization (GX 10), onboarding (ZW 18, NS 18), renewal
// (NS 15) and data-quality requests (HB 25), told apart by their Kind.
const PrefixApplication = "SA"

// The kinds of application.
const (
	KindScenario = "scenario" // 场景授权 (GX 12): the whole workflow to a registered product ("" reads as scenario)
	KindCatalog  = "catalog"  // 目录授权 (GX 10): 受理审核 within the profile's working days, then the catalog agreement and its credential
	// KindOnboarding: a 数商's 进驻申请 (ZW 18, NS 18): registered or
	// refused, with reasons, within the profile's working days; it may
	// later exit (退出).
	KindOnboarding = "onboarding"
	// KindRenewal: the grantee of an agreement applies again in the
	// months before it expires (NS 15); the new agreement names it.
	KindRenewal = "renewal"
	// KindQuality: a 数据治理校核需求 to a data provider (HB 25), answered
	// within the profile's working days, then resolved by the date the
	// answer set.
	KindQuality = "quality"
)

// Stages of a scenario-authorization application (GX 12): each is reached
// by a recorded decision; a step out of order is refused naming the stage
// it needs.
const (
	StageApplied             = "applied"              // awaiting preliminary review (初审)
	StageCorrection          = "correction_requested" // 初审 asked, once, for supplementary materials (一次性告知补正): the applicant's turn
	StagePreliminaryApproved = "preliminary_approved" // awaiting compliance review (复审)
	StageComplianceApproved  = "compliance_approved"  // awaiting the filed scenario agreement
	StageAgreementFiled      = "agreement_filed"      // development may start
	StageDeveloping          = "developing"
	StageProductSubmitted    = "product_submitted" // the developed product awaits its evaluation (GD 26: 评估审核, in the profile's productReviewWorkingDays)
	StageVerified            = "verified"          // consistency verification (一致性验证) passed
	StageInNotice            = "in_notice"         // public notice (公示)
	StageRegistered          = "registered"
	StageRejected            = "rejected"
	StageCatalogApproved     = "catalog_approved"      // a catalog application passed its review (GX 10(2)): the applicant may see the catalog and sign the catalog agreement
	StageOnboarded           = "onboarded"             // 予以注册 (ZW 18): the 数商 is on the platform
	StageExited              = "exited"                // 退出 (ZW 18, NS 18): it left the platform
	StageRenewalApproved     = "renewal_approved"      // the renewal may be signed (NS 15)
	StageRenewed             = "renewed"               // the new agreement names the application and the agreement it renews
	StageQualityConfirmed    = "quality_confirmed"     // the data provider confirmed the problem and set the date to resolve it by (HB 25)
	StageQualityNotConfirmed = "quality_not_confirmed" // the data provider found no problem, with reasons
	StageQualityResolved     = "quality_resolved"      // the problem was resolved
)

// Closed tells whether the application awaits nothing more: decided,
// registered, or at the end of its kind's path (an onboarded 数商 awaits
// nothing; it may still exit).
func (a *Application) Closed() bool {
	switch a.Stage {
	case StageRegistered, StageRejected, StageCatalogApproved, StageOnboarded, StageExited, StageRenewed, StageQualityNotConfirmed, StageQualityResolved:
		return true
	}
	return false
}

// Decisions recorded on steps.
const (
	DecisionApproved       = "approved"
	DecisionRejected       = "rejected"
	DecisionDeemedApproved = "deemed_approved" // ZW 21: silence past the deadline
	DecisionDone           = "done"
	// DecisionCorrection: the 初审 tells the applicant, once, every
	// material to supplement (一次性告知, GX 10(2), 12(2)); its reasons
	// name them.
	DecisionCorrection = "correction"
)

// Workflow rule codes.
const (
	RuleStep            = "DL-STEP" // a step out of order
	RuleApplication     = "DL-APPLICATION"
	RuleReasons         = "DL-REASONS" // ZW 21: a rejection carries reasons
	RuleReviewer        = "DL-REVIEWER"
	RuleSelfDealing     = "DL-SELF-DEALING" // GX 7(8), GD 25
	RuleNoticeRunning   = "DL-NOTICE"
	RuleApplicationUniq = "DL-APPLICATION-UNIQUE"
	RuleCorrection      = "DL-CORRECTION" // 一次性告知: one request for correction per application
	RuleOwnApplication  = "DL-OWN-APPLICATION"
)

// ReviewerAgency names the implementing agency among compliance reviewers.
const ReviewerAgency = "agency"

// ApplicationInput is an application: a scenario authorization's (the
// product's fields) or a catalog authorization's (Kind catalog: its
// scope, the catalog resources and the digest of its materials).
type ApplicationInput struct {
	Number              string   `json:"number"`
	Kind                string   `json:"kind,omitempty"` // KindScenario (""), KindCatalog, KindOnboarding, KindRenewal or KindQuality
	ApplicantCreditCode string   `json:"applicantCreditCode"`
	ProductName         string   `json:"productName"`
	ProductType         string   `json:"productType"`
	Scenario            string   `json:"scenario"`
	ResourceIDs         []string `json:"resourceIds"`   // registered data resources it uses (GD 27)
	DataProviders       []string `json:"dataProviders"` // credit codes: each reviews (复审)
	UsesNonPublicData   bool     `json:"usesNonPublicData"`
	CrossRegion         bool     `json:"crossRegion"`     // reviewed a level up
	RedevelopedFrom     []string `json:"redevelopedFrom"` // 登记号 of the products it builds on
	DesignDigest        string   `json:"designDigest"`    // SM3 of the product design
	// Scope is what a catalog authorization is asked for (授权范围).
	Scope string `json:"scope,omitempty"`
	// MaterialsDigest is the SM3 digest of the application's materials:
	// a catalog application's (GX 10(1), 附件3), an onboarding's or a
	// renewal's; a quality request's evidence.
	MaterialsDigest string `json:"materialsDigest,omitempty"`
	// Previous is the applicant's refused onboarding application this one
	// files again (onboarding only).
	Previous string `json:"previous,omitempty"`
	// Renews is the number of the agreement a renewal applies to renew.
	Renews string `json:"renews,omitempty"`
	// Problem is the data-quality problem a quality request reports.
	Problem string `json:"problem,omitempty"`
}

// IsCatalog tells a catalog authorization's application.
func (in ApplicationInput) IsCatalog() bool { return in.Kind == KindCatalog }

// reviewDays is the working days its (first) review has: the catalog
// review's, the onboarding check's, the quality request's answer or the
// 初审's (a renewal's review has no figure in NS 15).
func (in ApplicationInput) reviewDays(p Profile) int {
	switch in.Kind {
	case KindCatalog:
		return p.CatalogReviewWorkingDays
	case KindOnboarding:
		return p.OnboardingReviewWorkingDays
	case KindQuality:
		return p.QualityFeedbackWorkingDays
	case KindRenewal:
		return 0
	}
	return p.PreliminaryReviewWorkingDays
}

// Resubmission is the applicant's answer to a request for correction:
// the SM3 digest of the supplementary materials and, when the design
// changed with them, the new design's digest.
type Resubmission struct {
	MaterialsDigest string `json:"materialsDigest"`
	DesignDigest    string `json:"designDigest,omitempty"`
	Note            string `json:"note,omitempty"`
}

// Step is one recorded decision of the workflow.
type Step struct {
	Step      string `json:"step"`
	Decision  string `json:"decision"`
	Reviewer  string `json:"reviewer,omitempty"`
	Reasons   string `json:"reasons,omitempty"`
	Actor     Actor  `json:"actor"`
	TxID      string `json:"txId"`
	Time      string `json:"time"`      // the transaction that recorded it
	Effective string `json:"effective"` // when it took effect (a deemed approval: its deadline)
	Late      bool   `json:"late,omitempty"`
}

// Application is the ledger record of a scenario application.
type Application struct {
	ApplicationInput
	Stage               string            `json:"stage"`
	AppliedOn           string            `json:"appliedOn"`
	PreliminaryDeadline string            `json:"preliminaryDeadline,omitempty"`
	ComplianceDeadline  string            `json:"complianceDeadline,omitempty"` // silence = approval after it (ZW 21)
	ComplianceExtended  bool              `json:"complianceExtended,omitempty"`
	Reviews             map[string]string `json:"reviews,omitempty"` // reviewer → decision
	AgreementNumber     string            `json:"agreementNumber,omitempty"`
	ProductDigest       string            `json:"productDigest,omitempty"`
	// ProductReviewDeadline is the day the submitted product's evaluation
	// is due by (GD 26: 10 working days), where the profile sets one;
	// ProductReviewDueNote says when it was counted without the calendar
	// of the year it reaches (at the latest it could be).
	ProductReviewDeadline string `json:"productReviewDeadline,omitempty"`
	ProductReviewDueNote  string `json:"productReviewDueNote,omitempty"`
	ChangeNote            string `json:"changeNote,omitempty"`
	NoticeEnds            string `json:"noticeEnds,omitempty"` // RFC 3339
	OpenObjections        int    `json:"openObjections"`
	RegistrationNumber    string `json:"registrationNumber,omitempty"`
	// SupplementDigest is the SM3 digest of the supplementary materials
	// the applicant resubmitted after a request for correction.
	SupplementDigest string `json:"supplementDigest,omitempty"`
	// ResolveBy is the date a confirmed quality problem is to be resolved
	// by (HB 25: 按时限处理), set by the data provider's answer.
	ResolveBy string `json:"resolveBy,omitempty"`
	// ResolutionDigest is the SM3 digest of the quality problem's
	// resolution (the corrected data's or its report's).
	ResolutionDigest string `json:"resolutionDigest,omitempty"`
	Steps            []Step `json:"steps"`
	Last             Change `json:"last"`
	Version          int    `json:"version"`
}

func stepAt(c Change, step, decision, reasons string) Step {
	return Step{Step: step, Decision: decision, Reasons: reasons, Actor: c.Actor, TxID: c.TxID, Time: c.Time, Effective: c.Time}
}

func (a *Application) next(c Change, stage string, s Step) *Application {
	n := *a
	n.Steps = append(append([]Step(nil), a.Steps...), s)
	n.Reviews = copyMap(a.Reviews)
	n.Stage, n.Version = stage, a.Version+1
	c.Action = s.Step
	n.Last = c
	return &n
}

func copyMap(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func needStage(a *Application, step string, stages ...string) error {
	if a == nil {
		return NotFound(RuleApplication, "number", "no such application")
	}
	for _, s := range stages {
		if a.Stage == s {
			return nil
		}
	}
	return Conflict(RuleStep, "stage", "%s needs the application at stage %v; it is at %s", step, stages, a.Stage)
}

// complianceDeadlineEnd is the instant the compliance review's deadline
// day ends (CST).
func (a *Application) complianceDeadlineEnd() (time.Time, bool) {
	if a.ComplianceDeadline == "" || a.ComplianceExtended || a.Stage != StagePreliminaryApproved {
		return time.Time{}, false
	}
	d, err := time.ParseInLocation(time.DateOnly, a.ComplianceDeadline, CST)
	if err != nil {
		return time.Time{}, false
	}
	return d.AddDate(0, 0, 1), true
}

// Effective is the application as it stands at t: ZW 21 — a review not
// decided by its deadline, with no extension filed, counts as approved
// from the deadline. Queries show this; the next transaction on the record
// materializes it (Materialize).
func (a *Application) Effective(t time.Time) *Application {
	end, ok := a.complianceDeadlineEnd()
	if !ok || t.Before(end) {
		return a
	}
	n := *a
	n.Steps = append(append([]Step(nil), a.Steps...), Step{
		Step: "compliance_review", Decision: DecisionDeemedApproved,
		Reasons:   fmt.Sprintf("not decided by %s and no extension filed: counts as approved (视为同意)", a.ComplianceDeadline),
		Effective: end.UTC().Format(time.RFC3339),
	})
	n.Stage = StageComplianceApproved
	return &n
}

// Materialize records a deemed approval in the transaction c that first
// touches the record after the deadline; the step keeps the deadline as
// its effective time.
func (a *Application) Materialize(t time.Time, c Change) *Application {
	e := a.Effective(t)
	if e == a {
		return a
	}
	s := &e.Steps[len(e.Steps)-1]
	s.Actor, s.TxID, s.Time = c.Actor, c.TxID, c.Time
	e.Version = a.Version + 1
	return e
}

// ApplyInput is what an application is decided on.
type ApplyInput struct {
	In          ApplicationInput
	Existing    *Application
	Applicant   *Party
	Providers   map[string]*Party            // by credit code
	SourceCerts map[string]*CertificateEntry // by 登记号 (RedevelopedFrom), from the registry's trees
	Previous    *Application                 // onboarding: the refused application it files again
	Renews      *Grant                       // renewal: the agreement to renew, in the applicant's facts (nil: not granted to it)
	Successor   *Grant                       // renewal: the agreement that renewed it before, if any
	Onboarding  *Application                 // onboarding: the applicant's latest onboarding, if any
}

// Apply records an application of its kind (GX 12(1), GX 10(1), ZW 18,
// NS 15, HB 25), its first review's deadline from the profile.
func Apply(j *Jurisdiction, p Profile, cals Calendars, x ApplyInput, now time.Time, c Change) (*Application, error) {
	in := x.In
	if err := MayApply(j, c.Actor, in.ApplicantCreditCode); err != nil {
		return nil, err
	}
	if err := j.numberedNow(in.Number, PrefixApplication, now); err != nil {
		return nil, err
	}
	if x.Existing != nil { // nothing of the record: the caller may not be its applicant
		return nil, Conflict(RuleApplicationUniq, "number", "application number %s is taken: number it afresh", in.Number)
	}
	if x.Applicant == nil {
		return nil, NotFound(RulePartyExists, "applicantCreditCode", "%s is not a registered party on channel %s", in.ApplicantCreditCode, j.Channel)
	}
	if x.Applicant.Status != PartyActive || (x.Applicant.Role != PartyEnterprise && x.Applicant.Role != PartyOperator) {
		return nil, Invalid(RuleApplication, "applicantCreditCode", "the applicant must be an active enterprise or operator; %s is a %s %s", in.ApplicantCreditCode, x.Applicant.Status, x.Applicant.Role)
	}
	check, ok := applicationChecks[in.Kind]
	if !ok {
		return nil, Invalid(RuleApplication, "kind", "%q is not scenario, catalog, onboarding, renewal or quality", truncate(in.Kind, 32))
	}
	if err := check(j, p, x, now); err != nil {
		return nil, err
	}
	if in.Kind != KindOnboarding && in.Previous != "" {
		return nil, Invalid(RuleApplication, "previous", "previous names a refused onboarding application (kind onboarding)")
	}
	if in.Kind != KindRenewal && in.Renews != "" {
		return nil, Invalid(RuleApplication, "renews", "renews names the agreement a renewal (kind renewal) renews")
	}
	if in.Kind != KindQuality && in.Problem != "" {
		return nil, Invalid(RuleApplication, "problem", "problem is a data-quality request's (kind quality)")
	}
	today := DateOf(now)
	a := &Application{ApplicationInput: in, Stage: StageApplied, AppliedOn: today.Format(time.DateOnly), Reviews: map[string]string{}, Version: 1}
	if n := in.reviewDays(p); n > 0 {
		d, err := cals.AddWorkingDays(today, n)
		if err != nil {
			return nil, err
		}
		a.PreliminaryDeadline = d.Format(time.DateOnly)
	}
	c.Action = "apply"
	a.Steps = []Step{stepAt(c, "apply", DecisionDone, "")}
	a.Last = c
	return a, nil
}

// applicationChecks check an application of each kind before it is
// recorded.
var applicationChecks = map[string]func(j *Jurisdiction, p Profile, x ApplyInput, now time.Time) error{
	"":           checkScenarioApplication,
	KindScenario: checkScenarioApplication,
	KindCatalog: func(_ *Jurisdiction, _ Profile, x ApplyInput, _ time.Time) error {
		return checkCatalogApplication(x.In)
	},
	KindOnboarding: checkOnboarding,
	KindRenewal:    checkRenewal,
	KindQuality:    checkQualityRequest,
}

// checkScenarioApplication checks a scenario application's product,
// resources, data providers and the products it re-develops.
func checkScenarioApplication(j *Jurisdiction, p Profile, x ApplyInput, _ time.Time) error {
	in := x.In
	for _, f := range []struct{ field, v string }{{"productName", in.ProductName}, {"scenario", in.Scenario}} {
		if err := ValidateText(f.field, f.v, 2000); err != nil {
			return err
		}
	}
	if _, ok := ProductTypes[in.ProductType]; !ok {
		return Invalid(RuleApplication, "productType", "%q is not one of dataset, model, api, report, service, other", truncate(in.ProductType, 32))
	}
	if !digestRE.MatchString(in.DesignDigest) {
		return Invalid(RuleDigest, "designDigest", "must be the SM3 digest of the product design: 64 lowercase hex characters")
	}
	v := validator{}
	v.list("resourceIds", in.ResourceIDs, idPattern)
	v.list("dataProviders", in.DataProviders, idPattern)
	v.list("redevelopedFrom", in.RedevelopedFrom, idPattern)
	if v.err != nil {
		return v.err
	}
	if len(in.ResourceIDs) == 0 {
		return Invalid(RuleApplication, "resourceIds", "name the registered data resources the product uses (GD 27)")
	}
	for i, code := range in.DataProviders {
		dp := x.Providers[code]
		if dp == nil || dp.Role != PartyDataProvider || dp.Status != PartyActive {
			return Invalid(RuleReviewer, fmt.Sprintf("dataProviders[%d]", i), "%s is not an active registered data provider", code)
		}
	}
	for i, n := range in.RedevelopedFrom {
		src := x.SourceCerts[n]
		if src == nil {
			return NotFound(RuleApplication, fmt.Sprintf("redevelopedFrom[%d]", i), "no registered product %s on channel %s", n, j.Channel)
		}
		// GX 7(8), GD 25: the operator takes no part, directly or
		// indirectly, in re-developing products it delivered.
		if x.Applicant.Role == PartyOperator && src.EnterpriseCreditCode == in.ApplicantCreditCode {
			return Forbidden(p.Cite("selfDealing", RuleSelfDealing), fmt.Sprintf("redevelopedFrom[%d]", i),
				"operator %s delivered %s and may not re-develop it", in.ApplicantCreditCode, n)
		}
	}
	if in.Scope != "" {
		return Invalid(RuleApplication, "scope", "a scope is a catalog application's (kind catalog)")
	}
	if in.MaterialsDigest != "" {
		return Invalid(RuleApplication, "materialsDigest", "materialsDigest is a catalog application's (kind catalog): a scenario application's materials are its design (designDigest)")
	}
	return nil
}

// checkCatalogApplication checks a catalog application: its scope, the
// catalog resources it asks for and its materials' digest; it names no
// product.
func checkCatalogApplication(in ApplicationInput) error {
	if err := ValidateText("scope", in.Scope, 2000); err != nil { // required: the 授权范围 it asks for
		return err
	}
	if err := requireResources(in.ResourceIDs, "name the catalog's data resources asked for"); err != nil {
		return err
	}
	if !digestRE.MatchString(in.MaterialsDigest) {
		return Invalid(RuleDigest, "materialsDigest", "must be the SM3 digest of the application's materials: 64 lowercase hex characters")
	}
	return namesNoProduct(in, "a catalog application", true)
}

// requireResources checks the data resources an application names: at
// least one (missing says what to name), each an identifier.
func requireResources(ids []string, missing string) error {
	v := validator{}
	v.list("resourceIds", ids, idPattern)
	if v.err != nil {
		return v.err
	}
	if len(ids) == 0 {
		return Invalid(RuleApplication, "resourceIds", "%s", missing)
	}
	return nil
}

// namesNoProduct refuses the product's fields on an application of
// another kind (what names: the kind, in words); providers says whether
// dataProviders is one of them.
func namesNoProduct(in ApplicationInput, what string, providers bool) error {
	for _, f := range []struct {
		field string
		set   bool
	}{{"productName", in.ProductName != ""}, {"productType", in.ProductType != ""}, {"scenario", in.Scenario != ""}, {"dataProviders", providers && len(in.DataProviders) > 0},
		{"redevelopedFrom", len(in.RedevelopedFrom) > 0}, {"designDigest", in.DesignDigest != ""}, {"usesNonPublicData", in.UsesNonPublicData}, {"crossRegion", in.CrossRegion}} {
		if f.set {
			return Invalid(RuleApplication, f.field, "%s names no product: %s is a scenario application's", what, f.field)
		}
	}
	return nil
}

func requireReasons(decision, reasons string) error {
	switch decision {
	case DecisionApproved:
		if reasons == "" {
			return nil
		}
	case DecisionRejected:
		if reasons == "" {
			return Invalid(RuleReasons, "reasons", "a rejection must carry its reasons (ZW 21)")
		}
	default:
		return Invalid(RuleStep, "decision", "%q is not approved or rejected", truncate(decision, 32))
	}
	return ValidateText("reasons", reasons, MaxReason)
}

// applicantOrRegistrar: an enterprise files and corrects its own
// application with its own identity (GX 10(1), 12(1): 申请主体 apply
// through the platform, so the identity is one the channel's authority
// organization issued: another member's CA could write any credit code
// into a certificate); otherwise the channel's registrar records it for
// the applicant. applicant is "" when there is no such application: an
// enterprise is then refused as for another's, so it learns nothing of
// what exists.
func applicantOrRegistrar(j *Jurisdiction, a Actor, applicant, doing string) error {
	if a.Role != RoleEnterprise {
		return registrar.check(j, a, doing)
	}
	if a.MSP != j.AuthorityMSP {
		return Forbidden(RuleOwnApplication, "caller", "an enterprise acts through the platform of channel %s (%s): its identity is issued by %s, not %s", j.Channel, doing, j.AuthorityMSP, a.MSP)
	}
	if applicant == "" || a.CreditCode != applicant {
		return Forbidden(RuleOwnApplication, "applicantCreditCode", "enterprise %s acts for itself only (%s): the record is another party's", a.CreditCode, doing)
	}
	return nil
}

// MayApply is Apply's first question, which the adapter asks before it
// reads the applicant's facts: the enterprise itself files, or the
// registrar for it.
func MayApply(j *Jurisdiction, a Actor, applicant string) error {
	return applicantOrRegistrar(j, a, applicant, "recording an application")
}

// PreliminaryReview records the operator's 初审 (GX 12: 3 working days).
// A decision after the deadline is recorded, marked late. An approval opens
// the compliance review and, where the profile says so, its silence
// deadline (ZW 21: 10 working days).
//
// The same step is an onboarding's 核查 (ZW 18: registered or refused) and
// a renewal's review; a renewal is decided by the channel's authority
// (NS 15: 向区公共数据主管部门重新申请), not by an operator that may be the
// grantee itself. A quality request is answered, not reviewed
// (AnswerQualityRequest).
func PreliminaryReview(j *Jurisdiction, p Profile, cals Calendars, a *Application, decision, reasons string, now time.Time, c Change) (*Application, error) {
	if a != nil && a.Kind == KindRenewal {
		if err := authorityOnly.check(j, c.Actor, "the review of a renewal"); err != nil {
			return nil, err
		}
	}
	if a != nil && a.Kind == KindRenewal && a.Stage == StageRenewalApproved {
		// The agreement it renews ended, or another renewal of it was
		// recorded, before this one's new agreement: the authority lets
		// the approval lapse, with reasons, so it does not stay open.
		if decision != DecisionRejected {
			return nil, Conflict(RuleStep, "decision", "renewal %s is approved: its new agreement is recorded (RecordAgreement renewalOf), or the approval lapses (rejected, with reasons)", a.Number)
		}
		if err := requireReasons(decision, reasons); err != nil {
			return nil, err
		}
		return a.next(c, StageRejected, stepAt(c, "renewal_lapsed", decision, reasons)), nil
	}
	if err := needStage(a, "the preliminary review", StageApplied, StageCorrection); err != nil {
		return nil, err
	}
	if a.Kind == KindQuality {
		return nil, Conflict(RuleStep, "number", "%s is a data-quality request: the data provider answers it (AnswerQualityRequest)", a.Number)
	}
	if decision == DecisionCorrection && (a.Kind == KindOnboarding || a.Kind == KindRenewal) {
		return nil, Invalid(RuleStep, "decision", "a request for correction (一次性告知补正, GX 10(2), 12(2)) is a scenario or catalog application's; an %s is approved or refused with reasons", a.Kind)
	}
	// Returned for correction, it awaits the applicant; the review may
	// only reject it (with reasons: the materials never came within the
	// time its notice set), so it does not stay open for ever.
	if a.Stage == StageCorrection && decision != DecisionRejected {
		return nil, Conflict(RuleStep, "decision", "application %s awaits the applicant's supplementary materials: it can only be rejected until they are resubmitted", a.Number)
	}
	if decision == DecisionCorrection {
		if prior := a.correction(); prior != nil {
			return nil, Conflict(RuleCorrection, "decision", "the materials to supplement are told once (一次性告知, GX 10(2)): correction was requested on %s; decide approved or rejected", prior.Time)
		}
		if reasons == "" {
			return nil, Invalid(RuleReasons, "reasons", "a request for correction names every material to supplement (一次性告知, GX 10(2))")
		}
		if err := ValidateText("reasons", reasons, MaxReason); err != nil {
			return nil, err
		}
	} else if err := requireReasons(decision, reasons); err != nil {
		return nil, err
	}
	today := DateOf(now)
	s := stepAt(c, "preliminary_review", decision, reasons)
	s.Late = PastDue(now, a.PreliminaryDeadline)
	switch decision {
	case DecisionRejected:
		return a.next(c, StageRejected, s), nil
	case DecisionCorrection:
		// The review's clock stops: it runs again from the day the
		// materials are resubmitted (the 受理日 of the corrected
		// application).
		n := a.next(c, StageCorrection, s)
		n.PreliminaryDeadline = ""
		return n, nil
	}
	switch a.Kind {
	case KindCatalog:
		return a.next(c, StageCatalogApproved, s), nil // GX 10(2): the applicant may see the catalog and sign its agreement
	case KindOnboarding:
		return a.next(c, StageOnboarded, s), nil // ZW 18: 予以注册
	case KindRenewal:
		return a.next(c, StageRenewalApproved, s), nil // NS 15: the new agreement may be signed
	}
	n := a.next(c, StagePreliminaryApproved, s)
	if days := p.SilenceApprovalWorkingDays; days > 0 {
		d, err := cals.AddWorkingDays(today, days)
		if err != nil {
			return nil, err
		}
		n.ComplianceDeadline = d.Format(time.DateOnly)
	}
	return n, nil
}

// correction is the step that requested correction (nil: none did).
func (a *Application) correction() *Step {
	for i := range a.Steps {
		if a.Steps[i].Decision == DecisionCorrection {
			return &a.Steps[i]
		}
	}
	return nil
}

// Resubmit records the applicant's supplementary materials after a
// request for correction (by the enterprise itself, or the registrar for
// it): the application awaits its 初审 again, with a new deadline from
// today (GX 10(2): 3 working days from the day the materials are
// received).
func Resubmit(j *Jurisdiction, p Profile, cals Calendars, a *Application, in Resubmission, now time.Time, c Change) (*Application, error) {
	applicant := ""
	if a != nil {
		applicant = a.ApplicantCreditCode
	}
	if err := applicantOrRegistrar(j, c.Actor, applicant, "resubmitting an application"); err != nil {
		return nil, err
	}
	if err := needStage(a, "a resubmission", StageCorrection); err != nil {
		return nil, err
	}
	if !digestRE.MatchString(in.MaterialsDigest) {
		return nil, Invalid(RuleDigest, "materialsDigest", "must be the SM3 digest of the supplementary materials: 64 lowercase hex characters")
	}
	if in.DesignDigest != "" && a.IsCatalog() {
		return nil, Invalid(RuleApplication, "designDigest", "a catalog application names no product design")
	}
	if in.DesignDigest != "" && !digestRE.MatchString(in.DesignDigest) {
		return nil, Invalid(RuleDigest, "designDigest", "must be the SM3 digest of the product design: 64 lowercase hex characters")
	}
	if in.Note != "" { // optional
		if err := ValidateText("note", in.Note, MaxReason); err != nil {
			return nil, err
		}
	}
	n := a.next(c, StageApplied, stepAt(c, "resubmit", DecisionDone, in.Note))
	n.SupplementDigest = in.MaterialsDigest
	if in.DesignDigest != "" {
		n.DesignDigest = in.DesignDigest
	}
	if days := a.reviewDays(p); days > 0 {
		d, err := cals.AddWorkingDays(DateOf(now), days)
		if err != nil {
			return nil, err
		}
		n.PreliminaryDeadline = d.Format(time.DateOnly)
	}
	return n, nil
}

// ExtendComplianceReview files an extension: silence no longer counts as
// approval; the review must be decided.
func ExtendComplianceReview(j *Jurisdiction, a *Application, reason string, now time.Time, c Change) (*Application, error) {
	if a != nil {
		a = a.Materialize(now, c)
	}
	if err := needStage(a, "an extension", StagePreliminaryApproved); err != nil {
		return nil, err
	}
	if a.ComplianceExtended {
		return nil, Conflict(RuleStep, "stage", "an extension is already filed")
	}
	if err := ValidateText("reason", reason, MaxReason); err != nil {
		return nil, err
	}
	n := a.next(c, StagePreliminaryApproved, stepAt(c, "extend_compliance_review", DecisionDone, reason))
	n.ComplianceExtended = true
	return n, nil
}

// ComplianceReview records one reviewer's 复审 decision: the implementing
// agency ("agency") and each data provider. Recorded by the channel's
// authority; a cross-region application is decided a level up, by the
// supervising authority the deployment named for the channel (on a city
// channel, the province's) with its authority role — not by any other
// organization whose own CA wrote "authority" into its certificate. All
// approve → compliance approved; any rejection rejects.
func ComplianceReview(j *Jurisdiction, a *Application, reviewer, decision, reasons string, now time.Time, c Change) (*Application, error) {
	if a != nil && a.CrossRegion {
		if err := supervisor.check(j, c.Actor, "reviewing a cross-region application"); err != nil {
			return nil, err
		}
	} else if err := authorityOnly.check(j, c.Actor, "recording a compliance review"); err != nil {
		return nil, err
	}
	if a != nil {
		a = a.Materialize(now, c)
	}
	if err := needStage(a, "the compliance review", StagePreliminaryApproved); err != nil {
		return nil, err
	}
	if reviewer != ReviewerAgency && !contains(a.DataProviders, reviewer) {
		return nil, Invalid(RuleReviewer, "reviewer", "%q is neither %q nor one of the application's data providers %v", truncate(reviewer, 32), ReviewerAgency, a.DataProviders)
	}
	if _, done := a.Reviews[reviewer]; done {
		return nil, Conflict(RuleReviewer, "reviewer", "%s has already decided", reviewer)
	}
	if err := requireReasons(decision, reasons); err != nil {
		return nil, err
	}
	s := stepAt(c, "compliance_review", decision, reasons)
	s.Reviewer = reviewer
	stage := StagePreliminaryApproved
	if decision == DecisionRejected {
		stage = StageRejected
	}
	n := a.next(c, stage, s)
	n.Reviews[reviewer] = decision
	if stage != StageRejected && len(n.Reviews) == len(a.DataProviders)+1 {
		n.Stage = StageComplianceApproved
	}
	return n, nil
}

// AttachAgreement links the filed scenario agreement (GX 12(3)).
// ag is the agreement among the applicant's grants (nil: none granted to
// it).
func AttachAgreement(j *Jurisdiction, a *Application, number string, ag *Grant, now time.Time, c Change) (*Application, error) {
	if a != nil {
		a = a.Materialize(now, c)
	}
	if err := needStage(a, "the scenario agreement", StageComplianceApproved); err != nil {
		return nil, err
	}
	if ag == nil {
		return nil, NotFound(RuleAgreementExists, "agreementNumber", "no agreement %s granted to the applicant %s on channel %s", truncate(number, 40), a.ApplicantCreditCode, j.Channel)
	}
	if ag.Kind != AgreementScenario {
		return nil, Invalid(RuleApplication, "agreementNumber", "%s is a %s agreement; the application needs a scenario agreement with the applicant %s", ag.Number, ag.Kind, a.ApplicantCreditCode)
	}
	if ag.Status != AgreementFiled && ag.Status != AgreementChanged {
		return nil, Conflict(RuleStep, "agreementNumber", "agreement %s is %s; development starts after it is filed (GX 12)", ag.Number, ag.Status)
	}
	n := a.next(c, StageAgreementFiled, stepAt(c, "agreement_filed", DecisionDone, ""))
	n.AgreementNumber = ag.Number
	return n, nil
}

// StartDevelopment records that development started (GX 12(4)).
func StartDevelopment(j *Jurisdiction, a *Application, c Change) (*Application, error) {
	if err := needStage(a, "development", StageAgreementFiled); err != nil {
		return nil, err
	}
	return a.next(c, StageDeveloping, stepAt(c, "development", DecisionDone, "")), nil
}

// SubmitProduct records the developed product submitted for its
// evaluation (GD 26: 对于运营机构开发形成的公共数据产品和服务，实施机构应组织
// 评估审核，评估审核结果应当在10个工作日内出具): its digest and, where the
// profile sets productReviewWorkingDays, the day the evaluation is due by
// (the latest they could end where the calendar of the year they reach is
// not loaded: the submission is never held up).
func SubmitProduct(j *Jurisdiction, p Profile, cals Calendars, a *Application, productDigest string, now time.Time, c Change) (*Application, error) {
	if err := needStage(a, "the product's submission", StageDeveloping); err != nil {
		return nil, err
	}
	if !digestRE.MatchString(productDigest) {
		return nil, Invalid(RuleDigest, "productDigest", "must be the SM3 digest of the product submitted: 64 lowercase hex characters")
	}
	n := a.next(c, StageProductSubmitted, stepAt(c, "product_submission", DecisionDone, ""))
	n.ProductDigest, n.ProductReviewDeadline, n.ProductReviewDueNote = productDigest, "", ""
	if d := p.ProductReviewWorkingDays; d > 0 {
		due, note, err := cals.WorkingDaysOrLatest(DateOf(now), d)
		if err != nil {
			return nil, err
		}
		n.ProductReviewDeadline, n.ProductReviewDueNote = due.Format(time.DateOnly), note
	}
	return n, nil
}

// VerifyConsistency records the consistency verification (一致性验证,
// GX 12(5)) — under a profile with productReviewWorkingDays, the
// evaluation of the product submitted (GD 26), recorded late after its
// deadline: the product's digest (the one submitted); a product that
// differs from its design needs a change note. A failed verification keeps
// it in development.
func VerifyConsistency(j *Jurisdiction, p Profile, a *Application, productDigest string, matchesDesign bool, changeNote, decision, reasons string, now time.Time, c Change) (*Application, error) {
	if err := needStage(a, "the consistency verification", StageDeveloping, StageProductSubmitted); err != nil {
		return nil, err
	}
	if rule := p.Cite("productReview", RuleStep); p.ProductReviewWorkingDays > 0 && a.Stage != StageProductSubmitted {
		return nil, Conflict(rule, "stage", "the product is evaluated once submitted, within %d working days (%s): submit it first", p.ProductReviewWorkingDays, rule)
	}
	if !digestRE.MatchString(productDigest) {
		return nil, Invalid(RuleDigest, "productDigest", "must be the SM3 digest of the product: 64 lowercase hex characters")
	}
	if rule := p.Cite("productReview", RuleReviewer); p.ProductReviewWorkingDays > 0 && c.Actor.Role != RoleAuthority {
		return nil, Forbidden(rule, "caller", "the product is evaluated for the authority (%s: 实施机构应组织评估审核), not by its %s: caller is %s with role %q", rule, c.Actor.Role, c.Actor.MSP, c.Actor.Role)
	}
	if a.Stage == StageProductSubmitted && productDigest != a.ProductDigest {
		return nil, Invalid(RuleApplication, "productDigest", "the product evaluated is the one submitted (%s…): submit this one again after the verification", a.ProductDigest[:12])
	}
	if err := requireReasons(decision, reasons); err != nil {
		return nil, err
	}
	if !matchesDesign {
		if err := ValidateText("changeNote", changeNote, MaxReason); err != nil {
			return nil, Invalid(RuleApplication, "changeNote", "the product differs from its design: a change note is required (GX 12(5))")
		}
	}
	stage := StageVerified
	if decision == DecisionRejected {
		stage = StageDeveloping
	}
	st := stepAt(c, "consistency_verification", decision, reasons)
	st.Late = a.Stage == StageProductSubmitted && a.ProductReviewDeadline != "" && DateOf(now).Format(time.DateOnly) > a.ProductReviewDeadline
	n := a.next(c, stage, st)
	n.ProductDigest, n.ChangeNote = productDigest, changeNote
	return n, nil
}

// NoticeRequired tells whether registration waits for a public notice:
// non-public data was used and the profile sets a notice period (GX 12(6)).
func (a *Application) NoticeRequired(p Profile) bool {
	return a.UsesNonPublicData && p.PublicNoticeNaturalDays > 0
}

// StartPublicNotice opens the public notice (GX 12(6): 10 natural days).
func StartPublicNotice(j *Jurisdiction, p Profile, a *Application, now time.Time, c Change) (*Application, error) {
	if err := needStage(a, "the public notice", StageVerified); err != nil {
		return nil, err
	}
	if !a.NoticeRequired(p) {
		return nil, Conflict(RuleNoticeRunning, "stage", "no public notice is required: non-public data was not used or the %s profile sets no notice period", p.Name)
	}
	n := a.next(c, StageInNotice, stepAt(c, "public_notice", DecisionDone, ""))
	n.NoticeEnds = now.AddDate(0, 0, p.PublicNoticeNaturalDays).UTC().Format(time.RFC3339)
	return n, nil
}

// ReadyToRegister refuses unless the product may be registered now: a
// passed consistency verification and, when a notice is required, a notice
// that ended with no open and no upheld objection (GX 12(7)).
func (a *Application) ReadyToRegister(p Profile, now time.Time) error {
	if a.NoticeRequired(p) {
		if err := needStage(a, "registration", StageInNotice); err != nil {
			return err
		}
		ends, _ := time.Parse(time.RFC3339, a.NoticeEnds)
		if now.Before(ends) {
			return Conflict(p.Cite("publicNotice", RuleNoticeRunning), "stage", "the public notice runs until %s", a.NoticeEnds)
		}
	} else if err := needStage(a, "registration", StageVerified); err != nil {
		return err
	}
	if a.OpenObjections > 0 {
		return Conflict(p.Cite("objection", RuleObjection), "stage", "%d objection(s) are open", a.OpenObjections)
	}
	return nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

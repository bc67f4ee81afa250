package domain

import (
	"time"
)

// An enterprise's other applications: onboarding (ZW 18, NS 18), renewal
// (NS 15) and data-quality requests (HB 25). Each is an Application of its
// Kind: filed by Apply (the enterprise itself or the registrar for it),
// numbered, indexed, proven and notified like the others.

// Rule codes of these applications (profile rules cite their article).
const (
	RuleRenewal = "DL-RENEWAL" // a renewal of an agreement ended, already renewed (by an agreement in force), outside its window; a new agreement of another kind, parties or start
	RuleQuality = "DL-QUALITY" // a quality request's answer or resolution
)

// Decisions of a data provider's answer to a quality request (HB 25).
const (
	DecisionConfirmed    = "confirmed"     // the problem is real: resolved by the date the answer sets
	DecisionNotConfirmed = "not_confirmed" // no problem found, with reasons
)

// refuseScope refuses a scope on an application of a kind that asks for
// none (only a catalog application names its 授权范围).
func refuseScope(in ApplicationInput) error {
	if in.Scope != "" {
		return Invalid(RuleApplication, "scope", "a scope is a catalog application's (kind catalog)")
	}
	return nil
}

// checkOnboarding checks a 数商's 进驻申请 (ZW 18, NS 18): an enterprise,
// the digest of its materials, no product; filed again after a refusal,
// it names the refused application (the same applicant's).
func checkOnboarding(j *Jurisdiction, _ Profile, x ApplyInput, _ time.Time) error {
	in := x.In
	if x.Applicant.Role != PartyEnterprise {
		return Invalid(RuleApplication, "applicantCreditCode", "a 数商 onboards (ZW 18): %s is a %s", in.ApplicantCreditCode, x.Applicant.Role)
	}
	if !digestRE.MatchString(in.MaterialsDigest) {
		return Invalid(RuleDigest, "materialsDigest", "must be the SM3 digest of the onboarding materials (进驻申请材料): 64 lowercase hex characters")
	}
	if err := refuseScope(in); err != nil {
		return err
	}
	if len(in.ResourceIDs) > 0 {
		return Invalid(RuleApplication, "resourceIds", "an onboarding asks for no data resources")
	}
	if err := namesNoProduct(in, "an onboarding", true); err != nil {
		return err
	}
	if h := x.Onboarding; h != nil && h.Stage != StageRejected && h.Stage != StageExited {
		return Conflict(RuleApplicationUniq, "applicantCreditCode", "%s's onboarding %s is %s: one is pending or in force at a time", in.ApplicantCreditCode, h.Number, h.Stage)
	}
	if in.Previous == "" {
		return nil
	}
	prev := x.Previous
	if prev == nil || prev.ApplicantCreditCode != in.ApplicantCreditCode {
		// another's application answers as a missing one: nothing leaks
		return NotFound(RuleApplication, "previous", "%s is not an onboarding application of %s on channel %s", truncate(in.Previous, 40), in.ApplicantCreditCode, j.Channel)
	}
	if prev.Kind != KindOnboarding || prev.Stage != StageRejected {
		return Conflict(RuleApplication, "previous", "%s is a %s application at stage %s: an onboarding is filed again after a refusal", prev.Number, prev.Kind, prev.Stage)
	}
	return nil
}

// ExitOnboarding records a 数商's exit from the platform (退出, ZW 18, NS
// 18): by the enterprise itself or the registrar, with its reason. The
// record on the authority's channel is the exit's 备案.
func ExitOnboarding(j *Jurisdiction, a *Application, reason string, c Change) (*Application, error) {
	applicant := ""
	if a != nil && a.Kind == KindOnboarding {
		applicant = a.ApplicantCreditCode
	}
	if err := applicantOrRegistrar(j, c.Actor, applicant, "recording an exit"); err != nil {
		return nil, err
	}
	if a == nil || a.Kind != KindOnboarding {
		return nil, NotFound(RuleApplication, "number", "no onboarding application with this number on channel %s", j.Channel)
	}
	if err := needStage(a, "an exit", StageOnboarded); err != nil {
		return nil, err
	}
	if err := ValidateText("reason", reason, MaxReason); err != nil {
		return nil, err
	}
	return a.next(c, StageExited, stepAt(c, "exit", DecisionDone, reason)), nil
}

// checkRenewal checks a renewal (NS 15): the applicant is the grantee of
// the agreement it renews, which is in force and (where the profile sets
// a window) within its last renewalWindowMonths.
func checkRenewal(j *Jurisdiction, p Profile, x ApplyInput, now time.Time) error {
	in := x.In
	if !digestRE.MatchString(in.MaterialsDigest) {
		return Invalid(RuleDigest, "materialsDigest", "must be the SM3 digest of the renewal's materials: 64 lowercase hex characters")
	}
	if err := refuseScope(in); err != nil {
		return err
	}
	if len(in.ResourceIDs) > 0 {
		return Invalid(RuleApplication, "resourceIds", "a renewal asks for the agreement's own scope: the new agreement states it")
	}
	if err := namesNoProduct(in, "a renewal", true); err != nil {
		return err
	}
	if _, err := ParseNumber("renews", in.Renews, PrefixAgreement); err != nil {
		return err
	}
	ag := x.Renews
	if ag == nil {
		// another's agreement answers as a missing one: nothing leaks
		return NotFound(RuleAgreementExists, "renews", "%s is not an agreement granted to %s on channel %s", in.Renews, in.ApplicantCreditCode, j.Channel)
	}
	if !Authorizes(ag.Kind) {
		return Invalid(RuleRenewal, "renews", "%s is a %s agreement: a renewal renews an authorization (operation, catalog or scenario)", ag.Number, ag.Kind)
	}
	if ag.Ended() {
		return Conflict(RuleRenewal, "renews", "agreement %s is %s: an ended authorization is applied for anew, not renewed", ag.Number, ag.Status)
	}
	if x.Successor != nil && !x.Successor.Ended() {
		return Conflict(RuleRenewal, "renews", "agreement %s is already renewed by %s", ag.Number, ag.RenewedBy)
	}
	end, err := ParseDate("termEnd", ag.TermEnd)
	if err != nil {
		return err
	}
	today := DateOf(now)
	if today.After(end) {
		return Conflict(p.Cite("renewal", RuleRenewal), "renews", "agreement %s expired on %s: renew before it expires", ag.Number, ag.TermEnd)
	}
	if m := p.RenewalWindowMonths; m > 0 {
		if opens := MonthsBefore(end, m); today.Before(opens) {
			return Conflict(p.Cite("renewal", RuleRenewal), "renews", "agreement %s expires on %s: the %s profile lets its grantee apply again in the %d months before (from %s)",
				ag.Number, ag.TermEnd, p.Name, m, opens.Format(time.DateOnly))
		}
	}
	return nil
}

// Renewal decides the agreement ag that answers an approved renewal a
// (NS 15): it renews the application's agreement old, of the same kind and
// between the same parties, which has neither ended nor been renewed
// since. It answers the agreement naming the one it renews, the
// application, renewed, naming the new agreement, and the old agreement
// naming its successor: each readable from the other.
//
// successor is the agreement that renewed old before (nil: none): one
// that has since ended (a record revoked as wrong) no longer stands in the
// way.
func Renewal(j *Jurisdiction, ag *Agreement, a *Application, old, successor *Agreement, c Change) (*Agreement, *Application, *Agreement, error) {
	if a == nil || a.Kind != KindRenewal {
		return nil, nil, nil, NotFound(RuleApplication, "renewalOf", "no renewal application %s on channel %s", truncate(ag.RenewalOf, 40), j.Channel)
	}
	if err := needStage(a, "the renewed agreement", StageRenewalApproved); err != nil {
		return nil, nil, nil, err
	}
	if old == nil {
		return nil, nil, nil, NotFound(RuleAgreementExists, "renewalOf", "agreement %s is not on channel %s", a.Renews, j.Channel)
	}
	if old.Ended() {
		return nil, nil, nil, Conflict(RuleRenewal, "renewalOf", "agreement %s was %s after the renewal was approved: it is not renewed", old.Number, old.Status)
	}
	if successor != nil && !successor.Ended() {
		return nil, nil, nil, Conflict(RuleRenewal, "renewalOf", "agreement %s is already renewed by %s: let this approval lapse (preliminary review, rejected)", old.Number, old.RenewedBy)
	}
	if ag.Kind != old.Kind || ag.GrantorCreditCode != old.GrantorCreditCode || ag.GranteeCreditCode != old.GranteeCreditCode {
		return nil, nil, nil, Invalid(RuleRenewal, "renewalOf", "%s renews %s, a %s agreement of %s to %s: this one is %s of %s to %s",
			a.Number, old.Number, old.Kind, old.GrantorCreditCode, old.GranteeCreditCode, ag.Kind, ag.GrantorCreditCode, ag.GranteeCreditCode)
	}
	// Both are checked dates (YYYY-MM-DD). The terms may overlap: a
	// renewal signed before the old term ends may start at once.
	if ag.TermStart <= old.TermStart {
		return nil, nil, nil, Invalid(RuleRenewal, "termStart", "the renewal's term starts %s, not after the start of the term it renews (%s)", ag.TermStart, old.TermStart)
	}
	n := a.next(c, StageRenewed, stepAt(c, "renewed", DecisionDone, ""))
	n.AgreementNumber = ag.Number
	renewed := *ag
	renewed.Renews = old.Number
	prior := *old
	c.Action, c.Reason = "renewed", "renewed by "+ag.Number+" ("+a.Number+")"
	prior.RenewedBy, prior.Last, prior.Version = ag.Number, c, old.Version+1
	return &renewed, n, &prior, nil
}

// checkQualityRequest checks a 数据治理校核需求 (HB 25): by an operator or
// a product developer, to one registered data provider, about data
// resources it names, with the problem in words.
func checkQualityRequest(j *Jurisdiction, _ Profile, x ApplyInput, _ time.Time) error {
	in := x.In
	if err := ValidateText("problem", in.Problem, 2000); err != nil {
		return err
	}
	if in.MaterialsDigest != "" && !digestRE.MatchString(in.MaterialsDigest) {
		return Invalid(RuleDigest, "materialsDigest", "must be the SM3 digest of the problem's evidence: 64 lowercase hex characters")
	}
	if err := refuseScope(in); err != nil {
		return err
	}
	if err := requireResources(in.ResourceIDs, "name the data resources whose quality is in question"); err != nil {
		return err
	}
	if len(in.DataProviders) != 1 {
		return Invalid(RuleQuality, "dataProviders", "a quality request goes to one data provider (数据提供单位), got %d", len(in.DataProviders))
	}
	if dp := x.Providers[in.DataProviders[0]]; dp == nil || dp.Role != PartyDataProvider || dp.Status != PartyActive {
		return Invalid(RuleReviewer, "dataProviders[0]", "%s is not an active registered data provider on channel %s", truncate(in.DataProviders[0], 40), j.Channel)
	}
	return namesNoProduct(in, "a quality request", false)
}

// MaxResolveDays bounds the date an answer may set for resolving a
// confirmed quality problem (a product rule: HB 25 sets no figure).
const MaxResolveDays = 90

// QualityAnswer is a data provider's 校核结果 (HB 25), recorded through the
// platform: confirmed, with the date the problem will be resolved by, or
// not confirmed, with reasons.
type QualityAnswer struct {
	Decision  string `json:"decision"`
	Reasons   string `json:"reasons,omitempty"`
	ResolveBy string `json:"resolveBy,omitempty"`
}

// AnswerQualityRequest records the data provider's answer (HB 25: within
// 3 working days). The channel's authority records it for the provider (a
// public body it oversees), not the operator: the operator may have filed
// the request itself. An answer after the deadline is recorded and marked
// late, like a late review.
func AnswerQualityRequest(j *Jurisdiction, a *Application, in QualityAnswer, now time.Time, c Change) (*Application, error) {
	if a != nil && a.Kind != KindQuality {
		return nil, Conflict(RuleStep, "number", "%s is a %s application: only a data-quality request is answered", a.Number, a.Kind)
	}
	if err := needStage(a, "the answer to a quality request", StageApplied); err != nil {
		return nil, err
	}
	today := DateOf(now)
	s := stepAt(c, "quality_answer", in.Decision, in.Reasons)
	s.Reviewer = a.DataProviders[0]
	s.Late = PastDue(now, a.PreliminaryDeadline)
	switch in.Decision {
	case DecisionConfirmed:
		by, err := ParseDate("resolveBy", in.ResolveBy)
		if err != nil {
			return nil, err
		}
		if by.Before(today) {
			return nil, Invalid(RuleQuality, "resolveBy", "%s is in the past: the answer sets the date the problem will be resolved by", in.ResolveBy)
		}
		if limit := today.AddDate(0, 0, MaxResolveDays); by.After(limit) {
			return nil, Invalid(RuleQuality, "resolveBy", "%s is more than %d days ahead (by %s): HB 25 has a problem handled in time (按时限处理), not left open", in.ResolveBy, MaxResolveDays, limit.Format(time.DateOnly))
		}
		if in.Reasons != "" {
			if err := ValidateText("reasons", in.Reasons, MaxReason); err != nil {
				return nil, err
			}
		}
		n := a.next(c, StageQualityConfirmed, s)
		n.ResolveBy = by.Format(time.DateOnly)
		return n, nil
	case DecisionNotConfirmed:
		if in.ResolveBy != "" {
			return nil, Invalid(RuleQuality, "resolveBy", "a problem not confirmed is not resolved by a date")
		}
		if in.Reasons == "" {
			return nil, Invalid(RuleReasons, "reasons", "an answer that confirms no problem carries its reasons")
		}
		if err := ValidateText("reasons", in.Reasons, MaxReason); err != nil {
			return nil, err
		}
		return a.next(c, StageQualityNotConfirmed, s), nil
	}
	return nil, Invalid(RuleQuality, "decision", "%q is not confirmed or not_confirmed", truncate(in.Decision, 32))
}

// QualityResolution is how a confirmed quality problem was resolved: what
// was done and the SM3 digest of the corrected data or its report.
type QualityResolution struct {
	Note   string `json:"note"`
	Digest string `json:"digest"`
}

// ResolveQualityRequest records the resolution (HB 25: 按时限处理), by the
// channel's authority for the provider; after the date the answer set, it
// is marked late.
func ResolveQualityRequest(j *Jurisdiction, a *Application, in QualityResolution, now time.Time, c Change) (*Application, error) {
	if a != nil && a.Kind != KindQuality {
		return nil, Conflict(RuleStep, "number", "%s is a %s application: only a data-quality request is resolved", a.Number, a.Kind)
	}
	if err := needStage(a, "a quality resolution", StageQualityConfirmed); err != nil {
		return nil, err
	}
	if err := ValidateText("note", in.Note, MaxReason); err != nil {
		return nil, err
	}
	if !digestRE.MatchString(in.Digest) {
		return nil, Invalid(RuleDigest, "digest", "must be the SM3 digest of the corrected data or its report: 64 lowercase hex characters")
	}
	s := stepAt(c, "quality_resolution", DecisionDone, in.Note)
	s.Reviewer = a.DataProviders[0]
	s.Late = PastDue(now, a.ResolveBy)
	n := a.next(c, StageQualityResolved, s)
	n.ResolutionDigest = in.Digest
	return n, nil
}

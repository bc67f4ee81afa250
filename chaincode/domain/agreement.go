package domain

import (
	"fmt"
	"regexp"
	"time"
)

// Agreement kinds (SPEC §4.3).
const (
	AgreementOperation   = "operation"   // 授权运营协议: agency ↔ operator
	AgreementCatalog     = "catalog"     // 目录授权协议: operator ↔ enterprise (GX 10)
	AgreementScenario    = "scenario"    // 场景授权协议: operator ↔ enterprise (GX 12)
	AgreementDevelopment = "development" // development-cooperation
	AgreementProductUse  = "product_use" // 数据产品使用协议 (HB 27)
)

// Agreement statuses: signed → filed (备案) → changed … → terminated | revoked.
const (
	AgreementSigned     = "signed"
	AgreementFiled      = "filed"
	AgreementChanged    = "changed"
	AgreementTerminated = "terminated"
	AgreementRevoked    = "revoked"
)

// Agreement rule codes (product rules; profile rules cite their article).
const (
	RuleAgreementKind       = "DL-AGREEMENT-KIND"
	RuleAgreementParty      = "DL-AGREEMENT-PARTY"
	RuleAgreementExists     = "DL-AGREEMENT-EXISTS"
	RuleAgreementUnique     = "DL-AGREEMENT-UNIQUE"
	RuleAgreementTransition = "DL-AGREEMENT-TRANSITION"
	RuleTerm                = "DL-TERM"       // term ≤ the profile's maximum (cites the profile's article)
	RuleFiling              = "DL-FILING"     // filing deadline (cites GD-23, HB-37)
	RuleSubLicense          = "DL-SUBLICENSE" // a licensee never grants onward (SPEC §4; HB-21)
	RuleDigest              = "DL-DIGEST"
)

// agreementRoles: who may grant and who may receive each kind.
var agreementRoles = map[string]struct{ grantor, grantee []string }{
	AgreementOperation:   {[]string{PartyAgency}, []string{PartyOperator}},
	AgreementCatalog:     {[]string{PartyOperator}, []string{PartyEnterprise}},
	AgreementScenario:    {[]string{PartyOperator}, []string{PartyEnterprise}},
	AgreementDevelopment: {[]string{PartyOperator}, []string{PartyEnterprise}},
	AgreementProductUse:  {[]string{PartyOperator, PartyEnterprise}, []string{PartyEnterprise, PartyExchange, PartyDataProvider, PartyAgency, PartyOperator}},
}

// Authorizes tells whether a kind grants rights over public data: the
// kinds a licensee may never grant onward, whose grantee declares its
// eligibility and has its latest evaluation recorded.
func Authorizes(kind string) bool {
	return kind == AgreementOperation || kind == AgreementCatalog || kind == AgreementScenario
}

var digestRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// AgreementInput records a signed agreement. Only the SM3 digest of the
// signed document goes on the ledger, never its text.
type AgreementInput struct {
	Number            string `json:"number"`
	Kind              string `json:"kind"`
	GrantorCreditCode string `json:"grantorCreditCode"`
	GranteeCreditCode string `json:"granteeCreditCode"`
	DocumentDigest    string `json:"documentDigest"`
	Scope             string `json:"scope"`
	TermStart         string `json:"termStart"`
	TermEnd           string `json:"termEnd"`
	SignedOn          string `json:"signedOn"`
	// RenewalOf is the approved renewal application (NS 15) this agreement
	// answers; the record then names the agreement it renews (Renews).
	RenewalOf string `json:"renewalOf,omitempty"`
	// Declaration is the grantee's eligibility declaration, on the
	// agreement that authorizes it: the operator's on its operation
	// agreement (GX 6, ZW 13, GD 21, NS 11, HB 14), the enterprise's on its
	// catalog or scenario agreement (GX 9, GX 11).
	Declaration *Declaration `json:"declaration,omitempty"`
	// Selection is the operator selection that chose an operation
	// agreement's grantee (GD 20), required where the profile sets the
	// candidates' notice.
	Selection string `json:"selection,omitempty"`
	// DataClass is the open-data class of the data a catalog or scenario
	// agreement grants, where the profile lists classes (NS 2); data opened
	// conditionally names the joint meeting's assessment (NS 20).
	DataClass       string           `json:"dataClass,omitempty"`
	JointAssessment *JointAssessment `json:"jointAssessment,omitempty"`
}

// Filing is the 备案 of an agreement, with its deadline when the profile
// sets one; a late filing is recorded as late, for regulators to see.
type Filing struct {
	FiledOn  string `json:"filedOn"`
	Deadline string `json:"deadline,omitempty"`
	Late     bool   `json:"late"`
	Rule     string `json:"rule,omitempty"`
}

// Ending records termination or revocation and until when logs must be kept.
type Ending struct {
	On                       string `json:"on"`
	LogsRetainedUntil        string `json:"logsRetainedUntil,omitempty"`
	NetworkLogsRetainedUntil string `json:"networkLogsRetainedUntil,omitempty"`
	RetentionRule            string `json:"retentionRule,omitempty"`
}

// Agreement is the ledger record of an agreement.
type Agreement struct {
	AgreementInput
	Status  string  `json:"status"`
	Filing  *Filing `json:"filing,omitempty"`
	Ending  *Ending `json:"ending,omitempty"`
	Changes int     `json:"changes"`
	// Renews is the agreement this one renews (from its renewal
	// application): the link regulators follow from old to new.
	Renews string `json:"renews,omitempty"`
	// RenewedBy is the agreement that renews this one, written when it is
	// recorded: one in force at a time (written again only after that one
	// ended).
	RenewedBy string `json:"renewedBy,omitempty"`
	// Evaluation is the grantee's latest evaluation standing when an
	// authorizing agreement was recorded: the basis of re-authorization
	// (GX 18, GD 38, HB 37). Its number only: the evaluation itself is
	// private.
	Evaluation string `json:"evaluation,omitempty"`
	Registered Change `json:"registered"`
	Last       Change `json:"last"`
	Version    int    `json:"version"`
}

// Ended tells whether the agreement was terminated or revoked (a nil
// agreement has not ended).
func (a *Agreement) Ended() bool {
	return a != nil && (a.Status == AgreementTerminated || a.Status == AgreementRevoked)
}

// EndedReason is why everything resting on an ended agreement lost its
// force, for verifiers.
func (a *Agreement) EndedReason() string {
	return fmt.Sprintf("agreement %s %s at %s by %s%s", a.Number, a.Status, ChinaTime(a.Last.Time), a.Last.Actor.MSP, withWords(": ", a.Last.Reason))
}

// checkTerm validates a term against the profile: start ≤ end and no longer
// than the maximum (GX/GD 5 y, NS/HB 3 y).
func checkTerm(p Profile, startField, start, endField, end string, maxMonths int, citeKey string) (time.Time, time.Time, error) {
	s, err := ParseDate(startField, start)
	if err != nil {
		return s, s, err
	}
	e, err := ParseDate(endField, end)
	if err != nil {
		return s, e, err
	}
	if e.Before(s) {
		return s, e, Invalid(RuleTerm, endField, "%s is before %s %s", end, startField, start)
	}
	if maxMonths > 0 && !e.Before(s.AddDate(0, maxMonths, 0)) {
		return s, e, Invalid(p.Cite(citeKey, RuleTerm), endField, "the term %s to %s exceeds the %s profile's maximum of %d months", start, end, p.Name, maxMonths)
	}
	return s, e, nil
}

// RecordAgreement decides the registration of a signed agreement; an
// authorizing agreement carries its grantee's eligibility declaration
// where the profile asks one, judged with what the ledger knows of the
// grantee (facts).
func RecordAgreement(j *Jurisdiction, p Profile, existing *Agreement, grantor, grantee *Party, facts GranteeFacts, in AgreementInput, now time.Time, c Change) (*Agreement, error) {
	if _, err := ParseNumber("number", in.Number, PrefixAgreement); err != nil {
		return nil, err
	}
	roles, ok := agreementRoles[in.Kind]
	if !ok {
		return nil, Invalid(RuleAgreementKind, "kind", "%q is not operation, catalog, scenario, development or product_use", truncate(in.Kind, 32))
	}
	if existing != nil {
		return nil, Conflict(RuleAgreementUnique, "number", "agreement %s is already recorded (status %s)", in.Number, existing.Status)
	}
	for _, side := range []struct {
		field string
		party *Party
		code  string
	}{{"grantorCreditCode", grantor, in.GrantorCreditCode}, {"granteeCreditCode", grantee, in.GranteeCreditCode}} {
		if err := ValidateCreditCode(side.field, side.code); err != nil {
			return nil, err
		}
		if side.party == nil {
			return nil, NotFound(RulePartyExists, side.field, "%s is not a registered party on channel %s", side.code, j.Channel)
		}
		if side.party.Status != PartyActive {
			return nil, Conflict(RuleAgreementParty, side.field, "party %s is %s", side.code, side.party.Status)
		}
	}
	if in.GrantorCreditCode == in.GranteeCreditCode {
		return nil, Invalid(RuleAgreementParty, "granteeCreditCode", "grantor and grantee are the same party")
	}
	if Authorizes(in.Kind) && grantor.Role == PartyEnterprise {
		return nil, Forbidden(p.Cite("subLicensing", RuleSubLicense), "grantorCreditCode",
			"%s is a licensee (enterprise) and may not authorize others: no sub-licensing or onward authorization", in.GrantorCreditCode)
	}
	if !contains(roles.grantor, grantor.Role) {
		return nil, Invalid(RuleAgreementParty, "grantorCreditCode", "a %s agreement is granted by %v, not by a %s", in.Kind, roles.grantor, grantor.Role)
	}
	if !contains(roles.grantee, grantee.Role) {
		return nil, Invalid(RuleAgreementParty, "granteeCreditCode", "a %s agreement is granted to %v, not to a %s", in.Kind, roles.grantee, grantee.Role)
	}
	if !digestRE.MatchString(in.DocumentDigest) {
		return nil, Invalid(RuleDigest, "documentDigest", "must be the SM3 digest of the signed document: 64 lowercase hex characters")
	}
	if err := ValidateText("scope", in.Scope, 2000); err != nil {
		return nil, err
	}
	signed, err := ParseDate("signedOn", in.SignedOn)
	if err != nil {
		return nil, err
	}
	if signed.After(DateOf(now)) {
		return nil, Invalid(RuleDocument, "signedOn", "%s is in the future", in.SignedOn)
	}
	if _, _, err := checkTerm(p, "termStart", in.TermStart, "termEnd", in.TermEnd, p.MaxAgreementTermMonths, "agreementTerm"); err != nil {
		return nil, err
	}
	if err := CheckDataClass(p, in); err != nil {
		return nil, err
	}
	if Authorizes(in.Kind) {
		if err := CheckDeclaration(p, agreementPurpose[in.Kind], "declaration", in.Declaration, facts, DateOf(now)); err != nil {
			return nil, err
		}
	} else if in.Declaration != nil {
		return nil, Invalid(RuleAgreementKind, "declaration", "a %s agreement grants no authorization: it carries no eligibility declaration (an operation, catalog or scenario agreement does)", in.Kind)
	}
	c.Action = "record"
	ag := &Agreement{AgreementInput: in, Status: AgreementSigned, Registered: c, Last: c, Version: 1}
	if Authorizes(in.Kind) {
		ag.Evaluation = facts.Evaluation
	}
	return ag, nil
}

// FileAgreement records the 备案 by the data authority. With a filing
// deadline in the profile (GD 23: 10, HB 37: 5 working days after
// signing), the deadline is computed on the official calendar and a late
// filing is accepted but marked late.
func FileAgreement(j *Jurisdiction, p Profile, cals Calendars, a *Agreement, now time.Time, c Change) (*Agreement, error) {
	if a == nil {
		return nil, NotFound(RuleAgreementExists, "number", "no such agreement on channel %s", j.Channel)
	}
	if a.Status != AgreementSigned {
		return nil, Conflict(RuleAgreementTransition, "status", "only a signed agreement is filed; this one is %s", a.Status)
	}
	today := DateOf(now)
	f := &Filing{FiledOn: today.Format(time.DateOnly)}
	if n := p.FilingDeadlineWorkingDays; n > 0 {
		signed, _ := ParseDate("signedOn", a.SignedOn)
		deadline, err := cals.AddWorkingDays(signed, n)
		if err != nil {
			return nil, err
		}
		f.Deadline, f.Late, f.Rule = deadline.Format(time.DateOnly), today.After(deadline), p.Cite("filingDeadline", RuleFiling)
	}
	next := *a
	c.Action = "file"
	next.Status, next.Filing, next.Last, next.Version = AgreementFiled, f, c, a.Version+1
	return &next, nil
}

// AgreementChange is a change (变更) to a filed agreement: a new signed
// document, scope or term.
type AgreementChange struct {
	DocumentDigest string `json:"documentDigest"`
	Scope          string `json:"scope"`
	TermStart      string `json:"termStart"`
	TermEnd        string `json:"termEnd"`
	// DataClass and JointAssessment restate, for a catalog or scenario
	// agreement under a profile with open-data classes (NS 2), the class
	// of the data it grants after the change, and the joint meeting's
	// assessment, by the day of the change, of data opened conditionally
	// (NS 20): a wider scope is assessed as a new grant is.
	DataClass       string           `json:"dataClass,omitempty"`
	JointAssessment *JointAssessment `json:"jointAssessment,omitempty"`
}

// ChangeAgreement supersedes the agreement's terms, with a reason.
func ChangeAgreement(j *Jurisdiction, p Profile, a *Agreement, ch AgreementChange, reason string, now time.Time, c Change) (*Agreement, error) {
	if a == nil {
		return nil, NotFound(RuleAgreementExists, "number", "no such agreement on channel %s", j.Channel)
	}
	if a.Status != AgreementFiled && a.Status != AgreementChanged {
		return nil, Conflict(RuleAgreementTransition, "status", "only a filed agreement is changed; this one is %s", a.Status)
	}
	if err := ValidateText("reason", reason, MaxReason); err != nil {
		return nil, err
	}
	if !digestRE.MatchString(ch.DocumentDigest) {
		return nil, Invalid(RuleDigest, "documentDigest", "must be the SM3 digest of the changed document: 64 lowercase hex characters")
	}
	if err := ValidateText("scope", ch.Scope, 2000); err != nil {
		return nil, err
	}
	if _, _, err := checkTerm(p, "termStart", ch.TermStart, "termEnd", ch.TermEnd, p.MaxAgreementTermMonths, "agreementTerm"); err != nil {
		return nil, err
	}
	changed := a.AgreementInput // judged as a grant signed today
	changed.DataClass, changed.JointAssessment, changed.SignedOn = ch.DataClass, ch.JointAssessment, DateOf(now).Format(time.DateOnly)
	if err := CheckDataClass(p, changed); err != nil {
		return nil, err
	}
	if was := a.JointAssessment; ch.DataClass == DataConditional && was != nil && ch.JointAssessment.OpinionDigest == was.OpinionDigest {
		rule := p.Cite("jointAssessment", RuleDataClass)
		return nil, Invalid(rule, "jointAssessment.opinionDigest", "the change is a new grant of data opened conditionally: it needs the joint meeting's assessment of it, not the one of %s (%s)", was.IssuedOn, rule)
	}
	next := *a
	c.Action, c.Reason = "change", reason
	next.DocumentDigest, next.Scope, next.TermStart, next.TermEnd = ch.DocumentDigest, ch.Scope, ch.TermStart, ch.TermEnd
	next.DataClass, next.JointAssessment = ch.DataClass, ch.JointAssessment
	next.Status, next.Changes, next.Last, next.Version = AgreementChanged, a.Changes+1, c, a.Version+1
	return &next, nil
}

// EndAgreement terminates or revokes an agreement, with a reason, and
// records until when logs must be kept (GX 12, NS 16, HB 18: 6 months;
// GD 39: network logs 5 years). The credentials that rest on it read
// revoked from it (CredentialRecord.Standing): nothing else is written.
func EndAgreement(j *Jurisdiction, p Profile, a *Agreement, action, reason string, now time.Time, c Change) (*Agreement, error) {
	if a == nil {
		return nil, NotFound(RuleAgreementExists, "number", "no such agreement on channel %s", j.Channel)
	}
	status := map[string]string{"terminate": AgreementTerminated, "revoke": AgreementRevoked}[action]
	if status == "" {
		return nil, Invalid(RuleAgreementTransition, "action", "%q is not terminate or revoke", truncate(action, 32))
	}
	if a.Ended() {
		return nil, Conflict(RuleAgreementTransition, "status", "the agreement is already %s", a.Status)
	}
	if err := ValidateText("reason", reason, MaxReason); err != nil {
		return nil, err
	}
	today := DateOf(now)
	e := &Ending{On: today.Format(time.DateOnly)}
	if m := p.LogRetentionMonths; m > 0 {
		e.LogsRetainedUntil, e.RetentionRule = today.AddDate(0, m, 0).Format(time.DateOnly), p.Cite("logRetention", "")
	}
	if m := p.NetworkLogRetentionMonths; m > 0 {
		e.NetworkLogsRetainedUntil = today.AddDate(0, m, 0).Format(time.DateOnly)
		if e.RetentionRule == "" {
			e.RetentionRule = p.Cite("networkLogRetention", "")
		}
	}
	next := *a
	c.Action, c.Reason = action, reason
	next.Status, next.Ending, next.Last, next.Version = status, e, c, a.Version+1
	return &next, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

package domain

import (
	"fmt"
	"sort"
	"strings"
)

// Action is a transaction that writes: its name is the contract's
// transaction of the same name. The access table says who may do each;
// the adapter asks Allow once, at the start of the transaction, before it
// loads any record, so a caller who may not act learns nothing about what
// exists. The deciders (RegisterParty, FileAgreement, …) do not check the
// caller again: they decide on the records (where a row's comment says a
// decider narrows it for one kind of record, that decider does).
type Action string

// The actions, one per writing transaction.
const (
	ActBootstrap               Action = "Bootstrap"
	ActSetExchanges            Action = "SetExchanges"
	ActSetProfile              Action = "SetProfile"
	ActAdoptProfile            Action = "AdoptProfile"
	ActLoadCalendar            Action = "LoadCalendar"
	ActRegisterParty           Action = "RegisterParty"
	ActChangePartyStatus       Action = "ChangePartyStatus"
	ActRegisterIssuerKey       Action = "RegisterIssuerKey"
	ActRotateIssuerKey         Action = "RotateIssuerKey"
	ActRevokeIssuerKey         Action = "RevokeIssuerKey"
	ActRecordAgreement         Action = "RecordAgreement"
	ActFileAgreement           Action = "FileAgreement"
	ActChangeAgreement         Action = "ChangeAgreement"
	ActEndAgreement            Action = "EndAgreement"
	ActIssueCredential         Action = "IssueCredential"
	ActChangeCredentialStatus  Action = "ChangeCredentialStatus"
	ActApply                   Action = "Apply"
	ActResubmitApplication     Action = "ResubmitApplication"
	ActPreliminaryReview       Action = "PreliminaryReview"
	ActExitOnboarding          Action = "ExitOnboarding"
	ActAnswerQualityRequest    Action = "AnswerQualityRequest"
	ActResolveQualityRequest   Action = "ResolveQualityRequest"
	ActExtendComplianceReview  Action = "ExtendComplianceReview"
	ActComplianceReview        Action = "ComplianceReview"
	ActAttachScenarioAgreement Action = "AttachScenarioAgreement"
	ActStartDevelopment        Action = "StartDevelopment"
	ActSubmitProduct           Action = "SubmitProduct"
	ActVerifyConsistency       Action = "VerifyConsistency"
	ActStartPublicNotice       Action = "StartPublicNotice"
	ActRegisterCertificate     Action = "RegisterCertificate"
	ActFileObjection           Action = "FileObjection"
	ActDecideObjection         Action = "DecideObjection"
	ActConfirmDestruction      Action = "ConfirmDestruction"
	ActCheckEgress             Action = "CheckEgress"
	ActAcknowledgeCertificate  Action = "AcknowledgeCertificate"
	ActRecordNational          Action = "RecordNationalRegistration"
	ActRecordReport            Action = "RecordReport"
	ActOpenObligation          Action = "OpenObligation"
	ActFileObligation          Action = "FileObligation"
	ActDecideObligation        Action = "DecideObligation"
	ActRecordCredit            Action = "RecordCreditRecord"
	ActRescindCredit           Action = "RescindCreditRecord"
	ActRecordEvaluation        Action = "RecordEvaluation"
	ActOpenSelection           Action = "OpenSelection"
	ActNominateCandidates      Action = "NominateCandidates"
	ActSelectOperator          Action = "SelectOperator"
	ActRecordPlan              Action = "RecordPlan"
	ActFilePlan                Action = "FilePlan"
	ActDecidePlanFiling        Action = "DecidePlanFiling"
)

// Org is whose organization may act, relative to the channel's
// jurisdiction.
type Org string

const (
	OrgAuthority  Org = "authority"  // the channel's authority MSP
	OrgExchange   Org = "exchange"   // an exchange MSP of the channel
	OrgAny        Org = "any"        // any member of the channel
	OrgSupervisor Org = "supervisor" // the authority a level up the jurisdiction records (Jurisdiction.SupervisorMSP)
	OrgDeployment Org = "deployment" // the authority MSP the deployment names (before a jurisdiction exists)
)

// RuleAccessUnknown refuses an action the table has no row for (default
// deny: a programming error, never a caller's).
const RuleAccessUnknown = "DL-ACL-ACTION"

// Access is one row of the access table: which roles of which
// organization may act, and how a refusal reads (its rule, on the field
// "caller", and the words naming the action; "%s" there is the
// transaction's own verb: suspend, terminate, …). Decider, when set, names
// the decider that decides who may act because it depends on a record or
// on the deployment (Allow lets everyone through; the decider refuses).
type Access struct {
	Org     Org
	Roles   []string // nil: any role
	Rule    string
	Doing   string
	Decider string
}

// The kinds of rows.
var (
	authorityOnly = Access{Org: OrgAuthority, Roles: []string{RoleAuthority}, Rule: RuleOwnAuthority}
	// registrar: the authority or its operator (ZW 18: the operator
	// registers or refuses 数商).
	registrar = Access{Org: OrgAuthority, Roles: []string{RoleAuthority, RoleOperator}, Rule: RuleRegistrar}
	// issuer: the authority or its operation platform (GX 10(3): the
	// platform issues the credential).
	issuer   = Access{Org: OrgAuthority, Roles: []string{RoleAuthority, RoleOperator}, Rule: RuleIssuer}
	exchange = Access{Org: OrgExchange, Roles: []string{RoleExchange}, Rule: RuleExchangeOnly}
	// supervisor: the data authority a level up (on a city channel, the
	// province's), with its authority role.
	supervisor = Access{Org: OrgSupervisor, Roles: []string{RoleAuthority}, Rule: RuleReviewer}
	anyMember  = Access{Org: OrgAny}
)

func (w Access) doing(d string) Access { w.Doing = d; return w }

func (w Access) decidedBy(decider string) Access { w.Decider = decider; return w }

// access is the table.
var access = map[Action]Access{
	ActBootstrap:               Access{Org: OrgDeployment, Roles: []string{RoleAuthority}, Rule: RuleOwnAuthority}.decidedBy("NewJurisdiction"),
	ActSetExchanges:            authorityOnly.doing("setting the channel's exchanges"),
	ActSetProfile:              authorityOnly.doing("setting the policy profile"),
	ActAdoptProfile:            authorityOnly.doing("setting the policy profile"),
	ActLoadCalendar:            authorityOnly.doing("loading a working-day calendar"),
	ActRegisterParty:           registrar.doing("registering a party"),
	ActChangePartyStatus:       registrar.doing("%s of a party"),
	ActRegisterIssuerKey:       authorityOnly.doing("registering an issuer key"),
	ActRotateIssuerKey:         authorityOnly.doing("registering an issuer key"),
	ActRevokeIssuerKey:         authorityOnly.doing("revoke of an issuer key"),
	ActRecordAgreement:         registrar.doing("recording an agreement"),
	ActFileAgreement:           authorityOnly.doing("filing an agreement"),
	ActChangeAgreement:         authorityOnly.doing("changing an agreement"),
	ActEndAgreement:            authorityOnly.doing("%s of an agreement"),
	ActIssueCredential:         issuer.doing("issuing a credential"),
	ActChangeCredentialStatus:  authorityOnly.doing("%s of a credential"),
	ActApply:                   anyMember.decidedBy("Apply"),              // the enterprise itself, or the registrar for it
	ActResubmitApplication:     anyMember.decidedBy("Resubmit"),           // the same
	ActPreliminaryReview:       registrar.doing("the preliminary review"), // a renewal's: the authority (the decider narrows it)
	ActExitOnboarding:          anyMember.decidedBy("ExitOnboarding"),     // the enterprise itself, or the registrar for it
	ActAnswerQualityRequest:    authorityOnly.doing("recording a data provider's answer"),
	ActResolveQualityRequest:   authorityOnly.doing("recording a quality resolution"),
	ActExtendComplianceReview:  authorityOnly.doing("extending the compliance review"),
	ActComplianceReview:        anyMember.decidedBy("ComplianceReview"), // the channel's authority; a cross-region application a level up
	ActAttachScenarioAgreement: registrar.doing("linking the scenario agreement"),
	ActStartDevelopment:        registrar.doing("starting development"),
	ActSubmitProduct:           registrar.doing("submitting the product for its evaluation"),
	ActVerifyConsistency:       registrar.doing("the consistency verification"),
	ActStartPublicNotice:       registrar.doing("the public notice"),
	ActRegisterCertificate:     issuer.doing("registering a product certificate"),
	ActFileObjection:           anyMember, // anyone on the channel objects (GX 12(8))
	ActDecideObjection:         registrar.doing("deciding an objection"),
	ActConfirmDestruction:      registrar.doing("confirming data destruction"),
	ActCheckEgress:             registrar.doing("an egress check"),
	ActAcknowledgeCertificate:  exchange.doing("acknowledges certificates"),
	ActRecordNational:          issuer.doing("recording a national registration"),
	ActRecordReport:            authorityOnly.doing("recording a supervision report"),
	ActOpenObligation:          anyMember.decidedBy("OpenObligation"),   // by its kind: the authority, or the party itself (the registrar for it)
	ActFileObligation:          anyMember.decidedBy("FileObligation"),   // the party itself, or the registrar for it
	ActDecideObligation:        anyMember.decidedBy("DecideObligation"), // the channel's authority; an obligation owed a level up, its supervisor
	ActRecordCredit:            authorityOnly.doing("recording a credit record"),
	ActRescindCredit:           authorityOnly.doing("rescinding a credit record"),
	ActRecordEvaluation:        authorityOnly.doing("recording an evaluation"),
	ActOpenSelection:           authorityOnly.doing("announcing an operator selection"),
	ActNominateCandidates:      authorityOnly.doing("publishing the operator candidates"),
	ActSelectOperator:          authorityOnly.doing("selecting the operator"),
	ActRecordPlan:              authorityOnly.doing("recording an implementation plan"),
	ActFilePlan:                authorityOnly.doing("filing an implementation plan a level up"),
	ActDecidePlanFiling:        supervisor.doing("deciding on a plan's upward filing"),
}

// AccessOf is the table's row for act (a copy).
func AccessOf(act Action) (Access, bool) {
	w, ok := access[act]
	w.Roles = append([]string(nil), w.Roles...)
	return w, ok
}

// Actions lists the table's actions in name order.
func Actions() []Action {
	out := make([]Action, 0, len(access))
	for a := range access {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Allow answers from the access table whether a may do act on the channel
// of j. verb is the transaction's own action argument (suspend, terminate,
// …) for the rows whose wording names it.
func Allow(j *Jurisdiction, a Actor, act Action, verb ...string) error {
	w, ok := access[act]
	if !ok {
		return Forbidden(RuleAccessUnknown, "function", "%s has no row in the access table", act)
	}
	if w.Decider != "" {
		return nil
	}
	doing := w.Doing
	if strings.Contains(doing, "%s") {
		v := ""
		if len(verb) > 0 {
			v = verb[0]
		}
		doing = fmt.Sprintf(doing, v)
	}
	return w.check(j, a, doing)
}

// allows tells whether the row lets a act on the channel of j.
func (w Access) allows(j *Jurisdiction, a Actor) bool {
	switch w.Org {
	case OrgAny:
		return w.Roles == nil || contains(w.Roles, a.Role)
	case OrgAuthority:
		return a.MSP == j.AuthorityMSP && contains(w.Roles, a.Role)
	case OrgExchange:
		return contains(j.ExchangeMSPs, a.MSP) && contains(w.Roles, a.Role)
	case OrgSupervisor:
		return j.SupervisorMSP != "" && a.MSP == j.SupervisorMSP && contains(w.Roles, a.Role)
	}
	return false
}

// check refuses unless the row lets a act; doing names the action.
func (w Access) check(j *Jurisdiction, a Actor, doing string) error {
	if w.allows(j, a) {
		return nil
	}
	switch {
	case w.Org == OrgExchange:
		return Forbidden(w.Rule, "caller", "only an exchange of channel %s (%v) with role %q %s; caller is %s with role %q",
			j.Channel, j.ExchangeMSPs, RoleExchange, doing, a.MSP, a.Role)
	case w.Org == OrgSupervisor && j.SupervisorMSP == "":
		return Forbidden(w.Rule, "caller", "%s is for the authority a level up, and channel %s records none; caller is %s with role %q", doing, j.Channel, a.MSP, a.Role)
	case w.Org == OrgSupervisor:
		return Forbidden(w.Rule, "caller", "%s on channel %s is reserved to the authority a level up, %s with role %q; caller is %s with role %q",
			doing, j.Channel, j.SupervisorMSP, w.Roles[0], a.MSP, a.Role)
	case len(w.Roles) == 1:
		return Forbidden(w.Rule, "caller", "%s on channel %s is reserved to the data authority %s with role %q; caller is %s with role %q",
			doing, j.Channel, j.AuthorityMSP, w.Roles[0], a.MSP, a.Role)
	default:
		return Forbidden(w.Rule, "caller", "%s on channel %s is reserved to %s with role %q or %q; caller is %s with role %q",
			doing, j.Channel, j.AuthorityMSP, w.Roles[0], w.Roles[1], a.MSP, a.Role)
	}
}

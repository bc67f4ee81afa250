package domain

import "time"

// PrefixObjection numbers objections (异议).
const PrefixObjection = "YY"

// Objection outcomes (GX 12(8)).
const (
	OutcomeDismissed              = "dismissed"                // 驳回
	OutcomeAuthorizationChanged   = "authorization_changed"    // 变更授权
	OutcomeRegistrationRevoked    = "registration_revoked"     // 撤销登记
	OutcomeDataDestructionOrdered = "data_destruction_ordered" // 数据销毁
)

// Objection statuses.
const (
	ObjectionOpen    = "open"
	ObjectionDecided = "decided"
)

// Objection rule codes.
const (
	RuleObjection       = "DL-OBJECTION"
	RuleObjectionTarget = "DL-OBJECTION-TARGET"
	RuleObjectionClosed = "DL-OBJECTION-CLOSED"
)

// ObjectionInput is an objection: anyone may file one against a product
// in public notice or registered, with evidence (its digest only).
type ObjectionInput struct {
	Number         string `json:"number"`
	TargetKind     string `json:"targetKind"` // application | certificate
	Target         string `json:"target"`     // SA-… or DJ-…
	EvidenceDigest string `json:"evidenceDigest"`
	Summary        string `json:"summary"` // short, no personal data
}

// ObjectionDecision is how an objection was decided.
type ObjectionDecision struct {
	Outcome             string `json:"outcome"`
	Reasons             string `json:"reasons"`
	DestructionDeadline string `json:"destructionDeadline,omitempty"`
}

// Objection is the ledger record of an objection.
type Objection struct {
	ObjectionInput
	Status        string             `json:"status"`
	Filed         Change             `json:"filed"`
	Decision      *ObjectionDecision `json:"decision,omitempty"`
	Decided       *Change            `json:"decided,omitempty"`
	Destruction   *Change            `json:"destructionConfirmed,omitempty"`
	DestroyedLate bool               `json:"destroyedLate,omitempty"`
	Last          Change             `json:"last"`
	Version       int                `json:"version"`
}

// FileObjection decides an objection filing. app or cert is the target
// as loaded. The target's open-objection count rises in the same
// transaction, so a certificate reads suspended at once.
func FileObjection(j *Jurisdiction, existing *Objection, in ObjectionInput, app *Application, cert *CertificateRecord, now time.Time, c Change) (*Objection, error) {
	if _, err := ParseNumber("number", in.Number, PrefixObjection); err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, Conflict(RuleCredentialUnique, "number", "objection %s exists", in.Number)
	}
	if !digestRE.MatchString(in.EvidenceDigest) {
		return nil, Invalid(RuleDigest, "evidenceDigest", "must be the SM3 digest of the evidence: 64 lowercase hex characters")
	}
	if err := ValidateText("summary", in.Summary, MaxReason); err != nil {
		return nil, err
	}
	switch in.TargetKind {
	case "application":
		if app == nil {
			return nil, NotFound(RuleObjectionTarget, "target", "no application %s on channel %s", in.Target, j.Channel)
		}
		if app.Stage != StageInNotice {
			return nil, Conflict(RuleObjectionTarget, "target", "an application is objected to during its public notice; %s is at %s", in.Target, app.Stage)
		}
	case "certificate":
		if cert == nil {
			return nil, NotFound(RuleObjectionTarget, "target", "no registered product %s on channel %s", in.Target, j.Channel)
		}
		if cert.Status == CertificateRevoked {
			return nil, Conflict(RuleObjectionTarget, "target", "the registration of %s is revoked", in.Target)
		}
	default:
		return nil, Invalid(RuleObjectionTarget, "targetKind", "%q is not application or certificate", truncate(in.TargetKind, 32))
	}
	c.Action = "file"
	return &Objection{ObjectionInput: in, Status: ObjectionOpen, Filed: c, Last: c, Version: 1}, nil
}

// DecisionEffects are the records an objection decision changes in the
// same transaction.
type DecisionEffects struct {
	Objection   *Objection
	Application *Application                 // when the target is an application
	Certificate *CertificateRecord           // when the target is a certificate
	Credentials map[string]*CredentialRecord // suspended pending the changed authorization
}

// DecideObjection records the decision of the operator or authority, with
// reasons, and applies its outcome (GX 12(8)): dismissed — the target
// resumes; an upheld objection during notice rejects the application;
// 撤销登记 and 数据销毁 revoke the registration; 变更授权 suspends the
// linked credentials until the authorization is changed.
func DecideObjection(j *Jurisdiction, o *Objection, app *Application, cert *CertificateRecord, creds map[string]*CredentialRecord, d ObjectionDecision, now time.Time, c Change) (*DecisionEffects, error) {
	if o == nil {
		return nil, NotFound(RuleObjection, "number", "no such objection on channel %s", j.Channel)
	}
	if o.Status != ObjectionOpen {
		return nil, Conflict(RuleObjectionClosed, "number", "objection %s was decided on %s (%s)", o.Number, o.Decided.Time, o.Decision.Outcome)
	}
	if err := ValidateText("reasons", d.Reasons, MaxReason); err != nil {
		return nil, err
	}
	switch d.Outcome {
	case OutcomeDismissed, OutcomeAuthorizationChanged, OutcomeRegistrationRevoked:
		if d.DestructionDeadline != "" {
			return nil, Invalid(RuleObjection, "destructionDeadline", "only a data destruction order has a deadline")
		}
	case OutcomeDataDestructionOrdered:
		dl, err := ParseDate("destructionDeadline", d.DestructionDeadline)
		if err != nil {
			return nil, err
		}
		if dl.Before(DateOf(now)) {
			return nil, Invalid(RuleObjection, "destructionDeadline", "%s has passed", d.DestructionDeadline)
		}
	default:
		return nil, Invalid(RuleObjection, "outcome", "%q is not dismissed, authorization_changed, registration_revoked or data_destruction_ordered", truncate(d.Outcome, 40))
	}
	// The reasons are the objection's private part (Public): what the
	// target's records say publicly is the cause, the objection and its
	// outcome.
	cause := "objection " + o.Number + ": " + d.Outcome
	c.Action, c.Reason = "decide", cause
	next := *o
	next.Status, next.Decision, next.Decided, next.Last, next.Version = ObjectionDecided, &d, &c, c, o.Version+1
	fx := &DecisionEffects{Objection: &next, Credentials: map[string]*CredentialRecord{}}
	switch o.TargetKind {
	case "application":
		if app == nil {
			return nil, NotFound(RuleObjectionTarget, "target", "application %s is gone", o.Target)
		}
		s := stepAt(c, "objection_decision", d.Outcome, cause)
		stage := app.Stage
		if d.Outcome != OutcomeDismissed {
			stage = StageRejected // an upheld objection during notice: no registration (GX 12(7))
		}
		a := app.next(c, stage, s)
		a.OpenObjections--
		fx.Application = a
	case "certificate":
		if cert == nil {
			return nil, NotFound(RuleObjectionTarget, "target", "certificate %s is gone", o.Target)
		}
		r := *cert
		r.OpenObjections--
		r.Last, r.Version = c, cert.Version+1
		switch d.Outcome {
		case OutcomeRegistrationRevoked, OutcomeDataDestructionOrdered:
			r.Status, r.StatusReason = CertificateRevoked, cause
			r.DestructionDeadline = d.DestructionDeadline
		case OutcomeAuthorizationChanged:
			for n, cr := range creds {
				if cr == nil || cr.Status != CredentialValid {
					continue
				}
				s := *cr
				s.Status, s.StatusReason, s.Last, s.Version = CredentialSuspended, "objection "+o.Number+": authorization to be changed", c, cr.Version+1
				fx.Credentials[n] = &s
			}
		}
		fx.Certificate = &r
	}
	return fx, nil
}

// ConfirmDestruction records that ordered data destruction was done; late
// when after the deadline.
func ConfirmDestruction(j *Jurisdiction, o *Objection, evidenceDigest string, now time.Time, c Change) (*Objection, error) {
	if o == nil || o.Decision == nil || o.Decision.Outcome != OutcomeDataDestructionOrdered {
		return nil, Conflict(RuleObjection, "number", "no data destruction was ordered on this objection")
	}
	if o.Destruction != nil {
		return nil, Conflict(RuleObjectionClosed, "number", "destruction was confirmed on %s", o.Destruction.Time)
	}
	if !digestRE.MatchString(evidenceDigest) {
		return nil, Invalid(RuleDigest, "evidenceDigest", "must be the SM3 digest of the destruction record")
	}
	c.Action, c.Reason = "confirm-destruction", evidenceDigest
	next := *o
	next.Destruction, next.Last, next.Version = &c, c, o.Version+1
	next.DestroyedLate = PastDue(now, o.Decision.DestructionDeadline)
	return &next, nil
}

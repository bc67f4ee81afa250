package domain

import "time"

// Issuer key statuses. A retired key was rotated out; a revoked key was
// withdrawn. Neither signs new documents; documents registered while the key
// was usable stay valid, and their records name the key that signed them.
const (
	KeyActive  = "active"
	KeyRetired = "retired"
	KeyRevoked = "revoked"
)

// Issuer key rule codes.
const (
	RuleKeyUnique     = "DL-KEY-UNIQUE"
	RuleKeyUnknown    = "DL-KEY-UNKNOWN"
	RuleKeyWindow     = "DL-KEY-WINDOW"     // the document's time falls outside the key's validity window
	RuleKeyStatus     = "DL-KEY-STATUS"     // the key is retired or revoked
	RuleKeyOwner      = "DL-KEY-OWNER"      // a key of another jurisdiction
	RuleKeyDepartment = "DL-KEY-DEPARTMENT" // the document names another issuing department
	RuleKeyMaterial   = "DL-KEY-MATERIAL"   // not an SM2 public key, or its ID differs
)

// MaxKeyValidityYears bounds an issuer key's window.
const MaxKeyValidityYears = 10

// IssuerKey is an issuing department's (发证部门) SM2 public key in the
// channel's key registry.
type IssuerKey struct {
	KeyID        string `json:"keyId"`     // hex SM3 of the SubjectPublicKeyInfo
	PublicKey    string `json:"publicKey"` // SPKI PEM
	OwnerMSP     string `json:"ownerMsp"`
	Department   string `json:"department"`
	ValidFrom    string `json:"validFrom"`  // YYYY-MM-DD, CST, inclusive
	ValidUntil   string `json:"validUntil"` // YYYY-MM-DD, CST, inclusive
	Status       string `json:"status"`
	StatusReason string `json:"statusReason,omitempty"`
	ReplacedBy   string `json:"replacedBy,omitempty"`
	// CompromisedAt is when a revoked key was compromised (RFC 3339):
	// every document registered under it from then on reads revoked.
	CompromisedAt string  `json:"compromisedAt,omitempty"`
	Registered    Change  `json:"registered"`
	Ended         *Change `json:"ended,omitempty"`
	Last          Change  `json:"last"`
	Version       int     `json:"version"`
}

// IssuerKeyInput registers a key; the adapter derives KeyID from the PEM.
type IssuerKeyInput struct {
	PublicKey  string `json:"publicKey"`
	Department string `json:"department"`
	ValidFrom  string `json:"validFrom"`
	ValidUntil string `json:"validUntil"`
}

// RegisterIssuerKey decides a key registration by the channel's data
// authority: a named department and a window that has not ended.
func RegisterIssuerKey(j *Jurisdiction, existing *IssuerKey, keyID string, in IssuerKeyInput, now time.Time, c Change) (*IssuerKey, error) {
	if existing != nil {
		return nil, Conflict(RuleKeyUnique, "publicKey", "key %s is already registered (status %s since %s)", keyID, existing.Status, existing.Registered.Time)
	}
	if err := ValidateText("department", in.Department, MaxName); err != nil {
		return nil, err
	}
	from, err := ParseDate("validFrom", in.ValidFrom)
	if err != nil {
		return nil, err
	}
	until, err := ParseDate("validUntil", in.ValidUntil)
	if err != nil {
		return nil, err
	}
	switch {
	case until.Before(from):
		return nil, Invalid(RuleKeyWindow, "validUntil", "%s is before validFrom %s", in.ValidUntil, in.ValidFrom)
	case until.Before(DateOf(now)):
		return nil, Invalid(RuleKeyWindow, "validUntil", "%s has already passed", in.ValidUntil)
	case until.After(from.AddDate(MaxKeyValidityYears, 0, 0)):
		return nil, Invalid(RuleKeyWindow, "validUntil", "a key window is at most %d years", MaxKeyValidityYears)
	}
	c.Action = "register"
	return &IssuerKey{
		KeyID: keyID, PublicKey: in.PublicKey, OwnerMSP: c.Actor.MSP, Department: in.Department,
		ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil, Status: KeyActive,
		Registered: c, Last: c, Version: 1,
	}, nil
}

// RuleKeyCompromise: a compromise time is an RFC 3339 time within the
// key's life, not in the future.
const RuleKeyCompromise = "DL-KEY-COMPROMISE"

// EndIssuerKey retires (rotation) or revokes a key, with a reason. A retired
// key's window ends today; replacedBy names its successor. A revocation
// may state when the key was compromised (compromisedAt, RFC 3339; empty:
// withdrawn, not compromised): documents registered under it from then on
// read revoked, those registered before stay valid.
func EndIssuerKey(j *Jurisdiction, k *IssuerKey, action, reason, replacedBy, compromisedAt string, now time.Time, c Change) (*IssuerKey, error) {
	if k == nil {
		return nil, NotFound(RuleKeyUnknown, "keyId", "no issuer key with this ID on channel %s", j.Channel)
	}
	if err := ValidateText("reason", reason, MaxReason); err != nil {
		return nil, err
	}
	next := *k
	if compromisedAt != "" {
		at, err := time.Parse(time.RFC3339Nano, compromisedAt)
		if action != "revoke" || err != nil {
			return nil, Invalid(RuleKeyCompromise, "compromisedAt", "a compromise is stated on revocation, as an RFC 3339 time such as 2026-12-02T05:26:42+08:00; got %q", truncate(compromisedAt, 40))
		}
		registered, _ := time.Parse(time.RFC3339Nano, k.Registered.Time)
		if at.After(now) || at.Before(registered) {
			return nil, Invalid(RuleKeyCompromise, "compromisedAt", "%s must lie between the key's registration (%s) and now (%s)", compromisedAt, ChinaTime(k.Registered.Time), now.In(CST).Format(time.DateTime))
		}
		next.CompromisedAt = at.UTC().Format(time.RFC3339Nano)
	}
	switch {
	case action == "retire" && k.Status == KeyActive:
		next.Status = KeyRetired
		if today := DateOf(now).Format(time.DateOnly); today < next.ValidUntil {
			next.ValidUntil = today
		}
		next.ReplacedBy = replacedBy
	case action == "revoke" && k.Status != KeyRevoked:
		next.Status = KeyRevoked
	case action == "revoke" && compromisedAt != "" && (k.CompromisedAt == "" || earlier(next.CompromisedAt, k.CompromisedAt)):
		// A key withdrawn before its compromise was known is marked
		// compromised, or its compromise moved earlier, by revoking it
		// again; never later.
	default:
		return nil, Conflict(RuleKeyStatus, "status", "cannot %s a key that is %s", action, k.Status)
	}
	c.Action, c.Reason = action, reason
	next.StatusReason, next.Ended, next.Last, next.Version = reason, &c, c, k.Version+1
	return &next, nil
}

// CanSign refuses unless k may sign a document of jurisdiction j, naming
// the issuing department, registered at t: a registered key (k nil: keyID
// is not in the registry), owned by the channel's authority, usable at t
// and of that department. Credentials and certificates are signed under
// the same rule.
func (k *IssuerKey) CanSign(j *Jurisdiction, keyID, department string, t time.Time) error {
	if k == nil {
		return NotFound(RuleKeyUnknown, "issuerKeyId", "key %s is not in the key registry of channel %s", keyID, j.Channel)
	}
	if k.OwnerMSP != j.AuthorityMSP {
		return Forbidden(RuleKeyOwner, "issuerKeyId", "key %s belongs to %s, not to this jurisdiction's authority %s", k.KeyID, k.OwnerMSP, j.AuthorityMSP)
	}
	if err := k.UsableAt(t); err != nil {
		return err
	}
	if department != k.Department {
		return Invalid(RuleKeyDepartment, "issuingDepartment", "%q differs from the key's department %q", department, k.Department)
	}
	return nil
}

// earlier tells whether RFC 3339 time a is before b.
func earlier(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.Before(tb)
}

// CompromisedBy tells whether a document registered by change reg was
// registered at or after the key's compromise.
func (k *IssuerKey) CompromisedBy(reg Change) bool {
	if k == nil || k.CompromisedAt == "" {
		return false
	}
	at, err1 := time.Parse(time.RFC3339Nano, k.CompromisedAt)
	t, err2 := time.Parse(time.RFC3339Nano, reg.Time)
	return err1 != nil || err2 != nil || !t.Before(at) // unreadable: compromised (fail closed)
}

// UsableAt refuses unless the key may sign a document registered at t:
// active, and t's date within its window.
func (k *IssuerKey) UsableAt(t time.Time) error {
	if k.Status != KeyActive {
		return Forbidden(RuleKeyStatus, "issuerKeyId", "key %s is %s (%s) and signs no new documents", k.KeyID, k.Status, k.StatusReason)
	}
	day := DateOf(t).Format(time.DateOnly)
	if day < k.ValidFrom || day > k.ValidUntil {
		return Forbidden(RuleKeyWindow, "issuerKeyId", "key %s is valid %s to %s, not on %s", k.KeyID, k.ValidFrom, k.ValidUntil, day)
	}
	return nil
}

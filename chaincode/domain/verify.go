package domain

import (
	"fmt"
	"time"
)

// Verification outcomes (SPEC §5).
const (
	VerifyValid     = "valid"
	VerifySuspended = "suspended"
	VerifyRevoked   = "revoked"
	VerifyExpired   = "expired"
	VerifyPending   = "pending"
	VerifyNotFound  = "not_found"
	VerifyTampered  = "tampered"
)

// Verification answers "is this document genuine and in force?", always
// with the reason and, when it is on the ledger, the chain reference.
type Verification struct {
	Status    string            `json:"status"`
	Reason    string            `json:"reason"`
	Number    string            `json:"number"`
	Channel   string            `json:"channel,omitempty"`
	TxID      string            `json:"txId,omitempty"` // the registering transaction
	Time      string            `json:"time,omitempty"` // its commit timestamp
	KeyID     string            `json:"issuerKeyId,omitempty"`
	KeyStatus string            `json:"issuerKeyStatus,omitempty"` // the key's status now
	Record    *CredentialRecord `json:"record,omitempty"`
}

// VerifyCredentialRecord states a registered credential's status at t. The
// signature was verified against the key when it was registered, while
// the key was usable; a later retirement or revocation of the key does not
// undo that, and the answer says so.
func VerifyCredentialRecord(channel string, r *CredentialRecord, key *IssuerKey, t time.Time) Verification {
	v := Verification{Number: r.Number, Channel: channel, TxID: r.Issued.TxID, Time: r.Issued.Time, KeyID: r.IssuerKeyID, Record: r}
	if key != nil {
		v.KeyStatus = key.Status
	}
	v.Status = r.EffectiveStatus(t)
	signed := fmt.Sprintf("signed by key %s, valid when registered in tx %s at %s", r.IssuerKeyID, r.Issued.TxID, r.Issued.Time)
	if key != nil && key.Status != KeyActive {
		signed += fmt.Sprintf("; the key has since been %s (%s), which does not affect documents registered before", key.Status, key.StatusReason)
	}
	switch v.Status {
	case CredentialValid:
		v.Reason = fmt.Sprintf("in force %s to %s; %s", r.ValidFrom, r.ValidUntil, signed)
	case CredentialSuspended, CredentialRevoked:
		v.Reason = fmt.Sprintf("%s by %s at %s: %s", v.Status, r.Last.Actor.MSP, r.Last.Time, r.StatusReason)
	case CredentialExpired:
		v.Reason = fmt.Sprintf("validity ended on %s", r.ValidUntil)
	case CredentialPending:
		v.Reason = fmt.Sprintf("not in force before %s", r.ValidFrom)
	}
	return v
}

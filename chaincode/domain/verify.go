package domain

import (
	"encoding/json"
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
	Status    string          `json:"status"`
	Reason    string          `json:"reason"`
	Number    string          `json:"number"`
	Channel   string          `json:"channel,omitempty"`
	TxID      string          `json:"txId,omitempty"` // the registering transaction
	Time      string          `json:"time,omitempty"` // its commit timestamp
	KeyID     string          `json:"issuerKeyId,omitempty"`
	KeyStatus string          `json:"issuerKeyStatus,omitempty"` // the key's status now
	Record    json.RawMessage `json:"record,omitempty"`          // the credential or certificate record
}

// VerifyCredentialRecord states a registered credential's status at t, ag
// being its agreement as it stands (see EffectiveStatus). The
// signature was verified against the key when it was registered, while
// the key was usable; a later retirement or revocation of the key does not
// undo that, and the answer says so.
func VerifyCredentialRecord(channel string, r *CredentialRecord, key *IssuerKey, ag *Agreement, t time.Time) Verification {
	r = r.Standing(ag)
	rec, _ := json.Marshal(r)
	v := Verification{Number: r.Number, Channel: channel, TxID: r.Issued.TxID, Time: r.Issued.Time, KeyID: r.IssuerKeyID, Record: rec}
	if key != nil {
		v.KeyStatus = key.Status
	}
	v.Status = r.EffectiveStatus(t, ag)
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

// VerifyCertificateRecord states a registered certificate's status: its
// 区块链编号 is the registering transaction, on the channel.
func VerifyCertificateRecord(channel string, r *CertificateRecord, key *IssuerKey) Verification {
	rec, _ := json.Marshal(r)
	v := Verification{Number: r.Number, Channel: channel, TxID: r.Registered.TxID, Time: r.Registered.Time, KeyID: r.IssuerKeyID, Record: rec}
	if key != nil {
		v.KeyStatus = key.Status
	}
	v.Status = r.EffectiveStatus()
	switch v.Status {
	case VerifyValid:
		v.Reason = fmt.Sprintf("registered in tx %s at %s (区块链编号), signed by key %s", r.Registered.TxID, r.Registered.Time, r.IssuerKeyID)
		if r.PreExisting {
			v.Reason += "; a pre-existing product registered directly (GX 12(7))"
		}
	case VerifySuspended:
		v.Reason = fmt.Sprintf("%d objection(s) open: suspended until decided (GX 12(8))", r.OpenObjections)
	case VerifyRevoked:
		v.Reason = fmt.Sprintf("registration revoked at %s: %s", r.Last.Time, r.StatusReason)
	}
	return v
}

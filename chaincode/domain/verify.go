package domain

import (
	"encoding/json"
)

// Verification outcomes (SPEC §5). A verifier tells them apart: suspended
// lifts when the link that caused it is reinstated; authorization-ended
// (agreement terminated or expired, credential revoked or expired, party
// exited) lifts only where an agreement's term is extended; revoked is
// final (revoked, registration revoked, destruction ordered, key
// compromised before registration).
const (
	VerifyValid              = "valid"
	VerifySuspended          = "suspended"
	VerifyRevoked            = "revoked"
	VerifyAuthorizationEnded = "authorization-ended"
	VerifyExpired            = "expired"
	VerifyPending            = "pending"
	VerifyNotFound           = "not-found"
	VerifyTampered           = "tampered"
)

// Verification answers "is this document genuine and in force?", always
// with the reason in Chinese and in English and, when it is on the ledger,
// the chain reference and every link its force rests on (chain.go).
type Verification struct {
	Status    string          `json:"status"`
	Reason    string          `json:"reason"`             // English
	ReasonZh  string          `json:"reasonZh,omitempty"` // 中文
	Number    string          `json:"number"`
	Channel   string          `json:"channel,omitempty"`
	TxID      string          `json:"txId,omitempty"` // the registering transaction
	Time      string          `json:"time,omitempty"` // its commit timestamp, China time
	KeyID     string          `json:"issuerKeyId,omitempty"`
	KeyStatus string          `json:"issuerKeyStatus,omitempty"` // the key's status now
	At        string          `json:"at,omitempty"`              // the time the status was derived for (the transaction's)
	Links     []Link          `json:"links,omitempty"`           // every link checked, in order
	Cause     *Link           `json:"cause,omitempty"`           // the first link that decided a status other than valid
	Record    json.RawMessage `json:"record,omitempty"`          // the credential or certificate record
}

func marshal(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

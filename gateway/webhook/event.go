package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// The types of event a subscription may ask for.
const (
	// TypeRecordChanged: a record the subscriber holds was written (made,
	// or its status changed): for an enterprise its own party record,
	// agreements, credentials, applications and certificates; for an
	// exchange the certificates of the channels it serves.
	TypeRecordChanged = "record.changed"
	// TypeObjection: an objection against a record the subscriber holds
	// was filed or decided.
	TypeObjection = "objection.changed"
	// TypeCorrection: the 初审 of the enterprise's application asked for
	// supplementary materials (一次性告知补正): its turn. The change is
	// a record.changed too.
	TypeCorrection = "correction.requested"
	// TypeDeadline: a deadline on a record of the enterprise's own (one it
	// owes or is owed) is three working days away or less, by its
	// channel's calendar; once per record and due date.
	TypeDeadline = "deadline.approaching"
	// TypePing: sent on the subscriber's request, to check its receiver.
	TypePing = "ping"
)

// Types are the event types, in the order the API lists them.
var Types = []string{TypeRecordChanged, TypeObjection, TypeCorrection, TypeDeadline, TypePing}

// Event is what a delivery's body holds (as JSON).
type Event struct {
	// ID is the same on every attempt and for the same change seen twice
	// (after a restart): a receiver de-duplicates by it.
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	Subscription string    `json:"subscription"`
	Created      time.Time `json:"created"` // when the gateway made the event
	Channel      string    `json:"channel,omitempty"`
	// The record: its type, key (its number, or a party's credit code)
	// and, for a change, the transaction's action, the status and version
	// it wrote, the transaction, its block and its time (the chain's).
	RecordType string `json:"recordType,omitempty"`
	Key        string `json:"key,omitempty"`
	Action     string `json:"action,omitempty"`
	Status     string `json:"status,omitempty"`
	Version    int    `json:"version,omitempty"`
	TxID       string `json:"txId,omitempty"`
	Block      uint64 `json:"block,omitempty"`
	Time       string `json:"time,omitempty"`
	// Target is, for an objection, the record it is against.
	Target string `json:"target,omitempty"`
	// Due is, for a deadline, the date (China) by which Owes must act.
	Due  string `json:"due,omitempty"`
	Owes string `json:"owes,omitempty"`
}

// EventID derives an event's ID from what identifies it (the
// subscription, then e.g. the channel, transaction and record), so the
// same change seen again makes the same ID.
func EventID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "evt_" + hex.EncodeToString(h[:16])
}

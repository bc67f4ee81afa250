package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Kind classifies a refusal so adapters can map it (HTTP status, CLI exit code)
// without parsing text.
type Kind string

const (
	KindInvalid   Kind = "invalid"   // the input breaks a format or range rule
	KindForbidden Kind = "forbidden" // the caller may not do this
	KindConflict  Kind = "conflict"  // the ledger already holds something that excludes it
	KindNotFound  Kind = "not_found" // the record it needs does not exist
	KindPartial   Kind = "partial"   // the peer that answered holds part of what was asked: ask one that holds the whole chain
)

// RuleError is every refusal the domain makes. Rule is a stable code that
// names where the rule comes from (an article such as "GX-10.3", or a
// product rule such as "DL-PARTY-UNIQUE"); Field is the input it concerns.
type RuleError struct {
	Kind   Kind   `json:"kind"`
	Rule   string `json:"rule"`
	Field  string `json:"field,omitempty"`
	Detail string `json:"detail"`
}

func (e *RuleError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Rule, e.Field, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Rule, e.Detail)
}

// Invalid, Forbidden, Conflict and NotFound build RuleErrors of their kind.
func Invalid(rule, field, format string, args ...any) *RuleError {
	return &RuleError{Kind: KindInvalid, Rule: rule, Field: field, Detail: fmt.Sprintf(format, args...)}
}

func Forbidden(rule, field, format string, args ...any) *RuleError {
	return &RuleError{Kind: KindForbidden, Rule: rule, Field: field, Detail: fmt.Sprintf(format, args...)}
}

func Conflict(rule, field, format string, args ...any) *RuleError {
	return &RuleError{Kind: KindConflict, Rule: rule, Field: field, Detail: fmt.Sprintf(format, args...)}
}

func NotFound(rule, field, format string, args ...any) *RuleError {
	return &RuleError{Kind: KindNotFound, Rule: rule, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// Partial refuses an answer the peer can give only in part (it joined
// the channel from a snapshot and holds nothing before it).
func Partial(rule, field, format string, args ...any) *RuleError {
	return &RuleError{Kind: KindPartial, Rule: rule, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// AsRule returns the RuleError inside err, if any.
func AsRule(err error) (*RuleError, bool) {
	var re *RuleError
	ok := errors.As(err, &re)
	return re, ok
}

// IsRule tells whether err is a refusal by the rule code.
func IsRule(err error, rule string) bool {
	re, ok := AsRule(err)
	return ok && re.Rule == rule
}

// KindInternal is a failure of the chaincode that is no rule of ours (a
// refusal by Fabric, an unreadable record): deterministic, so retrying it
// does not help, and never reported as "the ledger is unavailable".
const KindInternal Kind = "internal"

// RuleInternal names an internal failure.
const RuleInternal = "DL-INTERNAL"

// Internal wraps a failure that is not a RuleError.
func Internal(err error) *RuleError {
	return &RuleError{Kind: KindInternal, Rule: RuleInternal, Detail: err.Error()}
}

// Answer is how every adapter answers a refusal of one kind: one HTTP
// status (the gateway) and one exit code (the CLI).
type Answer struct {
	HTTP int
	Exit int
}

// Answers is the one table of those answers. Exit codes 1 and 2 are the
// CLI's own (does not verify; malformed input or any other error).
var Answers = map[Kind]Answer{
	KindInvalid:   {HTTP: 422, Exit: 3},
	KindForbidden: {HTTP: 403, Exit: 4},
	KindConflict:  {HTTP: 409, Exit: 5},
	KindNotFound:  {HTTP: 404, Exit: 6},
	KindInternal:  {HTTP: 500, Exit: 7},
	KindPartial:   {HTTP: 503, Exit: 8},
}

// AnswerOf is the answer to a refusal (an unknown kind answers as internal).
func AnswerOf(e *RuleError) Answer {
	if a, ok := Answers[e.Kind]; ok {
		return a
	}
	return Answers[KindInternal]
}

// WireFormat marks a refusal's wire form, the message a transaction
// returns to Fabric: a JSON object with the format, kind, rule, field
// and detail, read back by ParseWire on the client side.
const WireFormat = "dataledger.refusal/1"

type wireRefusal struct {
	Format string `json:"format"`
	RuleError
}

// Wire is the refusal's wire form.
func (e *RuleError) Wire() string {
	b, _ := json.Marshal(wireRefusal{Format: WireFormat, RuleError: *e})
	return string(b)
}

// ParseWire reads a refusal's wire form; ok is false for any other message.
func ParseWire(msg string) (*RuleError, bool) {
	var w wireRefusal
	d := json.NewDecoder(strings.NewReader(msg))
	d.DisallowUnknownFields()
	if err := d.Decode(&w); err != nil || d.More() || w.Format != WireFormat || w.Rule == "" || w.Kind == "" {
		return nil, false
	}
	if _, err := d.Token(); err != io.EOF { // nothing may follow the object
		return nil, false
	}
	return &w.RuleError, true
}

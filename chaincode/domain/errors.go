package domain

import (
	"errors"
	"fmt"
)

// Kind classifies a refusal so adapters can map it (HTTP status, CLI exit code)
// without parsing text.
type Kind string

const (
	KindInvalid   Kind = "invalid"   // the input breaks a format or range rule
	KindForbidden Kind = "forbidden" // the caller may not do this
	KindConflict  Kind = "conflict"  // the ledger already holds something that excludes it
	KindNotFound  Kind = "not_found" // the record it needs does not exist
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

// AsRule returns the RuleError inside err, if any.
func AsRule(err error) (*RuleError, bool) {
	var re *RuleError
	ok := errors.As(err, &re)
	return re, ok
}

package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field size limits, in characters.
const (
	MaxName   = 200
	MaxReason = 1000
)

// RuleText is the product rule for free-text fields.
const RuleText = "DL-TEXT"

// ValidateText accepts trimmed, non-empty UTF-8 of at most max characters
// with no control, bidirectional-override or invisible characters (they let
// a displayed name differ from the recorded one).
func ValidateText(field, s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return Invalid(RuleText, field, "is not valid UTF-8")
	case strings.TrimSpace(s) == "":
		return Invalid(RuleText, field, "is required")
	case strings.TrimSpace(s) != s:
		return Invalid(RuleText, field, "has leading or trailing white space")
	case utf8.RuneCountInString(s) > max:
		return Invalid(RuleText, field, "has %d characters, at most %d allowed", utf8.RuneCountInString(s), max)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u200b' || r == '\ufeff' {
			return Invalid(RuleText, field, "contains control or invisible character %U", r)
		}
	}
	return nil
}

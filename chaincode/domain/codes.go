package domain

import (
	"strings"
	"unicode/utf8"
)

// Rule codes for identifiers.
const (
	RuleCreditCode   = "GB-32100" // unified social credit code, GB 32100-2015
	RuleDivisionCode = "GB-2260"  // administrative division code, GB/T 2260
)

// creditAlphabet is the code set of GB 32100-2015 §4.2: digits and the capital
// letters except I, O, Z, S, V; a character's value is its index.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// mod31Check is the check character of GB 32100-2015 §5 over any body of
// the code set: weights 3^i mod 31, check = (31 - Σ mod 31) mod 31. Every
// single-character change and every swap of two adjacent different
// characters changes it. ok is false for a character outside the code set.
func mod31Check(body string) (byte, bool) {
	sum, w := 0, 1
	for i := 0; i < len(body); i++ {
		v := strings.IndexByte(creditAlphabet, body[i])
		if v < 0 {
			return 0, false
		}
		sum += v * w
		w = w * 3 % 31
	}
	return creditAlphabet[(31-sum%31)%31], true
}

// CreditCodeCheckChar computes the 18th character for the first 17 characters
// of a unified social credit code. ok is false when body is not 17 characters
// of the code set.
func CreditCodeCheckChar(body string) (byte, bool) {
	if len(body) != 17 {
		return 0, false
	}
	return mod31Check(body)
}

// ValidateCreditCode checks a unified social credit code: 18 characters of
// the GB 32100 code set, registration-authority code, a valid division code
// in positions 3-8, and the check character. field names the input in the
// error.
func ValidateCreditCode(field, code string) error {
	if !utf8.ValidString(code) || len(code) != 18 {
		return Invalid(RuleCreditCode, field, "a unified social credit code has 18 characters, got %d", utf8.RuneCountInString(code))
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(creditAlphabet, code[i]) < 0 {
			return Invalid(RuleCreditCode, field, "character %d (%q) is not in the code set (digits and capitals except I O Z S V)", i+1, code[i])
		}
	}
	// Position 1: registration management department (1 机构编制, 5 民政,
	// 9 工商, Y 其他, and the further digits the standard reserves).
	if !strings.ContainsRune("156789ANY", rune(code[0])) {
		return Invalid(RuleCreditCode, field, "position 1 (%q) is not a registration-authority code", code[0])
	}
	if err := ValidateDivisionCode(field, code[2:8]); err != nil {
		return Invalid(RuleCreditCode, field, "positions 3-8 (%s) are not a division code", code[2:8])
	}
	want, _ := CreditCodeCheckChar(code[:17])
	if code[17] != want {
		return Invalid(RuleCreditCode, field, "check character is %q, expected %q", code[17], want)
	}
	return nil
}

// provincePrefixes are the first two digits of GB/T 2260 province-level codes.
var provincePrefixes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
}

// ValidateDivisionCode checks a six-digit GB/T 2260 administrative division
// code with a known province prefix (e.g. 450000 广西, 450100 南宁).
func ValidateDivisionCode(field, code string) error {
	if len(code) != 6 {
		return Invalid(RuleDivisionCode, field, "a division code has 6 digits, got %q", truncate(code, 32))
	}
	for i := 0; i < 6; i++ {
		if code[i] < '0' || code[i] > '9' {
			return Invalid(RuleDivisionCode, field, "a division code has only digits, got %q", code)
		}
	}
	if !provincePrefixes[code[:2]] {
		return Invalid(RuleDivisionCode, field, "%q does not start with a province code", code)
	}
	return nil
}

// DivisionLevel tells whether a valid division code is a province, a
// prefecture-level city or a county/district.
func DivisionLevel(code string) string {
	switch {
	case code[2:] == "0000":
		return "province"
	case code[4:] == "00":
		return "city"
	default:
		return "county"
	}
}

// DivisionContains reports whether division inner lies within outer
// (a province contains its cities, a city its districts).
func DivisionContains(outer, inner string) bool {
	switch DivisionLevel(outer) {
	case "province":
		return outer[:2] == inner[:2]
	case "city":
		return outer[:4] == inner[:4]
	default:
		return outer == inner
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

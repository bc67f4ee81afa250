package domain

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Number prefixes: what the number identifies.
const (
	PrefixAuthorization = "SQ" // 授权编号 of a credential (电子凭证)
	PrefixRegistration  = "DJ" // 登记号 of a product registration certificate
	PrefixAgreement     = "XY" // agreement (协议)
)

// RuleNumber is the code for the number scheme.
const RuleNumber = "DL-NUMBER"

// Number is a parsed 授权编号 / 登记号 / agreement number:
//
//	SQ-450100-2026-3KQ7M2XA-K
//	│  │      │    │        └ check character over division+year+serial (GB 32100 mod 31)
//	│  │      │    └ serial: 8 characters of the credit-code set, chosen at random by the issuer
//	│  │      └ year of issue
//	│  └ division code of the issuing jurisdiction
//	└ prefix: SQ authorization, DJ registration, XY agreement
//
// Uniqueness is the existence check of the number's own key, so issuing
// never serializes on a counter.
type Number struct {
	Prefix   string
	Division string
	Year     int
	Serial   string
}

func (n Number) body() string { return fmt.Sprintf("%s%04d%s", n.Division, n.Year, n.Serial) }

// String formats the number with its check character.
func (n Number) String() string {
	c, _ := mod31Check(n.body())
	return fmt.Sprintf("%s-%s-%04d-%s-%c", n.Prefix, n.Division, n.Year, n.Serial, c)
}

// NewNumber makes a number with a random serial read from random.
func NewNumber(prefix, division string, year int, random io.Reader) (Number, error) {
	serial := make([]byte, 8)
	for i := range serial {
		v, err := randInt(random, len(creditAlphabet))
		if err != nil {
			return Number{}, err
		}
		serial[i] = creditAlphabet[v]
	}
	n := Number{Prefix: prefix, Division: division, Year: year, Serial: string(serial)}
	if err := ValidateDivisionCode("divisionCode", division); err != nil {
		return Number{}, err
	}
	return n, nil
}

func randInt(r io.Reader, n int) (int, error) {
	var b [1]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, err
		}
		if int(b[0]) < 256-256%n { // no modulo bias
			return int(b[0]) % n, nil
		}
	}
}

// ParseNumber checks a number's form and check character, so a mistyped
// number is refused before any lookup. prefix is the kind expected.
func ParseNumber(field, s, prefix string) (Number, error) {
	parts := strings.Split(s, "-")
	if len(s) > 40 || len(parts) != 5 {
		return Number{}, Invalid(RuleNumber, field, "%q is not of the form %s-DDDDDD-YYYY-SSSSSSSS-C", truncate(s, 40), prefix)
	}
	if parts[0] != prefix {
		return Number{}, Invalid(RuleNumber, field, "prefix %q: a %s number starts with %s", truncate(parts[0], 8), numberKind(prefix), prefix)
	}
	if err := ValidateDivisionCode(field, parts[1]); err != nil {
		return Number{}, Invalid(RuleNumber, field, "division code %q is not a GB/T 2260 code", truncate(parts[1], 8))
	}
	year, err := strconv.Atoi(parts[2])
	if err != nil || len(parts[2]) != 4 || year < 2000 || year > 2999 {
		return Number{}, Invalid(RuleNumber, field, "year %q is not a four-digit year", truncate(parts[2], 8))
	}
	n := Number{Prefix: prefix, Division: parts[1], Year: year, Serial: parts[3]}
	if len(n.Serial) != 8 {
		return Number{}, Invalid(RuleNumber, field, "serial %q must have 8 characters", truncate(n.Serial, 12))
	}
	want, ok := mod31Check(n.body())
	if !ok {
		return Number{}, Invalid(RuleNumber, field, "serial %q has a character outside the code set (digits and capitals except I O Z S V)", n.Serial)
	}
	if len(parts[4]) != 1 || parts[4][0] != want {
		return Number{}, Invalid(RuleNumber, field, "check character %q does not match (expected %q): the number is mistyped", truncate(parts[4], 4), want)
	}
	return n, nil
}

func numberKind(prefix string) string {
	switch prefix {
	case PrefixAuthorization:
		return "授权编号 (authorization)"
	case PrefixRegistration:
		return "登记号 (registration)"
	default:
		return "agreement"
	}
}

// SequenceNumber makes the number whose serial encodes seq (base 31 in
// the credit-code alphabet, eight characters): distinct, sorted numbers for
// bulk-loaded benchmark records, never for real ones (their serials are
// random).
func SequenceNumber(prefix, division string, year int, seq uint64) Number {
	serial := make([]byte, 8)
	for i := len(serial) - 1; i >= 0; i-- {
		serial[i] = creditAlphabet[seq%uint64(len(creditAlphabet))]
		seq /= uint64(len(creditAlphabet))
	}
	return Number{Prefix: prefix, Division: division, Year: year, Serial: string(serial)}
}

// numberedNow checks a new record's number (field "number"): of its
// kind's prefix, carrying the channel's division and this year.
func (j *Jurisdiction) numberedNow(number, prefix string, now time.Time) error {
	num, err := ParseNumber("number", number, prefix)
	if err != nil {
		return err
	}
	if year := DateOf(now).Year(); num.Division != j.DivisionCode || num.Year != year {
		return Invalid(RuleNumber, "number", "%s must carry the jurisdiction %s and this year %d", number, j.DivisionCode, year)
	}
	return nil
}

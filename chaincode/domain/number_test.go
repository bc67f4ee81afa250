package domain

import (
	"crypto/rand"
	"testing"
)

func TestNumberRoundTripAndCheck(t *testing.T) {
	for i := 0; i < 200; i++ {
		n, err := NewNumber(PrefixAuthorization, "450100", 2026, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		s := n.String()
		back, err := ParseNumber("authorizationNumber", s, PrefixAuthorization)
		if err != nil || back != n {
			t.Fatalf("%s: %v %+v", s, err, back)
		}
		// Every single-character change of the body and every adjacent swap is caught.
		b := []byte(s)
		for pos := 3; pos < len(b)-2; pos++ {
			if b[pos] == '-' {
				continue
			}
			orig := b[pos]
			for _, c := range []byte(creditAlphabet) {
				if c == orig || (pos < 15 && (c < '0' || c > '9')) {
					continue
				}
				b[pos] = c
				if _, err := ParseNumber("n", string(b), PrefixAuthorization); err == nil {
					t.Fatalf("%s → %s accepted", s, b)
				}
			}
			b[pos] = orig
			if next := pos + 1; next < len(b)-2 && b[next] != '-' && b[next] != orig {
				b[pos], b[next] = b[next], b[pos]
				if _, err := ParseNumber("n", string(b), PrefixAuthorization); err == nil {
					t.Fatalf("swap at %d of %s accepted", pos, s)
				}
				b[pos], b[next] = b[next], b[pos]
			}
		}
	}
}

func TestParseNumberRefusals(t *testing.T) {
	good, _ := NewNumber(PrefixRegistration, "450200", 2026, rand.Reader)
	for _, bad := range []string{"", "DJ", good.String() + "X", "SQ" + good.String()[2:], "DJ-990000-2026-ABCDEFGH-1", "DJ-450200-26-ABCDEFGH-1", "DJ-450200-2026-ABCDEFGI-1", "../../etc/passwd"} {
		_, err := ParseNumber("registrationNumber", bad, PrefixRegistration)
		if re, ok := AsRule(err); !ok || re.Rule != RuleNumber || re.Field != "registrationNumber" {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestNumberPrefixesAreDistinct: a number's prefix names one kind of
// record (NumberedOf, proofs, routes).
func TestNumberPrefixesAreDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, r := range NumberedRecords {
		if other, ok := seen[r.Prefix]; ok {
			t.Errorf("prefix %s numbers both %s and %s", r.Prefix, other, r.Name)
		}
		seen[r.Prefix] = r.Name
	}
}

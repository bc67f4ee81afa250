package domain

import "testing"

func TestCreditCodeValid(t *testing.T) {
	for _, c := range []string{
		"91350100M000100Y43", // the example of GB 32100-2015 explanatory material
		"91110000600037341L", // a published code of a Beijing enterprise
		"91450100MA5L0000AW",
		"12450000MB12345675",
	} {
		if err := ValidateCreditCode("creditCode", c); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
}

func TestCreditCodeInvalid(t *testing.T) {
	cases := map[string]string{
		"91350100M000100Y44":  "check character",
		"91350100M000100Y4":   "18 characters",
		"91350100M000100Y433": "18 characters",
		"91350100M000100I43":  "code set",     // I is not in the code set
		"9135010OM000100Y43":  "code set",     // letter O
		"21350100M000100Y43":  "registration", // 2 is not a registration authority
		"91990100M000100Y43":  "division",
		"":                    "18 characters",
		"９１350100M000100Y4":   "18 characters", // full-width digits
	}
	for code, want := range cases {
		err := ValidateCreditCode("holderCreditCode", code)
		re, ok := AsRule(err)
		if !ok {
			t.Errorf("%q accepted, want refusal (%s)", code, want)
			continue
		}
		if re.Rule != RuleCreditCode || re.Field != "holderCreditCode" || re.Kind != KindInvalid {
			t.Errorf("%q: error %+v does not name the rule and field", code, re)
		}
	}
}

func TestCheckCharMatchesEveryBody(t *testing.T) {
	// Any single-character change of a valid body changes the check.
	body := "91450100MA5L0000A"
	want, _ := CreditCodeCheckChar(body)
	for i := 0; i < 17; i++ {
		for _, r := range creditAlphabet {
			if byte(r) == body[i] {
				continue
			}
			mutated := body[:i] + string(r) + body[i+1:]
			if got, _ := CreditCodeCheckChar(mutated); got == want {
				t.Fatalf("changing position %d to %c keeps check %c", i+1, r, want)
			}
		}
	}
}

func TestDivisionCode(t *testing.T) {
	for _, ok := range []string{"450000", "450100", "450200", "110101", "820000"} {
		if err := ValidateDivisionCode("divisionCode", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "45010", "4501000", "45010a", "000000", "990100", "４５0100", "45 100"} {
		if re, ok := AsRule(ValidateDivisionCode("divisionCode", bad)); !ok || re.Rule != RuleDivisionCode || re.Field != "divisionCode" {
			t.Errorf("%q: got %v, want a GB-2260 refusal naming divisionCode", bad, re)
		}
	}
	if !DivisionContains("450000", "450102") || !DivisionContains("450100", "450102") || DivisionContains("450100", "450202") {
		t.Error("DivisionContains is wrong")
	}
}

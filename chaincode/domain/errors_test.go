package domain

import "testing"

func TestParseWireRefusesOtherJSON(t *testing.T) {
	for _, msg := range []string{`{"kind":"invalid","rule":"X","detail":"d"}`, `{"format":"dataledger.refusal/1","kind":"invalid","rule":"X","detail":"d","extra":1}`, `DL-X: d`, ``, `{"format":"dataledger.refusal/1","kind":"invalid","rule":"X","detail":"d"} trailing`, `{"format":"dataledger.refusal/1","kind":"invalid","rule":"X","detail":"d"}{}`} {
		if re, ok := ParseWire(msg); ok {
			t.Errorf("%q parsed as %+v", msg, re)
		}
	}
}

func TestWireRoundTripAndAnswers(t *testing.T) {
	for kind := range Answers {
		in := &RuleError{Kind: kind, Rule: "GX-10.3", Field: "validUntil", Detail: "期限 \"quoted\" and\nnewline"}
		out, ok := ParseWire(in.Wire())
		if !ok || *out != *in {
			t.Fatalf("%s: %+v after the wire, want %+v", kind, out, in)
		}
	}
	seen := map[int]Kind{}
	for kind, a := range Answers {
		if other, dup := seen[a.Exit]; dup || a.Exit < 3 {
			t.Errorf("exit code %d of %s is taken (by %s) or the CLI's own", a.Exit, kind, other)
		}
		seen[a.Exit] = kind
	}
	if AnswerOf(&RuleError{Kind: "strange"}) != Answers[KindInternal] {
		t.Error("an unknown kind does not answer as internal")
	}
}

package domain

import (
	"strings"
	"testing"
)

// TestDataClassUnderNS: under NS a catalog or scenario agreement names
// the class of the data it grants; closed data is refused (NS 2),
// conditional data needs the joint meeting's assessment by the signing
// (NS 20); other profiles and other kinds name none.
func TestDataClassUnderNS(t *testing.T) {
	ps := BuiltinProfiles()
	ns, gx := ps["NS"], ps["GX"]
	opinion := &JointAssessment{OpinionDigest: strings.Repeat("d", 64), IssuedOn: "2026-03-01"}
	base := AgreementInput{Kind: AgreementCatalog, SignedOn: "2026-03-02"}
	for _, c := range []struct {
		name        string
		p           Profile
		edit        func(in *AgreementInput)
		rule, field string
	}{
		{"unconditional", ns, func(in *AgreementInput) { in.DataClass = DataUnconditional }, "", ""},
		{"conditional, assessed the day before", ns, func(in *AgreementInput) { in.DataClass, in.JointAssessment = DataConditional, opinion }, "", ""},
		{"conditional, assessed the day of signing", ns, func(in *AgreementInput) {
			in.Kind, in.DataClass, in.JointAssessment = AgreementScenario, DataConditional, &JointAssessment{OpinionDigest: opinion.OpinionDigest, IssuedOn: "2026-03-02"}
		}, "", ""},
		{"no class", ns, func(in *AgreementInput) {}, "NS-2", "dataClass"},
		{"an unknown class", ns, func(in *AgreementInput) { in.DataClass = "restricted" }, "NS-2", "dataClass"},
		{"closed", ns, func(in *AgreementInput) { in.DataClass = DataClosed }, "NS-2", "dataClass"},
		{"conditional, unassessed", ns, func(in *AgreementInput) { in.DataClass = DataConditional }, "NS-20", "jointAssessment"},
		{"conditional, assessed after signing", ns, func(in *AgreementInput) {
			in.DataClass, in.JointAssessment = DataConditional, &JointAssessment{OpinionDigest: opinion.OpinionDigest, IssuedOn: "2026-03-03"}
		}, "NS-20", "jointAssessment.issuedOn"},
		{"conditional, no digest", ns, func(in *AgreementInput) {
			in.DataClass, in.JointAssessment = DataConditional, &JointAssessment{IssuedOn: "2026-03-01"}
		}, RuleDigest, "jointAssessment.opinionDigest"},
		{"unconditional with an assessment", ns, func(in *AgreementInput) { in.DataClass, in.JointAssessment = DataUnconditional, opinion }, RuleDataClass, "jointAssessment"},
		{"an operation agreement", ns, func(in *AgreementInput) { in.Kind, in.DataClass = AgreementOperation, DataUnconditional }, RuleDataClass, "dataClass"},
		{"an operation agreement, none named", ns, func(in *AgreementInput) { in.Kind = AgreementOperation }, "", ""},
		{"GX sets no classes", gx, func(in *AgreementInput) { in.DataClass = DataUnconditional }, RuleDataClass, "dataClass"},
		{"GX, none named", gx, func(in *AgreementInput) {}, "", ""},
	} {
		in := base
		c.edit(&in)
		err := CheckDataClass(c.p, in)
		if c.rule == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		re, ok := AsRule(err)
		if !ok || re.Rule != c.rule || re.Field != c.field {
			t.Errorf("%s: %v, want %s on %s", c.name, err, c.rule, c.field)
		}
	}
}

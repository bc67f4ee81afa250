package domain

import "fmt"

// Open-data classes (NS 2): where a profile lists them, public data is
// opened unconditionally, conditionally, or not at all, and data not to be
// opened is outside authorized operation. A catalog or scenario agreement
// (NS: the 服务协议 by which the operator grants data to a 授权合作方)
// names the class of the data it grants: closed data is refused; data
// opened conditionally is granted only after the joint meeting (授权运营
// 联席会议) confirmed its assessment (评估确认意见, NS 20), by the day the
// agreement is signed.
const (
	DataUnconditional = "unconditional" // 无条件开放: the operator's review suffices (NS 20 ¶1)
	DataConditional   = "conditional"   // 有条件开放: the joint meeting's assessment first (NS 20 ¶2)
	DataClosed        = "closed"        // 不予开放: outside authorized operation (NS 2)
)

// OpenDataClassNames are the classes a profile may list, with their names.
var OpenDataClassNames = map[string]string{DataUnconditional: "无条件开放", DataConditional: "有条件开放", DataClosed: "不予开放"}

// RuleDataClass refuses a class or an assessment named where the profile
// or the agreement's kind has none, or an assessment of data that needs
// none; a missing, unknown or closed class and a missing or late
// assessment cite the profile's articles (openData, jointAssessment).
const RuleDataClass = "DL-DATA-CLASS"

// JointAssessment is the joint meeting's confirmed assessment of a
// conditional grant (NS 20): the digest of its opinion and its day.
type JointAssessment struct {
	OpinionDigest string `json:"opinionDigest"` // SM3 of the 评估确认意见
	IssuedOn      string `json:"issuedOn"`
}

// grantsData tells whether an agreement of kind grants data to an
// enterprise: the agreements whose data class a profile's classes govern.
func grantsData(kind string) bool { return kind == AgreementCatalog || kind == AgreementScenario }

// CheckDataClass judges an agreement's data class under the profile
// (NS 2, NS 20), the assessment by its SignedOn. NS 2 lets a law provide
// otherwise for data not to be opened (法律另有规定的按相关规定执行):
// such data is not granted through this ledger, and is refused.
func CheckDataClass(p Profile, in AgreementInput) error {
	if len(p.OpenDataClasses) == 0 || !grantsData(in.Kind) {
		switch {
		case in.DataClass != "":
			return Invalid(RuleDataClass, "dataClass", "profile %s sets no open-data class for a %s agreement: leave dataClass out", p.Name, in.Kind)
		case in.JointAssessment != nil:
			return Invalid(RuleDataClass, "jointAssessment", "profile %s asks no joint assessment for a %s agreement: leave jointAssessment out", p.Name, in.Kind)
		}
		return nil
	}
	openData := p.Cite("openData", RuleDataClass)
	if !contains(p.OpenDataClasses, in.DataClass) {
		return Invalid(openData, "dataClass", "a %s agreement names the open-data class of the data it grants, one of %v (%s); got %q", in.Kind, p.OpenDataClasses, openData, truncate(in.DataClass, 32))
	}
	switch in.DataClass {
	case DataClosed:
		return Forbidden(openData, "dataClass", "data not to be opened (不予开放) is outside authorized operation (%s)", openData)
	case DataConditional:
		rule := p.Cite("jointAssessment", RuleDataClass)
		a := in.JointAssessment
		if a == nil {
			return Invalid(rule, "jointAssessment", "data opened conditionally (有条件开放) is granted after the joint meeting confirmed its assessment (%s): name its opinion's digest and day", rule)
		}
		if !digestRE.MatchString(a.OpinionDigest) {
			return Invalid(RuleDigest, "jointAssessment.opinionDigest", "must be the SM3 digest of the joint meeting's opinion (评估确认意见): 64 lowercase hex characters")
		}
		on, err := ParseDate("jointAssessment.issuedOn", a.IssuedOn)
		if err != nil {
			return err
		}
		if on.Format("2006-01-02") > in.SignedOn {
			return Invalid(rule, "jointAssessment.issuedOn", "the assessment of %s came after the agreement was signed on %s: the agreement follows it (%s)", a.IssuedOn, in.SignedOn, rule)
		}
	default:
		if in.JointAssessment != nil {
			return Invalid(RuleDataClass, "jointAssessment", "data opened %s needs no joint assessment: leave it out", in.DataClass)
		}
	}
	return nil
}

// validateOpenDataClasses checks a profile's classes are the known ones,
// each once.
func validateOpenDataClasses(classes []string) error {
	seen := map[string]bool{}
	for i, c := range classes {
		if _, ok := OpenDataClassNames[c]; !ok || seen[c] {
			return Invalid(RuleProfile, fmt.Sprintf("openDataClasses[%d]", i), "%q is not one of unconditional, conditional, closed, or is listed twice", truncate(c, 32))
		}
		seen[c] = true
	}
	return nil
}

package domain

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Document types, versioned: a verifier refuses a type it does not know.
const (
	DocTypeCredential  = "dataledger.credential.v1"
	DocTypeCertificate = "dataledger.productCertificate.v1"
)

// Field is one document field with its Chinese label, for display.
type Field struct {
	Name  string // JSON member name
	Label string // Chinese label as printed on the document
	Value string
}

// Document is a typed, validated document.
type Document interface {
	DocType() string
	Validate() error
	Fields() []Field
}

// Credential is the electronic credential (电子凭证) issued when a catalog
// authorization agreement is signed, GX 10(3).
type Credential struct {
	Type                string          `json:"docType"`
	AuthorizationNumber string          `json:"authorizationNumber"` // 授权编号
	HolderName          string          `json:"holderName"`          // 被授权主体名称
	HolderCreditCode    string          `json:"holderCreditCode"`    // 统一社会信用代码
	Scope               string          `json:"scope"`               // 授权范围
	ValidFrom           string          `json:"validFrom"`           // 授权期限 (start, YYYY-MM-DD)
	ValidUntil          string          `json:"validUntil"`          // 授权期限 (end, inclusive)
	IssuingDepartment   string          `json:"issuingDepartment"`   // 发证部门
	IssueDate           string          `json:"issueDate"`           // 发证日期
	DivisionCode        string          `json:"divisionCode"`        // jurisdiction of the issuer
	Channel             string          `json:"channel"`             // ledger it is registered on
	AgreementDigest     string          `json:"agreementDigest"`     // SM3 of the catalog authorization agreement
	IssuerKeyID         string          `json:"issuerKeyId"`
	Signature           json.RawMessage `json:"signature,omitempty"` // the envelope's, see certs
}

// Product types of the registration certificate (产品类型), GX 12(7).
var ProductTypes = map[string]string{
	"dataset": "数据集",
	"model":   "数据模型",
	"api":     "数据接口",
	"report":  "数据报告",
	"service": "数据服务",
	"other":   "其他",
}

// ChainReference is the 区块链编号: the transaction that registered the
// certificate, on its channel.
type ChainReference struct {
	Channel string `json:"channel"`
	TxID    string `json:"txId"`
}

// Certificate is the product registration certificate (《数据产品登记证书》),
// GX 12(7).
type Certificate struct {
	Type                 string          `json:"docType"`
	CertificateName      string          `json:"certificateName"`      // 证书名称
	ProductName          string          `json:"productName"`          // 数据产品名称
	RegistrationNumber   string          `json:"registrationNumber"`   // 登记号
	ProductType          string          `json:"productType"`          // 产品类型
	EnterpriseName       string          `json:"enterpriseName"`       // 经营主体
	EnterpriseCreditCode string          `json:"enterpriseCreditCode"` // 统一社会信用代码
	UpdateCycle          string          `json:"updateCycle"`          // 数据更新周期
	ApplicationScenario  string          `json:"applicationScenario"`  // 应用场景
	ChainReference       ChainReference  `json:"chainReference"`       // 区块链编号
	RegistrationDate     string          `json:"registrationDate"`     // 登记日期
	AuthorizationNumbers []string        `json:"authorizationNumbers"` // linked 授权编号
	ResourceIDs          []string        `json:"resourceIds"`          // registered data resources used (GD 27)
	PreExisting          bool            `json:"preExisting"`          // registered directly, GX 12(7) last paragraph
	IssuingDepartment    string          `json:"issuingDepartment"`    // 发证部门
	IssuerKeyID          string          `json:"issuerKeyId"`
	Signature            json.RawMessage `json:"signature,omitempty"`
}

func (c *Credential) DocType() string  { return DocTypeCredential }
func (c *Certificate) DocType() string { return DocTypeCertificate }

// Field limits, in characters.
const (
	maxName     = MaxName
	maxText     = 2000
	maxNumber   = 64
	maxListSize = 100
)

var (
	numberPattern  = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{3,63}$`)
	digestPattern  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	txIDPattern    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	channelPattern = regexp.MustCompile(`^[a-z][a-z0-9.-]{0,48}$`)
	idPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
)

// Rule code for document field checks.
const RuleDocument = "DL-DOC"

// RuleJSONMember refuses JSON input with a member named twice in one
// object or named like a known member but for case (kind invalid; the
// field is the member's path). Go's decoder would take the last duplicate
// and match names case-insensitively, so such input reads differently
// to a reader matching names exactly. strictjson.Rule is the same code.
const RuleJSONMember = "DL-JSON-MEMBER"

// Validate checks every field of a credential.
func (c *Credential) Validate() error {
	v := validator{}
	v.equal("docType", c.Type, DocTypeCredential)
	v.number("authorizationNumber", c.AuthorizationNumber, PrefixAuthorization)
	v.text("holderName", c.HolderName, maxName)
	v.creditCode("holderCreditCode", c.HolderCreditCode)
	v.text("scope", c.Scope, maxText)
	from := v.date("validFrom", c.ValidFrom)
	until := v.date("validUntil", c.ValidUntil)
	if v.err == nil && until.Before(from) {
		v.rule(Invalid(RuleTerm, "validUntil", "ends (%s) before it starts (%s)", c.ValidUntil, c.ValidFrom))
	}
	v.text("issuingDepartment", c.IssuingDepartment, maxName)
	v.date("issueDate", c.IssueDate)
	v.division("divisionCode", c.DivisionCode)
	v.pattern("channel", c.Channel, channelPattern, "a Fabric channel name")
	v.pattern("agreementDigest", c.AgreementDigest, digestPattern, "64 lowercase hex characters (SM3)")
	v.pattern("issuerKeyId", c.IssuerKeyID, digestPattern, "64 lowercase hex characters (SM3 of the key)")
	return v.err
}

// Validate checks every field of a product registration certificate.
func (c *Certificate) Validate() error {
	v := validator{}
	v.equal("docType", c.Type, DocTypeCertificate)
	v.text("certificateName", c.CertificateName, maxName)
	v.text("productName", c.ProductName, maxName)
	v.number("registrationNumber", c.RegistrationNumber, PrefixRegistration)
	if _, ok := ProductTypes[c.ProductType]; !ok && v.err == nil {
		v.fail("productType", "%q is not one of dataset, model, api, report, service, other", truncate(c.ProductType, 32))
	}
	v.text("enterpriseName", c.EnterpriseName, maxName)
	v.creditCode("enterpriseCreditCode", c.EnterpriseCreditCode)
	v.text("updateCycle", c.UpdateCycle, maxName)
	v.text("applicationScenario", c.ApplicationScenario, maxText)
	v.pattern("chainReference.channel", c.ChainReference.Channel, channelPattern, "a Fabric channel name")
	v.pattern("chainReference.txId", c.ChainReference.TxID, txIDPattern, "a Fabric transaction ID (64 lowercase hex)")
	v.date("registrationDate", c.RegistrationDate)
	v.list("authorizationNumbers", c.AuthorizationNumbers, numberPattern)
	for i, n := range c.AuthorizationNumbers {
		v.number(fmt.Sprintf("authorizationNumbers[%d]", i), n, PrefixAuthorization)
	}
	v.list("resourceIds", c.ResourceIDs, idPattern)
	v.text("issuingDepartment", c.IssuingDepartment, maxName)
	v.pattern("issuerKeyId", c.IssuerKeyID, digestPattern, "64 lowercase hex characters (SM3 of the key)")
	return v.err
}

// Fields lists the credential's fields with their Chinese labels.
func (c *Credential) Fields() []Field {
	return []Field{
		{"authorizationNumber", "授权编号", c.AuthorizationNumber},
		{"holderName", "被授权主体名称", c.HolderName},
		{"holderCreditCode", "统一社会信用代码", c.HolderCreditCode},
		{"scope", "授权范围", c.Scope},
		{"validFrom", "授权期限（起）", c.ValidFrom},
		{"validUntil", "授权期限（止）", c.ValidUntil},
		{"issuingDepartment", "发证部门", c.IssuingDepartment},
		{"issueDate", "发证日期", c.IssueDate},
		{"divisionCode", "行政区划代码", c.DivisionCode},
		{"channel", "账本通道", c.Channel},
		{"agreementDigest", "授权协议摘要（SM3）", c.AgreementDigest},
		{"issuerKeyId", "发证密钥标识", c.IssuerKeyID},
	}
}

// Fields lists the certificate's fields with their Chinese labels.
func (c *Certificate) Fields() []Field {
	pre := "否"
	if c.PreExisting {
		pre = "是"
	}
	return []Field{
		{"certificateName", "证书名称", c.CertificateName},
		{"productName", "数据产品名称", c.ProductName},
		{"registrationNumber", "登记号", c.RegistrationNumber},
		{"productType", "产品类型", ProductTypes[c.ProductType]},
		{"enterpriseName", "经营主体", c.EnterpriseName},
		{"enterpriseCreditCode", "统一社会信用代码", c.EnterpriseCreditCode},
		{"updateCycle", "数据更新周期", c.UpdateCycle},
		{"applicationScenario", "应用场景", c.ApplicationScenario},
		{"chainReference", "区块链编号", c.ChainReference.Channel + "/" + c.ChainReference.TxID},
		{"registrationDate", "登记日期", c.RegistrationDate},
		{"authorizationNumbers", "授权编号", strings.Join(c.AuthorizationNumbers, ", ")},
		{"resourceIds", "数据资源", strings.Join(c.ResourceIDs, ", ")},
		{"preExisting", "存量产品直接登记", pre},
		{"issuingDepartment", "发证部门", c.IssuingDepartment},
		{"issuerKeyId", "发证密钥标识", c.IssuerKeyID},
	}
}

// validator collects the first field error.
type validator struct{ err error }

func (v *validator) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = Invalid(RuleDocument, field, format, args...)
	}
}

func (v *validator) equal(field, got, want string) {
	if got != want {
		v.fail(field, "must be %q", want)
	}
}

// text applies the domain's free-text rule (domain.ValidateText).
func (v *validator) text(field, s string, max int) {
	v.rule(ValidateText(field, s, max))
}

func (v *validator) pattern(field, s string, re *regexp.Regexp, what string) {
	if !re.MatchString(s) {
		v.fail(field, "must be %s", what)
	}
}

func (v *validator) number(field, s, prefix string) {
	_, err := ParseNumber(field, s, prefix)
	v.rule(err)
}

func (v *validator) date(field, s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		v.fail(field, "must be a date YYYY-MM-DD, got %q", truncate(s, 40))
	}
	return t
}

func (v *validator) creditCode(field, s string) { v.rule(ValidateCreditCode(field, s)) }

func (v *validator) division(field, s string) { v.rule(ValidateDivisionCode(field, s)) }

// rule keeps the first refusal of a field rule as it is.
func (v *validator) rule(err error) {
	if v.err == nil && err != nil {
		v.err = err
	}
}

func (v *validator) list(field string, items []string, re *regexp.Regexp) {
	if len(items) > maxListSize {
		v.fail(field, "has %d entries, at most %d allowed", len(items), maxListSize)
		return
	}
	seen := map[string]bool{}
	for i, s := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !re.MatchString(s) {
			v.fail(f, "%q is not a valid identifier", truncate(s, 40))
		}
		if seen[s] {
			v.fail(f, "%q is listed twice", s)
		}
		seen[s] = true
	}
}

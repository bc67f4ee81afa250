package domain

import "regexp"

// National registration (GX 12(7) registers a product locally; the
// national data-property registration platform may register it too and
// answer with a 登记结果查询码 and a unified code). Its format is not fixed
// nationally yet, so a code is kept as an opaque, validated string with
// the platform that issued it.

// NationalRegistration is a certificate's registration on a national
// platform, as the data authority recorded it.
type NationalRegistration struct {
	Platform    string `json:"platform"`              // 登记平台
	QueryCode   string `json:"queryCode"`             // 登记结果查询码
	UnifiedCode string `json:"unifiedCode,omitempty"` // 统一编码, where assigned
	Recorded    Change `json:"recorded"`
}

// National registration rule codes.
const (
	RuleNationalCode   = "DL-NATIONAL-CODE"   // an opaque code: printable, no spaces, 4–64 characters
	RuleNationalUnique = "DL-NATIONAL-UNIQUE" // one certificate per code on a channel
)

// TypeNationalCode indexes certificates by national code (query and
// unified), for search.
const TypeNationalCode = "certificate~national"

// MaxPlatform bounds a platform's name, in characters.
const MaxPlatform = 100

// No "/" nor "#": a code is a path segment of the public search route.
var nationalCodePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{3,63}$`)

// ValidateNationalCode accepts an opaque code of 4 to 64 letters, digits
// and . _ : - starting with a letter or digit.
func ValidateNationalCode(field, code string) error {
	if !nationalCodePattern.MatchString(code) {
		return Invalid(RuleNationalCode, field, "%q is not a registration code: 4 to 64 letters, digits and . _ : -, starting with a letter or digit", truncate(code, 70))
	}
	return nil
}

// NationalInput is what the data authority records.
type NationalInput struct {
	Platform    string `json:"platform"`
	QueryCode   string `json:"queryCode"`
	UnifiedCode string `json:"unifiedCode"`
	Reason      string `json:"reason"` // required when it replaces one recorded before (a correction)
}

// RecordNational decides the recording of a certificate's national
// registration. holders are the certificates the new codes are indexed
// to already (by code), if any: a code belongs to one certificate. A
// recording that replaces an earlier one needs a reason and keeps the
// earlier one in the record's history.
func RecordNational(j *Jurisdiction, cert *CertificateRecord, in NationalInput, holders map[string]string, c Change) (*CertificateRecord, error) {
	if cert == nil {
		return nil, NotFound(RuleCertificateExists, "registrationNumber", "no certificate with this number on channel %s", j.Channel)
	}
	if cert.Status == CertificateRevoked {
		return nil, Conflict(RuleNationalUnique, "registrationNumber", "certificate %s was revoked (%s): a national registration is not recorded on it", cert.Number, cert.StatusReason)
	}
	if err := ValidateText("platform", in.Platform, MaxPlatform); err != nil {
		return nil, err
	}
	if err := ValidateNationalCode("queryCode", in.QueryCode); err != nil {
		return nil, err
	}
	if in.UnifiedCode != "" {
		if err := ValidateNationalCode("unifiedCode", in.UnifiedCode); err != nil {
			return nil, err
		}
		if in.UnifiedCode == in.QueryCode {
			return nil, Invalid(RuleNationalCode, "unifiedCode", "is the query code again")
		}
	}
	for _, f := range [][2]string{{"queryCode", in.QueryCode}, {"unifiedCode", in.UnifiedCode}} { // in order: every peer refuses alike
		if other := holders[f[1]]; f[1] != "" && other != "" && other != cert.Number {
			return nil, Conflict(RuleNationalUnique, f[0], "%s is the national code of certificate %s on channel %s", f[1], other, j.Channel)
		}
	}
	if in.Reason != "" {
		if err := ValidateText("reason", in.Reason, MaxReason); err != nil {
			return nil, err
		}
	}
	if cert.National != nil {
		if *cert.National == (NationalRegistration{Platform: in.Platform, QueryCode: in.QueryCode, UnifiedCode: in.UnifiedCode, Recorded: cert.National.Recorded}) {
			return nil, Conflict(RuleNationalUnique, "queryCode", "certificate %s carries this national registration already (tx %s)", cert.Number, cert.National.Recorded.TxID)
		}
		if in.Reason == "" {
			return nil, Invalid(RuleText, "reason", "replacing the national registration recorded in tx %s needs a reason", cert.National.Recorded.TxID)
		}
	}
	c.Action, c.Reason = "national-registration", in.Reason
	next := *cert
	next.National = &NationalRegistration{Platform: in.Platform, QueryCode: in.QueryCode, UnifiedCode: in.UnifiedCode, Recorded: c}
	next.Last, next.Version = c, cert.Version+1
	return &next, nil
}

package certs

import (
	"bytes"
	"encoding/json"
	"strings"

	"dataledger/chaincode/domain"
	"dataledger/internal/strictjson"
)

// The signed document types are the domain's records; certs signs and
// verifies them. These aliases keep the names at hand for callers of certs.
type (
	Document       = domain.Document
	Credential     = domain.Credential
	Certificate    = domain.Certificate
	ChainReference = domain.ChainReference
	Field          = domain.Field
)

// Document type identifiers.
const (
	TypeCredential  = domain.DocTypeCredential
	TypeCertificate = domain.DocTypeCertificate
	TypeReport      = domain.DocTypeReport
)

// DecodeDocument decodes a document by its "docType" member, refusing
// unknown members and ambiguous ones (a name twice in an object, or a
// name differing from a field's only by case: Go would read the last or
// the case-folded one where a verifier matching names exactly reads
// another; Rule DL-JSON-MEMBER), and validates every field. Field errors come back as
// malformed, naming the field and the rule.
func DecodeDocument(data []byte) (Document, error) {
	var head struct {
		Type string `json:"docType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, malformed("", "not a JSON object: %v", err)
	}
	var doc Document
	switch head.Type {
	case TypeCredential:
		doc = &Credential{}
	case TypeCertificate:
		doc = &Certificate{}
	case TypeReport:
		doc = &domain.SupervisionReport{}
	default:
		return nil, malformed("docType", "unknown document type %q (want %s, %s or %s)", truncated(head.Type), TypeCredential, TypeCertificate, TypeReport)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(doc); err != nil {
		return nil, malformed(jsonErrorField(err), "%v", err)
	}
	if err := checkMembers(data, doc); err != nil {
		return nil, err
	}
	if err := doc.Validate(); err != nil {
		if re, ok := domain.AsRule(err); ok {
			e := malformed(re.Field, "%s (%s)", re.Detail, re.Rule)
			e.Rule = re.Rule
			return nil, e
		}
		return nil, err
	}
	return doc, nil
}

// checkMembers refuses data's duplicate and case-variant members
// (strictjson) as malformed with Rule strictjson.Rule, the field being
// the member's path.
func checkMembers(data []byte, v any) *Error {
	err := strictjson.Check(data, v)
	if err == nil {
		return nil
	}
	if me, ok := strictjson.As(err); ok {
		e := malformed(me.Path, "%s (%s)", me.Detail, strictjson.Rule)
		e.Rule = strictjson.Rule
		return e
	}
	return malformed("", "not a JSON object: %v", err)
}

func jsonErrorField(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return te.Field
	}
	if s := err.Error(); strings.HasPrefix(s, "json: unknown field ") {
		return strings.Trim(strings.TrimPrefix(s, "json: unknown field "), `"`)
	}
	return ""
}

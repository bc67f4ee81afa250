package certs

import (
	"bytes"
	"encoding/json"
	"strings"

	"dataledger/chaincode/domain"
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
)

// DecodeDocument decodes a document by its "docType" member, refusing
// unknown members, and validates every field. Field errors come back as
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
	default:
		return nil, malformed("docType", "unknown document type %q (want %s or %s)", truncated(head.Type), TypeCredential, TypeCertificate)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(doc); err != nil {
		return nil, malformed(jsonErrorField(err), "%v", err)
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

func jsonErrorField(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return te.Field
	}
	if s := err.Error(); strings.HasPrefix(s, "json: unknown field ") {
		return strings.Trim(strings.TrimPrefix(s, "json: unknown field "), `"`)
	}
	return ""
}

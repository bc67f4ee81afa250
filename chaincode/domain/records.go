package domain

import "strings"

// Record types: the object type of every state key (CompositeKey) and the
// first part of every chaincode event name ("<recordType>.<action>").
const (
	TypeJurisdiction = "jurisdiction"
	TypeProfile      = "profile"
	TypeParty        = "party"
	TypeIssuerKey    = "issuerKey"
	TypeCalendar     = "calendar"
	TypeAgreement    = "agreement"
	TypeCredential   = "credential"
	TypeApplication  = "application"
	TypeCertificate  = "certificate"
	TypeObjection    = "objection"
	TypeEgress       = "egress"
	TypeAck          = "ack"
	TypeReport       = "report"
	TypeObligation   = "obligation"
	TypeCredit       = "creditRecord"
	TypeEvaluation   = "evaluation"
	TypeSelection    = "selection"
	TypePlan         = "plan"
	TypeBench        = "bench" // raw benchmark keys (BenchPut, BenchShape)
)

// NumberedRecord is a kind of record identified by a Number: the number's
// prefix says which.
type NumberedRecord struct {
	Prefix     string // of its numbers
	Name       string // its kind in proofs, routes (/api/v1/<name>s/) and messages
	RecordType string // the object type of its state key
}

// NumberedRecords is the one table from number prefix to record kind.
var NumberedRecords = []NumberedRecord{
	{PrefixAuthorization, "credential", TypeCredential},
	{PrefixRegistration, "certificate", TypeCertificate},
	{PrefixAgreement, "agreement", TypeAgreement},
	{PrefixApplication, "application", TypeApplication},
	{PrefixObjection, "objection", TypeObjection},
	{PrefixReport, "report", TypeReport},
	{PrefixObligation, "obligation", TypeObligation},
	{PrefixCredit, "credit-record", TypeCredit},
	{PrefixEvaluation, "evaluation", TypeEvaluation},
	{PrefixSelection, "selection", TypeSelection},
	{PrefixPlan, "plan", TypePlan},
}

// NumberPrefixes are the prefixes of NumberedRecords, in its order.
func NumberPrefixes() []string {
	out := make([]string, len(NumberedRecords))
	for i, r := range NumberedRecords {
		out[i] = r.Prefix
	}
	return out
}

// NumberedByPrefix is the kind of record whose numbers have prefix.
func NumberedByPrefix(prefix string) (NumberedRecord, bool) {
	for _, r := range NumberedRecords {
		if r.Prefix == prefix {
			return r, true
		}
	}
	return NumberedRecord{}, false
}

// NumberedByRecordType is the numbered kind of record stored as recordType.
func NumberedByRecordType(recordType string) (NumberedRecord, bool) {
	for _, r := range NumberedRecords {
		if r.RecordType == recordType {
			return r, true
		}
	}
	return NumberedRecord{}, false
}

// NumberedOf is the kind of record a number's prefix names (the number
// itself is not checked: ParseNumber with the kind's prefix does that).
func NumberedOf(number string) (NumberedRecord, bool) {
	for _, r := range NumberedRecords {
		if strings.HasPrefix(number, r.Prefix+"-") {
			return r, true
		}
	}
	return NumberedRecord{}, false
}

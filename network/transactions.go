package network

import (
	"encoding/json"
	"fmt"
	"reflect"

	"dataledger/chaincode/domain"
)

// This file is the one place in the Go product code that names the
// chaincode's functions and knows the order and encoding of their
// arguments (a unit test fails on a function name written anywhere
// else). Each transaction is declared once, as a method of Tx that
// returns a Read or a Write: its name, its arguments as the chaincode
// receives them, and the type of its answer. The methods of *Client with
// the same names run them as the client's identity; anything else that
// can evaluate and submit (the gateway's ledger, acting for a caller) is
// an Invoker and runs the same declarations.

// Invoker evaluates and submits chaincode functions on a channel.
// *Client is one; the gateway adapts its per-request ledger to it.
type Invoker interface {
	Evaluate(channel, fn string, args ...string) ([]byte, error)
	Submit(channel, fn string, args ...string) (*Committed, error)
	// SubmitOwnTxID submits a transaction whose arguments contain its own
	// transaction ID (build receives it before anything is signed).
	SubmitOwnTxID(channel, fn string, build func(txID string) ([]string, error)) (*Committed, error)
}

// Call is a chaincode function with its arguments, in the contract's
// order and encoding: strings as they are, anything else as JSON.
type Call struct {
	Fn   string
	Args []string
	err  error // an argument that did not encode
}

// Read is a query: evaluated on a peer, never ordered. R is its answer.
type Read[R any] struct{ Call }

// Write is a transaction that is submitted and committed. R is its answer.
type Write[R any] struct {
	Call
	build func(txID string) ([]string, error) // arguments that contain the transaction ID
}

func (Read[R]) query() {}

// Evaluate runs the query and decodes its answer.
func (r Read[R]) Evaluate(inv Invoker, channel string) (R, error) {
	var out R
	b, err := r.Raw(inv, channel)
	if err != nil {
		return out, err
	}
	return decode[R](r.Fn, b)
}

// Raw runs the query and returns the chaincode's answer undecoded (for
// answers passed on as they are, and for measuring the ledger alone).
func (r Read[R]) Raw(inv Invoker, channel string) ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	return inv.Evaluate(channel, r.Fn, r.Args...)
}

// Submit submits the transaction, waits for its commit and decodes its
// answer (Committed.Result keeps it undecoded).
func (w Write[R]) Submit(inv Invoker, channel string) (R, *Committed, error) {
	var out R
	res, err := w.SubmitRaw(inv, channel)
	if err != nil {
		return out, res, err
	}
	out, err = decode[R](w.Fn, res.Result)
	return out, res, err
}

// SubmitRaw submits the transaction and waits for its commit, leaving its
// answer undecoded in Committed.Result (for answers passed on as they are).
func (w Write[R]) SubmitRaw(inv Invoker, channel string) (*Committed, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.build != nil {
		return inv.SubmitOwnTxID(channel, w.Fn, w.build)
	}
	return inv.Submit(channel, w.Fn, w.Args...)
}

// decode reads an answer: JSON, except a function that returns a plain
// string (the contract API sends it as it is), and nothing for a
// function that returns no value.
func decode[R any](fn string, b []byte) (R, error) {
	var out R
	if s, ok := any(&out).(*string); ok {
		*s = string(b)
		return out, nil
	}
	if len(b) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("%s: the chaincode's answer is not a %T: %w", fn, out, err)
	}
	return out, nil
}

func encode(args []any) ([]string, error) {
	out := make([]string, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			out[i] = s
			continue
		}
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		out[i] = string(b)
	}
	return out, nil
}

func read[R any](fn string, args ...any) Read[R] {
	a, err := encode(args)
	return Read[R]{Call{Fn: fn, Args: a, err: err}}
}

func write[R any](fn string, args ...any) Write[R] {
	a, err := encode(args)
	return Write[R]{Call: Call{Fn: fn, Args: a, err: err}}
}

// None is the answer of a transaction that returns no value.
type None struct{}

// Tx declares every transaction of the contract: network.Tx.GetParty(code)
// is the query, .Evaluate(invoker, channel) runs it.
var Tx txs

type txs struct{}

// Jurisdiction and profile.

func (txs) Bootstrap(name, divisionCode, profile string) Write[*domain.Jurisdiction] {
	return write[*domain.Jurisdiction]("Bootstrap", name, divisionCode, profile)
}
func (txs) SetExchanges(msps []string, reason string) Write[*domain.Jurisdiction] {
	return write[*domain.Jurisdiction]("SetExchanges", msps, reason)
}
func (txs) GetJurisdiction() Read[*domain.Jurisdiction] {
	return read[*domain.Jurisdiction]("GetJurisdiction")
}
func (txs) SetProfile(profile domain.Profile, reason string) Write[*domain.ProfileRecord] {
	return write[*domain.ProfileRecord]("SetProfile", profile, reason)
}
func (txs) AdoptProfile(name, reason string) Write[*domain.ProfileRecord] {
	return write[*domain.ProfileRecord]("AdoptProfile", name, reason)
}
func (txs) GetProfile() Read[*domain.ProfileRecord] {
	return read[*domain.ProfileRecord]("GetProfile")
}

// Parties.

func (txs) RegisterParty(in domain.PartyInput) Write[*domain.Party] {
	return write[*domain.Party]("RegisterParty", in)
}
func (txs) ChangePartyStatus(creditCode, action, reason string) Write[*domain.Party] {
	return write[*domain.Party]("ChangePartyStatus", creditCode, action, reason)
}
func (txs) GetParty(creditCode string) Read[*domain.Party] {
	return read[*domain.Party]("GetParty", creditCode)
}

// ProveParties is the records and proofs of parties that a transaction
// naming them carries (domain.TransientParty; the client sends them).
func (txs) ProveParties(codes []string) Read[map[string]domain.PartyProof] {
	return read[map[string]domain.PartyProof]("ProveParties", codes)
}

// ProveFacts is the facts of parties, with their proofs, that a
// transaction checking them carries (domain.TransientFacts).
func (txs) ProveFacts(codes []string) Read[map[string]domain.PartyProof] {
	return read[map[string]domain.PartyProof]("ProveFacts", codes)
}
func (txs) ListParties(size int, bookmark string) Read[*domain.Page[domain.Party]] {
	return read[*domain.Page[domain.Party]]("ListParties", size, bookmark)
}

// History is every version of a record (recordType: domain.Type*).
func (txs) History(recordType, key string) Read[[]domain.HistoryItem] {
	return read[[]domain.HistoryItem]("History", recordType, key)
}

// Benchmarks (refused unless the chaincode runs with --bench) and readiness.

func (txs) BenchPut(key, value string) Write[None] {
	return write[None]("BenchPut", key, value)
}
func (txs) BenchShape(key, value string, reads, writes int) Write[None] {
	return write[None]("BenchShape", key, value, reads, writes)
}
func (txs) BenchLoad(start, count int) Write[int] {
	return write[int]("BenchLoad", start, count)
}
func (txs) BenchProbe(op string) Write[string] {
	return write[string]("BenchProbe", op)
}

// Ping writes nothing and answers the transaction time: its commit proves
// the channel orders and commits.
func (txs) Ping() Write[string] { return write[string]("Ping") }

// Issuer keys.

func (txs) RegisterIssuerKey(in domain.IssuerKeyInput) Write[*domain.IssuerKey] {
	return write[*domain.IssuerKey]("RegisterIssuerKey", in)
}
func (txs) RotateIssuerKey(oldKeyID string, newKey domain.IssuerKeyInput, reason string) Write[*domain.IssuerKey] {
	return write[*domain.IssuerKey]("RotateIssuerKey", oldKeyID, newKey, reason)
}
func (txs) RevokeIssuerKey(keyID, reason, compromisedAt string) Write[*domain.IssuerKey] {
	return write[*domain.IssuerKey]("RevokeIssuerKey", keyID, reason, compromisedAt)
}
func (txs) GetIssuerKey(keyID string) Read[*domain.IssuerKey] {
	return read[*domain.IssuerKey]("GetIssuerKey", keyID)
}
func (txs) ListIssuerKeys(size int, bookmark string) Read[*domain.Page[domain.IssuerKey]] {
	return read[*domain.Page[domain.IssuerKey]]("ListIssuerKeys", size, bookmark)
}

// Working-day calendars.

func (txs) LoadCalendar(cal domain.Calendar, reason string) Write[*domain.Calendar] {
	return write[*domain.Calendar]("LoadCalendar", cal, reason)
}
func (txs) GetCalendar(year int) Read[*domain.Calendar] {
	return read[*domain.Calendar]("GetCalendar", year)
}

// Agreements.

func (txs) RecordAgreement(in domain.AgreementInput) Write[*domain.Agreement] {
	return write[*domain.Agreement]("RecordAgreement", in)
}
func (txs) FileAgreement(number string) Write[*domain.Agreement] {
	return write[*domain.Agreement]("FileAgreement", number)
}
func (txs) ChangeAgreement(number string, change domain.AgreementChange, reason string) Write[*domain.Agreement] {
	return write[*domain.Agreement]("ChangeAgreement", number, change, reason)
}
func (txs) EndAgreement(number, action, reason string) Write[*domain.Agreement] {
	return write[*domain.Agreement]("EndAgreement", number, action, reason)
}
func (txs) GetAgreement(number string) Read[*domain.Agreement] {
	return read[*domain.Agreement]("GetAgreement", number)
}

// Credentials (signed is a credential signed offline, certs.Sign).

func (txs) IssueCredential(signed, agreementNumber string) Write[*domain.CredentialRecord] {
	return write[*domain.CredentialRecord]("IssueCredential", signed, agreementNumber)
}
func (txs) ChangeCredentialStatus(number, action, reason string) Write[*domain.CredentialRecord] {
	return write[*domain.CredentialRecord]("ChangeCredentialStatus", number, action, reason)
}
func (txs) GetCredential(number string) Read[*domain.CredentialRecord] {
	return read[*domain.CredentialRecord]("GetCredential", number)
}
func (txs) VerifyCredential(number string) Read[*domain.Verification] {
	return read[*domain.Verification]("VerifyCredential", number)
}
func (txs) VerifyCredentialDocument(signed string) Read[*domain.Verification] {
	return read[*domain.Verification]("VerifyCredentialDocument", signed)
}

// ListCredentials lists by "holder" (credit code), "agreement" (number)
// or "issuer" (key ID), value being what to match.
func (txs) ListCredentials(by, value string, size int, bookmark string) Read[*domain.Page[domain.CredentialRecord]] {
	return read[*domain.Page[domain.CredentialRecord]]("ListCredentials", by, value, size, bookmark)
}

// Scenario-authorization applications.

func (txs) Apply(in domain.ApplicationInput) Write[*domain.Application] {
	return write[*domain.Application]("Apply", in)
}
func (txs) PreliminaryReview(number, decision, reasons string) Write[*domain.Application] {
	return write[*domain.Application]("PreliminaryReview", number, decision, reasons)
}
func (txs) ResubmitApplication(number string, in domain.Resubmission) Write[*domain.Application] {
	return write[*domain.Application]("ResubmitApplication", number, in)
}
func (txs) OpenObligation(in domain.ObligationInput) Write[*domain.Obligation] {
	return write[*domain.Obligation]("OpenObligation", in)
}
func (txs) FileObligation(number string, in domain.ObligationFiling) Write[*domain.Obligation] {
	return write[*domain.Obligation]("FileObligation", number, in)
}
func (txs) DecideObligation(number, decision, reasons string) Write[*domain.Obligation] {
	return write[*domain.Obligation]("DecideObligation", number, decision, reasons)
}
func (txs) GetObligation(number string) Read[*domain.ObligationView] {
	return read[*domain.ObligationView]("GetObligation", number)
}
func (txs) RecordCreditRecord(in domain.CreditInput) Write[*domain.CreditRecord] {
	return write[*domain.CreditRecord]("RecordCreditRecord", in)
}
func (txs) RescindCreditRecord(number, reasons string) Write[*domain.CreditRecord] {
	return write[*domain.CreditRecord]("RescindCreditRecord", number, reasons)
}
func (txs) GetCreditRecord(number string) Read[*domain.CreditRecord] {
	return read[*domain.CreditRecord]("GetCreditRecord", number)
}
func (txs) RecordEvaluation(in domain.EvaluationInput) Write[*domain.Evaluation] {
	return write[*domain.Evaluation]("RecordEvaluation", in)
}
func (txs) GetEvaluation(number string) Read[*domain.Evaluation] {
	return read[*domain.Evaluation]("GetEvaluation", number)
}
func (txs) OpenSelection(in domain.SelectionInput) Write[*domain.Selection] {
	return write[*domain.Selection]("OpenSelection", in)
}
func (txs) NominateCandidates(number string, in domain.Nomination) Write[*domain.Selection] {
	return write[*domain.Selection]("NominateCandidates", number, in)
}
func (txs) SelectOperator(number, operator, reason string) Write[*domain.Selection] {
	return write[*domain.Selection]("SelectOperator", number, operator, reason)
}
func (txs) GetSelection(number string) Read[*domain.Selection] {
	return read[*domain.Selection]("GetSelection", number)
}
func (txs) RecordPlan(in domain.PlanInput) Write[*domain.Plan] {
	return write[*domain.Plan]("RecordPlan", in)
}
func (txs) FilePlan(number string, in domain.PlanFiling) Write[*domain.Plan] {
	return write[*domain.Plan]("FilePlan", number, in)
}
func (txs) DecidePlanFiling(number, decision, reasons string) Write[*domain.Plan] {
	return write[*domain.Plan]("DecidePlanFiling", number, decision, reasons)
}
func (txs) GetPlan(number string) Read[*domain.Plan] {
	return read[*domain.Plan]("GetPlan", number)
}
func (txs) ExitOnboarding(number, reason string) Write[*domain.Application] {
	return write[*domain.Application]("ExitOnboarding", number, reason)
}
func (txs) AnswerQualityRequest(number string, in domain.QualityAnswer) Write[*domain.Application] {
	return write[*domain.Application]("AnswerQualityRequest", number, in)
}
func (txs) ResolveQualityRequest(number string, in domain.QualityResolution) Write[*domain.Application] {
	return write[*domain.Application]("ResolveQualityRequest", number, in)
}
func (txs) ExtendComplianceReview(number, reason string) Write[*domain.Application] {
	return write[*domain.Application]("ExtendComplianceReview", number, reason)
}
func (txs) ComplianceReview(number, reviewer, decision, reasons string) Write[*domain.Application] {
	return write[*domain.Application]("ComplianceReview", number, reviewer, decision, reasons)
}
func (txs) AttachScenarioAgreement(number, agreementNumber string) Write[*domain.Application] {
	return write[*domain.Application]("AttachScenarioAgreement", number, agreementNumber)
}
func (txs) StartDevelopment(number string) Write[*domain.Application] {
	return write[*domain.Application]("StartDevelopment", number)
}
func (txs) SubmitProduct(number, productDigest string) Write[*domain.Application] {
	return write[*domain.Application]("SubmitProduct", number, productDigest)
}
func (txs) VerifyConsistency(number, productDigest string, matchesDesign bool, changeNote, decision, reasons string) Write[*domain.Application] {
	return write[*domain.Application]("VerifyConsistency", number, productDigest, matchesDesign, changeNote, decision, reasons)
}
func (txs) StartPublicNotice(number string) Write[*domain.Application] {
	return write[*domain.Application]("StartPublicNotice", number)
}
func (txs) GetApplication(number string) Read[*domain.Application] {
	return read[*domain.Application]("GetApplication", number)
}

// Certificates.

// RegisterCertificate registers a product certificate that contains its
// own transaction ID: sign receives the ID before anything is signed and
// returns the signed certificate (certs.Sign).
func (txs) RegisterCertificate(applicationNumber string, sign func(txID string) (signed string, err error)) Write[*domain.CertificateRecord] {
	w := write[*domain.CertificateRecord]("RegisterCertificate")
	w.build = func(txID string) ([]string, error) {
		signed, err := sign(txID)
		return []string{signed, applicationNumber}, err
	}
	return w
}
func (txs) GetCertificate(number string) Read[*domain.CertificateRecord] {
	return read[*domain.CertificateRecord]("GetCertificate", number)
}
func (txs) VerifyCertificate(number string) Read[*domain.Verification] {
	return read[*domain.Verification]("VerifyCertificate", number)
}
func (txs) VerifyCertificateDocument(signed string) Read[*domain.Verification] {
	return read[*domain.Verification]("VerifyCertificateDocument", signed)
}

// Objections.

func (txs) FileObjection(in domain.ObjectionInput) Write[*domain.Objection] {
	return write[*domain.Objection]("FileObjection", in)
}
func (txs) DecideObjection(number string, decision domain.ObjectionDecision) Write[*domain.Objection] {
	return write[*domain.Objection]("DecideObjection", number, decision)
}
func (txs) ConfirmDestruction(number, evidenceDigest string) Write[*domain.Objection] {
	return write[*domain.Objection]("ConfirmDestruction", number, evidenceDigest)
}

// GetPrivatePart reads a record's private part as the collection holds
// it (a domain.Sealed, JSON), for a collection member's regime role.
func (txs) GetPrivatePart(recordType, number string) Read[string] {
	return read[string]("GetPrivatePart", recordType, number)
}

func (txs) GetObjection(number string) Read[*domain.Objection] {
	return read[*domain.Objection]("GetObjection", number)
}

// Egress checks, exchange acknowledgements, public disclosure.

func (txs) CheckEgress(number, result, reportDigest, reasons string) Write[*domain.EgressCheck] {
	return write[*domain.EgressCheck]("CheckEgress", number, result, reportDigest, reasons)
}
func (txs) ListEgressChecks(number string, size int, bookmark string) Read[*domain.Page[domain.EgressCheck]] {
	return read[*domain.Page[domain.EgressCheck]]("ListEgressChecks", number, size, bookmark)
}
func (txs) AcknowledgeCertificate(number, action string) Write[*domain.Acknowledgement] {
	return write[*domain.Acknowledgement]("AcknowledgeCertificate", number, action)
}
func (txs) RecordNationalRegistration(number string, in domain.NationalInput) Write[*domain.CertificateRecord] {
	return write[*domain.CertificateRecord]("RecordNationalRegistration", number, in)
}
func (txs) RecordReport(signedJSON []byte) Write[*domain.ReportRecord] {
	return write[*domain.ReportRecord]("RecordReport", string(signedJSON))
}
func (txs) GetReport(number string) Read[*domain.ReportRecord] {
	return read[*domain.ReportRecord]("GetReport", number)
}
func (txs) FindCertificateByNationalCode(code string) Read[*domain.Verification] {
	return read[*domain.Verification]("FindCertificateByNationalCode", code)
}
func (txs) ListAcknowledgements(number string) Read[[]domain.Acknowledgement] {
	return read[[]domain.Acknowledgement]("ListAcknowledgements", number)
}
func (txs) ListDisclosedAuthorizations(size int, bookmark string) Read[*domain.Page[domain.AuthorizationDisclosure]] {
	return read[*domain.Page[domain.AuthorizationDisclosure]]("ListDisclosedAuthorizations", size, bookmark)
}
func (txs) ListDisclosedObligations(size int, bookmark string) Read[*domain.Page[domain.ObligationDisclosure]] {
	return read[*domain.Page[domain.ObligationDisclosure]]("ListDisclosedObligations", size, bookmark)
}
func (txs) ListDisclosedProducts(size int, bookmark string) Read[*domain.Page[domain.ProductDisclosure]] {
	return read[*domain.Page[domain.ProductDisclosure]]("ListDisclosedProducts", size, bookmark)
}

// privateAnswer is the record a write with a private part answers with:
// the number its first argument is, or holds (an input's "number").
func privateAnswer(fn string, args []string) (recordType, number string, ok bool) {
	recordType, ok = domain.PrivateAnswer(fn)
	if !ok || len(args) == 0 || recordType == domain.TypeEgress {
		// An egress check is named by its product and its transaction: its
		// answer is its public view, without the reasons the caller sent.
		return "", "", false
	}
	var in struct {
		Number string `json:"number"`
	}
	if json.Unmarshal([]byte(args[0]), &in) == nil && in.Number != "" {
		return recordType, in.Number, true
	}
	return recordType, args[0], true
}

// FindPrivateRecord names the record an event's key hash is of (a
// collection member's regime role).
func (txs) FindPrivateRecord(keyHash string) Read[*domain.PrivateRecordRef] {
	return read[*domain.PrivateRecordRef]("FindPrivateRecord", keyHash)
}

// PrivatePartOf reads a numbered record's private part undecoded: what a
// key holder's proof adds to a record's public view.
func PrivatePartOf(inv Invoker, channel, recordType, number string) ([]byte, error) {
	return Tx.GetPrivatePart(recordType, number).Raw(inv, channel)
}

// RecordOf reads a numbered record (recordType: a domain.NumberedRecords
// record type), or a party by its credit code, undecoded: the query a
// proof starts from, and the read back of a write with private words.
func RecordOf(inv Invoker, channel, recordType, number string) ([]byte, error) {
	switch recordType {
	case domain.TypeParty:
		return Tx.GetParty(number).Raw(inv, channel)
	case domain.TypeCredential:
		return Tx.GetCredential(number).Raw(inv, channel)
	case domain.TypeCertificate:
		return Tx.GetCertificate(number).Raw(inv, channel)
	case domain.TypeObjection:
		return Tx.GetObjection(number).Raw(inv, channel)
	case domain.TypeAgreement:
		return Tx.GetAgreement(number).Raw(inv, channel)
	case domain.TypeApplication:
		return Tx.GetApplication(number).Raw(inv, channel)
	case domain.TypeReport:
		return Tx.GetReport(number).Raw(inv, channel)
	case domain.TypeObligation:
		return Tx.GetObligation(number).Raw(inv, channel)
	case domain.TypeCredit:
		return Tx.GetCreditRecord(number).Raw(inv, channel)
	case domain.TypeEvaluation:
		return Tx.GetEvaluation(number).Raw(inv, channel)
	case domain.TypeSelection:
		return Tx.GetSelection(number).Raw(inv, channel)
	case domain.TypePlan:
		return Tx.GetPlan(number).Raw(inv, channel)
	}
	return nil, domain.Invalid(domain.RuleNumber, "recordType", "%q is not a numbered record type", recordType)
}

// VerificationOf verifies a signed document by number (recordType
// credential or certificate) undecoded: the links a proof proves.
func VerificationOf(inv Invoker, channel, recordType, number string) ([]byte, error) {
	switch recordType {
	case domain.TypeCredential:
		return Tx.VerifyCredential(number).Raw(inv, channel)
	case domain.TypeCertificate:
		return Tx.VerifyCertificate(number).Raw(inv, channel)
	}
	return nil, domain.Invalid(domain.RuleNumber, "recordType", "%q is not a signed document's record type", recordType)
}

// Transactions names every transaction Tx declares, sorted.
var Transactions []string

// queries are the transactions declared as a Read.
var queries = map[string]bool{}

func init() {
	t := reflect.TypeOf(Tx)
	marker := reflect.TypeFor[interface{ query() }]()
	for i := range t.NumMethod() { // exported methods, sorted by name
		m := t.Method(i)
		Transactions = append(Transactions, m.Name)
		if m.Type.NumOut() == 1 && m.Type.Out(0).Implements(marker) {
			queries[m.Name] = true
		}
	}
}

// IsQuery tells whether a function is one of the contract's queries
// (declared as a Read): read-only, its answer a function of the state.
func IsQuery(fn string) bool { return queries[fn] }

// The transactions as methods of *Client, as its identity.

func (c *Client) Bootstrap(channel, name, divisionCode, profile string) (*domain.Jurisdiction, *Committed, error) {
	return Tx.Bootstrap(name, divisionCode, profile).Submit(c, channel)
}
func (c *Client) SetExchanges(channel string, msps []string, reason string) (*domain.Jurisdiction, *Committed, error) {
	return Tx.SetExchanges(msps, reason).Submit(c, channel)
}
func (c *Client) GetJurisdiction(channel string) (*domain.Jurisdiction, error) {
	return Tx.GetJurisdiction().Evaluate(c, channel)
}
func (c *Client) SetProfile(channel string, profile domain.Profile, reason string) (*domain.ProfileRecord, *Committed, error) {
	return Tx.SetProfile(profile, reason).Submit(c, channel)
}
func (c *Client) AdoptProfile(channel, name, reason string) (*domain.ProfileRecord, *Committed, error) {
	return Tx.AdoptProfile(name, reason).Submit(c, channel)
}
func (c *Client) GetProfile(channel string) (*domain.ProfileRecord, error) {
	return Tx.GetProfile().Evaluate(c, channel)
}
func (c *Client) RegisterParty(channel string, in domain.PartyInput) (*domain.Party, *Committed, error) {
	return Tx.RegisterParty(in).Submit(c, channel)
}
func (c *Client) ChangePartyStatus(channel, creditCode, action, reason string) (*domain.Party, *Committed, error) {
	return Tx.ChangePartyStatus(creditCode, action, reason).Submit(c, channel)
}
func (c *Client) GetParty(channel, creditCode string) (*domain.Party, error) {
	return Tx.GetParty(creditCode).Evaluate(c, channel)
}
func (c *Client) ProveParties(channel string, codes []string) (map[string]domain.PartyProof, error) {
	return Tx.ProveParties(codes).Evaluate(c, channel)
}
func (c *Client) ProveFacts(channel string, codes []string) (map[string]domain.PartyProof, error) {
	return Tx.ProveFacts(codes).Evaluate(c, channel)
}
func (c *Client) ListParties(channel string, size int, bookmark string) (*domain.Page[domain.Party], error) {
	return Tx.ListParties(size, bookmark).Evaluate(c, channel)
}
func (c *Client) History(channel, recordType, key string) ([]domain.HistoryItem, error) {
	return Tx.History(recordType, key).Evaluate(c, channel)
}
func (c *Client) BenchPut(channel, key, value string) (*Committed, error) {
	_, res, err := Tx.BenchPut(key, value).Submit(c, channel)
	return res, err
}
func (c *Client) BenchShape(channel, key, value string, reads, writes int) (*Committed, error) {
	_, res, err := Tx.BenchShape(key, value, reads, writes).Submit(c, channel)
	return res, err
}
func (c *Client) BenchLoad(channel string, start, count int) (int, *Committed, error) {
	return Tx.BenchLoad(start, count).Submit(c, channel)
}
func (c *Client) BenchProbe(channel, op string) (string, *Committed, error) {
	return Tx.BenchProbe(op).Submit(c, channel)
}
func (c *Client) Ping(channel string) (string, *Committed, error) {
	return Tx.Ping().Submit(c, channel)
}
func (c *Client) RegisterIssuerKey(channel string, in domain.IssuerKeyInput) (*domain.IssuerKey, *Committed, error) {
	return Tx.RegisterIssuerKey(in).Submit(c, channel)
}
func (c *Client) RotateIssuerKey(channel, oldKeyID string, newKey domain.IssuerKeyInput, reason string) (*domain.IssuerKey, *Committed, error) {
	return Tx.RotateIssuerKey(oldKeyID, newKey, reason).Submit(c, channel)
}
func (c *Client) RevokeIssuerKey(channel, keyID, reason, compromisedAt string) (*domain.IssuerKey, *Committed, error) {
	return Tx.RevokeIssuerKey(keyID, reason, compromisedAt).Submit(c, channel)
}
func (c *Client) GetIssuerKey(channel, keyID string) (*domain.IssuerKey, error) {
	return Tx.GetIssuerKey(keyID).Evaluate(c, channel)
}
func (c *Client) ListIssuerKeys(channel string, size int, bookmark string) (*domain.Page[domain.IssuerKey], error) {
	return Tx.ListIssuerKeys(size, bookmark).Evaluate(c, channel)
}
func (c *Client) LoadCalendar(channel string, cal domain.Calendar, reason string) (*domain.Calendar, *Committed, error) {
	return Tx.LoadCalendar(cal, reason).Submit(c, channel)
}
func (c *Client) GetCalendar(channel string, year int) (*domain.Calendar, error) {
	return Tx.GetCalendar(year).Evaluate(c, channel)
}
func (c *Client) RecordAgreement(channel string, in domain.AgreementInput) (*domain.Agreement, *Committed, error) {
	return Tx.RecordAgreement(in).Submit(c, channel)
}
func (c *Client) FileAgreement(channel, number string) (*domain.Agreement, *Committed, error) {
	return Tx.FileAgreement(number).Submit(c, channel)
}
func (c *Client) ChangeAgreement(channel, number string, change domain.AgreementChange, reason string) (*domain.Agreement, *Committed, error) {
	return Tx.ChangeAgreement(number, change, reason).Submit(c, channel)
}
func (c *Client) EndAgreement(channel, number, action, reason string) (*domain.Agreement, *Committed, error) {
	return Tx.EndAgreement(number, action, reason).Submit(c, channel)
}
func (c *Client) GetAgreement(channel, number string) (*domain.Agreement, error) {
	return Tx.GetAgreement(number).Evaluate(c, channel)
}
func (c *Client) IssueCredential(channel, signed, agreementNumber string) (*domain.CredentialRecord, *Committed, error) {
	return Tx.IssueCredential(signed, agreementNumber).Submit(c, channel)
}
func (c *Client) ChangeCredentialStatus(channel, number, action, reason string) (*domain.CredentialRecord, *Committed, error) {
	return Tx.ChangeCredentialStatus(number, action, reason).Submit(c, channel)
}
func (c *Client) GetCredential(channel, number string) (*domain.CredentialRecord, error) {
	return Tx.GetCredential(number).Evaluate(c, channel)
}
func (c *Client) VerifyCredential(channel, number string) (*domain.Verification, error) {
	return Tx.VerifyCredential(number).Evaluate(c, channel)
}
func (c *Client) VerifyCredentialDocument(channel, signed string) (*domain.Verification, error) {
	return Tx.VerifyCredentialDocument(signed).Evaluate(c, channel)
}
func (c *Client) ListCredentials(channel, by, value string, size int, bookmark string) (*domain.Page[domain.CredentialRecord], error) {
	return Tx.ListCredentials(by, value, size, bookmark).Evaluate(c, channel)
}
func (c *Client) Apply(channel string, in domain.ApplicationInput) (*domain.Application, *Committed, error) {
	return Tx.Apply(in).Submit(c, channel)
}
func (c *Client) PreliminaryReview(channel, number, decision, reasons string) (*domain.Application, *Committed, error) {
	return Tx.PreliminaryReview(number, decision, reasons).Submit(c, channel)
}
func (c *Client) ResubmitApplication(channel, number string, in domain.Resubmission) (*domain.Application, *Committed, error) {
	return Tx.ResubmitApplication(number, in).Submit(c, channel)
}
func (c *Client) OpenObligation(channel string, in domain.ObligationInput) (*domain.Obligation, *Committed, error) {
	return Tx.OpenObligation(in).Submit(c, channel)
}
func (c *Client) FileObligation(channel, number string, in domain.ObligationFiling) (*domain.Obligation, *Committed, error) {
	return Tx.FileObligation(number, in).Submit(c, channel)
}
func (c *Client) DecideObligation(channel, number, decision, reasons string) (*domain.Obligation, *Committed, error) {
	return Tx.DecideObligation(number, decision, reasons).Submit(c, channel)
}
func (c *Client) GetObligation(channel, number string) (*domain.ObligationView, error) {
	return Tx.GetObligation(number).Evaluate(c, channel)
}
func (c *Client) RecordCreditRecord(channel string, in domain.CreditInput) (*domain.CreditRecord, *Committed, error) {
	return Tx.RecordCreditRecord(in).Submit(c, channel)
}
func (c *Client) RescindCreditRecord(channel, number, reasons string) (*domain.CreditRecord, *Committed, error) {
	return Tx.RescindCreditRecord(number, reasons).Submit(c, channel)
}
func (c *Client) GetCreditRecord(channel, number string) (*domain.CreditRecord, error) {
	return Tx.GetCreditRecord(number).Evaluate(c, channel)
}
func (c *Client) RecordEvaluation(channel string, in domain.EvaluationInput) (*domain.Evaluation, *Committed, error) {
	return Tx.RecordEvaluation(in).Submit(c, channel)
}
func (c *Client) GetEvaluation(channel, number string) (*domain.Evaluation, error) {
	return Tx.GetEvaluation(number).Evaluate(c, channel)
}
func (c *Client) OpenSelection(channel string, in domain.SelectionInput) (*domain.Selection, *Committed, error) {
	return Tx.OpenSelection(in).Submit(c, channel)
}
func (c *Client) NominateCandidates(channel, number string, in domain.Nomination) (*domain.Selection, *Committed, error) {
	return Tx.NominateCandidates(number, in).Submit(c, channel)
}
func (c *Client) SelectOperator(channel, number, operator, reason string) (*domain.Selection, *Committed, error) {
	return Tx.SelectOperator(number, operator, reason).Submit(c, channel)
}
func (c *Client) GetSelection(channel, number string) (*domain.Selection, error) {
	return Tx.GetSelection(number).Evaluate(c, channel)
}
func (c *Client) RecordPlan(channel string, in domain.PlanInput) (*domain.Plan, *Committed, error) {
	return Tx.RecordPlan(in).Submit(c, channel)
}
func (c *Client) FilePlan(channel, number string, in domain.PlanFiling) (*domain.Plan, *Committed, error) {
	return Tx.FilePlan(number, in).Submit(c, channel)
}
func (c *Client) DecidePlanFiling(channel, number, decision, reasons string) (*domain.Plan, *Committed, error) {
	return Tx.DecidePlanFiling(number, decision, reasons).Submit(c, channel)
}
func (c *Client) GetPlan(channel, number string) (*domain.Plan, error) {
	return Tx.GetPlan(number).Evaluate(c, channel)
}
func (c *Client) ExitOnboarding(channel, number, reason string) (*domain.Application, *Committed, error) {
	return Tx.ExitOnboarding(number, reason).Submit(c, channel)
}
func (c *Client) AnswerQualityRequest(channel, number string, in domain.QualityAnswer) (*domain.Application, *Committed, error) {
	return Tx.AnswerQualityRequest(number, in).Submit(c, channel)
}
func (c *Client) ResolveQualityRequest(channel, number string, in domain.QualityResolution) (*domain.Application, *Committed, error) {
	return Tx.ResolveQualityRequest(number, in).Submit(c, channel)
}
func (c *Client) ExtendComplianceReview(channel, number, reason string) (*domain.Application, *Committed, error) {
	return Tx.ExtendComplianceReview(number, reason).Submit(c, channel)
}
func (c *Client) ComplianceReview(channel, number, reviewer, decision, reasons string) (*domain.Application, *Committed, error) {
	return Tx.ComplianceReview(number, reviewer, decision, reasons).Submit(c, channel)
}
func (c *Client) AttachScenarioAgreement(channel, number, agreementNumber string) (*domain.Application, *Committed, error) {
	return Tx.AttachScenarioAgreement(number, agreementNumber).Submit(c, channel)
}
func (c *Client) StartDevelopment(channel, number string) (*domain.Application, *Committed, error) {
	return Tx.StartDevelopment(number).Submit(c, channel)
}
func (c *Client) SubmitProduct(channel, number, productDigest string) (*domain.Application, *Committed, error) {
	return Tx.SubmitProduct(number, productDigest).Submit(c, channel)
}
func (c *Client) VerifyConsistency(channel, number, productDigest string, matchesDesign bool, changeNote, decision, reasons string) (*domain.Application, *Committed, error) {
	return Tx.VerifyConsistency(number, productDigest, matchesDesign, changeNote, decision, reasons).Submit(c, channel)
}
func (c *Client) StartPublicNotice(channel, number string) (*domain.Application, *Committed, error) {
	return Tx.StartPublicNotice(number).Submit(c, channel)
}
func (c *Client) GetApplication(channel, number string) (*domain.Application, error) {
	return Tx.GetApplication(number).Evaluate(c, channel)
}
func (c *Client) RegisterCertificate(channel, applicationNumber string, sign func(txID string) (string, error)) (*domain.CertificateRecord, *Committed, error) {
	return Tx.RegisterCertificate(applicationNumber, sign).Submit(c, channel)
}
func (c *Client) GetCertificate(channel, number string) (*domain.CertificateRecord, error) {
	return Tx.GetCertificate(number).Evaluate(c, channel)
}
func (c *Client) VerifyCertificate(channel, number string) (*domain.Verification, error) {
	return Tx.VerifyCertificate(number).Evaluate(c, channel)
}
func (c *Client) VerifyCertificateDocument(channel, signed string) (*domain.Verification, error) {
	return Tx.VerifyCertificateDocument(signed).Evaluate(c, channel)
}
func (c *Client) FileObjection(channel string, in domain.ObjectionInput) (*domain.Objection, *Committed, error) {
	return Tx.FileObjection(in).Submit(c, channel)
}
func (c *Client) DecideObjection(channel, number string, decision domain.ObjectionDecision) (*domain.Objection, *Committed, error) {
	return Tx.DecideObjection(number, decision).Submit(c, channel)
}
func (c *Client) ConfirmDestruction(channel, number, evidenceDigest string) (*domain.Objection, *Committed, error) {
	return Tx.ConfirmDestruction(number, evidenceDigest).Submit(c, channel)
}
func (c *Client) FindPrivateRecord(channel, keyHash string) (*domain.PrivateRecordRef, error) {
	return Tx.FindPrivateRecord(keyHash).Evaluate(c, channel)
}
func (c *Client) GetPrivatePart(channel, recordType, number string) (string, error) {
	return Tx.GetPrivatePart(recordType, number).Evaluate(c, channel)
}
func (c *Client) GetObjection(channel, number string) (*domain.Objection, error) {
	return Tx.GetObjection(number).Evaluate(c, channel)
}
func (c *Client) CheckEgress(channel, number, result, reportDigest, reasons string) (*domain.EgressCheck, *Committed, error) {
	return Tx.CheckEgress(number, result, reportDigest, reasons).Submit(c, channel)
}
func (c *Client) ListEgressChecks(channel, number string, size int, bookmark string) (*domain.Page[domain.EgressCheck], error) {
	return Tx.ListEgressChecks(number, size, bookmark).Evaluate(c, channel)
}
func (c *Client) AcknowledgeCertificate(channel, number, action string) (*domain.Acknowledgement, *Committed, error) {
	return Tx.AcknowledgeCertificate(number, action).Submit(c, channel)
}
func (c *Client) RecordNationalRegistration(channel, number string, in domain.NationalInput) (*domain.CertificateRecord, *Committed, error) {
	return Tx.RecordNationalRegistration(number, in).Submit(c, channel)
}
func (c *Client) RecordReport(channel string, signedJSON []byte) (*domain.ReportRecord, *Committed, error) {
	return Tx.RecordReport(signedJSON).Submit(c, channel)
}
func (c *Client) GetReport(channel, number string) (*domain.ReportRecord, error) {
	return Tx.GetReport(number).Evaluate(c, channel)
}
func (c *Client) FindCertificateByNationalCode(channel, code string) (*domain.Verification, error) {
	return Tx.FindCertificateByNationalCode(code).Evaluate(c, channel)
}
func (c *Client) ListAcknowledgements(channel, number string) ([]domain.Acknowledgement, error) {
	return Tx.ListAcknowledgements(number).Evaluate(c, channel)
}
func (c *Client) ListDisclosedAuthorizations(channel string, size int, bookmark string) (*domain.Page[domain.AuthorizationDisclosure], error) {
	return Tx.ListDisclosedAuthorizations(size, bookmark).Evaluate(c, channel)
}
func (c *Client) ListDisclosedObligations(channel string, size int, bookmark string) (*domain.Page[domain.ObligationDisclosure], error) {
	return Tx.ListDisclosedObligations(size, bookmark).Evaluate(c, channel)
}
func (c *Client) ListDisclosedProducts(channel string, size int, bookmark string) (*domain.Page[domain.ProductDisclosure], error) {
	return Tx.ListDisclosedProducts(size, bookmark).Evaluate(c, channel)
}

// Record reads a numbered record undecoded (RecordOf as this client).
func (c *Client) Record(channel, recordType, number string) ([]byte, error) {
	return RecordOf(c, channel, recordType, number)
}

// Verification is VerificationOf as this client.
func (c *Client) Verification(channel, recordType, number string) ([]byte, error) {
	return VerificationOf(c, channel, recordType, number)
}

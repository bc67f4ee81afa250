package contract

import (
	"encoding/json"
	"errors"
	"log"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// Contract exposes App as Fabric transactions. Every method returns JSON.
type Contract struct {
	contractapi.Contract
	App *App
}

// Name is the contract's name inside the chaincode. It is the default
// contract, so clients call its functions unqualified; the chaincode's
// own name is the network description's (chaincode.name).
const Name = "dataledger"

// New builds the chaincode with the deployment's channel configuration.
// Transactions with private arguments take them from the transient map
// (privateChaincode).
func New(channels map[string]domain.ChannelConfig, bench bool) (shim.Chaincode, error) {
	c := &Contract{App: &App{Channels: channels, Bench: bench}}
	c.Name = Name
	c.Info.Title = Name
	c.Info.Version = "1"
	c.BeforeTransaction = beforeTransaction
	c.AfterTransaction = afterTransaction
	cc, err := contractapi.NewChaincode(c)
	if err != nil {
		return nil, err
	}
	cc.DefaultContract = c.Name
	return privateChaincode{cc}, nil
}

// beforeTransaction refuses, before anything is loaded, a caller that may
// not call the transaction at all (domain.Actor.MayCall: an enterprise
// identity only the enterprise table's transactions).
func beforeTransaction(ctx contractapi.TransactionContextInterface) error {
	fn, _ := function(ctx.GetStub())
	a, err := st(ctx).Caller()
	if err != nil {
		return wire(err)
	}
	return wire(a.MayCall(fn))
}

// afterTransaction lets the caller have the answer (domain.Actor.MayHave:
// an enterprise identity only what is public or its own), then logs the
// transaction. A refusal here fails the transaction: nothing it wrote is
// endorsed and no answer leaves the peer.
func afterTransaction(ctx contractapi.TransactionContextInterface, answer interface{}) error {
	fn, args := function(ctx.GetStub())
	a, err := st(ctx).Caller()
	if err != nil {
		return wire(err)
	}
	s, _ := answer.(string)
	if err := a.MayHave(fn, args, []byte(s)); err != nil {
		return wire(err)
	}
	return logTransaction(ctx)
}

// function is the transaction's function as the contract names it
// ("registerParty" and "dataledger:RegisterParty" are RegisterParty), and
// its arguments.
func function(stub shim.ChaincodeStubInterface) (string, []string) {
	fn, args := stub.GetFunctionAndParameters()
	if i := strings.LastIndexByte(fn, ':'); i >= 0 {
		fn = fn[i+1:]
	}
	if r, size := utf8.DecodeRuneInString(fn); r != utf8.RuneError {
		fn = string(unicode.ToUpper(r)) + fn[size:]
	}
	return fn, args
}

// logTransaction writes one line per transaction the server completed
// (its channel, function and ID; never its arguments): what an operator
// reads to see the chaincode at work, and what the integration run reads
// to prove every transaction succeeded on a real peer. It runs after the
// function returned without error, so the function name is one of ours.
func logTransaction(ctx contractapi.TransactionContextInterface) error {
	stub := ctx.GetStub()
	fn, _ := function(stub)
	log.Printf("%s %s %s %s", TxLogMarker, stub.GetChannelID(), fn, stub.GetTxID())
	return nil
}

// TxLogMarker starts every completed transaction's log line: "tx CHANNEL
// FUNCTION TXID".
const TxLogMarker = "tx"

func st(ctx contractapi.TransactionContextInterface) store.Store {
	return store.NewStub(ctx.GetStub(), ctx.GetClientIdentity())
}

// out is every transaction's answer: its result as JSON, or its refusal
// in the wire form clients read back (domain.ParseWire); a failure that
// is not a rule crosses as domain.KindInternal.
func out(v any, err error) (string, error) {
	if err != nil {
		return "", wire(err)
	}
	b, err := json.Marshal(v)
	return string(b), wire(err)
}

// publicView is a record with a private part or with a change's private
// words: Public is what the world state and the public hold of it (nil:
// nothing yet, or never).
type publicView[T any] interface {
	*T
	Public() *T
}

// outPublic is the answer of a transaction that writes a record with a
// private part: its public view (JSON null while it has none). The answer
// is in the block; the caller reads the record whole with its Get.
func outPublic[T any, P publicView[T]](v P, err error) (string, error) {
	if err != nil {
		return "", wire(err)
	}
	return out(v.Public(), nil)
}

func wire(err error) error {
	if err == nil {
		return nil
	}
	re, ok := domain.AsRule(err)
	if !ok {
		re = domain.Internal(err)
	}
	return errors.New(re.Wire())
}

func (c *Contract) Bootstrap(ctx contractapi.TransactionContextInterface, name, divisionCode, profile string) (string, error) {
	return out(c.App.Bootstrap(st(ctx), name, divisionCode, profile))
}

func (c *Contract) SetExchanges(ctx contractapi.TransactionContextInterface, mspsJSON, reason string) (string, error) {
	return out(c.App.SetExchanges(st(ctx), mspsJSON, reason))
}

func (c *Contract) GetJurisdiction(ctx contractapi.TransactionContextInterface) (string, error) {
	return out(c.App.GetJurisdiction(st(ctx)))
}

func (c *Contract) SetProfile(ctx contractapi.TransactionContextInterface, profileJSON, reason string) (string, error) {
	return out(c.App.SetProfile(st(ctx), profileJSON, reason))
}

func (c *Contract) AdoptProfile(ctx contractapi.TransactionContextInterface, name, reason string) (string, error) {
	return out(c.App.AdoptProfile(st(ctx), name, reason))
}

func (c *Contract) GetProfile(ctx contractapi.TransactionContextInterface) (string, error) {
	return out(c.App.GetProfile(st(ctx)))
}

func (c *Contract) RegisterParty(ctx contractapi.TransactionContextInterface, partyJSON string) (string, error) {
	return out(c.App.RegisterParty(st(ctx), partyJSON))
}

func (c *Contract) ChangePartyStatus(ctx contractapi.TransactionContextInterface, creditCode, action, reason string) (string, error) {
	return outPublic(c.App.ChangePartyStatus(st(ctx), creditCode, action, reason))
}

func (c *Contract) GetParty(ctx contractapi.TransactionContextInterface, creditCode string) (string, error) {
	return out(c.App.GetParty(st(ctx), creditCode))
}

// ProveParties answers the records and proofs of parties (JSON array of
// credit codes) that a transaction naming them carries in its transient
// map (domain.TransientParty).
func (c *Contract) ProveParties(ctx contractapi.TransactionContextInterface, codesJSON string) (string, error) {
	return out(c.App.ProveParties(st(ctx), codesJSON))
}

// ProveFacts answers the facts of parties (JSON array of credit codes),
// with their proofs, that a transaction checking them carries in its
// transient map (domain.TransientFacts): a collection member's query.
func (c *Contract) ProveFacts(ctx contractapi.TransactionContextInterface, codesJSON string) (string, error) {
	return out(c.App.ProveFacts(st(ctx), codesJSON))
}

func (c *Contract) ListParties(ctx contractapi.TransactionContextInterface, size, bookmark string) (string, error) {
	n, err := pageSize(size)
	if err != nil {
		return "", wire(err)
	}
	return out(c.App.ListParties(st(ctx), n, bookmark))
}

func (c *Contract) History(ctx contractapi.TransactionContextInterface, recordType, key string) (string, error) {
	return out(c.App.History(st(ctx), recordType, key))
}

// BenchPut is the raw-put baseline of the write-path benchmark.
func (c *Contract) BenchPut(ctx contractapi.TransactionContextInterface, key, value string) error {
	return wire(c.App.BenchPut(st(ctx), key, value))
}

// BenchShape is a raw put with a credential issuance's state access
// pattern (the write-path benchmark's second baseline).
func (c *Contract) BenchShape(ctx contractapi.TransactionContextInterface, key, value string, reads, writes int) error {
	return wire(c.App.BenchShape(st(ctx), key, value, reads, writes))
}

// BenchLoad bulk-loads synthetic credential records for the scale
// benchmark.
func (c *Contract) BenchLoad(ctx contractapi.TransactionContextInterface, start, count int) (int, error) {
	n, err := c.App.BenchLoad(st(ctx), start, count)
	return n, wire(err)
}

// BenchProbe runs a store probe (a Fabric rule the chaincode can trip over).
func (c *Contract) BenchProbe(ctx contractapi.TransactionContextInterface, op string) (string, error) {
	res, err := c.App.BenchProbe(st(ctx), op)
	return res, wire(err)
}

// Ping writes nothing and returns the transaction time: submitting it
// proves the channel orders and commits (readiness after a restart).
func (c *Contract) Ping(ctx contractapi.TransactionContextInterface) (string, error) {
	now, err := st(ctx).Now()
	if err != nil {
		return "", wire(err)
	}
	return now.Format("2006-01-02T15:04:05.000000000Z07:00"), nil
}

func pageSize(v string) (int32, error) {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, domain.Invalid(RulePageSize, "pageSize", "must be a whole number, got %q", truncate(v))
	}
	return int32(n), nil
}

func (c *Contract) RegisterIssuerKey(ctx contractapi.TransactionContextInterface, keyJSON string) (string, error) {
	return out(c.App.RegisterIssuerKey(st(ctx), keyJSON))
}

func (c *Contract) RotateIssuerKey(ctx contractapi.TransactionContextInterface, oldKeyID, newKeyJSON, reason string) (string, error) {
	return out(c.App.RotateIssuerKey(st(ctx), oldKeyID, newKeyJSON, reason))
}

func (c *Contract) RevokeIssuerKey(ctx contractapi.TransactionContextInterface, keyID, reason, compromisedAt string) (string, error) {
	return out(c.App.RevokeIssuerKey(st(ctx), keyID, reason, compromisedAt))
}

func (c *Contract) GetIssuerKey(ctx contractapi.TransactionContextInterface, keyID string) (string, error) {
	return out(c.App.GetIssuerKey(st(ctx), keyID))
}

func (c *Contract) ListIssuerKeys(ctx contractapi.TransactionContextInterface, size, bookmark string) (string, error) {
	n, err := pageSize(size)
	if err != nil {
		return "", wire(err)
	}
	return out(c.App.ListIssuerKeys(st(ctx), n, bookmark))
}

func (c *Contract) LoadCalendar(ctx contractapi.TransactionContextInterface, calendarJSON, reason string) (string, error) {
	return out(c.App.LoadCalendar(st(ctx), calendarJSON, reason))
}

func (c *Contract) GetCalendar(ctx contractapi.TransactionContextInterface, year string) (string, error) {
	return out(c.App.GetCalendar(st(ctx), year))
}

func (c *Contract) RecordAgreement(ctx contractapi.TransactionContextInterface, agreementJSON string) (string, error) {
	return outPublic(c.App.RecordAgreement(st(ctx), agreementJSON))
}

func (c *Contract) FileAgreement(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return outPublic(c.App.FileAgreement(st(ctx), number))
}

func (c *Contract) ChangeAgreement(ctx contractapi.TransactionContextInterface, number, changeJSON, reason string) (string, error) {
	return outPublic(c.App.ChangeAgreement(st(ctx), number, changeJSON, reason))
}

func (c *Contract) EndAgreement(ctx contractapi.TransactionContextInterface, number, action, reason string) (string, error) {
	return outPublic(c.App.EndAgreement(st(ctx), number, action, reason))
}

func (c *Contract) GetAgreement(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.GetAgreement(st(ctx), number))
}

func (c *Contract) IssueCredential(ctx contractapi.TransactionContextInterface, signedJSON, agreementNumber string) (string, error) {
	return out(c.App.IssueCredential(st(ctx), signedJSON, agreementNumber))
}

func (c *Contract) ChangeCredentialStatus(ctx contractapi.TransactionContextInterface, number, action, reason string) (string, error) {
	return outPublic(c.App.ChangeCredentialStatus(st(ctx), number, action, reason))
}

func (c *Contract) GetCredential(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.GetCredential(st(ctx), number))
}

func (c *Contract) VerifyCredential(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.VerifyCredential(st(ctx), number))
}

func (c *Contract) VerifyCredentialDocument(ctx contractapi.TransactionContextInterface, signedJSON string) (string, error) {
	return out(c.App.VerifyCredentialDocument(st(ctx), signedJSON))
}

func (c *Contract) ListCredentials(ctx contractapi.TransactionContextInterface, by, value, size, bookmark string) (string, error) {
	n, err := pageSize(size)
	if err != nil {
		return "", wire(err)
	}
	return out(c.App.ListCredentials(st(ctx), by, value, n, bookmark))
}

func (c *Contract) Apply(ctx contractapi.TransactionContextInterface, applicationJSON string) (string, error) {
	return outPublic(c.App.Apply(st(ctx), applicationJSON))
}

func (c *Contract) PreliminaryReview(ctx contractapi.TransactionContextInterface, number, decision, reasons string) (string, error) {
	return outPublic(c.App.PreliminaryReview(st(ctx), number, decision, reasons))
}

func (c *Contract) ResubmitApplication(ctx contractapi.TransactionContextInterface, number, resubmissionJSON string) (string, error) {
	return outPublic(c.App.ResubmitApplication(st(ctx), number, resubmissionJSON))
}

func (c *Contract) OpenObligation(ctx contractapi.TransactionContextInterface, obligationJSON string) (string, error) {
	return outPublic(c.App.OpenObligation(st(ctx), obligationJSON))
}

func (c *Contract) FileObligation(ctx contractapi.TransactionContextInterface, number, filingJSON string) (string, error) {
	return outPublic(c.App.FileObligation(st(ctx), number, filingJSON))
}

func (c *Contract) DecideObligation(ctx contractapi.TransactionContextInterface, number, decision, reasons string) (string, error) {
	return outPublic(c.App.DecideObligation(st(ctx), number, decision, reasons))
}

func (c *Contract) GetObligation(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.GetObligation(st(ctx), number))
}

func (c *Contract) RecordCreditRecord(ctx contractapi.TransactionContextInterface, creditJSON string) (string, error) {
	return outPublic(c.App.RecordCreditRecord(st(ctx), creditJSON))
}

func (c *Contract) RescindCreditRecord(ctx contractapi.TransactionContextInterface, number, reasons string) (string, error) {
	return outPublic(c.App.RescindCreditRecord(st(ctx), number, reasons))
}

func (c *Contract) GetCreditRecord(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.GetCreditRecord(st(ctx), number))
}

func (c *Contract) RecordEvaluation(ctx contractapi.TransactionContextInterface, evaluationJSON string) (string, error) {
	return outPublic(c.App.RecordEvaluation(st(ctx), evaluationJSON))
}

func (c *Contract) GetEvaluation(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.GetEvaluation(st(ctx), number))
}

func (c *Contract) OpenSelection(ctx contractapi.TransactionContextInterface, selectionJSON string) (string, error) {
	return out(c.App.OpenSelection(st(ctx), selectionJSON))
}

func (c *Contract) NominateCandidates(ctx contractapi.TransactionContextInterface, number, nominationJSON string) (string, error) {
	return out(c.App.NominateCandidates(st(ctx), number, nominationJSON))
}

func (c *Contract) SelectOperator(ctx contractapi.TransactionContextInterface, number, operator, reason string) (string, error) {
	return out(c.App.SelectOperator(st(ctx), number, operator, reason))
}

func (c *Contract) GetSelection(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.GetSelection(st(ctx), number))
}

func (c *Contract) RecordPlan(ctx contractapi.TransactionContextInterface, planJSON string) (string, error) {
	return out(c.App.RecordPlan(st(ctx), planJSON))
}

func (c *Contract) FilePlan(ctx contractapi.TransactionContextInterface, number, filingJSON string) (string, error) {
	return out(c.App.FilePlan(st(ctx), number, filingJSON))
}

func (c *Contract) DecidePlanFiling(ctx contractapi.TransactionContextInterface, number, decision, reasons string) (string, error) {
	return out(c.App.DecidePlanFiling(st(ctx), number, decision, reasons))
}

func (c *Contract) GetPlan(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.GetPlan(st(ctx), number))
}

func (c *Contract) ExitOnboarding(ctx contractapi.TransactionContextInterface, number, reason string) (string, error) {
	return outPublic(c.App.ExitOnboarding(st(ctx), number, reason))
}

func (c *Contract) AnswerQualityRequest(ctx contractapi.TransactionContextInterface, number, answerJSON string) (string, error) {
	return outPublic(c.App.AnswerQualityRequest(st(ctx), number, answerJSON))
}

func (c *Contract) ResolveQualityRequest(ctx contractapi.TransactionContextInterface, number, resolutionJSON string) (string, error) {
	return outPublic(c.App.ResolveQualityRequest(st(ctx), number, resolutionJSON))
}

func (c *Contract) ExtendComplianceReview(ctx contractapi.TransactionContextInterface, number, reason string) (string, error) {
	return outPublic(c.App.ExtendComplianceReview(st(ctx), number, reason))
}

func (c *Contract) ComplianceReview(ctx contractapi.TransactionContextInterface, number, reviewer, decision, reasons string) (string, error) {
	return outPublic(c.App.ComplianceReview(st(ctx), number, reviewer, decision, reasons))
}

func (c *Contract) AttachScenarioAgreement(ctx contractapi.TransactionContextInterface, number, agreementNumber string) (string, error) {
	return outPublic(c.App.AttachScenarioAgreement(st(ctx), number, agreementNumber))
}

func (c *Contract) StartDevelopment(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return outPublic(c.App.StartDevelopment(st(ctx), number))
}

func (c *Contract) SubmitProduct(ctx contractapi.TransactionContextInterface, number, productDigest string) (string, error) {
	return outPublic(c.App.SubmitProduct(st(ctx), number, productDigest))
}

func (c *Contract) VerifyConsistency(ctx contractapi.TransactionContextInterface, number, productDigest, matchesDesign, changeNote, decision, reasons string) (string, error) {
	return outPublic(c.App.VerifyConsistency(st(ctx), number, productDigest, matchesDesign, changeNote, decision, reasons))
}

func (c *Contract) StartPublicNotice(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return outPublic(c.App.StartPublicNotice(st(ctx), number))
}

func (c *Contract) GetApplication(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.GetApplication(st(ctx), number))
}

func (c *Contract) RegisterCertificate(ctx contractapi.TransactionContextInterface, signedJSON, applicationNumber string) (string, error) {
	return out(c.App.RegisterCertificate(st(ctx), signedJSON, applicationNumber))
}

func (c *Contract) GetCertificate(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.GetCertificate(st(ctx), number))
}

func (c *Contract) VerifyCertificate(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.VerifyCertificate(st(ctx), number))
}

func (c *Contract) VerifyCertificateDocument(ctx contractapi.TransactionContextInterface, signedJSON string) (string, error) {
	return out(c.App.VerifyCertificateDocument(st(ctx), signedJSON))
}

func (c *Contract) FileObjection(ctx contractapi.TransactionContextInterface, objectionJSON string) (string, error) {
	return outPublic(c.App.FileObjection(st(ctx), objectionJSON))
}

func (c *Contract) DecideObjection(ctx contractapi.TransactionContextInterface, number, decisionJSON string) (string, error) {
	return outPublic(c.App.DecideObjection(st(ctx), number, decisionJSON))
}

func (c *Contract) ConfirmDestruction(ctx contractapi.TransactionContextInterface, number, evidenceDigest string) (string, error) {
	return outPublic(c.App.ConfirmDestruction(st(ctx), number, evidenceDigest))
}

// FindPrivateRecord names the record an event's key hash is of, to a
// regime role of a collection member.
func (c *Contract) FindPrivateRecord(ctx contractapi.TransactionContextInterface, keyHash string) (string, error) {
	return out(c.App.FindPrivateRecord(st(ctx), keyHash))
}

// GetPrivatePart answers a record's private part as its collection holds
// it, to a collection member's regime role.
func (c *Contract) GetPrivatePart(ctx contractapi.TransactionContextInterface, recordType, number string) (string, error) {
	res, err := c.App.GetPrivatePart(st(ctx), recordType, number)
	return res, wire(err)
}

func (c *Contract) GetObjection(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.GetObjection(st(ctx), number))
}

func (c *Contract) CheckEgress(ctx contractapi.TransactionContextInterface, number, result, reportDigest, reasons string) (string, error) {
	return outPublic(c.App.CheckEgress(st(ctx), number, result, reportDigest, reasons))
}

func (c *Contract) ListEgressChecks(ctx contractapi.TransactionContextInterface, number, size, bookmark string) (string, error) {
	n, err := pageSize(size)
	if err != nil {
		return "", wire(err)
	}
	return out(c.App.ListEgressChecks(st(ctx), number, n, bookmark))
}

func (c *Contract) AcknowledgeCertificate(ctx contractapi.TransactionContextInterface, number, action string) (string, error) {
	return out(c.App.AcknowledgeCertificate(st(ctx), number, action))
}

// RecordReport records a periodic supervision report's signed summary.
func (c *Contract) RecordReport(ctx contractapi.TransactionContextInterface, signedJSON string) (string, error) {
	return out(c.App.RecordReport(st(ctx), signedJSON))
}

// GetReport reads a supervision report's record by its number.
func (c *Contract) GetReport(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.GetReport(st(ctx), number))
}

// RecordNationalRegistration records a certificate's national registration codes.
func (c *Contract) RecordNationalRegistration(ctx contractapi.TransactionContextInterface, number, registrationJSON string) (string, error) {
	return outPublic(c.App.RecordNationalRegistration(st(ctx), number, registrationJSON))
}

// FindCertificateByNationalCode verifies the certificate a national code names.
func (c *Contract) FindCertificateByNationalCode(ctx contractapi.TransactionContextInterface, code string) (string, error) {
	return out(c.App.FindCertificateByNationalCode(st(ctx), code))
}

func (c *Contract) ListAcknowledgements(ctx contractapi.TransactionContextInterface, number string) (string, error) {
	return out(c.App.ListAcknowledgements(st(ctx), number))
}

func (c *Contract) ListDisclosedAuthorizations(ctx contractapi.TransactionContextInterface, size, bookmark string) (string, error) {
	n, err := pageSize(size)
	if err != nil {
		return "", wire(err)
	}
	return out(c.App.ListDisclosedAuthorizations(st(ctx), n, bookmark))
}

func (c *Contract) ListDisclosedObligations(ctx contractapi.TransactionContextInterface, size, bookmark string) (string, error) {
	n, err := pageSize(size)
	if err != nil {
		return "", wire(err)
	}
	return out(c.App.ListDisclosedObligations(st(ctx), n, bookmark))
}

func (c *Contract) ListDisclosedProducts(ctx contractapi.TransactionContextInterface, size, bookmark string) (string, error) {
	n, err := pageSize(size)
	if err != nil {
		return "", wire(err)
	}
	return out(c.App.ListDisclosedProducts(st(ctx), n, bookmark))
}

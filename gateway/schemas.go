package gateway

import (
	"encoding/json"

	"dataledger/chaincode/domain"
	"dataledger/index"
	"dataledger/proof"
)

// The Go types of every operation's body and answer: the one table the
// OpenAPI document's schemas are reflected from. A route of acl.yaml is
// found here by its transaction (tx rows) or its handler (named rows);
// Router refuses a table with a route this does not describe, so a new
// route cannot ship without its schemas.
//
// For a tx row, Body is what the row's body arguments read: the domain
// input type for `args: [..., body]` (the chaincode decodes the whole
// body, strictly), or a request type of this package whose members are
// exactly the row's body:FIELD names (txHandler refuses any other member).
// Answer is the chaincode function's result, inside Written for a submit
// row (the gateway answers the record with its chain reference). For a
// named handler, Answer is the whole answer.
type operationTypes struct {
	Body   any      // a value of the request body's type; nil: the route reads no body
	Answer any      // a value of the success answer's type; nil with Media: not JSON
	Media  []string // the answer's media types when it is not JSON
	Status int      // the success status of a named handler (default 200)
	Query  []queryParameter
	Header []headerParameter
}

type queryParameter struct {
	Name, Description string
	Schema            map[string]any
}

type headerParameter struct {
	Name, Description string
}

// Written is a committed write: the record the transaction wrote and
// where it landed. The gateway passes the chaincode's record through
// (WriteResponse); the document states its type per transaction.
type Written[R any] struct {
	Record         R                      `json:"record"`
	ChainReference domain.CommitReference `json:"chainReference"`
}

// CertificateRegistration answers a certificate registration: the write,
// and the certificate as the gateway completed and signed it.
type CertificateRegistration[R, D any] struct {
	Written[R]
	Certificate D `json:"certificate"`
}

// Liveness is the ping's answer.
type Liveness struct {
	Status string `json:"status"` // always "ok"
}

// AuditAnswer is the audit of a channel's chain: the report, whether it
// passed, and the block the next audit starts from. The report's
// checkpoint (which carries a configuration block) is the gateway's own
// and is always null here.
type AuditAnswer struct {
	proof.AuditReport
	OK       bool   `json:"ok"`
	NextFrom uint64 `json:"nextFrom"`
}

// Request bodies of tx rows that read body:FIELD members.
type (
	// AdoptProfileRequest adopts a built-in profile by name.
	AdoptProfileRequest struct {
		Name   string `json:"name"`
		Reason string `json:"reason"`
	}
	// SetProfileRequest sets a custom profile.
	SetProfileRequest struct {
		Profile domain.Profile `json:"profile"`
		Reason  string         `json:"reason"`
	}
	// LoadCalendarRequest loads a year's working-day calendar.
	LoadCalendarRequest struct {
		Calendar domain.Calendar `json:"calendar"`
		Reason   string          `json:"reason"`
	}
	// SetExchangesRequest names the channel's exchanges (MSP IDs).
	SetExchangesRequest struct {
		Exchanges []string `json:"exchanges"`
		Reason    string   `json:"reason"`
	}
	// RotateKeyRequest replaces an issuer key by a new one.
	RotateKeyRequest struct {
		Key    domain.IssuerKeyInput `json:"key"`
		Reason string                `json:"reason"`
	}
	// SelectRequest names the operator selected among the candidates.
	SelectRequest struct {
		Operator string `json:"operator"`
		Reason   string `json:"reason"`
	}
	// SubmitProductRequest submits the developed product for its evaluation.
	SubmitProductRequest struct {
		ProductDigest string `json:"productDigest"`
	}
	// ReasonRequest is a step that only needs its reason.
	ReasonRequest struct {
		Reason string `json:"reason"`
	}
	// RevokeKeyRequest revokes an issuer key; compromisedAt (RFC 3339)
	// states since when it was compromised: every document registered
	// under it from then on reads revoked.
	RevokeKeyRequest struct {
		Reason        string `json:"reason"`
		CompromisedAt string `json:"compromisedAt,omitempty"`
	}
	// ActionRequest changes a record's status (suspend, reinstate,
	// revoke, exit, terminate … as the record allows) with its reason.
	ActionRequest struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
	}
	// ChangeAgreementRequest changes an agreement's terms.
	ChangeAgreementRequest struct {
		Change domain.AgreementChange `json:"change"`
		Reason string                 `json:"reason"`
	}
	// ReviewRequest is a preliminary review's decision (reasons are
	// required for a rejection).
	ReviewRequest struct {
		Decision string `json:"decision"`
		Reasons  string `json:"reasons,omitempty"`
	}
	// ComplianceReviewRequest is one reviewer's compliance decision.
	ComplianceReviewRequest struct {
		Reviewer string `json:"reviewer"`
		Decision string `json:"decision"`
		Reasons  string `json:"reasons,omitempty"`
	}
	// AttachAgreementRequest names the filed scenario agreement.
	AttachAgreementRequest struct {
		AgreementNumber string `json:"agreementNumber"`
	}
	// ConsistencyRequest records the product's consistency with its design.
	ConsistencyRequest struct {
		ProductDigest string `json:"productDigest"`
		MatchesDesign bool   `json:"matchesDesign"`
		ChangeNote    string `json:"changeNote,omitempty"` // required when it does not match
		Decision      string `json:"decision"`
		Reasons       string `json:"reasons,omitempty"`
	}
	// DestructionRequest confirms ordered data destruction.
	DestructionRequest struct {
		EvidenceDigest string `json:"evidenceDigest"`
	}
	// EgressRequest records an egress check.
	EgressRequest struct {
		Result       string `json:"result"`
		ReportDigest string `json:"reportDigest"`
		Reasons      string `json:"reasons,omitempty"`
	}
	// AcknowledgementRequest records an exchange's receipt or listing.
	AcknowledgementRequest struct {
		Action string `json:"action"`
	}
)

var (
	pageParameters = []string{"pageSize", "bookmark"}
	idempotencyKey = headerParameter{"Idempotency-Key", "makes the write safe to retry: the same key and body answer the first outcome (at most 128 characters)"}
	lastEventID    = headerParameter{"Last-Event-ID", "resume after this event (BLOCK/TXID, as the feed's ids)"}
)

// txTypes: the answer of each chaincode function the table names (the
// contract's result type, held to it by TestSchemaTableMatchesContract).
var txTypes = map[string]operationTypes{
	"ListDisclosedAuthorizations": {Answer: domain.Page[domain.AuthorizationDisclosure]{}},
	"ListDisclosedProducts":       {Answer: domain.Page[domain.ProductDisclosure]{}},
	"ListDisclosedObligations":    {Answer: domain.Page[domain.ObligationDisclosure]{}},
	"GetJurisdiction":             {Answer: domain.Jurisdiction{}},
	"GetProfile":                  {Answer: domain.ProfileRecord{}},
	"GetCalendar":                 {Answer: domain.Calendar{}},
	"ListIssuerKeys":              {Answer: domain.Page[domain.IssuerKey]{}},
	"GetIssuerKey":                {Answer: domain.IssuerKey{}},

	"AdoptProfile":      {Body: AdoptProfileRequest{}, Answer: Written[domain.ProfileRecord]{}},
	"SetProfile":        {Body: SetProfileRequest{}, Answer: Written[domain.ProfileRecord]{}},
	"LoadCalendar":      {Body: LoadCalendarRequest{}, Answer: Written[domain.Calendar]{}},
	"SetExchanges":      {Body: SetExchangesRequest{}, Answer: Written[domain.Jurisdiction]{}},
	"RegisterIssuerKey": {Body: domain.IssuerKeyInput{}, Answer: Written[domain.IssuerKey]{}},
	"RotateIssuerKey":   {Body: RotateKeyRequest{}, Answer: Written[domain.IssuerKey]{}},
	"RevokeIssuerKey":   {Body: RevokeKeyRequest{}, Answer: Written[domain.IssuerKey]{}},

	"RegisterParty":     {Body: domain.PartyInput{}, Answer: Written[domain.Party]{}},
	"ListParties":       {Answer: domain.Page[domain.Party]{}},
	"GetParty":          {Answer: domain.Party{}},
	"ChangePartyStatus": {Body: ActionRequest{}, Answer: Written[domain.Party]{}},

	"RecordAgreement": {Body: domain.AgreementInput{}, Answer: Written[domain.Agreement]{}},
	"GetAgreement":    {Answer: domain.Agreement{}},
	"FileAgreement":   {Answer: Written[domain.Agreement]{}},
	"ChangeAgreement": {Body: ChangeAgreementRequest{}, Answer: Written[domain.Agreement]{}},
	"EndAgreement":    {Body: ActionRequest{}, Answer: Written[domain.Agreement]{}},

	"GetCredential":          {Answer: domain.CredentialRecord{}},
	"ChangeCredentialStatus": {Body: ActionRequest{}, Answer: Written[domain.CredentialRecord]{}},
	"ListCredentials": {Answer: domain.Page[domain.CredentialRecord]{}, Query: []queryParameter{
		{"by", "which index: holder (a credit code), agreement (an agreement number) or issuer (a key ID)", map[string]any{"type": "string", "enum": []string{"holder", "agreement", "issuer"}}},
		{"value", "the holder's credit code, the agreement number or the key ID", nil}}},

	"Apply":                   {Body: domain.ApplicationInput{}, Answer: Written[domain.Application]{}},
	"GetApplication":          {Answer: domain.Application{}},
	"OpenObligation":          {Body: domain.ObligationInput{}, Answer: Written[domain.Obligation]{}},
	"GetObligation":           {Answer: domain.ObligationView{}},
	"FileObligation":          {Body: domain.ObligationFiling{}, Answer: Written[domain.Obligation]{}},
	"DecideObligation":        {Body: ReviewRequest{}, Answer: Written[domain.Obligation]{}},
	"RecordCreditRecord":      {Body: domain.CreditInput{}, Answer: Written[domain.CreditRecord]{}},
	"GetCreditRecord":         {Answer: domain.CreditRecord{}},
	"RecordEvaluation":        {Body: domain.EvaluationInput{}, Answer: Written[domain.Evaluation]{}},
	"GetEvaluation":           {Answer: domain.Evaluation{}},
	"OpenSelection":           {Body: domain.SelectionInput{}, Answer: Written[domain.Selection]{}},
	"NominateCandidates":      {Body: domain.Nomination{}, Answer: Written[domain.Selection]{}},
	"SelectOperator":          {Body: SelectRequest{}, Answer: Written[domain.Selection]{}},
	"GetSelection":            {Answer: domain.Selection{}},
	"RecordPlan":              {Body: domain.PlanInput{}, Answer: Written[domain.Plan]{}},
	"FilePlan":                {Body: domain.PlanFiling{}, Answer: Written[domain.Plan]{}},
	"DecidePlanFiling":        {Body: ReviewRequest{}, Answer: Written[domain.Plan]{}},
	"GetPlan":                 {Answer: domain.Plan{}},
	"RescindCreditRecord":     {Body: ReasonRequest{}, Answer: Written[domain.CreditRecord]{}},
	"PreliminaryReview":       {Body: ReviewRequest{}, Answer: Written[domain.Application]{}},
	"ResubmitApplication":     {Body: domain.Resubmission{}, Answer: Written[domain.Application]{}},
	"ExitOnboarding":          {Body: ReasonRequest{}, Answer: Written[domain.Application]{}},
	"AnswerQualityRequest":    {Body: domain.QualityAnswer{}, Answer: Written[domain.Application]{}},
	"ResolveQualityRequest":   {Body: domain.QualityResolution{}, Answer: Written[domain.Application]{}},
	"ExtendComplianceReview":  {Body: ReasonRequest{}, Answer: Written[domain.Application]{}},
	"ComplianceReview":        {Body: ComplianceReviewRequest{}, Answer: Written[domain.Application]{}},
	"AttachScenarioAgreement": {Body: AttachAgreementRequest{}, Answer: Written[domain.Application]{}},
	"StartDevelopment":        {Answer: Written[domain.Application]{}},
	"SubmitProduct":           {Body: SubmitProductRequest{}, Answer: Written[domain.Application]{}},
	"VerifyConsistency":       {Body: ConsistencyRequest{}, Answer: Written[domain.Application]{}},
	"StartPublicNotice":       {Answer: Written[domain.Application]{}},

	"GetCertificate":         {Answer: domain.CertificateRecord{}},
	"FileObjection":          {Body: domain.ObjectionInput{}, Answer: Written[domain.Objection]{}},
	"GetObjection":           {Answer: domain.Objection{}},
	"DecideObjection":        {Body: domain.ObjectionDecision{}, Answer: Written[domain.Objection]{}},
	"ConfirmDestruction":     {Body: DestructionRequest{}, Answer: Written[domain.Objection]{}},
	"CheckEgress":            {Body: EgressRequest{}, Answer: Written[domain.EgressCheck]{}},
	"ListEgressChecks":       {Answer: domain.Page[domain.EgressCheck]{}},
	"AcknowledgeCertificate": {Body: AcknowledgementRequest{}, Answer: Written[domain.Acknowledgement]{}},
	"ListAcknowledgements":   {Answer: []domain.Acknowledgement{}},

	"RecordNationalRegistration":    {Body: domain.NationalInput{}, Answer: Written[domain.CertificateRecord]{}},
	"RecordReport":                  {Body: domain.SupervisionReport{}, Answer: Written[domain.ReportRecord]{}},
	"GetReport":                     {Answer: domain.ReportRecord{}},
	"FindCertificateByNationalCode": {Answer: domain.Verification{}},

	"History": {Answer: []domain.HistoryItem{}},
}

// handlerTypes: the body and whole answer of each named handler.
var handlerTypes = map[string]operationTypes{
	"page":     {Media: []string{"text/html"}},
	"assets":   {Media: []string{"text/javascript", "text/css"}},
	"qr":       {Media: []string{"image/png"}},
	"timeline": {Answer: []TimelineEntry{}},
	"ping":     {Answer: Liveness{}},

	"verifyNumber":   {Answer: VerifyResponse{}},
	"verifyDocument": {Body: oneOf{"SignedDocument", "a signed credential or certificate", []any{domain.Credential{}, domain.Certificate{}}}, Answer: VerifyResponse{}},

	"proofBundle": {Answer: proof.Bundle{}},
	"verifyProof": {Body: oneOf{"ProofUpload", "a proof bundle or a presentation", []any{proof.Bundle{}, proof.Presentation{}}}, Answer: oneOf{"ProofReport", "a bundle's report or a presentation's", []any{proof.Report{}, proof.PresentationReport{}}}},
	"present":     {Body: PresentationRequest{}, Answer: proof.Presentation{}},
	"obligations": {Answer: Obligations{}},

	"subscribeWebhook":    {Body: WebhookRequest{}, Answer: WebhookCreated{}, Status: 201},
	"listWebhooks":        {Answer: WebhookList{}},
	"disableWebhook":      {Answer: WebhookView{}},
	"pingWebhook":         {Answer: WebhookPing{}, Status: 202},
	"rotateWebhookSecret": {Answer: WebhookSecret{}},
	"webhookDeliveries": {Answer: WebhookDeliveries{}, Query: []queryParameter{
		{"limit", "deliveries per page (1 to 500, default 50)", map[string]any{"type": "integer", "minimum": 1, "maximum": 500}},
		{"cursor", "the next answer's cursor: the page of older deliveries", map[string]any{"type": "string"}}}},
	"latestHead":    {Answer: proof.Head{}},
	"headAt":        {Answer: proof.Head{}},
	"cosignHead":    {Body: proof.Head{}, Answer: proof.Head{}},
	"witnessAlarms": {Answer: WitnessAlarms{}},
	"auditChain": {Answer: AuditAnswer{}, Query: []queryParameter{
		{"from", "genesis: audit from the first block rather than the last checkpoint", map[string]any{"type": "string", "enum": []string{"genesis"}}}}},

	"issueCredential": {Body: IssueRequest{}, Answer: Written[domain.CredentialRecord]{}, Status: 201, Header: []headerParameter{idempotencyKey}},
	"registerCertificate": {Body: RegisterRequest{}, Answer: CertificateRegistration[domain.CertificateRecord, domain.Certificate]{},
		Status: 201, Header: []headerParameter{idempotencyKey}},

	"console":        {Media: []string{"text/html"}},
	"me":             {Media: []string{"text/html"}},
	"searchIndex":    {Answer: SearchAnswer{}, Query: searchParameters},
	"exportIndex":    {Media: []string{"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, Query: append([]queryParameter{{"format", "csv (default) or xlsx", map[string]any{"type": "string", "enum": []string{"csv", "xlsx"}}}}, searchParameters[:len(searchParameters)-2]...)},
	"indexHistory":   {Answer: index.History{}, Query: []queryParameter{{"kind", "the record's kind", map[string]any{"type": "string", "enum": index.KindNames()}}, {"id", "its number, credit code or key ID", map[string]any{"type": "string"}}}},
	"indexSummary":   {Answer: SummaryAnswer{}},
	"indexStatus":    {Answer: IndexStatus{}},
	"generateReport": {Body: ReportRequest{}, Answer: ReportAnswer{}, Status: 201, Header: []headerParameter{idempotencyKey}},
	"reportFile":     {Media: []string{"text/html", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/json"}},

	"feed": {Media: []string{"text/event-stream"}, Header: []headerParameter{lastEventID}, Query: []queryParameter{
		{"fromBlock", "replay from this block (without Last-Event-ID)", map[string]any{"type": "integer", "minimum": 0}}}},
}

// oneOf is a body or answer of one of several types, a component schema
// of its own name (so generated clients have one type for it).
type oneOf struct {
	Name, Description string
	Types             []any
}

// WriteResponse is a committed write as the gateway sends it: the
// chaincode's record passed through.
type WriteResponse = Written[json.RawMessage]

// searchParameters are a search's query parameters (the index's Query);
// the last two page it.
var searchParameters = []queryParameter{
	{"kind", "a kind of record", map[string]any{"type": "string", "enum": index.KindNames()}},
	{"status", "its status as recorded (an application's stage)", map[string]any{"type": "string"}},
	{"outcome", "an objection's decision, an egress check's result, an agreement's kind", map[string]any{"type": "string"}},
	{"party", "a credit code, its beginning, or part of a party's name", map[string]any{"type": "string"}},
	{"q", "part of a record's name, product or scope, or its exact number", map[string]any{"type": "string"}},
	{"division", "a six-digit division code: 450000 is the province and every city in it", map[string]any{"type": "string", "pattern": "^[1-9][0-9]{5}$"}},
	{"dates", "which date from and to bound: recorded (first on the ledger, default), changed (last version) or record (its own date)", map[string]any{"type": "string", "enum": []string{"recorded", "changed", "record"}}},
	{"from", "first day, YYYY-MM-DD China time", map[string]any{"type": "string", "format": "date"}},
	{"to", "last day, YYYY-MM-DD China time", map[string]any{"type": "string", "format": "date"}},
	{"flag", "late, overdue, deemed or open (repeatable, or comma-separated)", map[string]any{"type": "string"}},
	{"sort", "recorded (default), changed, date or id", map[string]any{"type": "string", "enum": []string{"recorded", "changed", "date", "id"}}},
	{"order", "desc (default) or asc", map[string]any{"type": "string", "enum": []string{"asc", "desc"}}},
	{"limit", "rows per page, 1 to 500 (default 50)", map[string]any{"type": "integer", "minimum": 1, "maximum": 500}},
	{"cursor", "the previous page's next", map[string]any{"type": "string"}},
}

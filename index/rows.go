package index

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"dataledger/chaincode/domain"
)

// Row is one version of a record as the index keeps it: the columns
// searches filter on, read from the record by its kind's summary, and the
// record itself.
type Row struct {
	Kind     string   // Kind.Name
	Channel  string   //
	ID       string   // its number, credit code, key ID, year, or the key's parts joined by "/"
	Status   string   // as recorded (an application's stage)
	Outcome  string   // an objection's decision, an egress check's result
	Division string   // the administrative division it belongs to
	Parties  []string // credit codes of the parties it concerns
	Ref      string   // the number of the record whose parties it also concerns (an objection's target, an egress check's certificate)
	Title    string   // what a person searches it by: a name, a product, a scope
	Date     string   // its own date (YYYY-MM-DD, China time): signed, applied, registered, filed …
	Late     bool     // recorded late (a filing, a preliminary review, a destruction)
	Open     bool     // awaiting a decision or a filing
	Deemed   bool     // approved by silence (ZW 21), recorded
	DeemedOn string   // the day silence approves it, while the review is pending
	Due      string   // the deadline of what it awaits
	Body     []byte   // the record as written (JSON)
}

// Kind is a kind of record the index keeps.
// Each has a partition of the records table (the migrations name them).
type Kind struct {
	Name       string // in queries, files and the records table
	RecordType string // the object type of its state key
	summarize  func(raw []byte, r *Row) error
}

// Kinds are every kind of record the index keeps, in the order lists show
// them. A state key of another object type (the chaincode's own indexes,
// "a~b", and benchmark keys) is not a record.
var Kinds = []Kind{
	{"jurisdiction", domain.TypeJurisdiction, summarizeJurisdiction},
	{"profile", domain.TypeProfile, summarizeAs},
	{"calendar", domain.TypeCalendar, summarizeAs},
	{"party", domain.TypeParty, summarizeParty},
	{"issuerKey", domain.TypeIssuerKey, summarizeKey},
	{"agreement", domain.TypeAgreement, summarizeAgreement},
	{"credential", domain.TypeCredential, summarizeCredential},
	{"application", domain.TypeApplication, summarizeApplication},
	{"certificate", domain.TypeCertificate, summarizeCertificate},
	{"objection", domain.TypeObjection, summarizeObjection},
	{"egress", domain.TypeEgress, summarizeEgress},
	{"ack", domain.TypeAck, summarizeAck},
	{"report", domain.TypeReport, summarizeReport},
	{"obligation", domain.TypeObligation, summarizeObligation},
	{"creditRecord", domain.TypeCredit, summarizeCredit},
	{"evaluation", domain.TypeEvaluation, summarizeEvaluation},
	{"selection", domain.TypeSelection, summarizeSelection},
	{"plan", domain.TypePlan, summarizePlan},
}

// KindNamed is the kind of record called name.
func KindNamed(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

func kindOfType(recordType string) (Kind, bool) {
	for _, k := range Kinds {
		if k.RecordType == recordType {
			return k, true
		}
	}
	return Kind{}, false
}

// KindNames are the names of Kinds.
func KindNames() []string {
	out := make([]string, len(Kinds))
	for i, k := range Kinds {
		out[i] = k.Name
	}
	return out
}

// Summarize reads a record written under a state key into a row: nil,
// false when the key holds no record (an index entry, a benchmark key). A
// record that does not decode as its kind is an error: the index would
// otherwise answer without it.
func Summarize(channel, key string, value []byte) (*Row, bool, error) {
	k, r, ok := keyRow(channel, key)
	if !ok {
		return nil, false, nil
	}
	r.Body = value
	if err := k.summarize(value, r); err != nil {
		return nil, false, fmt.Errorf("%s %s on %s does not read as a %s record: %w", k.Name, r.ID, channel, k.Name, err)
	}
	for _, n := range []string{r.ID, r.Ref} {
		if r.Division == "" {
			r.Division = divisionOf(n)
		}
	}
	return r, true, nil
}

// keyRow is the kind and identity of the record a state key holds.
func keyRow(channel, key string) (Kind, *Row, bool) {
	t, attrs, err := domain.SplitCompositeKey(key)
	if err != nil {
		return Kind{}, nil, false // a plain key: not written by the record store
	}
	k, ok := kindOfType(t)
	if !ok {
		return Kind{}, nil, false
	}
	r := &Row{Kind: k.Name, Channel: channel, ID: strings.Join(attrs, "/"), Parties: []string{}}
	if r.ID == "" {
		r.ID = k.Name
	}
	return k, r, true
}

// divisionOf is the division a record number names ("" for none).
func divisionOf(number string) string {
	if n, ok := domain.NumberedOf(number); ok {
		if num, err := domain.ParseNumber("number", number, n.Prefix); err == nil {
			return num.Division
		}
	}
	return ""
}

// day is the China date of an RFC 3339 time ("" when there is none).
func day(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339Nano, rfc3339)
	if err != nil {
		return ""
	}
	return domain.DateOf(t).Format(time.DateOnly)
}

func decode[T any](raw []byte) (*T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func summarizeAs(raw []byte, r *Row) error {
	if !json.Valid(raw) {
		return fmt.Errorf("not JSON")
	}
	return nil
}

func summarizeJurisdiction(raw []byte, r *Row) error {
	j, err := decode[domain.Jurisdiction](raw)
	if err != nil {
		return err
	}
	r.Division, r.Title, r.Date = j.DivisionCode, j.Name, day(j.Created.Time)
	return nil
}

func summarizeParty(raw []byte, r *Row) error {
	p, err := decode[domain.Party](raw)
	if err != nil {
		return err
	}
	r.Status, r.Division, r.Title, r.Date = p.Status, p.DivisionCode, p.Name, day(p.Onboarded.Time)
	r.Parties = []string{p.CreditCode}
	return nil
}

func summarizeKey(raw []byte, r *Row) error {
	k, err := decode[domain.IssuerKey](raw)
	if err != nil {
		return err
	}
	r.Status, r.Title, r.Date = k.Status, k.Department, k.ValidFrom
	return nil
}

func summarizeAgreement(raw []byte, r *Row) error {
	a, err := decode[domain.Agreement](raw)
	if err != nil {
		return err
	}
	r.Status, r.Title, r.Date = a.Status, a.Scope, a.SignedOn
	for _, p := range []string{a.GrantorCreditCode, a.GranteeCreditCode} {
		if p != "" { // a development agreement's public view names none
			r.Parties = append(r.Parties, p)
		}
	}
	r.Outcome = a.Kind
	r.Ref = a.Renews // the agreement it renews (NS 15): searched by ref
	if a.Filing != nil {
		r.Late = a.Filing.Late
	}
	r.Open = a.Status == domain.AgreementSigned // awaiting its filing (备案)
	return nil
}

func summarizeCredential(raw []byte, r *Row) error {
	c, err := decode[domain.CredentialRecord](raw)
	if err != nil {
		return err
	}
	r.Status, r.Date, r.Ref = c.Status, c.ValidFrom, c.AgreementNumber // its standing follows the agreement (Store)
	r.Parties = []string{c.HolderCreditCode}
	if doc, err := decode[domain.Credential](c.Document); err == nil {
		r.Title = strings.TrimSpace(doc.HolderName + " " + doc.Scope)
		r.Division = doc.DivisionCode
	}
	return nil
}

func summarizeApplication(raw []byte, r *Row) error {
	a, err := decode[domain.Application](raw)
	if err != nil {
		return err
	}
	r.Status, r.Title, r.Date = a.Stage, a.ProductName, a.AppliedOn
	switch a.Kind {
	case domain.KindCatalog:
		r.Title = a.Scope
	case domain.KindOnboarding:
		r.Title = "数商进驻"
	case domain.KindRenewal:
		r.Title, r.Ref = "续期 "+a.Renews, a.Renews
	case domain.KindQuality:
		r.Title = a.Problem
	}
	// A quality request's data provider is a party of it: its lateness is
	// listed under it.
	r.Parties = append([]string{a.ApplicantCreditCode}, a.DataProviders...)
	r.Open = !a.Closed()
	for _, s := range a.Steps {
		r.Late = r.Late || s.Late
		r.Deemed = r.Deemed || s.Decision == domain.DecisionDeemedApproved
	}
	switch a.Stage {
	case domain.StageApplied:
		r.Due = a.PreliminaryDeadline
	case domain.StageQualityConfirmed:
		r.Due = a.ResolveBy
	case domain.StageProductSubmitted:
		r.Due = a.ProductReviewDeadline
	}
	// Silence approves it once its compliance review's deadline has
	// passed: the domain says when (the step it would add takes effect
	// then).
	if e := a.Effective(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); e != a {
		r.DeemedOn = day(e.Steps[len(e.Steps)-1].Effective)
		r.Due = a.ComplianceDeadline
	}
	return nil
}

// summarizeObligation: open (or returned) until filed, due on its due
// date; a filing after it is late; a filing awaiting the authority's
// decision is open with no date.
func summarizeObligation(raw []byte, r *Row) error {
	o, err := decode[domain.Obligation](raw)
	if err != nil {
		return err
	}
	r.Status, r.Outcome, r.Title, r.Date = o.Status, o.Kind, strings.TrimSpace(o.Title+" "+o.Period), o.OpenedOn
	r.Parties, r.Ref = []string{o.PartyCreditCode}, o.Subject
	if o.Upward { // owed by the authority a level up: no party
		r.Parties = []string{}
	}
	r.Late = o.FiledLate && (o.Status == domain.ObligationFiled || o.Status == domain.ObligationAccepted)
	r.Open = o.Status != domain.ObligationAccepted && o.Status != domain.ObligationWithdrawn
	if o.Status == domain.ObligationOpen || o.Status == domain.ObligationReturned {
		r.Due = o.DueOn
	}
	return nil
}

// summarizeCredit: a finding in a party's credit file, its outcome the
// category of violation, its reference the decision that caused it; it
// awaits nothing.
func summarizeCredit(raw []byte, r *Row) error {
	c, err := decode[domain.CreditRecord](raw)
	if err != nil {
		return err
	}
	r.Status, r.Outcome, r.Title, r.Date = c.Status, c.Category, c.Finding, c.RecordedOn
	r.Parties, r.Ref = []string{c.PartyCreditCode}, c.Cause
	return nil
}

// summarizeEvaluation: the outcome of a party's evaluation for a year,
// standing or superseded (its reference: the one it supersedes).
func summarizeEvaluation(raw []byte, r *Row) error {
	e, err := decode[domain.Evaluation](raw)
	if err != nil {
		return err
	}
	r.Status, r.Outcome, r.Title, r.Date = e.Status, e.Outcome, e.Period, e.RecordedOn
	r.Parties, r.Ref = []string{e.PartyCreditCode}, e.Supersedes
	return nil
}

// summarizeSelection: an operator selection, open until an operator is
// selected; its parties the agency, the candidates and the one selected.
func summarizeSelection(raw []byte, r *Row) error {
	s, err := decode[domain.Selection](raw)
	if err != nil {
		return err
	}
	r.Status, r.Outcome, r.Title, r.Date = s.Status, s.Method, s.Scope, s.AnnouncedOn
	r.Parties = append([]string{s.AgencyCreditCode}, s.Candidates...)
	r.Open = s.Status != domain.SelectionSelected
	return nil
}

// summarizePlan: an implementation plan, dated by its approval, its
// reference the plan it changes; open while its filing a level up is owed
// (due by FilingDue, listed overdue after) or awaits the decision there.
func summarizePlan(raw []byte, r *Row) error {
	p, err := decode[domain.Plan](raw)
	if err != nil {
		return err
	}
	r.Status, r.Title, r.Date, r.Ref = p.Status, p.Title, p.ApprovedOn, p.Supersedes
	r.Late = p.FiledLate && p.Status != domain.PlanReturned // a returned filing is owed again; a superseded plan keeps its lateness
	owed := p.Awaiting() && p.FilingDue != ""
	r.Open = owed || p.Status == domain.PlanFiled
	if owed {
		r.Due = p.FilingDue
	}
	return nil
}

func summarizeCertificate(raw []byte, r *Row) error {
	c, err := decode[domain.CertificateRecord](raw)
	if err != nil {
		return err
	}
	r.Status, r.Date = c.Status, day(c.Registered.Time)
	r.Parties = []string{c.EnterpriseCreditCode}
	if doc, err := decode[domain.Certificate](c.Document); err == nil {
		r.Title = strings.TrimSpace(doc.ProductName + " " + doc.EnterpriseName)
		if doc.RegistrationDate != "" {
			r.Date = doc.RegistrationDate
		}
	}
	r.Open = c.OpenObjections > 0
	return nil
}

func summarizeObjection(raw []byte, r *Row) error {
	o, err := decode[domain.Objection](raw)
	if err != nil {
		return err
	}
	// Its title is public: the summary is the objection's private part
	// (docs/PRIVACY.md), and an enterprise reads the titles of the
	// objections against its records.
	r.Status, r.Title, r.Date, r.Ref = o.Status, "异议 "+o.Target, day(o.Filed.Time), o.Target
	r.Open = o.Status == domain.ObjectionOpen
	r.Late = o.DestroyedLate
	if o.Decision != nil {
		r.Outcome = o.Decision.Outcome
		if o.Destruction == nil {
			r.Due = o.Decision.DestructionDeadline
		}
	}
	return nil
}

func summarizeEgress(raw []byte, r *Row) error {
	e, err := decode[domain.EgressCheck](raw)
	if err != nil {
		return err
	}
	r.Status, r.Outcome, r.Title, r.Date, r.Ref = e.Result, e.Result, e.Reasons, day(e.Checked.Time), e.RegistrationNumber
	return nil
}

func summarizeAck(raw []byte, r *Row) error {
	a, err := decode[domain.Acknowledgement](raw)
	if err != nil {
		return err
	}
	r.Status, r.Title, r.Date, r.Ref = a.Status, a.ExchangeMSP, day(a.Last.Time), a.RegistrationNumber
	return nil
}

func summarizeReport(raw []byte, r *Row) error {
	rep, err := decode[domain.ReportRecord](raw)
	if err != nil {
		return err
	}
	r.Status, r.Division, r.Outcome = "recorded", rep.DivisionCode, rep.Period
	if doc, err := decode[domain.SupervisionReport](rep.Document); err == nil {
		r.Title, r.Date = doc.Title, doc.IssueDate
	}
	return nil
}

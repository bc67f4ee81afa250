package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// Private data (docs/PRIVACY.md). A block keeps a transaction's
// arguments, its write set, its answer and its event for anyone who holds
// the block; only the transient map is dropped. So a record with fields no
// article publishes is written twice: its public view to the world state,
// and the whole record, sealed with a salt, to the channel's collection,
// of which the block keeps only Fabric's hashes. The private inputs of
// such a transaction travel in the transient map, never as arguments.

// Collection is the name of each channel's private data collection.
const Collection = "private"

// Transient map entries of a transaction with private inputs.
const (
	TransientArgs = "args" // the function's arguments, as a JSON array of strings
	// TransientFunction is the name of a transaction with private
	// arguments, which its proposal calls PrivateCall.
	TransientFunction = "function"
	TransientSalt     = "salt" // 32 random bytes, hex: what seals the private records it writes
	// TransientSubject is what the client sends of an order's subject
	// (SubjectSent), which OpenObligation checks instead of reading the
	// subject's key.
	TransientSubject = "subject"
)

// SubjectSent is what fn's client sends of an order's subject
// (TransientSubject; nil: nothing), from the record as lookup reads it:
// a credential's signed document as registered; an agreement's grantee
// when it is not the order's party (the agreement is among the grantee's
// grants, whose facts FactsNamed names too).
func SubjectSent(fn string, args []string, lookup func(recordType, number string) ([]byte, error)) ([]byte, error) {
	if Action(fn) != ActOpenObligation {
		return nil, nil
	}
	var in ObligationInput
	decodeNamed(args, 0, &in)
	k, ok := NumberedOf(in.Subject)
	if !ok || k.RecordType != TypeCredential && k.RecordType != TypeAgreement {
		return nil, nil
	}
	b, err := lookup(k.RecordType, in.Subject)
	if err != nil || b == nil {
		return nil, err
	}
	if k.RecordType == TypeCredential {
		var r CredentialRecord
		if json.Unmarshal(b, &r) != nil || len(r.Document) == 0 {
			return nil, nil
		}
		return r.Document, nil
	}
	var ag Agreement
	if json.Unmarshal(b, &ag) != nil || ag.GranteeCreditCode == "" || ag.GranteeCreditCode == in.PartyCreditCode {
		return nil, nil
	}
	return []byte(ag.GranteeCreditCode), nil
}

// PrivateCall is the one function name the proposal of every transaction
// with private arguments (PrivateArgs) carries; the transaction's own
// name travels in the transient map (TransientFunction) with its
// arguments. A block keeps every proposal's function name: it would tell
// which step ran (an evaluation, a credit record, an order, a review).
const PrivateCall = "Private"

// Rule codes of private data.
const (
	RulePrivateRead = "DL-PRIVATE-READ" // only a collection member reads (and so changes) a private part
	RulePrivateArgs = "DL-PRIVATE-ARGS" // private inputs travel in the transient map, with a salt
)

// privateWrite is a transaction that writes a record with a private
// part, or a change with private words, and answers with the record: the
// record's type, and whether its arguments are private (they arrive in
// the transient map, and the proposal carries none).
type privateWrite struct {
	recordType string
	args       bool
}

// privateWrites are those transactions.
var privateWrites = map[Action]privateWrite{
	ActFileObjection:      {TypeObjection, true}, // the objection's summary (may name a person or a trade secret)
	ActDecideObjection:    {TypeObjection, true}, // the decision's reasons
	ActConfirmDestruction: {TypeObjection, false},
	// An application's workflow: before its public notice the application
	// is private, its number included (docs/PRIVACY.md), and every step's
	// arguments name it; reviews and their reasons stay private after.
	ActApply: {TypeApplication, true}, ActResubmitApplication: {TypeApplication, true},
	ActPreliminaryReview: {TypeApplication, true}, ActExitOnboarding: {TypeApplication, true},
	ActAnswerQualityRequest: {TypeApplication, true}, ActResolveQualityRequest: {TypeApplication, true},
	ActExtendComplianceReview: {TypeApplication, true}, ActComplianceReview: {TypeApplication, true},
	ActAttachScenarioAgreement: {TypeApplication, true}, ActStartDevelopment: {TypeApplication, true},
	ActSubmitProduct: {TypeApplication, true}, ActVerifyConsistency: {TypeApplication, true},
	ActStartPublicNotice: {TypeApplication, true},
	// Evaluations and credit records are private whole: the articles
	// report them to the authority (GD 38) or write them to a credit file
	// (GX 19, GD 34, HB 36, NS 30); none publishes them, and publishing a
	// credit file is the credit platform's act, not the ledger's.
	ActRecordEvaluation: {TypeEvaluation, true},
	ActRecordCredit:     {TypeCredit, true}, ActRescindCredit: {TypeCredit, true},
	// Obligations: a duty is between the party and its authority (an
	// incident report, an order and its words); only a public kind's
	// (GD 35 fees, ZW 32 disclosures) has a public view, without its
	// notes and reasons.
	ActOpenObligation: {TypeObligation, true}, ActFileObligation: {TypeObligation, true},
	ActDecideObligation: {TypeObligation, true},
	// The reason rule: the words of a change to a public record.
	ActChangePartyStatus: {TypeParty, true}, ActChangeAgreement: {TypeAgreement, true}, ActEndAgreement: {TypeAgreement, true},
	ActChangeCredentialStatus: {TypeCredential, true}, ActRecordNational: {TypeCertificate, true},
	// A development or product-use agreement's terms are the parties'
	// (HB 23, 27, 31 file it, no article publishes it): every agreement
	// is recorded with private arguments, which the function name cannot
	// tell apart by kind.
	ActRecordAgreement: {TypeAgreement, true}, ActFileAgreement: {TypeAgreement, false},
	// An egress check's reasons are words (ZW 23 files the check with the
	// authority); its result is public: an exchange lists a product only
	// after a passed check, and a check's transaction shows anyway.
	ActCheckEgress: {TypeEgress, true},
}

// privateSalted are the transactions whose arguments are public but that
// may write a new private record: an agreement's filing opens the
// obligations the profile triggers on it (GD 23 ¶3; its change and end
// do too, and take their arguments privately). The client
// sends them a salt in the transient map, and only the collection's
// members endorse them, so no other peer sees the salt.
var privateSalted = map[Action]bool{ActFileAgreement: true}

// PrivateSalt tells whether fn needs a fresh salt in the transient map,
// and so the collection's members alone to endorse it: every transaction
// with private arguments, and those of privateSalted.
func PrivateSalt(fn string) bool { return PrivateArgs(fn) || privateSalted[Action(fn)] }

// PrivateWrites are the transactions of privateWrites, in name order.
func PrivateWrites() []Action {
	out := make([]Action, 0, len(privateWrites))
	for a := range privateWrites {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// PrivateArgs tells whether fn takes its arguments from the transient map.
func PrivateArgs(fn string) bool { return privateWrites[Action(fn)].args }

// PrivateAnswer is the type of the record fn answers with when it writes
// a private part or private words: its answer, which the block keeps, is
// the record's public view, and the client reads it back as its caller
// may read it.
func PrivateAnswer(fn string) (recordType string, ok bool) {
	w, ok := privateWrites[Action(fn)]
	return w.recordType, ok
}

// HasPrivatePart tells whether records of recordType keep a private part
// in the collection (their world-state value is their public view, or
// nothing while they have none).
func HasPrivatePart(recordType string) bool {
	switch recordType {
	case TypeObjection, TypeApplication, TypeEvaluation, TypeCredit, TypeObligation, TypeAgreement:
		return true
	}
	return false
}

// PublicNever tells whether records of recordType have no public view at
// all: the world state never holds them, and a proof of one is a key
// holder's, by its private part alone.
func PublicNever(recordType string) bool {
	return recordType == TypeEvaluation || recordType == TypeCredit
}

// PrivateMember tells whether msp is a member of the channel's collection.
func (c ChannelConfig) PrivateMember(msp string) bool { return slices.Contains(c.Private, msp) }

// MayReadPrivate tells whether a caller reads the private parts of
// records of recordType: an identity of a collection member org in a
// regime role; an enterprise identity, of its own applications,
// evaluations, credit records and obligations (the reads table gives it
// only its own,
// Actor.MayHave: the reasons of its reviews are for the applicant, ZW 21;
// an evaluation, a credit file and a duty are the party's as much as the
// authority's). A member org's clerk is the
// public's identity and reads what the public reads; a witness signs
// heads.
func MayReadPrivate(cfg ChannelConfig, a Actor, recordType string) bool {
	return privateReader(cfg, a, func() bool {
		return recordType == TypeApplication || recordType == TypeEvaluation || recordType == TypeCredit || recordType == TypeObligation || recordType == TypeAgreement || recordType == TypeFacts
	})
}

// privateReader tells whether a reads what the collection holds: a
// regime role of a member org; an enterprise identity of a member org
// where enterprise says so.
func privateReader(cfg ChannelConfig, a Actor, enterprise func() bool) bool {
	if !cfg.PrivateMember(a.MSP) {
		return false
	}
	switch a.Role {
	case RoleAuthority, RoleOperator, RoleRegulator, RoleAgency:
		return true
	case RoleEnterprise:
		return enterprise()
	}
	return false
}

// Sealed is a record's private part as the collection stores it: the
// whole record and a salt, so a guessable record (a short decision) cannot
// be found from the hash a block keeps.
type Sealed struct {
	Salt   string          `json:"salt"`
	Record json.RawMessage `json:"record"`
}

// SaltFor is the salt that seals the private record at key in a
// transaction whose salt is txSalt (valid: ValidSalt): HMAC-SHA256 of the
// key under it, so records written together have salts of their own, and
// a member's bundle of one (which shows its salt) tells nothing of the
// others' values.
func SaltFor(txSalt, key string) string {
	raw, _ := hex.DecodeString(txSalt)
	m := hmac.New(sha256.New, raw)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}

// ValidSalt checks a transaction's salt: 32 bytes, hex.
func ValidSalt(s string) error {
	if b, err := hex.DecodeString(s); err != nil || len(b) != 32 {
		return Invalid(RulePrivateArgs, "transient."+TransientSalt, "must be 32 random bytes in hex (64 characters), fresh for each transaction that sends one")
	}
	return nil
}

// Public is the objection as the world state and the public hold it: its
// summary (anyone may object, natural persons included: it may carry
// personal information or the target's trade secrets; GX 12(8) publishes
// no objection) and the decision's reasons (the 核实结果 is the operator's
// and the enterprise's, GX 12(8)) are the private part's only.
func (o *Objection) Public() *Objection {
	p := *o
	p.Summary = ""
	if o.Decision != nil {
		d := *o.Decision
		d.Reasons = ""
		p.Decision = &d
	}
	return &p
}

// Public is the application as the world state and the public hold it:
// nothing before its public notice (GX 12(6)) or, under a profile without
// one, its registration; from then on what the notice shows and the
// certificate names (docs/PRIVACY.md): its number, applicant, product,
// scenario, resources, whether it uses non-public data, its stage, the
// scenario agreement, the notice's end, its open objections and its
// registration. Its providers, reviews, steps and their reasons, its
// deadlines, digests and change note stay in the private part.
func (a *Application) Public() *Application {
	if a.NoticeEnds == "" && a.RegistrationNumber == "" {
		return nil
	}
	last := a.Last
	last.Reason = ""
	return &Application{
		ApplicationInput: ApplicationInput{Number: a.Number, Kind: a.Kind, ApplicantCreditCode: a.ApplicantCreditCode,
			ProductName: a.ProductName, ProductType: a.ProductType, Scenario: a.Scenario, ResourceIDs: a.ResourceIDs,
			UsesNonPublicData: a.UsesNonPublicData},
		Stage: a.Stage, AgreementNumber: a.AgreementNumber, NoticeEnds: a.NoticeEnds, OpenObjections: a.OpenObjections,
		RegistrationNumber: a.RegistrationNumber, Last: last, Version: a.Version,
	}
}

// PrivateRecordRef names a record that has no public view, for a
// collection member who knows only its key hash (an event's).
type PrivateRecordRef struct {
	RecordType string `json:"recordType"`
	Number     string `json:"number"`
}

// Public is an evaluation's public view: none. The articles report an
// evaluation to the authority (GD 38) and make it the basis of
// re-authorization; none publishes it. An authorizing agreement names
// the latest by number, which tells that one exists, not its outcome.
func (e *Evaluation) Public() *Evaluation { return nil }

// Public is a credit record's public view: none. The articles write a
// finding to the party's credit file (GX 19, GD 34, HB 36, NS 30);
// publishing it (公示) is the credit platform's act, not the ledger's.
func (r *CreditRecord) Public() *CreditRecord { return nil }

// Public is an obligation's public view: none, unless its kind is public
// (GD 35 收费标准, ZW 32 披露); then what Disclose shows (who owes what by
// when, its status, filing and document digest, the fees of a filing that
// stands) and the facts of its record (whether it is an order or owed a
// level up, its filings' count, how its due day was counted, its last
// change's actor and time). Its subject, note, steps and their reasons stay private
// (an incident report or an order is published by no article: NS 26,
// HB 34 report it to the authority).
func (o *Obligation) Public() *Obligation {
	if !o.Disclosed {
		return nil
	}
	last := o.Last
	last.Reason = ""
	return &Obligation{
		ObligationInput: ObligationInput{Number: o.Number, Kind: o.Kind, PartyCreditCode: o.PartyCreditCode, Period: o.Period,
			Due: o.Due, DocumentDigest: o.DocumentDigest},
		Title: o.Title, Cite: o.Cite, Disclosed: true, Order: o.Order, Upward: o.Upward, Status: o.Status, OpenedOn: o.OpenedOn,
		DueOn: o.DueOn, DueNote: o.DueNote, FiledOn: o.FiledOn, FiledLate: o.FiledLate, Fees: o.publishedFees(), Filings: o.Filings,
		Last: last, Version: o.Version,
	}
}

// The reason rule (docs/PRIVACY.md): the words of a decision about a
// party (why it was suspended, why an agreement was changed or ended, why
// a credential was suspended, why a national registration was corrected)
// are published by no article, and may carry a trade secret or personal
// information. The record itself is public: its change keeps the action,
// the actor, the time and the status in the world state; the words go to
// the collection, keyed by the record and the change's transaction.

// TypeWords keys the words of one change in the collection: the record's
// type, its key (a credit code or a number) and the transaction.
const TypeWords = "words"

// Words are the private words of one change to a public record.
type Words struct {
	TxID   string `json:"txId"`
	Reason string `json:"reason"`
}

// sayers are the record types whose changes may have private words, and
// how words go back into a record's JSON.
var sayers = map[string]func(body []byte, w Words) ([]byte, error){
	TypeParty: sayIn[Party], TypeAgreement: sayIn[Agreement],
	TypeCredential: sayIn[CredentialRecord], TypeCertificate: sayIn[CertificateRecord],
	TypeEgress: sayIn[EgressCheck],
}

// SayIn puts a change's words back into a record's JSON (body) of a
// record type whose changes have private words; any other body is
// answered as it is.
func SayIn(recordType string, body []byte, w Words) ([]byte, error) {
	if say, ok := sayers[recordType]; ok {
		return say(body, w)
	}
	return body, nil
}

// HasWords tells whether the changes of records of recordType may have
// private words (SayIn).
func HasWords(recordType string) bool { _, ok := sayers[recordType]; return ok }

func sayIn[T any, P interface {
	*T
	Said(Words)
}](body []byte, w Words) ([]byte, error) {
	v := new(T)
	if err := json.Unmarshal(body, v); err != nil {
		return nil, err
	}
	P(v).Said(w)
	return json.Marshal(v)
}

// MayReadWords tells whether a caller reads the words of the changes to a
// record (its type and its public body): a regime role of a collection
// member; an enterprise identity of a member org, of a record of its own
// (the reasons of a decision about it are its own, ZW 21). Anyone else
// reads the record without them.
func MayReadWords(cfg ChannelConfig, a Actor, recordType string, body []byte) bool {
	return privateReader(cfg, a, func() bool { return Owns(a.CreditCode, recordType, body) })
}

// unsaid blanks a change's words when the change is the one of txID.
func unsaid(c *Change, txID string) {
	if c != nil && c.TxID == txID {
		c.Reason = ""
	}
}

// say puts back a change's words when the change is theirs.
func say(c *Change, w Words) {
	if c != nil && c.TxID == w.TxID && c.Reason == "" {
		c.Reason = w.Reason
	}
}

// Public is the party as the world state holds it: its latest change
// without its words (Words).
func (p *Party) Public() *Party {
	q := *p
	if p.Exited != nil {
		e := *p.Exited
		q.Exited = &e
		unsaid(q.Exited, p.Last.TxID)
	}
	unsaid(&q.Last, p.Last.TxID)
	return &q
}

// Said puts a change's words back into the party.
func (p *Party) Said(w Words) { say(p.Exited, w); say(&p.Last, w) }

// Spoken are the transactions whose words the party may hold: its exit's
// and its latest change's.
func (p *Party) Spoken() []string { return spoken(&p.Last, p.Exited) }

// Public is the agreement as the world state holds it: its latest
// change without its words. An agreement that authorizes (operation,
// catalog, scenario) is public otherwise (GX 15, GD 23 disclose it; it is
// a link of what is issued under it). A development or product-use
// agreement keeps its parties, scope, term, signing day and filing
// deadline in its private part (KeepsTerms): the public sees its number,
// kind, status, document digest and the day it ended.
func (a *Agreement) Public() *Agreement {
	q := *a
	unsaid(&q.Last, a.Last.TxID)
	if a.KeepsTerms() { // its filing too: the status says filed, its day and lateness are the terms'
		q.GrantorCreditCode, q.GranteeCreditCode, q.Scope, q.TermStart, q.TermEnd, q.SignedOn, q.Filing = "", "", "", "", "", "", nil
	}
	return &q
}

// KeepsTerms tells whether the agreement keeps its terms in the
// collection: one that does not authorize (development, product use).
func (a *Agreement) KeepsTerms() bool { return !Authorizes(a.Kind) }

// Said puts a change's words back into the agreement.
func (a *Agreement) Said(w Words) { say(&a.Last, w) }

// Spoken are the transactions whose words the agreement may hold.
func (a *Agreement) Spoken() []string { return spoken(&a.Last) }

// Public is the credential record as the world state holds it: its
// latest change without its words, and its status without them (the
// action, the actor and the time say the cause).
func (r *CredentialRecord) Public() *CredentialRecord {
	q := *r
	if q.StatusReason == r.Last.Reason {
		q.StatusReason = ""
	}
	unsaid(&q.Last, r.Last.TxID)
	return &q
}

// Said puts a change's words back into the credential record.
func (r *CredentialRecord) Said(w Words) {
	if r.Last.TxID == w.TxID && r.Last.Reason == "" && r.StatusReason == "" {
		r.StatusReason = w.Reason
	}
	say(&r.Last, w)
}

// Spoken are the transactions whose words the credential record may hold.
func (r *CredentialRecord) Spoken() []string { return spoken(&r.Last) }

// Public is the certificate record as the world state holds it: its
// latest change (a national registration's correction) without its
// words.
func (r *CertificateRecord) Public() *CertificateRecord {
	q := *r
	if r.National != nil {
		n := *r.National
		q.National = &n
		unsaid(&q.National.Recorded, r.Last.TxID)
	}
	unsaid(&q.Last, r.Last.TxID)
	return &q
}

// Said puts a change's words back into the certificate record.
func (r *CertificateRecord) Said(w Words) {
	if r.National != nil {
		say(&r.National.Recorded, w)
	}
	say(&r.Last, w)
}

// Spoken are the transactions whose words the certificate record may
// hold: its latest change's and its national registration's (a later
// objection is its latest change, and the correction keeps its words).
func (r *CertificateRecord) Spoken() []string {
	if r.National != nil {
		return spoken(&r.Last, &r.National.Recorded)
	}
	return spoken(&r.Last)
}

// spoken are the distinct transactions of changes.
func spoken(changes ...*Change) []string {
	var out []string
	for _, c := range changes {
		if c != nil && c.TxID != "" && !slices.Contains(out, c.TxID) {
			out = append(out, c.TxID)
		}
	}
	return out
}

// Public is an egress check as the world state holds it: its product,
// result, report digest and stamp; its reasons are words (the reason
// rule), the collection's.
func (e *EgressCheck) Public() *EgressCheck {
	q := *e
	q.Reasons = ""
	unsaid(&q.Checked, e.Checked.TxID)
	return &q
}

// Said puts the check's words back.
func (e *EgressCheck) Said(w Words) {
	if e.Checked.TxID == w.TxID && e.Reasons == "" {
		e.Reasons = w.Reason
	}
}

// Spoken are the transactions whose words the check may hold: its own.
func (e *EgressCheck) Spoken() []string { return spoken(&e.Checked) }

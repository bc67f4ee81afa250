package domain

import (
	"encoding/json"
	"time"
)

// Credential statuses as stored, and as derived at query time.
const (
	CredentialValid     = "valid"
	CredentialSuspended = "suspended"
	CredentialRevoked   = "revoked"
	CredentialExpired   = "expired" // derived: past validUntil
	CredentialPending   = "pending" // derived: before validFrom
	// CredentialAuthorizationEnded is derived: its agreement was
	// terminated or revoked (Standing).
	CredentialAuthorizationEnded = VerifyAuthorizationEnded
)

// Credential rule codes.
const (
	RuleCredentialUnique     = "DL-NUMBER-UNIQUE"
	RuleCredentialExists     = "DL-CREDENTIAL-EXISTS"
	RuleCredentialChannel    = "DL-CHANNEL"           // a document registers only on the channel it names
	RuleChannelUnknown       = "DL-CHANNEL-UNKNOWN"   // no such channel or jurisdiction on this network
	RuleCredentialDivision   = "DL-JURISDICTION"      // and only in its jurisdiction
	RuleCredentialHolder     = "DL-CREDENTIAL-HOLDER" // the holder as registered and in the agreement
	RuleCredentialAgreement  = "DL-CREDENTIAL-AGREEMENT"
	RuleCredentialTerm       = "DL-CREDENTIAL-TERM" // within the agreement and the profile (GX-10.3)
	RuleCredentialTransition = "DL-CREDENTIAL-TRANSITION"
	RuleIssuer               = "DL-ACL-ISSUER"
	RuleSignature            = "DL-SIGNATURE"
	RuleFilingBeforeUse      = "DL-FILING-BEFORE-USE"
)

// CredentialRecord is a registered credential: the signed document exactly
// as registered, the facts indexed from it, and its status.
type CredentialRecord struct {
	Number           string          `json:"number"`
	Document         json.RawMessage `json:"document"` // canonical signed JSON
	IssuerKeyID      string          `json:"issuerKeyId"`
	HolderCreditCode string          `json:"holderCreditCode"`
	AgreementNumber  string          `json:"agreementNumber"`
	ValidFrom        string          `json:"validFrom"`
	ValidUntil       string          `json:"validUntil"`
	Status           string          `json:"status"`
	StatusReason     string          `json:"statusReason,omitempty"`
	Issued           Change          `json:"issued"` // the registering transaction: the chain reference
	Last             Change          `json:"last"`
	Version          int             `json:"version"`
}

// IssueInput is everything a credential issuance is decided on. The
// adapter has already verified the document's SM2 signature with Key.
type IssueInput struct {
	Doc       *Credential
	Canonical []byte // the signed document, canonical
	Existing  *CredentialRecord
	Key       *IssuerKey
	Holder    *Party
	Agreement *Agreement
	Channel   string
}

// IssueCredential decides the registration of a signed credential
// (GX 10(3)): the right issuer, channel, jurisdiction and number; a usable
// key of this jurisdiction's department; an active registered holder; a
// catalog agreement with that holder and digest; validity within the
// agreement's term and the profile's maximum.
func IssueCredential(j *Jurisdiction, p Profile, in IssueInput, now time.Time, c Change) (*CredentialRecord, error) {
	d := in.Doc
	if d.Channel != in.Channel {
		return nil, Forbidden(RuleCredentialChannel, "channel", "the credential names channel %q and cannot be registered on %s", d.Channel, in.Channel)
	}
	if d.DivisionCode != j.DivisionCode {
		return nil, Forbidden(RuleCredentialDivision, "divisionCode", "the credential is for jurisdiction %s; channel %s is %s (%s)", d.DivisionCode, j.Channel, j.DivisionCode, j.Name)
	}
	num, err := ParseNumber("authorizationNumber", d.AuthorizationNumber, PrefixAuthorization)
	if err != nil {
		return nil, err
	}
	issued, err := ParseDate("issueDate", d.IssueDate)
	if err != nil {
		return nil, err
	}
	if num.Division != j.DivisionCode || num.Year != issued.Year() {
		return nil, Invalid(RuleNumber, "authorizationNumber", "%s must carry the jurisdiction %s and the year of issue %d", d.AuthorizationNumber, j.DivisionCode, issued.Year())
	}
	if issued.After(DateOf(now)) {
		return nil, Invalid(RuleDocument, "issueDate", "%s is in the future", d.IssueDate)
	}
	if in.Existing != nil {
		return nil, Conflict(RuleCredentialUnique, "authorizationNumber", "%s is already registered on %s (tx %s)", d.AuthorizationNumber, j.Channel, in.Existing.Issued.TxID)
	}
	k := in.Key
	if err := k.CanSign(j, d.IssuerKeyID, d.IssuingDepartment, now); err != nil {
		return nil, err
	}
	h := in.Holder
	if h == nil {
		return nil, NotFound(RulePartyExists, "holderCreditCode", "%s is not a registered party on channel %s", d.HolderCreditCode, j.Channel)
	}
	if h.Status != PartyActive {
		return nil, Conflict(RuleCredentialHolder, "holderCreditCode", "the holder %s is %s", h.CreditCode, h.Status)
	}
	if h.Name != d.HolderName {
		return nil, Invalid(RuleCredentialHolder, "holderName", "%q differs from the registered name %q", d.HolderName, h.Name)
	}
	a := in.Agreement
	if a == nil {
		return nil, NotFound(RuleAgreementExists, "agreementDigest", "no agreement with this number on channel %s", j.Channel)
	}
	if a.Kind != AgreementCatalog {
		return nil, Invalid(RuleCredentialAgreement, "agreementDigest", "a credential rests on a catalog authorization agreement (GX 10(3)); %s is a %s agreement", a.Number, a.Kind)
	}
	switch a.Status {
	case AgreementTerminated, AgreementRevoked:
		return nil, Conflict(RuleCredentialAgreement, "agreementDigest", "agreement %s is %s", a.Number, a.Status)
	case AgreementSigned:
		if p.FilingBeforeUse {
			return nil, Conflict(p.Cite("filingBeforeUse", RuleFilingBeforeUse), "agreementDigest", "agreement %s must be filed (备案) before it is used", a.Number)
		}
	}
	if a.GranteeCreditCode != d.HolderCreditCode {
		return nil, Invalid(RuleCredentialHolder, "holderCreditCode", "%s is not the grantee of agreement %s", d.HolderCreditCode, a.Number)
	}
	if a.Scope != d.Scope {
		return nil, Invalid(RuleCredentialAgreement, "scope", "授权范围 %q differs from the agreement's scope %q", truncate(d.Scope, 60), truncate(a.Scope, 60))
	}
	if a.DocumentDigest != d.AgreementDigest {
		return nil, Invalid(RuleCredentialAgreement, "agreementDigest", "does not match the digest of agreement %s as recorded (version %d)", a.Number, a.Version)
	}
	from, until, err := checkTerm(p, "validFrom", d.ValidFrom, "validUntil", d.ValidUntil, p.MaxCredentialTermMonths, "credentialTerm")
	if err != nil {
		return nil, err
	}
	if p.MaxAgreementTermMonths > 0 && !until.Before(from.AddDate(0, p.MaxAgreementTermMonths, 0)) {
		return nil, Invalid(p.Cite("agreementTerm", RuleTerm), "validUntil", "the validity exceeds the %s profile's maximum term of %d months", p.Name, p.MaxAgreementTermMonths)
	}
	if d.ValidFrom < a.TermStart || d.ValidUntil > a.TermEnd {
		return nil, Invalid(p.Cite("credentialTerm", RuleCredentialTerm), "validUntil", "the validity %s to %s is outside the agreement's term %s to %s", d.ValidFrom, d.ValidUntil, a.TermStart, a.TermEnd)
	}
	c.Action = "issue"
	return &CredentialRecord{
		Number: d.AuthorizationNumber, Document: in.Canonical, IssuerKeyID: k.KeyID,
		HolderCreditCode: d.HolderCreditCode, AgreementNumber: a.Number,
		ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil, Status: CredentialValid,
		Issued: c, Last: c, Version: 1,
	}, nil
}

// Standing is the record as it stands with its agreement ag as it stands
// now: when the agreement has ended (SPEC §4.3: on termination the
// authorization is revoked) a copy that reads authorization-ended, its
// last change being the agreement's ending; otherwise the record itself.
// Derived, so ending an agreement is one write whatever the number of its
// credentials; reads of the record (Get, lists, the timeline) and status
// changes (a credential whose authorization ended is neither suspended nor
// reinstated) see what verification says of the agreement. nil ag: not on
// the ledger, which the issuance rules exclude.
func (r *CredentialRecord) Standing(ag *Agreement) *CredentialRecord {
	if r.Status == CredentialRevoked || !ag.Ended() {
		return r
	}
	s := *r
	s.Status, s.StatusReason, s.Last = CredentialAuthorizationEnded, "authorization ended with its agreement: "+ag.EndedReason(), ag.Last
	return &s
}

// ChangeCredentialStatus suspends, reinstates or revokes a credential: the
// issuing authority's decision, with a reason. Revocation is final.
func ChangeCredentialStatus(j *Jurisdiction, r *CredentialRecord, action, reason string, c Change) (*CredentialRecord, error) {
	if r == nil {
		return nil, NotFound(RuleCredentialExists, "authorizationNumber", "no such credential on channel %s", j.Channel)
	}
	if err := ValidateText("reason", reason, MaxReason); err != nil {
		return nil, err
	}
	to := map[string]string{"suspend": CredentialSuspended, "reinstate": CredentialValid, "revoke": CredentialRevoked}[action]
	from := map[string][]string{"suspend": {CredentialValid}, "reinstate": {CredentialSuspended}, "revoke": {CredentialValid, CredentialSuspended}}[action]
	if to == "" {
		return nil, Invalid(RuleCredentialTransition, "action", "%q is not suspend, reinstate or revoke", truncate(action, 32))
	}
	if !contains(from, r.Status) {
		return nil, Conflict(RuleCredentialTransition, "status", "cannot %s a credential that is %s", action, r.Status)
	}
	next := *r
	c.Action, c.Reason = action, reason
	next.Status, next.StatusReason, next.Last, next.Version = to, reason, c, r.Version+1
	return &next, nil
}

// CredentialAsSubject checks a signed credential sent as an order's
// subject, its signature already verified with k (the registered key its
// signature names; nil: none), as far as a document shows what
// IssueCredential checked: the credential numbered (its number of this
// jurisdiction and of its issue year), of this channel, issued by today,
// signed with the key it names, a key of this jurisdiction's authority
// and of its issuing department, not compromised by its issue day (a key
// retired or withdrawn since still vouches for what it signed). When it
// was registered, and whether, is not read (the read of its record would
// name it): the order keeps the document's digest instead
// (Obligation.SubjectDocument). It tells whether the credential is the
// party's.
func CredentialAsSubject(j *Jurisdiction, k *IssuerKey, d *Credential, number, party string, now time.Time) (bool, error) {
	if d.AuthorizationNumber != number {
		return false, Invalid(RuleObligation, "subject", "the signed credential sent is %s, not %s", truncate(d.AuthorizationNumber, 40), number)
	}
	if d.Channel != j.Channel || d.DivisionCode != j.DivisionCode {
		return false, Invalid(RuleObligation, "subject", "credential %s is of channel %q (%s), not of %s (%s)",
			number, truncate(d.Channel, 40), truncate(d.DivisionCode, 12), j.Channel, j.DivisionCode)
	}
	issued, err := ParseDate("issueDate", d.IssueDate)
	if err != nil {
		return false, err
	}
	if n, err := ParseNumber("subject", number, PrefixAuthorization); err != nil || n.Division != j.DivisionCode || n.Year != issued.Year() {
		return false, Invalid(RuleObligation, "subject", "%s is not a credential number of jurisdiction %s and of its issue year %d", number, j.DivisionCode, issued.Year())
	}
	if issued.After(DateOf(now)) {
		return false, Invalid(RuleObligation, "subject", "credential %s is dated %s, in the future", number, d.IssueDate)
	}
	if k == nil {
		return false, NotFound(RuleKeyUnknown, "issuerKeyId", "the key that signed credential %s is not in the key registry of channel %s", number, j.Channel)
	}
	if k.KeyID != d.IssuerKeyID {
		return false, Invalid(RuleSignature, "issuerKeyId", "credential %s names key %s and is signed with %s", number, truncate(d.IssuerKeyID, 64), k.KeyID)
	}
	if k.OwnerMSP != j.AuthorityMSP {
		return false, Forbidden(RuleKeyOwner, "issuerKeyId", "key %s belongs to %s, not to this jurisdiction's authority %s", k.KeyID, k.OwnerMSP, j.AuthorityMSP)
	}
	if d.IssuingDepartment != k.Department {
		return false, Invalid(RuleKeyDepartment, "issuingDepartment", "%q differs from the key's department %q", truncate(d.IssuingDepartment, 60), k.Department)
	}
	if k.Status == KeyRevoked && k.CompromisedAt != "" {
		at, err := time.Parse(time.RFC3339Nano, k.CompromisedAt)
		if err != nil || d.IssueDate >= DateOf(at).Format(time.DateOnly) { // unreadable: compromised (fail closed)
			return false, Forbidden(RuleKeyStatus, "issuerKeyId", "key %s was revoked, compromised from %s: what it signed since vouches for nothing", k.KeyID, k.CompromisedAt)
		}
	}
	return d.HolderCreditCode == party, nil
}

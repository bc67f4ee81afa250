package domain

import (
	"encoding/json"
	"time"
)

// Certificate statuses as stored; "suspended" is derived while any
// objection is open.
const (
	CertificateValid   = "valid"
	CertificateRevoked = "revoked"
)

// Certificate rule codes.
const (
	RuleChainReference    = "DL-CHAIN-REF" // 区块链编号 = the registering transaction
	RuleCertificateExists = "DL-CERTIFICATE-EXISTS"
	RuleCertificateLink   = "DL-CERTIFICATE-LINK" // linked authorization and resources
	RulePreExisting       = "DL-PRE-EXISTING"
)

// CertificateRecord is a registered product registration certificate.
type CertificateRecord struct {
	Number               string                `json:"number"`
	Document             json.RawMessage       `json:"document"` // canonical signed JSON
	ApplicationNumber    string                `json:"applicationNumber,omitempty"`
	AgreementNumber      string                `json:"agreementNumber,omitempty"` // the scenario agreement (GX 12(3)); none for a pre-existing product
	EnterpriseCreditCode string                `json:"enterpriseCreditCode"`
	AuthorizationNumbers []string              `json:"authorizationNumbers"`
	ResourceIDs          []string              `json:"resourceIds"`
	PreExisting          bool                  `json:"preExisting"`
	IssuerKeyID          string                `json:"issuerKeyId"`
	Status               string                `json:"status"`
	StatusReason         string                `json:"statusReason,omitempty"`
	OpenObjections       int                   `json:"openObjections"`
	DestructionDeadline  string                `json:"destructionDeadline,omitempty"`
	National             *NationalRegistration `json:"nationalRegistration,omitempty"` // on the national platform, where recorded
	Registered           Change                `json:"registered"`                     // its TxID is the 区块链编号
	Last                 Change                `json:"last"`
	Version              int                   `json:"version"`
}

// RegistrationStatus is what the certificate's own record says (revoked,
// suspended while an objection is open, otherwise valid), without the
// records it rests on: lists and disclosures show it; a verification
// derives the full status from the chain (CertificateChain).
func (r *CertificateRecord) RegistrationStatus() string {
	return CertificateLink(r).Status
}

// RegisterInput is everything a registration is decided on. The adapter
// has verified the SM2 signature with Key.
type RegisterInput struct {
	Doc         *Certificate
	Canonical   []byte
	Existing    *CertificateRecord
	Key         *IssuerKey
	Enterprise  *Party
	Application *Application                 // nil for a pre-existing product
	Agreement   *Agreement                   // the application's scenario agreement
	Credentials map[string]*CredentialRecord // by 授权编号
	Agreements  map[string]*Agreement        // the credentials' agreements, by number
	Keys        map[string]*IssuerKey        // the credentials' issuer keys, by key ID
	Channel     string
	TxID        string // GetTxID() of this transaction
}

// RegisterCertificate decides a registration (GX 12(7)). The certificate
// carries its own 区块链编号: the ID of this very transaction on this
// channel. A product from the workflow must be ready (verified, notice
// over, no objection); a pre-existing product is registered directly and
// marked so.
func RegisterCertificate(j *Jurisdiction, p Profile, in RegisterInput, now time.Time, c Change) (*CertificateRecord, error) {
	d := in.Doc
	if d.ChainReference.Channel != in.Channel {
		return nil, Forbidden(RuleCredentialChannel, "chainReference.channel", "the certificate names channel %q and cannot be registered on %s", d.ChainReference.Channel, in.Channel)
	}
	if d.ChainReference.TxID != in.TxID {
		return nil, Invalid(RuleChainReference, "chainReference.txId", "区块链编号 %s is not the ID of the registering transaction %s", d.ChainReference.TxID, in.TxID)
	}
	num, err := ParseNumber("registrationNumber", d.RegistrationNumber, PrefixRegistration)
	if err != nil {
		return nil, err
	}
	today := DateOf(now)
	if d.RegistrationDate != today.Format(time.DateOnly) {
		return nil, Invalid(RuleDocument, "registrationDate", "登记日期 %s must be the date of registration, %s", d.RegistrationDate, today.Format(time.DateOnly))
	}
	if num.Division != j.DivisionCode || num.Year != today.Year() {
		return nil, Invalid(RuleNumber, "registrationNumber", "%s must carry the jurisdiction %s and the year %d", d.RegistrationNumber, j.DivisionCode, today.Year())
	}
	if in.Existing != nil {
		return nil, Conflict(RuleCredentialUnique, "registrationNumber", "%s is already registered (tx %s)", d.RegistrationNumber, in.Existing.Registered.TxID)
	}
	k := in.Key
	if err := k.CanSign(j, d.IssuerKeyID, d.IssuingDepartment, now); err != nil {
		return nil, err
	}
	e := in.Enterprise
	if e == nil {
		return nil, NotFound(RulePartyExists, "enterpriseCreditCode", "%s is not a registered party on channel %s", d.EnterpriseCreditCode, j.Channel)
	}
	if e.Status != PartyActive || e.Name != d.EnterpriseName {
		return nil, Invalid(RuleCertificateLink, "enterpriseName", "the enterprise must be active and named as registered (%q, %s)", e.Name, e.Status)
	}
	a := in.Application
	switch {
	case d.PreExisting && a != nil:
		return nil, Invalid(RulePreExisting, "preExisting", "a pre-existing product is registered directly, without an application")
	case !d.PreExisting && a == nil:
		return nil, NotFound(RuleApplication, "applicationNumber", "a new product is registered through its scenario application (GX 12); only pre-existing products are registered directly")
	case a != nil:
		if err := a.ReadyToRegister(p, now); err != nil {
			return nil, err
		}
		if a.ApplicantCreditCode != d.EnterpriseCreditCode || a.ProductName != d.ProductName || a.ProductType != d.ProductType {
			return nil, Invalid(RuleCertificateLink, "productName", "the certificate's enterprise, product name and type must be the application's (%s, %q, %s)", a.ApplicantCreditCode, a.ProductName, a.ProductType)
		}
		if !sameSet(a.ResourceIDs, d.ResourceIDs) {
			return nil, Invalid(RuleCertificateLink, "resourceIds", "must be the data resources of the application %v (GD 27)", a.ResourceIDs)
		}
		if l := AgreementLink(in.Agreement, a.AgreementNumber, AgreementScenario, now); l.Status != VerifyValid {
			return nil, Conflict(RuleCertificateLink, "applicationNumber", "the application's scenario agreement is not in force: %s", l.Reason)
		}
	}
	for i, n := range d.AuthorizationNumbers {
		cr := in.Credentials[n]
		if cr == nil || cr.HolderCreditCode != d.EnterpriseCreditCode ||
			(CredentialChain{Credential: cr, Agreement: in.Agreements[cr.AgreementNumber], Holder: e, Key: in.Keys[cr.IssuerKeyID]}).Status(now) != VerifyValid {
			return nil, Invalid(RuleCertificateLink, fieldIndex("authorizationNumbers", i), "%s is not a credential in force held by %s on this channel", n, d.EnterpriseCreditCode)
		}
	}
	c.Action = "register"
	rec := &CertificateRecord{
		Number: d.RegistrationNumber, Document: in.Canonical, EnterpriseCreditCode: d.EnterpriseCreditCode,
		AuthorizationNumbers: d.AuthorizationNumbers, ResourceIDs: d.ResourceIDs, PreExisting: d.PreExisting,
		IssuerKeyID: k.KeyID, Status: CertificateValid, Registered: c, Last: c, Version: 1,
	}
	if a != nil {
		rec.ApplicationNumber, rec.AgreementNumber = a.Number, a.AgreementNumber
	}
	return rec, nil
}

// MarkRegistered moves the application to registered in the same
// transaction as its certificate.
func (a *Application) MarkRegistered(number string, c Change) *Application {
	n := a.next(c, StageRegistered, stepAt(c, "registration", DecisionDone, ""))
	n.RegistrationNumber = number
	return n
}

func fieldIndex(field string, i int) string { return field + "[" + itoa(i) + "]" }

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

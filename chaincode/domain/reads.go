package domain

import (
	"encoding/json"
	"slices"
)

// An enterprise (经营主体) acts on the network with an identity of its own:
// role enterprise and its unified social credit code in the certificate's
// CreditCodeAttribute, issued by its org's CA. Through the chaincode such
// an identity reads what the public reads and its own records, never
// another enterprise's: the enterprise table below names, per
// transaction, what it may have of the answer. A transaction the table
// does not name is refused before it runs (default deny), writes
// included: of these it files objections, as the public does, and its
// own scenario applications and their resubmissions after a request for
// correction (the deciders refuse another applicant's). (The
// table governs chaincode answers; blocks, read through qscc or the
// deliver service, are open to every member identity of the channel, so
// the identity stays with the gateway that acts for the enterprise.)

// CreditCodeAttribute is the certificate attribute that carries an
// enterprise identity's credit code.
const CreditCodeAttribute = "dataledger.creditCode"

// RuleEnterpriseRead refuses an enterprise what is not its own.
const RuleEnterpriseRead = "DL-ACL-ENTERPRISE"

// readRule decides whether an enterprise with credit code own may have
// the answer of a transaction called with args.
type readRule func(own string, args []string, answer []byte) error

// public: anyone may have the answer (the public routes serve it).
func public(string, []string, []byte) error { return nil }

// recordOwners are, per record type, the enterprises a record is of: a
// party itself, an agreement's grantor and grantee, an application's
// applicant (not its data providers), a credential's holder, a
// certificate's enterprise.
var recordOwners = map[string]func(body []byte) ([]string, error){
	TypeParty:       owners(func(p *Party) []string { return []string{p.CreditCode} }),
	TypeAgreement:   owners(func(a *Agreement) []string { return []string{a.GrantorCreditCode, a.GranteeCreditCode} }),
	TypeApplication: owners(func(a *Application) []string { return []string{a.ApplicantCreditCode} }),
	TypeCredential:  owners(func(c *CredentialRecord) []string { return []string{c.HolderCreditCode} }),
	TypeCertificate: owners(func(c *CertificateRecord) []string { return []string{c.EnterpriseCreditCode} }),
	TypeObligation:  owners(func(o *Obligation) []string { return []string{o.PartyCreditCode} }),
	TypeCredit:      owners(func(r *CreditRecord) []string { return []string{r.PartyCreditCode} }),
	TypeEvaluation:  owners(func(e *Evaluation) []string { return []string{e.PartyCreditCode} }),
}

func owners[T any](of func(*T) []string) func([]byte) ([]string, error) {
	return func(body []byte) ([]string, error) {
		var r T
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, err
		}
		return of(&r), nil
	}
}

// HasOwners tells whether records of recordType are some party's own
// (recordOwners).
func HasOwners(recordType string) bool { _, ok := recordOwners[recordType]; return ok }

// Owns tells whether a record (its type and body as written) is of the
// enterprise with the credit code (recordOwners); a type with no owners,
// or a body that is not such a record, is nobody's own.
func Owns(creditCode, recordType string, body []byte) bool {
	owns, err := owned(creditCode, recordType, body)
	return err == nil && owns
}

func owned(creditCode, recordType string, body []byte) (bool, error) {
	of, ok := recordOwners[recordType]
	if !ok {
		return false, nil
	}
	parties, err := of(body)
	return slices.Contains(parties, creditCode), err
}

// ownedBy lets the enterprise have an answer that is a record of its own.
// An answer of nothing (a write's public view of a record that has none
// yet) reveals nothing.
func ownedBy(recordType string) readRule {
	return func(own string, _ []string, answer []byte) error {
		if string(answer) == "null" {
			return nil
		}
		switch owns, err := owned(own, recordType, answer); {
		case err != nil:
			return Internal(err)
		case owns:
			return nil
		}
		return Forbidden(RuleEnterpriseRead, "caller", "enterprise %s may read only its own %s records: this one is another party's", own, recordType)
	}
}

// historyOwners: the record types whose history an enterprise reads only
// when it is a party of the record (the others' timelines are public).
var historyOwners = map[string]readRule{
	TypeParty:       ownedBy(TypeParty),
	TypeAgreement:   ownedBy(TypeAgreement),
	TypeApplication: ownedBy(TypeApplication),
	TypeObligation:  ownedBy(TypeObligation),
	TypeCredit:      ownedBy(TypeCredit),
	TypeEvaluation:  ownedBy(TypeEvaluation),
}

// publicHistory are the record types whose history is public: the
// records every verification answers with (the page's timeline), the
// objections, the channel's rules, the issuer keys and the operator
// selections (their call and notice are published).
var publicHistory = []string{TypeCredential, TypeCertificate, TypeObjection, TypeProfile, TypeJurisdiction, TypeCalendar, TypeIssuerKey, TypeSelection}

// enterpriseReads is the enterprise table.
var enterpriseReads = map[string]readRule{
	"Ping":                          public,
	"GetJurisdiction":               public,
	"GetProfile":                    public,
	"GetCalendar":                   public,
	"GetIssuerKey":                  public,
	"ListIssuerKeys":                public,
	"VerifyCredential":              public,
	"VerifyCredentialDocument":      public,
	"VerifyCertificate":             public,
	"VerifyCertificateDocument":     public,
	"FindCertificateByNationalCode": public,
	"ListDisclosedAuthorizations":   public,
	"ListDisclosedProducts":         public,
	"ListDisclosedObligations":      public,
	"GetObjection":                  public,
	"GetReport":                     public,
	"GetSelection":                  public, // the call and the candidates' notice are public (GD 20(1)(4))
	"FileObjection":                 public,
	// Its own facts (a party's private facts: its credit records in
	// force, its evaluations, its incidents), which its own onboarding
	// and incident reports check.
	"ProveFacts": func(own string, _ []string, answer []byte) error {
		var proofs map[string]PartyProof
		if err := json.Unmarshal(answer, &proofs); err != nil {
			return Internal(err)
		}
		for code := range proofs {
			if code != own {
				return Forbidden(RuleEnterpriseRead, "codes", "an enterprise proves its own facts only: %s is another party", code)
			}
		}
		return nil
	},
	// Parties' records as the world state holds them (never their words)
	// with their proofs: what an enterprise's own application sends of
	// itself and its data providers. The registry is in the channel's
	// blocks anyway (every registration and change writes its record in
	// clear); GetParty adds a record's words, which this never answers.
	"ProveParties": public,
	// A credential's and a certificate's records are public: every
	// verification answers with them (VerifyCredential, the page).
	"GetCredential":  public,
	"GetCertificate": public,
	"GetParty":       ownedBy(TypeParty),
	"GetAgreement":   ownedBy(TypeAgreement),
	"GetApplication": ownedBy(TypeApplication),
	// Its own applications it files and corrects itself (the deciders
	// refuse another applicant's; the answer is its own application).
	"Apply":               ownedBy(TypeApplication),
	"ResubmitApplication": ownedBy(TypeApplication),
	"ExitOnboarding":      ownedBy(TypeApplication),
	// Its own obligations: read, reported (a self-reported kind) and filed.
	"GetObligation":  ownedBy(TypeObligation),
	"OpenObligation": ownedBy(TypeObligation),
	"FileObligation": ownedBy(TypeObligation),
	// Its own credit file: each entry, with the decision it names.
	"GetCreditRecord": ownedBy(TypeCredit),
	// Its own evaluations.
	"GetEvaluation": ownedBy(TypeEvaluation),
	// The private part of a record of its own (what its key holder's proof
	// bundle carries): the sealed record's owners decide.
	"GetPrivatePart": func(own string, args []string, answer []byte) error {
		if len(args) == 0 {
			return Forbidden(RuleEnterpriseRead, "recordType", "no record type")
		}
		var sealed Sealed
		if json.Unmarshal(answer, &sealed) != nil || len(sealed.Record) == 0 {
			return Forbidden(RuleEnterpriseRead, "recordType", "the answer is no sealed record: nothing of it is the enterprise's own")
		}
		if _, ok := recordOwners[args[0]]; !ok {
			return Forbidden(RuleEnterpriseRead, "recordType", "an enterprise may not read the private part of %s records", args[0])
		}
		return ownedBy(args[0])(own, nil, sealed.Record)
	},
	"ListCredentials": func(own string, args []string, _ []byte) error {
		if len(args) >= 2 && args[0] == "holder" && args[1] == own {
			return nil
		}
		return Forbidden(RuleEnterpriseRead, "by", "enterprise %s may list only the credentials it holds (by=holder&value=%s)", own, own)
	},
	"History": func(own string, args []string, answer []byte) error {
		if len(args) == 0 {
			return Forbidden(RuleEnterpriseRead, "recordType", "no record type")
		}
		if slices.Contains(publicHistory, args[0]) {
			return nil
		}
		rule, ok := historyOwners[args[0]]
		if !ok {
			return Forbidden(RuleEnterpriseRead, "recordType", "an enterprise may not read the history of %s records", args[0])
		}
		var items []HistoryItem
		if err := json.Unmarshal(answer, &items); err != nil {
			return Internal(err)
		}
		// The parties of a record never change: its first version names them.
		if len(items) == 0 {
			return nil
		}
		return rule(own, nil, items[0].Record)
	},
}

// EnterpriseTransactions lists the transactions an enterprise identity may
// call at all (the enterprise table's rows).
func EnterpriseTransactions() []string {
	var out []string
	for fn := range enterpriseReads {
		out = append(out, fn)
	}
	slices.Sort(out)
	return out
}

// MayCall decides, before transaction fn runs, whether the actor may
// call it at all: any role but enterprise may (the access table decides
// what it may write); an enterprise identity must carry a valid credit
// code and fn must be a row of the enterprise table. Nothing is loaded
// for a caller refused here, so a refusal says nothing of what exists.
func (a Actor) MayCall(fn string) error {
	if a.Role != RoleEnterprise {
		return nil
	}
	if ValidateCreditCode(CreditCodeAttribute, a.CreditCode) != nil {
		return Forbidden(RuleEnterpriseRead, "caller", "an enterprise identity must carry its unified social credit code in the %s attribute of its certificate (got %q)", CreditCodeAttribute, truncate(a.CreditCode, 40))
	}
	if _, ok := enterpriseReads[fn]; !ok {
		return Forbidden(RuleEnterpriseRead, "caller", "an enterprise identity may not call %s", fn)
	}
	return nil
}

// MayHave decides, after transaction fn called with args ran, whether
// the actor may have its answer: MayCall, then the enterprise table's row.
func (a Actor) MayHave(fn string, args []string, answer []byte) error {
	if err := a.MayCall(fn); err != nil || a.Role != RoleEnterprise {
		return err
	}
	return enterpriseReads[fn](a.CreditCode, args, answer)
}

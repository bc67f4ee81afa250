package domain

import (
	"encoding/json"
	"slices"
)

// A party's private facts (docs/PRIVACY.md, "Whom a private transaction
// concerns"): what the ledger's private transactions check of a party.
// Its evaluation standing per year and its latest, its credit records in
// force and the decisions they follow, the incidents it reported, the
// yearly obligations it holds and its latest onboarding were indexes in
// the collection under keys that held its credit code, whose SHA-256 the
// block keeps and anyone can match against the public codes. They are one
// tree now, keyed by credit code (the registry's compact tree, in one
// bucket): its root is one key of the collection, which every
// transaction that checks a party's facts reads and every one that
// changes them writes, so the block names no party; each change also
// writes the party's facts, sealed, under a key of its own transaction
// ID, from which a member's query (ProveFacts) rebuilds the tree. The
// transaction takes the party's facts and their proof from the transient
// map (TransientFacts), as it takes a party's record.

// PartyFacts are a party's private facts.
type PartyFacts struct {
	CreditCode string `json:"creditCode"`
	// Version counts the changes: a member rebuilding the tree keeps the
	// latest written (the root orders them, one per block at most).
	Version int `json:"version"`
	// Evaluations is the evaluation standing for each year (GD 38).
	Evaluations map[string]string `json:"evaluations,omitempty"`
	// Latest is the latest evaluation standing (an authorizing agreement
	// names it).
	Latest *LatestEvaluation `json:"latestEvaluation,omitempty"`
	// Credits are the numbers of its credit records in force.
	Credits []string `json:"credits,omitempty"`
	// CreditDecisions is the credit record written on each decision, by
	// the decision's transaction ID.
	CreditDecisions map[string]string `json:"creditDecisions,omitempty"`
	// Incidents are the security incidents it reported (newest first, at
	// most MaxReportedEvents).
	Incidents []ReportedEvent `json:"incidents,omitempty"`
	// Obligations is the yearly obligation of each kind and year
	// (ObligationYear).
	Obligations map[string]string `json:"obligations,omitempty"`
	// Onboarding is its latest onboarding application.
	Onboarding string `json:"onboarding,omitempty"`
	// Grants are the agreements granted to it, by number, as far as a
	// renewal and an order about one need them (NoteGrant).
	Grants map[string]Grant `json:"grants,omitempty"`
	// Decisions are the decisions against it that a credit record may
	// follow, by the number of the record that holds each (its credential
	// revoked, an agreement granted to it revoked, an objection decided
	// against its record, an order given to it, until withdrawn).
	Decisions map[string]PartyDecision `json:"decisions,omitempty"`
}

// Grant is how an agreement granted to the party stands, as far as the
// transactions that must not name the agreement in their read sets need
// it: a renewal's application checks the agreement it renews (NS 15), an
// application in development its scenario agreement (GX 12), and an
// order may be about one. Every transaction that records, files, changes
// or ends an agreement notes it in its grantee's facts.
type Grant struct {
	Number    string `json:"number"`
	Kind      string `json:"kind"`
	Grantor   string `json:"grantor"`
	TermEnd   string `json:"termEnd"`
	Status    string `json:"status"`
	RenewedBy string `json:"renewedBy,omitempty"`
}

// GrantOf is how ag stands.
func GrantOf(ag *Agreement) Grant {
	return Grant{Number: ag.Number, Kind: ag.Kind, Grantor: ag.GrantorCreditCode, TermEnd: ag.TermEnd, Status: ag.Status, RenewedBy: ag.RenewedBy}
}

// Ended tells whether the agreement was terminated or revoked.
func (g *Grant) Ended() bool {
	return g != nil && (g.Status == AgreementTerminated || g.Status == AgreementRevoked)
}

// NoteGrant notes how ag, granted to f's party, stands.
func (f *PartyFacts) NoteGrant(ag *Agreement) {
	if f.Grants == nil {
		f.Grants = map[string]Grant{}
	}
	f.Grants[ag.Number] = GrantOf(ag)
}

// Granted is the agreement numbered, granted to f's party (nil: none).
func (f *PartyFacts) Granted(number string) *Grant {
	if g, ok := f.Grants[number]; ok {
		return &g
	}
	return nil
}

// ObligationYear is the key of a yearly obligation in PartyFacts.
func ObligationYear(kind, period string) string { return kind + "/" + period }

// Keys of the facts in the collection.
const (
	// TypeFactsRoot keys the facts' root (hex).
	TypeFactsRoot = "partyFacts~root"
	// TypeFacts keys a party's facts as one transaction wrote them, by
	// the first character of the transaction's ID and the ID (sealed).
	TypeFacts = "partyFacts"
)

// TransientFacts is the transient map entry with the proof of a party's
// facts (a PartyProof whose record is the PartyFacts, null when none are
// recorded).
func TransientFacts(code string) string { return "facts:" + code }

// factsNamed tells, for each transaction that checks or changes a
// party's facts, which party's: from its arguments, or from the record
// its first argument numbers (read with lookup, as its caller reads it).
var factsNamed = map[Action]func(args []string, lookup func(recordType, number string) ([]byte, error)) ([]string, error){
	// An onboarding notes itself there; a renewal finds the agreement it
	// renews there.
	ActApply: byInput(inputNames(func(in *ApplicationInput) []string {
		if in.Kind != KindOnboarding && in.Kind != KindRenewal {
			return nil
		}
		return []string{in.ApplicantCreditCode}
	})),
	ActRecordAgreement:  byInput(inputNames(func(in *AgreementInput) []string { return []string{in.GranteeCreditCode} })),
	ActRecordEvaluation: byInput(evaluationParty),
	ActRecordCredit:     byInput(creditParty),
	// An order about an agreement granted by its party: the grantee's
	// facts hold the agreement (SubjectSent names the grantee).
	ActOpenObligation: func(a []string, lookup func(string, string) ([]byte, error)) ([]string, error) {
		codes := obligationParty(a)
		grantee, err := SubjectSent(string(ActOpenObligation), a, func(recordType, number string) ([]byte, error) {
			if recordType != TypeAgreement {
				return nil, nil
			}
			return lookup(recordType, number)
		})
		if err != nil || grantee == nil {
			return codes, err
		}
		return append(codes, string(grantee)), nil
	},
	ActRescindCredit: func(a []string, lookup func(string, string) ([]byte, error)) ([]string, error) {
		return partyOf[CreditRecord](a, TypeCredit, lookup, func(r *CreditRecord) string { return r.PartyCreditCode })
	},
	// A withdrawal drops a reported incident, or checks the credit record
	// on the order it withdraws and drops the order from the decisions.
	ActDecideObligation: func(a []string, lookup func(string, string) ([]byte, error)) ([]string, error) {
		if len(a) < 2 || a[1] != ObligationWithdrawn {
			return nil, nil
		}
		return partyOf[Obligation](a, TypeObligation, lookup, func(o *Obligation) string { return o.PartyCreditCode })
	},
	// The decisions a credit record may follow are noted in the facts of
	// the party they are against.
	ActChangeCredentialStatus: func(a []string, lookup func(string, string) ([]byte, error)) ([]string, error) {
		if len(a) < 2 || a[1] != "revoke" {
			return nil, nil
		}
		return partyOf[CredentialRecord](a, TypeCredential, lookup, func(r *CredentialRecord) string { return r.HolderCreditCode })
	},
	// An agreement's grantee notes how it stands (Grant) when it changes
	// or ends, and a revocation among the decisions.
	ActEndAgreement:    grantee,
	ActChangeAgreement: grantee,
	ActFileAgreement:   grantee,
	// An application's scenario agreement is among its applicant's
	// grants.
	ActAttachScenarioAgreement: func(a []string, lookup func(string, string) ([]byte, error)) ([]string, error) {
		return partyOf[Application](a, TypeApplication, lookup, func(app *Application) string { return app.ApplicantCreditCode })
	},
	ActDecideObjection: func(a []string, lookup func(string, string) ([]byte, error)) ([]string, error) {
		var d ObjectionDecision
		decodeNamed(a, 1, &d)
		if len(a) < 2 || d.Outcome == OutcomeDismissed {
			return nil, nil
		}
		var o Objection
		if b, err := lookup(TypeObjection, a[0]); err != nil || b == nil || json.Unmarshal(b, &o) != nil {
			return nil, err
		}
		switch o.TargetKind {
		case "certificate":
			return partyOf[CertificateRecord]([]string{o.Target}, TypeCertificate, lookup, func(c *CertificateRecord) string { return c.EnterpriseCreditCode })
		case "application":
			return partyOf[Application]([]string{o.Target}, TypeApplication, lookup, func(app *Application) string { return app.ApplicantCreditCode })
		}
		return nil, nil
	},
}

// grantee is a factsNamed entry: the grantee of the agreement args[0]
// numbers.
func grantee(a []string, lookup func(string, string) ([]byte, error)) ([]string, error) {
	return partyOf[Agreement](a, TypeAgreement, lookup, func(ag *Agreement) string { return ag.GranteeCreditCode })
}

// byInput is a factsNamed entry whose party the input names.
func byInput(named func(args []string) []string) func([]string, func(string, string) ([]byte, error)) ([]string, error) {
	return func(a []string, _ func(string, string) ([]byte, error)) ([]string, error) { return named(a), nil }
}

// partyOf is the party of the record args[0] numbers, as lookup reads it
// (none when there is no such record: the transaction refuses it).
func partyOf[T any](args []string, recordType string, lookup func(string, string) ([]byte, error), party func(*T) string) ([]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	b, err := lookup(recordType, args[0])
	if err != nil || b == nil {
		return nil, err
	}
	v := new(T)
	if json.Unmarshal(b, v) != nil {
		return nil, nil
	}
	return []string{party(v)}, nil
}

// FactsNamed is the credit codes whose facts' proofs fn's client sends
// (TransientFacts): the well-formed codes its arguments name, or the
// party of the record they number (lookup reads it as the client's
// caller reads it; a missing record names none); nil for a transaction
// that checks no facts.
func FactsNamed(fn string, args []string, lookup func(recordType, number string) ([]byte, error)) ([]string, error) {
	named, ok := factsNamed[Action(fn)]
	if !ok {
		return nil, nil
	}
	codes, err := named(args, lookup)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(codes, func(c string) bool { return ValidateCreditCode("creditCode", c) != nil }), nil
}

// ProvesFacts tells whether fn checks a party's facts by proof.
func ProvesFacts(fn string) bool { _, ok := factsNamed[Action(fn)]; return ok }

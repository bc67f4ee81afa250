package contract

import (
	"fmt"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// RecordAgreement records a signed agreement (digest only).
func (a *App) RecordAgreement(s store.Store, inputJSON string) (*domain.Agreement, error) {
	var in domain.AgreementInput
	if err := decodeArg("agreement", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActRecordAgreement)
	if err != nil {
		return nil, err
	}
	if _, err := domain.ParseNumber("number", in.Number, domain.PrefixAgreement); err != nil {
		return nil, err
	}
	p, err := t.profile()
	if err != nil {
		return nil, err
	}
	ak := key(s, domain.TypeAgreement, in.Number)
	existing, err := load[domain.Agreement](s, ak)
	if err != nil {
		return nil, err
	}
	parties, err := readProvenParties(s) // by proof: the read set names no party (docs/PRIVACY.md)
	if err != nil {
		return nil, err
	}
	grantor, err := parties.party("grantorCreditCode", in.GrantorCreditCode)
	if err != nil {
		return nil, err
	}
	grantee, err := parties.party("granteeCreditCode", in.GranteeCreditCode)
	if err != nil {
		return nil, err
	}
	// The grantee's facts: what its declaration is checked against, and
	// where the agreement is noted (noteGrant).
	facts, err := readFacts(s, "granteeCreditCode", in.GranteeCreditCode)
	if err != nil {
		return nil, err
	}
	ag, err := domain.RecordAgreement(t.j, p, existing, grantor, grantee, eligibilityFacts(facts, in.Declaration, domain.Authorizes(in.Kind)), in, t.now, t.c)
	if err != nil {
		return nil, err
	}
	sel, taken, err := a.agreedSelection(s, in.Selection)
	if err != nil {
		return nil, err
	}
	if err := domain.CheckSelection(p, in, sel, taken); err != nil {
		return nil, err
	}
	if in.Selection != "" {
		if err := s.Put(key(s, domain.TypeSelectionAgreement, in.Selection), []byte(ag.Number)); err != nil {
			return nil, err
		}
	}
	if in.RenewalOf != "" {
		return a.recordRenewal(t, ak, ag, facts)
	}
	if err := putAgreement(s, ag, ""); err != nil {
		return nil, err
	}
	if err := facts.noteGrants(s, ag); err != nil {
		return nil, err
	}
	return ag, emit(s, t.c, changed(domain.TypeAgreement, ag.Number, "record", ag.Status, ag.Version))
}

// putAgreement writes an agreement changed by this transaction with the
// words reason: an authorizing one public, without its words (putSaid);
// one that keeps its terms (development, product use) whole to the
// collection, its public view without them to the world state.
func putAgreement(s store.Store, ag *domain.Agreement, reason string) error {
	k := key(s, domain.TypeAgreement, ag.Number)
	if !ag.KeepsTerms() {
		return putSaid(s, k, domain.TypeAgreement, ag.Number, ag.Public(), reason)
	}
	if err := putSealed(s, k, ag.Public(), ag); err != nil {
		return err
	}
	return putWords(s, domain.TypeAgreement, ag.Number, reason) // the history's words: the whole keeps the latest only
}

// agreementWhole is an agreement with its terms: its public view, or for
// one that keeps its terms, its private part (a collection member's
// identity only, loadWhole).
func (a *App) agreementWhole(s store.Store, ag *domain.Agreement) (*domain.Agreement, error) {
	if ag == nil || !ag.KeepsTerms() {
		return ag, nil
	}
	whole, err := loadWhole[domain.Agreement](a, s, key(s, domain.TypeAgreement, ag.Number))
	if err == nil && whole == nil {
		err = fmt.Errorf("agreement %s keeps its terms, and the collection holds none of them", ag.Number)
	}
	return whole, err
}

// recordRenewal records the agreement that answers an approved renewal
// (NS 15) and, in the same transaction, the application renewed and the
// agreement it renews (its successor named).
func (a *App) recordRenewal(t *tx, ak string, ag *domain.Agreement, facts *partyFacts) (*domain.Agreement, error) {
	s := t.s
	if _, err := domain.ParseNumber("renewalOf", ag.RenewalOf, domain.PrefixApplication); err != nil {
		return nil, err
	}
	app, err := a.loadApplication(s, ag.RenewalOf)
	if err != nil {
		return nil, err
	}
	var old, successor *domain.Agreement
	if app != nil && app.Renews != "" {
		if old, successor, err = loadRenewed(s, app.Renews); err != nil {
			return nil, err
		}
	}
	ag, app, old, err = domain.Renewal(t.j, ag, app, old, successor, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, ak, ag); err != nil {
		return nil, err
	}
	appChanged, err := putApplication(s, app, app.Last.Action)
	if err != nil {
		return nil, err
	}
	if err := put(s, key(s, domain.TypeAgreement, old.Number), old); err != nil {
		return nil, err
	}
	if err := facts.noteGrants(s, ag, old); err != nil { // one grantee: Renewal checked
		return nil, err
	}
	return ag, emit(s, t.c, changed(domain.TypeAgreement, ag.Number, "record", ag.Status, ag.Version),
		appChanged, changed(domain.TypeAgreement, old.Number, old.Last.Action, old.Status, old.Version))
}

// loadRenewed loads the agreement numbered number (a checked number) and
// the agreement its renewedBy names, nil for either that is not there:
// once the renewal is decided, when its link becomes public.
func loadRenewed(s store.Store, number string) (ag, successor *domain.Agreement, err error) {
	if ag, err = load[domain.Agreement](s, key(s, domain.TypeAgreement, number)); err != nil || ag == nil || ag.RenewedBy == "" {
		return ag, nil, err
	}
	successor, err = load[domain.Agreement](s, key(s, domain.TypeAgreement, ag.RenewedBy))
	return ag, successor, err
}

func (a *App) loadAgreement(s store.Store, number string) (*domain.Agreement, error) {
	if _, err := domain.ParseNumber("number", number, domain.PrefixAgreement); err != nil {
		return nil, err
	}
	ag, err := load[domain.Agreement](s, key(s, domain.TypeAgreement, number))
	return found(ag, err, domain.NotFound(domain.RuleAgreementExists, "number", "no agreement %s on channel %s", number, s.Channel()))
}

// agreementStep is the common start of a decision on an agreement by the
// channel's authority: the access table's answer for act (verb: the
// transaction's own action), the agreement and the profile; decide makes
// the change, which is stored.
func (a *App) agreementStep(s store.Store, number string, act domain.Action, verb string, reason string, decide func(t *tx, p domain.Profile, ag *domain.Agreement) (*domain.Agreement, error)) (*tx, *domain.Agreement, error) {
	t, err := a.allowed(s, act, verb)
	if err != nil {
		return nil, nil, err
	}
	ag, err := a.loadAgreement(s, number)
	if err == nil {
		ag, err = a.agreementWhole(s, ag)
	}
	if err != nil {
		return nil, nil, err
	}
	p, err := t.profile()
	if err != nil {
		return nil, nil, err
	}
	next, err := decide(t, p, ag)
	if err != nil {
		return nil, nil, err
	}
	return t, next, putAgreement(s, next, reason)
}

// FileAgreement records the 备案 (late filings are recorded as late).
func (a *App) FileAgreement(s store.Store, number string) (*domain.Agreement, error) {
	t, next, err := a.agreementStep(s, number, domain.ActFileAgreement, "", "", func(t *tx, p domain.Profile, ag *domain.Agreement) (*domain.Agreement, error) {
		signed, _ := domain.ParseDate("signedOn", ag.SignedOn)
		cals, err := calendars(s, signed)
		if err != nil {
			return nil, err
		}
		return domain.FileAgreement(t.j, p, cals, ag, t.now, t.c)
	})
	if err != nil {
		return nil, err
	}
	if err := noteGrant(s, next); err != nil {
		return nil, err
	}
	status := next.Status
	if next.Filing.Late && !next.KeepsTerms() { // a development agreement's lateness is its terms'
		status += " (late)"
	}
	return next, a.emitTriggering(t, next, "file", changed(domain.TypeAgreement, number, "file", status, next.Version))
}

// ChangeAgreement supersedes a filed agreement's document, scope or term.
func (a *App) ChangeAgreement(s store.Store, number, changeJSON, reason string) (*domain.Agreement, error) {
	var ch domain.AgreementChange
	if err := decodeArg("change", changeJSON, &ch); err != nil {
		return nil, err
	}
	t, next, err := a.agreementStep(s, number, domain.ActChangeAgreement, "", reason, func(t *tx, p domain.Profile, ag *domain.Agreement) (*domain.Agreement, error) {
		return domain.ChangeAgreement(t.j, p, ag, ch, reason, t.now, t.c)
	})
	if err != nil {
		return nil, err
	}
	if err := noteGrant(s, next); err != nil { // its term may have moved
		return nil, err
	}
	return next, a.emitTriggering(t, next, "change", changed(domain.TypeAgreement, number, "change", next.Status, next.Version))
}

// EndAgreement terminates or revokes an agreement: one write, whatever the
// number of credentials resting on it, each of which reads
// authorization-ended from the next verification on (domain.CredentialChain).
func (a *App) EndAgreement(s store.Store, number, action, reason string) (*domain.Agreement, error) {
	t, next, err := a.agreementStep(s, number, domain.ActEndAgreement, action, reason, func(t *tx, p domain.Profile, ag *domain.Agreement) (*domain.Agreement, error) {
		return domain.EndAgreement(t.j, p, ag, action, reason, t.now, t.c)
	})
	if err != nil {
		return nil, err
	}
	if err := noteGrant(s, next); err != nil {
		return nil, err
	}
	return next, a.emitTriggering(t, next, action, changed(domain.TypeAgreement, number, action, next.Status, next.Version))
}

// standing is a credential as it stands with its agreement (see
// domain.CredentialRecord.Standing), the agreement read through l. nil
// stays nil.
func standing(l *linkReader, r *domain.CredentialRecord) (*domain.CredentialRecord, error) {
	if r == nil {
		return nil, nil
	}
	ag, err := l.Agreement(r.AgreementNumber)
	if err != nil {
		return nil, err
	}
	return r.Standing(ag), nil
}

// GetAgreement reads an agreement by number.
func (a *App) GetAgreement(s store.Store, number string) (*domain.Agreement, error) {
	ag, err := a.loadAgreement(s, number)
	if err != nil {
		return nil, err
	}
	if ag.KeepsTerms() { // whole, to whom may read it; its public view to anyone else
		if ok, err := a.mayReadPrivate(s, domain.TypeAgreement); err != nil || !ok {
			return ag, err
		}
		return a.agreementWhole(s, ag)
	}
	return ag, a.saidTo(s, domain.TypeAgreement, number, ag)
}

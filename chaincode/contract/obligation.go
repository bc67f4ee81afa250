package contract

import (
	"encoding/json"
	"fmt"

	"dataledger/certs"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// loadObligation reads an obligation whole, from the collection: only a
// collection member's identity may (loadWhole).
func (a *App) loadObligation(s store.Store, number string) (*domain.Obligation, error) {
	return loadWholeNumbered[domain.Obligation](a, s, domain.TypeObligation, number)
}

// putObligation writes an obligation whole to the collection and its
// public view, if its kind has one, to the world state; its event entry
// names it by number only then (by key hash otherwise). A new one is
// noted for FindPrivateRecord.
func putObligation(s store.Store, o *domain.Obligation) (domain.Changed, error) {
	return putNumbered(s, domain.TypeObligation, o.Number, o.Version, o.Public(), o,
		changed(domain.TypeObligation, o.Number, o.Last.Action, o.Status, o.Version))
}

func (a *App) saveObligation(t *tx, o *domain.Obligation) (*domain.Obligation, error) {
	ch, err := putObligation(t.s, o)
	if err != nil {
		return nil, err
	}
	return o, emit(t.s, t.c, ch)
}

// OpenObligation opens an obligation of a kind of the channel's profile
// (an annual report, an incident report, a rectification order).
func (a *App) OpenObligation(s store.Store, inputJSON string) (*domain.Obligation, error) {
	var in domain.ObligationInput
	if err := decodeArg("obligation", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActOpenObligation)
	if err != nil {
		return nil, err
	}
	p, err := t.profile()
	if err != nil {
		return nil, err
	}
	x := domain.OpenObligationInput{In: in}
	if err := domain.MayOpenObligation(t.j, p, in, t.c.Actor); err != nil {
		return nil, err // before the party's and facts' proofs, which a caller refused sends none of
	}
	// Every order reads the products' roots, whatever its subject: the
	// read set does not tell that it is about a certificate.
	products, err := readProvenProducts(s)
	if err != nil {
		return nil, err
	}
	if x.Existing, err = a.loadObligation(s, in.Number); err != nil {
		return nil, err
	}
	k, known := p.ObligationKind(in.Kind)
	if !known || !k.Upward || in.PartyCreditCode != "" { // owed a level up: no party
		if x.Party, err = a.provenParty(s, "partyCreditCode", in.PartyCreditCode); err != nil {
			return nil, err
		}
	}
	// The party's facts, read once (a transaction saves them once): its
	// grants (an agreement as subject), yearly obligations, reported
	// incidents and the decisions against it.
	var facts *partyFacts
	readPartyFacts := func() (*partyFacts, error) {
		if facts == nil {
			var err error
			facts, err = readFacts(s, "partyCreditCode", in.PartyCreditCode)
			return facts, err
		}
		return facts, nil
	}
	if in.Subject != "" {
		kind, ok := domain.NumberedOf(in.Subject)
		if !ok {
			return nil, domain.Invalid(domain.RuleObligation, "subject", "%q is not the number of a record (prefixes %v)", truncate(in.Subject), domain.NumberPrefixes())
		}
		if x.Subject, err = a.subjectOf(t, products, readPartyFacts, "subject", kind, in.PartyCreditCode, in.Subject); err != nil {
			return nil, err
		}
	}
	yearly := known && k.Deadline.Rule == domain.DeadlineYearly && domain.PeriodPattern.MatchString(in.Period)
	if (yearly || in.Kind == domain.IncidentKind) && domain.ValidateCreditCode("partyCreditCode", in.PartyCreditCode) == nil {
		if _, err = readPartyFacts(); err != nil {
			return nil, err
		}
		if n := facts.Obligations[domain.ObligationYear(in.Kind, in.Period)]; yearly && n != "" {
			if x.Holder, err = a.loadObligation(s, n); err != nil {
				return nil, err
			}
		}
	}
	from := t.now // a self-reported event may be last year's: its calendar too
	if on, err := domain.ParseDate("occurredOn", in.OccurredOn); err == nil && on.Before(from) {
		from = on
	}
	cals, err := calendars(s, from)
	if err != nil {
		return nil, err
	}
	o, err := domain.OpenObligation(t.j, p, cals, x, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if kind, ok := domain.NumberedOf(in.Subject); ok && kind.RecordType == domain.TypeCredential {
		o.SubjectDocument = certs.SM3Hex(s.Transient(domain.TransientSubject)) // what credentialOf checked
	}
	order, isOrder := domain.DecisionOn(domain.TypeObligation, o, o.PartyCreditCode)
	isOrder = isOrder && o.PartyCreditCode != ""
	if isOrder {
		if _, err = readPartyFacts(); err != nil {
			return nil, err
		}
	}
	if facts != nil && (yearly || o.IsIncidentReport() || isOrder) { // one save: a transaction reads the root it had
		if yearly {
			if facts.Obligations == nil {
				facts.Obligations = map[string]string{}
			}
			facts.Obligations[domain.ObligationYear(o.Kind, o.Period)] = o.Number
		}
		if o.IsIncidentReport() {
			facts.Incidents = domain.WithEvent(facts.Incidents, o)
		}
		if isOrder {
			facts.noteDecision(o.Number, order)
		}
		if err := facts.save(s); err != nil {
			return nil, err
		}
	}
	if err := putPublic(s, o); err != nil {
		return nil, err
	}
	return a.saveObligation(t, o)
}

// putPublic lists an obligation just opened in the public index when its
// kind is public.
func putPublic(s store.Store, o *domain.Obligation) error {
	if !o.Disclosed {
		return nil
	}
	return s.Put(key(s, domain.TypeObligationPublic, o.Number), []byte(o.Number))
}

// emitTriggering emits the agreement's event (its action: change,
// terminate, revoke) with the obligations the profile's triggers open on
// it in this transaction (GD 23 ¶3): one event naming all.
func (a *App) emitTriggering(t *tx, ag *domain.Agreement, event string, first domain.Changed) error {
	changes := []domain.Changed{first}
	p, err := t.profile()
	if err != nil {
		return err
	}
	if p.Triggers(ag, event) { // the calendar is read only when a duty is due by it
		cals, err := calendars(t.s, t.now)
		if err != nil {
			return err
		}
		opened, err := domain.TriggeredObligations(t.j, p, cals, ag, event, t.now, t.c)
		if err != nil {
			return err
		}
		for _, o := range opened {
			taken, err := a.loadObligation(t.s, o.Number)
			if err != nil {
				return err
			}
			if taken != nil {
				return domain.Conflict(domain.RuleObligationUnique, "trigger", "the number %s the %s derived from this transaction for its %s is taken: submit the %s again", o.Number, event, o.Kind, event)
			}
			if err := putPublic(t.s, o); err != nil {
				return err
			}
			ch, err := putObligation(t.s, o)
			if err != nil {
				return err
			}
			changes = append(changes, ch)
		}
	}
	return emit(t.s, t.c, changes...)
}

// subjectOf tells whether the record numbered (of kind; field names it
// in the input) is the party's own: its own record, or an objection
// against one (an order may follow an objection's decision); false when
// the channel has none. The read set names neither the record nor the
// party:
//   - an agreement is looked up among the grants in the party's facts
//     (domain.Grant; f reads them, by proof), or for one the party
//     granted, in its grantee's (domain.TransientSubject names it);
//   - a certificate is its entry among the registered products, by proof
//     against their roots;
//   - a credential is its signed document, which the client sends
//     (domain.TransientSubject) and the issuing department's registered
//     key verifies (domain.CredentialAsSubject); the key's read names a
//     department, not a party (it does show that the subject is a
//     credential);
//   - a record that keeps a private part is read whole from the
//     collection (a member's identity only), whose key the block holds
//     only hashed;
//   - a kind no party owns is nobody's, and is not read.
func (a *App) subjectOf(t *tx, products *provenRoots, f func() (*partyFacts, error), field string, kind domain.NumberedRecord, party, number string) (bool, error) {
	s := t.s
	if _, err := domain.ParseNumber(field, number, kind.Prefix); err != nil {
		return false, err
	}
	if domain.ValidateCreditCode("partyCreditCode", party) != nil {
		return false, nil
	}
	switch kind.RecordType {
	case domain.TypeAgreement: // granted to the party, or by it (the grantee's facts, named by the client)
		facts, err := f()
		if err != nil || facts.Granted(number) != nil {
			return err == nil, err
		}
		grantee := string(s.Transient(domain.TransientSubject))
		if grantee == "" || grantee == party {
			return false, nil
		}
		theirs, err := readFacts(s, field, grantee)
		if err != nil {
			return false, err
		}
		g := theirs.Granted(number)
		return g != nil && g.Grantor == party, nil
	case domain.TypeCertificate:
		e, err := products.certificate(field, number)
		return err == nil && e != nil && e.EnterpriseCreditCode == party, err
	case domain.TypeCredential:
		return a.credentialOf(t, field, party, number)
	case domain.TypeObjection:
		o, err := loadWhole[domain.Objection](a, s, key(s, kind.RecordType, number))
		if err != nil || o == nil {
			return false, err
		}
		target, ok := domain.NumberedOf(o.Target)
		if !ok || target.RecordType == domain.TypeObjection {
			return false, nil
		}
		return a.subjectOf(t, products, f, field, target, party, o.Target)
	}
	if !domain.HasOwners(kind.RecordType) {
		return false, nil
	}
	if !domain.HasPrivatePart(kind.RecordType) {
		return false, fmt.Errorf("a %s, owned and public, has no private way to be read as an order's subject", kind.Name)
	}
	whole, err := loadWhole[json.RawMessage](a, s, key(s, kind.RecordType, number))
	if err != nil || whole == nil {
		return false, err
	}
	return domain.Owns(party, kind.RecordType, *whole), nil
}

// credentialOf tells whether the signed credential the client sends as
// an order's subject (domain.TransientSubject: the document as
// registered) is the party's, checked as domain.CredentialAsSubject
// says, its signature verified with the registered key it names.
func (a *App) credentialOf(t *tx, field, party, number string) (bool, error) {
	s := t.s
	signed := s.Transient(domain.TransientSubject)
	if signed == nil {
		return false, domain.Invalid(domain.RuleObligation, field, "a credential as an order's subject comes with its signed document in the transient map (%s), as the ledger registered it", domain.TransientSubject)
	}
	env, doc, _, err := decodeSigned[*domain.Credential](string(signed))
	if err != nil {
		return false, err
	}
	k, err := registeredKey(s, env)
	if err != nil {
		return false, err
	}
	return domain.CredentialAsSubject(t.j, k, doc, number, party, t.now)
}

// obligationStep asks the access table for act, loads an obligation and
// runs one decision on it.
func (a *App) obligationStep(s store.Store, act domain.Action, number string, decide func(t *tx, o *domain.Obligation) (*domain.Obligation, error)) (*domain.Obligation, error) {
	t, err := a.allowed(s, act)
	if err != nil {
		return nil, err
	}
	o, err := a.loadObligation(s, number)
	if err != nil {
		return nil, err
	}
	next, err := decide(t, o)
	if err != nil {
		return nil, err
	}
	return a.saveObligation(t, next)
}

// FileObligation records the party's filing of an obligation.
func (a *App) FileObligation(s store.Store, number, filingJSON string) (*domain.Obligation, error) {
	var in domain.ObligationFiling
	if err := decodeArg("filing", filingJSON, &in); err != nil {
		return nil, err
	}
	return a.obligationStep(s, domain.ActFileObligation, number, func(t *tx, o *domain.Obligation) (*domain.Obligation, error) {
		p, err := t.profile()
		if err != nil {
			return nil, err
		}
		return domain.FileObligation(t.j, p, o, in, t.now, t.c)
	})
}

// DecideObligation records the decision on a filing: the authority's,
// or the supervisor's on one owed a level up.
func (a *App) DecideObligation(s store.Store, number, decision, reasons string) (*domain.Obligation, error) {
	return a.obligationStep(s, domain.ActDecideObligation, number, func(t *tx, o *domain.Obligation) (*domain.Obligation, error) {
		next, err := domain.DecideObligation(t.j, o, decision, reasons, t.c) // who may decide, first
		if err != nil || next.Status != domain.ObligationWithdrawn || o.OrderTxID() == "" && !o.IsIncidentReport() {
			return next, err
		}
		facts, err := readFacts(s, "number", o.PartyCreditCode)
		if err != nil {
			return nil, err
		}
		if order := o.OrderTxID(); order != "" {
			held, err := a.creditOnDecision(s, facts, order)
			if err != nil {
				return nil, err
			}
			if err := domain.CheckOrderWithdrawal(o, held); err != nil {
				return nil, err
			}
			delete(facts.Decisions, o.Number) // no credit record follows a withdrawn order
		}
		if o.IsIncidentReport() {
			facts.Incidents = domain.WithoutEvent(facts.Incidents, next)
		}
		return next, facts.save(s)
	})
}

// GetObligation reads an obligation and its standing now.
func (a *App) GetObligation(s store.Store, number string) (*domain.ObligationView, error) {
	o, err := loadNumbered[domain.Obligation](a, s, domain.TypeObligation, number)
	if o, err = found(o, err, domain.NotFound(domain.RuleObligation, "number", "no obligation %s on channel %s", number, s.Channel())); err != nil {
		return nil, err
	}
	now, _ := s.Now()
	return &domain.ObligationView{Obligation: *o, Standing: o.Standing(now)}, nil
}

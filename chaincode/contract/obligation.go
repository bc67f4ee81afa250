package contract

import (
	"encoding/json"

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
	if in.Subject != "" {
		kind, ok := domain.NumberedOf(in.Subject)
		if !ok {
			return nil, domain.Invalid(domain.RuleObligation, "subject", "%q is not the number of a record (prefixes %v)", truncate(in.Subject), domain.NumberPrefixes())
		}
		r, err := a.recordOf(s, products, "subject", kind, in.PartyCreditCode, in.Subject)
		if err != nil {
			return nil, err
		}
		x.Subject = r != nil && r.OfParty
	}
	yearly := known && k.Deadline.Rule == domain.DeadlineYearly && domain.PeriodPattern.MatchString(in.Period)
	var facts *partyFacts // the party's yearly obligations and reported incidents
	if (yearly || in.Kind == domain.IncidentKind) && domain.ValidateCreditCode("partyCreditCode", in.PartyCreditCode) == nil {
		if facts, err = readFacts(s, "partyCreditCode", in.PartyCreditCode); err != nil {
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
	order, isOrder := domain.DecisionOn(domain.TypeObligation, o, o.PartyCreditCode)
	isOrder = isOrder && o.PartyCreditCode != ""
	if facts == nil && isOrder {
		if facts, err = readFacts(s, "partyCreditCode", o.PartyCreditCode); err != nil {
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

// recordOf reads a numbered record of kind (field names the number in
// the input) with whether it is the party's own (subjectOf); nil when
// the channel has none. A record that keeps a private part is read whole,
// from the collection (never by its world-state key: a read set keeps its
// keys in clear), by a collection member only; a certificate is its
// entry among the registered products, by proof against their roots.
func (a *App) recordOf(s store.Store, products *provenRoots, field string, kind domain.NumberedRecord, party, number string) (*domain.OwnedRecord, error) {
	if _, err := domain.ParseNumber(field, number, kind.Prefix); err != nil {
		return nil, err
	}
	var body []byte
	if kind.RecordType == domain.TypeAgreement { // public, with its terms where it keeps them
		ag, err := load[domain.Agreement](s, key(s, kind.RecordType, number))
		if err == nil {
			ag, err = a.agreementWhole(s, ag)
		}
		if err != nil || ag == nil {
			return nil, err
		}
		if body, err = json.Marshal(ag); err != nil {
			return nil, err
		}
	} else if kind.RecordType == domain.TypeCertificate { // by proof: its entry (number, enterprise), never its key
		e, err := products.certificate(field, number)
		if err != nil || e == nil {
			return nil, err
		}
		if body, err = json.Marshal(e); err != nil {
			return nil, err
		}
	} else if domain.HasPrivatePart(kind.RecordType) {
		whole, err := loadWhole[json.RawMessage](a, s, key(s, kind.RecordType, number))
		if err != nil || whole == nil {
			return nil, err
		}
		body = *whole
	} else {
		var err error
		if body, err = s.Get(key(s, kind.RecordType, number)); err != nil || body == nil {
			return nil, err
		}
	}
	return &domain.OwnedRecord{Kind: kind.RecordType, Body: body, OfParty: a.subjectOf(s, party, kind.RecordType, body)}, nil
}

// subjectOf tells whether a record (its type and body) is the party's
// own: its own record, or an objection against one (an order may follow
// an objection's decision).
func (a *App) subjectOf(s store.Store, party, recordType string, body []byte) bool {
	if recordType != domain.TypeObjection {
		return domain.Owns(party, recordType, body)
	}
	var o domain.Objection
	if json.Unmarshal(body, &o) != nil {
		return false
	}
	kind, ok := domain.NumberedOf(o.Target)
	if !ok {
		return false
	}
	target, err := s.Get(key(s, kind.RecordType, o.Target))
	return err == nil && target != nil && domain.Owns(party, kind.RecordType, target)
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

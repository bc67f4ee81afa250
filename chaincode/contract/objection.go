package contract

import (
	"sort"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// FileObjection records an objection by anyone on the channel, and counts
// it on its target in the same transaction.
func (a *App) FileObjection(s store.Store, inputJSON string) (*domain.Objection, error) {
	var in domain.ObjectionInput
	if err := decodeArg("objection", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActFileObjection)
	if err != nil {
		return nil, err
	}
	existing, err := a.loadObjection(s, in.Number)
	if err != nil {
		return nil, err
	}
	app, cert, err := a.objectionTarget(s, in.TargetKind, in.Target)
	if err != nil {
		return nil, err
	}
	if app != nil {
		app = app.Materialize(t.now, t.c)
	}
	o, err := domain.FileObjection(t.j, existing, in, app, cert, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := putSealed(s, key(s, domain.TypeObjection, o.Number), o.Public(), o); err != nil {
		return nil, err
	}
	changes := []domain.Changed{changed(domain.TypeObjection, o.Number, "file", o.Status, o.Version)}
	if app != nil {
		next := *app
		next.OpenObjections++
		next.Version, next.Last = app.Version+1, t.c
		ch, err := putApplication(s, &next, "objection")
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch)
	}
	if cert != nil {
		next := *cert
		next.OpenObjections++
		next.Version, next.Last = cert.Version+1, t.c
		if err := put(s, key(s, domain.TypeCertificate, cert.Number), &next); err != nil {
			return nil, err
		}
		changes = append(changes, changed(domain.TypeCertificate, cert.Number, "objection", next.RegistrationStatus(), next.Version))
	}
	return o, emit(s, t.c, changes...)
}

func (a *App) objectionTarget(s store.Store, kind, target string) (*domain.Application, *domain.CertificateRecord, error) {
	switch kind {
	case "application":
		app, err := a.loadApplication(s, target)
		if app != nil && app.Public() == nil {
			// The public objects through a member's clerk: an application
			// before its notice does not exist for it.
			if ok, rerr := a.mayReadPrivate(s, domain.TypeApplication); rerr != nil || !ok {
				return nil, nil, rerr
			}
		}
		return app, nil, err
	case "certificate":
		cert, err := a.loadCertificate(s, target)
		return nil, cert, err
	}
	return nil, nil, domain.Invalid(domain.RuleObjectionTarget, "targetKind", "%q is not application or certificate", truncate(kind))
}

// DecideObjection records the decision and applies its outcome to the
// certificate, application and credentials in the same transaction.
func (a *App) DecideObjection(s store.Store, number, decisionJSON string) (*domain.Objection, error) {
	var d domain.ObjectionDecision
	if err := decodeArg("decision", decisionJSON, &d); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActDecideObjection)
	if err != nil {
		return nil, err
	}
	o, err := a.loadWholeObjection(s, number)
	if err != nil {
		return nil, err
	}
	var app *domain.Application
	var cert *domain.CertificateRecord
	creds := map[string]*domain.CredentialRecord{}
	if o != nil {
		if app, cert, err = a.objectionTarget(s, o.TargetKind, o.Target); err != nil {
			return nil, err
		}
		if cert != nil {
			links := newLinkReader(s)
			for _, n := range cert.AuthorizationNumbers {
				cr, err := load[domain.CredentialRecord](s, key(s, domain.TypeCredential, n))
				if err == nil {
					cr, err = standing(links, cr) // one whose agreement ended is not suspended
				}
				if err != nil {
					return nil, err
				}
				creds[n] = cr
			}
		}
	}
	fx, err := domain.DecideObjection(t.j, o, app, cert, creds, d, t.now, t.c)
	if err != nil {
		return nil, err
	}
	owner := "" // of the record objected to: whom an upheld objection is against
	if cert != nil {
		owner = cert.EnterpriseCreditCode
	} else if app != nil {
		owner = app.ApplicantCreditCode
	}
	if err := noteDecision(s, domain.TypeObjection, number, fx.Objection, owner); err != nil {
		return nil, err
	}
	if err := putSealed(s, key(s, domain.TypeObjection, number), fx.Objection.Public(), fx.Objection); err != nil {
		return nil, err
	}
	changes := []domain.Changed{changed(domain.TypeObjection, number, "decide", d.Outcome, fx.Objection.Version)}
	if fx.Application != nil {
		ch, err := putApplication(s, fx.Application, "objection_decision")
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch)
	}
	if fx.Certificate != nil {
		if err := put(s, key(s, domain.TypeCertificate, fx.Certificate.Number), fx.Certificate); err != nil {
			return nil, err
		}
		changes = append(changes, changed(domain.TypeCertificate, fx.Certificate.Number, "objection_decision", fx.Certificate.RegistrationStatus(), fx.Certificate.Version))
	}
	// In number order: every endorser must build the same event.
	suspended := make([]string, 0, len(fx.Credentials))
	for n := range fx.Credentials {
		suspended = append(suspended, n)
	}
	sort.Strings(suspended)
	for _, n := range suspended {
		cr := fx.Credentials[n]
		if err := put(s, key(s, domain.TypeCredential, n), cr); err != nil {
			return nil, err
		}
		changes = append(changes, changed(domain.TypeCredential, n, "suspend", cr.Status, cr.Version))
	}
	return fx.Objection, emit(s, t.c, changes...)
}

// ConfirmDestruction records that ordered data destruction was done.
func (a *App) ConfirmDestruction(s store.Store, number, evidenceDigest string) (*domain.Objection, error) {
	t, err := a.allowed(s, domain.ActConfirmDestruction)
	if err != nil {
		return nil, err
	}
	o, err := a.loadWholeObjection(s, number)
	if err != nil {
		return nil, err
	}
	next, err := domain.ConfirmDestruction(t.j, o, evidenceDigest, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := putSealed(s, key(s, domain.TypeObjection, number), next.Public(), next); err != nil {
		return nil, err
	}
	return next, emit(s, t.c, changed(domain.TypeObjection, number, "confirm-destruction", next.Status, next.Version))
}

func (a *App) loadObjection(s store.Store, number string) (*domain.Objection, error) {
	if _, err := domain.ParseNumber("number", number, domain.PrefixObjection); err != nil {
		return nil, err
	}
	return load[domain.Objection](s, key(s, domain.TypeObjection, number))
}

// loadWholeObjection reads an objection whole (nil when there is none).
func (a *App) loadWholeObjection(s store.Store, number string) (*domain.Objection, error) {
	return loadWholeNumbered[domain.Objection](a, s, domain.TypeObjection, number)
}

// GetObjection reads an objection: whole for a collection member's
// regime role, its public view for anyone else.
func (a *App) GetObjection(s store.Store, number string) (*domain.Objection, error) {
	o, err := loadNumbered[domain.Objection](a, s, domain.TypeObjection, number)
	return found(o, err, domain.NotFound(domain.RuleObjection, "number", "no objection %s on channel %s", number, s.Channel()))
}

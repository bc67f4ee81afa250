package contract

import (
	"encoding/json"
	"sort"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

func (a *App) loadApplication(s store.Store, number string) (*domain.Application, error) {
	if _, err := domain.ParseNumber("number", number, domain.PrefixApplication); err != nil {
		return nil, err
	}
	return load[domain.Application](s, key(s, domain.TypeApplication, number))
}

func (a *App) saveApplication(t *tx, app *domain.Application) error {
	if err := put(t.s, key(t.s, domain.TypeApplication, app.Number), app); err != nil {
		return err
	}
	return emit(t.s, t.c, changed(domain.TypeApplication, app.Number, app.Last.Action, app.Stage, app.Version))
}

// Apply records a scenario-authorization application.
func (a *App) Apply(s store.Store, inputJSON string) (*domain.Application, error) {
	var in domain.ApplicationInput
	if err := decodeArg("application", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	if err := domain.RequireRegistrar(t.j, t.c.Actor, "recording an application"); err != nil {
		return nil, err
	}
	existing, err := a.loadApplication(s, in.Number)
	if err != nil {
		return nil, err
	}
	p, err := t.profile()
	if err != nil {
		return nil, err
	}
	x := domain.ApplyInput{In: in, Existing: existing, Providers: map[string]*domain.Party{}, SourceCerts: map[string]*domain.CertificateRecord{}}
	if x.Applicant, err = a.loadParty(s, "applicantCreditCode", in.ApplicantCreditCode); err != nil {
		return nil, err
	}
	if len(in.DataProviders) > 50 || len(in.RedevelopedFrom) > 50 {
		return nil, domain.Invalid(domain.RuleApplication, "dataProviders", "at most 50 data providers and 50 source products")
	}
	for _, code := range in.DataProviders {
		if err := domain.ValidateCreditCode("dataProviders", code); err == nil {
			x.Providers[code], _ = load[domain.Party](s, key(s, domain.TypeParty, code))
		}
	}
	for _, n := range in.RedevelopedFrom {
		if _, err := domain.ParseNumber("redevelopedFrom", n, domain.PrefixRegistration); err == nil {
			x.SourceCerts[n], _ = load[domain.CertificateRecord](s, key(s, domain.TypeCertificate, n))
		}
	}
	cals, err := calendars(s, t.now)
	if err != nil {
		return nil, err
	}
	app, err := domain.Apply(t.j, p, cals, x, t.now, t.c)
	if err != nil {
		return nil, err
	}
	return app, a.saveApplication(t, app)
}

// step loads an application and runs one workflow decision on it.
func (a *App) step(s store.Store, number string, decide func(t *tx, p domain.Profile, app *domain.Application) (*domain.Application, error)) (*domain.Application, error) {
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	app, err := a.loadApplication(s, number)
	if err != nil {
		return nil, err
	}
	p, err := t.profile()
	if err != nil {
		return nil, err
	}
	next, err := decide(t, p, app)
	if err != nil {
		return nil, err
	}
	return next, a.saveApplication(t, next)
}

func (a *App) PreliminaryReview(s store.Store, number, decision, reasons string) (*domain.Application, error) {
	return a.step(s, number, func(t *tx, p domain.Profile, app *domain.Application) (*domain.Application, error) {
		cals, err := calendars(s, t.now)
		if err != nil {
			return nil, err
		}
		return domain.PreliminaryReview(t.j, p, cals, app, decision, reasons, t.now, t.c)
	})
}

func (a *App) ExtendComplianceReview(s store.Store, number, reason string) (*domain.Application, error) {
	return a.step(s, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		return domain.ExtendComplianceReview(t.j, app, reason, t.now, t.c)
	})
}

func (a *App) ComplianceReview(s store.Store, number, reviewer, decision, reasons string) (*domain.Application, error) {
	return a.step(s, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		return domain.ComplianceReview(t.j, app, reviewer, decision, reasons, t.now, t.c)
	})
}

func (a *App) AttachScenarioAgreement(s store.Store, number, agreementNumber string) (*domain.Application, error) {
	return a.step(s, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		if _, err := domain.ParseNumber("agreementNumber", agreementNumber, domain.PrefixAgreement); err != nil {
			return nil, err
		}
		ag, err := load[domain.Agreement](s, key(s, domain.TypeAgreement, agreementNumber))
		if err != nil {
			return nil, err
		}
		return domain.AttachAgreement(t.j, app, ag, t.now, t.c)
	})
}

func (a *App) StartDevelopment(s store.Store, number string) (*domain.Application, error) {
	return a.step(s, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		return domain.StartDevelopment(t.j, app, t.c)
	})
}

func (a *App) VerifyConsistency(s store.Store, number, productDigest, matchesDesign, changeNote, decision, reasons string) (*domain.Application, error) {
	return a.step(s, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		if matchesDesign != "true" && matchesDesign != "false" {
			return nil, domain.Invalid(domain.RuleApplication, "matchesDesign", "must be true or false")
		}
		return domain.VerifyConsistency(t.j, app, productDigest, matchesDesign == "true", changeNote, decision, reasons, t.c)
	})
}

func (a *App) StartPublicNotice(s store.Store, number string) (*domain.Application, error) {
	return a.step(s, number, func(t *tx, p domain.Profile, app *domain.Application) (*domain.Application, error) {
		return domain.StartPublicNotice(t.j, p, app, t.now, t.c)
	})
}

// GetApplication reads an application as it stands now: a review past its
// silence deadline shows as deemed approved (ZW 21) before any
// transaction materializes it.
func (a *App) GetApplication(s store.Store, number string) (*domain.Application, error) {
	app, err := a.loadApplication(s, number)
	if app, err = found(app, err, domain.NotFound(domain.RuleApplication, "number", "no application %s on channel %s", number, s.Channel())); err != nil {
		return nil, err
	}
	now, _ := s.Now()
	return app.Effective(now), nil
}

// RegisterCertificate registers a signed product certificate whose
// 区块链编号 is this transaction's own ID; applicationNumber is empty for
// a pre-existing product.
func (a *App) RegisterCertificate(s store.Store, signedJSON, applicationNumber string) (*domain.CertificateRecord, error) {
	sd, err := beginSigned[*domain.Certificate](a, s, signedJSON, "registering a product certificate")
	if err != nil {
		return nil, err
	}
	t, doc, canonical, k, p := sd.t, sd.doc, sd.canonical, sd.key, sd.profile
	in := domain.RegisterInput{Doc: doc, Canonical: canonical, Key: k, Channel: s.Channel(), TxID: s.TxID(), Credentials: map[string]*domain.CredentialRecord{}, Agreements: map[string]*domain.Agreement{}}
	if in.Existing, err = load[domain.CertificateRecord](s, key(s, domain.TypeCertificate, doc.RegistrationNumber)); err != nil {
		return nil, err
	}
	if in.Enterprise, err = a.loadParty(s, "enterpriseCreditCode", doc.EnterpriseCreditCode); err != nil {
		return nil, err
	}
	if applicationNumber != "" {
		app, err := a.loadApplication(s, applicationNumber)
		if err != nil {
			return nil, err
		}
		if app != nil {
			in.Application = app.Materialize(t.now, t.c)
		}
	}
	for _, n := range doc.AuthorizationNumbers {
		cr, err := load[domain.CredentialRecord](s, key(s, domain.TypeCredential, n))
		if err != nil {
			return nil, err
		}
		in.Credentials[n] = cr
		if cr != nil {
			if _, err := agreementOf(s, in.Agreements, cr); err != nil {
				return nil, err
			}
		}
	}
	rec, err := domain.RegisterCertificate(t.j, p, in, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, key(s, domain.TypeCertificate, rec.Number), rec); err != nil {
		return nil, err
	}
	changes := []domain.Changed{changed(domain.TypeCertificate, rec.Number, "register", rec.Status, rec.Version)}
	if in.Application != nil {
		app := in.Application.MarkRegistered(rec.Number, t.c)
		if err := put(s, key(s, domain.TypeApplication, app.Number), app); err != nil {
			return nil, err
		}
		changes = append(changes, changed(domain.TypeApplication, app.Number, "registration", app.Stage, app.Version))
	}
	return rec, emit(s, t.c, changes...)
}

func (a *App) loadCertificate(s store.Store, number string) (*domain.CertificateRecord, error) {
	if _, err := domain.ParseNumber("registrationNumber", number, domain.PrefixRegistration); err != nil {
		return nil, err
	}
	return load[domain.CertificateRecord](s, key(s, domain.TypeCertificate, number))
}

// GetCertificate reads a certificate record by its 登记号.
func (a *App) GetCertificate(s store.Store, number string) (*domain.CertificateRecord, error) {
	r, err := a.loadCertificate(s, number)
	return found(r, err, domain.NotFound(domain.RuleCertificateExists, "registrationNumber", "no certificate %s on channel %s", number, s.Channel()))
}

// VerifyCertificate states a certificate's status by number.
func (a *App) VerifyCertificate(s store.Store, number string) (*domain.Verification, error) {
	r, err := a.loadCertificate(s, number)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return &domain.Verification{Status: domain.VerifyNotFound, Number: number, Channel: s.Channel(), Reason: "no certificate with this number is registered on channel " + s.Channel()}, nil
	}
	k, err := load[domain.IssuerKey](s, key(s, domain.TypeIssuerKey, r.IssuerKeyID))
	if err != nil {
		return nil, err
	}
	v := domain.VerifyCertificateRecord(s.Channel(), r, k)
	return &v, nil
}

// VerifyCertificateDocument checks a presented certificate against the
// ledger (tampered on any difference) and states its status.
func (a *App) VerifyCertificateDocument(s store.Store, signedJSON string) (*domain.Verification, error) {
	env, doc, canonical, err := decodeSigned[*domain.Certificate](signedJSON)
	if err != nil {
		re, _ := domain.AsRule(err)
		return &domain.Verification{Status: domain.VerifyTampered, Channel: s.Channel(), Reason: "the document is not a well-formed signed certificate: " + re.Error()}, nil
	}
	v, err := a.VerifyCertificate(s, doc.RegistrationNumber)
	if err != nil || v.Status == domain.VerifyNotFound {
		return v, err
	}
	var registered domain.CertificateRecord
	_ = json.Unmarshal(v.Record, &registered)
	return checkPresented(s, env, canonical, registered.Document, v)
}

// ---- objections ----

// FileObjection records an objection by anyone on the channel, and counts
// it on its target in the same transaction.
func (a *App) FileObjection(s store.Store, inputJSON string) (*domain.Objection, error) {
	var in domain.ObjectionInput
	if err := decodeArg("objection", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.begin(s)
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
	if err := put(s, key(s, domain.TypeObjection, o.Number), o); err != nil {
		return nil, err
	}
	changes := []domain.Changed{changed(domain.TypeObjection, o.Number, "file", o.Status, o.Version)}
	if app != nil {
		next := *app
		next.OpenObjections++
		next.Version, next.Last = app.Version+1, t.c
		if err := put(s, key(s, domain.TypeApplication, app.Number), &next); err != nil {
			return nil, err
		}
		changes = append(changes, changed(domain.TypeApplication, app.Number, "objection", next.Stage, next.Version))
	}
	if cert != nil {
		next := *cert
		next.OpenObjections++
		next.Version, next.Last = cert.Version+1, t.c
		if err := put(s, key(s, domain.TypeCertificate, cert.Number), &next); err != nil {
			return nil, err
		}
		changes = append(changes, changed(domain.TypeCertificate, cert.Number, "objection", next.EffectiveStatus(), next.Version))
	}
	return o, emit(s, t.c, changes...)
}

func (a *App) objectionTarget(s store.Store, kind, target string) (*domain.Application, *domain.CertificateRecord, error) {
	switch kind {
	case "application":
		app, err := a.loadApplication(s, target)
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
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	if err := domain.RequireRegistrar(t.j, t.c.Actor, "deciding an objection"); err != nil {
		return nil, err
	}
	o, err := a.loadObjection(s, number)
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
			for _, n := range cert.AuthorizationNumbers {
				creds[n], _ = load[domain.CredentialRecord](s, key(s, domain.TypeCredential, n))
			}
		}
	}
	fx, err := domain.DecideObjection(t.j, o, app, cert, creds, d, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, key(s, domain.TypeObjection, number), fx.Objection); err != nil {
		return nil, err
	}
	changes := []domain.Changed{changed(domain.TypeObjection, number, "decide", d.Outcome, fx.Objection.Version)}
	if fx.Application != nil {
		if err := put(s, key(s, domain.TypeApplication, fx.Application.Number), fx.Application); err != nil {
			return nil, err
		}
		changes = append(changes, changed(domain.TypeApplication, fx.Application.Number, "objection_decision", fx.Application.Stage, fx.Application.Version))
	}
	if fx.Certificate != nil {
		if err := put(s, key(s, domain.TypeCertificate, fx.Certificate.Number), fx.Certificate); err != nil {
			return nil, err
		}
		changes = append(changes, changed(domain.TypeCertificate, fx.Certificate.Number, "objection_decision", fx.Certificate.EffectiveStatus(), fx.Certificate.Version))
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
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	o, err := a.loadObjection(s, number)
	if err != nil {
		return nil, err
	}
	next, err := domain.ConfirmDestruction(t.j, o, evidenceDigest, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, key(s, domain.TypeObjection, number), next); err != nil {
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

// GetObjection reads an objection.
func (a *App) GetObjection(s store.Store, number string) (*domain.Objection, error) {
	o, err := a.loadObjection(s, number)
	return found(o, err, domain.NotFound(domain.RuleObjection, "number", "no objection %s on channel %s", number, s.Channel()))
}

// ---- egress and exchanges ----

// CheckEgress records an egress check of a registered product (ZW 23).
func (a *App) CheckEgress(s store.Store, number, result, reportDigest, reasons string) (*domain.EgressCheck, error) {
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	if err := domain.RequireRegistrar(t.j, t.c.Actor, "an egress check"); err != nil {
		return nil, err
	}
	cert, err := a.loadCertificate(s, number)
	if err != nil {
		return nil, err
	}
	e, err := domain.CheckEgress(t.j, cert, result, reportDigest, reasons, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, key(s, domain.TypeEgress, number, t.c.TxID), e); err != nil {
		return nil, err
	}
	return e, emit(s, t.c, changed(domain.TypeEgress, number, e.Checked.Action, e.Result, 1))
}

// ListEgressChecks lists a product's egress checks in order.
func (a *App) ListEgressChecks(s store.Store, number string, pageSize int32, bookmark string) (*domain.Page[domain.EgressCheck], error) {
	if _, err := domain.ParseNumber("registrationNumber", number, domain.PrefixRegistration); err != nil {
		return nil, err
	}
	return listRecords[domain.EgressCheck](s, domain.TypeEgress, []string{number}, pageSize, bookmark)
}

// AcknowledgeCertificate records the calling exchange's receipt, listing
// or delisting of a certificate (GX 12(7), GD 28).
func (a *App) AcknowledgeCertificate(s store.Store, number, action string) (*domain.Acknowledgement, error) {
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	if err := domain.RequireExchange(t.j, t.c.Actor); err != nil {
		return nil, err
	}
	cert, err := a.loadCertificate(s, number)
	if err != nil {
		return nil, err
	}
	ak := key(s, domain.TypeAck, number, t.c.Actor.MSP)
	cur, err := load[domain.Acknowledgement](s, ak)
	if err != nil {
		return nil, err
	}
	ack, err := domain.Acknowledge(t.j, cert, cur, action, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, ak, ack); err != nil {
		return nil, err
	}
	return ack, emit(s, t.c, changed(domain.TypeAck, number+"/"+ack.ExchangeMSP, action, ack.Status, ack.Version))
}

// ListAcknowledgements lists every exchange's acknowledgement of a product.
func (a *App) ListAcknowledgements(s store.Store, number string) ([]domain.Acknowledgement, error) {
	if _, err := domain.ParseNumber("registrationNumber", number, domain.PrefixRegistration); err != nil {
		return nil, err
	}
	p, err := listRecords[domain.Acknowledgement](s, domain.TypeAck, []string{number}, domain.MaxPageSize, "")
	if err != nil {
		return nil, err
	}
	return p.Items, nil
}

// ---- disclosures ----

// ListDisclosedAuthorizations pages through the public view of every
// authorization on the channel (GX 15, GD 35).
func (a *App) ListDisclosedAuthorizations(s store.Store, pageSize int32, bookmark string) (*domain.Page[domain.AuthorizationDisclosure], error) {
	recs, err := listRecords[domain.CredentialRecord](s, domain.TypeCredential, nil, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	now, _ := s.Now()
	out := &domain.Page[domain.AuthorizationDisclosure]{Items: []domain.AuthorizationDisclosure{}, Bookmark: recs.Bookmark}
	agreements := map[string]*domain.Agreement{}
	for i := range recs.Items {
		ag, err := agreementOf(s, agreements, &recs.Items[i])
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, domain.DiscloseCredential(&recs.Items[i], ag, now))
	}
	return out, nil
}

// ListDisclosedProducts pages through the public product list with each
// certificate's status (GX 16).
func (a *App) ListDisclosedProducts(s store.Store, pageSize int32, bookmark string) (*domain.Page[domain.ProductDisclosure], error) {
	recs, err := listRecords[domain.CertificateRecord](s, domain.TypeCertificate, nil, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	out := &domain.Page[domain.ProductDisclosure]{Items: []domain.ProductDisclosure{}, Bookmark: recs.Bookmark}
	for i := range recs.Items {
		out.Items = append(out.Items, domain.DiscloseCertificate(&recs.Items[i]))
	}
	return out, nil
}

package contract

import (
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// loadApplication reads an application whole, from the collection: only
// a collection member's identity may (loadWhole).
func (a *App) loadApplication(s store.Store, number string) (*domain.Application, error) {
	return loadWholeNumbered[domain.Application](a, s, domain.TypeApplication, number)
}

// putApplication writes an application whole to the collection and its
// public view, once it has one, to the world state; its event entry names
// it by number only then (by key hash before).
func putApplication(s store.Store, app *domain.Application, action string) (domain.Changed, error) {
	return putNumbered(s, domain.TypeApplication, app.Number, app.Version, app.Public(), app,
		changed(domain.TypeApplication, app.Number, action, app.Stage, app.Version))
}

func (a *App) saveApplication(t *tx, app *domain.Application) error {
	ch, err := putApplication(t.s, app, app.Last.Action)
	if err != nil {
		return err
	}
	return emit(t.s, t.c, ch)
}

// Apply records an application of any kind.
func (a *App) Apply(s store.Store, inputJSON string) (*domain.Application, error) {
	var in domain.ApplicationInput
	if err := decodeArg("application", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActApply)
	if err != nil {
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
	x := domain.ApplyInput{In: in, Existing: existing, Providers: map[string]*domain.Party{}, SourceCerts: map[string]*domain.CertificateEntry{}}
	if err := domain.MayApply(t.j, t.c.Actor, in.ApplicantCreditCode); err != nil {
		return nil, err // before the parties' and facts' proofs, which a caller refused sends none of
	}
	parties, err := readProvenParties(s) // by proof: the read set names no party (docs/PRIVACY.md)
	if err != nil {
		return nil, err
	}
	if x.Applicant, err = parties.party("applicantCreditCode", in.ApplicantCreditCode); err != nil {
		return nil, err
	}
	if len(in.DataProviders) > 50 || len(in.RedevelopedFrom) > 50 {
		return nil, domain.Invalid(domain.RuleApplication, "dataProviders", "at most 50 data providers and 50 source products")
	}
	for _, code := range in.DataProviders {
		if err := domain.ValidateCreditCode("dataProviders", code); err == nil {
			if x.Providers[code], err = parties.party("dataProviders", code); err != nil {
				return nil, err
			}
		}
	}
	// The applicant's facts: an onboarding's latest onboarding; a
	// renewal's agreement (never read by its key: the read set would name
	// it, and its grantee, before the renewal is decided).
	var facts *partyFacts
	if (in.Kind == domain.KindOnboarding || in.Kind == domain.KindRenewal) && domain.ValidateCreditCode("applicantCreditCode", in.ApplicantCreditCode) == nil {
		if facts, err = readFacts(s, "applicantCreditCode", in.ApplicantCreditCode); err != nil {
			return nil, err
		}
		if in.Kind == domain.KindOnboarding && facts.Onboarding != "" {
			if x.Onboarding, err = a.loadApplication(s, facts.Onboarding); err != nil {
				return nil, err
			}
		}
	}
	if in.Previous != "" {
		if _, err := domain.ParseNumber("previous", in.Previous, domain.PrefixApplication); err != nil {
			return nil, err
		}
		if x.Previous, err = a.loadApplication(s, in.Previous); err != nil {
			return nil, err
		}
	}
	if in.Renews != "" && facts != nil && in.Kind == domain.KindRenewal {
		if x.Renews = facts.Granted(in.Renews); x.Renews != nil && x.Renews.RenewedBy != "" {
			x.Successor = facts.Granted(x.Renews.RenewedBy) // renewed to the same grantee
		}
	}
	// Every application reads the products' roots, whether it re-develops
	// any or not: the read set tells neither that nor which.
	products, err := readProvenProducts(s)
	if err != nil {
		return nil, err
	}
	for _, n := range in.RedevelopedFrom {
		if _, err := domain.ParseNumber("redevelopedFrom", n, domain.PrefixRegistration); err == nil {
			if x.SourceCerts[n], err = products.certificate("redevelopedFrom", n); err != nil {
				return nil, err
			}
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
	if in.Kind == domain.KindOnboarding && facts != nil { // as private as the application: an onboarding is reported, not published (ZW 18)
		facts.Onboarding = app.Number
		if err := facts.save(s); err != nil {
			return nil, err
		}
	}
	return app, a.saveApplication(t, app)
}

// step asks the access table for act, loads an application and runs one
// workflow decision on it.
func (a *App) step(s store.Store, act domain.Action, number string, decide func(t *tx, p domain.Profile, app *domain.Application) (*domain.Application, error)) (*domain.Application, error) {
	t, err := a.allowed(s, act)
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
	return a.step(s, domain.ActPreliminaryReview, number, func(t *tx, p domain.Profile, app *domain.Application) (*domain.Application, error) {
		cals, err := calendars(s, t.now)
		if err != nil {
			return nil, err
		}
		return domain.PreliminaryReview(t.j, p, cals, app, decision, reasons, t.now, t.c)
	})
}

// ResubmitApplication records the applicant's supplementary materials
// after the 初审 asked for correction.
func (a *App) ResubmitApplication(s store.Store, number, inputJSON string) (*domain.Application, error) {
	var in domain.Resubmission
	if err := decodeArg("resubmission", inputJSON, &in); err != nil {
		return nil, err
	}
	return a.step(s, domain.ActResubmitApplication, number, func(t *tx, p domain.Profile, app *domain.Application) (*domain.Application, error) {
		cals, err := calendars(s, t.now)
		if err != nil {
			return nil, err
		}
		return domain.Resubmit(t.j, p, cals, app, in, t.now, t.c)
	})
}

// ExitOnboarding records a 数商's exit from the platform (ZW 18, NS 18).
func (a *App) ExitOnboarding(s store.Store, number, reason string) (*domain.Application, error) {
	return a.step(s, domain.ActExitOnboarding, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		return domain.ExitOnboarding(t.j, app, reason, t.c)
	})
}

// AnswerQualityRequest records a data provider's answer to a quality
// request (HB 25).
func (a *App) AnswerQualityRequest(s store.Store, number, answerJSON string) (*domain.Application, error) {
	var in domain.QualityAnswer
	if err := decodeArg("answer", answerJSON, &in); err != nil {
		return nil, err
	}
	return a.step(s, domain.ActAnswerQualityRequest, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		return domain.AnswerQualityRequest(t.j, app, in, t.now, t.c)
	})
}

// ResolveQualityRequest records how a confirmed quality problem was
// resolved (HB 25).
func (a *App) ResolveQualityRequest(s store.Store, number, resolutionJSON string) (*domain.Application, error) {
	var in domain.QualityResolution
	if err := decodeArg("resolution", resolutionJSON, &in); err != nil {
		return nil, err
	}
	return a.step(s, domain.ActResolveQualityRequest, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		return domain.ResolveQualityRequest(t.j, app, in, t.now, t.c)
	})
}

func (a *App) ExtendComplianceReview(s store.Store, number, reason string) (*domain.Application, error) {
	return a.step(s, domain.ActExtendComplianceReview, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		return domain.ExtendComplianceReview(t.j, app, reason, t.now, t.c)
	})
}

func (a *App) ComplianceReview(s store.Store, number, reviewer, decision, reasons string) (*domain.Application, error) {
	return a.step(s, domain.ActComplianceReview, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		return domain.ComplianceReview(t.j, app, reviewer, decision, reasons, t.now, t.c)
	})
}

func (a *App) AttachScenarioAgreement(s store.Store, number, agreementNumber string) (*domain.Application, error) {
	return a.step(s, domain.ActAttachScenarioAgreement, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		if _, err := domain.ParseNumber("agreementNumber", agreementNumber, domain.PrefixAgreement); err != nil {
			return nil, err
		}
		// Among the applicant's grants, by proof: the read set names
		// neither the agreement nor its grantee.
		var ag *domain.Grant
		if app != nil {
			facts, err := readFacts(s, "number", app.ApplicantCreditCode) // the application's applicant
			if err != nil {
				return nil, err
			}
			ag = facts.Granted(agreementNumber)
		}
		return domain.AttachAgreement(t.j, app, agreementNumber, ag, t.now, t.c)
	})
}

func (a *App) StartDevelopment(s store.Store, number string) (*domain.Application, error) {
	return a.step(s, domain.ActStartDevelopment, number, func(t *tx, _ domain.Profile, app *domain.Application) (*domain.Application, error) {
		return domain.StartDevelopment(t.j, app, t.c)
	})
}

func (a *App) VerifyConsistency(s store.Store, number, productDigest, matchesDesign, changeNote, decision, reasons string) (*domain.Application, error) {
	return a.step(s, domain.ActVerifyConsistency, number, func(t *tx, p domain.Profile, app *domain.Application) (*domain.Application, error) {
		if matchesDesign != "true" && matchesDesign != "false" {
			return nil, domain.Invalid(domain.RuleApplication, "matchesDesign", "must be true or false")
		}
		return domain.VerifyConsistency(t.j, p, app, productDigest, matchesDesign == "true", changeNote, decision, reasons, t.now, t.c)
	})
}

// SubmitProduct records the developed product submitted for its
// evaluation (GD 26), due by the profile's productReviewWorkingDays.
func (a *App) SubmitProduct(s store.Store, number, productDigest string) (*domain.Application, error) {
	return a.step(s, domain.ActSubmitProduct, number, func(t *tx, p domain.Profile, app *domain.Application) (*domain.Application, error) {
		var cals domain.Calendars
		if p.ProductReviewWorkingDays > 0 {
			var err error
			if cals, err = calendars(s, t.now); err != nil {
				return nil, err
			}
		}
		return domain.SubmitProduct(t.j, p, cals, app, productDigest, t.now, t.c)
	})
}

func (a *App) StartPublicNotice(s store.Store, number string) (*domain.Application, error) {
	return a.step(s, domain.ActStartPublicNotice, number, func(t *tx, p domain.Profile, app *domain.Application) (*domain.Application, error) {
		return domain.StartPublicNotice(t.j, p, app, t.now, t.c)
	})
}

// GetApplication reads an application as it stands now: a review past its
// silence deadline shows as deemed approved (ZW 21) before any
// transaction materializes it.
//
// A regime role of a collection member, and the applicant's own
// enterprise identity, read it whole; anyone else its public view (none
// before its notice: not found).
func (a *App) GetApplication(s store.Store, number string) (*domain.Application, error) {
	app, err := loadNumbered[domain.Application](a, s, domain.TypeApplication, number)
	if app, err = found(app, err, domain.NotFound(domain.RuleApplication, "number", "no application %s on channel %s", number, s.Channel())); err != nil {
		return nil, err
	}
	now, _ := s.Now()
	return app.Effective(now), nil
}

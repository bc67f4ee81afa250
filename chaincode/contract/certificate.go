package contract

import (
	"encoding/json"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// RegisterCertificate registers a signed product certificate whose
// 区块链编号 is this transaction's own ID; applicationNumber is empty for
// a pre-existing product.
func (a *App) RegisterCertificate(s store.Store, signedJSON, applicationNumber string) (*domain.CertificateRecord, error) {
	sd, err := beginSigned[*domain.Certificate](a, s, signedJSON, domain.ActRegisterCertificate)
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

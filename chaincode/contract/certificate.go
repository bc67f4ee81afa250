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
	in := domain.RegisterInput{Doc: doc, Canonical: canonical, Key: k, Channel: s.Channel(), TxID: s.TxID(),
		Credentials: map[string]*domain.CredentialRecord{}, Agreements: map[string]*domain.Agreement{}, Keys: map[string]*domain.IssuerKey{}}
	links := newLinkReader(s)
	if k != nil {
		links.keys[k.KeyID] = k // read by beginSigned; credentials are mostly signed with the same key
	} // nil: not in this channel's registry, which RegisterCertificate refuses
	if in.Existing, err = load[domain.CertificateRecord](s, key(s, domain.TypeCertificate, doc.RegistrationNumber)); err != nil {
		return nil, err
	}
	if in.Enterprise, err = a.loadParty(s, "enterpriseCreditCode", doc.EnterpriseCreditCode); err != nil {
		return nil, err
	}
	links.parties[doc.EnterpriseCreditCode] = in.Enterprise // the listed credentials' holder, read once
	if applicationNumber != "" {
		app, err := a.loadApplication(s, applicationNumber)
		if err != nil {
			return nil, err
		}
		if app != nil {
			in.Application = app.Materialize(t.now, t.c)
			if n := in.Application.AgreementNumber; n != "" {
				if in.Agreement, err = load[domain.Agreement](s, key(s, domain.TypeAgreement, n)); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, n := range doc.AuthorizationNumbers {
		cr, err := links.Credential(n)
		if err != nil {
			return nil, err
		}
		in.Credentials[n] = cr
		if cr != nil {
			c, err := domain.ReadCredentialChain(cr, links)
			if err != nil {
				return nil, err
			}
			in.Agreements[cr.AgreementNumber], in.Keys[cr.IssuerKeyID] = c.Agreement, c.Key
		}
	}
	rec, err := domain.RegisterCertificate(t.j, p, in, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, key(s, domain.TypeCertificate, rec.Number), rec); err != nil {
		return nil, err
	}
	entry, err := json.Marshal(rec.Entry()) // a number is registered once (in.Existing refused)
	if err != nil {
		return nil, err
	}
	if err := productRegistry.put(s, "registrationNumber", rec.Number, nil, entry); err != nil {
		return nil, err
	}
	changes := []domain.Changed{changed(domain.TypeCertificate, rec.Number, "register", rec.Status, rec.Version)}
	if in.Application != nil {
		ch, err := putApplication(s, in.Application.MarkRegistered(rec.Number, t.c), "registration")
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch)
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
	if r, err = found(r, err, domain.NotFound(domain.RuleCertificateExists, "registrationNumber", "no certificate %s on channel %s", number, s.Channel())); err != nil {
		return nil, err
	}
	return r, a.saidTo(s, domain.TypeCertificate, number, r)
}

// certificateChain reads every record a certificate's force rests on
// (domain.CertificateChain): the certificate, its scenario agreement, each
// listed credential and its agreement, the enterprise and the issuer key,
// each once; nil when no certificate has the number. Reads: 4 + 2 per
// listed credential at most (credentials under one agreement share it),
// and the key of a credential signed with another key than the
// certificate's.
func (a *App) certificateChain(s store.Store, number string) (*domain.CertificateChain, error) {
	r, err := a.loadCertificate(s, number)
	if err != nil || r == nil {
		return nil, err
	}
	return domain.ReadCertificateChain(r, newLinkReader(s))
}

// linkReader reads the records documents rest on, each key once however
// many documents share it (a page of disclosures, the credentials of one
// certificate).
type linkReader struct {
	s           store.Store
	agreements  map[string]*domain.Agreement
	parties     map[string]*domain.Party
	keys        map[string]*domain.IssuerKey
	credentials map[string]*domain.CredentialRecord
}

func newLinkReader(s store.Store) *linkReader {
	return &linkReader{s: s, agreements: map[string]*domain.Agreement{}, parties: map[string]*domain.Party{},
		keys: map[string]*domain.IssuerKey{}, credentials: map[string]*domain.CredentialRecord{}}
}

// once reads the record of type recordType under id into seen, once.
func once[T any](l *linkReader, seen map[string]*T, recordType, id string) (*T, error) {
	if v, ok := seen[id]; ok {
		return v, nil
	}
	v, err := load[T](l.s, key(l.s, recordType, id))
	if err == nil {
		seen[id] = v
	}
	return v, err
}

// The domain.ChainReader over the store, each record read once.
func (l *linkReader) Agreement(n string) (*domain.Agreement, error) {
	return once(l, l.agreements, domain.TypeAgreement, n)
}
func (l *linkReader) Credential(n string) (*domain.CredentialRecord, error) {
	return once(l, l.credentials, domain.TypeCredential, n)
}
func (l *linkReader) Party(code string) (*domain.Party, error) {
	return once(l, l.parties, domain.TypeParty, code)
}
func (l *linkReader) IssuerKey(id string) (*domain.IssuerKey, error) {
	return once(l, l.keys, domain.TypeIssuerKey, id)
}

// VerifyCertificate states a certificate's status by number, derived from
// every record its force rests on.
func (a *App) VerifyCertificate(s store.Store, number string) (*domain.Verification, error) {
	c, err := a.certificateChain(s, number)
	if err != nil {
		return nil, err
	}
	if c == nil {
		v := domain.NotFoundVerification(domain.LinkCertificate, number, s.Channel())
		return &v, nil
	}
	now, err := s.Now()
	if err != nil {
		return nil, err
	}
	v := c.Verify(s.Channel(), now)
	return &v, nil
}

// VerifyCertificateDocument checks a presented certificate against the
// ledger (tampered on any difference) and states its status.
func (a *App) VerifyCertificateDocument(s store.Store, signedJSON string) (*domain.Verification, error) {
	env, doc, canonical, err := decodeSigned[*domain.Certificate](signedJSON)
	if err != nil {
		re, _ := domain.AsRule(err)
		return &domain.Verification{Status: domain.VerifyTampered, Channel: s.Channel(), Reason: "the document is not a well-formed signed certificate: " + re.Error(),
			ReasonZh: "所出示的文件不是格式正确的已签名登记证书：" + re.Error()}, nil
	}
	v, err := a.VerifyCertificate(s, doc.RegistrationNumber)
	if err != nil || v.Status == domain.VerifyNotFound {
		return v, err
	}
	var registered domain.CertificateRecord
	_ = json.Unmarshal(v.Record, &registered)
	return checkPresented(s, env, canonical, registered.Document, v)
}

package contract

import (
	"encoding/json"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// IssueCredential registers an SM2-signed credential: the chaincode
// verifies the signature against the channel's key registry and every rule
// of the jurisdiction before it writes anything.
func (a *App) IssueCredential(s store.Store, signedJSON, agreementNumber string) (*domain.CredentialRecord, error) {
	sd, err := beginSigned[*domain.Credential](a, s, signedJSON, domain.ActIssueCredential)
	if err != nil {
		return nil, err
	}
	t, doc, canonical, k, p := sd.t, sd.doc, sd.canonical, sd.key, sd.profile
	if _, err := domain.ParseNumber("authorizationNumber", doc.AuthorizationNumber, domain.PrefixAuthorization); err != nil {
		return nil, err
	}
	ck := key(s, domain.TypeCredential, doc.AuthorizationNumber)
	existing, err := load[domain.CredentialRecord](s, ck)
	if err != nil {
		return nil, err
	}
	holder, err := a.loadParty(s, "holderCreditCode", doc.HolderCreditCode)
	if err != nil {
		return nil, err
	}
	// Load only; the domain decides in its own order (channel and
	// jurisdiction before "not found").
	if _, err := domain.ParseNumber("agreementNumber", agreementNumber, domain.PrefixAgreement); err != nil {
		return nil, err
	}
	ag, err := load[domain.Agreement](s, key(s, domain.TypeAgreement, agreementNumber))
	if err != nil {
		return nil, err
	}
	rec, err := domain.IssueCredential(t.j, p, domain.IssueInput{Doc: doc, Canonical: canonical, Existing: existing, Key: k, Holder: holder, Agreement: ag, Channel: s.Channel()}, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, ck, rec); err != nil {
		return nil, err
	}
	for _, ix := range [][2]string{{indexCredentialByHolder, rec.HolderCreditCode}, {indexCredentialByAgreement, rec.AgreementNumber}, {indexCredentialByIssuer, rec.IssuerKeyID}} {
		if err := s.Put(key(s, ix[0], ix[1], rec.Number), indexMarker); err != nil {
			return nil, err
		}
	}
	return rec, emit(s, t.c, changed(domain.TypeCredential, rec.Number, "issue", rec.Status, rec.Version))
}

func (a *App) loadCredential(s store.Store, number string) (*domain.CredentialRecord, error) {
	if _, err := domain.ParseNumber("authorizationNumber", number, domain.PrefixAuthorization); err != nil {
		return nil, err
	}
	r, err := load[domain.CredentialRecord](s, key(s, domain.TypeCredential, number))
	return found(r, err, domain.NotFound(domain.RuleCredentialExists, "authorizationNumber", "no credential %s on channel %s", number, s.Channel()))
}

// ChangeCredentialStatus suspends, reinstates or revokes a credential.
func (a *App) ChangeCredentialStatus(s store.Store, number, action, reason string) (*domain.CredentialRecord, error) {
	t, err := a.allowed(s, domain.ActChangeCredentialStatus, action)
	if err != nil {
		return nil, err
	}
	r, err := a.loadCredential(s, number)
	if err != nil {
		return nil, err
	}
	if r, err = standing(newLinkReader(s), r); err != nil {
		return nil, err
	}
	next, err := domain.ChangeCredentialStatus(t.j, r, action, reason, t.c)
	if err != nil {
		return nil, err
	}
	if err := putSaid(s, key(s, domain.TypeCredential, number), domain.TypeCredential, number, next.Public(), reason); err != nil {
		return nil, err
	}
	if err := noteDecision(s, domain.TypeCredential, number, next, next.HolderCreditCode); err != nil { // a revocation
		return nil, err
	}
	return next, emit(s, t.c, changed(domain.TypeCredential, number, action, next.Status, next.Version))
}

// GetCredential reads a credential record by its 授权编号, as it stands
// with its agreement.
func (a *App) GetCredential(s store.Store, number string) (*domain.CredentialRecord, error) {
	r, err := a.loadCredential(s, number)
	if err != nil {
		return nil, err
	}
	if err := a.saidTo(s, domain.TypeCredential, number, r); err != nil {
		return nil, err
	}
	return standing(newLinkReader(s), r)
}

// VerifyCredential states a credential's status now, by number, derived
// from every record its force rests on: the credential, its agreement, its
// holder and its issuer key (4 reads).
func (a *App) VerifyCredential(s store.Store, number string) (*domain.Verification, error) {
	if _, err := domain.ParseNumber("authorizationNumber", number, domain.PrefixAuthorization); err != nil {
		return nil, err
	}
	r, err := load[domain.CredentialRecord](s, key(s, domain.TypeCredential, number))
	if err != nil {
		return nil, err
	}
	if r == nil {
		v := domain.NotFoundVerification(domain.LinkCredential, number, s.Channel())
		return &v, nil
	}
	c, err := domain.ReadCredentialChain(r, newLinkReader(s))
	if err != nil {
		return nil, err
	}
	now, err := s.Now()
	if err != nil {
		return nil, err
	}
	v := c.Verify(s.Channel(), now)
	return &v, nil
}

// VerifyCredentialDocument checks a presented credential document against
// the ledger: tampered when any signed member differs from what was
// registered or the signature fails; otherwise its status now.
func (a *App) VerifyCredentialDocument(s store.Store, signedJSON string) (*domain.Verification, error) {
	env, doc, canonical, err := decodeSigned[*domain.Credential](signedJSON)
	if err != nil {
		// A document that does not even parse as a credential cannot be genuine.
		re, _ := domain.AsRule(err)
		return &domain.Verification{Status: domain.VerifyTampered, Channel: s.Channel(), Reason: "the document is not a well-formed signed credential: " + re.Error(),
			ReasonZh: "所出示的文件不是格式正确的已签名电子凭证：" + re.Error()}, nil
	}
	v, err := a.VerifyCredential(s, doc.AuthorizationNumber)
	if err != nil || v.Status == domain.VerifyNotFound {
		return v, err
	}
	var registered domain.CredentialRecord
	_ = json.Unmarshal(v.Record, &registered)
	return checkPresented(s, env, canonical, registered.Document, v)
}

// ListCredentials pages through credentials by holder credit code, by
// agreement number or by issuer key ID.
func (a *App) ListCredentials(s store.Store, by, value string, pageSize int32, bookmark string) (*domain.Page[domain.CredentialRecord], error) {
	index := map[string]string{"holder": indexCredentialByHolder, "agreement": indexCredentialByAgreement, "issuer": indexCredentialByIssuer}[by]
	var err error
	switch by {
	case "holder":
		err = domain.ValidateCreditCode("value", value)
	case "agreement":
		_, err = domain.ParseNumber("value", value, domain.PrefixAgreement)
	case "issuer":
		err = validKeyID("value", value)
	default:
		err = domain.Invalid(RuleRecordType, "by", "%q is not holder, agreement or issuer", truncate(by))
	}
	if err != nil {
		return nil, err
	}
	kvs, next, err := page(s, index, []string{value}, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	out := &domain.Page[domain.CredentialRecord]{Items: []domain.CredentialRecord{}, Bookmark: next}
	links := newLinkReader(s)
	for _, kv := range kvs {
		number := lastAttr(kv.Key)
		r, err := load[domain.CredentialRecord](s, key(s, domain.TypeCredential, number))
		if err == nil {
			r, err = standing(links, r)
		}
		if err != nil {
			return nil, err
		}
		if r != nil {
			out.Items = append(out.Items, *r)
		}
	}
	return out, nil
}

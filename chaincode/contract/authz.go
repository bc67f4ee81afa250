package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// List indexes of the authorization ledger. An index key holds the listed
// record's key in its last attribute, so a list is a range read, never a
// scan, and no two issues touch a shared key.
const (
	indexCredentialByHolder    = "credential~holder"
	indexCredentialByAgreement = "credential~agreement"
	indexCredentialByIssuer    = "credential~issuer"
)

var indexMarker = []byte{0} // an empty value would read as a deletion

// tx is one transaction's common context: the jurisdiction, the change
// stamp and its time.
type tx struct {
	s   store.Store
	j   *domain.Jurisdiction
	c   domain.Change
	now time.Time
}

func (a *App) begin(s store.Store) (*tx, error) {
	j, err := a.jurisdiction(s)
	if err != nil {
		return nil, err
	}
	c, err := a.change(s)
	if err != nil {
		return nil, err
	}
	now, _ := s.Now()
	return &tx{s: s, j: j, c: c, now: now}, nil
}

func (t *tx) profile() (domain.Profile, error) {
	pk, _ := t.s.Key(domain.TypeProfile)
	rec, err := load[domain.ProfileRecord](t.s, pk)
	if err != nil || rec == nil {
		return domain.Profile{}, fmt.Errorf("channel %s has no policy profile: %v", t.s.Channel(), err)
	}
	return rec.Profile, nil
}

// found turns a missing record into the given refusal.
func found[T any](v *T, err error, notFound error) (*T, error) {
	if err == nil && v == nil {
		err = notFound
	}
	return v, err
}

func key(s store.Store, recordType string, attrs ...string) string {
	k, err := s.Key(recordType, attrs...)
	if err != nil {
		panic(err) // attributes are validated before they reach a key
	}
	return k
}

// ---- issuer keys ----

func (a *App) RegisterIssuerKey(s store.Store, inputJSON string) (*domain.IssuerKey, error) {
	var in domain.IssuerKeyInput
	if err := decodeArg("issuerKey", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	k, err := a.registerKey(t, in)
	if err != nil {
		return nil, err
	}
	return k, emit(s, t.c, changed(domain.TypeIssuerKey, k.KeyID, "register", k.Status, k.Version))
}

func (a *App) registerKey(t *tx, in domain.IssuerKeyInput) (*domain.IssuerKey, error) {
	if err := domain.RequireAuthority(t.j, t.c.Actor, "registering an issuer key"); err != nil {
		return nil, err
	}
	pub, err := certs.ParsePublicKeyPEM([]byte(in.PublicKey))
	if err != nil {
		return nil, domain.Invalid(domain.RuleKeyMaterial, "publicKey", "not an SM2 public key in SPKI PEM: %v", err)
	}
	in.PublicKey = string(pub.PEM())
	kk := key(t.s, domain.TypeIssuerKey, pub.KeyID())
	existing, err := load[domain.IssuerKey](t.s, kk)
	if err != nil {
		return nil, err
	}
	k, err := domain.RegisterIssuerKey(t.j, existing, pub.KeyID(), in, t.now, t.c)
	if err != nil {
		return nil, err
	}
	return k, put(t.s, kk, k)
}

// RotateIssuerKey registers a new key and retires the old one in one
// transaction, so a department is never without a usable key.
func (a *App) RotateIssuerKey(s store.Store, oldKeyID, newKeyJSON, reason string) (*domain.IssuerKey, error) {
	var in domain.IssuerKeyInput
	if err := decodeArg("issuerKey", newKeyJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	old, err := a.loadKey(t.s, oldKeyID)
	if err != nil {
		return nil, err
	}
	nk, err := a.registerKey(t, in)
	if err != nil {
		return nil, err
	}
	ended, err := domain.EndIssuerKey(t.j, old, "retire", reason, nk.KeyID, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, key(s, domain.TypeIssuerKey, ended.KeyID), ended); err != nil {
		return nil, err
	}
	return nk, emit(s, t.c, changed(domain.TypeIssuerKey, nk.KeyID, "register", nk.Status, nk.Version), changed(domain.TypeIssuerKey, ended.KeyID, "retire", ended.Status, ended.Version))
}

// RevokeIssuerKey withdraws a key, with a reason.
func (a *App) RevokeIssuerKey(s store.Store, keyID, reason string) (*domain.IssuerKey, error) {
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	k, err := a.loadKey(s, keyID)
	if err != nil {
		return nil, err
	}
	ended, err := domain.EndIssuerKey(t.j, k, "revoke", reason, "", t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, key(s, domain.TypeIssuerKey, keyID), ended); err != nil {
		return nil, err
	}
	return ended, emit(s, t.c, changed(domain.TypeIssuerKey, keyID, "revoke", ended.Status, ended.Version))
}

func validKeyID(field, id string) error {
	if len(id) != 64 || !isLowerHex(id) {
		return domain.Invalid(domain.RuleKeyUnknown, field, "a key ID is 64 lowercase hex characters (SM3 of the public key)")
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

func (a *App) loadKey(s store.Store, keyID string) (*domain.IssuerKey, error) {
	if err := validKeyID("keyId", keyID); err != nil {
		return nil, err
	}
	k, err := load[domain.IssuerKey](s, key(s, domain.TypeIssuerKey, keyID))
	return found(k, err, domain.NotFound(domain.RuleKeyUnknown, "keyId", "no issuer key %s on channel %s", keyID, s.Channel()))
}

// GetIssuerKey reads a key by its ID.
func (a *App) GetIssuerKey(s store.Store, keyID string) (*domain.IssuerKey, error) {
	return a.loadKey(s, keyID)
}

// ListIssuerKeys pages through the key registry.
func (a *App) ListIssuerKeys(s store.Store, pageSize int32, bookmark string) (*domain.Page[domain.IssuerKey], error) {
	return listRecords[domain.IssuerKey](s, domain.TypeIssuerKey, nil, pageSize, bookmark)
}

// ---- calendars ----

// LoadCalendar records a year's working-day calendar; replacing a loaded
// year needs a reason and keeps the old one in the history.
func (a *App) LoadCalendar(s store.Store, calendarJSON, reason string) (*domain.Calendar, error) {
	var cal domain.Calendar
	if err := decodeArg("calendar", calendarJSON, &cal); err != nil {
		return nil, err
	}
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	if err := domain.RequireAuthority(t.j, t.c.Actor, "loading a working-day calendar"); err != nil {
		return nil, err
	}
	if err := cal.Validate(); err != nil {
		return nil, err
	}
	ck := key(s, domain.TypeCalendar, strconv.Itoa(cal.Year))
	existing, err := s.Get(ck)
	if err != nil {
		return nil, err
	}
	action := "load"
	if existing != nil {
		if err := domain.ValidateText("reason", reason, domain.MaxReason); err != nil {
			return nil, err
		}
		action = "replace"
	}
	if err := put(s, ck, cal); err != nil {
		return nil, err
	}
	return &cal, emit(s, t.c, changed(domain.TypeCalendar, strconv.Itoa(cal.Year), action, "", 0))
}

// GetCalendar reads a loaded year.
func (a *App) GetCalendar(s store.Store, year string) (*domain.Calendar, error) {
	y, err := strconv.Atoi(year)
	if err != nil || y < 2000 || y > 2999 {
		return nil, domain.Invalid(domain.RuleCalendar, "year", "must be a four-digit year, got %q", truncate(year))
	}
	c, err := load[domain.Calendar](s, key(s, domain.TypeCalendar, year))
	return found(c, err, domain.NotFound(domain.RuleCalendarYear, "year", "no calendar is loaded for %d on channel %s", y, s.Channel()))
}

// calendars loads the years a deadline from `from` can reach.
func calendars(s store.Store, from time.Time) (domain.Calendars, error) {
	cs := domain.Calendars{}
	for y := from.Year(); y <= from.Year()+1; y++ {
		c, err := load[domain.Calendar](s, key(s, domain.TypeCalendar, strconv.Itoa(y)))
		if err != nil {
			return nil, err
		}
		if c != nil {
			cs[y] = c
		}
	}
	return cs, nil
}

// ---- agreements ----

func (a *App) loadParty(s store.Store, field, code string) (*domain.Party, error) {
	if err := domain.ValidateCreditCode(field, code); err != nil {
		return nil, err
	}
	return load[domain.Party](s, key(s, domain.TypeParty, code))
}

// RecordAgreement records a signed agreement (digest only).
func (a *App) RecordAgreement(s store.Store, inputJSON string) (*domain.Agreement, error) {
	var in domain.AgreementInput
	if err := decodeArg("agreement", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	if err := domain.RequireRegistrar(t.j, t.c.Actor, "recording an agreement"); err != nil {
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
	grantor, err := a.loadParty(s, "grantorCreditCode", in.GrantorCreditCode)
	if err != nil {
		return nil, err
	}
	grantee, err := a.loadParty(s, "granteeCreditCode", in.GranteeCreditCode)
	if err != nil {
		return nil, err
	}
	ag, err := domain.RecordAgreement(t.j, p, existing, grantor, grantee, in, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, ak, ag); err != nil {
		return nil, err
	}
	return ag, emit(s, t.c, changed(domain.TypeAgreement, ag.Number, "record", ag.Status, ag.Version))
}

func (a *App) loadAgreement(s store.Store, number string) (*domain.Agreement, error) {
	if _, err := domain.ParseNumber("number", number, domain.PrefixAgreement); err != nil {
		return nil, err
	}
	ag, err := load[domain.Agreement](s, key(s, domain.TypeAgreement, number))
	return found(ag, err, domain.NotFound(domain.RuleAgreementExists, "number", "no agreement %s on channel %s", number, s.Channel()))
}

// agreementStep is the common start of a decision on an agreement by the
// channel's authority: begin, the authority check, the agreement and the
// profile; decide makes the change, which is stored.
func (a *App) agreementStep(s store.Store, number, action string, decide func(t *tx, p domain.Profile, ag *domain.Agreement) (*domain.Agreement, error)) (*tx, *domain.Agreement, error) {
	t, err := a.begin(s)
	if err != nil {
		return nil, nil, err
	}
	if err := domain.RequireAuthority(t.j, t.c.Actor, action); err != nil {
		return nil, nil, err
	}
	ag, err := a.loadAgreement(s, number)
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
	return t, next, put(s, key(s, domain.TypeAgreement, number), next)
}

// FileAgreement records the 备案 (late filings are recorded as late).
func (a *App) FileAgreement(s store.Store, number string) (*domain.Agreement, error) {
	t, next, err := a.agreementStep(s, number, "filing an agreement", func(t *tx, p domain.Profile, ag *domain.Agreement) (*domain.Agreement, error) {
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
	status := next.Status
	if next.Filing.Late {
		status += " (late)"
	}
	return next, emit(s, t.c, changed(domain.TypeAgreement, number, "file", status, next.Version))
}

// ChangeAgreement supersedes a filed agreement's document, scope or term.
func (a *App) ChangeAgreement(s store.Store, number, changeJSON, reason string) (*domain.Agreement, error) {
	var ch domain.AgreementChange
	if err := decodeArg("change", changeJSON, &ch); err != nil {
		return nil, err
	}
	t, next, err := a.agreementStep(s, number, "changing an agreement", func(t *tx, p domain.Profile, ag *domain.Agreement) (*domain.Agreement, error) {
		return domain.ChangeAgreement(t.j, p, ag, ch, reason, t.c)
	})
	if err != nil {
		return nil, err
	}
	return next, emit(s, t.c, changed(domain.TypeAgreement, number, "change", next.Status, next.Version))
}

// EndAgreement terminates or revokes an agreement: one write, whatever the
// number of credentials resting on it, each of which reads revoked from
// the next verification on (domain.CredentialRecord.EffectiveStatus).
func (a *App) EndAgreement(s store.Store, number, action, reason string) (*domain.Agreement, error) {
	t, next, err := a.agreementStep(s, number, action+" of an agreement", func(t *tx, p domain.Profile, ag *domain.Agreement) (*domain.Agreement, error) {
		return domain.EndAgreement(t.j, p, ag, action, reason, t.now, t.c)
	})
	if err != nil {
		return nil, err
	}
	return next, emit(s, t.c, changed(domain.TypeAgreement, number, action, next.Status, next.Version))
}

// agreementOf is a credential's agreement as it stands, read once per
// transaction (seen holds those read so far, nil ones included).
func agreementOf(s store.Store, seen map[string]*domain.Agreement, r *domain.CredentialRecord) (*domain.Agreement, error) {
	if ag, ok := seen[r.AgreementNumber]; ok {
		return ag, nil
	}
	ag, err := load[domain.Agreement](s, key(s, domain.TypeAgreement, r.AgreementNumber))
	if err == nil {
		seen[r.AgreementNumber] = ag
	}
	return ag, err
}

// GetAgreement reads an agreement by number.
func (a *App) GetAgreement(s store.Store, number string) (*domain.Agreement, error) {
	return a.loadAgreement(s, number)
}

// ---- credentials ----

// IssueCredential registers an SM2-signed credential: the chaincode
// verifies the signature against the channel's key registry and every rule
// of the jurisdiction before it writes anything.
func (a *App) IssueCredential(s store.Store, signedJSON, agreementNumber string) (*domain.CredentialRecord, error) {
	sd, err := beginSigned[*domain.Credential](a, s, signedJSON, "issuing a credential")
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

// signedDoc is the common start of a transaction that registers a signed
// document: the caller may issue, the document parses and validates, and
// its signature verifies with the registered key it names (a key that is
// not registered is left for the domain to refuse in its own order).
type signedDoc[D domain.Document] struct {
	t         *tx
	env       *certs.Envelope
	doc       D
	canonical []byte
	key       *domain.IssuerKey
	profile   domain.Profile
}

func beginSigned[D domain.Document](a *App, s store.Store, signedJSON, action string) (*signedDoc[D], error) {
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	if err := domain.RequireIssuer(t.j, t.c.Actor, action); err != nil {
		return nil, err
	}
	sd := &signedDoc[D]{t: t}
	if sd.env, sd.doc, sd.canonical, err = decodeSigned[D](signedJSON); err != nil {
		return nil, err
	}
	if sd.key, err = load[domain.IssuerKey](s, key(s, domain.TypeIssuerKey, sd.env.Signature.KeyID)); err != nil {
		return nil, err
	}
	if sd.key != nil {
		if err := verifySignature(sd.env, sd.key); err != nil {
			return nil, err
		}
	}
	sd.profile, err = t.profile()
	return sd, err
}

// decodeSigned parses a signed document, validates its fields and returns
// its canonical form; field errors name the field.
func decodeSigned[D domain.Document](signedJSON string) (*certs.Envelope, D, []byte, error) {
	var zero D
	if len(signedJSON) > certs.MaxDocumentSize {
		return nil, zero, nil, domain.Invalid(domain.RuleDocument, "document", "is %d bytes, at most %d", len(signedJSON), certs.MaxDocumentSize)
	}
	env, err := certs.ParseEnvelope([]byte(signedJSON))
	if err != nil {
		return nil, zero, nil, docError(err)
	}
	doc, err := certs.DecodeDocument([]byte(signedJSON))
	if err != nil {
		return nil, zero, nil, docError(err)
	}
	d, ok := doc.(D)
	if !ok {
		return nil, zero, nil, domain.Invalid(domain.RuleDocument, "docType", "is %s, not the expected document type", doc.DocType())
	}
	canonical, _ := certs.Canonicalize([]byte(signedJSON))
	return env, d, canonical, nil
}

func docError(err error) error {
	if ce, ok := err.(*certs.Error); ok {
		rule := domain.RuleDocument
		if ce.Rule != "" {
			rule = ce.Rule
		}
		return domain.Invalid(rule, ce.Field, "%s", ce.Detail)
	}
	return domain.Invalid(domain.RuleDocument, "document", "%v", err)
}

// verifySignature checks the envelope's SM2 signature with a registered key.
func verifySignature(env *certs.Envelope, k *domain.IssuerKey) error {
	pub, err := certs.ParsePublicKeyPEM([]byte(k.PublicKey))
	if err != nil {
		return fmt.Errorf("registered key %s is unreadable: %w", k.KeyID, err)
	}
	if err := certs.VerifySignature(env, pub); err != nil {
		ce, _ := err.(*certs.Error)
		field := "signature.value"
		if ce != nil {
			field = ce.Field
		}
		return domain.Forbidden(domain.RuleSignature, field, "%v", err)
	}
	return nil
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
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	if err := domain.RequireAuthority(t.j, t.c.Actor, action+" of a credential"); err != nil {
		return nil, err
	}
	r, err := a.loadCredential(s, number)
	if err != nil {
		return nil, err
	}
	next, err := domain.ChangeCredentialStatus(t.j, r, action, reason, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, key(s, domain.TypeCredential, number), next); err != nil {
		return nil, err
	}
	return next, emit(s, t.c, changed(domain.TypeCredential, number, action, next.Status, next.Version))
}

// GetCredential reads a credential record by its 授权编号.
func (a *App) GetCredential(s store.Store, number string) (*domain.CredentialRecord, error) {
	return a.loadCredential(s, number)
}

// VerifyCredential states a credential's status now, by number.
func (a *App) VerifyCredential(s store.Store, number string) (*domain.Verification, error) {
	if _, err := domain.ParseNumber("authorizationNumber", number, domain.PrefixAuthorization); err != nil {
		return nil, err
	}
	r, err := load[domain.CredentialRecord](s, key(s, domain.TypeCredential, number))
	if err != nil {
		return nil, err
	}
	if r == nil {
		return &domain.Verification{Status: domain.VerifyNotFound, Number: number, Channel: s.Channel(), Reason: "no credential with this number is registered on channel " + s.Channel()}, nil
	}
	k, err := load[domain.IssuerKey](s, key(s, domain.TypeIssuerKey, r.IssuerKeyID))
	if err != nil {
		return nil, err
	}
	ag, err := agreementOf(s, map[string]*domain.Agreement{}, r)
	if err != nil {
		return nil, err
	}
	now, _ := s.Now()
	v := domain.VerifyCredentialRecord(s.Channel(), r, k, ag, now)
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
		return &domain.Verification{Status: domain.VerifyTampered, Channel: s.Channel(), Reason: "the document is not a well-formed signed credential: " + re.Error()}, nil
	}
	v, err := a.VerifyCredential(s, doc.AuthorizationNumber)
	if err != nil || v.Status == domain.VerifyNotFound {
		return v, err
	}
	var registered domain.CredentialRecord
	_ = json.Unmarshal(v.Record, &registered)
	return checkPresented(s, env, canonical, registered.Document, v)
}

// checkPresented compares a presented signed document with the one the
// ledger registered and re-verifies its signature: tampered on any
// difference, otherwise the registered record's verification v.
func checkPresented(s store.Store, env *certs.Envelope, canonical, registered []byte, v *domain.Verification) (*domain.Verification, error) {
	tampered := func(reason string) *domain.Verification {
		return &domain.Verification{Status: domain.VerifyTampered, Number: v.Number, Channel: v.Channel, TxID: v.TxID, Time: v.Time, KeyID: v.KeyID, Reason: reason}
	}
	if diff := differingMembers(registered, canonical); len(diff) > 0 {
		return tampered(fmt.Sprintf("the document differs from the one registered in tx %s in %v", v.TxID, diff)), nil
	}
	k, err := load[domain.IssuerKey](s, key(s, domain.TypeIssuerKey, env.Signature.KeyID))
	if err != nil {
		return nil, err
	}
	if k == nil {
		return tampered("its signing key is not in the registry"), nil
	}
	if err := verifySignature(env, k); err != nil {
		return tampered(err.Error()), nil
	}
	return v, nil
}

// differingMembers lists the signed top-level members in which two signed
// documents differ (canonical values compared). The signature member is
// not signed content: a fresh signature over the same content by the
// registered key is the same document, and checkPresented verifies it.
func differingMembers(a, b []byte) []string {
	var ma, mb map[string]json.RawMessage
	_ = json.Unmarshal(a, &ma)
	_ = json.Unmarshal(b, &mb)
	delete(ma, "signature")
	delete(mb, "signature")
	var out []string
	for k, va := range ma {
		if vb, ok := mb[k]; !ok || !bytes.Equal(va, vb) {
			out = append(out, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
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
	if pageSize < 1 || pageSize > domain.MaxPageSize {
		return nil, domain.Invalid(RulePageSize, "pageSize", "must be 1..%d, got %d", domain.MaxPageSize, pageSize)
	}
	kvs, next, err := page(s, index, []string{value}, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	out := &domain.Page[domain.CredentialRecord]{Items: []domain.CredentialRecord{}, Bookmark: next}
	for _, kv := range kvs {
		number := lastAttr(kv.Key)
		r, err := load[domain.CredentialRecord](s, key(s, domain.TypeCredential, number))
		if err != nil {
			return nil, err
		}
		if r != nil {
			out.Items = append(out.Items, *r)
		}
	}
	return out, nil
}

// lastAttr is the last attribute of a composite key.
func lastAttr(compositeKey string) string {
	_, attrs, err := domain.SplitCompositeKey(compositeKey)
	if err != nil || len(attrs) == 0 {
		return ""
	}
	return attrs[len(attrs)-1]
}

// RuleBookmark: a bookmark continues the list it came from. On the peer a
// bookmark is where the range starts, with no bound below, so one that
// lies outside the list's prefix would read other records.
const RuleBookmark = "DL-BOOKMARK"

// page is Store.Page with the bookmark held to the list's own keys.
func page(s store.Store, recordType string, attrs []string, pageSize int32, bookmark string) ([]store.KV, string, error) {
	prefix, err := s.Key(recordType, attrs...)
	if err != nil {
		return nil, "", err
	}
	if bookmark != "" && !strings.HasPrefix(bookmark, prefix) {
		return nil, "", domain.Invalid(RuleBookmark, "bookmark", "is not a bookmark of this list; pass back the bookmark the previous page returned")
	}
	return s.Page(recordType, attrs, pageSize, bookmark)
}

func listRecords[T any](s store.Store, recordType string, attrs []string, pageSize int32, bookmark string) (*domain.Page[T], error) {
	if pageSize < 1 || pageSize > domain.MaxPageSize {
		return nil, domain.Invalid(RulePageSize, "pageSize", "must be 1..%d, got %d", domain.MaxPageSize, pageSize)
	}
	kvs, next, err := page(s, recordType, attrs, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	out := &domain.Page[T]{Items: []T{}, Bookmark: next}
	for _, kv := range kvs {
		var v T
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return nil, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

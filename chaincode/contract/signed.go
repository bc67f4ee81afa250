package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

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

func beginSigned[D domain.Document](a *App, s store.Store, signedJSON string, act domain.Action) (*signedDoc[D], error) {
	t, err := a.allowed(s, act)
	if err != nil {
		return nil, err
	}
	sd := &signedDoc[D]{t: t}
	if sd.env, sd.doc, sd.canonical, err = decodeSigned[D](signedJSON); err != nil {
		return nil, err
	}
	if sd.key, err = registeredKey(s, sd.env); err != nil {
		return nil, err
	}
	sd.profile, err = t.profile()
	return sd, err
}

// registeredKey is the registered key a signed document's signature
// names, the signature verified with it; nil when the registry has no
// such key (left for the domain to refuse in its own order).
func registeredKey(s store.Store, env *certs.Envelope) (*domain.IssuerKey, error) {
	k, err := load[domain.IssuerKey](s, key(s, domain.TypeIssuerKey, env.Signature.KeyID))
	if err != nil || k == nil {
		return nil, err
	}
	return k, verifySignature(env, k)
}

// decodeSigned opens a signed document with the certs pipeline, fields
// first (certs.Open: parse, then decode and validate; the signature is
// left to verifySignature once the registered key is found), and returns
// its canonical form; field errors name the field and its rule.
func decodeSigned[D domain.Document](signedJSON string) (*certs.Envelope, D, []byte, error) {
	var zero D
	if len(signedJSON) > certs.MaxDocumentSize {
		return nil, zero, nil, domain.Invalid(domain.RuleDocument, "document", "is %d bytes, at most %d", len(signedJSON), certs.MaxDocumentSize)
	}
	o, err := certs.Open([]byte(signedJSON))
	if err != nil {
		return nil, zero, nil, docError(err)
	}
	d, ok := o.Document.(D)
	if !ok {
		return nil, zero, nil, domain.Invalid(domain.RuleDocument, "docType", "is %s, not the expected document type", o.Document.DocType())
	}
	return o.Envelope, d, o.Canonical, nil
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

// verifySignature is the pipeline's signature stage with a registered key;
// its refusals are the domain's DL-SIGNATURE.
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

// checkPresented compares a presented signed document with the one the
// ledger registered and re-verifies its signature: tampered on any
// difference, otherwise the registered record's verification v.
func checkPresented(s store.Store, env *certs.Envelope, canonical, registered []byte, v *domain.Verification) (*domain.Verification, error) {
	tampered := func(reason string) *domain.Verification {
		return &domain.Verification{Status: domain.VerifyTampered, Number: v.Number, Channel: v.Channel, TxID: v.TxID, Time: v.Time, KeyID: v.KeyID, Reason: reason,
			ReasonZh: "所出示的文件与链上登记的文件不一致或签名无效：" + reason}
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

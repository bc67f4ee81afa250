package certs

import "fmt"

// KeyFunc finds the public key a signed document names by its
// signature.keyId. It answers an error (a *Error with ReasonUnknownKey,
// or the caller's own) when it has no such key; OpenSigned returns that
// error unchanged. A nil key with a nil error is refused as an unknown key.
type KeyFunc func(keyID string) (*PublicKey, error)

// OnlyKey is a KeyFunc that answers key whatever ID is asked for: the
// signature stage then refuses a document that names another key.
func OnlyKey(key *PublicKey) KeyFunc {
	return func(string) (*PublicKey, error) { return key, nil }
}

// KeyOf is the ring as a KeyFunc: a key ID not in the ring is refused as
// an unknown key.
func (r KeyRing) KeyOf(keyID string) (*PublicKey, error) {
	if k, ok := r[keyID]; ok {
		return k, nil
	}
	return nil, &Error{Reason: ReasonUnknownKey, Field: "signature.keyId", Detail: fmt.Sprintf("no key given has ID %s (%d keys tried)", keyID, len(r))}
}

// Opened is a signed document taken apart by the pipeline: its envelope,
// its typed and validated document, and the JCS form of the whole
// document (signature included), which is what a ledger stores.
type Opened struct {
	Envelope  *Envelope
	Document  Document
	Canonical []byte
	Key       *PublicKey // the key the signature verified with; nil until Verify succeeds
}

// KeyID is the key the signature names.
func (o *Opened) KeyID() string { return o.Envelope.Signature.KeyID }

// The signed-document pipeline is four stages, each refusing with a
// *Error (Reason, Field, Detail and, for a field's domain rule, Rule):
//
//	parse   the envelope: canonical JSON, the signature member's shape
//	key     the signing key, found by the signature's key ID
//	verify  the SM2 signature over the signing input, key IDs agreeing
//	decode  the typed document by its docType, every field validated
//
// OpenSigned runs them in that order: nothing of the document's content
// is judged before its signature holds. Open runs parse and decode only;
// a caller that must report field refusals before signature refusals (the
// chaincode, whose rule codes follow that order) opens first and calls
// Verify once it has found the key.

// OpenSigned parses a signed document, finds its key with keyOf, verifies
// the signature and decodes the typed document. The caller must still
// decide whether the key was entitled to sign (its validity window and
// revocation live on the ledger).
func OpenSigned(data []byte, keyOf KeyFunc) (*Opened, error) {
	o, err := parse(data)
	if err != nil {
		return nil, err
	}
	key, err := keyOf(o.KeyID())
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, &Error{Reason: ReasonUnknownKey, Field: "signature.keyId", Detail: fmt.Sprintf("no key has ID %s", o.KeyID())}
	}
	if err := o.Verify(key); err != nil {
		return nil, err
	}
	if o.Document, err = DecodeDocument(data); err != nil {
		return nil, err
	}
	return o, nil
}

// Open parses a signed document and decodes its typed document without
// verifying the signature (Key stays nil): Verify must follow before the
// document is trusted.
func Open(data []byte) (*Opened, error) {
	o, err := parse(data)
	if err != nil {
		return nil, err
	}
	if o.Document, err = DecodeDocument(data); err != nil {
		return nil, err
	}
	return o, nil
}

// Verify checks the opened document's signature with key (see
// VerifySignature) and, when it holds, records the key.
func (o *Opened) Verify(key *PublicKey) error {
	if err := VerifySignature(o.Envelope, key); err != nil {
		return err
	}
	o.Key = key
	return nil
}

func parse(data []byte) (*Opened, error) {
	env, err := ParseEnvelope(data)
	if err != nil {
		return nil, err
	}
	return &Opened{Envelope: env, Canonical: env.canonical}, nil
}

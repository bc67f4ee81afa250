package certs

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
)

// AlgSM2SM3 is the only signature algorithm of the envelope.
const AlgSM2SM3 = "SM2-SM3"

// Signature is the envelope's "signature" member. It is not itself signed;
// the key it names is bound by the signed "issuerKeyId" member.
type Signature struct {
	Alg   string `json:"alg"`
	KeyID string `json:"keyId"`
	Value string `json:"value"` // standard base64 (with padding) of DER (r, s)
}

// Envelope is a signed JSON document: its members plus "signature".
type Envelope struct {
	Signature    Signature
	members      map[string]json.RawMessage // canonical values, signature removed
	signingInput []byte
	canonical    []byte // JCS form of the whole document, signature included
}

// Reason says why a document was refused.
type Reason string

const (
	ReasonMalformed    Reason = "malformed"     // not a well-formed envelope or document
	ReasonUnknownKey   Reason = "unknown_key"   // no key given matches its key ID
	ReasonKeyMismatch  Reason = "key_mismatch"  // signature.keyId differs from the signed issuerKeyId
	ReasonBadSignature Reason = "bad_signature" // the SM2 signature does not verify
)

// Error is a refusal with its reason and the member it concerns.
type Error struct {
	Reason Reason
	Field  string
	Detail string
	Rule   string // the domain rule a malformed field broke, when there is one
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Reason, e.Field, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Reason, e.Detail)
}

func malformed(field, format string, args ...any) *Error {
	return &Error{Reason: ReasonMalformed, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// MaxDocumentSize bounds what ParseEnvelope reads (1 MiB).
const MaxDocumentSize = 1 << 20

// ParseEnvelope reads a JSON object with a "signature" member and computes
// its signing input: the JCS form of every other member. It checks the
// envelope's shape only; VerifySignature checks the signature.
func ParseEnvelope(data []byte) (*Envelope, error) {
	e, err := parseObject(data)
	if err != nil {
		return nil, err
	}
	raw, ok := e.members["signature"]
	if !ok {
		return nil, malformed("signature", "the document has no signature member")
	}
	delete(e.members, "signature")
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e.Signature); err != nil {
		return nil, malformed("signature", "must be {\"alg\",\"keyId\",\"value\"}: %v", err)
	}
	if err := checkMembers(raw, &e.Signature); err != nil {
		err.Field = "signature." + err.Field
		return nil, err
	}
	s := e.Signature
	if s.Alg != AlgSM2SM3 {
		return nil, malformed("signature.alg", "must be %q, got %q", AlgSM2SM3, truncated(s.Alg))
	}
	if !isKeyID(s.KeyID) {
		return nil, malformed("signature.keyId", "must be 64 lowercase hex characters")
	}
	der, err := base64.StdEncoding.Strict().DecodeString(s.Value)
	if err != nil {
		return nil, malformed("signature.value", "is not standard base64: %v", err)
	}
	if _, _, err := parseSignature(der); err != nil {
		return nil, malformed("signature.value", "%v", err)
	}
	if e.signingInput, err = canonicalMembers(e.members); err != nil {
		return nil, malformed("", "%v", err)
	}
	return e, nil
}

// parseObject canonicalizes data (refusing invalid JSON and duplicate
// names) and splits the top-level object into members.
func parseObject(data []byte) (*Envelope, error) {
	if len(data) > MaxDocumentSize {
		return nil, malformed("", "document is %d bytes, more than %d", len(data), MaxDocumentSize)
	}
	canon, err := Canonicalize(data)
	if err != nil {
		return nil, malformed("", "not canonicalizable JSON: %v", err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(canon, &members); err != nil || members == nil {
		return nil, malformed("", "the document must be a JSON object")
	}
	return &Envelope{members: members, canonical: canon}, nil
}

func canonicalMembers(m map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return Canonicalize(b) // encoding/json sorts by UTF-8 bytes; JCS by UTF-16 units
}

// SigningInput is the byte string the signature covers.
func (e *Envelope) SigningInput() []byte { return e.signingInput }

// Member returns the canonical JSON of a signed member.
func (e *Envelope) Member(name string) (json.RawMessage, bool) {
	v, ok := e.members[name]
	return v, ok
}

// IssuerKeyID returns the signed "issuerKeyId" member, or "".
func (e *Envelope) IssuerKeyID() string {
	var s string
	if v, ok := e.members["issuerKeyId"]; ok {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

// Sign signs a JSON object document with key. It sets "issuerKeyId" to the
// key's ID (refusing a document that names another key), replaces any
// earlier signature, and returns the canonical JSON of the signed document.
// random is crypto/rand when nil.
func Sign(doc []byte, key *PrivateKey, random io.Reader) ([]byte, error) {
	e, err := parseObject(doc)
	if err != nil {
		return nil, err
	}
	delete(e.members, "signature")
	keyID := key.Public().KeyID()
	if v, ok := e.members["issuerKeyId"]; ok {
		var named string
		if json.Unmarshal(v, &named) != nil {
			return nil, malformed("issuerKeyId", "must be a string")
		}
		if named != "" && named != keyID {
			return nil, &Error{Reason: ReasonKeyMismatch, Field: "issuerKeyId", Detail: fmt.Sprintf("document names key %s, signing key is %s", named, keyID)}
		}
	}
	e.members["issuerKeyId"], _ = json.Marshal(keyID)
	input, err := canonicalMembers(e.members)
	if err != nil {
		return nil, err
	}
	der, err := sm2Sign(key, input, random)
	if err != nil {
		return nil, err
	}
	e.members["signature"], _ = json.Marshal(Signature{Alg: AlgSM2SM3, KeyID: keyID, Value: base64.StdEncoding.EncodeToString(der)})
	return canonicalMembers(e.members)
}

// VerifySignature checks that the envelope is signed by key: the key IDs
// agree (signature.keyId, the signed issuerKeyId when present, and the key's
// own ID) and the SM2 signature verifies over the signing input. The caller
// must still decide whether the key was entitled to sign (its validity window
// and revocation live on the ledger) and check the document's fields.
func VerifySignature(e *Envelope, key *PublicKey) error {
	if id := key.KeyID(); id != e.Signature.KeyID {
		return &Error{Reason: ReasonUnknownKey, Field: "signature.keyId", Detail: fmt.Sprintf("signed by key %s, the key given is %s", e.Signature.KeyID, id)}
	}
	if issuer := e.IssuerKeyID(); issuer != "" && issuer != e.Signature.KeyID {
		return &Error{Reason: ReasonKeyMismatch, Field: "issuerKeyId", Detail: fmt.Sprintf("signed member names key %s, signature names %s", issuer, e.Signature.KeyID)}
	}
	der, _ := base64.StdEncoding.DecodeString(e.Signature.Value)
	if !sm2Verify(key, e.signingInput, der) {
		return &Error{Reason: ReasonBadSignature, Field: "signature.value", Detail: "the SM2 signature does not verify over the document's canonical form (a signed member was changed, added or removed, or another key signed it)"}
	}
	return nil
}

func isKeyID(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && s == toLowerASCII(s)
}

func toLowerASCII(s string) string { return string(bytes.ToLower([]byte(s))) }

func truncated(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

package certs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyRing finds public keys by key ID.
type KeyRing map[string]*PublicKey

// Add puts keys into the ring under their IDs.
func (r KeyRing) Add(keys ...*PublicKey) {
	for _, k := range keys {
		r[k.KeyID()] = k
	}
}

// LoadKeyRing reads every *.pem file of dir that holds a public key.
func LoadKeyRing(dir string) (KeyRing, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	ring := KeyRing{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".pem") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if k, err := ParsePublicKeyPEM(data); err == nil {
			ring.Add(k)
		}
	}
	return ring, nil
}

// Verified is a document whose signature and fields checked out offline.
type Verified struct {
	KeyID    string
	Document Document
	Envelope *Envelope
}

// VerifyOffline checks a signed document with no network: the envelope is
// well formed, a key in ring has its key ID, the signature verifies over the
// canonical form, and every field of the typed document is valid. The caller
// must still ask the ledger whether the document is registered, in force, and
// whether the key was valid when it signed.
func VerifyOffline(data []byte, ring KeyRing) (*Verified, error) {
	env, err := ParseEnvelope(data)
	if err != nil {
		return nil, err
	}
	key, ok := ring[env.Signature.KeyID]
	if !ok {
		return nil, &Error{Reason: ReasonUnknownKey, Field: "signature.keyId", Detail: fmt.Sprintf("no key given has ID %s (%d keys tried)", env.Signature.KeyID, len(ring))}
	}
	if err := VerifySignature(env, key); err != nil {
		return nil, err
	}
	doc, err := DecodeDocument(data)
	if err != nil {
		return nil, err
	}
	return &Verified{KeyID: env.Signature.KeyID, Document: doc, Envelope: env}, nil
}

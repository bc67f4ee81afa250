package certs

import (
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
// whether the key was valid when it signed. It is OpenSigned with the ring.
func VerifyOffline(data []byte, ring KeyRing) (*Verified, error) {
	o, err := OpenSigned(data, ring.KeyOf)
	if err != nil {
		return nil, err
	}
	return &Verified{KeyID: o.KeyID(), Document: o.Document, Envelope: o.Envelope}, nil
}

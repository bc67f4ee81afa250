package certs

import (
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
)

// GenerateKey makes a new SM2 key pair; random is crypto/rand when nil.
func GenerateKey(random io.Reader) (*PrivateKey, error) { return generateKey(random) }

// Public returns the key's public half.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// KeyID is the lowercase hex SM3 digest of the SubjectPublicKeyInfo DER.
func (p *PublicKey) KeyID() string {
	d := sm3Sum(p.der)
	return hex.EncodeToString(d[:])
}

// DER returns the SubjectPublicKeyInfo encoding.
func (p *PublicKey) DER() []byte { return append([]byte(nil), p.der...) }

// PEM returns the key as a "PUBLIC KEY" PEM block.
func (p *PublicKey) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: p.der})
}

// ParsePublicKeyDER parses an SM2 SubjectPublicKeyInfo.
func ParsePublicKeyDER(der []byte) (*PublicKey, error) { return parsePublicKeyDER(der) }

// ParsePublicKeyPEM parses the first "PUBLIC KEY" block of data.
func ParsePublicKeyPEM(data []byte) (*PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM block found")
	}
	if b.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("PEM block is %q, want \"PUBLIC KEY\"", b.Type)
	}
	return parsePublicKeyDER(b.Bytes)
}

// PEM returns the private key as PKCS#8 PEM: "PRIVATE KEY", or "ENCRYPTED
// PRIVATE KEY" (PBES2: PBKDF2-HMAC-SHA256 with KeyIterations iterations,
// AES-256-CBC) when passphrase is non-empty.
func (k *PrivateKey) PEM(passphrase []byte) ([]byte, error) {
	typ := "PRIVATE KEY"
	if len(passphrase) == 0 {
		passphrase = nil
	} else {
		typ = "ENCRYPTED PRIVATE KEY"
	}
	der, err := marshalPrivateKeyDER(k, passphrase)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), nil
}

// KeyEncryption describes how a PKCS#8 private key PEM is protected, read
// from the key's own parameters (no passphrase needed).
type KeyEncryption struct {
	Encrypted  bool   // an "ENCRYPTED PRIVATE KEY" block with well-formed EncryptedPrivateKeyInfo
	Scheme     string // "PBES2" (or the encryption algorithm's OID when it is another)
	KDF        string // "PBKDF2", "scrypt", or the KDF's OID
	PRF        string // PBKDF2's PRF: "HMAC-SHA1" (the default), "HMAC-SHA256", …, or its OID
	Iterations int    // PBKDF2's iteration count
	ScryptN    int    // scrypt's cost parameter
}

// PrivateKeyEncryption parses the first PEM block of data the way
// ParsePrivateKeyPEM reads it and says whether, and how, it is encrypted.
// A "PRIVATE KEY" block is not encrypted whatever text surrounds it (a
// comment saying ENCRYPTED does not make it so); an "ENCRYPTED PRIVATE KEY"
// block whose content is not EncryptedPrivateKeyInfo is an error.
func PrivateKeyEncryption(data []byte) (*KeyEncryption, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM block found")
	}
	switch b.Type {
	case "PRIVATE KEY":
		return &KeyEncryption{}, nil
	case "ENCRYPTED PRIVATE KEY":
		return parseKeyEncryption(b.Bytes)
	default:
		return nil, fmt.Errorf("PEM block is %q, want \"PRIVATE KEY\" or \"ENCRYPTED PRIVATE KEY\"", b.Type)
	}
}

// ParsePrivateKeyPEM parses a PKCS#8 SM2 private key; an "ENCRYPTED PRIVATE
// KEY" block needs its passphrase.
func ParsePrivateKeyPEM(data, passphrase []byte) (*PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM block found")
	}
	switch b.Type {
	case "PRIVATE KEY":
		return parsePrivateKeyDER(b.Bytes, nil)
	case "ENCRYPTED PRIVATE KEY":
		if len(passphrase) == 0 {
			return nil, errors.New("the private key is encrypted: a passphrase is needed")
		}
		return parsePrivateKeyDER(b.Bytes, passphrase)
	default:
		return nil, fmt.Errorf("PEM block is %q, want \"PRIVATE KEY\" or \"ENCRYPTED PRIVATE KEY\"", b.Type)
	}
}

// SM3 returns the SM3 digest of data.
func SM3(data []byte) [32]byte { return sm3Sum(data) }

// SM3Hex returns the lowercase hex SM3 digest of data, the form digests take
// on the ledger.
func SM3Hex(data []byte) string {
	d := sm3Sum(data)
	return hex.EncodeToString(d[:])
}

// SM3Reader digests everything r yields, for documents too large to hold.
func SM3Reader(r io.Reader) (string, error) {
	h := newSM3()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

package certs

// This file is the only one that calls the SM2/SM3 library (emmansun/gmsm,
// which replaced tjfoc/gmsm: 18× faster SM2 verification, maintained; see
// docs/PERFORMANCE.md). Replacing the library is a change to this file
// alone; the known-answer, OpenSSL interop and fuzz tests prove it.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/emmansun/gmsm/pkcs"
	"github.com/emmansun/gmsm/pkcs8"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSM2Curve    = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}
)

// PublicKey is an SM2 public key on the sm2p256v1 curve.
type PublicKey struct {
	k   *ecdsa.PublicKey
	der []byte // canonical SubjectPublicKeyInfo
}

// PrivateKey is an SM2 private key with its public half.
type PrivateKey struct {
	k   *sm2.PrivateKey
	pub *PublicKey
}

// sm3Sum returns the SM3 digest of data.
func sm3Sum(data []byte) [32]byte { return sm3.Sum(data) }

// newSM3 returns a streaming SM3 hash.
func newSM3() interface {
	io.Writer
	Sum([]byte) []byte
} {
	return sm3.New()
}

func generateKey(random io.Reader) (*PrivateKey, error) {
	if random == nil {
		random = rand.Reader
	}
	k, err := sm2.GenerateKey(random)
	if err != nil {
		return nil, err
	}
	return wrapPrivate(k)
}

func wrapPrivate(k *sm2.PrivateKey) (*PrivateKey, error) {
	pub, err := wrapPublic(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{k: k, pub: pub}, nil
}

func wrapPublic(k *ecdsa.PublicKey) (*PublicKey, error) {
	der, err := smx509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, err
	}
	return &PublicKey{k: k, der: der}, nil
}

// sm2Sign signs msg with the default user ID and returns DER (r, s).
// random supplies the per-signature nonce (crypto/rand when nil).
func sm2Sign(priv *PrivateKey, msg []byte, random io.Reader) ([]byte, error) {
	if random == nil {
		random = rand.Reader
	}
	return priv.k.Sign(random, msg, sm2.DefaultSM2SignerOpts)
}

type dsaSignature struct{ R, S *big.Int }

// parseSignature accepts only canonical DER SEQUENCE { r, s } with nothing
// after it, so one signature has exactly one encoding.
func parseSignature(der []byte) (r, s *big.Int, err error) {
	var sig dsaSignature
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil {
		return nil, nil, fmt.Errorf("signature is not DER SEQUENCE { r, s }: %v", err)
	}
	if len(rest) != 0 {
		return nil, nil, errors.New("signature has bytes after its DER SEQUENCE")
	}
	again, _ := asn1.Marshal(sig)
	if !bytes.Equal(again, der) {
		return nil, nil, errors.New("signature is not in canonical DER")
	}
	n := sm2.P256().Params().N
	if sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.Cmp(n) >= 0 || sig.S.Cmp(n) >= 0 {
		return nil, nil, errors.New("signature values are out of range [1, n-1]")
	}
	return sig.R, sig.S, nil
}

// sm2Verify reports whether der is a valid signature of msg under pub with
// the default user ID.
func sm2Verify(pub *PublicKey, msg, der []byte) bool {
	if _, _, err := parseSignature(der); err != nil {
		return false
	}
	return sm2.VerifyASN1WithSM2(pub.k, nil, msg, der)
}

// sm2VerifyRS verifies raw (r, s) values; used by the known-answer test.
func sm2VerifyRS(pub *PublicKey, msg []byte, r, s *big.Int) bool {
	der, err := asn1.Marshal(dsaSignature{R: r, S: s})
	return err == nil && sm2.VerifyASN1WithSM2(pub.k, nil, msg, der)
}

// publicKeyFromPoint builds a key from affine coordinates, checking the
// point is on the curve.
func publicKeyFromPoint(x, y *big.Int) (*PublicKey, error) {
	p := sm2.P256().Params().P
	if x.Sign() < 0 || y.Sign() < 0 || x.Cmp(p) >= 0 || y.Cmp(p) >= 0 {
		return nil, errors.New("point is not on the SM2 curve")
	}
	pt := make([]byte, 65)
	pt[0] = 4
	x.FillBytes(pt[1:33])
	y.FillBytes(pt[33:])
	k, err := sm2.NewPublicKey(pt)
	if err != nil {
		return nil, errors.New("point is not on the SM2 curve")
	}
	return wrapPublic(k)
}

type spki struct {
	Algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.ObjectIdentifier
	}
	PublicKey asn1.BitString
}

// parsePublicKeyDER parses a SubjectPublicKeyInfo holding an SM2 key:
// id-ecPublicKey, curve OID sm2p256v1, uncompressed point on the curve.
func parsePublicKeyDER(der []byte) (*PublicKey, error) {
	var info spki
	rest, err := asn1.Unmarshal(der, &info)
	if err != nil {
		return nil, fmt.Errorf("not a SubjectPublicKeyInfo: %v", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("bytes after the SubjectPublicKeyInfo")
	}
	if !info.Algorithm.Algorithm.Equal(oidECPublicKey) {
		return nil, fmt.Errorf("algorithm %v is not id-ecPublicKey", info.Algorithm.Algorithm)
	}
	if !info.Algorithm.Parameters.Equal(oidSM2Curve) {
		return nil, fmt.Errorf("curve %v is not SM2 (1.2.156.10197.1.301)", info.Algorithm.Parameters)
	}
	pt := info.PublicKey.RightAlign()
	if len(pt) != 65 || pt[0] != 4 {
		return nil, errors.New("public key is not an uncompressed 65-byte point")
	}
	return publicKeyFromPoint(new(big.Int).SetBytes(pt[1:33]), new(big.Int).SetBytes(pt[33:]))
}

type pkcs8Outer struct {
	Version   int
	Algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	PrivateKey []byte
}

// parsePrivateKeyDER parses PKCS#8 (encrypted when pass is non-nil) holding
// an SM2 key, checking the curve and 1 <= d <= n-2.
func parsePrivateKeyDER(der, pass []byte) (k *PrivateKey, err error) {
	defer func() { // parsers of attacker-supplied DER must not take the process down
		if p := recover(); p != nil {
			k, err = nil, fmt.Errorf("malformed private key (%v)", p)
		}
	}()
	if pass == nil {
		var outer pkcs8Outer
		if rest, err := asn1.Unmarshal(der, &outer); err != nil || len(rest) != 0 {
			return nil, errors.New("not a PKCS#8 PrivateKeyInfo")
		}
		var curve asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(outer.Algorithm.Parameters.FullBytes, &curve); err != nil || !outer.Algorithm.Algorithm.Equal(oidECPublicKey) || !curve.Equal(oidSM2Curve) {
			return nil, errors.New("private key is not an SM2 key (id-ecPublicKey with curve 1.2.156.10197.1.301)")
		}
	}
	var sk *sm2.PrivateKey
	if pass == nil {
		sk, err = pkcs8.ParsePKCS8PrivateKeySM2(der)
	} else {
		sk, err = pkcs8.ParsePKCS8PrivateKeySM2(der, pass)
	}
	if err != nil {
		return nil, err
	}
	n := sm2.P256().Params().N
	if sk.D.Sign() <= 0 || sk.D.Cmp(new(big.Int).Sub(n, big.NewInt(1))) >= 0 {
		return nil, errors.New("private key value is out of range [1, n-2]")
	}
	return wrapPrivate(sk)
}

// KeyIterations is the PBKDF2-HMAC-SHA256 iteration count of the keys
// PEM encrypts: OWASP's 2023 floor for PBKDF2-HMAC-SHA256. The library's
// default, 2,048, costs an attacker who has the file next to nothing per
// guessed passphrase. Keys written with fewer iterations still parse: the
// count is read from the key's own parameters.
const KeyIterations = 600_000

// keyEncryption is PBES2 with PBKDF2-HMAC-SHA256 (KeyIterations, a
// 16-byte salt) and AES-256-CBC: the PKCS#8 form OpenSSL 3 reads and
// writes (openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 600000).
var keyEncryption = pkcs.NewPBESEncrypter(pkcs.AES256CBC, pkcs.NewPBKDF2Opts(pkcs.SHA256, 16, KeyIterations))

// marshalPrivateKeyDER writes PKCS#8, encrypted with keyEncryption when
// pass is non-nil.
func marshalPrivateKeyDER(k *PrivateKey, pass []byte) ([]byte, error) {
	if pass == nil {
		return pkcs8.MarshalPrivateKey(k.k, nil, nil)
	}
	return pkcs8.MarshalPrivateKey(k.k, pass, keyEncryption)
}

// privateKeyFromScalar builds a private key from d; used by known-answer tests.
func privateKeyFromScalar(d *big.Int) (*PrivateKey, error) {
	k, err := sm2.NewPrivateKeyFromInt(d)
	if err != nil {
		return nil, err
	}
	return wrapPrivate(k)
}

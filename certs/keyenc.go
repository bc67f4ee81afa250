package certs

import (
	"encoding/asn1"
	"errors"
	"fmt"
)

var (
	oidPBES2          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt         = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
	oidHMACWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidHMACWithSM3    = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401, 2}
)

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

// EncryptedPrivateKeyInfo (RFC 5958).
type encryptedPrivateKeyInfo struct {
	Algorithm     algorithmIdentifier
	EncryptedData []byte
}

// PBES2-params (RFC 8018 A.4).
type pbes2Params struct {
	KeyDerivationFunc algorithmIdentifier
	EncryptionScheme  algorithmIdentifier
}

// PBKDF2-params (RFC 8018 A.2); the PRF defaults to HMAC-SHA1.
type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                 `asn1:"optional"`
	PRF            algorithmIdentifier `asn1:"optional"`
}

// scrypt-params (RFC 7914 §7).
type scryptParams struct {
	Salt                     []byte
	CostParameter            int
	BlockSize                int
	ParallelizationParameter int
	KeyLength                int `asn1:"optional"`
}

func parseKeyEncryption(der []byte) (*KeyEncryption, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 || len(info.EncryptedData) == 0 {
		return nil, errors.New("an ENCRYPTED PRIVATE KEY block that is not EncryptedPrivateKeyInfo")
	}
	e := &KeyEncryption{Encrypted: true, Scheme: info.Algorithm.Algorithm.String()}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return e, nil // PBES1 or another scheme: encrypted, parameters not described
	}
	e.Scheme = "PBES2"
	var p pbes2Params
	if rest, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &p); err != nil || len(rest) != 0 {
		return nil, errors.New("malformed PBES2 parameters")
	}
	kdf := p.KeyDerivationFunc
	switch {
	case kdf.Algorithm.Equal(oidPBKDF2):
		e.KDF = "PBKDF2"
		var kp pbkdf2Params
		if rest, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &kp); err != nil || len(rest) != 0 {
			return nil, errors.New("malformed PBKDF2 parameters")
		}
		e.Iterations = kp.IterationCount
		switch prf := kp.PRF.Algorithm; {
		case len(prf) == 0 || prf.Equal(oidHMACWithSHA1):
			e.PRF = "HMAC-SHA1"
		case prf.Equal(oidHMACWithSHA256):
			e.PRF = "HMAC-SHA256"
		case prf.Equal(oidHMACWithSHA512):
			e.PRF = "HMAC-SHA512"
		case prf.Equal(oidHMACWithSM3):
			e.PRF = "HMAC-SM3"
		default:
			e.PRF = prf.String()
		}
	case kdf.Algorithm.Equal(oidScrypt):
		e.KDF = "scrypt"
		var sp scryptParams
		if rest, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &sp); err != nil || len(rest) != 0 {
			return nil, errors.New("malformed scrypt parameters")
		}
		e.ScryptN = sp.CostParameter
	default:
		e.KDF = kdf.Algorithm.String()
	}
	return e, nil
}

// String describes the protection, e.g. "PBES2 PBKDF2-HMAC-SHA256, 600000 iterations".
func (e *KeyEncryption) String() string {
	switch {
	case !e.Encrypted:
		return "not encrypted"
	case e.KDF == "PBKDF2":
		return fmt.Sprintf("%s PBKDF2-%s, %d iterations", e.Scheme, e.PRF, e.Iterations)
	case e.KDF == "scrypt":
		return fmt.Sprintf("%s scrypt, N=%d", e.Scheme, e.ScryptN)
	}
	return e.Scheme + " " + e.KDF
}

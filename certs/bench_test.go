package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	esm2 "github.com/emmansun/gmsm/sm2"
	esm3 "github.com/emmansun/gmsm/sm3"
	tsm2 "github.com/tjfoc/gmsm/sm2"
	tsm3 "github.com/tjfoc/gmsm/sm3"
)

// The benchmarks put certs' own path (certs/sm.go, emmansun/gmsm) side by
// side with tjfoc/gmsm (which it replaced) and crypto/ecdsa P-256 in the
// same run: docs/PERFORMANCE.md has the ratios and the command.

var kib = make([]byte, 1024)

func BenchmarkSM3_1KiB(b *testing.B) {
	b.Run("certs", func(b *testing.B) {
		b.SetBytes(1024)
		for i := 0; i < b.N; i++ {
			SM3(kib)
		}
	})
	b.Run("tjfoc", func(b *testing.B) {
		b.SetBytes(1024)
		for i := 0; i < b.N; i++ {
			tsm3.Sm3Sum(kib)
		}
	})
	b.Run("emmansun", func(b *testing.B) {
		b.SetBytes(1024)
		for i := 0; i < b.N; i++ {
			esm3.Sum(kib)
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(1024)
		for i := 0; i < b.N; i++ {
			sha256.Sum256(kib)
		}
	})
}

func benchInput(b *testing.B) []byte {
	in, err := Canonicalize(mustJSON(b, sampleCertificate()))
	if err != nil {
		b.Fatal(err)
	}
	return in
}

func BenchmarkSign(b *testing.B) {
	msg := benchInput(b)
	b.Run("certs-SM2", func(b *testing.B) {
		k := mustKey(b)
		for i := 0; i < b.N; i++ {
			if _, err := sm2Sign(k, msg, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tjfoc-SM2", func(b *testing.B) {
		k, _ := tsm2.GenerateKey(rand.Reader)
		for i := 0; i < b.N; i++ {
			if _, err := k.Sign(rand.Reader, msg, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("emmansun-SM2", func(b *testing.B) {
		k, _ := esm2.GenerateKey(rand.Reader)
		for i := 0; i < b.N; i++ {
			if _, err := k.Sign(rand.Reader, msg, esm2.DefaultSM2SignerOpts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ecdsa-P256", func(b *testing.B) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		for i := 0; i < b.N; i++ {
			d := sha256.Sum256(msg)
			if _, err := ecdsa.SignASN1(rand.Reader, k, d[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	msg := benchInput(b)
	b.Run("certs-SM2", func(b *testing.B) {
		k := mustKey(b)
		sig, _ := sm2Sign(k, msg, nil)
		for i := 0; i < b.N; i++ {
			if !sm2Verify(k.Public(), msg, sig) {
				b.Fatal("no")
			}
		}
	})
	b.Run("tjfoc-SM2", func(b *testing.B) {
		k, _ := tsm2.GenerateKey(rand.Reader)
		sig, _ := k.Sign(rand.Reader, msg, nil)
		for i := 0; i < b.N; i++ {
			if !k.PublicKey.Verify(msg, sig) {
				b.Fatal("no")
			}
		}
	})
	b.Run("emmansun-SM2", func(b *testing.B) {
		k, _ := esm2.GenerateKey(rand.Reader)
		sig, _ := k.Sign(rand.Reader, msg, esm2.DefaultSM2SignerOpts)
		for i := 0; i < b.N; i++ {
			if !esm2.VerifyASN1WithSM2(&k.PublicKey, nil, msg, sig) {
				b.Fatal("no")
			}
		}
	})
	b.Run("ecdsa-P256", func(b *testing.B) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		d := sha256.Sum256(msg)
		sig, _ := ecdsa.SignASN1(rand.Reader, k, d[:])
		for i := 0; i < b.N; i++ {
			d := sha256.Sum256(msg)
			if !ecdsa.VerifyASN1(&k.PublicKey, d[:], sig) {
				b.Fatal("no")
			}
		}
	})
}

func BenchmarkCanonicalizeCertificate(b *testing.B) {
	doc := mustJSON(b, sampleCertificate())
	b.SetBytes(int64(len(doc)))
	for i := 0; i < b.N; i++ {
		if _, err := Canonicalize(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyOffline is the whole offline check of a signed
// certificate: parse, canonicalize, SM2 verify, decode and validate.
func BenchmarkVerifyOffline(b *testing.B) {
	k := mustKey(b)
	signed, _ := Sign(mustJSON(b, sampleCertificate()), k, nil)
	ring := KeyRing{k.Public().KeyID(): k.Public()}
	for i := 0; i < b.N; i++ {
		if _, err := VerifyOffline(signed, ring); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEmmansunAgreesWithUs cross-checks a second independent SM2
// implementation both ways, on the same canonical bytes.
func TestEmmansunAgreesWithUs(t *testing.T) {
	key := mustKey(t)
	signed, _ := Sign(mustJSON(t, sampleCredential()), key, nil)
	env, _ := ParseEnvelope(signed)
	epub, err := esm2.NewPublicKey(key.Public().DER()[len(key.Public().DER())-65:])
	if err != nil {
		t.Fatal(err)
	}
	if !esm2.VerifyASN1WithSM2(epub, nil, env.SigningInput(), decodeSig(t, env)) {
		t.Fatal("emmansun/gmsm does not verify our signature")
	}
	ek, _ := esm2.GenerateKey(rand.Reader)
	sig, _ := ek.Sign(rand.Reader, env.SigningInput(), esm2.DefaultSM2SignerOpts)
	pub, err := publicKeyFromPoint(ek.PublicKey.X, ek.PublicKey.Y)
	if err != nil {
		t.Fatal(err)
	}
	if !sm2Verify(pub, env.SigningInput(), sig) {
		t.Fatal("we do not verify emmansun/gmsm's signature")
	}
}

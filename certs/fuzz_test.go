package certs

import (
	"testing"
)

// The fuzz targets feed hostile bytes to every parser of the package; the
// only acceptable outcomes are a result or an error, never a panic.

func FuzzVerifyOffline(f *testing.F) {
	key, _ := GenerateKey(nil)
	ring := KeyRing{key.Public().KeyID(): key.Public()}
	for _, doc := range []Document{sampleCredential(), sampleCertificate()} {
		signed, _ := Sign(mustJSON(f, doc), key, nil)
		f.Add(signed)
	}
	f.Add([]byte(`{"signature":{"alg":"SM2-SM3","keyId":"","value":""}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := VerifyOffline(data, ring)
		if err == nil && (v == nil || v.Document.Validate() != nil) {
			t.Fatal("accepted a document that does not validate")
		}
		if env, err := ParseEnvelope(data); err == nil {
			_ = VerifySignature(env, key.Public())
		}
	})
}

func FuzzParseKeys(f *testing.F) {
	key, _ := GenerateKey(nil)
	plain, _ := key.PEM(nil)
	enc, _ := key.PEM([]byte("pw"))
	f.Add(plain)
	f.Add(enc)
	f.Add(key.Public().PEM())
	f.Add(key.Public().DER())
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := ParsePrivateKeyPEM(data, nil); err == nil {
			_ = k.Public().KeyID()
		}
		if k, err := ParsePrivateKeyPEM(data, []byte("pw")); err == nil {
			_ = k.Public().KeyID()
		}
		if k, err := ParsePublicKeyPEM(data); err == nil {
			if again, err := ParsePublicKeyDER(k.DER()); err != nil || again.KeyID() != k.KeyID() {
				t.Fatal("a parsed public key does not round-trip")
			}
		}
		_, _ = ParsePublicKeyDER(data)
	})
}

func FuzzCanonicalize(f *testing.F) {
	for _, v := range loadKAT(f).JCS {
		f.Add([]byte(v.Input))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Canonicalize(data)
		if err != nil {
			return
		}
		again, err := Canonicalize(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("canonical form is not a fixed point: %q -> %q (%v)", out, again, err)
		}
	})
}

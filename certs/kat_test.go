package certs

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"testing"
)

type katFile struct {
	SM3 []struct {
		Message string
		Repeat  int
		Digest  string
	}
	SM2 struct{ D, Px, Py, Message, K, R, S string }
	JCS []struct{ Name, Input, Output string }
}

func loadKAT(t testing.TB) katFile {
	data, err := os.ReadFile("testdata/kat.json")
	if err != nil {
		t.Fatal(err)
	}
	var k katFile
	if err := json.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	return k
}

func hexInt(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("bad hex " + s)
	}
	return v
}

func TestSM3KnownAnswers(t *testing.T) {
	for _, v := range loadKAT(t).SM3 {
		msg := strings.Repeat(v.Message, v.Repeat)
		if got := SM3Hex([]byte(msg)); got != v.Digest {
			t.Errorf("SM3(%q×%d) = %s, want %s", v.Message, v.Repeat, got, v.Digest)
		}
		if got, _ := SM3Reader(strings.NewReader(msg)); got != v.Digest {
			t.Errorf("SM3Reader(%q×%d) = %s, want %s", v.Message, v.Repeat, got, v.Digest)
		}
	}
}

// fixedNonce yields bytes b with b mod (n-1) + 1 = k, the way the library
// derives its nonce from 40 random bytes.
func fixedNonce(k *big.Int) *bytes.Reader {
	b := new(big.Int).Sub(k, big.NewInt(1)).FillBytes(make([]byte, 40))
	return bytes.NewReader(b)
}

func TestSM2KnownAnswer(t *testing.T) {
	v := loadKAT(t).SM2
	priv, err := privateKeyFromScalar(hexInt(v.D))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := publicKeyFromPoint(hexInt(v.Px), hexInt(v.Py))
	if err != nil {
		t.Fatal(err)
	}
	if priv.Public().KeyID() != pub.KeyID() {
		t.Fatal("public key derived from d differs from the published point")
	}
	r, s := hexInt(v.R), hexInt(v.S)
	if !sm2VerifyRS(pub, []byte(v.Message), r, s) {
		t.Fatal("published signature does not verify")
	}
	if sm2VerifyRS(pub, []byte(v.Message+"!"), r, s) {
		t.Fatal("published signature verifies another message")
	}
	der, err := sm2Sign(priv, []byte(v.Message), fixedNonce(hexInt(v.K)))
	if err != nil {
		t.Fatal(err)
	}
	gr, gs, err := parseSignature(der)
	if err != nil {
		t.Fatal(err)
	}
	if gr.Cmp(r) != 0 || gs.Cmp(s) != 0 {
		t.Fatalf("signing with the published k gave r=%X s=%X", gr, gs)
	}
	if !sm2Verify(pub, []byte(v.Message), der) {
		t.Fatal("DER form of the published signature does not verify")
	}
}

func TestCanonicalizeRFC8785(t *testing.T) {
	for _, v := range loadKAT(t).JCS {
		got, err := Canonicalize([]byte(v.Input))
		if err != nil {
			t.Errorf("%s: %v", v.Name, err)
			continue
		}
		if string(got) != v.Output {
			t.Errorf("%s:\n got %s\nwant %s", v.Name, got, v.Output)
		}
	}
}

func TestCanonicalizeRefuses(t *testing.T) {
	for _, in := range []string{`{"a":1,"a":2}`, `{"a":`, `{"a":"\xff"}`, `[1,]`, `{"a":1} x`} {
		if out, err := Canonicalize([]byte(in)); err == nil {
			t.Errorf("Canonicalize(%q) = %s, want an error", in, out)
		}
	}
}

func TestKeyIDIsSM3OfSPKI(t *testing.T) {
	k, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := SM3(k.Public().DER())
	if k.Public().KeyID() != hex.EncodeToString(d[:]) || len(k.Public().KeyID()) != 64 {
		t.Fatal("key ID is not the hex SM3 of the SubjectPublicKeyInfo")
	}
}

package certs

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
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

// signWithK computes the GB/T 32918.2 signature of msg with nonce k from
// the definition (e = SM3(ZA ‖ M), ZA over the default ID, r = e + x1,
// s = (1+d)⁻¹(k − r·d)), using only SM3 and the curve: the published
// vector, our ZA and the curve parameters agree. (The library hedges its
// nonces, so its Sign cannot be handed a published k.)
func signWithK(d, k *big.Int, px, py *big.Int, msg []byte) (r, s *big.Int) {
	c := sm2.P256()
	p := c.Params()
	word := func(v *big.Int) []byte { return v.FillBytes(make([]byte, 32)) }
	a := new(big.Int).Sub(p.P, big.NewInt(3))
	id := []byte("1234567812345678")
	za := SM3(bytes.Join([][]byte{{0x00, 0x80}, id, word(a), word(p.B), word(p.Gx), word(p.Gy), word(px), word(py)}, nil))
	e := SM3(append(za[:], msg...))
	x1, _ := c.ScalarBaseMult(word(k))
	r = new(big.Int).Add(new(big.Int).SetBytes(e[:]), x1)
	r.Mod(r, p.N)
	inv := new(big.Int).ModInverse(new(big.Int).Add(d, big.NewInt(1)), p.N)
	s = new(big.Int).Sub(k, new(big.Int).Mul(r, d))
	s.Mul(s, inv).Mod(s, p.N)
	return r, s
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
	if gr, gs := signWithK(hexInt(v.D), hexInt(v.K), hexInt(v.Px), hexInt(v.Py), []byte(v.Message)); gr.Cmp(r) != 0 || gs.Cmp(s) != 0 {
		t.Fatalf("signing with the published k gave r=%X s=%X", gr, gs)
	}
	der, err := asn1.Marshal(dsaSignature{R: r, S: s})
	if err != nil {
		t.Fatal(err)
	}
	if !sm2Verify(pub, []byte(v.Message), der) {
		t.Fatal("DER form of the published signature does not verify")
	}
	// Our own signature of the message verifies, and not over another.
	mine, err := sm2Sign(priv, []byte(v.Message), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sm2Verify(pub, []byte(v.Message), mine) || sm2Verify(pub, []byte(v.Message+"!"), mine) {
		t.Fatal("a fresh signature of the message does not verify, or verifies another")
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

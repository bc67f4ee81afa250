package certs

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
)

func reasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func TestSignVerifyRoundTrip(t *testing.T) {
	key := mustKey(t)
	for _, doc := range []Document{sampleCredential(), sampleCertificate()} {
		signed, err := Sign(mustJSON(t, doc), key, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, err := VerifyOffline(signed, KeyRing{key.Public().KeyID(): key.Public()})
		if err != nil {
			t.Fatalf("%s: %v", doc.DocType(), err)
		}
		if v.KeyID != key.Public().KeyID() || v.Document.DocType() != doc.DocType() {
			t.Fatalf("verified %s by %s", v.Document.DocType(), v.KeyID)
		}
		canon, _ := Canonicalize(signed)
		if string(canon) != string(signed) {
			t.Fatal("Sign did not return the canonical form")
		}
	}
}

func TestSignRefusesDocumentNamingAnotherKey(t *testing.T) {
	doc := sampleCredential()
	doc.IssuerKeyID = mustKey(t).Public().KeyID()
	_, err := Sign(mustJSON(t, doc), mustKey(t), nil)
	if reasonOf(err) != ReasonKeyMismatch {
		t.Fatalf("got %v, want key_mismatch", err)
	}
}

// TestTampering changes, removes and adds each signed member and swaps keys:
// every variant must fail with a reason.
func TestTampering(t *testing.T) {
	key := mustKey(t)
	ring := KeyRing{key.Public().KeyID(): key.Public()}
	signed, err := Sign(mustJSON(t, sampleCertificate()), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(signed, &members); err != nil {
		t.Fatal(err)
	}
	variant := func(edit func(m map[string]json.RawMessage)) []byte {
		m := map[string]json.RawMessage{}
		for k, v := range members {
			m[k] = v
		}
		edit(m)
		return mustJSON(t, m)
	}
	for name := range members {
		if name == "signature" {
			continue
		}
		changed := variant(func(m map[string]json.RawMessage) {
			switch m[name][0] {
			case '"':
				m[name] = json.RawMessage(`"X` + string(m[name][1:]))
			case '[':
				m[name] = json.RawMessage(`[]`)
			case '{':
				m[name] = json.RawMessage(`{"channel":"liuzhou","txId":"` + SM3Hex([]byte("other")) + `"}`)
			default:
				m[name] = json.RawMessage(`true`)
				if string(members[name]) == "true" {
					m[name] = json.RawMessage(`false`)
				}
			}
		})
		if _, err := VerifyOffline(changed, ring); err == nil {
			t.Errorf("changing %s was not detected", name)
		}
		removed := variant(func(m map[string]json.RawMessage) { delete(m, name) })
		if _, err := VerifyOffline(removed, ring); err == nil {
			t.Errorf("removing %s was not detected", name)
		}
	}
	added := variant(func(m map[string]json.RawMessage) { m["note"] = json.RawMessage(`"x"`) })
	if _, err := VerifyOffline(added, ring); reasonOf(err) != ReasonBadSignature {
		t.Errorf("adding a member: got %v, want bad_signature", err)
	}
	other := mustKey(t)
	if _, err := VerifyOffline(signed, KeyRing{other.Public().KeyID(): other.Public()}); reasonOf(err) != ReasonUnknownKey {
		t.Errorf("another key only: got %v, want unknown_key", err)
	}
	// Re-signed by another key but claiming the original key ID.
	resigned, _ := Sign(variant(func(m map[string]json.RawMessage) { delete(m, "signature"); delete(m, "issuerKeyId") }), other, nil)
	var rs map[string]json.RawMessage
	_ = json.Unmarshal(resigned, &rs)
	swapped := variant(func(m map[string]json.RawMessage) {
		var sig Signature
		_ = json.Unmarshal(rs["signature"], &sig)
		sig.KeyID = key.Public().KeyID()
		m["signature"] = mustJSON(t, sig)
	})
	if _, err := VerifyOffline(swapped, ring); reasonOf(err) != ReasonBadSignature {
		t.Errorf("signature of another key: got %v, want bad_signature", err)
	}
	// A signature with trailing bytes after its DER is refused, not accepted.
	trailing := variant(func(m map[string]json.RawMessage) {
		var sig Signature
		_ = json.Unmarshal(m["signature"], &sig)
		der, _ := base64.StdEncoding.DecodeString(sig.Value)
		sig.Value = base64.StdEncoding.EncodeToString(append(der, 0))
		m["signature"] = mustJSON(t, sig)
	})
	if _, err := VerifyOffline(trailing, ring); reasonOf(err) != ReasonMalformed {
		t.Errorf("trailing bytes in signature: got %v, want malformed", err)
	}
}

func TestMalformedEnvelopes(t *testing.T) {
	key := mustKey(t)
	ring := KeyRing{key.Public().KeyID(): key.Public()}
	cases := map[string]string{
		"not json":          `{`,
		"array":             `[1]`,
		"no signature":      `{"docType":"x"}`,
		"bad alg":           `{"signature":{"alg":"RSA","keyId":"` + key.Public().KeyID() + `","value":"AA=="}}`,
		"bad key id":        `{"signature":{"alg":"SM2-SM3","keyId":"ABC","value":"AA=="}}`,
		"bad base64":        `{"signature":{"alg":"SM2-SM3","keyId":"` + key.Public().KeyID() + `","value":"***"}}`,
		"extra sig member":  `{"signature":{"alg":"SM2-SM3","keyId":"` + key.Public().KeyID() + `","value":"AA==","x":1}}`,
		"duplicate members": `{"a":1,"a":2,"signature":{}}`,
	}
	for name, in := range cases {
		if _, err := VerifyOffline([]byte(in), ring); reasonOf(err) != ReasonMalformed {
			t.Errorf("%s: got %v, want malformed", name, err)
		}
	}
}

func TestDocumentValidation(t *testing.T) {
	key := mustKey(t)
	ring := KeyRing{key.Public().KeyID(): key.Public()}
	cases := []struct {
		field string
		edit  func(c *Credential)
	}{
		{"holderCreditCode", func(c *Credential) { c.HolderCreditCode = "91350100M000100Y44" }},
		{"holderName", func(c *Credential) { c.HolderName = "" }},
		{"holderName", func(c *Credential) { c.HolderName = "ACME\u202eCORP" }},
		{"validUntil", func(c *Credential) { c.ValidUntil = "2025-12-31" }},
		{"validFrom", func(c *Credential) { c.ValidFrom = "2026-02-30" }},
		{"divisionCode", func(c *Credential) { c.DivisionCode = "990000" }},
		{"agreementDigest", func(c *Credential) { c.AgreementDigest = "abc" }},
		{"scope", func(c *Credential) { c.Scope = string(make([]rune, 2001)) }},
		{"authorizationNumber", func(c *Credential) { c.AuthorizationNumber = "../../etc" }},
	}
	for _, tc := range cases {
		c := sampleCredential()
		tc.edit(c)
		signed, err := Sign(mustJSON(t, c), key, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = VerifyOffline(signed, ring)
		var e *Error
		if !errors.As(err, &e) || e.Reason != ReasonMalformed || e.Field != tc.field {
			t.Errorf("%s: got %v, want malformed naming %s", tc.field, err, tc.field)
		}
	}
	cert := sampleCertificate()
	cert.ProductType = "painting"
	signed, _ := Sign(mustJSON(t, cert), key, nil)
	if _, err := VerifyOffline(signed, ring); err == nil {
		t.Error("unknown product type accepted")
	}
	var unknown map[string]any
	_ = json.Unmarshal(mustJSON(t, sampleCredential()), &unknown)
	unknown["extra"] = "x"
	signed, _ = Sign(mustJSON(t, unknown), key, nil)
	if _, err := VerifyOffline(signed, ring); reasonOf(err) != ReasonMalformed {
		t.Errorf("unknown member: got %v, want malformed", err)
	}
}

func TestLabels(t *testing.T) {
	for _, f := range sampleCertificate().Fields() {
		if f.Label == "" {
			t.Errorf("%s has no label", f.Name)
		}
	}
	if sampleCertificate().Fields()[3].Value != "数据集" {
		t.Error("product type is not shown with its Chinese label")
	}
}

func TestPEMRoundTrip(t *testing.T) {
	key := mustKey(t)
	for _, pass := range [][]byte{nil, []byte("correct horse")} {
		p, err := key.PEM(pass)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParsePrivateKeyPEM(p, pass)
		if err != nil {
			t.Fatal(err)
		}
		if back.Public().KeyID() != key.Public().KeyID() {
			t.Fatal("private key changed in PEM round trip")
		}
		if pass != nil {
			if _, err := ParsePrivateKeyPEM(p, nil); err == nil {
				t.Error("encrypted key parsed without passphrase")
			}
			if _, err := ParsePrivateKeyPEM(p, []byte("wrong")); err == nil {
				t.Error("encrypted key parsed with the wrong passphrase")
			}
		}
	}
	pub, err := ParsePublicKeyPEM(key.Public().PEM())
	if err != nil || pub.KeyID() != key.Public().KeyID() {
		t.Fatalf("public PEM round trip: %v", err)
	}
}

package certs

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// tamperedWithBadField is a signed credential whose scope was afterwards
// emptied: both its signature and one of its fields fail.
func tamperedWithBadField(t *testing.T, key *PrivateKey) []byte {
	t.Helper()
	signed, err := Sign(mustJSON(t, sampleCredential()), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(signed, &m); err != nil {
		t.Fatal(err)
	}
	m["scope"] = json.RawMessage(`""`)
	return mustJSON(t, m)
}

func TestOpenSignedGivesEverythingACallerKeeps(t *testing.T) {
	key := mustKey(t)
	signed, err := Sign(mustJSON(t, sampleCertificate()), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	spaced := append([]byte(" "), signed...)
	o, err := OpenSigned(spaced, OnlyKey(key.Public()))
	if err != nil {
		t.Fatal(err)
	}
	if o.KeyID() != key.Public().KeyID() || o.Key != key.Public() || o.Document.DocType() != TypeCertificate {
		t.Fatalf("opened %+v", o)
	}
	if !bytes.Equal(o.Canonical, signed) {
		t.Fatalf("canonical form %s, want %s", o.Canonical, signed)
	}
}

// OpenSigned judges the signature before the content; Open judges the
// content and leaves the signature to Verify.
func TestStageOrder(t *testing.T) {
	key := mustKey(t)
	bad := tamperedWithBadField(t, key)
	if _, err := OpenSigned(bad, OnlyKey(key.Public())); reasonOf(err) != ReasonBadSignature {
		t.Fatalf("OpenSigned: %v, want bad_signature", err)
	}
	_, err := Open(bad)
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonMalformed || e.Field != "scope" || e.Rule == "" {
		t.Fatalf("Open: %#v, want the scope's rule", err)
	}

	good, _ := Sign(mustJSON(t, sampleCredential()), key, nil)
	o, err := Open(good)
	if err != nil || o.Key != nil {
		t.Fatalf("Open: %v, key %v", err, o.Key)
	}
	if err := o.Verify(mustKey(t).Public()); reasonOf(err) != ReasonUnknownKey || o.Key != nil {
		t.Fatalf("Verify with another key: %v", err)
	}
	if err := o.Verify(key.Public()); err != nil || o.Key != key.Public() {
		t.Fatalf("Verify: %v", err)
	}
}

func TestKeyFuncAnswers(t *testing.T) {
	key := mustKey(t)
	signed, _ := Sign(mustJSON(t, sampleCredential()), key, nil)
	mine := errors.New("the registry is down")
	if _, err := OpenSigned(signed, func(string) (*PublicKey, error) { return nil, mine }); err != mine {
		t.Fatalf("the key function's error came back as %v", err)
	}
	if _, err := OpenSigned(signed, func(string) (*PublicKey, error) { return nil, nil }); reasonOf(err) != ReasonUnknownKey {
		t.Fatalf("no key: %v", err)
	}
	if _, err := OpenSigned(signed, KeyRing{}.KeyOf); reasonOf(err) != ReasonUnknownKey {
		t.Fatalf("empty ring: %v", err)
	}
}

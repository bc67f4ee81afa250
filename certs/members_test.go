package certs

import (
	"strings"
	"testing"

	"dataledger/internal/strictjson"
)

// A signed member named like another but for case (HolderCreditCode next
// to holderCreditCode) is signed content a verifier matching names exactly
// reads one way and Go's decoder another: the pipeline refuses it, as it
// refuses a duplicate member anywhere in a document it decodes.
func TestAmbiguousMembersAreRefused(t *testing.T) {
	key := mustKey(t)
	doc := string(mustJSON(t, sampleCredential()))
	caseVariant := strings.Replace(doc, `"holderCreditCode":`, `"HolderCreditCode":"91450100MA5L0000AW","holderCreditCode":`, 1)
	signed, err := Sign([]byte(caseVariant), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func([]byte) error{
		"Open":           func(b []byte) error { _, err := Open(b); return err },
		"OpenSigned":     func(b []byte) error { _, err := OpenSigned(b, OnlyKey(key.Public())); return err },
		"DecodeDocument": func(b []byte) error { _, err := DecodeDocument(b); return err },
	} {
		err := open(signed)
		ce, ok := err.(*Error)
		if !ok || ce.Reason != ReasonMalformed || ce.Rule != strictjson.Rule || ce.Field != "HolderCreditCode" {
			t.Errorf("%s of a signed case variant: got %v, want malformed %s at HolderCreditCode", name, err, strictjson.Rule)
		}
	}

	// unsigned input to DecodeDocument: duplicates (ParseEnvelope's JCS
	// refuses them in signed documents) and case variants, nested too
	cert := string(mustJSON(t, sampleCertificate()))
	for field, in := range map[string]string{
		"holderName":             strings.Replace(doc, `"holderName":`, `"holderName":"x","holderName":`, 1),
		"HOLDERNAME":             strings.Replace(doc, `"holderName":`, `"HOLDERNAME":"x","holderName":`, 1),
		"docType":                strings.Replace(doc, `"docType":`, `"docType":"certificate","docType":`, 1),
		"chainReference.channel": strings.Replace(cert, `"chainReference":{`, `"chainReference":{"channel":"liuzhou",`, 1),
		"chainReference.TxId":    strings.Replace(cert, `"chainReference":{`, `"chainReference":{"TxId":"00",`, 1),
	} {
		_, err := DecodeDocument([]byte(in))
		ce, ok := err.(*Error)
		if !ok || ce.Rule != strictjson.Rule || ce.Field != field {
			t.Errorf("%s: got %v, want malformed %s at %s", in, err, strictjson.Rule, field)
		}
	}

	// a case variant in the signature member
	good, err := Sign([]byte(doc), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), `"signature":{`, `"signature":{"ALG":"x",`, 1)
	if _, err := ParseEnvelope([]byte(bad)); err == nil {
		t.Error("a signature member with ALG next to alg was accepted")
	} else if ce, ok := err.(*Error); !ok || ce.Rule != strictjson.Rule || ce.Field != "signature.ALG" {
		t.Errorf("signature case variant: got %v", err)
	}

	// the exact names still open
	if _, err := OpenSigned(good, OnlyKey(key.Public())); err != nil {
		t.Fatal(err)
	}
}

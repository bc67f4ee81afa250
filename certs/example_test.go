package certs_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"dataledger/certs"
)

// credential is a credential (电子凭证) as an issuer prepares it before
// signing. Sign adds "issuerKeyId" and "signature".
func credential() []byte {
	doc, err := json.Marshal(certs.Credential{
		Type:                certs.TypeCredential,
		AuthorizationNumber: "SQ-450100-2026-3KQ7M2XA-J",
		HolderName:          "广西数智科技有限公司",
		HolderCreditCode:    "91350100M000100Y43",
		Scope:               "南宁市公共交通客流统计数据（目录授权）",
		ValidFrom:           "2026-01-01",
		ValidUntil:          "2028-12-31",
		IssuingDepartment:   "南宁市大数据发展局",
		IssueDate:           "2026-01-01",
		DivisionCode:        "450100",
		Channel:             "nanning",
		AgreementDigest:     certs.SM3Hex([]byte("catalog authorization agreement")),
	})
	if err != nil {
		log.Fatal(err)
	}
	return doc
}

// Sign a document with a new SM2 key, then verify it with the public key
// alone. SM2 signatures are randomized, so this prints facts about the
// result rather than its bytes.
func Example() {
	key, err := certs.GenerateKey(nil) // nil: crypto/rand
	if err != nil {
		log.Fatal(err)
	}
	signed, err := certs.Sign(credential(), key, nil)
	if err != nil {
		log.Fatal(err)
	}

	// The verifier holds only the signed document and the issuer's public
	// key (in practice from its PEM: certs.ParsePublicKeyPEM).
	pub := key.Public()
	env, err := certs.ParseEnvelope(signed)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("key ID length:", len(pub.KeyID()))
	fmt.Println("signed by this key:", env.Signature.KeyID == pub.KeyID())
	fmt.Println("algorithm:", env.Signature.Alg)
	fmt.Println("verified:", certs.VerifySignature(env, pub) == nil)
	// Output:
	// key ID length: 64
	// signed by this key: true
	// algorithm: SM2-SM3
	// verified: true
}

// Changing any signed member after signing breaks the signature. The
// refusal is a *certs.Error naming its reason and the member concerned.
func ExampleVerifySignature_tampered() {
	key, err := certs.GenerateKey(nil)
	if err != nil {
		log.Fatal(err)
	}
	signed, err := certs.Sign(credential(), key, nil)
	if err != nil {
		log.Fatal(err)
	}

	// Extend the term by a year, keeping the signature.
	var doc map[string]any
	if err := json.Unmarshal(signed, &doc); err != nil {
		log.Fatal(err)
	}
	doc["validUntil"] = "2029-12-31"
	tampered, _ := json.Marshal(doc)

	env, err := certs.ParseEnvelope(tampered) // still well formed
	if err != nil {
		log.Fatal(err)
	}
	err = certs.VerifySignature(env, key.Public())
	var refusal *certs.Error
	if errors.As(err, &refusal) {
		fmt.Println("reason:", refusal.Reason)
		fmt.Println("field:", refusal.Field)
	}
	// Output:
	// reason: bad_signature
	// field: signature.value
}

// VerifyOffline checks the signature and then every field of the typed
// document: a validly signed credential whose term ends before it starts
// is refused with the domain rule it breaks (Error.Rule).
func ExampleVerifyOffline() {
	key, err := certs.GenerateKey(nil)
	if err != nil {
		log.Fatal(err)
	}
	ring := certs.KeyRing{}
	ring.Add(key.Public())

	good, _ := certs.Sign(credential(), key, nil)
	v, err := certs.VerifyOffline(good, ring)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("valid:", v.Document.DocType())

	var doc map[string]any
	_ = json.Unmarshal(credential(), &doc)
	doc["validUntil"] = "2025-12-31" // before validFrom
	unsigned, _ := json.Marshal(doc)
	bad, _ := certs.Sign(unsigned, key, nil) // Sign checks no fields
	_, err = certs.VerifyOffline(bad, ring)
	var refusal *certs.Error
	if errors.As(err, &refusal) {
		fmt.Println(refusal.Reason, refusal.Field, refusal.Rule)
	}
	// Output:
	// valid: dataledger.credential.v1
	// malformed validUntil DL-TERM
}

// Canonicalize gives the RFC 8785 (JCS) form that signatures cover:
// members sorted, no white space, numbers in their shortest form, and only
// the escapes JSON requires (Chinese text stays as it is).
func ExampleCanonicalize() {
	canon, err := certs.Canonicalize([]byte(`{
		"scope": "客流统计\u6570\u636e",
		"docType": "dataledger.credential.v1",
		"pages": 1.50e1,
		"channel": "nanning"
	}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(canon))
	// Output:
	// {"channel":"nanning","docType":"dataledger.credential.v1","pages":15,"scope":"客流统计数据"}
}

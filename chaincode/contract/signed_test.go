package contract

import (
	"encoding/json"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// The chaincode runs the certs pipeline fields first: a forged document
// naming the registered key reports its invalid field's rule before its
// signature; with valid fields it reports DL-SIGNATURE. A document of the
// wrong type is refused before the key is looked at.
func TestSignedDocumentRefusalOrder(t *testing.T) {
	f := newFixture(t, "GX")
	forger, _ := certs.GenerateKey(nil)
	forged := func(edit func(c *domain.Credential)) string {
		var m map[string]any
		_ = json.Unmarshal([]byte(f.sign(f.credential(edit), forger)), &m)
		m["signature"].(map[string]any)["keyId"], m["issuerKeyId"] = f.keyID, f.keyID
		b, _ := json.Marshal(m)
		return string(b)
	}
	issue := func(signed string) func(s store.Store) error {
		return func(s store.Store) error { _, err := app.IssueCredential(s, signed, f.agreem); return err }
	}
	f.refused(cityAOperator, domain.RuleSignature, issue(forged(nil)))
	f.refused(cityAOperator, domain.RuleTerm, issue(forged(func(c *domain.Credential) { c.ValidFrom, c.ValidUntil = "2027-01-01", "2026-12-31" })))

	cert, _ := json.Marshal(f.certificate(holderCode, "广西数智科技有限公司", nil))
	signedCert, _ := certs.Sign(cert, forger, nil) // an unregistered key: DL-KEY-UNKNOWN had the key been looked at
	f.refused(cityAOperator, domain.RuleDocument, issue(string(signedCert)))
}

package proof_test

import (
	"encoding/json"
	"strings"
	"testing"

	"dataledger/proof"
	"dataledger/proof/prooftest"
)

// The document.signature check runs the certs pipeline signature first: a
// document changed after signing fails on its signature, and one whose
// changed field is also invalid still reports the signature, not the field.
func TestDocumentSignatureCheck(t *testing.T) {
	for _, name := range []string{"certificate", "credential"} {
		t.Run(name, func(t *testing.T) {
			b := fixture(t, name)
			r := proof.Verify(b, trust(t))
			var ok *proof.Check
			for i := range r.Checks {
				if r.Checks[i].Name == "document.signature" {
					ok = &r.Checks[i]
				}
			}
			if ok == nil || !ok.OK || !strings.Contains(ok.Detail, "SM2 signature verifies with issuer key") {
				t.Fatalf("genuine: %+v", ok)
			}
			for _, empty := range []bool{false, true} {
				b := prooftest.Clone(fixture(t, name))
				var m map[string]any
				if err := json.Unmarshal(b.Document, &m); err != nil {
					t.Fatal(err)
				}
				for _, f := range []string{"productName", "scope"} {
					if s, ok := m[f].(string); ok {
						m[f] = s + "（增补）"
						if empty {
							m[f] = ""
						}
					}
				}
				b.Document, _ = json.Marshal(m)
				c := proof.Verify(b, trust(t)).Failed("document.signature")
				if c == nil || !strings.HasPrefix(c.Detail, "bad_signature: signature.value:") {
					t.Fatalf("changed (empty %v): %+v", empty, c)
				}
			}
		})
	}
}

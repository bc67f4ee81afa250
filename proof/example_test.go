package proof_test

import (
	"fmt"
	"os"

	"dataledger/proof"
)

// Verify a certificate's proof bundle offline, with the channel's genesis
// block pinned by a trust file (`dataledger proof trust` writes it; a
// verifier keeps its own copy, obtained out of band, never the bundle's).
func ExampleVerify() {
	data, err := os.ReadFile("testdata/certificate.proof.json")
	if err != nil {
		panic(err)
	}
	bundle, err := proof.ParseBundle(data)
	if err != nil {
		panic(err)
	}
	trustJSON, err := os.ReadFile("testdata/trust.json")
	if err != nil {
		panic(err)
	}
	trust, err := proof.ParseTrust(trustJSON)
	if err != nil {
		panic(err)
	}
	report := proof.Verify(bundle, trust) // report.Print(os.Stdout) lists each check with ✓ or ✗
	fmt.Println("kind:", report.Kind)
	fmt.Println("genesis pinned:", report.Pinned)
	fmt.Println("every check holds:", report.OK)
	// Output:
	// kind: certificate
	// genesis pinned: true
	// every check holds: true
}

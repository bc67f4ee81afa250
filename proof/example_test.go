package proof_test

import (
	"fmt"
	"os"

	"dataledger/proof"
)

// Verify a certificate's proof bundle offline, with the organizations'
// root certificates pinned (`dataledger proof roots` writes them; a
// verifier keeps its own copy, never the bundle's).
func ExampleVerify() {
	data, err := os.ReadFile("testdata/certificate.proof.json")
	if err != nil {
		panic(err)
	}
	bundle, err := proof.ParseBundle(data)
	if err != nil {
		panic(err)
	}
	rootsPEM, err := os.ReadFile("testdata/roots.pem")
	if err != nil {
		panic(err)
	}
	roots, err := proof.ParseCertificates(rootsPEM)
	if err != nil {
		panic(err)
	}
	report := proof.Verify(bundle, roots) // report.Print(os.Stdout) lists each check with ✓ or ✗
	fmt.Println("kind:", report.Kind)
	fmt.Println("roots pinned:", report.Pinned)
	fmt.Println("every check holds:", report.OK)
	// Output:
	// kind: certificate
	// roots pinned: true
	// every check holds: true
}

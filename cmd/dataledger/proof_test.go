package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dataledger/proof"
)

// TestProofVerifyPrintsTheDerivedStatus: `proof verify` prints the
// certificate's status derived from its links, with each link, and puts
// it in --json; a bundle missing a link fails naming it (1); a bundle of
// the format before links is malformed input (2).
func TestProofVerifyPrintsTheDerivedStatus(t *testing.T) {
	const fixture, roots = "../../proof/testdata/certificate.proof.json", "../../proof/testdata/trust.json"
	// A PEM file of roots no longer pins anything: refused as input (2).
	if code, _, errOut := cli(t, "proof", "verify", "--trust", "../../proof/testdata/roots.pem", fixture); code != 2 || !strings.Contains(errOut, "roots alone do not pin") {
		t.Fatalf("roots as --trust: %d %s", code, errOut)
	}
	code, out, errOut := cli(t, "proof", "verify", "--trust", roots, fixture)
	if code != 0 || !strings.Contains(out, "VERIFIED") || !strings.Contains(out, "status at 北京时间") ||
		!strings.Contains(out, "valid（有效）") || !strings.Contains(out, "- party       91450100MA5L0000AW") || !strings.Contains(out, "newer bundle") {
		t.Fatalf("genuine: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = cli(t, "proof", "verify", "--json", "--trust", roots, fixture)
	var rep proof.Report
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Derived == nil || rep.Derived.Status != "valid" || len(rep.Derived.Links) != 4 { // certificate, scenario agreement, enterprise, key
		t.Fatalf("--json: %d %v %s", code, err, out)
	}

	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proof.ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	b.Links = b.Links[:len(b.Links)-1] // the issuer key as it stands
	forged := filepath.Join(t.TempDir(), "forged.json")
	raw, _ := json.Marshal(b)
	_ = os.WriteFile(forged, raw, 0o644)
	if code, out, _ := cli(t, "proof", "verify", "--trust", roots, forged); code != 1 || !strings.Contains(out, "✗ links.complete         missing issuerKey") || strings.Contains(out, "status at") {
		t.Fatalf("a link left out: %d\n%s", code, out)
	}

	old := filepath.Join(t.TempDir(), "old.json")
	_ = os.WriteFile(old, []byte(strings.Replace(string(data), proof.Format, "dataledger-proof/1", 1)), 0o644)
	if code, _, errOut := cli(t, "proof", "verify", "--trust", roots, old); code != 2 || !strings.Contains(errOut, "dataledger-proof/1") {
		t.Fatalf("a version 1 bundle: %d %s", code, errOut)
	}
}

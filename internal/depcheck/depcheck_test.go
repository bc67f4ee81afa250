package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden says why a dependency may not be linked, or "".
func forbidden(pkg string) string {
	switch {
	case strings.Contains(pkg, "fabric-chaincode-go"):
		return "the Fabric chaincode shim"
	case strings.Contains(pkg, "fabric-contract-api-go"):
		return "the Fabric contract API"
	case pkg == "dataledger/chaincode/contract" || strings.HasPrefix(pkg, "dataledger/chaincode/contract/"):
		return "the chaincode"
	case pkg == "dataledger/chaincode/store" || strings.HasPrefix(pkg, "dataledger/chaincode/store/"):
		return "the chaincode's ledger store"
	}
	return ""
}

func TestNoChaincodeOutsideThePeer(t *testing.T) {
	for _, pkg := range []string{"dataledger/proof", "dataledger/gateway", "dataledger/cmd/dataledger"} {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", pkg).Output()
			if err != nil {
				msg := err.Error()
				if ee, ok := err.(*exec.ExitError); ok {
					msg += ": " + string(ee.Stderr)
				}
				t.Fatalf("go list -deps %s: %s", pkg, msg)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 10 {
				t.Fatalf("go list -deps %s listed only %v", pkg, deps)
			}
			for _, dep := range deps {
				if why := forbidden(dep); why != "" {
					t.Errorf("%s depends on %s (%s); share what it needs through dataledger/chaincode/domain", pkg, dep, why)
				}
			}
		})
	}
}

// The check itself must catch what it is for: the chaincode server links
// all of it.
func TestTheCheckCatchesTheChaincode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "dataledger/cmd/dataledger-chaincode").Output()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, dep := range strings.Fields(string(out)) {
		if why := forbidden(dep); why != "" {
			found[why] = true
		}
	}
	if len(found) != 4 {
		t.Errorf("the chaincode server's dependencies tripped %v, want all four", found)
	}
}

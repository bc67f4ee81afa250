package integration

import (
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

// TestEachOrgInItsOwnNetworkNamespace runs the same network description
// with every organization in a network namespace of its own
// (network/dataledger-netns.yaml: each org's nodes at its own address,
// listening only inside its namespace, joined by a bridge), issues a
// credential in Nanning through the city's peer and verifies it from the
// exchange's peer: the deployment is not tied to one host's loopback.
func TestEachOrgInItsOwnNetworkNamespace(t *testing.T) {
	desc := filepath.Join(root, "network", "dataledger-netns.yaml")
	nsHome := filepath.Join(t.TempDir(), "netns")
	run := func(args ...string) {
		t.Helper()
		if code, out := exitCode(t, append(args, "--home", nsHome, "--description", desc, "--fabric-tools", filepath.Join(root, "network", "fabrictools"))...); code != 0 {
			t.Fatalf("dataledger %v: exit %d\n%s", args, code, out)
		}
	}
	// Registered before up: an up that fails half way leaves processes
	// and namespaces that would load the rest of the run.
	t.Cleanup(func() { run("network", "down", "--purge") })
	run("network", "up")
	n, err := network.Open(desc, nsHome, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	n.BinDir = binDir

	// Every process of an org runs in that org's namespace.
	for _, o := range n.D.Orgs {
		out, err := exec.Command("ip", "netns", "pids", o.NetNS).Output()
		if err != nil {
			t.Fatal(err)
		}
		pids := strings.Fields(string(out))
		for _, p := range o.Peers {
			for _, id := range []string{p.ID(), "cc." + p.ID()} {
				pid, ok := n.PID(id)
				if !ok || !slices.Contains(pids, strconv.Itoa(pid)) {
					t.Fatalf("%s (pid %d) is not in namespace %s (%v)", id, pid, o.NetNS, pids)
				}
			}
		}
	}
	// Nothing of it listens on the host's own addresses.
	if out, _ := exec.Command("ss", "-ltnH").Output(); strings.Contains(string(out), "10.77.0.") {
		t.Fatalf("a namespaced node listens in the host namespace:\n%s", out)
	}

	is, err := sample.NewIssuer(n, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	ag, err := is.HolderAgreement("南宁命名空间测试企业")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	cred, signed, _ := is.Credential(ag, is.Key)
	issued, err := is.Issue(signed, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	exchange, err := n.Connect("ExchangeMSP", "exchange", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer exchange.Close()
	var v domain.Verification
	for attempt := 0; ; attempt++ { // the exchange's peer receives the block by gossip
		b, err := exchange.Evaluate("nanning", "VerifyCredential", cred.AuthorizationNumber)
		if err == nil && json.Unmarshal(b, &v) == nil && v.Status == domain.VerifyValid {
			break
		}
		if attempt > 100 {
			t.Fatalf("the exchange (%s) does not verify the credential: %+v %v", exchange.Peer.Address(), v, network.ErrorText(err))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v.TxID != issued.TxID {
		t.Fatalf("verified tx %s, issued in %s", v.TxID, issued.TxID)
	}
	t.Logf("issued by %s on %s, verified by %s on %s: %s", is.Operator.Org.MSPID, is.Operator.Peer.Address(), exchange.Org.MSPID, exchange.Peer.Address(), v.Status)
}

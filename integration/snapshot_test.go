package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/contract"
	"dataledger/network"
)

// TestANewPeerJoinsFromASnapshot: a second peer of CityA is added to the
// description and `network up --join-from-snapshot` joins it to its
// org's channels from a snapshot of another member peer's ledger instead
// of replaying them from genesis. It then answers reads of what was
// written before it joined, commits what is written after, and holds no
// block before the snapshot (the genesis block it never replayed). The
// peer is stopped again after the test.
func TestANewPeerJoinsFromASnapshot(t *testing.T) {
	op := connect(t, "CityAMSP", "operator", nil)
	before := newCreditCode("450102")
	res, err := op.Submit("nanning", "RegisterParty", partyArg(before, "快照加入前登记有限公司", "450102"))
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, res)

	data, err := os.ReadFile(description)
	if err != nil {
		t.Fatal(err)
	}
	const peer0 = "      - {name: peer0, host: 127.0.0.1, port: 8051, chaincodePort: 8052, operationsPort: 9444, chaincodeServerPort: 8059}\n"
	const peer1 = "      - {name: peer1, host: 127.0.0.1, port: 12051, chaincodePort: 12052, operationsPort: 9449, chaincodeServerPort: 12059}\n"
	if !strings.Contains(string(data), peer0) {
		t.Fatalf("the description does not hold CityA's peer0 as %q", peer0)
	}
	extended := filepath.Join(home, "dataledger-citya-peer1.yaml")
	if err := os.WriteFile(extended, []byte(strings.Replace(string(data), peer0, peer0+peer1, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	// The tests after this one run on the network as it was: the new peer
	// (which holds no block before its snapshot, so a proof or a history
	// read routed to it would fail) is stopped again afterwards.
	previous, previousNet := description, net
	t.Cleanup(func() {
		for _, id := range []string{"cc.peer1.citya", "peer1.citya"} {
			if _, err := net.StopService(id); err != nil {
				t.Errorf("stopping %s: %v", id, err)
			}
		}
		description, net = previous, previousNet
	})
	description = extended
	began := time.Now()
	out, err := cliOutput("network", "up", "--join-from-snapshot")
	if err != nil {
		t.Fatalf("up: %v\n%s", err, out)
	}
	took := time.Since(began)
	grown, err := network.Open(extended, home, nil)
	if err != nil {
		t.Fatal(err)
	}
	grown.BinDir = binDir
	net = grown
	p0, p1 := net.D.Org("CityAMSP").Peers[0], net.D.Org("CityAMSP").Peers[1]
	var joined []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "peer1") && strings.Contains(line, "from a snapshot") {
			joined = append(joined, strings.TrimSpace(line))
		}
	}
	if len(joined) == 0 || strings.Contains(out, p1.ID()+" joined nanning\n") {
		t.Fatalf("up did not join %s from a snapshot:\n%s", p1.ID(), out)
	}

	// It holds the state as of the snapshot and no block before it.
	block0 := `{"Args":["GetBlockByNumber","nanning","0"]}`
	if _, err := net.PeerCLI(p0, "chaincode", "query", "-C", "nanning", "-n", "qscc", "-c", block0); err != nil {
		t.Fatalf("the peer that replayed the chain: %v", err)
	}
	if _, err := net.PeerCLI(p1, "chaincode", "query", "-C", "nanning", "-n", "qscc", "-c", block0); err == nil || !strings.Contains(err.Error(), "bootstrapped from a snapshot") {
		t.Fatalf("the peer joined from a snapshot, asked for the genesis block: %v", err)
	}
	// Read at the new peer itself (the peer CLI as CityA's operator, no
	// gateway to pick another peer).
	readAt := func(code string) error {
		_, err := net.PeerCLIAs(p1, "operator", "chaincode", "query", "-C", "nanning", "-n", net.D.Chaincode.Name, "-c", `{"Args":["GetParty","`+code+`"]}`)
		return err
	}
	if err := readAt(before); err != nil {
		t.Fatalf("a party registered before the join, read at the new peer: %v", err)
	}
	// It runs its org's one package against its own chaincode server.
	released, _ := filepath.Glob(filepath.Join(net.L.NodeDir(p1.ID()), "data", "externalbuilder", "builds", "*", "release", "chaincode", "server", "connection.json"))
	for _, f := range released {
		b, _ := os.ReadFile(f)
		if !strings.Contains(string(b), `"address":"127.0.0.1:12059"`) {
			t.Fatalf("%s names another chaincode server: %s", f, b)
		}
	}
	if len(released) == 0 {
		t.Fatal("the new peer has no released chaincode connection after a query")
	}
	// The history of a record written before the snapshot: the whole at
	// the peer that replayed the chain, refused (not cut short) at the new one.
	history := `{"Args":["History","party","` + before + `"]}`
	if _, err := net.PeerCLIAs(p0, "operator", "chaincode", "query", "-C", "nanning", "-n", net.D.Chaincode.Name, "-c", history); err != nil {
		t.Fatalf("the history at the peer that replayed the chain: %v", err)
	}
	if _, err := net.PeerCLIAs(p1, "operator", "chaincode", "query", "-C", "nanning", "-n", net.D.Chaincode.Name, "-c", history); err == nil || !strings.Contains(err.Error(), contract.RuleHistoryPartial) {
		t.Fatalf("the history at the peer joined from a snapshot: %v", err)
	}
	// What is written after the join reaches it.
	after := newCreditCode("450102")
	res, err = op.Submit("nanning", "RegisterParty", partyArg(after, "快照加入后登记有限公司", "450102"))
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		h0, _ := net.Height(p0, "nanning")
		h1, err := net.Height(p1, "nanning")
		if err == nil && h1 >= h0 && h1 > res.BlockNumber {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new peer is at %d, %s at %d, the write in block %d", h1, p0.ID(), h0, res.BlockNumber)
		}
	}
	if err := readAt(after); err != nil {
		t.Fatalf("a party registered after the join, read at the new peer: %v", err)
	}
	if err := readAt(newCreditCode("450102")); err == nil {
		t.Fatal("the new peer answers a party nobody registered")
	}
	t.Logf("up with the new peer took %s:\n%s", took.Round(time.Millisecond), strings.Join(joined, "\n"))
}

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

// TestANewOrgJoinsFromItsPublicPackage: a second exchange (Exchange2MSP),
// new to the network, makes its own material (org init: what crosses to
// the others is the public files it lists) and joins channel province by
// an update the channel's authority proposes from that public material
// alone, while credentials are issued and verified there: two of the
// four admins' signatures are refused, three pass. Nothing issued is lost
// or doubled and no verification answers stale. Its orderer becomes the
// channel's fifth Raft consenter by an update of the ordering orgs'
// admins (again two of four refused); it joins as a follower from the
// genesis block and turns consenter, at the others' height. The new
// org's peer joins from a snapshot and verifies, through itself, a
// credential issued before it joined. Then its orderer and the org leave
// by three of the five admins each.
//
// The province channel: its data authorities (three) stay a majority of
// its members with a fifth org; on nanning or liuzhou a second exchange
// would leave their two authorities, which alone hold the private data,
// short of a MAJORITY endorsement (Description.Validate refuses it).
func TestANewOrgJoinsFromItsPublicPackage(t *testing.T) {
	is, err := sample.NewIssuer(net, "province", "广西壮族自治区大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	ag, err := is.HolderAgreement("新交易所加入测试")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	set := loadSetOf(t, is, ag, 48) // its probe is issued before the join

	data, err := os.ReadFile(description)
	if err != nil {
		t.Fatal(err)
	}
	const org = `  - name: exchange2
    mspId: Exchange2MSP
    domain: exchange2.dataledger.local
    role: exchange
    jurisdiction: 广西壮族自治区
    divisionCode: "450000"
    users:
      - {name: exchange, role: exchange}
      - {name: clerk, role: clerk}
    orderers:
      - {name: orderer0, host: 127.0.0.1, port: 13050, adminPort: 13053, operationsPort: 8448}
    peers:
      - {name: peer0, host: 127.0.0.1, port: 13051, chaincodePort: 13052, operationsPort: 9451, chaincodeServerPort: 13059}
channels:
`
	const members = "members: [ProvinceMSP, CityAMSP, CityBMSP, ExchangeMSP]}"
	if !strings.Contains(string(data), members) {
		t.Fatalf("the description's province channel is not %q", members)
	}
	text := strings.Replace(strings.Replace(string(data), "channels:\n", org, 1), members, "members: [ProvinceMSP, CityAMSP, CityBMSP, ExchangeMSP, Exchange2MSP]}", 1)
	extended := filepath.Join(home, "dataledger-exchange2.yaml")
	if err := os.WriteFile(extended, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	try := func(want int, says string, args ...string) (string, error) {
		code, out := exitCode(t, append(args, "--home", home, "--description", extended)...)
		if code != want || !strings.Contains(out, says) {
			return out, fmt.Errorf("%s: exit %d, want %d saying %q\n%s", strings.Join(args[:2], " "), code, want, says, out)
		}
		return out, nil
	}
	// byMajority proposes a change of province into file, and has it
	// refused with two admins' signatures of the four or five (the
	// province's and the submitter's, CityA's), then passed with a third.
	byMajority := func(file string, change ...string) error {
		for _, step := range []struct {
			want int
			says string
			args []string
		}{
			{0, "an unsigned update of channel province", append(append([]string{"channel", "propose", "--channel", "province"}, change...), "-o", file)},
			{0, "signed by ProvinceMSP", []string{"channel", "sign", file, "--org", "ProvinceMSP"}},
			{2, "not satisfied", []string{"channel", "submit", file, "--org", "CityAMSP"}},
			{0, "signed by CityBMSP", []string{"channel", "sign", file, "--org", "CityBMSP"}},
			{0, "holds the update", []string{"channel", "submit", file, "--org", "CityAMSP"}},
		} {
			if _, err := try(step.want, step.says, step.args...); err != nil {
				return err
			}
		}
		return nil
	}
	run := func(want int, says string, args ...string) string {
		t.Helper()
		out, err := try(want, says, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	// The new org's own command: its keys stay in its directory, its
	// public files are all that crosses.
	out := run(0, "Exchange2MSP publishes", "org", "init", "--org", "Exchange2MSP")
	var public []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.TrimSpace(line); strings.HasPrefix(line, "  /") {
			public = append(public, f)
			b, err := os.ReadFile(f)
			if err != nil || strings.Contains(string(b), "PRIVATE KEY") || !strings.HasPrefix(f, filepath.Join(home, "public", "exchange2")+"/") {
				t.Fatalf("published %s: %v (a key, or outside its public directory)", f, err)
			}
		}
	}
	if len(public) < 3 {
		t.Fatalf("org init published %v", public)
	}

	dir := t.TempDir()
	add, remove := filepath.Join(dir, "add-exchange2.pb"), filepath.Join(dir, "remove-exchange2.pb")
	exchange := connect(t, "ExchangeMSP", "exchange", nil)
	var tally loadTally
	var mu sync.Mutex
	var updateTook time.Duration
	var updateErr error
	acked := driveLoad(len(set.Docs), func(i int) bool {
		_, err := is.Operator.Submit("province", "IssueCredential", set.Docs[i], set.Agreed.Number)
		mu.Lock()
		defer mu.Unlock()
		tally.Sent++
		if err != nil {
			t.Logf("issuance %d: %.160s", i, network.ErrorText(err))
			return false
		}
		tally.Acknowledged++
		return true
	}, verifyProbe(&tally, &mu, exchange, "province", set.Probe), func() { // not the test's goroutine: errors are kept, not fatal here
		began := time.Now()
		if updateErr = byMajority(add, "--add-org", "Exchange2MSP"); updateErr == nil {
			updateTook = time.Since(began)
		}
	})
	if updateErr != nil {
		t.Fatal(updateErr)
	}
	tally.Found, tally.LostAcknowledged, tally.Duplicates = onLedger(t, "province", set.Numbers, acked)
	if tally.LostAcknowledged != 0 || tally.Duplicates != 0 || tally.Stale != 0 || tally.Found < tally.Acknowledged || tally.Acknowledged < tally.Sent/2 {
		t.Fatalf("while the org joined: an issuance is missing or doubled, or a verification was wrong: %+v", tally)
	}
	cfg, _, err := net.ChannelConfig("province")
	if err != nil || cfg.ChannelGroup.Groups["Application"].Groups["Exchange2MSP"] == nil {
		t.Fatalf("Exchange2MSP is not an application org of province after the update: %v", err)
	}

	// Its orderer: the fifth consenter, by the ordering orgs' admins.
	consent := filepath.Join(dir, "add-consenter.pb")
	if err := byMajority(consent, "--add-consenter", "orderer0.exchange2"); err != nil {
		t.Fatal(err)
	}
	if cfg, _, err = net.ChannelConfig("province"); err != nil || cfg.ChannelGroup.Groups["Orderer"].Groups["Exchange2MSP"] == nil {
		t.Fatalf("Exchange2MSP is not an ordering org of province after the update: %v", err)
	}

	// Its peer joins from a snapshot and answers for itself.
	previous, previousNet := description, net
	t.Cleanup(func() {
		for _, id := range []string{"cc.peer0.exchange2", "peer0.exchange2", "orderer0.exchange2"} {
			if _, err := net.StopService(id); err != nil {
				t.Errorf("stopping %s: %v", id, err)
			}
		}
		description, net = previous, previousNet
		if err := cli("network", "up"); err != nil { // the chaincode servers as the description says again
			t.Error(err)
		}
	})
	description = extended
	began := time.Now()
	if out, err := cliOutput("network", "up", "--join-from-snapshot"); err != nil || !strings.Contains(out, "peer0.exchange2") || strings.Contains(out, "peer0.exchange2 joined province\n") {
		t.Fatalf("up did not join peer0.exchange2 from a snapshot: %v\n%s", err, out)
	}
	joinTook := time.Since(began)
	grown, err := network.Open(extended, home, nil)
	if err != nil {
		t.Fatal(err)
	}
	grown.BinDir = binDir
	net = grown
	own := grown.D.Org("Exchange2MSP").Peers[0]
	c, err := grown.Connect("Exchange2MSP", "exchange", own)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Its orderer joined as a follower (the genesis block does not name
	// it), found itself among the consenters and caught up.
	newOrderer := grown.D.Org("Exchange2MSP").Orderers[0]
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		relation, status, err := grown.OrdererRelation(newOrderer, "province")
		h, herr := grown.OrdererHeight(newOrderer, "province")
		want, werr := grown.OrdererHeight(grown.D.Org("ProvinceMSP").Orderers[0], "province")
		if err == nil && herr == nil && werr == nil && relation == "consenter" && status == "active" && h == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s on province: %s %s at height %d, the province's at %d (%v %v %v)", newOrderer.ID(), relation, status, h, want, err, herr, werr)
		}
	}
	var v domain.Verification
	for attempt := 0; ; attempt++ {
		b, err := c.Evaluate("province", "VerifyCredential", set.Probe)
		if err == nil && json.Unmarshal(b, &v) == nil && v.Status == domain.VerifyValid {
			break
		}
		if attempt > 100 {
			t.Fatalf("the new org's peer does not verify a credential issued before it joined: %+v %v", v, network.ErrorText(err))
		}
		time.Sleep(200 * time.Millisecond)
	}

	// It leaves by a majority of the five: three, its orderer first.
	unconsent := filepath.Join(dir, "remove-consenter.pb")
	if err := byMajority(unconsent, "--remove-consenter", "orderer0.exchange2"); err != nil {
		t.Fatal(err)
	}
	if cfg, _, err = net.ChannelConfig("province"); err != nil || cfg.ChannelGroup.Groups["Orderer"].Groups["Exchange2MSP"] != nil {
		t.Fatalf("Exchange2MSP still orders province: %v", err)
	}
	if err := byMajority(remove, "--remove-org", "Exchange2MSP"); err != nil {
		t.Fatal(err)
	}
	if cfg, _, err = net.ChannelConfig("province"); err != nil || cfg.ChannelGroup.Groups["Application"].Groups["Exchange2MSP"] != nil {
		t.Fatalf("Exchange2MSP is still on province: %v", err)
	}
	t.Logf("public files crossing: %d (%s); propose → 2 signatures → committed update %s under load %+v; its peer up from a snapshot in %s and verifying %s on its own",
		len(public), strings.Join(public, ", "), updateTook.Round(10*time.Millisecond), tally, joinTook.Round(10*time.Millisecond), v.Status)
}

package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/network"
	"dataledger/network/sample"
	"dataledger/proof"
)

// TestANewOrgJoinsFromItsPublicPackage: a second exchange (Exchange2MSP),
// new to the network, makes its own material (org init: what crosses to
// the others is the public files it lists) and joins channels nanning
// and liuzhou, each by an update the channel's authority proposes from
// that public material alone, while credentials are issued and verified
// on nanning: one of the three admins' signatures is refused, two pass.
// Nothing issued is lost or doubled and no verification answers stale.
// Its orderer becomes each channel's fourth Raft consenter by an update
// of the ordering orgs' admins (again one of three refused); it joins as
// a follower from the genesis block and turns consenter, at the others'
// height. The new org's peer joins both channels from snapshots and
// verifies, through itself, a credential issued on each before it
// joined. Its objection, a private step, is endorsed by the two data
// authorities alone, the keepers of the private data, now two orgs of
// four. Its own gateway verifies a certificate and a credential
// registered before it joined, and serves the objection's proof, which
// verifies offline. Then its orderer and the org leave by three of the
// four admins each (two are refused).
func TestANewOrgJoinsFromItsPublicPackage(t *testing.T) {
	channels := []string{"nanning", "liuzhou"}
	admins := map[string][]string{ // each channel's orgs, the authority first
		"nanning": {"CityAMSP", "ProvinceMSP", "ExchangeMSP"},
		"liuzhou": {"CityBMSP", "ProvinceMSP", "ExchangeMSP"},
	}
	is, err := sample.NewIssuer(net, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	ag, err := is.HolderAgreement("新交易所加入测试")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	set := loadSetOf(t, is, ag, 48) // its probe is issued before the join
	early, earlyBuild := is.CertificateFor(ag.Grantee, ag.GranteeName, "加入前登记的产品", []string{"RES-450100-0001"}, true, set.Probe)
	if _, err := is.RegisterCertificate(earlyBuild, ""); err != nil {
		t.Fatal(network.ErrorText(err))
	}
	isL, err := sample.NewIssuer(net, "liuzhou", "柳州市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer isL.Close()
	agL, err := isL.HolderAgreement("新交易所加入测试")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	probes := map[string]string{"nanning": set.Probe, "liuzhou": loadSetOf(t, isL, agL, 0).Probe}

	org := secondExchange("127.0.0.1", 13050, 8448, false)
	extended := filepath.Join(home, "dataledger-exchange2.yaml")
	withSecondExchange(t, description, extended, org, admins)
	operators := consortiumCLI{t, home, extended}
	run, byMajority := operators.run, operators.byMajority

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
	// A proposer whose description makes the new exchange a keeper of
	// nanning's private data: the others' admins, by their own
	// description, refuse to sign the endorsement policy it sets.
	crafted := filepath.Join(home, "dataledger-exchange2-crafted.yaml")
	withSecondExchange(t, description, crafted, strings.Replace(org, "role: exchange", "role: data-authority", 1), admins)
	consortiumCLI{t, home, crafted}.run(0, "an unsigned update of channel nanning", "channel", "propose", "--channel", "nanning", "--add-org", "Exchange2MSP", "-o", filepath.Join(dir, "crafted.pb"))
	run(2, "rule endorsement-policy", "channel", "sign", filepath.Join(dir, "crafted.pb"), "--org", "ProvinceMSP")

	// Whatever happens from here, the tests after this one find the
	// consortium the shipped description names.
	previous, previousNet := description, net
	t.Cleanup(func() {
		if t.Failed() {
			leaveAfterFailure(t, extended, admins, "Exchange2MSP")
		}
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
	exchange := connect(t, "ExchangeMSP", "exchange", nil)
	var tally loadTally
	var mu sync.Mutex
	var updateTook time.Duration
	var updateErr error
	acked := driveLoad(len(set.Docs), issuing(t, &tally, &mu, is.Operator, "nanning", set.Docs, set.Agreed.Number), verifyProbe(&tally, &mu, exchange, "nanning", set.Probe), func() { // not the test's goroutine: errors are kept, not fatal here
		for _, ch := range channels {
			began := time.Now()
			if updateErr = byMajority(ch, admins[ch], filepath.Join(dir, "add-"+ch+".pb"), "--add-org", "Exchange2MSP"); updateErr != nil {
				return
			}
			if ch == "nanning" {
				updateTook = time.Since(began)
			}
		}
	})
	if updateErr != nil {
		t.Fatal(updateErr)
	}
	tally.Found, tally.LostAcknowledged, tally.Duplicates = onLedger(t, "nanning", set.Numbers, acked)
	// An issuance endorsed for the policy before the join and committed
	// after it is sent again, planned for the policy in force
	// (network.policyShort): every one is acknowledged.
	if tally.LostAcknowledged != 0 || tally.Duplicates != 0 || tally.Stale != 0 || tally.Found < tally.Acknowledged || tally.Acknowledged < tally.Sent {
		t.Fatalf("while the org joined: an issuance is missing, refused or doubled, or a verification was wrong: %+v", tally)
	}
	grownAdmins := map[string][]string{}
	for _, ch := range channels {
		cfg, _, err := net.ChannelConfig(ch)
		if err != nil || cfg.ChannelGroup.Groups["Application"].Groups["Exchange2MSP"] == nil {
			t.Fatalf("Exchange2MSP is not an application org of %s after the update: %v", ch, err)
		}
		grownAdmins[ch] = append(slices.Clone(admins[ch]), "Exchange2MSP")
		// Its orderer: the fourth consenter, by the ordering orgs' admins
		// (the channel's members: each runs one).
		if err := byMajority(ch, admins[ch], filepath.Join(dir, "add-consenter-"+ch+".pb"), "--add-consenter", "orderer0.exchange2"); err != nil {
			t.Fatal(err)
		}
		if cfg, _, err = net.ChannelConfig(ch); err != nil || cfg.ChannelGroup.Groups["Orderer"].Groups["Exchange2MSP"] == nil {
			t.Fatalf("Exchange2MSP is not an ordering org of %s after the update: %v", ch, err)
		}
	}

	// Its peer joins from snapshots and answers for itself.
	description = extended
	began := time.Now()
	out, err = cliOutput("network", "up", "--join-from-snapshot")
	if err != nil {
		t.Fatalf("up with the new org: %v\n%s", err, out)
	}
	for _, ch := range channels {
		if !strings.Contains(out, "peer0.exchange2 joined "+ch+" from a snapshot") {
			t.Fatalf("up did not join peer0.exchange2 to %s from a snapshot:\n%s", ch, out)
		}
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
	newOrderer := grown.D.Org("Exchange2MSP").Orderers[0]
	verified := map[string]string{}
	for _, ch := range channels {
		// Its orderer joined as a follower (the genesis block does not
		// name it), found itself among the consenters and caught up.
		awaitConsenter(t, grown, newOrderer, grown.D.Org(admins[ch][0]).Orderers[0], ch, 90*time.Second)
		var v domain.Verification
		for attempt := 0; ; attempt++ {
			b, err := c.Evaluate(ch, "VerifyCredential", probes[ch])
			if err == nil && json.Unmarshal(b, &v) == nil && v.Status == domain.VerifyValid {
				break
			}
			if attempt > 100 {
				t.Fatalf("the new org's peer does not verify a credential issued on %s before it joined: %+v %v", ch, v, network.ErrorText(err))
			}
			time.Sleep(200 * time.Millisecond)
		}
		verified[ch] = v.Status
	}

	// Issuing on nanning goes on with four orgs: a public step by a
	// majority (three of four), a private one by the two keepers alone
	// (the endorsement policy names every keeper together).
	issuer, err := sample.NewIssuer(grown, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer issuer.Close()
	after, err := issuer.HolderAgreement("新交易所加入后")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	afterSet := loadSetOf(t, issuer, after, 0)
	cert, build := issuer.CertificateFor(after.Grantee, after.GranteeName, "新交易所加入后的产品", []string{"RES-450100-0001"}, true, afterSet.Probe)
	if _, err := issuer.RegisterCertificate(build, ""); err != nil {
		t.Fatal(network.ErrorText(err))
	}
	// The new exchange objects through its own gateway peer; the
	// objection's words go to the keepers' peers alone.
	objection := domain.ObjectionInput{Number: issuer.Number(domain.PrefixObjection), TargetKind: "certificate", Target: cert.RegistrationNumber,
		EvidenceDigest: certs.SM3Hex([]byte("新交易所的异议证据")), Summary: privateText("新交易所认为产品与授权不符")}
	filed, err := c.SubmitJSON("nanning", "FileObjection", objection)
	if err != nil {
		t.Fatalf("the new exchange's objection, endorsed by the two keepers of four orgs: %v", network.ErrorText(err))
	}
	synced(t, filed)
	b, err := issuer.Operator.Evaluate("nanning", "GetObjection", objection.Number)
	if err != nil || !strings.Contains(string(b), "新交易所认为产品与授权不符") {
		t.Fatalf("the authority does not read the new exchange's objection whole: %s %v", b, network.ErrorText(err))
	}

	// The new org's own gateway, holding its identities alone, answers
	// for a certificate and a credential registered before it joined, and
	// serves the objection's proof: endorsed by two orgs of four, it
	// verifies offline from the pinned genesis blocks.
	srv := orgGateway(t, "Exchange2MSP")
	for _, number := range []string{early.RegistrationNumber, probes["liuzhou"]} {
		status, body := httpGet(t, srv.URL+"/api/v1/verify/"+number, "")
		var v gateway.VerifyResponse
		if status != http.StatusOK || json.Unmarshal(body, &v) != nil || v.Status != domain.VerifyValid {
			t.Fatalf("the new org's gateway on %s, registered before it joined: %d %s", number, status, body)
		}
	}
	status, raw := httpGet(t, srv.URL+"/api/v1/objections/"+objection.Number+"/proof", "")
	if status != http.StatusOK {
		t.Fatalf("the objection's proof from the new org's gateway: %d %s", status, raw)
	}
	bundle, err := proof.ParseBundle(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, pinned := pinnedTrust(t)
	r := proof.Verify(bundle, pinned)
	var report strings.Builder
	r.Print(&report)
	if !r.OK || bundle.Record.TxID != filed.TxID {
		t.Fatalf("the objection's bundle (tx %s, want %s):\n%s", bundle.Record.TxID, filed.TxID, report.String())
	}
	// Endorsed by the two keepers alone: the policy's second clause.
	if endorsed := regexp.MustCompile(`2 endorsement\(s\) by [^;]*`).FindString(report.String()); !strings.Contains(endorsed, "CityAMSP") || !strings.Contains(endorsed, "ProvinceMSP") {
		t.Fatalf("the objection is not endorsed by the two keepers alone:\n%s", report.String())
	}

	// It leaves by a majority of the four: three, its orderer first.
	for _, ch := range channels {
		if err := byMajority(ch, grownAdmins[ch], filepath.Join(dir, "remove-consenter-"+ch+".pb"), "--remove-consenter", "orderer0.exchange2"); err != nil {
			t.Fatal(err)
		}
		if cfg, _, err := net.ChannelConfig(ch); err != nil || cfg.ChannelGroup.Groups["Orderer"].Groups["Exchange2MSP"] != nil {
			t.Fatalf("Exchange2MSP still orders %s: %v", ch, err)
		}
		if err := byMajority(ch, grownAdmins[ch], filepath.Join(dir, "remove-"+ch+".pb"), "--remove-org", "Exchange2MSP"); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := net.ChannelConfig(ch)
		if err != nil || cfg.ChannelGroup.Groups["Application"].Groups["Exchange2MSP"] != nil {
			t.Fatalf("Exchange2MSP is still on %s: %v", ch, err)
		}
		// Three orgs again, two of them keepers: a majority alone.
		want, err := grown.EndorsementPolicy(admins[ch])
		if err != nil || !proto.Equal(cfg.ChannelGroup.Groups["Application"].Policies["Endorsement"].Policy, want) {
			t.Fatalf("%s's endorsement policy after the exchange left is not its three orgs' majority: %v", ch, err)
		}
	}
	t.Logf("public files crossing: %d (%s); nanning: propose → 2 signatures → committed update %s under load %+v; its peer up from snapshots of %v in %s, verifying %v on its own; its objection %s committed",
		len(public), strings.Join(public, ", "), updateTook.Round(10*time.Millisecond), tally, channels, joinTook.Round(10*time.Millisecond), verified, filed.TxID)
}

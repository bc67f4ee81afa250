package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"dataledger/chaincode/domain"
	"dataledger/network"
)

// The tests run in file order: later ones kill and restart processes and
// then check what the earlier ones wrote.

var (
	registered     []string // credit codes registered on nanning, checked after the restarts
	adoptedProfile string   // nanning's profile after the profile test, checked likewise
)

func TestPartyRegisteredOnNanningIsReadByEveryMemberOrgsPeer(t *testing.T) {
	op := connect(t, "CityAMSP", "operator", nil)
	code := newCreditCode("450102")
	res, err := op.Submit("nanning", "RegisterParty", partyArg(code, "南宁数智科技有限公司", "450102"))
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	registered = append(registered, code)
	synced(t, res)
	for _, org := range []string{"CityAMSP", "ProvinceMSP", "ExchangeMSP"} {
		c := connect(t, org, "clerk", peerOf(org))
		b, err := c.Evaluate("nanning", "GetParty", code)
		if err != nil {
			t.Fatalf("%s: %s", org, network.ErrorText(err))
		}
		p := decode[domain.Party](t, b)
		if p.Name != "南宁数智科技有限公司" || p.Status != domain.PartyActive || p.Onboarded.TxID != res.TxID || p.Onboarded.Actor.MSP != "CityAMSP" || p.Onboarded.Actor.Role != domain.RoleOperator {
			t.Fatalf("%s read %+v", org, p)
		}
	}
}

func TestLiuzhouMembersCannotReadNanning(t *testing.T) {
	// CityB's own peer is not on nanning at all.
	cityB := connect(t, "CityBMSP", "clerk", nil)
	_, err := cityB.Evaluate("nanning", "GetParty", registered[0])
	if err == nil || !strings.Contains(network.ErrorText(err), "channel nanning") {
		t.Fatalf("CityB's peer served nanning: %s", network.ErrorText(err))
	}
	// Through a nanning member's gateway, the channel refuses CityB's identity.
	viaProvince := connect(t, "CityBMSP", "authority", peerOf("ProvinceMSP"))
	_, err = viaProvince.Evaluate("nanning", "GetParty", registered[0])
	if err == nil || !strings.Contains(network.ErrorText(err), "access denied") {
		t.Fatalf("CityB's identity read nanning through the province peer: %s", network.ErrorText(err))
	}
	_, err = viaProvince.Submit("nanning", "RegisterParty", partyArg(newCreditCode("450102"), "越权登记", "450102"))
	if err == nil || !strings.Contains(network.ErrorText(err), "access denied") {
		t.Fatalf("CityB's identity wrote on nanning: %s", network.ErrorText(err))
	}
	// On its own channel the record simply does not exist.
	_, err = cityB.Evaluate("liuzhou", "GetParty", registered[0])
	wantRefusal(t, err, domain.RulePartyExists)
}

func TestPolicyProfileOnlyByTheChannelsAuthority(t *testing.T) {
	for _, who := range []struct{ org, user string }{{"CityAMSP", "clerk"}, {"CityAMSP", "operator"}, {"ProvinceMSP", "authority"}} {
		c := connect(t, who.org, who.user, nil)
		_, err := c.Submit("nanning", "AdoptProfile", "NS", "试用南山区办法")
		wantRefusal(t, err, domain.RuleOwnAuthority)
	}
	auth := connect(t, "CityAMSP", "authority", nil)
	before, err := auth.Evaluate("nanning", "GetProfile")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	prev := decode[domain.ProfileRecord](t, before) // the HTTP story may have set it again, unchanged
	if prev.Profile.Name != "GX" {
		t.Fatalf("profile before: %+v", prev)
	}
	if _, err := auth.Submit("nanning", "AdoptProfile", "HB", "与湖北省协同试点"); err != nil {
		t.Fatal(network.ErrorText(err))
	}
	adoptedProfile = "HB"
	after, _ := auth.Evaluate("nanning", "GetProfile")
	if rec := decode[domain.ProfileRecord](t, after); rec.Version != prev.Version+1 || rec.Profile.Name != "HB" || !rec.Profile.SubLicensingForbidden || rec.Last.Actor.MSP != "CityAMSP" {
		t.Fatalf("profile after: %+v", rec)
	}
}

func TestHistoryShowsEveryChangeAndEventsArriveInOrder(t *testing.T) {
	op := connect(t, "CityAMSP", "operator", nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := newCreditCode("450102")
	first, err := op.Submit("nanning", "RegisterParty", partyArg(code, "南宁链证数据服务有限公司", "450102"))
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, first) // the status changes that follow are endorsed by other orgs' peers too
	registered = append(registered, code)
	events, err := op.Gateway.GetNetwork("nanning").ChaincodeEvents(ctx, op.Chaincode, client.WithStartBlock(first.BlockNumber))
	if err != nil {
		t.Fatal(err)
	}
	txs := []string{first.TxID}
	steps := []struct{ action, reason string }{{"suspend", privateText("未按期报送年度运营报告（网络测试）")}, {"reinstate", privateText("已补报（网络测试）")}, {"exit", privateText("主动申请退出（网络测试）")}}
	for _, step := range steps {
		r, err := op.Submit("nanning", "ChangePartyStatus", code, step.action, step.reason)
		if err != nil {
			t.Fatal(network.ErrorText(err))
		}
		txs = append(txs, r.TxID)
		synced(t, r)
	}
	b, err := connect(t, "ProvinceMSP", "regulator", nil).Evaluate("nanning", "History", "party", code)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	hist := decode[[]domain.HistoryItem](t, b)
	if len(hist) != 4 {
		t.Fatalf("history has %d entries, want 4", len(hist))
	}
	statuses := []string{domain.PartyActive, domain.PartySuspended, domain.PartyActive, domain.PartyExited}
	for i, h := range hist {
		p := decode[domain.Party](t, h.Record)
		if h.TxID != txs[i] || p.Status != statuses[i] || p.Last.TxID != txs[i] || h.Time == "" {
			t.Fatalf("history[%d] = %s %s %s, want tx %s status %s", i, h.TxID, h.Time, p.Status, txs[i], statuses[i])
		}
		// The regulator (a member of the collection) reads each change's
		// words, which the block never held.
		if i > 0 && p.Last.Reason != steps[i-1].reason {
			t.Fatalf("history[%d] reads the words %q, want %q", i, p.Last.Reason, steps[i-1].reason)
		}
		if i > 0 && h.Time < hist[i-1].Time {
			t.Fatal("history is not in commit order")
		}
	}
	var names []string
	for len(names) < 4 {
		select {
		case ev := <-events:
			var e domain.Event
			_ = json.Unmarshal(ev.Payload, &e)
			if len(e.Changes) == 0 || e.Changes[0].Key != code {
				continue
			}
			if ev.TransactionID != txs[len(names)] || e.TxID != ev.TransactionID {
				t.Fatalf("event %d is for tx %s, want %s", len(names), ev.TransactionID, txs[len(names)])
			}
			names = append(names, ev.EventName)
		case <-ctx.Done():
			t.Fatalf("only %d events arrived: %v", len(names), names)
		}
	}
	if strings.Join(names, ",") != "party.register,party.suspend,party.reinstate,party.exit" {
		t.Fatalf("events %v", names)
	}
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	op := connect(t, "CityAMSP", "operator", nil)
	good := newCreditCode("450102")
	bad := good[:17] + string("0123456789ABCDEFGHJKLMNPQRTUWXY"[(strings.IndexByte("0123456789ABCDEFGHJKLMNPQRTUWXY", good[17])+1)%31])
	cases := []struct {
		arg, rule string
	}{
		{partyArg(bad, "某公司", "450102"), domain.RuleCreditCode},
		{partyArg(good, "某公司", "45010"), domain.RuleDivisionCode},
		{partyArg(good, "", "450102"), domain.RuleText},
		{partyArg(good, strings.Repeat("长", domain.MaxName+1), "450102"), domain.RuleText},
		{partyArg(good, "某公司", "450202"), domain.RulePartyDivision},
		{strings.Replace(partyArg(good, "某公司", "450102"), "enterprise", "sovereign", 1), domain.RulePartyRole},
		{partyArg(registered[0], "重复登记", "450102"), domain.RulePartyUnique},
	}
	heightBefore, err := net.Height(peerOf("CityAMSP"), "nanning")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		_, err := op.Submit("nanning", "RegisterParty", c.arg)
		wantRefusal(t, err, c.rule)
	}
	_, err = op.Evaluate("nanning", "GetParty", good)
	wantRefusal(t, err, domain.RulePartyExists)
	b, _ := op.Evaluate("nanning", "GetParty", registered[0])
	if p := decode[domain.Party](t, b); p.Name != "南宁数智科技有限公司" || p.Version != 1 {
		t.Fatalf("a refused duplicate changed the record: %+v", p)
	}
	if h, _ := net.Height(peerOf("CityAMSP"), "nanning"); h != heightBefore {
		t.Fatalf("refused transactions were committed: height %d → %d", heightBefore, h)
	}
}

func kill9(t *testing.T, id string) {
	t.Helper()
	pid, ok := net.PID(id)
	if !ok {
		t.Fatalf("%s is not running", id)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if _, ok := net.PID(id); !ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s survived kill -9", id)
}

// orderersInStep waits until each channel's consenters hold the same
// height: a test that takes one orderer away needs the others in the
// cluster (a node restarted by an earlier test rejoins once its
// peers' connections to it come back).
func orderersInStep(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for _, ch := range net.D.Channels {
		consenters := net.D.ChannelOrderers(&ch)
		for {
			var hs []uint64
			for _, x := range consenters {
				h, err := net.OrdererHeight(x, ch.Name)
				if err == nil {
					hs = append(hs, h)
				}
			}
			if len(hs) == len(consenters) && slices.Min(hs) == slices.Max(hs) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the orderers of %s are not in step: heights %v", ch.Name, hs)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
}

func TestOrdererKilledTransactionsStillCommit(t *testing.T) {
	orderersInStep(t)
	nanning := net.D.ChannelOrderers(net.D.Channel("nanning"))
	victim := nanning[1]
	kill9(t, victim.ID())
	op := connect(t, "CityAMSP", "operator", nil)
	for i := 0; i < 3; i++ {
		code := newCreditCode("450102")
		// If the victim led the Raft cluster, the other two elect a leader
		// first (a few seconds); a submit refused meanwhile is retried, and
		// so is one the dying leader accepted and never ordered (its commit
		// status is waited for 15 s, not the client's minute).
		var err error
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			_, err = op.SubmitContext(ctx, "nanning", "RegisterParty", partyArg(code, fmt.Sprintf("南宁第%d数据公司", i), "450102"))
			cancel()
			if domain.IsRule(err, domain.RulePartyUnique) {
				err = nil // an earlier attempt did commit
			}
			if err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatalf("with %s down: %s", victim.ID(), network.ErrorText(err))
		}
		registered = append(registered, code)
	}
	// The operator's view: the victim is down, the survivors lead nanning.
	status, err := cliOutput("network", "status")
	if err != nil {
		t.Fatalf("network status: %v\n%s", err, status)
	}
	row := regexp.MustCompile(`(?m)^nanning\s+(\S+)\s+(.*)$`).FindStringSubmatch(status)
	if row == nil || row[1] == victim.ID() || !strings.HasPrefix(row[1], "orderer") || !strings.Contains(row[2], victim.ID()+" down") {
		t.Fatalf("network status with %s down does not show it down and another leading nanning:\n%s", victim.ID(), status)
	}
	if err := cli("network", "up"); err != nil {
		t.Fatal(err)
	}
	want, err := net.OrdererHeight(nanning[0], "nanning")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err := net.OrdererHeight(victim, "nanning")
		if err == nil && h >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restarted %s did not catch up: height %d, want %d (%v)", victim.ID(), h, want, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestCityPeerStoppedNanningStillEndorsesByMajority(t *testing.T) {
	cityAPeer := peerOf("CityAMSP")
	pid, ok := net.PID(cityAPeer.ID())
	if !ok {
		t.Fatal("CityA's peer is not running")
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if _, ok := net.PID(cityAPeer.ID()); !ok {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// CityA's operator submits through the province peer's gateway; its own
	// peer is down, and Province + Exchange are a majority of nanning.
	op := connect(t, "CityAMSP", "operator", peerOf("ProvinceMSP"))
	code := newCreditCode("450102")
	var res *network.Committed
	var err error
	for i := 0; i < 20; i++ { // discovery notices the stopped peer within seconds
		if res, err = op.Submit("nanning", "RegisterParty", partyArg(code, "南宁多数背书测试有限公司", "450102")); err == nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("nanning write with CityA's peer down: %s", network.ErrorText(err))
	}
	registered = append(registered, code)
	if err := cli("network", "up"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err := net.Height(cityAPeer, "nanning")
		if err == nil && h > res.BlockNumber {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CityA's peer did not catch up to block %d: %d (%v)", res.BlockNumber, h, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	b, err := connect(t, "CityAMSP", "clerk", cityAPeer).Evaluate("nanning", "GetParty", code)
	if err != nil || decode[domain.Party](t, b).Onboarded.TxID != res.TxID {
		t.Fatalf("CityA's peer does not have the record written while it was down: %v", err)
	}
}

func TestChaincodeUpgradeKeepsState(t *testing.T) {
	data, err := os.ReadFile(description)
	if err != nil {
		t.Fatal(err)
	}
	upgraded := filepath.Join(home, "dataledger-1.1.yaml")
	if err := os.WriteFile(upgraded, []byte(strings.Replace(string(data), `version: "1.0"`, `version: "1.1"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	description = upgraded // later ups keep this version
	if err := cli("network", "up"); err != nil {
		t.Fatal(err)
	}
	out, err := net.PeerCLI(peerOf("CityAMSP"), "lifecycle", "chaincode", "querycommitted", "--channelID", "nanning", "--name", net.D.Chaincode.Name, "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		Sequence int    `json:"sequence"`
		Version  string `json:"version"`
	}
	_ = json.Unmarshal(out, &def)
	if def.Sequence != 2 || def.Version != "1.1" {
		t.Fatalf("after upgrade: %+v", def)
	}
	checkRegistered(t)
}

func checkRegistered(t *testing.T) {
	t.Helper()
	c := connect(t, "ProvinceMSP", "regulator", nil)
	for _, code := range registered {
		if _, err := c.Evaluate("nanning", "GetParty", code); err != nil {
			t.Fatalf("party %s lost: %s", code, network.ErrorText(err))
		}
	}
	if adoptedProfile != "" {
		b, err := c.Evaluate("nanning", "GetProfile")
		if err != nil || decode[domain.ProfileRecord](t, b).Profile.Name != adoptedProfile {
			t.Fatalf("profile change to %s lost: %v", adoptedProfile, err)
		}
	}
	for number, status := range issuedCredentials {
		if v := verification(t, c, "nanning", "VerifyCredential", number); v.Status != status {
			t.Fatalf("credential %s reads %s, want %s", number, v.Status, status)
		}
	}
}

// TestAddingACityIsAnEditPlusUp adds 北海 (CityCMSP, 450500) with its own
// channel and orderer to the description and runs up: new crypto for the
// new org only, a new channel ordered by its members' orderers, the
// chaincode deployed and bootstrapped there, and the existing channels
// untouched.
func TestAddingACityIsAnEditPlusUp(t *testing.T) {
	data, err := os.ReadFile(description)
	if err != nil {
		t.Fatal(err)
	}
	const city = `  - name: cityc
    mspId: CityCMSP
    domain: cityc.dataledger.local
    role: data-authority
    jurisdiction: 北海市
    divisionCode: "450500"
    users:
      - {name: authority, role: authority}
      - {name: operator, role: operator}
      - {name: clerk, role: clerk}
    orderers:
      - {name: orderer0, host: 127.0.0.1, port: 11050, adminPort: 11053, operationsPort: 8447}
    peers:
      - {name: peer0, host: 127.0.0.1, port: 11051, chaincodePort: 11052, operationsPort: 9447, chaincodeServerPort: 11059}
channels:
`
	const channel = `  - {name: beihai, authority: CityCMSP, jurisdiction: 北海市, divisionCode: "450500", profile: GX,
     members: [CityCMSP, ProvinceMSP, ExchangeMSP]}
`
	text := strings.Replace(string(data), "channels:\n", city, 1) + channel
	extended := filepath.Join(home, "dataledger-4-cities.yaml")
	if err := os.WriteFile(extended, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cityACA, _ := os.ReadFile(net.L.TLSCACert(net.D.Org("CityAMSP")))
	heightBefore, _ := net.Height(peerOf("CityAMSP"), "nanning")
	description = extended // TestMain's down now stops the new city's processes too
	if err := cli("network", "up"); err != nil {
		t.Fatal(err)
	}
	grown, err := network.Open(extended, home, nil)
	if err != nil {
		t.Fatal(err)
	}
	grown.BinDir = binDir
	net = grown
	if after, _ := os.ReadFile(net.L.TLSCACert(net.D.Org("CityAMSP"))); string(after) != string(cityACA) {
		t.Fatal("adding a city regenerated an existing org's CA")
	}
	op := connect(t, "CityCMSP", "operator", nil)
	code := newCreditCode("450502")
	res, err := op.Submit("beihai", "RegisterParty", partyArg(code, "北海海洋数据有限公司", "450502"))
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, res) // committed on CityC's peer; the exchange's may be a block behind
	if _, err := connect(t, "ExchangeMSP", "exchange", nil).Evaluate("beihai", "GetParty", code); err != nil {
		t.Fatalf("the exchange does not see the new city's channel: %s", network.ErrorText(err))
	}
	if len(registered) > 0 { // a party an earlier test registered on nanning
		if _, err := op.Evaluate("nanning", "GetParty", registered[0]); err == nil {
			t.Fatal("the new city reads nanning")
		}
	}
	if h, _ := net.Height(peerOf("CityAMSP"), "nanning"); h < heightBefore {
		t.Fatal("nanning lost blocks")
	}
}

func TestKillEverythingThenUpKeepsEveryRecord(t *testing.T) {
	for _, id := range net.ProcessIDs() {
		kill9(t, id)
	}
	if err := cli("network", "up"); err != nil {
		t.Fatal(err)
	}
	checkRegistered(t)
	if len(registered) == 0 && len(issuedCredentials) == 0 {
		t.Fatal("no earlier test wrote anything to check")
	}
}

// TestMovedChaincodeServerIsReapproved: a peer's chaincode server moved to
// another port is another package (its connection changed); `network up`
// installs it, restarts the server there and has the org approve the
// committed definition again for it, so transactions still commit; moving
// it back does the same.
func TestMovedChaincodeServerIsReapproved(t *testing.T) {
	orig, err := os.ReadFile(description)
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(string(orig), "chaincodeServerPort: 9059}", "chaincodeServerPort: 9069}", 1)
	if moved == string(orig) {
		t.Fatal("peer0.cityb's chaincode server port is not in the description")
	}
	alt := filepath.Join(t.TempDir(), "dataledger.yaml")
	if err := os.WriteFile(alt, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	up := func(desc string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(binDir, "dataledger"), "network", "up", "--home", home, "--description", desc, "--fabric-tools", filepath.Join(root, "network", "fabrictools"))
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("network up --description %s: %v\n%s", desc, err, out)
		}
		return string(out)
	}
	commits := func(what string) {
		t.Helper()
		code := newCreditCode("450202")
		c := connect(t, "CityBMSP", "operator", peerOf("CityBMSP"))
		r, err := c.Submit("liuzhou", "RegisterParty", partyArg(code, "柳州"+what+"数据公司", "450202"))
		if err != nil {
			t.Fatalf("%s: %s", what, network.ErrorText(err))
		}
		synced(t, r)
		// Evaluated on peer0.cityb itself: its chaincode server answers.
		if p, err := network.Tx.GetParty(code).Evaluate(c, "liuzhou"); err != nil || p.CreditCode != code {
			t.Fatalf("%s: peer0.cityb reads %+v: %v", what, p, network.ErrorText(err))
		}
	}
	out := up(alt)
	if !strings.Contains(out, "CityBMSP re-approved") {
		t.Fatalf("the moved server's org did not approve its new package:\n%s", out)
	}
	commits("搬迁后")
	out = up(description)
	if !strings.Contains(out, "CityBMSP re-approved") {
		t.Fatalf("moving it back did not approve the package again:\n%s", out)
	}
	commits("搬回后")
	if out := up(description); strings.Contains(out, "re-approved") {
		t.Fatalf("an unchanged network approved again:\n%s", out)
	}
}

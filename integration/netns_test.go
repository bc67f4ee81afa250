package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/gateway/pgstate"
	"dataledger/network"
	"dataledger/network/sample"
)

// TestEachOrgInItsOwnNetworkNamespace runs the same network description
// with every organization in a network namespace of its own
// (network/dataledger-netns.yaml: each org's nodes at its own address,
// listening only inside its namespace, joined by a bridge), issues a
// credential in Nanning through the city's peer and verifies it from the
// exchange's peer: the deployment is not tied to one host's loopback.
// A second exchange joins nanning and liuzhou in a namespace and account
// of its own while Nanning issues (aSecondExchangeJoinsInItsNamespace);
// two instances of the city's own gateway write 1,000 keyed records
// exactly once between them (twoGatewaysOfOneOrg).
// Then the province's namespace loses every process (its orderer, peer
// and chaincode server): Nanning, ordered by its members' orderers (the
// city's and the exchange's remain, a majority), goes on issuing and
// verifying; no org owns the ordering.
func TestEachOrgInItsOwnNetworkNamespace(t *testing.T) {
	desc := filepath.Join(root, "network", "dataledger-netns.yaml")
	// The orgs' accounts must reach the home: not through t.TempDir's 0700.
	base, err := os.MkdirTemp("", "dataledger-netns-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	nsHome := filepath.Join(base, "home")
	run := func(args ...string) {
		t.Helper()
		if code, out := exitCode(t, append(args, "--home", nsHome, "--description", desc, "--fabric-tools", filepath.Join(root, "network", "fabrictools"))...); code != 0 {
			t.Fatalf("dataledger %v: exit %d\n%s", args, code, out)
		}
	}
	// Registered before up: an up that fails half way leaves processes
	// and namespaces that would load the rest of the run.
	inForce := desc // the description down must know every org's namespace by
	t.Cleanup(func() {
		if code, out := exitCode(t, "network", "down", "--purge", "--home", nsHome, "--description", inForce, "--fabric-tools", filepath.Join(root, "network", "fabrictools")); code != 0 {
			t.Errorf("network down --purge: exit %d\n%s", code, out)
		}
	})
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
	orgsAreApart(t, n)

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

	inForce = filepath.Join(base, "dataledger-netns-exchange2.yaml")
	n, exchange2 := aSecondExchangeJoinsInItsNamespace(t, n, inForce, desc, nsHome, is, ag, exchange, cred.AuthorizationNumber)
	defer exchange2.Close()
	twoGatewaysOfOneOrg(t, n)

	// An agreement recorded while the province is up: an agreement is
	// among its grantee's private facts, which Nanning's two data
	// authorities keep and endorse together (Description.Collections).
	ag2, err := is.HolderAgreement("南宁省节点失联测试企业")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}

	// The province's host goes away: every process in its namespace.
	province := n.D.Org("ProvinceMSP")
	out, err := exec.Command("ip", "netns", "pids", province.NetNS).Output()
	if err != nil {
		t.Fatal(err)
	}
	killed := strings.Fields(string(out))
	if len(killed) < 3 { // at least its orderer, peer and chaincode server
		t.Fatalf("namespace %s runs %v", province.NetNS, killed)
	}
	if out, err := exec.Command("kill", append([]string{"-9"}, killed...)...).CombinedOutput(); err != nil {
		t.Fatalf("kill %v: %v %s", killed, err, out)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if out, _ := exec.Command("ip", "netns", "pids", province.NetNS).Output(); len(strings.Fields(string(out))) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace %s still runs processes after kill -9", province.NetNS)
		}
	}
	began := time.Now()
	var again *network.Committed
	var cred2 *domain.Credential
	for attempt := 0; ; attempt++ { // the survivors may be electing a new Raft leader
		var signed string
		cred2, signed, _ = is.Credential(ag2, is.Key)
		again, err = is.Issue(signed, ag2)
		if err == nil {
			break
		}
		if attempt >= 5 {
			t.Fatalf("with the province's namespace down, Nanning does not issue: %s", network.ErrorText(err))
		}
		t.Logf("attempt %d with the province down: %.160s", attempt, network.ErrorText(err))
		time.Sleep(3 * time.Second)
	}
	leader, _ := n.RaftLeader("nanning")
	if leader == nil || leader.Org().MSPID == "ProvinceMSP" {
		t.Fatalf("nanning's Raft leader with the province down: %v", leader)
	}
	for attempt := 0; ; attempt++ {
		b, err := exchange.Evaluate("nanning", "VerifyCredential", cred2.AuthorizationNumber)
		if err == nil && json.Unmarshal(b, &v) == nil && v.Status == domain.VerifyValid && v.TxID == again.TxID {
			break
		}
		if attempt > 100 {
			t.Fatalf("the exchange does not verify what Nanning issued with the province down: %+v %v", v, network.ErrorText(err))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for attempt := 0; ; attempt++ {
		b, err := exchange2.Evaluate("nanning", "VerifyCredential", cred2.AuthorizationNumber)
		if err == nil && json.Unmarshal(b, &v) == nil && v.Status == domain.VerifyValid && v.TxID == again.TxID {
			break
		}
		if attempt > 100 {
			t.Fatalf("the second exchange does not verify what Nanning issued with the province down: %+v %v", v, network.ErrorText(err))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("province's namespace down (%d processes killed): Nanning (4 orgs, 4 consenters) issued in block %d %s later, ordered by %s; both exchanges verify it",
		len(killed), again.BlockNumber, time.Since(began).Round(100*time.Millisecond), leader.ID())
}

// aSecondExchangeJoinsInItsNamespace: a second exchange, in a namespace
// and a Unix account of its own, makes its material with its own command
// (org init as its account) and joins nanning and liuzhou, each by
// updates a majority of the channel's admins sign (one signature short is
// refused), as org and as Raft consenter, while Nanning issues and the
// first exchange verifies: nothing acknowledged is lost or doubled, no
// answer is stale. Its peer joins both from snapshots, and it and the
// org's own gateway verify the probe, issued before it joined; every
// org, the new one too, is kept out of the others' keys. It answers the network with the second exchange,
// and the second exchange's client on its own peer. extended is where the
// description with it is written.
func aSecondExchangeJoinsInItsNamespace(t *testing.T, n *network.Net, extended, desc, nsHome string, is *sample.Issuer, ag *sample.Agreement, exchange *network.Client, probe string) (*network.Net, *network.Client) {
	t.Helper()
	org := secondExchange("10.77.0.15", 11050, 8447, true)
	admins := map[string][]string{
		"nanning": {"CityAMSP", "ProvinceMSP", "ExchangeMSP"},
		"liuzhou": {"CityBMSP", "ProvinceMSP", "ExchangeMSP"},
	}
	withSecondExchange(t, desc, extended, org, admins) // the test's down reads it (its namespace too)
	operators := consortiumCLI{t, nsHome, extended}
	operators.run(0, "Exchange2MSP publishes", "org", "init", "--org", "Exchange2MSP")

	const issued = 24
	docs, numbers := make([]string, issued), make([]string, issued)
	for i := range issued {
		c, signed, err := is.Credential(ag, is.Key)
		if err != nil {
			t.Fatal(err)
		}
		numbers[i], docs[i] = c.AuthorizationNumber, signed
	}
	dir := t.TempDir()
	var tally loadTally
	var mu sync.Mutex
	var joinErr error
	var took time.Duration
	acked := driveLoad(issued, issuing(t, &tally, &mu, is.Operator, "nanning", docs, ag.Number), verifyProbe(&tally, &mu, exchange, "nanning", probe), func() {
		began := time.Now()
		for _, ch := range []string{"nanning", "liuzhou"} {
			if joinErr = operators.byMajority(ch, admins[ch], filepath.Join(dir, "add-"+ch+".pb"), "--add-org", "Exchange2MSP"); joinErr != nil {
				return
			}
			if ch == "nanning" {
				took = time.Since(began)
			}
		}
	})
	if joinErr != nil {
		t.Fatal(joinErr)
	}
	regulator, err := n.Connect("ProvinceMSP", "regulator", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer regulator.Close()
	tally.Found, tally.LostAcknowledged, tally.Duplicates = onLedgerOf(regulator, "nanning", numbers, acked)
	if tally.LostAcknowledged != 0 || tally.Duplicates != 0 || tally.Stale != 0 || tally.Found < tally.Acknowledged || tally.Acknowledged < tally.Sent {
		t.Fatalf("while the second exchange joined in its namespace: an issuance is missing, refused or doubled, or a verification was wrong: %+v", tally)
	}
	for _, ch := range []string{"nanning", "liuzhou"} {
		if err := operators.byMajority(ch, admins[ch], filepath.Join(dir, "consent-"+ch+".pb"), "--add-consenter", "orderer0.exchange2"); err != nil {
			t.Fatal(err)
		}
	}
	out := operators.run(0, "network dataledger is up", "network", "up", "--join-from-snapshot", "--fabric-tools", filepath.Join(root, "network", "fabrictools"))
	for _, ch := range []string{"nanning", "liuzhou"} {
		if !strings.Contains(out, "peer0.exchange2 joined "+ch+" from a snapshot") {
			t.Fatalf("up did not join peer0.exchange2 to %s from a snapshot:\n%s", ch, out)
		}
	}
	grown, err := network.Open(extended, nsHome, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	grown.BinDir = binDir
	orgsAreApart(t, grown)
	own, err := grown.Connect("Exchange2MSP", "exchange", nil)
	if err != nil {
		t.Fatal(err)
	}
	var v domain.Verification
	for attempt := 0; ; attempt++ {
		b, err := own.Evaluate("nanning", "VerifyCredential", probe)
		if err == nil && json.Unmarshal(b, &v) == nil && v.Status == domain.VerifyValid {
			break
		}
		if attempt > 100 {
			own.Close()
			t.Fatalf("the second exchange's peer (%s) does not verify a credential issued before it joined: %+v %v", own.Peer.Address(), v, network.ErrorText(err))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Its own gateway, holding its identities alone, answers for it.
	saved := net
	net = grown
	srv := orgGateway(t, "Exchange2MSP")
	net = saved
	status, body := httpGet(t, srv.URL+"/api/v1/verify/"+probe, "")
	var answer gateway.VerifyResponse
	if status != http.StatusOK || json.Unmarshal(body, &answer) != nil || answer.Status != domain.VerifyValid {
		own.Close()
		t.Fatalf("the second exchange's gateway on a credential issued before it joined: %d %s", status, body)
	}
	t.Logf("a second exchange in namespace %s joined nanning and liuzhou: propose → refused → 2 signatures → committed %s under load %+v; its peer (%s) from snapshots and its own gateway verify the probe",
		grown.D.Org("Exchange2MSP").NetNS, took.Round(10*time.Millisecond), tally, own.Peer.Address())
	return grown, own
}

// orgsAreApart: each org's processes run as its own account, its
// directory is that account's alone (0700), what it publishes holds no
// private key, and the kernel refuses one org's account another org's
// keys while it reads its own: no org reads another's private key path.
func orgsAreApart(t *testing.T, n *network.Net) {
	t.Helper()
	uids := map[string]string{}
	uidOf := func(account string) string {
		if uid, ok := uids[account]; ok {
			return uid
		}
		out, err := exec.Command("id", "-u", account).Output()
		if err != nil {
			t.Fatalf("account %s: %v", account, err)
		}
		uids[account] = strings.TrimSpace(string(out))
		return uids[account]
	}
	read := func(account, path string) error {
		out, err := exec.Command("setpriv", "--reuid", uidOf(account), "--regid", uidOf(account), "--clear-groups", "--", "cat", path).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	keysOf := map[string][]string{}
	for _, o := range n.D.Orgs {
		if o.Account == "" {
			t.Fatalf("org %s runs as no account of its own in %s", o.Name, n.DescriptionPath)
		}
		uid := uidOf(o.Account)
		var ids []string
		for _, x := range o.Orderers {
			ids = append(ids, x.ID())
		}
		for _, p := range o.Peers {
			ids = append(ids, p.ID(), "cc."+p.ID())
		}
		for _, id := range ids {
			pid, ok := n.PID(id)
			if !ok {
				t.Fatalf("%s is not running", id)
			}
			status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`(?m)^Uid:\s+(\d+)\s+(\d+)`).FindStringSubmatch(string(status))
			if m == nil || m[1] != uid || m[2] != uid {
				t.Fatalf("%s (pid %d) runs as uid %v, want %s's %s", id, pid, m, o.Account, uid)
			}
		}
		var st syscall.Stat_t
		if err := syscall.Stat(n.L.OrgHome(o), &st); err != nil {
			t.Fatal(err)
		}
		if strconv.Itoa(int(st.Uid)) != uid || st.Mode&0o077 != 0 {
			t.Fatalf("%s belongs to uid %d, mode %o: want %s's alone", n.L.OrgHome(o), st.Uid, st.Mode&0o777, o.Account)
		}
		if err := filepath.WalkDir(n.L.OrgHome(o), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(d.Name(), "_sk") || strings.HasSuffix(d.Name(), ".key")) {
				keysOf[o.Name] = append(keysOf[o.Name], path)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(keysOf[o.Name]) < 4 {
			t.Fatalf("%s holds %d private keys", o.Name, len(keysOf[o.Name]))
		}
		// Its CAs' root keys are among them: its Fabric CA, run by its
		// account, made them in its directory.
		caKeys := 0
		for _, k := range keysOf[o.Name] {
			if strings.HasPrefix(k, filepath.Join(n.L.CAHome(o), "server")+string(filepath.Separator)) {
				caKeys++
			}
		}
		if caKeys < 2 {
			t.Fatalf("%s's directory holds %d keys of its CAs, want its CA's and its TLS CA's: %v", o.Name, caKeys, keysOf[o.Name])
		}
		published := 0
		if err := filepath.WalkDir(n.L.PublicDir(o), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			published++
			b, err := os.ReadFile(path)
			if err != nil || strings.Contains(string(b), "PRIVATE KEY") {
				t.Errorf("%s publishes a private key, or an unreadable file: %s (%v)", o.Name, path, err)
			}
			var st syscall.Stat_t
			if err := syscall.Lstat(path, &st); err != nil || st.Uid != 0 || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
				t.Errorf("%s: not a regular file of root's (what an org offers is checked and copied by root): %v", path, err)
			}
			return nil
		}); err != nil || published < 3 {
			t.Fatalf("%s publishes %d files: %v", o.Name, published, err)
		}
	}
	for _, o := range n.D.Orgs {
		if err := read(o.Account, keysOf[o.Name][0]); err != nil {
			t.Fatalf("%s cannot read its own key %s: %v", o.Account, keysOf[o.Name][0], err)
		}
		for _, other := range n.D.Orgs {
			if other == o {
				continue
			}
			for _, key := range keysOf[other.Name] {
				if err := read(o.Account, key); err == nil || !strings.Contains(err.Error(), "Permission denied") {
					t.Fatalf("%s's account reads %s's key %s: %v", o.Name, other.Name, key, err)
				}
			}
		}
	}
	keys := map[string]int{}
	for org, k := range keysOf {
		keys[org] = len(k)
	}
	t.Logf("each org's processes run as its account; none of the %d accounts reads another org's keys (keys: %v)", len(n.D.Orgs), keys)
}

// twoGatewaysOfOneOrg: two instances of the city's own gateway (each
// holding CityA's identities alone, its peer in the city's namespace)
// share their state in PostgreSQL behind a round-robin client whose every
// keyed write is retried at once on the other instance: 1,000 writes, 1,000
// records, none twice (exactlyOnceAcross).
func twoGatewaysOfOneOrg(t *testing.T, n *network.Net) {
	t.Helper()
	saved := net // the suite's helpers serve and read the network in force
	net = n
	defer func() { net = saved }()
	ks, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	issuer, _, err := ks.Create("CityAMSP", gateway.RoleIssuer)
	if err != nil {
		t.Fatal(err)
	}
	dsn := freshIndexDB(t)
	var urls []string
	for range 2 {
		st, err := pgstate.Open(context.Background(), dsn, 0)
		if err != nil {
			t.Fatalf("PostgreSQL is required (scripts/deps.sh starts it): %v", err)
		}
		t.Cleanup(st.Close)
		cfg := gateway.DefaultConfig()
		cfg.PublicIdentity = gateway.Identity{Org: "CityAMSP", User: "clerk"}
		cfg.Idempotency, cfg.AuditCheckpoints = st, st
		srv, _, _ := startServerFor(t, &cfg, ks, "CityAMSP")
		urls = append(urls, srv.URL)
	}
	exactlyOnceAcross(t, issuer, 1000, urls...)
}

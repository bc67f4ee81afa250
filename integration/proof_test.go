package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/network"
	"dataledger/proof"
	"dataledger/proof/prooftest"
)

// httpGet fetches a gateway URL as a caller (key "": the public).
func httpGet(t *testing.T, url, key string) (int, []byte) {
	t.Helper()
	return request(t, http.MethodGet, url, key, nil)
}

// pinnedTrust writes the network's trust file, as `dataledger proof
// trust` prints it, where the CLI can read it, and returns it parsed. It
// pins each channel's genesis block as the peers hold it.
func pinnedTrust(t *testing.T) (string, *proof.TrustFile) {
	t.Helper()
	code, out := exitCode(t, "proof", "trust", "--home", home, "--description", description)
	if code != 0 {
		t.Fatalf("proof trust: exit %d\n%s", code, out)
	}
	tf, err := proof.ParseTrust([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(tf.Channels) != len(net.D.Channels) {
		t.Fatalf("the trust file pins %v", tf.ChannelNames())
	}
	path := filepath.Join(t.TempDir(), "trust.json")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, tf
}

// issuedCredential is the number of a credential issued on nanning to a
// fresh enterprise, committed on every peer.
func issuedCredential(t *testing.T, label string) string {
	t.Helper()
	is, ag := holderAgreement(t, label)
	cred, signed, _ := is.Credential(ag, is.Key)
	issued, err := is.Issue(signed, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, issued)
	return cred.AuthorizationNumber
}

// servedBundle is the proof bundle a gateway serves for a number on a
// route (credentials, certificates, …), raw and parsed.
func servedBundle(t *testing.T, base, route, number string) ([]byte, *proof.Bundle) {
	t.Helper()
	status, raw := httpGet(t, base+"/api/v1/"+route+"/"+number+"/proof", "")
	if status != http.StatusOK {
		t.Fatalf("proof of %s: %d %s", number, status, raw)
	}
	b, err := proof.ParseBundle(raw)
	if err != nil {
		t.Fatal(err)
	}
	return raw, b
}

// cliVerify runs `dataledger proof verify --trust trustFile` on a bundle
// (written to a file of its own) and answers its exit status and output.
func cliVerify(t *testing.T, trustFile string, bundle []byte) (int, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "bundle.proof.json")
	if err := os.WriteFile(file, bundle, 0o644); err != nil {
		t.Fatal(err)
	}
	return exitCode(t, "proof", "verify", "--trust", trustFile, file)
}

// gatewayVerification is a gateway's verification of a bundle (the
// verification page's check).
func gatewayVerification(t *testing.T, base string, bundle []byte) proof.Report {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/proofs/verify", "application/json", bytes.NewReader(bundle))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep proof.Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatalf("the gateway's verification: %d: %v", resp.StatusCode, err)
	}
	return rep
}

// exitCode runs the dataledger CLI and returns its exit status and output.
func exitCode(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "dataledger"), args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// TestProofBundlesFromTheRealNetwork: a credential, a certificate and an
// objection's decision, each served as a proof bundle by the gateway,
// verify offline with the network's genesis pinned; every forgery of a
// genuine bundle is caught with its reason, by the library and by the CLI.
func TestProofBundlesFromTheRealNetwork(t *testing.T) {
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	srv, _ := startGateway(t, nil, ks)
	is, ag := holderAgreement(t, "南宁证明测试")
	cred, signed, _ := is.Credential(ag, is.Key)
	issued, err := is.Issue(signed, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	cert, build := is.CertificateFor(ag.Grantee, ag.GranteeName, "证明测试产品", []string{"RES-450100-0001"}, true)
	registered, err := is.RegisterCertificate(build, "")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, registered) // the exchange's peer files against it next
	exchange := connect(t, "ExchangeMSP", "exchange", nil)
	objection := domain.ObjectionInput{Number: is.Number(domain.PrefixObjection), TargetKind: "certificate", Target: cert.RegistrationNumber,
		EvidenceDigest: certs.SM3Hex([]byte("证明测试证据")), Summary: privateText("核对数据来源（证明测试）")}
	synced(t, submitJSON(t, exchange, "FileObjection", objection)) // filed on the exchange's peer, decided through the city's
	decided := submitJSON(t, is.Operator, "DecideObjection", objection.Number, domain.ObjectionDecision{Outcome: domain.OutcomeDismissed, Reasons: privateText("数据来源合规（证明测试）")})
	synced(t, decided)

	trustFile, pinned := pinnedTrust(t)
	artifacts := filepath.Join(root, "integration", "artifacts")
	_ = os.MkdirAll(artifacts, 0o755)
	bundles := map[string]*proof.Bundle{}
	for _, c := range []struct {
		path, number, txID string
	}{
		{"credentials", cred.AuthorizationNumber, issued.TxID},
		{"certificates", cert.RegistrationNumber, registered.TxID},
		{"objections", objection.Number, decided.TxID},
	} {
		status, raw := httpGet(t, srv.URL+"/api/v1/"+c.path+"/"+c.number+"/proof", "")
		if status != http.StatusOK {
			t.Fatalf("%s proof: %d %s", c.path, status, raw)
		}
		file := filepath.Join(artifacts, c.number+".proof.json")
		if err := os.WriteFile(file, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := proof.ParseBundle(raw)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		const rounds = 20
		var r *proof.Report
		for range rounds {
			r = proof.Verify(b, pinned)
		}
		per := time.Since(start) / rounds
		if !r.OK || b.Record.TxID != c.txID {
			var sb strings.Builder
			r.Print(&sb)
			t.Fatalf("%s bundle (tx %s, want %s):\n%s", c.path, b.Record.TxID, c.txID, sb.String())
		}
		t.Logf("%s %s: bundle %d bytes (%d block(s), %d link(s)), verified offline in %s", c.path, c.number, len(raw), 1+len(b.Configs)+map[bool]int{true: 1}[b.IssuerKey != nil], len(b.Links), per.Round(10*time.Microsecond))
		if code, out := exitCode(t, "proof", "verify", "--trust", trustFile, file); code != 0 || !strings.Contains(out, "VERIFIED") {
			t.Fatalf("CLI on the genuine %s bundle: exit %d\n%s", c.path, code, out)
		}
		bundles[c.path] = b
	}
	if !strings.Contains(string(bundles["certificates"].Document), registered.TxID) {
		t.Fatal("the certificate in the bundle does not carry its 区块链编号")
	}

	// Every forgery, on fresh bundles, through the CLI (exit 1, the check named).
	for _, path := range []string{"credentials", "certificates"} {
		for _, tm := range prooftest.Tamperings() {
			b := prooftest.Clone(bundles[path])
			if err := tm.Apply(b); err != nil {
				t.Fatalf("%s: %v", tm.Name, err)
			}
			r := proof.Verify(b, pinned)
			if c := r.Failed(tm.Check); r.OK || c == nil || !strings.Contains(c.Detail, tm.Reason) {
				t.Fatalf("%s / %s: want %s to fail with %q, report %+v", path, tm.Name, tm.Check, tm.Reason, r.Checks)
			}
			raw, _ := json.Marshal(b)
			code, out := cliVerify(t, trustFile, raw)
			if code != 1 || !strings.Contains(out, "✗ "+tm.Check) {
				t.Fatalf("CLI on %s / %s: exit %d\n%s", path, tm.Name, code, out)
			}
		}
	}
	if code, _ := exitCode(t, "proof", "verify", filepath.Join(root, "go.mod")); code != 2 {
		t.Fatalf("a file that is no bundle: exit %d, want 2", code)
	}

	// A key holder of a collection member gets the private part with the
	// bundle, proven by the hash its block keeps; the public bundle has
	// none, and a private part that is not the one written fails.
	if bundles["objections"].Private != nil {
		t.Fatal("the public bundle of an objection carries its private part")
	}
	issuer, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	status, held := httpGet(t, srv.URL+"/api/v1/objections/"+objection.Number+"/proof", issuer)
	if status != http.StatusOK {
		t.Fatalf("the key holder's objection proof: %d %s", status, held)
	}
	hb, err := proof.ParseBundle(held)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := proof.Verify(hb, pinned)
	took := time.Since(start)
	if c := r.Failed("record.private"); !r.OK || hb.Private == nil || c != nil || !strings.Contains(string(hb.Private.Value), objection.Summary) {
		var sb strings.Builder
		r.Print(&sb)
		t.Fatalf("the key holder's bundle:\n%s", sb.String())
	}
	public, _ := json.Marshal(bundles["objections"])
	t.Logf("the key holder's objection bundle: %d bytes (the public's %d), its private part %d bytes, verified offline in %s",
		len(held), len(public), len(hb.Private.Value), took.Round(10*time.Microsecond))
	for name, tamper := range map[string]func(*proof.Bundle){
		"another summary": func(b *proof.Bundle) {
			b.Private.Value = []byte(strings.Replace(string(b.Private.Value), "核对", "核实", 1))
		},
		"a public field changed": func(b *proof.Bundle) {
			b.Private.Value = []byte(strings.Replace(string(b.Private.Value), `"status":"decided"`, `"status":"open"`, 1))
		},
	} {
		b := prooftest.Clone(hb)
		tamper(b)
		if r := proof.Verify(b, pinned); r.OK || r.Failed("record.private") == nil {
			t.Fatalf("%s: the tampered private part verifies", name)
		}
	}

	// The page's check: the gateway verifies with the network's trust file.
	raw, _ := json.Marshal(bundles["certificates"])
	rep := gatewayVerification(t, srv.URL, raw)
	// The certificate's status, derived from the records its bundle proves:
	// the objection against it was dismissed.
	if !rep.OK || !rep.Pinned || rep.Derived == nil || rep.Derived.Status != domain.VerifyValid {
		t.Fatalf("the gateway's verification: %+v", rep)
	}
	// A number of another kind on a route is refused before any lookup.
	if status, body := httpGet(t, srv.URL+"/api/v1/certificates/"+cred.AuthorizationNumber+"/proof", ""); status != http.StatusUnprocessableEntity {
		t.Fatalf("a credential number on the certificates route: %d %s", status, body)
	}
}

// TestRegulatorAuditsTheChain: the regulator's endpoint walks the chain
// and resumes from its checkpoint; the CLI audits a copy of a peer's block
// files and finds a corrupted block in it, never touching the live one.
func TestRegulatorAuditsTheChain(t *testing.T) {
	dir := t.TempDir()
	ks, _ := gateway.OpenKeyStore(filepath.Join(dir, "keys.json"))
	regulator, _, _ := ks.Create("ProvinceMSP", gateway.RoleRegulator)
	enterprise := enterpriseKey(t, ks, "CityAMSP", newCreditCode("450102"))
	cfg := gateway.DefaultConfig()
	cfg.AuditDir = filepath.Join(dir, "audit")
	_ = os.MkdirAll(cfg.AuditDir, 0o700)
	srv, _ := startGateway(t, &cfg, ks)
	url := srv.URL + "/api/v1/channels/nanning/audit"
	if status, _ := httpGet(t, url, ""); status != http.StatusUnauthorized {
		t.Fatalf("the public audits: %d", status)
	}
	if status, _ := httpGet(t, url, enterprise); status != http.StatusForbidden {
		t.Fatalf("an enterprise audits: %d", status)
	}
	type report struct {
		OK           bool   `json:"ok"`
		From         uint64 `json:"from"`
		Blocks       int    `json:"blocks"`
		Transactions int    `json:"transactions"`
		NextFrom     uint64 `json:"nextFrom"`
		Elapsed      string `json:"elapsed"`
		FirstBroken  any    `json:"firstBroken"`
	}
	audit := func(q string) report {
		t.Helper()
		status, body := httpGet(t, url+q, regulator)
		var r report
		if status != http.StatusOK || json.Unmarshal(body, &r) != nil || !r.OK {
			t.Fatalf("audit: %d %s", status, body)
		}
		return r
	}
	first := audit("?from=genesis")
	if first.From != 0 || first.Blocks < 5 || first.NextFrom != uint64(first.Blocks) {
		t.Fatalf("first audit %+v", first)
	}
	ping := connect(t, "CityAMSP", "authority", nil)
	p, err := ping.Submit("nanning", "Ping")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, p)
	next := audit("")
	if next.From != first.NextFrom || next.Blocks < 1 || next.Blocks > 3 {
		t.Fatalf("the audit did not resume from its checkpoint: first %+v, next %+v", first, next)
	}
	t.Logf("regulator's audit of nanning: %d blocks, %d transactions in %s", first.Blocks, first.Transactions, first.Elapsed)

	// A copy of the city peer's block files, audited with no network.
	trustFile, _ := pinnedTrust(t)
	live := net.L.BlockFiles(net.D.Org("CityAMSP").Peers[0].ID(), "nanning")
	cp := filepath.Join(t.TempDir(), "nanning")
	if err := os.MkdirAll(cp, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(live)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(live, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cp, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if code, out := exitCode(t, "audit", "chain", "--channel", "nanning", "--blockfiles", cp, "--trust", trustFile); code != 0 {
		t.Fatalf("audit of an intact copy: exit %d\n%s", code, out)
	}
	broken := uint64(first.Blocks / 2)
	if err := prooftest.CorruptBlockFile(filepath.Join(cp, "blockfile_000000"), broken); err != nil {
		t.Fatal(err)
	}
	code, out := exitCode(t, "audit", "chain", "--channel", "nanning", "--blockfiles", cp, "--trust", trustFile)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("BROKEN at block %d: the header's data hash does not match", broken)) {
		t.Fatalf("audit of a corrupted copy (block %d): exit %d\n%s", broken, code, out)
	}
	// The live ledger, read through the peer, is intact.
	if code, out := exitCode(t, "audit", "chain", "--channel", "nanning", "--home", home, "--description", description, "--trust", trustFile); code != 0 {
		t.Fatalf("audit of the live chain: exit %d\n%s", code, out)
	}
}

// TestConfigurationUpdatesAreJudgedFromThePinnedGenesis: the channel's
// configuration changes on the real network as operators change it (an
// update computed from the configuration in force, signed by the admins
// its modification policies name); the orderers refuse an update short of
// those signatures; the bundles of records written afterwards carry every
// configuration block since genesis and verify with the trust file made
// before the change, by the library, the CLI and the gateway; the chain
// audit judges each configuration block from the pinned genesis.
func TestConfigurationUpdatesAreJudgedFromThePinnedGenesis(t *testing.T) {
	const channel = "nanning"
	trustFile, pinned := pinnedTrust(t) // made before the changes, not remade after
	// Channel ACLs added to /Channel/Application: a change of the group's
	// members, which needs MAJORITY Admins of its three organizations.
	acls := func(c *common.Config) error {
		v, err := proto.Marshal(&peer.ACLs{Acls: map[string]*peer.APIResource{"qscc/GetChainInfo": {PolicyRef: "/Channel/Application/Readers"}}})
		if err != nil {
			return err
		}
		c.ChannelGroup.Groups["Application"].Values["ACLs"] = &common.ConfigValue{ModPolicy: "Admins", Value: v}
		return nil
	}
	if _, err := net.UpdateConfig(channel, acls, "CityAMSP"); err == nil || !strings.Contains(err.Error(), "policy") {
		t.Fatalf("an update signed by one application org's admin of three: %v", err)
	}
	first, err := net.UpdateConfig(channel, acls, "CityAMSP", "ExchangeMSP")
	if err != nil {
		t.Fatal(err)
	}
	// The orderers' batch timeout, which needs /Channel/Orderer/Admins
	// (the ordering org's admin): halved, by the province.
	cur, _, err := net.ChannelConfig(channel)
	if err != nil {
		t.Fatal(err)
	}
	var bt orderer.BatchTimeout
	if err := proto.Unmarshal(cur.ChannelGroup.Groups["Orderer"].Values["BatchTimeout"].Value, &bt); err != nil {
		t.Fatal(err)
	}
	d, err := time.ParseDuration(bt.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	second, err := net.UpdateConfig(channel, func(c *common.Config) error {
		v, err := proto.Marshal(&orderer.BatchTimeout{Timeout: (d / 2).String()})
		c.ChannelGroup.Groups["Orderer"].Values["BatchTimeout"].Value = v
		return err
	}, "ProvinceMSP", "CityAMSP") // a majority of nanning's ordering orgs (CityA, Province, Exchange)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("configuration blocks %d (channel ACLs, by CityAMSP and ExchangeMSP admins) and %d (batch timeout %s → %s, by ProvinceMSP's and CityAMSP's admins)", first, second, d, d/2)

	// The network makes channels whose blocks only orderer-role identities
	// sign. A channel made before (BlockValidation = ANY Writers, which
	// any member of an ordering org satisfies) is brought to that policy
	// by "network up", through an update the ordering orgs' admins sign.
	orderersOnly := cur.ChannelGroup.Groups["Orderer"].Policies["BlockValidation"].Policy
	var spe common.SignaturePolicyEnvelope
	if err := proto.Unmarshal(orderersOnly.Value, &spe); err != nil || len(spe.Identities) != 3 {
		t.Fatalf("nanning's BlockValidation is not a signature policy of its three ordering orgs: %v %+v", err, orderersOnly)
	}
	var named []string
	for _, id := range spe.Identities {
		var role mspproto.MSPRole
		if err := proto.Unmarshal(id.Principal, &role); err != nil || role.Role != mspproto.MSPRole_ORDERER {
			t.Fatalf("nanning's BlockValidation names %+v, want orderer roles", &role)
		}
		named = append(named, role.MspIdentifier)
	}
	if !slices.Equal(named, []string{"CityAMSP", "ProvinceMSP", "ExchangeMSP"}) {
		t.Fatalf("nanning's BlockValidation names the orderers of %v, want its members'", named)
	}
	old, err := net.UpdateConfig(channel, func(c *common.Config) error {
		c.ChannelGroup.Groups["Orderer"].Policies["BlockValidation"].Policy = &common.Policy{Type: int32(common.Policy_IMPLICIT_META),
			Value: mustMarshalIT(t, &common.ImplicitMetaPolicy{SubPolicy: "Writers", Rule: common.ImplicitMetaPolicy_ANY})}
		return nil
	}, "ProvinceMSP", "CityAMSP")
	if err != nil {
		t.Fatal(err)
	}
	if err := cli("network", "up"); err != nil {
		t.Fatal(err)
	}
	now, restored, err := net.ChannelConfig(channel)
	if err != nil {
		t.Fatal(err)
	}
	if restored != old+1 || !proto.Equal(now.ChannelGroup.Groups["Orderer"].Policies["BlockValidation"].Policy, orderersOnly) {
		t.Fatalf("network up left BlockValidation at configuration block %d (the old policy was set at %d): %+v", restored, old, now.ChannelGroup.Groups["Orderer"].Policies["BlockValidation"])
	}

	// A record written under the new configuration, and its public bundle.
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	srv, _ := startGateway(t, nil, ks)
	raw, b := servedBundle(t, srv.URL, "credentials", issuedCredential(t, "南宁配置变更测试"))
	var nums []uint64
	for _, c := range b.Configs {
		nums = append(nums, c.BlockNumber)
	}
	// Every configuration block since genesis: the run's earlier ones (an
	// org's CRL, TestAnOrgsCAEnrollsWhoActsOnTheNetwork) before this test's.
	if want := []uint64{first, second, old, restored}; len(nums) < 5 || nums[0] != 0 || !slices.Equal(nums[len(nums)-4:], want) || !slices.IsSorted(nums) {
		t.Fatalf("the bundle carries configuration blocks %v, want 0, any earlier ones, then %v", nums, want)
	}
	r := proof.Verify(b, pinned)
	if c := check(r, "record.orderers"); !r.OK || c == nil || !strings.Contains(c.Detail, "(orderer)") || strings.Contains(c.Detail, "(peer)") {
		var sb strings.Builder
		r.Print(&sb)
		t.Fatalf("the bundle does not verify from the pinned genesis, its blocks signed by orderer-role identities:\n%s", sb.String())
	}
	if code, out := cliVerify(t, trustFile, raw); code != 0 || !strings.Contains(out, fmt.Sprintf("✓ config[%d]", second)) {
		t.Fatalf("CLI: exit %d\n%s", code, out)
	}
	if rep := gatewayVerification(t, srv.URL, raw); !rep.OK || !rep.Pinned {
		t.Fatalf("the gateway's verification: %+v", rep.Checks)
	}
	// Dropping this test's first update from the bundle breaks its chain.
	gap := prooftest.Clone(b)
	i := len(gap.Configs) - 4
	gap.Configs = append(gap.Configs[:i], gap.Configs[i+1:]...)
	if c := proof.Verify(gap, pinned).Failed("config["); c == nil || !strings.Contains(c.Detail, "missing") {
		t.Fatalf("a bundle without the first update: %+v", c)
	}
	// The regulator's chain audit takes every configuration block, as the
	// bundle does.
	code, out := exitCode(t, "audit", "chain", "--channel", channel, "--home", home, "--description", description, "--trust", trustFile)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d configuration block(s)", len(nums))) {
		t.Fatalf("audit: exit %d\n%s", code, out)
	}
}

func mustMarshalIT(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// check is the report's check of that name.
func check(r *proof.Report, name string) *proof.Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

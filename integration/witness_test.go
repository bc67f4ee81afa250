package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dataledger/gateway"
	"dataledger/proof"
)

// witnessConfig is a gateway configuration that witnesses nanning as
// org's user.
func witnessConfig(t *testing.T, org, user string, period time.Duration) *gateway.Config {
	t.Helper()
	cfg := gateway.DefaultConfig()
	creator, sign, err := net.Signer(org, user)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Witness = &gateway.WitnessConfig{Who: gateway.Identity{Org: org, User: user}, Creator: creator, Sign: sign,
		Channels: []string{"nanning"}, Period: period}
	return &cfg
}

// TestWitnessesCoSignEachOthersHeads: the province's and the exchange's
// gateways, each reading its own org's peer, co-sign each other's heads
// of nanning; a bundle served by a witness carries, for each of its
// blocks, a head both organizations signed, and verifies offline saying
// so. A head another organization signed for a different version of a
// block raises the alarm within one period: the metric, the regulators'
// list, and a 409 to the one who posts it.
func TestWitnessesCoSignEachOthersHeads(t *testing.T) {
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	regulator, _, _ := ks.Create("ProvinceMSP", gateway.RoleRegulator)
	const period = 2 * time.Second
	a, _, province := startServer(t, witnessConfig(t, "ProvinceMSP", "witness", period), ks)
	b, _, exchange := startServer(t, witnessConfig(t, "ExchangeMSP", "witness", period), ks)
	plain, _ := startGateway(t, nil, ks)
	province.SetWitnessPeers([]string{b.URL})
	exchange.SetWitnessPeers([]string{a.URL})
	ctx := context.Background()

	// Rounds until the province's latest head carries both signatures (a
	// new block between rounds starts a new head).
	var head proof.Head
	start := time.Now()
	for {
		province.WitnessRound(ctx)
		exchange.WitnessRound(ctx)
		status, raw := httpGet(t, a.URL+"/api/v1/channels/nanning/heads", "")
		if status != http.StatusOK || json.Unmarshal(raw, &head) != nil {
			t.Fatalf("heads: %d %s", status, raw)
		}
		if len(head.Signatures) == 2 {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("the province's head is not co-signed: %+v", head)
		}
	}
	round := time.Now()
	province.WitnessRound(ctx)
	exchange.WitnessRound(ctx)
	t.Logf("head of nanning at height %d co-signed by both witnesses; one round of both takes %s", head.Height, time.Since(round).Round(time.Millisecond))

	// A credential's bundle from the province's witness gateway: every
	// block witnessed by both organizations.
	number := issuedCredential(t, "南宁见证测试")
	raw, b1 := servedBundle(t, a.URL, "credentials", number)
	bare, _ := servedBundle(t, plain.URL, "credentials", number)
	trustFile, trust := pinnedTrust(t)
	r := proof.Verify(b1, trust)
	if !r.OK || strings.Join(r.WitnessedBy, ",") != "ExchangeMSP,ProvinceMSP" || len(b1.Heads) != len(b1.Blocks()) {
		var sb strings.Builder
		r.Print(&sb)
		t.Fatalf("the witnessed bundle (%d heads for %d blocks):\n%s", len(b1.Heads), len(b1.Blocks()), sb.String())
	}
	if code, out := cliVerify(t, trustFile, raw); code != 0 || !strings.Contains(out, "every block witnessed by 2 organization(s): ExchangeMSP, ProvinceMSP") {
		t.Fatalf("CLI: exit %d\n%s", code, out)
	}
	verifyStart := time.Now()
	for range 10 {
		proof.Verify(b1, trust)
	}
	t.Logf("bundle of %s: %d bytes without heads, %d with %d heads of 2 signatures; verified offline in %s", number, len(bare), len(raw), len(b1.Heads), (time.Since(verifyStart) / 10).Round(10*time.Microsecond))

	// Another version of the exchange's latest block, signed by CityAMSP's
	// witness (whose key the test holds: an org that was shown a forked
	// chain), served by a gateway the exchange's witness compares with. A
	// head signed by any other identity of the org is not a witness's and
	// raises nothing.
	info, err := connect(t, "ExchangeMSP", "exchange", nil).Height("nanning")
	if err != nil {
		t.Fatal(err)
	}
	forged := proof.NewHead("nanning", info, bytes.Repeat([]byte{0xab}, 32))
	creator, sign, err := net.Signer("CityAMSP", "witness")
	if err != nil {
		t.Fatal(err)
	}
	if err := forged.Sign(creator, sign, time.Now()); err != nil {
		t.Fatal(err)
	}
	fork := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(forged)
	}))
	defer fork.Close()
	exchange.SetWitnessPeers([]string{a.URL, fork.URL})
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	raised := time.Now()
	go exchange.RunWitness(runCtx)
	var alarms gateway.WitnessAlarms
	for {
		status, raw := httpGet(t, b.URL+"/api/v1/witness/alarms", regulator)
		if status != http.StatusOK || json.Unmarshal(raw, &alarms) != nil {
			t.Fatalf("alarms: %d %s", status, raw)
		}
		if len(alarms.Alarms) > 0 {
			break
		}
		if time.Since(raised) > period {
			t.Fatalf("no alarm within one period (%s)", period)
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := alarms.Alarms[0]
	if alarms.Witness != "ExchangeMSP" || got.From != fork.URL || got.Height != info || !slices.Equal(got.Orgs, []string{"CityAMSP"}) || got.Their != forged.Hash || got.Ours == got.Their {
		t.Fatalf("the alarm: %+v", got)
	}
	t.Logf("alarm raised %s after the forked head was served (period %s)", time.Since(raised).Round(time.Millisecond), period)
	_, metrics := httpGet(t, b.URL+"/metrics", "")
	if !strings.Contains(string(metrics), `dataledger_witness_alarms_total{channel="nanning"} 1`) {
		t.Errorf("the alarm metric:\n%s", grepLines(string(metrics), "dataledger_witness"))
	}
	// Posted to the province's witness, the same head is refused (409) and kept as an alarm.
	body, _ := json.Marshal(forged)
	resp, err := http.Post(a.URL+"/api/v1/channels/nanning/heads", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("a forked head posted: %d", resp.StatusCode)
	}
	if _, raw := httpGet(t, a.URL+"/api/v1/witness/alarms", regulator); !strings.Contains(string(raw), `"from":"posted"`) {
		t.Fatalf("the province's alarms: %s", raw)
	}
	// Alarms are the regulators'.
	if status, _ := httpGet(t, a.URL+"/api/v1/witness/alarms", ""); status != http.StatusUnauthorized && status != http.StatusForbidden {
		t.Fatalf("alarms to the public: %d", status)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAnyOrgsGatewayAnswersAlike: the public verification is the same
// whichever org's gateway serves it, each reading its own org's peer as
// its own clerk: the province's and the exchange's answer a certificate's
// verification alike, and their proof bundles prove the same
// transactions under the same configurations, each verifying offline.
func TestAnyOrgsGatewayAnswersAlike(t *testing.T) {
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	province, _ := startGateway(t, nil, ks)
	cfg := gateway.DefaultConfig()
	cfg.PublicIdentity = gateway.Identity{Org: "ExchangeMSP", User: "clerk"}
	exchange, _ := startGateway(t, &cfg, ks)
	number := issuedCredential(t, "南宁任一网关测试")
	var answers [2]gateway.VerifyResponse
	for i, base := range []string{province.URL, exchange.URL} {
		status, raw := httpGet(t, base+"/api/v1/verify/"+number, "")
		if status != http.StatusOK || json.Unmarshal(raw, &answers[i]) != nil {
			t.Fatalf("%s: %d %s", base, status, raw)
		}
		answers[i].At = "" // the moment each was asked
	}
	a, _ := json.Marshal(answers[0])
	b, _ := json.Marshal(answers[1])
	if !bytes.Equal(a, b) || answers[0].Status != "valid" {
		t.Fatalf("the province's gateway answers\n%s\nthe exchange's\n%s", a, b)
	}
	_, trust := pinnedTrust(t)
	_, fromProvince := servedBundle(t, province.URL, "credentials", number)
	_, fromExchange := servedBundle(t, exchange.URL, "credentials", number)
	for _, bundle := range []*proof.Bundle{fromProvince, fromExchange} {
		if r := proof.Verify(bundle, trust); !r.OK {
			t.Fatalf("a bundle does not verify: %+v", r.Checks)
		}
	}
	// The same blocks: the same headers (number, previous hash, data
	// hash). Their orderer signatures may differ: each Raft node signs the
	// blocks it writes, and the two peers may have pulled from different
	// nodes.
	header := func(raw []byte) string {
		hash, err := proof.HeaderHashHex(raw)
		if err != nil {
			t.Fatal(err)
		}
		return hash
	}
	same := func(x, y *proof.Bundle) bool {
		if x.Record.TxID != y.Record.TxID || len(x.Links) != len(y.Links) || len(x.Configs) != len(y.Configs) {
			return false
		}
		for i := range x.Links {
			if x.Links[i].TxID != y.Links[i].TxID || x.Links[i].BlockNumber != y.Links[i].BlockNumber {
				return false
			}
		}
		for i := range x.Configs {
			if header(x.Configs[i].Block) != header(y.Configs[i].Block) {
				return false
			}
		}
		return header(x.Record.Block) == header(y.Record.Block)
	}
	if !same(fromProvince, fromExchange) {
		t.Fatal("the two gateways' bundles prove different transactions or blocks")
	}
}

package integration

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"dataledger/gateway"
	"dataledger/network"
)

// TestChaincodeServerKilledGatewayAnswers503ThenRecovers: with the chaincode
// server behind the gateway's reading peer killed, verifications still
// answer (the peer evaluates on another member's peer); with every chaincode
// server of the channel killed, a verification that must go to the ledger
// is a 503 with Retry-After (not an error page, not a stale answer); once
// the servers are back (`network up` restarts what is missing) the same
// gateway answers again by itself.
func TestChaincodeServerKilledGatewayAnswers503ThenRecovers(t *testing.T) {
	is, ag := holderAgreement(t, "南宁故障测试")
	doc, signed, _ := is.Credential(ag, is.Key)
	issued, err := is.Issue(signed, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, issued)
	cfg := gateway.DefaultConfig()
	cfg.Cache = gateway.NoCache{} // every verification asks the ledger
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	srv, _ := startGateway(t, &cfg, ks)
	url := srv.URL + "/api/v1/verify/" + doc.AuthorizationNumber
	if status, body := httpGet(t, url, ""); status != http.StatusOK {
		t.Fatalf("before the fault: %d %s", status, body)
	}

	// One chaincode server down: the peer's gateway evaluates on another
	// member's peer, and the answer does not change.
	kill9(t, "cc."+peerOf(cfg.PublicIdentity.Org).ID())
	if status, body := httpGet(t, url, ""); status != http.StatusOK {
		t.Fatalf("with one chaincode server down: %d %s", status, body)
	}
	// Every chaincode server of the channel down: nothing can answer.
	for _, m := range net.D.Channel("nanning").Members {
		if m != cfg.PublicIdentity.Org {
			kill9(t, "cc."+peerOf(m).ID())
		}
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p gateway.Problem
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || p.Status != http.StatusServiceUnavailable {
		t.Fatalf("with the chaincode server down: %d, Retry-After %q, %+v", resp.StatusCode, resp.Header.Get("Retry-After"), p)
	}

	if err := cli("network", "up"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, body := httpGet(t, url, "")
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway did not recover: %d %s", status, body)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

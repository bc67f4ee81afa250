package gateway

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"dataledger/proof"
	"dataledger/proof/prooftest"
)

// TestWitnessRoutesRefuseBeforeReadingTheLedger: the heads routes of a
// witness of nanning (over the fixture chain) refuse other channels, bad
// heights, malformed heads and heads whose signers are not the channel's
// witnesses, each by name; the alarms are the regulators'.
func TestWitnessRoutesRefuseBeforeReadingTheLedger(t *testing.T) {
	l := newChainLedger(t)
	ks, err := OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	regulator, _, _ := ks.Create("ProvinceMSP", RoleRegulator)
	acl, err := LoadACL(nil)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cfg := DefaultConfig()
	cfg.Witness = &WitnessConfig{Who: Identity{Org: "ProvinceMSP", User: "witness"}, Channels: []string{"nanning"},
		Creator: []byte("not used by the refusals"), Sign: func(d []byte) ([]byte, error) { return prooftest.SignDigest(key, d) }}
	h, err := NewServer(cfg, acl, ks, l, slog.New(slog.DiscardHandler)).Router()
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, key string, body []byte) (int, string) {
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	// A head of the fixture's block 5, signed by a key of a CA the channel
	// does not know, claiming CityAMSP.
	raw := l.blocks[5]
	hash, err := proof.HeaderHashHex(raw)
	if err != nil {
		t.Fatal(err)
	}
	ca, caKey, _ := prooftest.NewCA("not CityAMSP's CA")
	leaf, leafKey, _ := prooftest.NewLeafWithRole(ca, caKey, "witness", "client", "witness")
	creator, _ := proto.Marshal(&msp.SerializedIdentity{Mspid: "CityAMSP", IdBytes: leaf})
	head := &proof.Head{Format: proof.HeadFormat, Channel: "nanning", Height: 6, Hash: hash}
	blk, _ := proof.ParseBlock(raw)
	if err := head.Sign(creator, func(d []byte) ([]byte, error) { return prooftest.SignDigest(leafKey, d) }, proof.BlockTime(blk).Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	foreign, _ := json.Marshal(head)
	tooHigh := *head
	tooHigh.Height = 1000
	high, _ := json.Marshal(&tooHigh)
	for _, c := range []struct {
		method, path string
		body         []byte
		status       int
		says         string
	}{
		{http.MethodGet, "/api/v1/channels/liuzhou/heads", nil, http.StatusNotFound, "does not witness channel liuzhou"},
		{http.MethodGet, "/api/v1/channels/liuzhou/heads/3", nil, http.StatusNotFound, "does not witness channel liuzhou"},
		{http.MethodPost, "/api/v1/channels/liuzhou/heads", foreign, http.StatusNotFound, "does not witness channel liuzhou"},
		{http.MethodGet, "/api/v1/channels/nanning/heads/0", nil, http.StatusUnprocessableEntity, "not a block height"},
		{http.MethodGet, "/api/v1/channels/nanning/heads/x", nil, http.StatusUnprocessableEntity, "not a block height"},
		{http.MethodGet, "/api/v1/channels/nanning/heads/1000", nil, http.StatusNotFound, "holds 31 blocks"},
		{http.MethodPost, "/api/v1/channels/nanning/heads", []byte(`{"format":`), http.StatusUnprocessableEntity, "not a head of channel nanning"},
		{http.MethodPost, "/api/v1/channels/nanning/heads", foreign, http.StatusUnprocessableEntity, "does not chain to CityAMSP's roots"},
		{http.MethodPost, "/api/v1/channels/nanning/heads", high, http.StatusUnprocessableEntity, "beyond this organization's peer"},
	} {
		status, body := do(c.method, c.path, "", c.body)
		if status != c.status || !strings.Contains(body, c.says) || !strings.Contains(body, RuleWitness) {
			t.Errorf("%s %s: %d %s, want %d saying %q", c.method, c.path, status, body, c.status, c.says)
		}
	}
	if status, body := do(http.MethodGet, "/api/v1/witness/alarms", "", nil); status != http.StatusUnauthorized && status != http.StatusForbidden {
		t.Errorf("alarms to the public: %d %s", status, body)
	}
	var alarms WitnessAlarms
	if status, body := do(http.MethodGet, "/api/v1/witness/alarms", regulator, nil); status != http.StatusOK || json.Unmarshal([]byte(body), &alarms) != nil || len(alarms.Alarms) != 0 || alarms.Witness != "ProvinceMSP" {
		t.Errorf("alarms: %d %s", status, body)
	}
}

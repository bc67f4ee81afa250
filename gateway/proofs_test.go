package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/proof"
	"dataledger/proof/prooftest"
)

// peerLedger answers the proof routes from the nanning block file: qscc's
// blocks, the chaincode's records and verifications (prooftest.Peer), and
// the network's trust file.
type peerLedger struct {
	*fakeLedger
	peer  *prooftest.Peer
	trust *proof.TrustFile
}

func (l *peerLedger) BlockRead(ctx context.Context, who Identity, channel, fn string, args ...string) ([]byte, error) {
	return l.Query(ctx, who, channel, "qscc", fn, args...)
}

func (l *peerLedger) Query(_ context.Context, _ Identity, channel, chaincode, fn string, args ...string) ([]byte, error) {
	return l.peer.Query(channel, chaincode, fn, args...)
}

func (l *peerLedger) Evaluate(_ context.Context, _ Identity, channel, fn string, args ...string) ([]byte, error) {
	if verified := map[string]string{network.Tx.VerifyCertificate("").Fn: domain.TypeCertificate, network.Tx.VerifyCredential("").Fn: domain.TypeCredential}[fn]; verified != "" && len(args) == 1 {
		return l.peer.Verification(channel, verified, args[0])
	}
	recordType := map[string]string{"GetCertificate": domain.TypeCertificate, "GetCredential": domain.TypeCredential}[fn]
	if recordType == "" || len(args) != 1 {
		return l.peer.Query(channel, l.peer.Chaincode, fn, args...)
	}
	return l.peer.Record(channel, recordType, args[0])
}

func (l *peerLedger) Trust() (*proof.TrustFile, error) { return l.trust, nil }

// A credential's and a certificate's bundle, served to the public, carry
// their links; the gateway's verification of them answers with the
// status derived from them.
func TestProofBundleCarriesTheStatusLinks(t *testing.T) {
	p, err := prooftest.OpenPeer("nanning", "dataledger", "../proof/testdata/nanning", 0)
	if err != nil {
		t.Fatal(err)
	}
	l := &peerLedger{fakeLedger: &fakeLedger{}, peer: p, trust: fixtureTrust(t)}
	ks, err := OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	acl, err := LoadACL(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewServer(DefaultConfig(), acl, ks, l, slog.New(slog.DiscardHandler)).Router()
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
		return w
	}
	for path, number := range map[string]string{"certificates": "DJ-450100-2026-80Y95700-1", "credentials": "SQ-450100-2026-3Y2U04ET-6"} {
		w := do(http.MethodGet, "/api/v1/"+path+"/"+number+"/proof", "")
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", number, w.Code, w.Body)
		}
		var b proof.Bundle
		if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || len(b.Links) < 3 || b.At == "" {
			t.Fatalf("%s: %d links, at %q (%v)", number, len(b.Links), b.At, err)
		}
		w = do(http.MethodPost, "/api/v1/proofs/verify", w.Body.String())
		var rep struct {
			OK         bool                 `json:"ok"`
			Derived    *domain.Verification `json:"derived"`
			StatusNote string               `json:"statusNote"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", number, w.Code, w.Body)
		}
		want := p.VerifyCertificate(number)
		if path == "credentials" {
			want = p.VerifyCredential(number)
		}
		if !rep.OK || rep.Derived == nil || rep.Derived.Status != want.Status || len(rep.Derived.Links) != len(want.Links) || rep.StatusNote == "" {
			t.Fatalf("%s: the gateway's report %s", number, w.Body)
		}
	}

	// Links count against the bound like any block.
	b := proof.Bundle{Format: proof.Format}
	for range MaxProofBlocks {
		b.Links = append(b.Links, proof.Inclusion{BlockNumber: 1})
	}
	raw, _ := json.Marshal(b)
	w := do(http.MethodPost, "/api/v1/proofs/verify", string(raw))
	var prob Problem
	_ = json.Unmarshal(w.Body.Bytes(), &prob)
	if w.Code != http.StatusUnprocessableEntity || prob.Rule != RuleProofBound {
		t.Fatalf("a bundle of %d links: %d %s", len(b.Links), w.Code, w.Body)
	}
}

// routeLedger tells which way a block was read.
type routeLedger struct {
	*fakeLedger
	reads []string
}

func (l *routeLedger) BlockRead(_ context.Context, _ Identity, _, fn string, _ ...string) ([]byte, error) {
	l.reads = append(l.reads, "elsewhere "+fn)
	return nil, nil
}

func (l *routeLedger) Query(_ context.Context, _ Identity, _, chaincode, fn string, _ ...string) ([]byte, error) {
	l.reads = append(l.reads, "own "+chaincode+"."+fn)
	return nil, nil
}

// TestBlocksComeFromElsewhereOnlyForWhoJudgesThem: a proof bundle's and
// the audit's blocks may come from another member's peer
// (Ledger.BlockRead); what this org signs as its witness (a
// presentation) and any chaincode query read its own peer.
func TestBlocksComeFromElsewhereOnlyForWhoJudgesThem(t *testing.T) {
	l := &routeLedger{fakeLedger: &fakeLedger{}}
	who := Identity{Org: "ExchangeMSP", User: "clerk"}
	_, _ = ledgerSource{context.Background(), l, who, true}.Query("nanning", "qscc", "GetBlockByNumber", "nanning", "3")
	_, _ = ledgerSource{context.Background(), l, who, true}.Query("nanning", "qscc", "GetBlockByTxID", "nanning", "t")
	_, _ = ledgerSource{context.Background(), l, who, true}.Query("nanning", "qscc", "GetChainInfo", "nanning")
	_, _ = ledgerSource{context.Background(), l, who, false}.Query("nanning", "qscc", "GetBlockByNumber", "nanning", "3")
	want := []string{"elsewhere GetBlockByNumber", "elsewhere GetBlockByTxID", "own qscc.GetChainInfo", "own qscc.GetBlockByNumber"}
	if !slices.Equal(l.reads, want) {
		t.Fatalf("reads %v, want %v", l.reads, want)
	}
}

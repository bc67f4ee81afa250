package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"dataledger/proof"
)

func bundleJSON(t *testing.T, b proof.Bundle) string {
	t.Helper()
	b.Format = proof.Format
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func proofRefusal(t *testing.T, hs *harness, body string, status int) {
	t.Helper()
	w := hs.do(http.MethodPost, "/api/v1/proofs/verify", RolePublic, body)
	var p Problem
	_ = json.Unmarshal(w.Body.Bytes(), &p)
	if w.Code != status || p.Rule != RuleProofBound {
		t.Fatalf("%d %s, want %d %s", w.Code, w.Body.String()[:min(w.Body.Len(), 300)], status, RuleProofBound)
	}
}

// A public caller hands the verifier as much work as it likes: an
// oversized bundle, one of many blocks, one of many signatures, one that
// takes long. Each is refused naming DL-PROOF-BOUND.
func TestProofVerificationIsBounded(t *testing.T) {
	hs := newHarness(t)
	// Larger than the bundle bound, within the request body bound.
	proofRefusal(t, hs, bundleJSON(t, proof.Bundle{Document: json.RawMessage(`"` + strings.Repeat("a", MaxProofBytes) + `"`)}), http.StatusRequestEntityTooLarge)

	var configs []proof.ConfigBlock
	for i := 0; i < 200; i++ {
		configs = append(configs, proof.ConfigBlock{BlockNumber: uint64(i), Block: []byte{1}})
	}
	proofRefusal(t, hs, bundleJSON(t, proof.Bundle{Configs: configs}), http.StatusUnprocessableEntity)

	sigs := &common.Metadata{}
	for i := 0; i < 500; i++ {
		sigs.Signatures = append(sigs.Signatures, &common.MetadataSignature{Signature: []byte{byte(i)}})
	}
	md, _ := proto.Marshal(sigs)
	block, _ := proto.Marshal(&common.Block{Header: &common.BlockHeader{Number: 1}, Data: &common.BlockData{},
		Metadata: &common.BlockMetadata{Metadata: [][]byte{md, nil, nil, nil, nil}}})
	proofRefusal(t, hs, bundleJSON(t, proof.Bundle{Record: proof.Inclusion{Block: block}}), http.StatusUnprocessableEntity)

	slow, timeout := verifyProofFn, ProofVerifyTimeout
	defer func() { verifyProofFn, ProofVerifyTimeout = slow, timeout }()
	ProofVerifyTimeout = 200 * time.Millisecond
	verifyProofFn = func(b *proof.Bundle, trust *proof.TrustFile) *proof.Report {
		time.Sleep(time.Second)
		return slow(b, trust)
	}
	start := time.Now()
	proofRefusal(t, hs, bundleJSON(t, proof.Bundle{}), http.StatusServiceUnavailable)
	if time.Since(start) > 900*time.Millisecond {
		t.Fatalf("a slow verification answered after %v", time.Since(start))
	}
}

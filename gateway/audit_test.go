package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"dataledger/proof"
)

// chainLedger serves the first height blocks of the nanning fixture to
// qscc queries, and its trust file.
type chainLedger struct {
	*fakeLedger
	blocks [][]byte
	height int
	trust  *proof.TrustFile
}

func (l *chainLedger) BlockRead(ctx context.Context, who Identity, channel, fn string, args ...string) ([]byte, error) {
	return l.Query(ctx, who, channel, "qscc", fn, args...)
}

func (l *chainLedger) Query(_ context.Context, _ Identity, channel, chaincode, fn string, args ...string) ([]byte, error) {
	switch {
	case chaincode == "qscc" && fn == "GetChainInfo":
		return proto.Marshal(&common.BlockchainInfo{Height: uint64(l.height)})
	case chaincode == "qscc" && fn == "GetBlockByNumber" && len(args) == 2:
		n, err := strconv.Atoi(args[1])
		if err != nil || n >= l.height {
			return nil, errors.New("no such block")
		}
		return l.blocks[n], nil
	}
	return nil, errors.New("not served")
}

func (l *chainLedger) Trust() (*proof.TrustFile, error) { return l.trust, nil }

func newChainLedger(t *testing.T) *chainLedger {
	t.Helper()
	fb, err := proof.OpenBlockFiles("../proof/testdata/nanning")
	if err != nil {
		t.Fatal(err)
	}
	l := &chainLedger{fakeLedger: &fakeLedger{}}
	for {
		raw, err := fb.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		l.blocks = append(l.blocks, raw)
	}
	l.trust = fixtureTrust(t)
	l.height = len(l.blocks)
	return l
}

type auditAnswer struct {
	OK       bool   `json:"ok"`
	From     uint64 `json:"from"`
	Blocks   int    `json:"blocks"`
	NextFrom uint64 `json:"nextFrom"`
	Detail   string `json:"detail"`
}

// auditServer is a gateway over l keeping its audit checkpoints in dir
// ("" in memory); audit asks it as a regulator.
func auditServer(t *testing.T, l *chainLedger, dir string) func(query string) (int, auditAnswer) {
	t.Helper()
	ks, err := OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := ks.Create("ProvinceMSP", RoleRegulator)
	if err != nil {
		t.Fatal(err)
	}
	acl, err := LoadACL(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.AuditDir = dir
	h, err := NewServer(cfg, acl, ks, l, slog.New(slog.DiscardHandler)).Router()
	if err != nil {
		t.Fatal(err)
	}
	return func(query string) (int, auditAnswer) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, "/api/v1/channels/nanning/audit"+query, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var a auditAnswer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		var raw map[string]json.RawMessage
		_ = json.Unmarshal(w.Body.Bytes(), &raw)
		if cp, ok := raw["checkpoint"]; ok && string(cp) != "null" {
			t.Errorf("the response carries the gateway's checkpoint: %s", cp)
		}
		return w.Code, a
	}
}

func TestAuditResumesAcrossAGatewayRestart(t *testing.T) {
	l := newChainLedger(t)
	full := l.height
	dir := t.TempDir()
	l.height = 10
	audit := auditServer(t, l, dir)
	if code, a := audit(""); code != http.StatusOK || !a.OK || a.From != 0 || a.Blocks != 10 || a.NextFrom != 10 {
		t.Fatalf("first audit: %d %+v", code, a)
	}
	l.height = full
	audit = auditServer(t, l, dir) // a restart: only the directory is kept
	if code, a := audit(""); code != http.StatusOK || !a.OK || a.From != 10 || a.Blocks != full-10 || a.NextFrom != uint64(full) {
		t.Fatalf("after a restart: %d %+v", code, a)
	}
	if code, a := audit("?from=genesis"); code != http.StatusOK || a.From != 0 || a.Blocks != full {
		t.Fatalf("from genesis: %d %+v", code, a)
	}
	if err := os.WriteFile(filepath.Join(dir, "nanning.json"), []byte(`{"channel":"nanning","next":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, a := audit(""); code == http.StatusOK || a.OK {
		t.Fatalf("a torn checkpoint file was resumed from: %d %+v", code, a)
	}
	// ?from=genesis is the way out, as the operations guide says: it does
	// not read the torn file, and its checkpoint replaces it.
	if code, a := audit("?from=genesis"); code != http.StatusOK || !a.OK || a.From != 0 || a.Blocks != full {
		t.Fatalf("from genesis over a torn file: %d %+v", code, a)
	}
	if code, a := audit(""); code != http.StatusOK || !a.OK || a.From != uint64(full) {
		t.Fatalf("after the audit from genesis: %d %+v", code, a)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmps) != 0 {
		t.Fatalf("temporary files left behind: %v", tmps)
	}
}

func TestAuditCheckpointsInMemory(t *testing.T) {
	l := newChainLedger(t)
	full := l.height
	l.height = 6
	audit := auditServer(t, l, "")
	if code, a := audit(""); code != http.StatusOK || a.NextFrom != 6 {
		t.Fatalf("first audit: %d %+v", code, a)
	}
	l.height = full
	if code, a := audit(""); code != http.StatusOK || a.From != 6 || a.NextFrom != uint64(full) {
		t.Fatalf("resumed: %d %+v", code, a)
	}
	if code, a := audit("?from=genesis"); code != http.StatusOK || a.From != 0 || a.NextFrom != uint64(full) {
		t.Fatalf("from genesis: %d %+v", code, a)
	}
}

// fixtureTrust is the trust file of the nanning fixture.
func fixtureTrust(t *testing.T) *proof.TrustFile {
	t.Helper()
	tf, err := proof.LoadTrust("../proof/testdata/trust.json")
	if err != nil {
		t.Fatal(err)
	}
	return tf
}

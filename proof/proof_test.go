package proof_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"dataledger/proof"
	"dataledger/proof/prooftest"
)

// The fixtures are a block file taken from the real network (scripts/up.sh
// and the demo: channel nanning, blocks 0 to 30) and the bundles
// proof.Build makes of its certificate and credential from it
// (TestFixturesAreTheBlockFilesBundles); integration tests make fresh ones
// through the gateway on every run.
func fixture(t *testing.T, name string) *proof.Bundle {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".proof.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := proof.ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trust is the trust file of the fixtures' channel: its genesis block
// pinned (TestTrustFileIsTheBlockFilesGenesis).
func trust(t testing.TB) *proof.TrustFile {
	t.Helper()
	tf, err := proof.LoadTrust("testdata/trust.json")
	if err != nil {
		t.Fatal(err)
	}
	return tf
}

var updateFixtures = flag.Bool("update-fixtures", false, "rebuild testdata/{certificate,credential}.proof.json and trust.json from testdata/nanning")

// fixtureNumbers are the records the fixture bundles prove.
var fixtureNumbers = map[string]string{"certificate": "DJ-450100-2026-80Y95700-1", "credential": "SQ-450100-2026-3Y2U04ET-6"}

// TestFixturesAreTheBlockFilesBundles: each fixture bundle is what
// proof.Build makes from a peer holding the block file (its status derived
// at the last block's time), so a change of the format shows here and
// -update-fixtures rebuilds them.
func TestFixturesAreTheBlockFilesBundles(t *testing.T) {
	p, err := prooftest.OpenPeer("nanning", "dataledger", "testdata/nanning", 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, number := range fixtureNumbers {
		kind, _, _ := proof.KindOf(number)
		b, err := proof.Build(p, "nanning", "dataledger", kind, number)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name+".proof.json")
		if *updateFixtures {
			b.Created = p.Now.UTC().Format(time.RFC3339)
			raw, _ := json.Marshal(b)
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want := fixture(t, name)
		b.Created = want.Created
		got, _ := json.Marshal(b)
		if raw, _ := json.Marshal(want); !bytes.Equal(got, raw) {
			t.Errorf("%s: proof.Build makes another bundle than %s (go test ./proof -run %s -update-fixtures)", name, path, t.Name())
		}
	}
}

func TestGenuineBundlesVerify(t *testing.T) {
	for _, name := range []string{"certificate", "credential"} {
		b := fixture(t, name)
		r := proof.Verify(b, trust(t))
		if !r.OK {
			var sb strings.Builder
			r.Print(&sb)
			t.Fatalf("%s bundle does not verify:\n%s", name, sb.String())
		}
		if len(r.Checks) < 20 {
			t.Errorf("%s: only %d checks ran", name, len(r.Checks))
		}
		// The real network's records at its last block: the objection
		// filed against the certificate was dismissed, the credential
		// suspended and reinstated.
		if r.Derived == nil || r.Derived.Status != "valid" || len(r.Derived.Links) < 3 {
			t.Errorf("%s: derived %+v", name, r.Derived)
		}
		// Unpinned, it verifies too but says the roots came from the bundle.
		r = proof.Verify(b, nil)
		if !r.OK || r.Pinned || !strings.Contains(r.Checks[1].Detail, "NOT pinned") {
			t.Errorf("%s unpinned: ok=%v pinned=%v trust=%q", name, r.OK, r.Pinned, r.Checks[1].Detail)
		}
	}
}

func TestEveryTamperingIsCaughtWithItsReason(t *testing.T) {
	for _, name := range []string{"certificate", "credential"} {
		for _, tm := range prooftest.Tamperings() {
			t.Run(name+"/"+tm.Name, func(t *testing.T) {
				b := prooftest.Clone(fixture(t, name))
				if err := tm.Apply(b); err != nil {
					t.Fatal(err)
				}
				r := proof.Verify(b, trust(t))
				if r.OK {
					t.Fatal("the tampered bundle verifies")
				}
				c := r.Failed(tm.Check)
				if c == nil || !strings.Contains(c.Detail, tm.Reason) {
					var sb strings.Builder
					r.Print(&sb)
					t.Fatalf("want %s to fail with %q:\n%s", tm.Check, tm.Reason, sb.String())
				}
			})
		}
	}
}

func TestBundleFieldsTheVerifierDoesNotTakeFromTheBundle(t *testing.T) {
	b := prooftest.Clone(fixture(t, "certificate"))
	b.EndorsementPolicy = "/Channel/Application/Readers" // ANY Readers: one endorsement would do
	if r := proof.Verify(b, trust(t)); r.OK || r.Failed("bundle") == nil {
		t.Error("a bundle chose its own, weaker endorsement policy")
	}
	b = prooftest.Clone(fixture(t, "certificate"))
	b.Number = fixture(t, "credential").Number
	if r := proof.Verify(b, trust(t)); r.OK {
		t.Error("a certificate's bundle verified under a credential's number")
	}
	b = prooftest.Clone(fixture(t, "certificate"))
	b.Channel = "liuzhou"
	if r := proof.Verify(b, nil); r.OK || r.Failed("config") == nil {
		t.Error("a bundle verified on another channel")
	}
}

func TestMalformedBundles(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"format":"other/1"}`, `{"format":"dataledger-proof/2","extra":1}`,
		`{"format":"dataledger-proof/2","channel":"nanning","Channel":"liuzhou"}`, // Go reads liuzhou, an exact reader nanning
		`{"format":"dataledger-proof/2","channel":"nanning","channel":"liuzhou"}`,
		`{"format":"dataledger-proof/1","kind":"certificate"}`} { // proves no status
		if _, err := proof.ParseBundle([]byte(in)); err == nil {
			t.Errorf("%q parsed as a bundle", in)
		}
	}
	b := prooftest.Clone(fixture(t, "credential"))
	b.Record.Block = []byte("not a block")
	b.IssuerKey = nil
	if r := proof.Verify(b, trust(t)); r.OK || r.Failed("record.block") == nil || r.Failed("issuerKey") == nil {
		t.Error("a bundle without a readable block or key proof verified")
	}
}

func TestKindOf(t *testing.T) {
	b := fixture(t, "certificate")
	if k, _, err := proof.KindOf(b.Number); err != nil || k.Name != "certificate" {
		t.Errorf("KindOf(%s) = %v, %v", b.Number, k.Name, err)
	}
	if _, _, err := proof.KindOf(b.Number[:len(b.Number)-1] + "0"); err == nil {
		t.Error("a mistyped check character was accepted")
	}
	if _, _, err := proof.KindOf("../../etc/passwd"); err == nil {
		t.Error("a path was taken for a number")
	}
}

// ---- audit ----

func blockFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/nanning/blockfile_000000")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blockfile_000000"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func audit(t *testing.T, blocks proof.Blocks, cp *proof.Checkpoint) *proof.AuditReport {
	t.Helper()
	r, err := proof.Audit("nanning", blocks, cp, trust(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func open(t *testing.T, dir string) *proof.FileBlocks {
	t.Helper()
	fb, err := proof.OpenBlockFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fb
}

func TestAuditOfAnIntactCopy(t *testing.T) {
	r := audit(t, open(t, blockFiles(t)), nil)
	if !r.OK() || r.Blocks < 20 || r.ConfigBlocks != 1 || r.Valid != r.Transactions || r.Checkpoint.Next != uint64(r.Blocks) {
		t.Fatalf("%+v", r)
	}
}

// limit stops a block source after n blocks.
type limit struct {
	proof.Blocks
	n int
}

func (l *limit) Next() ([]byte, error) {
	if l.n == 0 {
		return nil, io.EOF
	}
	l.n--
	return l.Blocks.Next()
}

func TestAuditResumesFromItsCheckpoint(t *testing.T) {
	dir := blockFiles(t)
	first := audit(t, &limit{open(t, dir), 10}, nil)
	if !first.OK() || first.Checkpoint.Next != 10 {
		t.Fatalf("first part: %+v", first)
	}
	path := filepath.Join(t.TempDir(), "cp.json")
	if err := first.Checkpoint.Save(path); err != nil {
		t.Fatal(err)
	}
	cp, err := proof.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	rest := audit(t, open(t, dir), cp)
	full := audit(t, open(t, dir), nil)
	if !rest.OK() || rest.From != 10 || rest.Blocks != full.Blocks-10 || rest.Transactions != full.Transactions-first.Transactions {
		t.Fatalf("resumed: %+v (full %+v)", rest, full)
	}
	// A checkpoint of another chain does not fit: the first block after it
	// does not name its hash.
	cp.PreviousHash = make([]byte, 32)
	if r := audit(t, open(t, dir), cp); r.OK() || r.FirstBroken.Block != 10 || !strings.Contains(r.FirstBroken.Reason, "previous hash") {
		t.Fatalf("a wrong checkpoint hash was not caught: %+v", r.FirstBroken)
	}
}

func TestAuditFindsACorruptedBlockFile(t *testing.T) {
	dir := blockFiles(t)
	if err := prooftest.CorruptBlockFile(filepath.Join(dir, "blockfile_000000"), 7); err != nil {
		t.Fatal(err)
	}
	r := audit(t, open(t, dir), nil)
	if r.OK() || r.FirstBroken.Block != 7 || !strings.Contains(r.FirstBroken.Reason, "data hash") {
		t.Fatalf("corruption of block 7 not reported: %+v", r.FirstBroken)
	}
	if r.Checkpoint.Next != 7 {
		t.Errorf("checkpoint moved past the broken block: next %d", r.Checkpoint.Next)
	}
}

// resign replaces block n's orderer signature with garbage on the way.
type resign struct {
	proof.Blocks
	n uint64
}

func (r *resign) Next() ([]byte, error) {
	raw, err := r.Blocks.Next()
	if err != nil {
		return raw, err
	}
	blk, _ := proof.ParseBlock(raw)
	if blk.Header.Number != r.n {
		return raw, nil
	}
	var md common.Metadata
	if err := proto.Unmarshal(blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], &md); err != nil {
		return nil, err
	}
	md.Signatures[0].Signature[10] ^= 0xff
	blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], _ = proto.Marshal(&md)
	return proto.Marshal(blk)
}

func TestAuditChecksOrdererSignatures(t *testing.T) {
	r := audit(t, &resign{open(t, blockFiles(t)), 12}, nil)
	if r.OK() || r.FirstBroken.Block != 12 || !strings.Contains(r.FirstBroken.Reason, "orderer signatures") {
		t.Fatalf("a bad orderer signature was not caught: %+v", r.FirstBroken)
	}
}

func TestBlockFilesMustExist(t *testing.T) {
	if _, err := proof.OpenBlockFiles(t.TempDir()); err == nil {
		t.Error("an empty directory opened as block files")
	}
	dir := blockFiles(t)
	f := filepath.Join(dir, "blockfile_000000")
	data, _ := os.ReadFile(f)
	_ = os.WriteFile(f, data[:len(data)-100], 0o600) // a tail cut off mid-block
	fb := open(t, dir)
	var err error
	for err == nil {
		_, err = fb.Next()
	}
	if errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("a truncated file ended with %v", err)
	}
}

// FuzzVerifyBundle: whatever a bundle holds, parsing and verifying it
// answers with a report (never a panic) and a mutated bundle never
// verifies unless it is the genuine one.
func FuzzVerifyBundle(f *testing.F) {
	genuine, err := os.ReadFile("testdata/credential.proof.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine)
	f.Add([]byte(`{"format":"dataledger-proof/2","kind":"certificate","record":{"block":"AAAA"}}`))
	pinned := trust(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := proof.ParseBundle(in)
		if err != nil {
			return
		}
		if r := proof.Verify(b, pinned); r.OK && !bytes.Equal(in, genuine) {
			// Only re-encodings of the genuine bundle may verify.
			g, _ := proof.ParseBundle(genuine)
			if b.Record.TxID != g.Record.TxID || !bytes.Equal(b.Record.Block, g.Record.Block) {
				t.Fatalf("a different bundle verified: %s", in)
			}
		}
	})
}

// FuzzBlockFile: a block file of any bytes is read as blocks or refused,
// never a panic.
func FuzzBlockFile(f *testing.F) {
	data, err := os.ReadFile("testdata/nanning/blockfile_000000")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data[:4096])
	f.Add([]byte{0x05, 0x00, 0x00, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "blockfile_000000"), in, 0o600); err != nil {
			t.Fatal(err)
		}
		fb, err := proof.OpenBlockFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = proof.Audit("nanning", fb, nil, nil)
	})
}

// BenchmarkVerify is the offline verification of a certificate's bundle
// (docs/PROOFS.md reports it).
func BenchmarkVerify(b *testing.B) {
	data, err := os.ReadFile("testdata/certificate.proof.json")
	if err != nil {
		b.Fatal(err)
	}
	pinned := trust(b)
	for b.Loop() {
		bundle, err := proof.ParseBundle(data)
		if err != nil {
			b.Fatal(err)
		}
		if !proof.Verify(bundle, pinned).OK {
			b.Fatal("does not verify")
		}
	}
}

// TestTrustFileIsTheBlockFilesGenesis: testdata/trust.json pins the
// fixtures' genesis block and names its organizations as
// proof.MakeTrust does (-update-fixtures rewrites it).
func TestTrustFileIsTheBlockFilesGenesis(t *testing.T) {
	fb, err := proof.OpenBlockFiles("testdata/nanning")
	if err != nil {
		t.Fatal(err)
	}
	genesis, err := fb.Next()
	if err != nil {
		t.Fatal(err)
	}
	made, err := proof.MakeTrust(genesis)
	if err != nil {
		t.Fatal(err)
	}
	if *updateFixtures {
		raw, _ := made.Marshal()
		if err := os.WriteFile("testdata/trust.json", raw, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	kept := trust(t)
	made.Made = kept.Made
	a, _ := made.Marshal()
	b, _ := kept.Marshal()
	if !bytes.Equal(a, b) {
		t.Errorf("testdata/trust.json is not the trust file of testdata/nanning's genesis (go test ./proof -run %s -update-fixtures)", t.Name())
	}
	if got := kept.ChannelNames(); len(got) != 1 || got[0] != "nanning" || len(kept.Channels[0].Orgs) != 3 {
		t.Errorf("pins %v with %d orgs", got, len(kept.Channels[0].Orgs))
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dataledger/proof/prooftest"
)

// TestAuditChainWithACheckpointFile: `audit chain --blockfiles` audits a
// copy of a block file with no network, resumes from its checkpoint file,
// refuses a corrupt one (2) and reports a broken block (1).
func TestAuditChainWithACheckpointFile(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../proof/testdata/nanning/blockfile_000000")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blockfile_000000"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "nanning.json")
	args := []string{"audit", "chain", "--channel", "nanning", "--blockfiles", dir, "--trust", "../../proof/testdata/trust.json", "--checkpoint", cp}
	code, out, errOut := cli(t, args...)
	if code != 0 || !strings.Contains(out, "blocks 0..") || !strings.Contains(out, "✓ every header links") {
		t.Fatalf("first audit: %d %s %s", code, out, errOut)
	}
	code, out, errOut = cli(t, args...)
	if code != 0 || !strings.Contains(out, "no new block") {
		t.Fatalf("resumed audit: %d %s %s", code, out, errOut)
	}
	if code, out, _ := cli(t, args[:len(args)-2]...); code != 0 || !strings.Contains(out, "blocks 0..") {
		t.Fatalf("without a checkpoint file: %d %s", code, out)
	}

	whole, _ := os.ReadFile(cp)
	if err := os.WriteFile(cp, whole[:len(whole)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := cli(t, args...); code != 2 || !strings.Contains(errOut, "torn or corrupt") {
		t.Fatalf("a torn checkpoint: %d %s", code, errOut)
	}

	if err := os.Remove(cp); err != nil {
		t.Fatal(err)
	}
	if err := prooftest.CorruptBlockFile(filepath.Join(dir, "blockfile_000000"), 7); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := cli(t, args...); code != 1 || !strings.Contains(out, "BROKEN at block 7") {
		t.Fatalf("a corrupted block: %d %s", code, out)
	}
	if code, out, _ := cli(t, args...); code != 1 || !strings.Contains(out, "blocks 7..7") {
		t.Fatalf("resumed at the broken block: %d %s", code, out)
	}
}

package proof_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dataledger/proof"
)

// resume audits nanning's block file copy in dir through cps, reading at
// most n blocks (0: all).
func resume(t *testing.T, dir string, cps proof.Checkpointer, n int) *proof.AuditReport {
	t.Helper()
	r, err := proof.Resume("nanning", cps, func(uint64) (proof.Blocks, error) {
		if n > 0 {
			return &limit{open(t, dir), n}, nil
		}
		return open(t, dir), nil
	}, trust(t))
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("audit broken: %+v", r.FirstBroken)
	}
	return r
}

func TestMemoryCheckpointer(t *testing.T) {
	dir := blockFiles(t)
	full := audit(t, open(t, dir), nil)
	var cps proof.Checkpointer = proof.NewMemoryCheckpointer()
	if cps.BlockNumber() != 0 || cps.Checkpoint() != nil {
		t.Fatalf("a new checkpointer is at %d", cps.BlockNumber())
	}
	first := resume(t, dir, cps, 10)
	if first.From != 0 || cps.BlockNumber() != 10 {
		t.Fatalf("after 10 blocks: from %d, next %d", first.From, cps.BlockNumber())
	}
	rest := resume(t, dir, cps, 0)
	if rest.From != 10 || rest.Blocks != full.Blocks-10 || cps.BlockNumber() != uint64(full.Blocks) {
		t.Fatalf("resumed: %+v, next %d (full %d blocks)", rest, cps.BlockNumber(), full.Blocks)
	}
	// Nothing new: the same position, recorded again.
	if again := resume(t, dir, cps, 0); again.Blocks != 0 || cps.BlockNumber() != uint64(full.Blocks) {
		t.Fatalf("no new block: %+v", again)
	}
	// What a caller does with the checkpoint it got does not move the one kept.
	cps.Checkpoint().Next = 3
	if cps.BlockNumber() != uint64(full.Blocks) {
		t.Fatal("the kept checkpoint was changed through a returned one")
	}
	// From genesis: walks everything again, and records where it stopped.
	if r := resume(t, dir, proof.FromGenesis(cps), 5); r.From != 0 || r.Blocks != 5 || cps.BlockNumber() != 5 {
		t.Fatalf("from genesis: %+v, next %d", r, cps.BlockNumber())
	}
	// An audit in which no block passed leaves no checkpoint to resume
	// from: the next one starts at genesis rather than failing.
	if err := cps.CheckpointBlock(&proof.Checkpoint{Channel: "nanning"}); err != nil {
		t.Fatal(err)
	}
	if cps.Checkpoint() != nil || resume(t, dir, cps, 0).From != 0 {
		t.Fatal("a checkpoint at genesis was resumed from")
	}
}

func TestFileCheckpointerResumesAfterARestart(t *testing.T) {
	dir := blockFiles(t)
	full := audit(t, open(t, dir), nil)
	path := filepath.Join(t.TempDir(), "nanning.json")
	cps, err := proof.NewFileCheckpointer(path)
	if err != nil || cps.BlockNumber() != 0 || cps.Checkpoint() != nil {
		t.Fatalf("a missing file: %v, next %d", err, cps.BlockNumber())
	}
	first := resume(t, dir, cps, 10)
	if cps.BlockNumber() != 10 {
		t.Fatalf("after 10 blocks: next %d", cps.BlockNumber())
	}
	// A restart: a new checkpointer reads the file.
	restarted, err := proof.NewFileCheckpointer(path)
	if err != nil || restarted.BlockNumber() != 10 {
		t.Fatalf("restarted: %v, next %d", err, restarted.BlockNumber())
	}
	rest := resume(t, dir, restarted, 0)
	if rest.From != 10 || rest.Blocks != full.Blocks-10 || rest.Transactions != full.Transactions-first.Transactions {
		t.Fatalf("resumed: %+v (full %+v)", rest, full)
	}
	if again, _ := proof.NewFileCheckpointer(path); again.BlockNumber() != uint64(full.Blocks) {
		t.Fatalf("the file says next %d, want %d", again.BlockNumber(), full.Blocks)
	}
	// The file keeps the format the gateway and the CLI always wrote.
	var onDisk map[string]any
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &onDisk); err != nil || len(onDisk) != 6 || onDisk["channel"] != "nanning" || onDisk["genesis"] != trust(t).Channels[0].Genesis {
		t.Fatalf("file members %d, genesis %v: %v", len(onDisk), onDisk["genesis"], err)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file was left behind: %v", err)
	}
}

func TestFileCheckpointerKeepsTheLastOnAFailedWrite(t *testing.T) {
	dir := blockFiles(t)
	path := filepath.Join(t.TempDir(), "gone", "nanning.json")
	cps, err := proof.NewFileCheckpointer(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := proof.Resume("nanning", cps, func(uint64) (proof.Blocks, error) { return &limit{open(t, dir), 4}, nil }, trust(t))
	if err == nil || r == nil || r.Blocks != 4 || cps.BlockNumber() != 0 {
		t.Fatalf("an unwritable checkpoint: report %v, err %v, next %d", r, err, cps.BlockNumber())
	}
}

func TestFileCheckpointerRefusesATornOrCorruptFile(t *testing.T) {
	dir := blockFiles(t)
	good := filepath.Join(t.TempDir(), "good.json")
	cps, _ := proof.NewFileCheckpointer(good)
	resume(t, dir, cps, 10)
	whole, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	var cp proof.Checkpoint
	_ = json.Unmarshal(whole, &cp)
	edited := func(edit func(cp *proof.Checkpoint)) []byte {
		c := cp
		edit(&c)
		b, _ := json.Marshal(c)
		return b
	}
	cases := map[string][]byte{
		"empty":                       {},
		"torn in half":                whole[:len(whole)/2],
		"not JSON":                    []byte("\x00\x00\x00\x00"),
		"short previous hash":         edited(func(c *proof.Checkpoint) { c.PreviousHash = c.PreviousHash[:16] }),
		"no configuration block":      edited(func(c *proof.Checkpoint) { c.ConfigBlock = nil }),
		"configuration block garbled": edited(func(c *proof.Checkpoint) { c.ConfigBlock = c.ConfigBlock[:len(c.ConfigBlock)/3] }),
		"another channel's config":    edited(func(c *proof.Checkpoint) { c.Channel = "liuzhou" }),
		"no channel":                  edited(func(c *proof.Checkpoint) { c.Channel = "" }),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cp.json")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := proof.NewFileCheckpointer(path)
			if err == nil || !strings.Contains(err.Error(), "torn or corrupt") || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want a refusal naming the file as torn or corrupt", err)
			}
		})
	}
}

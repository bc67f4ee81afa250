package integration

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// privateTexts are the private inputs the run submitted (objections'
// summaries, decisions' reasons): no block may hold any of them.
var privateTexts struct {
	sync.Mutex
	all []string
}

// privateText registers a private input before a test submits it.
func privateText(s string) string {
	privateTexts.Lock()
	defer privateTexts.Unlock()
	privateTexts.all = append(privateTexts.all, s)
	return s
}

// TestZZNoBlockHoldsAPrivateInput runs after the other tests. It reads
// every block file of every peer and orderer of the run (each bundle the
// run produced is made of these blocks) and fails on any private input a
// test submitted: they live in the channels' private data collections,
// of which a block keeps only hashes. The scan proves it reads the blocks
// by finding the public text of the same records there.
func TestZZNoBlockHoldsAPrivateInput(t *testing.T) {
	privateTexts.Lock()
	texts := append([]string(nil), privateTexts.all...)
	privateTexts.Unlock()
	if len(texts) < 6 {
		t.Fatalf("only %d private inputs were registered: run the whole suite", len(texts))
	}
	var files []string
	_ = filepath.WalkDir(filepath.Join(home, "nodes"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "blockfile_") && strings.Contains(path, string(filepath.Separator)+"chains"+string(filepath.Separator)) {
			files = append(files, path)
		}
		return nil
	})
	if len(files) < 12 {
		t.Fatalf("found %d block files under %s", len(files), home)
	}
	publicSeen, total := false, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		total += len(data)
		for _, s := range texts {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds the private input %q", f, s)
			}
		}
		if bytes.Contains(data, []byte("证明测试产品")) { // a certificate's public product name
			publicSeen = true
		}
	}
	if !publicSeen {
		t.Fatal("no block file holds a public record of the run: the scan reads nothing")
	}
	t.Logf("%d private inputs absent from %d block files (%d MB)", len(texts), len(files), total>>20)
}

package ccaas

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func untar(t *testing.T, data []byte, dir string) {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if err := os.WriteFile(filepath.Join(dir, h.Name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBuilderProtocol runs a package through detect, build and release the
// way the peer does: metadata.json and the unpacked code.tar.gz in.
func TestBuilderProtocol(t *testing.T) {
	conn := Connection{Address: "127.0.0.1:7059", DialTimeout: "10s", TLSRequired: true, RootCert: "-----BEGIN CERTIFICATE-----\n"}
	pkg, err := Package("dataledger_1.0", conn)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Package("dataledger_1.0", conn)
	if PackageID("dataledger_1.0", pkg) != PackageID("dataledger_1.0", again) {
		t.Fatal("the same inputs gave two package IDs")
	}
	root := t.TempDir()
	meta, src, out, rel := filepath.Join(root, "meta"), filepath.Join(root, "src"), filepath.Join(root, "out"), filepath.Join(root, "rel")
	for _, d := range []string{meta, src, rel} {
		_ = os.MkdirAll(d, 0o755)
	}
	untar(t, pkg, meta)
	code, _ := os.ReadFile(filepath.Join(meta, "code.tar.gz"))
	untar(t, code, src)
	if err := Detect(meta); err != nil {
		t.Fatal(err)
	}
	if err := Build(src, out); err != nil {
		t.Fatal(err)
	}
	if err := Release(out, rel); err != nil {
		t.Fatal(err)
	}
	var got Connection
	b, err := os.ReadFile(filepath.Join(rel, "chaincode", "server", "connection.json"))
	if err != nil || json.Unmarshal(b, &got) != nil || got != conn {
		t.Fatalf("released connection %+v (%v)", got, err)
	}
	_ = os.WriteFile(filepath.Join(meta, "metadata.json"), []byte(`{"type":"golang","label":"x"}`), 0o644)
	if Detect(meta) == nil {
		t.Fatal("detect accepted a golang package")
	}
	_ = os.WriteFile(filepath.Join(src, "connection.json"), []byte(`{"address":"a","tls_required":true}`), 0o644)
	if Build(src, filepath.Join(root, "out2")) == nil {
		t.Fatal("build accepted TLS without a root certificate")
	}
}

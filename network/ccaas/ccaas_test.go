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
	// A second peer of the org, with the same package: its builder hands
	// it its own chaincode server, everything else as packaged.
	t.Setenv(AddressEnv, "127.0.0.1:12059")
	rel2 := filepath.Join(root, "rel2")
	if err := Release(out, rel2); err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(filepath.Join(rel2, "chaincode", "server", "connection.json"))
	want := conn
	want.Address = "127.0.0.1:12059"
	if got = (Connection{}); err != nil || json.Unmarshal(b, &got) != nil || got != want {
		t.Fatalf("released for another peer: %+v (%v)", got, err)
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

// A package with the same contents compressed differently (as another Go
// release's gzip does) is the same package; another address is not.
func TestSameComparesContentsNotBytes(t *testing.T) {
	conn := Connection{Address: "127.0.0.1:7059", DialTimeout: "10s", TLSRequired: true, RootCert: "-----BEGIN CERTIFICATE-----"}
	a, err := Package("dataledger_1.0", conn)
	if err != nil {
		t.Fatal(err)
	}
	cj, _ := json.Marshal(conn)
	var code, outer bytes.Buffer
	for _, step := range []struct {
		buf   *bytes.Buffer
		files [][2]string
	}{
		{&code, [][2]string{{"connection.json", string(cj)}}},
		{&outer, [][2]string{{"metadata.json", `{"type":"ccaas","label":"dataledger_1.0"}`}, {"code.tar.gz", ""}}},
	} {
		gz, _ := gzip.NewWriterLevel(step.buf, gzip.BestSpeed) // other bytes, same contents
		tw := tar.NewWriter(gz)
		for _, f := range step.files {
			data := f[1]
			if f[0] == "code.tar.gz" {
				data = code.String()
			}
			_ = tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
			_, _ = tw.Write([]byte(data))
		}
		_ = tw.Close()
		_ = gz.Close()
	}
	b := outer.Bytes()
	if bytes.Equal(a, b) || PackageID("dataledger_1.0", a) == PackageID("dataledger_1.0", b) {
		t.Fatal("the recompressed package is byte-identical: the test proves nothing")
	}
	if !Same(a, b) {
		t.Fatal("the same contents compressed differently are not the same package")
	}
	conn.Address = "127.0.0.1:8059"
	c, _ := Package("dataledger_1.0", conn)
	if Same(a, c) || Same(a, []byte("not a package")) {
		t.Fatal("another connection, or garbage, is the same package")
	}
}

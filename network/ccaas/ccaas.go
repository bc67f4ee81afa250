// Package ccaas is dataledger's external chaincode builder (Fabric's
// detect / build / release protocol) for chaincode run as a service, and
// the packaging that feeds it. A package is a tar.gz of metadata.json
// ({"type":"ccaas","label":...}) and code.tar.gz holding connection.json:
// where the peer finds the chaincode server and how to trust its TLS.
package ccaas

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Type is the package type this builder accepts.
const Type = "ccaas"

// Connection is connection.json, in the field names the peer reads.
type Connection struct {
	Address            string `json:"address"`
	DialTimeout        string `json:"dial_timeout"`
	TLSRequired        bool   `json:"tls_required"`
	ClientAuthRequired bool   `json:"client_auth_required"`
	RootCert           string `json:"root_cert,omitempty"`
}

type metadata struct {
	Type  string `json:"type"`
	Label string `json:"label"`
}

// Package builds a deterministic package (fixed times and order), so the
// same inputs always give the same package ID.
func Package(label string, conn Connection) ([]byte, error) {
	cj, err := json.Marshal(conn)
	if err != nil {
		return nil, err
	}
	code, err := tgz(map[string][]byte{"connection.json": cj})
	if err != nil {
		return nil, err
	}
	md, _ := json.Marshal(metadata{Type: Type, Label: label})
	return tgz(map[string][]byte{"metadata.json": md, "code.tar.gz": code})
}

// Same tells whether two packages hold the same metadata and connection,
// whatever their compressed bytes: gzip's output differs between Go
// releases, so a package built by another build of the CLI has another ID
// for the same contents.
func Same(a, b []byte) bool {
	fa, err1 := contents(a)
	fb, err2 := contents(b)
	return err1 == nil && err2 == nil && len(fa) == len(fb) && fa["metadata.json"] == fb["metadata.json"] && fa["connection.json"] == fb["connection.json"]
}

// contents are a package's metadata.json and its code's connection.json.
func contents(pkg []byte) (map[string]string, error) {
	outer, err := untgz(pkg)
	if err != nil {
		return nil, err
	}
	code, err := untgz([]byte(outer["code.tar.gz"]))
	if err != nil {
		return nil, err
	}
	return map[string]string{"metadata.json": outer["metadata.json"], "connection.json": code["connection.json"]}, nil
}

func untgz(data []byte) (map[string]string, error) {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	out := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
		if err != nil {
			return nil, err
		}
		out[h.Name] = string(b)
	}
}

// PackageID is the ID the peer gives a package: label:sha256(package).
func PackageID(label string, pkg []byte) string {
	s := sha256.Sum256(pkg)
	return label + ":" + hex.EncodeToString(s[:])
}

func tgz(files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := []string{"metadata.json", "code.tar.gz", "connection.json"}
	for _, name := range names {
		data, ok := files[name]
		if !ok {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Detect accepts a package whose metadata.json says type "ccaas".
// Fabric: bin/detect CHAINCODE_SOURCE_DIR CHAINCODE_METADATA_DIR.
func Detect(metadataDir string) error {
	data, err := os.ReadFile(filepath.Join(metadataDir, "metadata.json"))
	if err != nil {
		return err
	}
	var md metadata
	if err := json.Unmarshal(data, &md); err != nil {
		return err
	}
	if md.Type != Type {
		return fmt.Errorf("package type %q is not %q", md.Type, Type)
	}
	return nil
}

// Build checks connection.json and copies it (and META-INF, if any) to
// the output. Fabric: bin/build SOURCE METADATA OUTPUT.
func Build(sourceDir, outputDir string) error {
	data, err := os.ReadFile(filepath.Join(sourceDir, "connection.json"))
	if err != nil {
		return err
	}
	var c Connection
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("connection.json: %w", err)
	}
	if c.Address == "" {
		return errors.New("connection.json: address is required")
	}
	if c.TLSRequired && c.RootCert == "" {
		return errors.New("connection.json: tls_required without root_cert")
	}
	if err := os.MkdirAll(outputDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(outputDir, "connection.json"), data, 0o644); err != nil {
		return err
	}
	return CopyTree(filepath.Join(sourceDir, "META-INF"), filepath.Join(outputDir, "META-INF"), 0o755, 0o644)
}

// AddressEnv names the environment variable (the peer's, propagated to
// its builder) holding the address of the peer's own chaincode server:
// the peers of an org install one package, which names the first peer's.
const AddressEnv = "DATALEDGER_CHAINCODE_ADDRESS"

// Release hands the peer the connection information, with the address
// of its own chaincode server when AddressEnv names one.
// Fabric: bin/release BUILD_OUTPUT RELEASE_DIR.
func Release(buildDir, releaseDir string) error {
	data, err := os.ReadFile(filepath.Join(buildDir, "connection.json"))
	if err != nil {
		return err
	}
	if addr := os.Getenv(AddressEnv); addr != "" {
		var c map[string]any // every field as the package has it
		if err := json.Unmarshal(data, &c); err != nil {
			return fmt.Errorf("connection.json: %w", err)
		}
		c["address"] = addr
		if data, err = json.Marshal(c); err != nil {
			return err
		}
	}
	dst := filepath.Join(releaseDir, "chaincode", "server")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dst, "connection.json"), data, 0o644); err != nil {
		return err
	}
	return CopyTree(filepath.Join(buildDir, "META-INF", "statedb"), filepath.Join(releaseDir, "statedb"), 0o755, 0o644)
}

// CopyTree copies the regular files of the tree src into dst, streaming
// each (a ledger snapshot's files are large), making directories with
// dirPerm and files with filePerm; a src that does not exist copies
// nothing. The builder copies a package's META-INF with it, the network a
// ledger snapshot into the directory of the peer that joins from it.
func CopyTree(src, dst string, dirPerm, filePerm os.FileMode) error {
	if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, dirPerm)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, filePerm)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

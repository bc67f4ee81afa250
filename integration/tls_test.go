package integration

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPeerTLSIsVerifiedAgainstTheOrgCA: a TLS client of each peer that
// trusts only the peer's own org TLS CA completes the handshake; trusting
// another org's CA, or expecting another host name, it is refused — the
// checks the gateway's and the CLI's connections (network.Net.Dial) rely
// on. And no Go source of the product turns certificate checks off.
var skipsVerification = regexp.MustCompile(`InsecureSkipVerify\s*(:|=)\s*[^,}\s]`)

func TestPeerTLSIsVerifiedAgainstTheOrgCA(t *testing.T) {
	pool := func(org string) *x509.CertPool {
		b, err := os.ReadFile(net.L.TLSCACert(net.D.Org(org)))
		if err != nil {
			t.Fatal(err)
		}
		p := x509.NewCertPool()
		if !p.AppendCertsFromPEM(b) {
			t.Fatalf("no CA certificate for %s", org)
		}
		return p
	}
	handshakes, refused := 0, 0
	for _, o := range net.D.Orgs {
		for _, p := range o.Peers {
			dial := func(roots *x509.CertPool, name string) error {
				c, err := tls.Dial("tcp", p.Address(), &tls.Config{RootCAs: roots, ServerName: name, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12})
				if err == nil {
					c.Close()
				}
				return err
			}
			if err := dial(pool(o.MSPID), p.Hostname()); err != nil {
				t.Fatalf("%s with its org's CA: %v", p.ID(), err)
			}
			handshakes++
			for _, other := range net.D.Orgs {
				if other == o {
					continue
				}
				var unknown x509.UnknownAuthorityError
				if err := dial(pool(other.MSPID), p.Hostname()); !errors.As(err, &unknown) {
					t.Fatalf("%s trusting %s's CA: %v, want an unknown authority", p.ID(), other.MSPID, err)
				}
				refused++
			}
			var wrongHost x509.HostnameError
			if err := dial(pool(o.MSPID), "peer9."+o.Domain); !errors.As(err, &wrongHost) {
				t.Fatalf("%s under another name: %v, want a host name error", p.ID(), err)
			}
			refused++
		}
	}
	// No product code skips verification.
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "tls_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil && skipsVerification.Match(b) { // setting it, not a test that checks it stays off
			t.Errorf("%s turns TLS verification off", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d handshakes with the org's CA succeeded; %d with another org's CA or host name refused", handshakes, refused)
}

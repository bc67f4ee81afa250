package network

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A home written before each org had a directory of its own moves into
// the per-org layout as it is: each org's material, nodes and chaincode
// under orgs/<org>, channel blocks under public/channels.
func TestAnOldHomeMovesIntoOneDirectoryPerOrg(t *testing.T) {
	d, err := Load("dataledger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	n := &Net{D: d, L: Layout{Home: home}, Out: io.Discard}
	citya := d.Org("CityAMSP")
	old := map[string]string{
		"crypto/peerOrganizations/citya.dataledger.local/ca/priv_sk": "ca key",
		"identities/citya/operator/msp/keystore/priv_sk":             "operator key",
		"nodes/peer0.citya/core.yaml":                                "peer config",
		"nodes/orderer0.province/orderer.yaml":                       "orderer config",
		"chaincode/peer0.citya/tls/server.key":                       "cc key",
		"channels/nanning.block":                                     "block",
		"ca/citya/registrar.secret":                                  "secret",
		"crypto/peerOrganizations/gone.dataledger.local/ca/priv_sk":  "an org no longer described",
	}
	for p, content := range old {
		full := filepath.Join(home, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.migrate(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		filepath.Join(n.L.OrgDir(citya), "ca", "priv_sk"):                    "ca key",
		filepath.Join(n.L.UserMSP(citya, "operator"), "keystore", "priv_sk"): "operator key",
		filepath.Join(n.L.NodeDir("peer0.citya"), "core.yaml"):               "peer config",
		filepath.Join(n.L.NodeDir("orderer0.province"), "orderer.yaml"):      "orderer config",
		filepath.Join(n.L.ChaincodeDir("peer0.citya"), "tls", "server.key"):  "cc key",
		n.L.ChannelBlock("nanning"):                                          "block",
		filepath.Join(n.L.CAHome(citya), "registrar.secret"):                 "secret",
	}
	for p, content := range want {
		b, err := os.ReadFile(p)
		if err != nil || string(b) != content {
			t.Errorf("%s: %q, %v", p, b, err)
		}
		if rel, _ := filepath.Rel(home, p); !strings.HasPrefix(rel, "orgs/") && !strings.HasPrefix(rel, "public/channels/") {
			t.Errorf("%s is outside orgs/ and public/channels/", rel)
		}
	}
	for _, dir := range []string{"identities", "nodes", "chaincode", "channels", "ca"} {
		if _, err := os.Stat(filepath.Join(home, dir)); err == nil {
			t.Errorf("%s is left in the home", dir)
		}
	}
	// What belongs to no described org stays where it was.
	if b, err := os.ReadFile(filepath.Join(home, "crypto/peerOrganizations/gone.dataledger.local/ca/priv_sk")); err != nil || string(b) != "an org no longer described" {
		t.Errorf("the material of an org no longer described: %q, %v", b, err)
	}
	if err := n.migrate(); err != nil { // nothing left to move
		t.Fatal(err)
	}
}

// What an org publishes holds no private key, and what it keeps is
// under its own directory: every path of an org's identities and nodes
// names it.
func TestAnOrgsPathsAreItsOwn(t *testing.T) {
	d, err := Load("dataledger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	l := Layout{Home: "/h"}
	for _, o := range d.Orgs {
		own := l.OrgHome(o) + "/"
		private := []string{l.OrgDir(o), l.AdminMSP(o), l.UserMSP(o, "operator"), l.CAHome(o)}
		for _, x := range o.Orderers {
			private = append(private, l.NodeDir(x.ID()), l.NodeCryptoDir(o, x.Name))
		}
		for _, p := range o.Peers {
			private = append(private, l.NodeDir(p.ID()), l.ChaincodeDir(p.ID()), l.NodeCryptoDir(o, p.Name))
		}
		for _, p := range private {
			if !strings.HasPrefix(p, own) {
				t.Errorf("%s: %s is not under %s", o.Name, p, own)
			}
		}
		public := []string{l.OrgMSPDir(o), l.TLSCACert(o)}
		for _, x := range o.Orderers {
			public = append(public, l.OrdererTLSCert(x))
		}
		for _, p := range public {
			if !strings.HasPrefix(p, l.PublicDir(o)+"/") {
				t.Errorf("%s: %s is not under its public directory", o.Name, p)
			}
		}
	}
}

// What an org publishes is certificates alone, encoded anew: a key,
// another PEM block, text around the blocks (pem.Decode would skip it), a
// file that is not PEM or an outsized one is refused. Its MSP's
// config.yaml is written by root, naming the offered CA certificate.
func TestOnlyCertificatesArePublished(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	c := &ca{cert: cert, key: key}
	certPEM, keyPEM, err := c.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := checkPublic("ca-cert.pem", append([]byte("\n"), certPEM...))
	if err != nil || !bytes.Equal(got, certPEM) {
		t.Fatalf("a certificate: %v (%q)", err, got)
	}
	for name, b := range map[string][]byte{
		"key in a cert file":  append(append([]byte{}, certPEM...), keyPEM...),
		"a key":               keyPEM,
		"not PEM":             []byte("hello"),
		"a CSR":               pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{1}}),
		"too large":           make([]byte, 65<<10),
		"text before a cert":  append([]byte("ssh-ed25519 AAAA attacker\n"), certPEM...),
		"text after a cert":   append(append([]byte{}, certPEM...), []byte("tail")...),
		"a cert with headers": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: cert.Raw}),
		"config.yaml":         []byte("NodeOUs:\n  ClientOUIdentifier:\n    Certificate: ../../orgs/cityb/ca/priv_sk\n"),
	} {
		if _, err := checkPublic(name, b); err == nil {
			t.Errorf("%s was published", name)
		}
	}
	cfg := string(nodeOUsConfig("ca.citya.dataledger.local-cert.pem"))
	if strings.Count(cfg, "Certificate: cacerts/ca.citya.dataledger.local-cert.pem") != 4 || !strings.Contains(cfg, "OrganizationalUnitIdentifier: orderer") {
		t.Fatalf("NodeOUs:\n%s", cfg)
	}
}

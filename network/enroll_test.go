package network

import (
	"bytes"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dataledger/network/fabricbin"
)

// TestAnOrgsIdentitiesComeFromItsOwnCA: org init runs the org's Fabric
// CA, which makes two roots and enrolls every identity by its role (a
// TLS certificate from the TLS CA beside each node's), issues nothing
// again when run again, reissues an orderer's TLS certificate for the same
// names over a new key, and refuses to make a root anew once the org has
// one.
func TestAnOrgsIdentitiesComeFromItsOwnCA(t *testing.T) {
	if _, err := os.Stat(fabricbin.CABin("fabric-ca-server")); err != nil {
		t.Skipf("Fabric CA is not built here (bin/dataledger fabric build): %v", err)
	}
	n, err := Open("dataledger.yaml", t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := n.D.Org("ExchangeMSP")
	if _, err := n.InitOrg(o.MSPID, io.Discard); err != nil {
		t.Fatal(err)
	}
	caFile, tlsFile := rootFiles(o)
	pool := func(name string) *x509.CertPool {
		p := x509.NewCertPool()
		cert, err := readCert(filepath.Join(n.L.OrgDir(o), "msp", name))
		if err != nil {
			t.Fatal(err)
		}
		p.AddCert(cert)
		return p
	}
	caRoot, tlsRoot := pool(filepath.Join("cacerts", caFile)), pool(filepath.Join("tlscacerts", tlsFile))
	verify := func(path string, roots *x509.CertPool, ou string, other *x509.CertPool) *x509.Certificate {
		t.Helper()
		cert, err := readCert(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Fatalf("%s: not of its CA: %v", path, err)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: other, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err == nil {
			t.Fatalf("%s verifies under the other root too", path)
		}
		if ou != "" && !slices.Equal(cert.Subject.OrganizationalUnit, []string{ou}) {
			t.Fatalf("%s: OU %v, want %s", path, cert.Subject.OrganizationalUnit, ou)
		}
		return cert
	}
	x, p := o.Orderers[0], o.Peers[0]
	verify(filepath.Join(n.L.NodeCryptoDir(o, x.Name), "msp", "signcerts", "cert.pem"), caRoot, ordererOU, tlsRoot)
	verify(filepath.Join(n.L.NodeCryptoDir(o, p.Name), "msp", "signcerts", "cert.pem"), caRoot, "peer", tlsRoot)
	verify(filepath.Join(n.L.AdminMSP(o), "signcerts", "cert.pem"), caRoot, "admin", tlsRoot)
	for _, u := range o.Users {
		verify(filepath.Join(n.L.UserMSP(o, u.Name), "signcerts", "cert.pem"), caRoot, "client", tlsRoot)
	}
	serving := verify(filepath.Join(n.L.NodeCryptoDir(o, x.Name), "tls", "server.crt"), tlsRoot, "", caRoot)
	if !slices.Contains(serving.DNSNames, x.Name+"."+o.Domain) || !slices.ContainsFunc(serving.IPAddresses, func(ip net.IP) bool { return ip.String() == "127.0.0.1" }) {
		t.Fatalf("the orderer's TLS certificate names %v %v", serving.DNSNames, serving.IPAddresses)
	}
	verify(filepath.Join(n.L.ChaincodeDir(p.ID()), "tls", "server.crt"), tlsRoot, "", caRoot)

	// Again: nothing is issued anew.
	before, _ := os.ReadFile(filepath.Join(n.L.NodeCryptoDir(o, p.Name), "msp", "signcerts", "cert.pem"))
	if _, err := n.InitOrg(o.MSPID, io.Discard); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(filepath.Join(n.L.NodeCryptoDir(o, p.Name), "msp", "signcerts", "cert.pem")); !bytes.Equal(before, after) {
		t.Fatal("org init issued the peer's identity again")
	}

	// A rotation: the TLS CA reissues for the same names, a new key.
	if _, err := n.IssueNextTLS(x.ID(), io.Discard); err != nil {
		t.Fatal(err)
	}
	next := verify(filepath.Join(n.L.NextTLSDir(x), "server.crt"), tlsRoot, "", caRoot)
	if !slices.Equal(next.DNSNames, serving.DNSNames) || next.SerialNumber.Cmp(serving.SerialNumber) == 0 || bytes.Equal(next.RawSubjectPublicKeyInfo, serving.RawSubjectPublicKeyInfo) {
		t.Fatalf("the next TLS certificate: names %v (in use %v), a new key: %v", next.DNSNames, serving.DNSNames, !bytes.Equal(next.RawSubjectPublicKeyInfo, serving.RawSubjectPublicKeyInfo))
	}

	// The CA's home lost: a new node is refused, no root is made anew.
	if err := os.Rename(n.L.caServerHome(o), n.L.caServerHome(o)+".lost"); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(n.L.NodeCryptoDir(o, p.Name)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.InitOrg(o.MSPID, io.Discard); err == nil || !strings.Contains(err.Error(), "has no root") {
		t.Fatalf("org init with its CA lost: %v", err)
	}
	if _, err := os.Stat(filepath.Join(n.L.caServerHome(o), "ca-cert.pem")); err == nil {
		t.Fatal("a root was made anew")
	}
}

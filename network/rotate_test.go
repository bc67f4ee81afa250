package network

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/etcdraft"
	"google.golang.org/protobuf/proto"
)

// testTLSCA is a self-signed TLS CA for org name.
func testTLSCA(t *testing.T, name string) (*ca, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tlsca." + name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &ca{cert: cert, key: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func testTLSCert(t *testing.T, c *ca, host string) []byte {
	t.Helper()
	certPEM, _, err := c.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "orderer0"}, IPAddresses: []net.IP{net.ParseIP(host)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}})
	if err != nil {
		t.Fatal(err)
	}
	return certPEM
}

// TestAConsenterCertificateIsTheOrdererOrgsForItsHost: a consenter's new
// TLS certificate is admitted only as one certificate of its org's TLS CA,
// valid now, naming its host, over a key no other consenter has; each
// refusal names its rule.
func TestAConsenterCertificateIsTheOrdererOrgsForItsHost(t *testing.T) {
	own, ownRoot := testTLSCA(t, "exchange")
	other, _ := testTLSCA(t, "province")
	d, err := Load("dataledger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	x := d.Orderer("orderer0.exchange")
	fc, _ := proto.Marshal(&msp.FabricMSPConfig{Name: "ExchangeMSP", TlsRootCerts: [][]byte{ownRoot}})
	mc, _ := proto.Marshal(&msp.MSPConfig{Config: fc})
	org := &common.ConfigGroup{Values: map[string]*common.ConfigValue{"MSP": {Value: mc}}}
	good := testTLSCert(t, own, x.Host)
	neighbour := testTLSCert(t, own, x.Host)
	others := []*etcdraft.Consenter{{Host: "127.0.0.1", Port: 7050, ServerTlsCert: neighbour, ClientTlsCert: neighbour}}
	if err := checkConsenterCert(x, good, org, others, time.Now()); err != nil {
		t.Fatalf("its org's certificate for its host: %v", err)
	}
	for _, c := range []struct {
		what string
		cert []byte
		now  time.Time
		rule string
	}{
		{"two certificates", append(append([]byte{}, good...), good...), time.Now(), "consenter-tls-one"},
		{"no certificate", []byte("not a certificate"), time.Now(), "consenter-tls-one"},
		{"another org's CA", testTLSCert(t, other, x.Host), time.Now(), "consenter-tls-issuer"},
		{"expired", good, time.Now().Add(48 * time.Hour), "consenter-tls-issuer"},
		{"another host", testTLSCert(t, own, "10.9.9.9"), time.Now(), "consenter-tls-host"},
		{"another consenter's key", neighbour, time.Now(), "consenter-tls-key"},
		{"a server's use alone", serverOnly(t, own, x.Host), time.Now(), "consenter-tls-issuer"},
	} {
		if err := checkConsenterCert(x, c.cert, org, others, c.now); err == nil || !strings.Contains(err.Error(), "rule "+c.rule) {
			t.Errorf("%s: %v, want rule %s", c.what, err, c.rule)
		}
	}
	if err := checkConsenterCert(x, good, nil, others, time.Now()); err == nil || !strings.Contains(err.Error(), "rule consenter-tls-org") {
		t.Errorf("no ordering org: %v", err)
	}
}

// TestACutShortTLSSwapIsFinishedBeforeTheOrdererStarts: the key moved,
// the certificate not: up moves the certificate too when it is the
// moved key's, and refuses, saying how to recover, when it is not.
func TestACutShortTLSSwapIsFinishedBeforeTheOrdererStarts(t *testing.T) {
	n, err := Open("dataledger.yaml", t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	x := n.D.Orderer("orderer0.exchange")
	c, _ := testTLSCA(t, "exchange")
	newCert, newKey, err := c.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "next"}})
	if err != nil {
		t.Fatal(err)
	}
	oldCert, _, _ := c.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "old"}})
	tlsDir := filepath.Dir(n.L.NextTLSDir(x))
	write := func(path string, b []byte) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(tlsDir, "server.key"), newKey)
	write(filepath.Join(tlsDir, "server.crt"), oldCert)
	write(filepath.Join(n.L.NextTLSDir(x), "server.crt"), newCert)
	if err := n.finishTLSSwap(x); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(tlsDir, "server.crt")); string(b) != string(newCert) {
		t.Fatal("the next certificate is not in place")
	}
	if _, err := os.Stat(n.L.NextTLSDir(x)); err == nil {
		t.Fatal("the next directory is still there")
	}
	// A certificate whose key is not the one in place: refused.
	write(filepath.Join(n.L.NextTLSDir(x), "server.crt"), oldCert)
	if err := n.finishTLSSwap(x); err == nil || !strings.Contains(err.Error(), "remove the certificate") {
		t.Fatalf("a certificate of another key: %v", err)
	}
	// Nothing moved yet (both next files there): left to activation.
	write(filepath.Join(n.L.NextTLSDir(x), "server.key"), newKey)
	if err := n.finishTLSSwap(x); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(n.L.NextTLSDir(x), "server.crt")); err != nil {
		t.Fatal("a rotation not yet named was moved")
	}
}

func serverOnly(t *testing.T, c *ca, host string) []byte {
	t.Helper()
	certPEM, _, err := c.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "orderer0"}, IPAddresses: []net.IP{net.ParseIP(host)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		t.Fatal(err)
	}
	return certPEM
}

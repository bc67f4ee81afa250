package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dataledger/gateway"
)

type pki struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func issue(t *testing.T, parent *pki, cn string, ca bool, ips ...net.IP) (*pki, []byte, []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: ips,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	return &pki{cert, key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func write(t *testing.T, dir, name string, b []byte) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The public listener serves HTTPS when tls_cert and tls_key are set, and
// with tls_client_auth require refuses a client without a certificate of
// the org CA; the server is the one main builds and serves.
func TestPublicListenerServesTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caPEM, _ := issue(t, nil, "org CA", true)
	_, srvPEM, srvKey := issue(t, ca, "gateway", false, net.IPv4(127, 0, 0, 1))
	_, cliPEM, cliKey := issue(t, ca, "exchange", false)
	_, strangerPEM, strangerKey := issue(t, nil, "stranger", true)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	start := func(s Settings) string {
		t.Helper()
		srv, err := newServer(s, gateway.DefaultConfig(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = serve(srv, ln) }()
		t.Cleanup(func() { srv.Close() })
		return ln.Addr().String()
	}
	get := func(url string, certs ...tls.Certificate) error {
		tc := &tls.Config{RootCAs: roots}
		if len(certs) > 0 { // presented whatever CAs the server names
			tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certs[0], nil }
		}
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return &net.AddrError{Err: resp.Status}
			}
		}
		return err
	}
	pair := func(c, k []byte) tls.Certificate { p, _ := tls.X509KeyPair(c, k); return p }
	base := Settings{TLSCert: write(t, dir, "srv.pem", srvPEM), TLSKey: write(t, dir, "srv.key", srvKey)}

	addr := start(base)
	if err := get("https://" + addr + "/"); err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	if err := get("http://" + addr + "/"); err == nil {
		t.Fatal("plain HTTP was served on the TLS listener")
	}

	req := base
	req.TLSClientCA, req.TLSClientAuth = write(t, dir, "ca.pem", caPEM), gateway.ClientCertRequire
	addr = start(req)
	if err := get("https://" + addr + "/"); err == nil {
		t.Fatal("require: a client without a certificate was served")
	}
	if err := get("https://"+addr+"/", pair(strangerPEM, strangerKey)); err == nil {
		t.Fatal("require: a certificate of another CA was accepted")
	}
	if err := get("https://"+addr+"/", pair(cliPEM, cliKey)); err != nil {
		t.Fatalf("require: the org's client certificate: %v", err)
	}

	opt := base
	opt.TLSClientCA = req.TLSClientCA // verify-if-given by default
	addr = start(opt)
	if err := get("https://" + addr + "/"); err != nil {
		t.Fatalf("verify-if-given without a certificate: %v", err)
	}
	if err := get("https://"+addr+"/", pair(strangerPEM, strangerKey)); err == nil {
		t.Fatal("verify-if-given: a certificate of another CA was accepted")
	}

	for _, bad := range []Settings{{TLSCert: base.TLSCert}, {TLSClientCA: req.TLSClientCA}, {TLSCert: base.TLSCert, TLSKey: base.TLSKey, TLSClientAuth: "maybe", TLSClientCA: req.TLSClientCA},
		{TLSCert: base.TLSCert, TLSKey: base.TLSKey, TLSClientAuth: gateway.ClientCertRequire}} {
		if _, err := newServer(bad, gateway.DefaultConfig(), http.NotFoundHandler()); err == nil {
			t.Fatalf("settings %+v were accepted", bad)
		}
	}
}

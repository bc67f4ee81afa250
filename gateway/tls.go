package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Client certificate modes of TLSConfig.
const (
	ClientCertNone          = "none"            // no client certificate asked for
	ClientCertVerifyIfGiven = "verify-if-given" // one presented must chain to the CA; none is fine (API keys still apply)
	ClientCertRequire       = "require"         // every client presents one that chains to the CA
)

// TLSConfig is the public listener's TLS: the certificate and key files,
// and, for org callers, client certificates verified against the CA file
// clientCA as clientAuth says (ClientCertNone, ClientCertVerifyIfGiven,
// ClientCertRequire; "" is none, or verify-if-given when clientCA is set).
func TLSConfig(certFile, keyFile, clientCA, clientAuth string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("tls: both tls_cert and tls_key are needed")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientAuth == "" && clientCA != "" {
		clientAuth = ClientCertVerifyIfGiven
	}
	switch clientAuth {
	case "", ClientCertNone:
		if clientCA != "" {
			return nil, fmt.Errorf("tls: tls_client_ca is set but tls_client_auth is none")
		}
		return cfg, nil
	case ClientCertVerifyIfGiven:
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case ClientCertRequire:
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("tls: tls_client_auth %q is none of %s, %s, %s", clientAuth, ClientCertNone, ClientCertVerifyIfGiven, ClientCertRequire)
	}
	if clientCA == "" {
		return nil, fmt.Errorf("tls: tls_client_auth %s needs tls_client_ca", clientAuth)
	}
	pool, err := certPool(clientCA)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	cfg.ClientCAs = pool
	return cfg, nil
}

// certPool reads a PEM file of CA certificates (the gateway's client CAs,
// Redis's CAs).
func certPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

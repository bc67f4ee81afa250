package network

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// Every identity of an org comes from its own Fabric CA server, which
// holds two CAs: caName(o) issues the identities its MSP trusts (nodes by
// their role: peer, orderer, admin, client), tlsCAName(o) the TLS
// certificates its nodes serve and dial with. Their roots are made by the
// server when the org is initialised (fabric-ca-server, in the CA's home:
// no other program touches a CA key) and never again; an org initialised
// before, whose roots were made elsewhere (HOME/orgs/<org>/crypto/…/ca and
// tlsca), keeps them and the server signs with them. What the org
// publishes is the two root certificates; every certificate a node, an
// admin or a user holds was registered and enrolled there, so the CA can
// revoke it and its CRL reaches the channels (PublishCRL).

// tlsCAName is the name the org's TLS CA answers by.
func tlsCAName(o *Org) string { return "tlsca-" + o.Name }

// caServerHome is the Fabric CA server's home; tlsCAHome its TLS CA's.
func (l Layout) caServerHome(o *Org) string { return filepath.Join(l.CAHome(o), "server") }
func (l Layout) tlsCAHome(o *Org) string    { return filepath.Join(l.caServerHome(o), "tlsca") }

// registrarHome is the client home of the registrar of the CA named (it
// is enrolled with each CA apart).
func (l Layout) registrarHome(o *Org, caname string) string {
	if caname == tlsCAName(o) {
		return filepath.Join(l.CAHome(o), "registrar-tls")
	}
	return filepath.Join(l.CAHome(o), "registrar")
}

// caRoots are the files an org's CAs sign with. A root certificate file
// that is absent means the CA is not made yet.
type caRoots struct {
	cert, key       string // the identity CA ("" key: in the server's keystore)
	tlsCert, tlsKey string
}

// caRootsOf is where the org's roots are: the server's own, which it made,
// or, for an org whose roots were made before it had a Fabric CA (both
// keys in OrgDir/ca and OrgDir/tlsca), those, which the server is given
// to sign with.
func (n *Net) caRootsOf(o *Org) caRoots {
	imported := caRoots{
		cert: filepath.Join(n.L.OrgDir(o), "ca", "ca."+o.Domain+"-cert.pem"), key: filepath.Join(n.L.OrgDir(o), "ca", "priv_sk"),
		tlsCert: filepath.Join(n.L.OrgDir(o), "tlsca", "tlsca."+o.Domain+"-cert.pem"), tlsKey: filepath.Join(n.L.OrgDir(o), "tlsca", "priv_sk"),
	}
	if _, err := os.Stat(imported.key); err == nil {
		return imported
	}
	return caRoots{cert: filepath.Join(n.L.caServerHome(o), "ca-cert.pem"), tlsCert: filepath.Join(n.L.tlsCAHome(o), "ca-cert.pem")}
}

// caServer is how the org's server is started: its configuration
// written, its arguments for the address given.
// create admits a server whose roots are not made yet (org init of a
// new org); otherwise a missing root is refused, so a lost CA home never
// makes a new root in silence.
func (n *Net) caServer(o *Org, port int, operations string, create bool) ([]string, error) {
	roots := n.caRootsOf(o)
	for _, f := range []string{roots.cert, roots.tlsCert} {
		if _, err := os.Stat(f); err != nil && !create {
			return nil, fmt.Errorf("the CA of %s has no root %s: initialise the org first (dataledger org init --org %s); a CA whose home was lost is restored from its backup, never made anew (the channels trust its root)", o.Name, f, o.MSPID)
		}
	}
	if err := os.MkdirAll(n.L.tlsCAHome(o), 0o700); err != nil {
		return nil, err
	}
	secretFile := filepath.Join(n.L.CAHome(o), "registrar.secret")
	secret, err := os.ReadFile(secretFile)
	if errors.Is(err, fs.ErrNotExist) {
		secret = []byte(randomSecret())
		err = os.WriteFile(secretFile, secret, 0o600)
	}
	if err != nil {
		return nil, err
	}
	// Each CA's configuration is written here, whole: its name, subject,
	// root, keystore and database (what the TLS CA leaves unset, the
	// server copies from the identity CA's), the registrar, the profiles
	// it issues by. It keeps the registrar's secret: the org's alone.
	config := func(name, cn, certfile, keyfile, home string, profiles map[string]any) map[string]any {
		return map[string]any{
			"ca":  map[string]any{"name": name, "certfile": certfile, "keyfile": keyfile},
			"csr": map[string]any{"cn": cn, "names": []map[string]string{{"O": o.Domain}}, "keyrequest": map[string]any{"algo": "ecdsa", "size": 256}, "ca": map[string]any{"expiry": "131400h", "pathlength": 1}},
			"crl": map[string]any{"expiry": "24h"},
			// Every identity registered enrolls once (issue: --id.maxenrollments
			// 1); the registrar may enroll again with its secret, so it is never
			// locked out by its certificate's expiry (ready).
			"registry": map[string]any{"maxenrollments": -1,
				"identities": []map[string]any{{"name": "registrar", "pass": string(secret), "type": "client", "affiliation": "",
					"attrs": map[string]any{"hf.Registrar.Roles": "*", "hf.Registrar.DelegateRoles": "*", "hf.Revoker": true, "hf.IntermediateCA": false,
						"hf.GenCRL": true, "hf.Registrar.Attributes": "*", "hf.AffiliationMgr": true}}}},
			"db":    map[string]any{"type": "sqlite3", "datasource": filepath.Join(home, "fabric-ca-server.db")},
			"bccsp": map[string]any{"default": "SW", "sw": map[string]any{"hash": "SHA2", "security": 256, "filekeystore": map[string]any{"keystore": filepath.Join(home, "msp", "keystore")}}},
			"signing": map[string]any{
				"default":  map[string]any{"usage": []string{"digital signature"}, "expiry": "8760h"},
				"profiles": profiles,
			},
		}
	}
	// Only the TLS CA issues for TLS: the identity CA's certificates name
	// no host and serve no TLS.
	tlsProfile := map[string]any{"tls": map[string]any{"usage": []string{"signing", "key encipherment", "server auth", "client auth", "key agreement"}, "expiry": "8760h"}}
	write := func(path string, v map[string]any) error {
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		return os.WriteFile(path, b, 0o600)
	}
	tlsConfig := filepath.Join(n.L.tlsCAHome(o), "fabric-ca-config.yaml")
	if err := write(tlsConfig, config(tlsCAName(o), "tlsca."+o.Domain, roots.tlsCert, roots.tlsKey, n.L.tlsCAHome(o), tlsProfile)); err != nil {
		return nil, err
	}
	main := config(caName(o), "ca."+o.Domain, roots.cert, roots.key, n.L.caServerHome(o), map[string]any{})
	// TLS with a key of the server's own, its certificate pinned by every
	// client: no other program that took the port first is sent a
	// secret, whatever certificate it holds.
	tlsCert, tlsKey, err := n.caServerTLS(o)
	if err != nil {
		return nil, err
	}
	main["tls"] = map[string]any{"enabled": true, "certfile": tlsCert, "keyfile": tlsKey}
	main["cafiles"] = []string{tlsConfig}
	main["operations"] = map[string]any{"listenAddress": operations, "tls": map[string]any{"enabled": false}}
	serverConfig := filepath.Join(n.L.caServerHome(o), "fabric-ca-server-config.yaml")
	if err := write(serverConfig, main); err != nil {
		return nil, err
	}
	return []string{"start", "-H", n.L.caServerHome(o), "-c", serverConfig, "--address", "127.0.0.1", "--port", strconv.Itoa(port)}, nil
}

// caServerTLS is the CA server's TLS certificate and key, made once
// (self-signed, for 127.0.0.1): what its clients pin.
func (n *Net) caServerTLS(o *Org) (cert, key string, err error) {
	cert, key = filepath.Join(n.L.CAHome(o), "server-tls", "cert.pem"), filepath.Join(n.L.CAHome(o), "server-tls", "key.pem")
	if _, err := os.Stat(cert); err == nil {
		return cert, key, nil
	}
	if err := os.RemoveAll(filepath.Dir(cert)); err != nil { // a pair not completed
		return "", "", err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{Organization: []string{o.Domain}, CommonName: "ca server of " + o.Domain},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(15, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return "", "", err
	}
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", "", err
	}
	// The pair whole or not at all (writeDir).
	if err := writeDir(filepath.Dir(cert), map[string][]byte{
		"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}),
		"cert.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}); err != nil {
		return "", "", err
	}
	return cert, key, nil
}

// ready waits until the CA at c.url answers as the org's (answersAs)
// while alive says its process lives, then enrolls the registrar with
// each CA (its secret, a new key) where it has no certificate, or one
// with less than a quarter of its life left, or expired: whenever the
// org's CA is opened, its registrar can register, revoke and sign a CRL.
func (c *CA) ready(alive func() bool, log string) error {
	hc, err := c.httpClient()
	if err != nil {
		return err
	}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(30 * time.Second)
	for {
		orgCA, err := os.ReadFile(c.n.caRootsOf(c.org).cert) // a new CA makes it as it starts
		if err == nil {
			err = c.answersAs(hc, orgCA)
		}
		if err == nil {
			break
		}
		if !alive() || time.Now().After(deadline) {
			return fmt.Errorf("the CA of %s does not answer as its own at %s (%v; log: %s)", c.org.Name, c.url, err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	secret, err := os.ReadFile(filepath.Join(c.n.L.CAHome(c.org), "registrar.secret"))
	if err != nil {
		return err
	}
	for _, caname := range []string{caName(c.org), tlsCAName(c.org)} {
		home := c.n.L.registrarHome(c.org, caname)
		cert, err := readCert(filepath.Join(home, "msp", "signcerts", "cert.pem"))
		if errors.Is(err, fs.ErrNotExist) || err == nil && time.Until(cert.NotAfter) < cert.NotAfter.Sub(cert.NotBefore)/4 {
			if err = os.RemoveAll(filepath.Join(home, "msp")); err == nil {
				_, err = c.client([]string{"FABRIC_CA_CLIENT_URL=" + c.urlWith("registrar", string(secret))}, "enroll", "-H", home, "--caname", caname,
					"--csr.names", "O="+c.org.Domain, "--csr.hosts", "")
			}
		}
		if err != nil {
			return fmt.Errorf("the registrar of %s: %w", caname, err)
		}
	}
	return nil
}

// openCA is the org's CA for its own command: the one running for it
// (StartCA), or else a server of its own for as long as the command
// needs it (done stops it), on a free port of 127.0.0.1. create: as
// caServer.
func (n *Net) openCA(o *Org, create bool) (*CA, func(), error) {
	// One server at a time over the org's CA databases: a command waits
	// for another to finish with them (StartCA takes the lock too).
	lock, err := n.lockCA(o)
	if err != nil {
		return nil, nil, err
	}
	c, ok, err := n.runningCA(o)
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	if ok {
		return c, func() { lock.Close() }, nil // held as long as a server of our own would be
	}
	run, stop, err := n.runCA(o, create)
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	return run, func() { stop(); lock.Close() }, nil
}

// lockCA takes the org's CA lock (released by closing the file).
func (n *Net) lockCA(o *Org) (*os.File, error) {
	if err := os.MkdirAll(n.L.CAHome(o), 0o700); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(n.L.CAHome(o), "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		return nil, err
	}
	return lock, nil
}

// runningCA is the CA StartCA keeps running for the org, if it runs.
func (n *Net) runningCA(o *Org) (*CA, bool, error) {
	if _, up := n.running(caID(o)); !up {
		return nil, false, nil
	}
	b, err := os.ReadFile(filepath.Join(n.L.CAHome(o), "port"))
	if err != nil {
		return nil, false, err
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, false, fmt.Errorf("the port of the CA of %s: %w", o.Name, err)
	}
	c := n.caAt(o, port)
	if err := c.ready(func() bool { _, up := n.running(caID(o)); return up }, n.L.LogFile(caID(o))); err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// runCA runs the org's CA server as a child of this command (openCA).
func (n *Net) runCA(o *Org, create bool) (*CA, func(), error) {
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	args, err := n.caServer(o, port, "127.0.0.1:0", create)
	if err != nil {
		return nil, nil, err
	}
	logPath := filepath.Join(n.L.CAHome(o), "server.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(n.caBin("fabric-ca-server"), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + n.L.CAHome(o)}
	cmd.Stdout, cmd.Stderr = logf, logf
	// It ends with this command, even one that crashes (no thread of
	// ours is locked, so the one that started it lives as long as we do).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, nil, fmt.Errorf("starting the CA of %s: %w", o.Name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	c := n.caAt(o, port)
	alive := func() bool {
		select {
		case <-exited:
			return false
		default:
			return true
		}
	}
	if err := c.ready(alive, logPath); err != nil {
		stop()
		return nil, nil, err
	}
	return c, stop, nil
}

func (n *Net) caAt(o *Org, port int) *CA {
	return &CA{n: n, org: o, home: n.L.caServerHome(o), admin: n.L.registrarHome(o, caName(o)), url: "https://127.0.0.1:" + strconv.Itoa(port)}
}

// freePort is a TCP port of 127.0.0.1 free when asked.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// enrollment is one identity the CA registers and enrolls.
type enrollment struct {
	ca    string   // the CA's name: caName or tlsCAName
	name  string   // its enrollment ID (the certificate's CN)
	typ   string   // peer, orderer, admin or client: the identity's node OU
	attrs string   // attributes in its certificate (fabric-ca-client --id.attrs)
	hosts []string // a TLS certificate's names
	// again: the org's own command issues this identity anew (its files
	// were lost, or a rotation): where its name is registered already, the
	// next free generation of it is ("r2.<name>", …). A name a user chose
	// is never issued again.
	again bool
}

// issue registers e with its CA (a secret that enrolls once, never shown)
// and enrolls it with a key made for it: the certificate and key, PEM. An
// ID registered before is refused by the CA (e.again: the next
// generation of the name is registered instead): an enrollment ID is
// never issued twice.
func (c *CA) issue(e enrollment) (certPEM, keyPEM []byte, err error) {
	secret := randomSecret()
	name := e.name
	for gen := 2; ; gen++ {
		reg := []string{"register", "-H", c.n.L.registrarHome(c.org, e.ca), "--caname", e.ca, "--id.name", name, "--id.type", e.typ, "--id.maxenrollments", "1"}
		if e.attrs != "" {
			reg = append(reg, "--id.attrs", e.attrs)
		}
		_, err := c.client([]string{"FABRIC_CA_CLIENT_URL=" + c.url, "FABRIC_CA_CLIENT_ID_SECRET=" + secret}, reg...)
		if err == nil {
			break
		}
		if !e.again || !strings.Contains(err.Error(), "is already registered") || gen > 99 {
			return nil, nil, fmt.Errorf("registering %s (%s) with %s: %w", name, e.typ, e.ca, err)
		}
		name = "r" + strconv.Itoa(gen) + "." + e.name
	}
	tmp, err := os.MkdirTemp(c.n.L.CAHome(c.org), ".enrolling-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp) // an enrollment not completed leaves no key
	enroll := []string{"enroll", "-H", filepath.Join(tmp, "client"), "-M", filepath.Join(tmp, "msp"), "--caname", e.ca, "--csr.cn", name}
	enroll = append(enroll, "--csr.names", "O="+c.org.Domain) // the org's, as its roots'
	if e.ca == tlsCAName(c.org) {
		enroll = append(enroll, "--enrollment.profile", "tls")
	}
	// Its names, or none: never the host it was enrolled on.
	enroll = append(enroll, "--csr.hosts", strings.Join(e.hosts, ","))
	if _, err := c.client([]string{"FABRIC_CA_CLIENT_URL=" + c.urlWith(name, secret)}, enroll...); err != nil {
		return nil, nil, fmt.Errorf("enrolling %s (%s) with %s: %w", name, e.typ, e.ca, err)
	}
	if certPEM, err = os.ReadFile(filepath.Join(tmp, "msp", "signcerts", "cert.pem")); err != nil {
		return nil, nil, err
	}
	keys, _ := filepath.Glob(filepath.Join(tmp, "msp", "keystore", "*_sk"))
	if len(keys) != 1 {
		return nil, nil, fmt.Errorf("enrolling %s: want one key, found %d", name, len(keys))
	}
	keyPEM, err = os.ReadFile(keys[0])
	return certPEM, keyPEM, err
}

// issueMSP issues e (issue) and answers its MSP directory's content
// (mspFiles).
func (c *CA) issueMSP(e enrollment) (map[string][]byte, error) {
	certPEM, keyPEM, err := c.issue(e)
	if err != nil {
		return nil, err
	}
	return c.n.mspFiles(c.org, certPEM, keyPEM)
}

// rootFiles are the MSP's root certificate file names (the org's node OU
// rules and its TLSCACert name them).
func rootFiles(o *Org) (ca, tls string) {
	return "ca." + o.Domain + "-cert.pem", "tlsca." + o.Domain + "-cert.pem"
}

// mspFiles is an MSP directory's content for an identity of org o: its
// certificate and key, the org's roots and node OU rules.
func (n *Net) mspFiles(o *Org, certPEM, keyPEM []byte) (map[string][]byte, error) {
	roots := n.caRootsOf(o)
	ca, err := os.ReadFile(roots.cert)
	if err != nil {
		return nil, err
	}
	tls, err := os.ReadFile(roots.tlsCert)
	if err != nil {
		return nil, err
	}
	caFile, tlsFile := rootFiles(o)
	files := map[string][]byte{"cacerts/" + caFile: ca, "tlscacerts/" + tlsFile: tls, "config.yaml": nodeOUsConfig(caFile)}
	if certPEM != nil {
		files["signcerts/cert.pem"], files["keystore/priv_sk"] = certPEM, keyPEM
	}
	return files, nil
}

// writeDir writes files under dir as a whole: into a sibling first, then
// renamed, so a dir that is there is complete. Keys and all are the
// org's alone (0600, directories 0700).
func writeDir(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".writing-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for name, b := range files {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return err
		}
	}
	return os.Rename(tmp, dir)
}

// enrollNode gives a node (or the org's admin: tlsKind "client") its
// identity and its TLS key for the names hosts, each from its CA, in dir
// (msp/, tls/), unless it has them.
func (n *Net) enrollNode(c *CA, dir string, id enrollment, hosts []string, tlsKind string, log io.Writer) error {
	files, err := c.issueMSP(id)
	if err != nil {
		return err
	}
	out := map[string][]byte{}
	for name, b := range files {
		out["msp/"+name] = b
	}
	tlsCert, tlsKey, err := c.issue(enrollment{ca: tlsCAName(c.org), name: id.name, typ: id.typ, hosts: hosts, again: id.again})
	if err != nil {
		return err
	}
	_, tlsRoot := rootFiles(c.org)
	out["tls/"+tlsKind+".crt"], out["tls/"+tlsKind+".key"], out["tls/ca.crt"] = tlsCert, tlsKey, files["tlscacerts/"+tlsRoot]
	if err := writeDir(dir, out); err != nil {
		return err
	}
	name := id.name
	if certs, err := parseCerts(files["signcerts/cert.pem"]); err == nil && len(certs) == 1 {
		name = certs[0].Subject.CommonName // the generation issued
	}
	fmt.Fprintf(log, "  %s: enrolled as %s (%s) with the CA of %s\n", c.org.Name, name, id.typ, c.org.Name)
	return nil
}

// nodeHosts are a node's TLS names: its host name in the org's domain,
// its short name, and the addresses it is reached by (sans).
func nodeHosts(name string, o *Org, host string) []string {
	return append([]string{name + "." + o.Domain, name}, sans(host)...)
}

// sans are the names a node is reached by: localhost and 127.0.0.1, and
// its host.
func sans(host string) []string {
	out := []string{"localhost", "127.0.0.1"}
	if host != "localhost" && host != "127.0.0.1" {
		out = append(out, host)
	}
	return out
}

// OpenCA is org's CA for a command of the org (enroll, revoke, a CRL):
// the one running for it, or one run until done is called. Where the org
// runs as an account, only that account may open it.
func (n *Net) OpenCA(orgID string) (*CA, func(), error) {
	o := n.D.Org(orgID)
	if o == nil {
		return nil, nil, fmt.Errorf("no org %q in the description", orgID)
	}
	if o.Account != "" && !n.isAccount(o) {
		return nil, nil, fmt.Errorf("org %s runs as account %s: its CA is that account's (run the command as it)", o.Name, o.Account)
	}
	return n.openCA(o, false)
}

// Issued is every certificate the org's CA (tls: its TLS CA) has issued,
// revoked or not, as its database records them.
func (c *CA) Issued(tls bool) ([]*x509.Certificate, error) {
	caname := caName(c.org)
	if tls {
		caname = tlsCAName(c.org)
	}
	tmp, err := os.MkdirTemp(c.n.L.CAHome(c.org), ".listing-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if _, err := c.client([]string{"FABRIC_CA_CLIENT_URL=" + c.url}, "certificate", "list", "-H", c.n.L.registrarHome(c.org, caname), "--caname", caname, "--store", tmp); err != nil {
		return nil, err
	}
	files, _ := filepath.Glob(filepath.Join(tmp, "*.pem"))
	var out []*x509.Certificate
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		certs, err := parseCerts(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
		out = append(out, certs...)
	}
	return out, nil
}

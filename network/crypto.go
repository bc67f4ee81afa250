package network

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
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
	"slices"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"dataledger/chaincode/domain"
)

// cryptogen's input for one org: its nodes become Specs with their hosts as
// TLS SANs; orderers are nodes of the org that runs them, so an org keeps a
// single CA whatever it runs.
type cryptoConfig struct {
	PeerOrgs []cryptoOrg `yaml:"PeerOrgs"`
}

type cryptoOrg struct {
	Name          string       `yaml:"Name"`
	Domain        string       `yaml:"Domain"`
	EnableNodeOUs bool         `yaml:"EnableNodeOUs"`
	Specs         []cryptoSpec `yaml:"Specs"`
	Users         struct {
		Count int `yaml:"Count"`
	} `yaml:"Users"`
}

type cryptoSpec struct {
	Hostname string   `yaml:"Hostname"`
	SANS     []string `yaml:"SANS"`
}

// generateCrypto has every org make its own material (InitOrg): each in
// its own directory, each publishing what the others need.
func (n *Net) generateCrypto(log io.Writer) error {
	for _, o := range n.D.Orgs {
		if _, err := n.InitOrg(o.MSPID, log); err != nil {
			return err
		}
	}
	return nil
}

// InitOrg makes what one org needs to take part, in its own directory
// (Layout.OrgHome) and nothing else: its CAs and node identities (cryptogen,
// for an org with no material yet; for nodes it gained, cryptogen extend
// issues those from the org's own CA and leaves every existing node as it
// is: an org's CA is never regenerated, it signed the ledgers), its
// ordering nodes' orderer-role identities, its role identities and its
// chaincode servers' TLS certificates. Then it publishes its public
// material (Layout.PublicDir): the verifying MSP (CA and TLS roots,
// NodeOUs) and its orderers' TLS certificates. It returns the public
// files it wrote or found current.
func (n *Net) InitOrg(orgID string, log io.Writer) ([]string, error) {
	o := n.D.Org(orgID)
	if o == nil {
		return nil, fmt.Errorf("no org %q in the description", orgID)
	}
	if !n.isAccount(o) { // a home of the layout before: moved, not made anew
		if err := n.migrate(); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(n.L.path("crypto")); err == nil {
		return nil, fmt.Errorf("home %s has the layout before each org had a directory of its own: up (as root) moves it first", n.L.Home)
	}
	if cred, err := n.credential(o); err != nil {
		return nil, err
	} else if cred != nil {
		return n.initOrgAs(o, cred, log)
	}
	co := cryptoOrg{Name: o.MSPID, Domain: o.Domain, EnableNodeOUs: true}
	_, err := os.Stat(filepath.Join(n.L.OrgDir(o), "msp"))
	needed := err != nil
	for _, x := range o.Orderers {
		co.Specs = append(co.Specs, cryptoSpec{Hostname: x.Name, SANS: sans(x.Host)})
	}
	for _, p := range o.Peers {
		co.Specs = append(co.Specs, cryptoSpec{Hostname: p.Name, SANS: sans(p.Host)})
	}
	for _, spec := range co.Specs {
		if _, err := os.Stat(n.L.NodeCryptoDir(o, spec.Hostname)); err != nil {
			needed = true
		}
	}
	if needed {
		if err := os.MkdirAll(n.L.OrgHome(o), 0o700); err != nil {
			return nil, err
		}
		cfg := filepath.Join(n.L.OrgHome(o), "crypto-config.yaml")
		if err := n.writeYAML(cfg, cryptoConfig{PeerOrgs: []cryptoOrg{co}}); err != nil {
			return nil, err
		}
		args := []string{"generate", "--config", cfg, "--output", n.L.CryptoDir(o)}
		if _, err := os.Stat(n.L.OrgDir(o)); err == nil {
			args = []string{"extend", "--config", cfg, "--input", n.L.CryptoDir(o)} // keeps the org's CAs
		}
		if out, err := runCmd(nil, n.fabricBin("cryptogen"), args...); err != nil {
			return nil, fmt.Errorf("cryptogen for %s: %v\n%s", o.Name, err, out)
		}
		fmt.Fprintf(log, "  %s: crypto material %sd\n", o.Name, args[0])
	}
	if err := n.ordererIdentities(o, log); err != nil {
		return nil, err
	}
	for _, u := range o.Users {
		if err := n.issueUser(o, u); err != nil {
			return nil, fmt.Errorf("identity %s@%s: %w", u.Name, o.Name, err)
		}
	}
	for _, p := range o.Peers {
		if err := n.issueChaincodeTLS(p); err != nil {
			return nil, fmt.Errorf("chaincode TLS for %s: %w", p.ID(), err)
		}
	}
	offered, err := n.offer(o)
	if err != nil || n.isAccount(o) {
		return offered, err // as the org's own account: root accepts it
	}
	return n.acceptPublished(o)
}

// initOrgAs runs `dataledger org init` for an org as its own account:
// the org's material is made by the org's command, in directories only
// that account may enter.
func (n *Net) initOrgAs(o *Org, cred *syscall.Credential, log io.Writer) ([]string, error) {
	if err := n.own(o); err != nil { // creates both directories, the account's
		return nil, err
	}
	if err := n.asAccount(o, cred, log, "org", "init", "--org", o.MSPID); err != nil {
		return nil, err
	}
	return n.acceptPublished(o)
}

// asAccount runs a dataledger command of org o (args) as its account.
func (n *Net) asAccount(o *Org, cred *syscall.Credential, log io.Writer, args ...string) error {
	if len(args) < 2 {
		return fmt.Errorf("a command of org %s names no subcommand: %v", o.Name, args)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(n.BinDir, "dataledger"), append(args, "--home", n.L.Home, "--description", n.DescriptionPath)...)
	// Fabric's binaries as linked into the home, which the account reaches.
	cmd.Env = append(os.Environ(), "DATALEDGER_FABRIC_DIR="+n.L.path("fabric"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	err := cmd.Run()
	log.Write(stderr.Bytes())
	if err != nil {
		return fmt.Errorf("%s of %s as account %s: %v\n%s", strings.Join(args[:2], " "), o.Name, o.Account, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// offerDir is where an org's own command puts what it publishes, in its
// own directory; acceptPublished checks each file and copies it into the
// public directory, which only the one running up (root) writes.
func (l Layout) offerDir(o *Org) string { return filepath.Join(l.OrgHome(o), "published") }

// offer copies an org's public material from its own material into its
// offer (mirrored: a file no longer public goes): the org's verifying MSP
// (no key is in it) and its orderers' TLS certificates.
func (n *Net) offer(o *Org) ([]string, error) {
	files := map[string]string{} // offered path ← private path
	src := filepath.Join(n.L.OrgDir(o), "msp")
	for _, sub := range []string{"cacerts", "tlscacerts"} { // config.yaml: root writes its own
		certs, err := filepath.Glob(filepath.Join(src, sub, "*.pem"))
		if err != nil || len(certs) != 1 {
			return nil, fmt.Errorf("%s: want one certificate, found %d (%v)", filepath.Join(src, sub), len(certs), err)
		}
		files[filepath.Join(n.L.offerDir(o), "msp", sub, filepath.Base(certs[0]))] = certs[0]
	}
	for _, x := range o.Orderers {
		files[filepath.Join(n.L.offerDir(o), "orderers", x.ID()+"-tls.crt")] = filepath.Join(n.L.NodeCryptoDir(o, x.Name), "tls", "server.crt")
		next := filepath.Join(n.L.NextTLSDir(x), "server.crt")
		if _, err := os.Stat(next); err == nil { // a rotation under way (IssueNextTLS)
			files[filepath.Join(n.L.offerDir(o), "orderers", x.ID()+"-tls.next.crt")] = next
		}
	}
	if err := os.RemoveAll(n.L.offerDir(o)); err != nil {
		return nil, err
	}
	contents := map[string][]byte{}
	for dst, from := range files {
		b, err := os.ReadFile(from)
		if err != nil {
			return nil, err
		}
		if contents[dst], err = checkPublic(filepath.Base(dst), b); err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
	}
	return writeFiles(contents)
}

// writeFiles writes each file (0644, its directories 0755) whose content
// differs, and returns their paths in order.
func writeFiles(files map[string][]byte) ([]string, error) {
	var out []string
	for dst, b := range files {
		if cur, err := os.ReadFile(dst); err != nil || !bytes.Equal(cur, b) {
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				return nil, err
			}
		}
		out = append(out, dst)
	}
	slices.Sort(out)
	return out, nil
}

// checkPublic admits what an org may publish, a PEM file of
// certificates and nothing else (no other block, no text around them),
// and returns it encoded anew: what is published is what was parsed. An
// MSP's config.yaml is not taken from the org (its paths would be read
// by configtxgen as root): nodeOUsConfig writes it.
func checkPublic(name string, b []byte) ([]byte, error) {
	if len(b) > 64<<10 {
		return nil, fmt.Errorf("%d bytes: too large to publish", len(b))
	}
	var out []byte
	for rest := b; len(bytes.TrimSpace(rest)) > 0; {
		if !startsWithPEM(rest) {
			return nil, fmt.Errorf("text outside certificates: refused")
		}
		blk, after := pem.Decode(rest)
		if blk == nil {
			return nil, fmt.Errorf("not a PEM file of certificates alone")
		}
		if blk.Type != "CERTIFICATE" || len(blk.Headers) > 0 {
			return nil, fmt.Errorf("a %s block: only certificates are published", blk.Type)
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return nil, err
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: blk.Bytes})...)
		rest = after
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no certificate", name)
	}
	return out, nil
}

// startsWithPEM reports whether b, leading whitespace aside, begins with
// a PEM block (pem.Decode skips any text before one).
func startsWithPEM(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("-----BEGIN "))
}

// nodeOUsConfig is an org MSP's config.yaml (NodeOUs: client, peer,
// admin, orderer, all under the org's one CA certificate), as root writes
// it for the public MSP.
func nodeOUsConfig(caCert string) []byte {
	var b strings.Builder
	b.WriteString("NodeOUs:\n  Enable: true\n")
	for _, ou := range []struct{ key, name string }{{"ClientOUIdentifier", "client"}, {"PeerOUIdentifier", "peer"}, {"AdminOUIdentifier", "admin"}, {"OrdererOUIdentifier", ordererOU}} {
		fmt.Fprintf(&b, "  %s:\n    Certificate: cacerts/%s\n    OrganizationalUnitIdentifier: %s\n", ou.key, caCert, ou.name)
	}
	return []byte(b.String())
}

// acceptPublished checks what an org offers and mirrors it into its
// public directory, which the channels' configurations are made from and
// only the one running up (root) writes: the org's CA and TLS root
// certificates (one each) and its orderers' TLS certificates (with the
// next one of an orderer whose rotation is under way), each a
// regular file read through the org directory's root (readRegularIn: no
// link, nothing out of the org's directory), of certificates alone, encoded anew; and the MSP's
// config.yaml (NodeOUs), written here, not taken from the org. A public
// directory that is not root's own (a home of an earlier layout) is made
// anew. It returns the public files.
func (n *Net) acceptPublished(o *Org) ([]string, error) {
	r, err := os.OpenRoot(n.L.OrgHome(o))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	allowed := map[string]bool{}
	for _, x := range o.Orderers {
		allowed[filepath.Join("orderers", x.ID()+"-tls.crt")] = true
	}
	offered := map[string][]byte{}
	var caCert string
	for _, sub := range []string{"cacerts", "tlscacerts"} {
		entries, err := fs.ReadDir(r.FS(), filepath.Join("published", "msp", sub))
		if err != nil || len(entries) != 1 || !entries[0].Type().IsRegular() || !strings.HasSuffix(entries[0].Name(), ".pem") {
			return nil, fmt.Errorf("%s offers no one certificate in msp/%s (%v): dataledger org init --org %s", o.Name, sub, err, o.MSPID)
		}
		allowed[filepath.Join("msp", sub, entries[0].Name())] = true
		if sub == "cacerts" {
			caCert = entries[0].Name()
		}
	}
	for _, x := range o.Orderers { // a rotation under way: offered or not
		if _, err := r.Lstat(filepath.Join("published", "orderers", x.ID()+"-tls.next.crt")); err == nil {
			allowed[filepath.Join("orderers", x.ID()+"-tls.next.crt")] = true
		}
	}
	for rel := range allowed {
		b, err := readRegularIn(r, filepath.Join("published", rel))
		if errors.Is(err, fs.ErrNotExist) && strings.HasPrefix(rel, "orderers") {
			return nil, fmt.Errorf("%s offers no TLS certificate of its orderer (%s): %w", o.Name, rel, err)
		} else if err != nil {
			return nil, fmt.Errorf("%s offers %s: %w", o.Name, rel, err)
		}
		if b, err = checkPublic(rel, b); err != nil {
			return nil, fmt.Errorf("%s offers %s: %w", o.Name, rel, err)
		}
		offered[filepath.Join(n.L.PublicDir(o), rel)] = b
	}
	offered[filepath.Join(n.L.OrgMSPDir(o), "config.yaml")] = nodeOUsConfig(caCert)
	if err := os.MkdirAll(filepath.Dir(n.L.PublicDir(o)), 0o755); err != nil {
		return nil, err
	}
	if info, err := os.Lstat(n.L.PublicDir(o)); err == nil {
		st, _ := info.Sys().(*syscall.Stat_t)
		if !info.IsDir() || st == nil || int(st.Uid) != os.Geteuid() {
			if err := os.RemoveAll(n.L.PublicDir(o)); err != nil {
				return nil, err
			}
		}
	}
	// Mirrored: what the org no longer offers is no longer public.
	_ = filepath.WalkDir(n.L.PublicDir(o), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && offered[p] == nil {
			_ = os.Remove(p)
		}
		return nil
	})
	return writeFiles(offered)
}

func sans(host string) []string {
	out := []string{"localhost", "127.0.0.1"}
	if host != "localhost" && host != "127.0.0.1" {
		out = append(out, host)
	}
	return out
}

// oidFabricAttrs is the certificate extension Fabric's cid package reads
// attributes from (the one Fabric CA writes).
var oidFabricAttrs = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

type ca struct {
	cert *x509.Certificate
	key  any
}

func loadCA(dir string) (*ca, error) {
	certs, _ := filepath.Glob(filepath.Join(dir, "*-cert.pem"))
	if len(certs) != 1 {
		return nil, fmt.Errorf("%s: want one CA certificate, found %d", dir, len(certs))
	}
	cert, err := readCert(certs[0])
	if err != nil {
		return nil, err
	}
	kb, err := os.ReadFile(filepath.Join(dir, "priv_sk"))
	if err != nil {
		return nil, err
	}
	k, _ := pem.Decode(kb)
	if k == nil {
		return nil, fmt.Errorf("%s/priv_sk: no PEM", dir)
	}
	key, err := x509.ParsePKCS8PrivateKey(k.Bytes)
	if err != nil {
		return nil, err
	}
	return &ca{cert: cert, key: key}, nil
}

// issue signs a new P-256 key's certificate and returns cert and key PEM.
func (c *ca) issue(tmpl *x509.Certificate) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	tmpl.SerialNumber = serial
	// Fabric's MSP checks the chain at the leaf's NotBefore: it must not
	// precede the CA's, or the CA counts as not yet valid.
	tmpl.NotBefore = time.Now().Add(-5 * time.Minute)
	if tmpl.NotBefore.Before(c.cert.NotBefore) {
		tmpl.NotBefore = c.cert.NotBefore
	}
	tmpl.NotAfter = c.cert.NotAfter
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return nil, nil, err
	}
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), nil
}

// issueUser makes a client identity whose certificate carries the role
// attribute, in a complete MSP directory. Existing identities are kept.
// EnrollUser has org's CA issue an identity with a role attribute (as
// the org's own CA may: a role proves only what its org says), kept with
// the org's other identities; an identity already there is left as it is.
func (n *Net) EnrollUser(orgID string, u User) error {
	o := n.D.Org(orgID)
	if o == nil {
		return fmt.Errorf("no org %q in the description", orgID)
	}
	if o.Account != "" && !n.isAccount(o) {
		// Root would read the org's CA key and write the identity in the
		// org's directory, which its account controls.
		return fmt.Errorf("org %s runs as account %s: enroll its identities as that account (its org init, or its own CA)", o.Name, o.Account)
	}
	return n.issueUser(o, u)
}

func (n *Net) issueUser(o *Org, u User) error {
	dir := n.L.UserMSP(o, u.Name)
	if _, err := os.Stat(filepath.Join(dir, "signcerts", "cert.pem")); err == nil {
		return nil
	}
	c, err := loadCA(filepath.Join(n.L.OrgDir(o), "ca"))
	if err != nil {
		return err
	}
	attr := map[string]string{domain.RoleAttribute: u.Role}
	if u.Role == domain.RoleEnterprise {
		if err := domain.ValidateCreditCode("creditCode", u.CreditCode); err != nil {
			return fmt.Errorf("enterprise identity %s: %w", u.Name, err)
		}
		attr[domain.CreditCodeAttribute] = u.CreditCode
	}
	attrs, _ := json.Marshal(map[string]map[string]string{"attrs": attr})
	certPEM, keyPEM, err := c.issue(&x509.Certificate{
		Subject:         pkix.Name{CommonName: u.Name + "@" + o.Domain, OrganizationalUnit: []string{"client"}, Organization: []string{o.Domain}},
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: oidFabricAttrs, Value: attrs}},
	})
	if err != nil {
		return err
	}
	adminMSP := n.L.AdminMSP(o)
	files := map[string][]byte{
		"signcerts/cert.pem": certPEM,
		"keystore/priv_sk":   keyPEM,
	}
	for _, sub := range []string{"cacerts", "tlscacerts"} {
		matches, _ := filepath.Glob(filepath.Join(adminMSP, sub, "*.pem"))
		for _, m := range matches {
			b, err := os.ReadFile(m)
			if err != nil {
				return err
			}
			files[sub+"/"+filepath.Base(m)] = b
		}
	}
	ous, err := os.ReadFile(filepath.Join(adminMSP, "config.yaml"))
	if err != nil {
		return err
	}
	files["config.yaml"] = ous
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// issueChaincodeTLS gives a peer's chaincode server a TLS certificate from
// the org's TLS CA; the peer verifies it with that CA (connection.json).
func (n *Net) issueChaincodeTLS(p *Peer) error {
	dir := filepath.Join(n.L.ChaincodeDir(p.ID()), "tls")
	if _, err := os.Stat(filepath.Join(dir, "server.crt")); err == nil {
		return nil
	}
	c, err := loadCA(filepath.Join(n.L.OrgDir(p.org), "tlsca"))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "chaincode." + p.Hostname()},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost", "chaincode." + p.Hostname()},
	}
	for _, h := range sans(p.Host) {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	certPEM, keyPEM, err := c.issue(tmpl)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "server.key"), keyPEM, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "server.crt"), certPEM, 0o644)
}

// writeYAML writes v as YAML through n.writeFile (inside an org's
// directory: through its root).
func (n *Net) writeYAML(path string, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	return n.writeFile(path, b, 0o644)
}

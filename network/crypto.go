package network

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// generateCrypto has every org make its own material (InitOrg): each in
// its own directory, each publishing what the others need. The orgs are
// independent (each its own CA, lock and directories), so they make it
// at once; the first failure is answered.
func (n *Net) generateCrypto(log io.Writer) error {
	out := &lockedWriter{w: log}
	errs := make([]error, len(n.D.Orgs))
	var wg sync.WaitGroup
	for i, o := range n.D.Orgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = n.InitOrg(o.MSPID, out)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lockedWriter is a writer several goroutines share, a Write at a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// InitOrg makes what one org needs to take part, in its own directory
// (Layout.OrgHome) and nothing else: its Fabric CA (enroll.go: the
// server makes the org's two roots once, when the org has none; they are
// never made again, they signed the ledgers), and from it every identity
// the org holds: each node's by its role (peers; ordering nodes as
// orderers) with its TLS key, the admin's, its users' with their roles,
// its chaincode servers' TLS keys. A node or user it has already is left
// as it is; one it gained is enrolled. Then it publishes its public
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
	if err := os.MkdirAll(n.L.OrgHome(o), 0o700); err != nil {
		return nil, err
	}
	if err := n.enrollOrg(o, log); err != nil {
		return nil, err
	}
	offered, err := n.offer(o)
	if err != nil || n.isAccount(o) {
		return offered, err // as the org's own account: root accepts it
	}
	return n.acceptPublished(o)
}

// enrollOrg has the org's CA issue whatever identity the org lacks (its
// files are not there: a new node or user, or lost files, issued again
// under the next generation of its name); the CA is run only when
// something is lacking. An ordering node whose identity lacks the
// orderer role (made before its org had a Fabric CA) is stopped and given
// one. Then it writes the org's verifying MSP.
func (n *Net) enrollOrg(o *Org, log io.Writer) error {
	missing := func(path string) bool { _, err := os.Stat(path); return errors.Is(err, fs.ErrNotExist) }
	id := func(name, typ string) enrollment {
		return enrollment{ca: caName(o), name: name, typ: typ, again: true}
	}
	var todo []func(c *CA) error
	for _, x := range o.Orderers {
		dir := n.L.NodeCryptoDir(o, x.Name)
		msp := filepath.Join(dir, "msp")
		if missing(msp) && !missing(filepath.Join(msp+".next", "signcerts", "cert.pem")) {
			// ordererRole cut short between its renames: finish it.
			if err := os.Rename(msp+".next", msp); err != nil {
				return err
			}
		}
		if missing(dir) {
			todo = append(todo, func(c *CA) error {
				return n.enrollNode(c, dir, id(x.Name+"."+o.Domain, ordererOU), nodeHosts(x.Name, o, x.Host), "server", log)
			})
		} else if cert, err := readCert(filepath.Join(msp, "signcerts", "cert.pem")); err != nil || !slices.Equal(cert.Subject.OrganizationalUnit, []string{ordererOU}) {
			todo = append(todo, func(c *CA) error { return n.ordererRole(c, x, id(x.Name+"."+o.Domain, ordererOU), log) })
		}
	}
	for _, p := range o.Peers {
		if dir := n.L.NodeCryptoDir(o, p.Name); missing(dir) {
			todo = append(todo, func(c *CA) error {
				return n.enrollNode(c, dir, id(p.Hostname(), "peer"), nodeHosts(p.Name, o, p.Host), "server", log)
			})
		}
		if missing(filepath.Join(n.L.ChaincodeDir(p.ID()), "tls", "server.crt")) {
			todo = append(todo, func(c *CA) error { return n.enrollChaincodeTLS(c, p) })
		}
	}
	if admin := filepath.Dir(n.L.AdminMSP(o)); missing(admin) {
		todo = append(todo, func(c *CA) error { return n.enrollNode(c, admin, id("Admin@"+o.Domain, "admin"), nil, "client", log) })
	}
	for _, u := range o.Users {
		if missing(n.L.UserMSP(o, u.Name)) {
			if !missing(n.L.revokedMark(o, u.Name)) {
				return fmt.Errorf("identity %s@%s: its files are gone and its CA revoked it (%s): a revoked user is not issued again; remove it from the description, or give the role a user of another name", u.Name, o.Name, n.L.revokedMark(o, u.Name))
			}
			todo = append(todo, func(c *CA) error {
				if err := c.enrollUser(u, true); err != nil {
					return fmt.Errorf("identity %s@%s: %w", u.Name, o.Name, err)
				}
				return nil
			})
		}
	}
	if len(todo) > 0 {
		// Roots are made for an org that has none: one whose MSP is there
		// and whose CA home is not has lost its CA (caServer refuses).
		c, done, err := n.openCA(o, missing(filepath.Join(n.L.OrgDir(o), "msp", "cacerts")))
		if err != nil {
			return err
		}
		defer done()
		for _, step := range todo {
			if err := step(c); err != nil {
				return err
			}
		}
	}
	files, err := n.mspFiles(o, nil, nil) // the org's verifying MSP
	if err != nil {
		return err
	}
	msp := map[string][]byte{}
	for name, b := range files {
		msp[filepath.Join(n.L.OrgDir(o), "msp", name)] = b
	}
	_, err = writeFiles(msp)
	return err
}

// ordererRole gives ordering node x a signing identity with the orderer
// role in place of one without it: the node, if it runs, is stopped
// first, so none signs with the identity it replaces (up starts it).
func (n *Net) ordererRole(c *CA, x *Orderer, id enrollment, log io.Writer) error {
	if _, ok := n.running(x.ID()); ok {
		if _, err := n.stop(x.ID(), 10*time.Second); err != nil {
			return err
		}
	}
	files, err := c.issueMSP(id)
	if err != nil {
		return err
	}
	msp := filepath.Join(n.L.NodeCryptoDir(c.org, x.Name), "msp")
	if err := os.RemoveAll(msp + ".next"); err != nil {
		return err
	}
	if err := writeDir(msp+".next", files); err != nil {
		return err
	}
	replaced := msp + ".replaced-" + time.Now().UTC().Format("20060102T150405")
	if err := os.Rename(msp, replaced); err != nil {
		return err
	}
	if err := os.Rename(msp+".next", msp); err != nil {
		return err
	}
	fmt.Fprintf(log, "  %s signs blocks as an orderer-role identity (its identity before: %s)\n", x.ID(), replaced)
	return nil
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
	// Fabric's and Fabric CA's binaries as linked into the home, which the
	// account reaches.
	cmd.Env = append(os.Environ(), "DATALEDGER_FABRIC_DIR="+n.L.path("fabric"), "DATALEDGER_FABRIC_CA_DIR="+n.L.path("fabric-ca"))
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

// EnrollUser has org's CA issue an identity with a role attribute (as
// the org's own CA may: a role proves only what its org says), kept with
// the org's other identities; an identity already there is left as it is.
func (n *Net) EnrollUser(orgID string, u User) error {
	o := n.D.Org(orgID)
	if o == nil {
		return fmt.Errorf("no org %q in the description", orgID)
	}
	if o.Account != "" && !n.isAccount(o) {
		// Root would run the org's CA and write the identity in the
		// org's directory, which its account controls.
		return fmt.Errorf("org %s runs as account %s: enroll its identities as that account (its org init, or its own CA)", o.Name, o.Account)
	}
	if _, err := os.Stat(n.L.UserMSP(o, u.Name)); err == nil {
		return nil
	}
	c, done, err := n.openCA(o, false)
	if err != nil {
		return err
	}
	defer done()
	return c.enrollUser(u, true)
}

// enrollChaincodeTLS gives a peer's chaincode server a TLS key and
// certificate from the org's TLS CA; the peer verifies it with that CA
// (connection.json).
func (n *Net) enrollChaincodeTLS(c *CA, p *Peer) error {
	dir := filepath.Join(n.L.ChaincodeDir(p.ID()), "tls")
	if _, err := os.Stat(filepath.Join(dir, "server.crt")); err == nil {
		return nil
	}
	hosts := append([]string{"chaincode." + p.Hostname()}, sans(p.Host)...)
	certPEM, keyPEM, err := c.issue(enrollment{ca: tlsCAName(c.org), name: "chaincode." + p.Hostname(), typ: "client", hosts: hosts, again: true})
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil { // a pair not completed
		return err
	}
	return writeDir(dir, map[string][]byte{"server.key": keyPEM, "server.crt": certPEM})
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

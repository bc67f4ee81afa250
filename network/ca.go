package network

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"

	"dataledger/chaincode/domain"
	"dataledger/proof"
)

// CA is an org's certificate authority: its Fabric CA server
// (fabric-ca-server, its state in the org's own directory; enroll.go)
// whose identity CA holds the MSP root the org's channels trust, so an
// identity it enrolls acts on the network at once, with the attributes
// the chaincode reads (domain.RoleAttribute, domain.CreditCodeAttribute),
// and whose TLS CA issues the org's TLS certificates; it revokes, with a
// CRL. Run by an org's command for as long as it needs it (openCA), or
// kept running by StartCA and stopped by `network down` or Stop.
type CA struct {
	n     *Net
	org   *Org
	home  string // the server's home
	admin string // the registrar's client home (enrolled as the bootstrap admin)
	url   string
}

// caID is the process ID of an org's CA.
func caID(o *Org) string { return "ca." + o.Name }

// caName is the name an org's CA answers by (/cainfo).
func caName(o *Org) string { return "ca-" + o.Name }

// DefaultCAPort is an org's CA port when none was given or saved.
const DefaultCAPort = 7054

// StartCA starts org's Fabric CA server on 127.0.0.1:port and keeps it
// running (0: the port it was started on before, or DefaultCAPort; its
// operations endpoint on the next one), enrolls its registrar, and
// answers once the CA answers as the org's (ready). A CA already running
// for the org is reused as it runs. The server's configuration, which
// keeps the registrar's secret, is the org's alone (0600); no secret is
// on a command line.
func (n *Net) StartCA(orgID string, port int) (*CA, error) {
	o := n.D.Org(orgID)
	if o == nil {
		return nil, fmt.Errorf("no org %q in the description", orgID)
	}
	if o.Account != "" {
		return nil, fmt.Errorf("org %s runs as account %s: its commands (org init, org rotate-tls, ca enroll, …) run its CA as that account while they need it; a CA server kept running is run on the org's own host", o.Name, o.Account)
	}
	lock, err := n.lockCA(o) // no command's own server runs meanwhile
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if c, ok, err := n.runningCA(o); err != nil || ok {
		return c, err
	}
	portFile := filepath.Join(n.L.CAHome(o), "port")
	if port == 0 {
		port = DefaultCAPort
		if b, err := os.ReadFile(portFile); err == nil {
			if saved, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				port = saved
			}
		}
	}
	args, err := n.caServer(o, port, "127.0.0.1:"+strconv.Itoa(port+1), false)
	if err != nil {
		return nil, err
	}
	if _, err := n.start(proc{ID: caID(o), Bin: n.caBin("fabric-ca-server"), Args: args}); err != nil {
		return nil, err
	}
	if err := os.WriteFile(portFile, []byte(strconv.Itoa(port)+"\n"), 0o600); err != nil {
		return nil, err
	}
	c := n.caAt(o, port)
	if err := c.ready(func() bool { _, up := n.running(caID(o)); return up }, n.L.LogFile(caID(o))); err != nil {
		return nil, err
	}
	return c, nil
}

// httpClient trusts the CA server's own TLS certificate alone
// (caServerTLS).
func (c *CA) httpClient() (*http.Client, error) {
	cert, _, err := c.n.caServerTLS(c.org)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(cert)
	if err != nil {
		return nil, err
	}
	pinned := x509.NewCertPool()
	if !pinned.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no certificate", cert)
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pinned, MinVersion: tls.VersionTLS12}}}, nil
}

// answersAs checks that the server at c.url (reached through hc, which
// pins its TLS certificate) is this org's CA: its name, and the org's CA
// certificate as its chain.
func (c *CA) answersAs(hc *http.Client, orgCA []byte) error {
	res, err := hc.Get(c.url + "/cainfo")
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var info struct {
		Result struct {
			CAName  string `json:"CAName"`
			CAChain string `json:"CAChain"`
		} `json:"result"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&info); err != nil {
		return fmt.Errorf("/cainfo: %w", err)
	}
	chain, err := base64.StdEncoding.DecodeString(info.Result.CAChain)
	if err != nil || info.Result.CAName != caName(c.org) || !bytes.Contains(chain, bytes.TrimSpace(orgCA)) {
		return fmt.Errorf("the server at %s is not the CA %s of the org's certificate (it answers %q)", c.url, caName(c.org), info.Result.CAName)
	}
	return nil
}

// urlWith is the CA's URL with an identity's name and secret.
func (c *CA) urlWith(name, secret string) string {
	u, _ := url.Parse(c.url)
	u.User = url.UserPassword(name, secret)
	return u.String()
}

// URL is where the CA answers.
func (c *CA) URL() string { return c.url }

// Stop ends the CA's server; its state stays in the org's directory.
func (c *CA) Stop() error { return c.n.StopCA(c.org.MSPID) }

// StopCA ends org's CA server, if it runs.
func (n *Net) StopCA(orgID string) error {
	o := n.D.Org(orgID)
	if o == nil {
		return fmt.Errorf("no org %q in the description", orgID)
	}
	_, err := n.stop(caID(o), 5*time.Second)
	return err
}

// enrolledName is the form of a name the CA enrolls: a directory name of
// the org's users.
var enrolledName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Enroll registers u with the CA (a client identity, its role and, for an
// enterprise, its credit code as certificate attributes) and enrolls it
// into the org's MSP directory of u (Layout.UserMSP), with the org's
// node OU rules, CA and TLS roots: Net.Connect(org, u.Name) then acts as
// it. A name the description gives a user (org init enrolls those), the
// admin's, the registrar's or one enrolled before is refused: enrolling
// never replaces an identity.
func (c *CA) Enroll(u User) error {
	if !enrolledName.MatchString(u.Name) || strings.EqualFold(u.Name, "admin") || strings.EqualFold(u.Name, "registrar") || generationName.MatchString(u.Name) {
		return fmt.Errorf("identity %q: a name of letters, digits, '.', '_' and '-' (not admin or registrar, not r<n>.<name>: the CA's name for an identity issued again)", u.Name)
	}
	if slices.ContainsFunc(c.org.Users, func(d User) bool { return d.Name == u.Name }) {
		return fmt.Errorf("identity %s: the description's user of %s, which its org init enrolls", u.Name, c.org.Name)
	}
	if !slices.Contains([]string{domain.RoleAuthority, domain.RoleOperator, domain.RoleAgency, domain.RoleExchange, domain.RoleEnterprise,
		domain.RoleRegulator, domain.RoleClerk, domain.RoleWitness}, u.Role) {
		return fmt.Errorf("identity %s: %q is not a role", u.Name, u.Role)
	}
	dir := c.n.L.UserMSP(c.org, u.Name)
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("identity %s of %s is enrolled already (%s)", u.Name, c.org.Name, dir)
	}
	return c.enrollUser(u, false)
}

// generationName is the form of an enrollment ID issued again (issue).
var generationName = regexp.MustCompile(`^r[0-9]+\.`)

// userID is the enrollment ID of a user of org o (its certificate's CN,
// the actor ID the ledger records): name@domain, unique across orgs and
// apart from the org's nodes' IDs.
func userID(o *Org, name string) string { return name + "@" + o.Domain }

// enrollUser registers and enrolls a client identity with its role (and
// an enterprise's credit code) as certificate attributes, into its MSP
// directory (Layout.UserMSP). again: as enrollment.again (org init, for
// a described user whose files were lost).
func (c *CA) enrollUser(u User, again bool) error {
	attrs := domain.RoleAttribute + "=" + u.Role + ":ecert"
	if u.Role == domain.RoleEnterprise {
		if err := domain.ValidateCreditCode("creditCode", u.CreditCode); err != nil {
			return fmt.Errorf("enterprise identity %s: %w", u.Name, err)
		}
		attrs += "," + domain.CreditCodeAttribute + "=" + u.CreditCode + ":ecert"
	}
	files, err := c.issueMSP(enrollment{ca: caName(c.org), name: userID(c.org, u.Name), typ: "client", attrs: attrs, again: again})
	if err != nil {
		return err
	}
	return writeDir(c.n.L.UserMSP(c.org, u.Name), files)
}

// Revoke revokes every certificate of the user named (those of each
// generation of its enrollment ID too; a user enrolled under its plain
// name before, that one) and answers the CA's CRL (PEM) that lists them:
// what PublishCRL puts among the org's MSP revocation lists. The user is
// marked revoked in the org's CA home: org init never issues it again.
func (c *CA) Revoke(name, reason string) ([]byte, error) {
	if !enrolledName.MatchString(name) {
		return nil, fmt.Errorf("identity %q: no user's name", name)
	}
	id := userID(c.org, name)
	notFound := func(err error) bool { return err != nil && strings.Contains(err.Error(), "Error Code: 10 ") }
	for gen := 1; gen < 100; gen++ {
		eid := id
		if gen > 1 {
			eid = "r" + strconv.Itoa(gen) + "." + id
		}
		_, err := c.client([]string{"FABRIC_CA_CLIENT_URL=" + c.url}, "revoke", "-H", c.admin, "-e", eid, "-r", reason)
		if notFound(err) && gen == 1 {
			eid = name // enrolled under its plain name
			_, err = c.client([]string{"FABRIC_CA_CLIENT_URL=" + c.url}, "revoke", "-H", c.admin, "-e", eid, "-r", reason)
		}
		if notFound(err) && gen > 1 {
			break // no further generation
		}
		if err != nil {
			return nil, fmt.Errorf("revoking %s: %w", eid, err)
		}
	}
	if err := writeDir(c.n.L.revokedMark(c.org, name), map[string][]byte{"reason": []byte(reason + "\n")}); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return c.CRL()
}

// revokedMark marks a user of org o revoked by its CA (Revoke).
func (l Layout) revokedMark(o *Org, name string) string {
	return filepath.Join(l.CAHome(o), "revoked", name)
}

// CRL has the CA sign its CRL now (every certificate it revoked).
func (c *CA) CRL() ([]byte, error) {
	if _, err := c.client([]string{"FABRIC_CA_CLIENT_URL=" + c.url}, "gencrl", "-H", c.admin); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(c.admin, "msp", "crls", "crl.pem"))
}

// client runs fabric-ca-client with env (its URL, secrets in it) in a
// cleaned environment: no FABRIC_CA_CLIENT_* of the operator's. What it
// prints on a failure never shows a secret.
func (c *CA) client(env []string, args ...string) ([]byte, error) {
	// The server's own TLS certificate, pinned (caServerTLS).
	pinned, _, err := c.n.caServerTLS(c.org)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.n.caBin("fabric-ca-client"), append(args, "--tls.certfiles", pinned)...)
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(v string) bool { return strings.HasPrefix(v, "FABRIC_CA_") }), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		text := string(out)
		for _, v := range env {
			_, value, _ := strings.Cut(v, "=")
			if u, perr := url.Parse(value); perr == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok && pw != "" {
					text = strings.ReplaceAll(text, pw, "***")
				}
			} else if strings.Contains(v, "SECRET=") && value != "" {
				text = strings.ReplaceAll(text, value, "***")
			}
		}
		return nil, fmt.Errorf("fabric-ca-client %s (CA of %s): %v\n%s", args[0], c.org.Name, err, text)
	}
	return out, nil
}

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// PublishCRL puts crlPEM among org's MSP revocation lists in the
// configuration of every channel that holds the org, in its application
// group and its orderer group: a configuration update that its own admin
// signs (an org's MSP value is its own to change). It replaces the CRL
// published before by the same issuer, and refuses one that lacks a
// certificate that CRL lists (its CA lost revocations). Peers and
// orderers then refuse the certificates it lists, and proofs judge them
// by it. It answers the configuration block of each channel it changed
// (a failure names the channel; publishing again skips each channel
// whose CRL in force lists the same certificates).
func (n *Net) PublishCRL(orgID string, crlPEM []byte) (map[string]uint64, error) {
	o := n.D.Org(orgID)
	if o == nil {
		return nil, fmt.Errorf("no org %q in the description", orgID)
	}
	b, _ := pem.Decode(crlPEM)
	if b == nil {
		return nil, fmt.Errorf("the CRL of %s is no PEM", orgID)
	}
	crl, err := x509.ParseRevocationList(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the CRL of %s: %w", orgID, err)
	}
	blocks := map[string]uint64{}
	for _, c := range n.D.Channels {
		cur, _, err := n.ChannelConfig(c.Name)
		if err != nil {
			return blocks, err
		}
		var groups []*common.ConfigGroup
		for _, g := range []string{"Application", "Orderer"} {
			if org := cur.GetChannelGroup().GetGroups()[g].GetGroups()[orgID]; org != nil {
				groups = append(groups, org)
			}
		}
		if len(groups) == 0 {
			continue
		}
		held := false
		for _, g := range groups {
			_, fc, err := proof.ReadMSP(g)
			if err != nil {
				return blocks, fmt.Errorf("channel %s: %w", c.Name, err)
			}
			for _, l := range fc.RevocationList {
				if old := parseCRL(l); old != nil && bytes.Equal(old.RawIssuer, crl.RawIssuer) {
					if missing := lacks(crl, old); len(missing) > 0 {
						return blocks, fmt.Errorf("channel %s: the new CRL of %s lacks certificates the one in force revoked (serials %v): its CA lost revocations", c.Name, orgID, missing)
					}
					held = held || len(lacks(old, crl)) == 0 // the same certificates: nothing to publish
				}
			}
		}
		if held {
			continue // published already
		}
		num, err := n.UpdateConfig(c.Name, func(cfg *common.Config) error {
			for _, g := range []string{"Application", "Orderer"} {
				if org := cfg.GetChannelGroup().GetGroups()[g].GetGroups()[orgID]; org != nil {
					if err := withCRL(org, crl.RawIssuer, crlPEM); err != nil {
						return err
					}
				}
			}
			return nil
		}, orgID)
		if err != nil {
			return blocks, fmt.Errorf("channel %s: publishing the CRL of %s: %w", c.Name, orgID, err)
		}
		blocks[c.Name] = num
	}
	return blocks, nil
}

func parseCRL(pemBytes []byte) *x509.RevocationList {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return nil
	}
	crl, err := x509.ParseRevocationList(b.Bytes)
	if err != nil {
		return nil
	}
	return crl
}

// lacks is the serials old lists and crl does not.
func lacks(crl, old *x509.RevocationList) []string {
	has := map[string]bool{}
	for _, e := range crl.RevokedCertificateEntries {
		has[e.SerialNumber.String()] = true
	}
	var out []string
	for _, e := range old.RevokedCertificateEntries {
		if !has[e.SerialNumber.String()] {
			out = append(out, e.SerialNumber.Text(16))
		}
	}
	return out
}

// withCRL rewrites an org group's MSP value with crlPEM among its
// revocation lists, in place of any CRL of the same issuer.
func withCRL(org *common.ConfigGroup, issuer, crlPEM []byte) error {
	return proof.EditMSP(org, func(fc *msp.FabricMSPConfig) error {
		fc.RevocationList = slices.DeleteFunc(fc.RevocationList, func(held []byte) bool {
			old := parseCRL(held)
			return old != nil && bytes.Equal(old.RawIssuer, issuer)
		})
		fc.RevocationList = append(fc.RevocationList, crlPEM)
		return nil
	})
}

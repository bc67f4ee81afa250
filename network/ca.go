package network

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"

	"dataledger/chaincode/domain"
	"dataledger/network/fabricbin"
	"dataledger/proof"
)

// CA is an org's certificate authority: a Fabric CA server
// (fabric-ca-server, its state in the org's own directory) that signs with
// the org's CA key, the MSP root its channels trust, so an identity it
// enrolls acts on the network at once, with the attributes the chaincode
// reads (domain.RoleAttribute, domain.CreditCodeAttribute); and that
// revokes, with a CRL. Started by the org, stopped by `network down` or
// Stop.
type CA struct {
	n     *Net
	org   *Org
	home  string // the server's home
	admin string // the registrar's client home (enrolled as the bootstrap admin)
	url   string
}

// caID is the process ID of an org's CA.
func caID(o *Org) string { return "ca." + o.Name }

// StartCA starts org's Fabric CA server on 127.0.0.1:port (its operations
// endpoint on port+1), enrolls its registrar, and answers once the CA
// answers. A CA already running for the org is reused.
func (n *Net) StartCA(orgID string, port int) (*CA, error) {
	o := n.D.Org(orgID)
	if o == nil {
		return nil, fmt.Errorf("no org %q in the description", orgID)
	}
	c := &CA{n: n, org: o, home: n.L.path("ca", o.Name, "server"), admin: n.L.path("ca", o.Name, "registrar"),
		url: "http://127.0.0.1:" + strconv.Itoa(port)}
	secretFile := filepath.Join(n.L.path("ca", o.Name), "registrar.secret")
	secret, err := os.ReadFile(secretFile)
	if os.IsNotExist(err) {
		secret = []byte(randomSecret())
		if err := os.MkdirAll(filepath.Dir(secretFile), 0o700); err != nil {
			return nil, err
		}
		err = os.WriteFile(secretFile, secret, 0o600)
	}
	if err != nil {
		return nil, err
	}
	caDir := filepath.Join(n.L.OrgDir(o), "ca")
	certs, _ := filepath.Glob(filepath.Join(caDir, "*-cert.pem"))
	if len(certs) != 1 {
		return nil, fmt.Errorf("%s: want the org's one CA certificate, found %d (run network up first)", caDir, len(certs))
	}
	if _, err := n.start(proc{ID: caID(o), Bin: fabricbin.CABin("fabric-ca-server"), Args: []string{"start",
		"-H", c.home, "-b", "registrar:" + string(secret), "--address", "127.0.0.1", "--port", strconv.Itoa(port),
		"--operations.listenaddress", "127.0.0.1:" + strconv.Itoa(port+1),
		"--ca.name", "ca-" + o.Name, "--ca.certfile", certs[0], "--ca.keyfile", filepath.Join(caDir, "priv_sk"),
		"--registry.maxenrollments", "1", // a secret enrolls once: a key is not re-issued behind the org's back
	}}); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(c.url + "/cainfo")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the CA of %s does not answer at %s after 30 s (log: %s)", o.Name, c.url, n.L.LogFile(caID(o)))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(c.admin, "msp", "signcerts", "cert.pem")); err == nil {
		return c, nil
	}
	if _, err := c.client("enroll", "-u", "http://registrar:"+string(secret)+"@"+c.url[len("http://"):], "-H", c.admin); err != nil {
		return nil, err
	}
	return c, nil
}

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

// Enroll registers u with the CA (a client identity, its role and, for an
// enterprise, its credit code as certificate attributes) and enrolls it
// into the org's MSP directory of u (Layout.UserMSP), with the org's
// node OU rules and TLS roots beside it: Net.Connect(org, u.Name) then
// acts as it.
func (c *CA) Enroll(u User) error {
	if u.Role == "" {
		return fmt.Errorf("identity %s: no role", u.Name)
	}
	attrs := domain.RoleAttribute + "=" + u.Role + ":ecert"
	if u.Role == domain.RoleEnterprise {
		if err := domain.ValidateCreditCode("creditCode", u.CreditCode); err != nil {
			return fmt.Errorf("enterprise identity %s: %w", u.Name, err)
		}
		attrs += "," + domain.CreditCodeAttribute + "=" + u.CreditCode + ":ecert"
	}
	secret := randomSecret()
	if _, err := c.client("register", "-H", c.admin, "-u", c.url, "--id.name", u.Name, "--id.secret", secret,
		"--id.type", "client", "--id.attrs", attrs); err != nil {
		return err
	}
	dir := c.n.L.UserMSP(c.org, u.Name)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if _, err := c.client("enroll", "-u", "http://"+u.Name+":"+secret+"@"+c.url[len("http://"):], "-M", dir,
		"--csr.cn", u.Name+"@"+c.org.Domain); err != nil {
		return err
	}
	adminMSP := c.n.L.AdminMSP(c.org)
	files := map[string]string{filepath.Join(adminMSP, "config.yaml"): filepath.Join(dir, "config.yaml")}
	tls, _ := filepath.Glob(filepath.Join(adminMSP, "tlscacerts", "*.pem"))
	for _, f := range tls {
		files[f] = filepath.Join(dir, "tlscacerts", filepath.Base(f))
	}
	for from, to := range files {
		b, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(to, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Revoke revokes every certificate of the identity named and answers the
// CA's CRL (PEM) that lists it: what an update of the channels'
// configuration puts among the org's MSP revocation lists.
func (c *CA) Revoke(name, reason string) ([]byte, error) {
	if _, err := c.client("revoke", "-H", c.admin, "-u", c.url, "-e", name, "-r", reason, "--gencrl"); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(c.admin, "msp", "crls", "crl.pem"))
}

// client runs fabric-ca-client (its home in the arguments' -H, or none).
func (c *CA) client(args ...string) ([]byte, error) {
	out, err := runCmd(nil, fabricbin.CABin("fabric-ca-client"), args...)
	if err != nil {
		return out, fmt.Errorf("fabric-ca-client %s (CA of %s): %v\n%s", args[0], c.org.Name, err, out)
	}
	return out, nil
}

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// PublishCRL puts crlPEM among org's MSP revocation lists in the
// configuration of every channel it belongs to, in its application group
// and, where it orders, its orderer group: a configuration update that
// its own admin signs (an org's MSP value is its own to change). A CRL
// published before by the same issuer is replaced. Peers and orderers
// then refuse the certificates it lists, and proofs judge them by it. It
// answers the configuration block of each channel.
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
		if !slices.Contains(c.Members, orgID) {
			continue
		}
		num, err := n.UpdateConfig(c.Name, func(cfg *common.Config) error {
			edited := 0
			for _, g := range []string{"Application", "Orderer"} {
				if org := cfg.GetChannelGroup().GetGroups()[g].GetGroups()[orgID]; org != nil {
					if err := withCRL(org, crl.RawIssuer, crlPEM); err != nil {
						return err
					}
					edited++
				}
			}
			if edited == 0 {
				return fmt.Errorf("channel %s's configuration has no group of %s", c.Name, orgID)
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

// withCRL rewrites an org group's MSP value with crlPEM among its
// revocation lists, in place of any CRL of the same issuer.
func withCRL(org *common.ConfigGroup, issuer, crlPEM []byte) error {
	return proof.EditMSP(org, func(fc *msp.FabricMSPConfig) error {
		fc.RevocationList = slices.DeleteFunc(fc.RevocationList, func(held []byte) bool {
			b, _ := pem.Decode(held)
			if b == nil {
				return false
			}
			old, err := x509.ParseRevocationList(b.Bytes)
			return err == nil && bytes.Equal(old.RawIssuer, issuer)
		})
		fc.RevocationList = append(fc.RevocationList, crlPEM)
		return nil
	})
}

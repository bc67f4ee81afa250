package network

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/etcdraft"
	"google.golang.org/protobuf/proto"
)

// Rotating an orderer's TLS certificate. Raft consenters know each other
// by the TLS certificates each channel's configuration names, so a new
// certificate takes three steps, as operators take them:
//
//  1. the orderer's org issues it (dataledger org rotate-tls): a new key
//     and certificate from its own TLS CA, kept next to the ones in use
//     (tls/next/), and offers the certificate for publication;
//  2. for each channel the orderer is a consenter of, a configuration
//     update names the new certificate instead of the old (dataledger
//     channel propose --rotate-tls), signed by a majority of the channel's
//     ordering orgs' admins like any change of consenters: one orderer at a
//     time, so the others keep a majority while it is away;
//  3. up puts the new key and certificate in place and restarts the
//     orderer once every channel it orders names the new certificate
//     (activateNextTLS). Until then it still talks with the old one, and
//     after the updates the other consenters refuse it: the channel is
//     ordered by the rest in the meantime, and the network's own commands
//     ask another orderer (runningOrderers).

// NextTLSDir holds an orderer's next TLS key and certificate
// (server.key, server.crt) between its org issuing them and up putting
// them in place.
func (l Layout) NextTLSDir(x *Orderer) string {
	return filepath.Join(l.NodeCryptoDir(x.org, x.Name), "tls", "next")
}

// OrdererNextTLSCert is an orderer's next TLS certificate as its org
// publishes it, for the updates that name it.
func (l Layout) OrdererNextTLSCert(x *Orderer) string {
	return filepath.Join(l.PublicDir(x.org), "orderers", x.ID()+"-tls.next.crt")
}

// Orderer is the described orderer with the ID id (e.g.
// "orderer0.exchange").
func (d *Description) Orderer(id string) *Orderer {
	for _, x := range d.AllOrderers() {
		if x.ID() == id {
			return x
		}
	}
	return nil
}

// IssueNextTLS is the org's step of a rotation: orderer id gets a next TLS
// key and certificate from its org's TLS CA, for the names of the one in
// use, and the org offers the certificate. It is the org's own
// command: where the org runs as an account, root runs it as that account
// and then accepts what it offers. It answers the published certificate's
// path (the offered one, run as the account: root publishes it). A
// rotation already under way is refused: its certificate may be named by
// some channel already.
func (n *Net) IssueNextTLS(id string, log io.Writer) (string, error) {
	x := n.D.Orderer(id)
	if x == nil {
		return "", fmt.Errorf("no orderer %q in the description", id)
	}
	o := x.org
	if cred, err := n.credential(o); err != nil {
		return "", err
	} else if cred != nil {
		if err := n.asAccount(o, cred, log, "org", "rotate-tls", "--orderer", id); err != nil {
			return "", err
		}
		if _, err := n.acceptPublished(o); err != nil {
			return "", err
		}
		return n.L.OrdererNextTLSCert(x), nil
	}
	// The org's CA held from the check to the write: a second rotation
	// of the same orderer waits, then finds this one.
	c, done, err := n.openCA(o, false)
	if err != nil {
		return "", err
	}
	defer done()
	dir := n.L.NextTLSDir(x)
	if _, err := os.Stat(filepath.Join(dir, "server.crt")); err == nil {
		return "", fmt.Errorf("%s has a next TLS certificate already (%s): name it on every channel the orderer is a consenter of (dataledger channel propose --rotate-tls %s) and run up. Removing %s starts again only if no channel names it yet: its key would be lost", id, dir, id, dir)
	}
	curPEM, err := n.readRegular(filepath.Join(filepath.Dir(dir), "server.crt"))
	if err != nil {
		return "", fmt.Errorf("%s's TLS certificate in use: %w", id, err)
	}
	certs, err := parseCerts(curPEM)
	if err != nil || len(certs) != 1 {
		return "", fmt.Errorf("%s's TLS certificate in use: want one certificate (%d, %v)", id, len(certs), err)
	}
	cur := certs[0]
	// The TLS CA issues it, registered by the org's registrar (the next
	// generation of the orderer's name), for the names of the one in use.
	hosts := slices.Clone(cur.DNSNames)
	for _, ip := range cur.IPAddresses {
		hosts = append(hosts, ip.String())
	}
	certPEM, keyPEM, err := c.issue(enrollment{ca: tlsCAName(o), name: x.Name + "." + o.Domain, typ: ordererOU, hosts: hosts, again: true})
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	// The certificate last: its presence says the pair is complete.
	for _, f := range []struct {
		name string
		data []byte
		perm os.FileMode
	}{{"server.key", keyPEM, 0o600}, {"server.crt", certPEM, 0o644}} {
		tmp := filepath.Join(dir, "."+f.name)
		if err := os.WriteFile(tmp, f.data, f.perm); err != nil {
			return "", err
		}
		if err := os.Rename(tmp, filepath.Join(dir, f.name)); err != nil {
			return "", err
		}
	}
	fmt.Fprintf(log, "  %s: a next TLS certificate in %s\n", id, dir)
	offered, err := n.offer(o)
	if err != nil {
		return "", err
	}
	if n.isAccount(o) {
		for _, f := range offered {
			if filepath.Base(f) == filepath.Base(n.L.OrdererNextTLSCert(x)) {
				return f, nil
			}
		}
		return "", fmt.Errorf("%s: the next TLS certificate was not offered", id)
	}
	if _, err := n.acceptPublished(o); err != nil {
		return "", err
	}
	return n.L.OrdererNextTLSCert(x), nil
}

// RotateConsenterTLS is the change of a configuration update of channel
// that names orderer x's next TLS certificate (published by its org) as
// its certificate, in place of the one it names now, once
// checkConsenterCert admits it.
func (n *Net) RotateConsenterTLS(cfg *common.Config, channel string, x *Orderer) error {
	file := n.L.OrdererNextTLSCert(x)
	next, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s has published no next TLS certificate (dataledger org rotate-tls --orderer %s, then up): %w", x.ID(), x.ID(), err)
	}
	ord := cfg.GetChannelGroup().GetGroups()["Orderer"]
	meta, ct, err := raftMetadata(ord)
	if err != nil {
		return fmt.Errorf("channel %s: %w", channel, err)
	}
	i := slices.IndexFunc(meta.Consenters, isConsenter(x))
	if i < 0 {
		return fmt.Errorf("%s (%s) is not a consenter of channel %s", x.ID(), x.Address(), channel)
	}
	c := meta.Consenters[i]
	if sameCert(c.ServerTlsCert, next) && sameCert(c.ClientTlsCert, next) {
		return fmt.Errorf("channel %s names %s's next TLS certificate already", channel, x.ID())
	}
	others := slices.Delete(slices.Clone(meta.Consenters), i, i+1)
	if err := checkConsenterCert(x, next, ord.GetGroups()[x.org.MSPID], others, time.Now()); err != nil {
		return fmt.Errorf("channel %s, %s: %w", channel, file, err)
	}
	c.ClientTlsCert, c.ServerTlsCert = next, next
	return putRaft(ord, meta, ct)
}

// checkConsenterCert admits certPEM as orderer x's TLS certificate on a
// channel: one certificate, issued by a TLS root or intermediate of x's
// org as the channel's ordering group org defines it, for server and
// client authentication, valid at now, for x's host, and over a key no
// other consenter (others) has. Fabric's own check asks only that it
// chain to some ordering org and be unexpired; a certificate of another
// org's CA, or over another node's key, would let the update's signers
// move a consenter's vote.
func checkConsenterCert(x *Orderer, certPEM []byte, org *common.ConfigGroup, others []*etcdraft.Consenter, now time.Time) error {
	certs, err := parseCerts(certPEM)
	if err != nil || len(certs) != 1 {
		return fmt.Errorf("rule consenter-tls-one: %s's TLS certificate must be one PEM certificate and nothing else (%d found, %v)", x.ID(), len(certs), err)
	}
	cert := certs[0]
	if org == nil {
		return fmt.Errorf("rule consenter-tls-org: %s is no ordering organization of the channel", x.org.MSPID)
	}
	var mc msp.MSPConfig
	var fc msp.FabricMSPConfig
	if v := org.GetValues()["MSP"]; v == nil || proto.Unmarshal(v.Value, &mc) != nil || proto.Unmarshal(mc.Config, &fc) != nil {
		return fmt.Errorf("rule consenter-tls-org: the channel defines no MSP for %s", x.org.MSPID)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, b := range fc.TlsRootCerts {
		roots.AppendCertsFromPEM(b)
	}
	for _, b := range fc.TlsIntermediateCerts {
		inter.AppendCertsFromPEM(b)
	}
	// Each use on its own: Verify admits a chain allowing any one of
	// the usages it is given, and a consenter is both.
	for _, use := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{use}}); err != nil {
			return fmt.Errorf("rule consenter-tls-issuer: %s's TLS certificate must be issued by %s's TLS CA for server and client use and valid now (%s): %w", x.ID(), x.org.MSPID, now.UTC().Format(time.RFC3339), err)
		}
	}
	if err := cert.VerifyHostname(x.Host); err != nil {
		return fmt.Errorf("rule consenter-tls-host: %s's TLS certificate must name its host %s: %w", x.ID(), x.Host, err)
	}
	for _, o := range others {
		for _, b := range [][]byte{o.ServerTlsCert, o.ClientTlsCert} {
			if oc, err := parseCerts(b); err == nil && len(oc) > 0 && bytes.Equal(oc[0].RawSubjectPublicKeyInfo, cert.RawSubjectPublicKeyInfo) {
				return fmt.Errorf("rule consenter-tls-key: %s's TLS certificate is over the key of consenter %s:%d", x.ID(), o.Host, o.Port)
			}
		}
	}
	return nil
}

// finishTLSSwap completes putting an orderer's next TLS key and
// certificate in place where it stopped half way (the key moved, the
// certificate not): before the orderer starts, or it would start with a
// key its certificate does not match.
func (n *Net) finishTLSSwap(x *Orderer) error {
	if _, err := os.Stat(n.L.OrgHome(x.org)); err != nil {
		return nil // a home being made: nothing of the org's yet
	}
	tlsDir := filepath.Dir(n.L.NextTLSDir(x))
	next := filepath.Join(n.L.NextTLSDir(x), "server.crt")
	if _, err := n.readRegular(filepath.Join(n.L.NextTLSDir(x), "server.key")); !errors.Is(err, fs.ErrNotExist) {
		return nil // nothing moved yet (or nothing to move)
	}
	crt, err := n.readRegular(next)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	key, err := n.readRegular(filepath.Join(tlsDir, "server.key"))
	if err != nil {
		return err
	}
	if _, err := tls.X509KeyPair(crt, key); err != nil {
		return fmt.Errorf("%s: %s holds a certificate whose key is not in %s: remove the certificate to keep the key in use, or restore its key: %w", x.ID(), next, tlsDir, err)
	}
	if err := n.rename(next, filepath.Join(tlsDir, "server.crt")); err != nil {
		return err
	}
	return n.removeAll(n.L.NextTLSDir(x))
}

// activateNextTLS puts each orderer's next TLS key and certificate in
// place once every channel it is a consenter of names the certificate,
// stopping it (up starts it again: the IDs it answers), and has its org
// publish it as the one in use. An orderer some channels do not name it on
// yet is left as it is, and up says which updates are missing; so is one
// that serves a channel the description does not name.
func (n *Net) activateNextTLS(log io.Writer) ([]string, error) {
	var restart []string
	inForce := map[string][]*etcdraft.Consenter{}
	for _, x := range n.D.AllOrderers() {
		// What the org put in tls/next is its own: a bad pair keeps its
		// orderer as it is, and up goes on for the others.
		next, err := n.readRegular(filepath.Join(n.L.NextTLSDir(x), "server.crt"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var key []byte
		if err == nil {
			key, err = n.readRegular(filepath.Join(n.L.NextTLSDir(x), "server.key"))
		}
		if err == nil {
			_, err = tls.X509KeyPair(next, key)
		}
		if err != nil {
			fmt.Fprintf(log, "  %s keeps its TLS certificate in use: its next certificate and key (%s) are no pair: %v\n", x.ID(), n.L.NextTLSDir(x), err)
			continue
		}
		served, err := n.ordererChannels(x)
		if err != nil {
			return nil, err
		}
		var named, pending, undescribed []string
		for ch := range served {
			if n.D.Channel(ch) == nil {
				undescribed = append(undescribed, ch)
			}
		}
		for i := range n.D.Channels {
			c := &n.D.Channels[i]
			if !slices.Contains(n.D.ChannelOrderers(c), x) {
				continue
			}
			if inForce[c.Name] == nil {
				if inForce[c.Name], err = n.consentersInForce(c.Name); err != nil {
					return nil, err
				}
			}
			i := slices.IndexFunc(inForce[c.Name], isConsenter(x))
			if i >= 0 && sameCert(inForce[c.Name][i].ServerTlsCert, next) && sameCert(inForce[c.Name][i].ClientTlsCert, next) {
				named = append(named, c.Name)
			} else {
				pending = append(pending, c.Name)
			}
		}
		slices.Sort(undescribed)
		switch {
		case len(undescribed) > 0:
			fmt.Fprintf(log, "  %s keeps its TLS certificate in use: it serves channels %v the description does not name, whose certificate up cannot see to\n", x.ID(), undescribed)
			continue
		case len(pending) > 0:
			fmt.Fprintf(log, "  %s keeps its TLS certificate in use: channels %v name its next one, %v do not yet (dataledger channel propose --channel C --rotate-tls %s)\n", x.ID(), named, pending, x.ID())
			continue
		}
		if _, err := n.stop(x.ID(), 10*time.Second); err != nil {
			return nil, err
		}
		tlsDir := filepath.Dir(n.L.NextTLSDir(x))
		if err := n.rename(filepath.Join(n.L.NextTLSDir(x), "server.key"), filepath.Join(tlsDir, "server.key")); err != nil {
			return nil, fmt.Errorf("%s: putting its next TLS key in place: %w", x.ID(), err)
		}
		if err := n.finishTLSSwap(x); err != nil {
			return nil, err
		}
		if _, err := n.InitOrg(x.org.MSPID, io.Discard); err != nil { // publishes the certificate in use
			return nil, err
		}
		fmt.Fprintf(log, "  %s serves its new TLS certificate (named by %v)\n", x.ID(), named)
		restart = append(restart, x.ID())
	}
	return restart, nil
}

// ConsenterCert is the TLS certificate channel's configuration in force
// names for orderer x (nil when it is no consenter).
func (n *Net) ConsenterCert(channel string, x *Orderer) ([]byte, error) {
	consenters, err := n.consentersInForce(channel)
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(consenters, isConsenter(x)); i >= 0 {
		return consenters[i].ServerTlsCert, nil
	}
	return nil, nil
}

// sameCert tells whether two PEM texts hold the same first certificate.
func sameCert(a, b []byte) bool {
	ca, errA := parseCerts(a)
	cb, errB := parseCerts(b)
	return errA == nil && errB == nil && len(ca) > 0 && len(cb) > 0 && bytes.Equal(ca[0].Raw, cb[0].Raw)
}

// parseCerts parses every PEM block of b as a certificate.
func parseCerts(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for rest := b; ; {
		blk, after := pem.Decode(rest)
		if blk == nil {
			return out, nil
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return out, err
		}
		out = append(out, c)
		rest = after
	}
}

// readCert is the one certificate of the PEM file at path.
func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	certs, err := parseCerts(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("%s: want one certificate, found %d", path, len(certs))
	}
	return certs[0], nil
}

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
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
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
//     ordered by the rest in the meantime.

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
// key and certificate from its org's TLS CA, with the names of the one in
// use, and the org offers the certificate. It is the org's own command:
// where the org runs as an account, root runs it as that account and then
// accepts what it offers. A rotation already under way is refused: its
// certificate may already be named by some channel.
func (n *Net) IssueNextTLS(id string, log io.Writer) (string, error) {
	x := n.D.Orderer(id)
	if x == nil {
		return "", fmt.Errorf("no orderer %q in the description", id)
	}
	o := x.org
	if cred, err := n.credential(o); err != nil {
		return "", err
	} else if cred != nil && !n.isAccount(o) {
		if err := n.asAccount(o, cred, log, "org", "rotate-tls", "--orderer", id); err != nil {
			return "", err
		}
		if _, err := n.acceptPublished(o); err != nil {
			return "", err
		}
		return n.L.OrdererNextTLSCert(x), nil
	}
	dir := n.L.NextTLSDir(x)
	if _, err := os.Stat(filepath.Join(dir, "server.crt")); err == nil {
		return "", fmt.Errorf("%s has a next TLS certificate already (%s): name it on its channels (dataledger channel propose --rotate-tls %s) and run up, or remove %s to start again", id, dir, id, dir)
	}
	cur, err := readCert(filepath.Join(filepath.Dir(dir), "server.crt"))
	if err != nil {
		return "", fmt.Errorf("%s's TLS certificate in use: %w", id, err)
	}
	c, err := loadCA(filepath.Join(n.L.OrgDir(o), "tlsca"))
	if err != nil {
		return "", err
	}
	certPEM, keyPEM, err := c.issue(&x509.Certificate{Subject: cur.Subject, DNSNames: cur.DNSNames, IPAddresses: cur.IPAddresses,
		KeyUsage: cur.KeyUsage, ExtKeyUsage: cur.ExtKeyUsage, BasicConstraintsValid: true})
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "server.key"), keyPEM, 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "server.crt"), certPEM, 0o644); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "  %s: a next TLS certificate in %s\n", id, dir)
	if _, err := n.offer(o); err != nil {
		return "", err
	}
	if !n.isAccount(o) {
		if _, err := n.acceptPublished(o); err != nil {
			return "", err
		}
	}
	return n.L.OrdererNextTLSCert(x), nil
}

// RotateConsenterTLS is the change of a configuration update that names
// orderer x's next TLS certificate (published by its org) as its
// certificate on the channel, in place of the one it names now.
func (n *Net) RotateConsenterTLS(cfg *common.Config, x *Orderer) error {
	next, err := os.ReadFile(n.L.OrdererNextTLSCert(x))
	if err != nil {
		return fmt.Errorf("%s has published no next TLS certificate (dataledger org rotate-tls --orderer %s, then up): %w", x.ID(), x.ID(), err)
	}
	if _, err := checkPublic("next TLS certificate", next); err != nil {
		return err
	}
	ord := cfg.GetChannelGroup().GetGroups()["Orderer"]
	meta, ct, err := raftMetadata(ord)
	if err != nil {
		return err
	}
	for _, c := range meta.Consenters {
		if c.Host != x.Host || c.Port != uint32(x.Port) {
			continue
		}
		if bytes.Equal(c.ServerTlsCert, next) && bytes.Equal(c.ClientTlsCert, next) {
			return fmt.Errorf("the channel names %s's next TLS certificate already", x.ID())
		}
		c.ClientTlsCert, c.ServerTlsCert = next, next
		if ct.Metadata, err = proto.Marshal(meta); err != nil {
			return err
		}
		ord.Values["ConsensusType"].Value, err = proto.Marshal(ct)
		return err
	}
	return fmt.Errorf("%s (%s) is not a consenter of the channel", x.ID(), x.Address())
}

// activateNextTLS puts each orderer's next TLS key and certificate in
// place once every channel it is a consenter of names the certificate,
// restarting it (up starts it again), and has its org publish it as the
// one in use. An orderer some channels do not name it on yet is left as
// it is, and up says which updates are missing.
func (n *Net) activateNextTLS(log io.Writer) ([]string, error) {
	var restart []string
	for _, x := range n.D.AllOrderers() {
		next, err := n.readFile(filepath.Join(n.L.NextTLSDir(x), "server.crt"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, err
		}
		var named, pending []string
		for i := range n.D.Channels {
			c := &n.D.Channels[i]
			if !slices.Contains(n.D.ChannelOrderers(c), x) {
				continue
			}
			certs, err := n.ConsenterCerts(c.Name)
			if err != nil {
				return nil, err
			}
			if bytes.Equal(certs[x.Address()], next) {
				named = append(named, c.Name)
			} else {
				pending = append(pending, c.Name)
			}
		}
		if len(pending) > 0 {
			fmt.Fprintf(log, "  %s keeps its TLS certificate in use: channels %v name its next one, %v do not yet (dataledger channel propose --channel C --rotate-tls %s)\n", x.ID(), named, pending, x.ID())
			continue
		}
		if _, err := n.stop(x.ID(), 10*time.Second); err != nil {
			return nil, err
		}
		tls := filepath.Dir(n.L.NextTLSDir(x))
		for _, f := range []string{"server.key", "server.crt"} {
			if err := n.rename(filepath.Join(tls, "next", f), filepath.Join(tls, f)); err != nil {
				return nil, err
			}
		}
		if err := n.removeAll(n.L.NextTLSDir(x)); err != nil {
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

// ConsenterCerts are the TLS certificates channel's configuration in
// force names for its consenters, by address (host:port).
func (n *Net) ConsenterCerts(channel string) (map[string][]byte, error) {
	cfg, _, err := n.ChannelConfig(channel)
	if err != nil {
		return nil, err
	}
	meta, _, err := raftMetadata(cfg.GetChannelGroup().GetGroups()["Orderer"])
	if err != nil {
		return nil, fmt.Errorf("channel %s: %w", channel, err)
	}
	out := map[string][]byte{}
	for _, c := range meta.Consenters {
		out[fmt.Sprintf("%s:%d", c.Host, c.Port)] = c.ServerTlsCert
	}
	return out, nil
}

// rename is os.Rename of two paths inside one org's directory, through
// its root.
func (n *Net) rename(from, to string) error {
	r, rel, err := n.orgPath(from)
	if err != nil {
		return err
	}
	if r == nil {
		return os.Rename(from, to)
	}
	defer r.Close()
	home := strings.TrimSuffix(from, rel)
	if !strings.HasPrefix(to, home) {
		return fmt.Errorf("%s and %s are not in one org's directory", from, to)
	}
	return r.Rename(rel, strings.TrimPrefix(to, home))
}

func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM", path)
	}
	return x509.ParseCertificate(blk.Bytes)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

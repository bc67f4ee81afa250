package integration

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	stdnet "net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"dataledger/network"
)

// TestAnOrdererTLSCertificateRotatesByPassedSignatures: the province's
// orderer, a consenter of every channel and the first of the province
// channel's, gets a new TLS key and certificate. Its org issues them from
// its own TLS CA and publishes the certificate; on each channel an update
// naming it is refused one signature short of a majority of the ordering
// orgs' admins and passes with it. While a channel still names the old
// one, up leaves the orderer as it is and says which (and reads the
// channels' configurations from the other orderers, which no longer
// accept it); once all name the new one, up puts it in place and
// restarts the orderer, which then serves the new certificate and is an
// active consenter at the others' height on every channel.
func TestAnOrdererTLSCertificateRotatesByPassedSignatures(t *testing.T) {
	x := net.D.Orderer("orderer0.province")
	if x == nil {
		t.Fatal("no orderer0.province in the description")
	}
	operators := consortiumCLI{t, home, description}
	run := operators.run
	old, err := os.ReadFile(net.L.OrdererTLSCert(x))
	if err != nil {
		t.Fatal(err)
	}
	run(0, "next TLS certificate is published", "org", "rotate-tls", "--orderer", x.ID())
	next, err := os.ReadFile(net.L.OrdererNextTLSCert(x))
	if err != nil || bytes.Equal(next, old) || bytes.Contains(next, []byte("PRIVATE KEY")) {
		t.Fatalf("the published next certificate: %v (the old one, or a key)", err)
	}
	run(2, "has a next TLS certificate already", "org", "rotate-tls", "--orderer", x.ID())

	// The channels it is a consenter of, as the description in force
	// says (a city added by an earlier test adds one), with their
	// ordering orgs: the first, the province channel, named last.
	var channels []string
	orgs := map[string][]string{}
	for i := range net.D.Channels {
		c := &net.D.Channels[i]
		if slices.Contains(net.D.ChannelOrderers(c), x) {
			channels = append(channels, c.Name)
			for _, o := range net.D.ChannelOrdererOrgs(c) {
				orgs[c.Name] = append(orgs[c.Name], o.MSPID)
			}
		}
	}
	if len(channels) < 3 || channels[0] != "province" {
		t.Fatalf("%s orders %v", x.ID(), channels)
	}
	// A failure half way leaves no channel naming a certificate the
	// orderer does not serve: the rest name it, and up puts it in place.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, ch := range channels {
			if got, err := net.ConsenterCert(ch, x); err == nil && !bytes.Equal(got, next) {
				if _, err := net.UpdateConfig(ch, func(c *common.Config) error { return net.RotateConsenterTLS(c, ch, x) }, orgs[ch]...); err != nil {
					t.Errorf("naming %s's next certificate on %s after the failure: %v", x.ID(), ch, err)
				}
			}
		}
		if err := cli("network", "up"); err != nil {
			t.Error(err)
		}
	})
	dir := t.TempDir()
	took := map[string]time.Duration{}
	name := func(channel string) {
		t.Helper()
		began := time.Now()
		if err := operators.byMajority(channel, orgs[channel], filepath.Join(dir, "rotate-"+channel+".pb"), "--rotate-tls", x.ID()); err != nil {
			t.Fatal(err)
		}
		took[channel] = time.Since(began)
		if got := consenterCert(t, channel, x); !bytes.Equal(got, next) {
			t.Fatalf("%s names %s's certificate\n%s\nnot the next one", channel, x.ID(), got)
		}
	}
	for _, ch := range channels[1:] {
		name(ch)
	}
	out, err := cliOutput("network", "up")
	if err != nil || !strings.Contains(out, x.ID()+" keeps its TLS certificate in use") || !strings.Contains(out, "[province] do not yet") {
		t.Fatalf("up with province still naming the old certificate: %v\n%s", err, out)
	}
	if served := servedCert(t, x); !bytes.Equal(served, pemBody(t, old)) {
		t.Fatal("the orderer serves another certificate than the old one before every channel names the new one")
	}
	name("province")
	began := time.Now()
	if out, err = cliOutput("network", "up"); err != nil || !strings.Contains(out, x.ID()+" serves its new TLS certificate") {
		t.Fatalf("up once every channel names the new certificate: %v\n%s", err, out)
	}
	if served := servedCert(t, x); !bytes.Equal(served, pemBody(t, next)) {
		t.Fatal("the orderer does not serve its new certificate")
	}
	if pub, err := os.ReadFile(net.L.OrdererTLSCert(x)); err != nil || !bytes.Equal(pub, next) {
		t.Fatalf("the published certificate in use is not the new one: %v", err)
	}
	if _, err := os.Stat(net.L.OrdererNextTLSCert(x)); err == nil {
		t.Fatal("a next certificate is still published after the rotation")
	}
	activated := time.Since(began)
	for _, channel := range channels {
		awaitConsenter(t, net, x, net.D.Org(orgs[channel][1]).Orderers[0], channel, 60*time.Second) // another org's orderer
	}
	t.Logf("%s rotated its TLS certificate on %d channels: propose → refused submit → signature → committed update %v; up putting it in place %s, active consenter again on every channel %s after",
		x.ID(), len(channels), took, activated.Round(10*time.Millisecond), time.Since(began).Round(10*time.Millisecond))
}

// consenterCert is the TLS certificate channel names for orderer x.
func consenterCert(t *testing.T, channel string, x *network.Orderer) []byte {
	t.Helper()
	cert, err := net.ConsenterCert(channel, x)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// servedCert is the DER of the certificate the orderer's TLS endpoint
// presents.
func servedCert(t *testing.T, x *network.Orderer) []byte {
	t.Helper()
	roots := x509.NewCertPool()
	ca, err := os.ReadFile(net.L.TLSCACert(x.Org()))
	if err != nil || !roots.AppendCertsFromPEM(ca) {
		t.Fatalf("%s's TLS root: %v", x.Org().MSPID, err)
	}
	var got []byte
	conn, err := tls.DialWithDialer(&stdnet.Dialer{Timeout: 5 * time.Second}, "tcp", x.Address(), &tls.Config{
		RootCAs: roots, ServerName: x.Hostname(), NextProtos: []string{"h2"},
		VerifyConnection: func(cs tls.ConnectionState) error { // the server's certificate, verified; the client sends none
			if len(cs.PeerCertificates) > 0 {
				got = cs.PeerCertificates[0].Raw
			}
			return nil
		},
	})
	if err == nil {
		conn.Close()
	}
	if got == nil {
		t.Fatalf("%s presented no certificate its org's TLS CA issued for %s: %v", x.ID(), x.Hostname(), err)
	}
	return got
}

func pemBody(t *testing.T, b []byte) []byte {
	t.Helper()
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal(fmt.Errorf("no PEM"))
	}
	return blk.Bytes
}

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
	"strings"
	"testing"
	"time"

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

	channels := map[string][]string{ // each channel's ordering orgs
		"nanning":  {"CityAMSP", "ProvinceMSP", "ExchangeMSP"},
		"liuzhou":  {"CityBMSP", "ProvinceMSP", "ExchangeMSP"},
		"province": {"ProvinceMSP", "CityAMSP", "CityBMSP", "ExchangeMSP"},
	}
	dir := t.TempDir()
	took := map[string]time.Duration{}
	name := func(channel string) {
		t.Helper()
		began := time.Now()
		if err := operators.byMajority(channel, channels[channel], filepath.Join(dir, "rotate-"+channel+".pb"), "--rotate-tls", x.ID()); err != nil {
			t.Fatal(err)
		}
		took[channel] = time.Since(began)
		if got := consenterCert(t, channel, x); !bytes.Equal(got, next) {
			t.Fatalf("%s names %s's certificate\n%s\nnot the next one", channel, x.ID(), got)
		}
	}
	name("nanning")
	name("liuzhou")
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
	for channel, orgs := range channels {
		other := net.D.Org(orgs[0]).Orderers[0]
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
			relation, status, err := net.OrdererRelation(x, channel)
			h, herr := net.OrdererHeight(x, channel)
			want, werr := net.OrdererHeight(other, channel)
			if err == nil && herr == nil && werr == nil && relation == "consenter" && status == "active" && h == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s on %s after the rotation: %s %s at height %d, %s's at %d (%v %v %v)", x.ID(), channel, relation, status, h, other.ID(), want, err, herr, werr)
			}
		}
	}
	t.Logf("%s rotated its TLS certificate on 3 channels: propose → refused submit → signature → committed update %v; up putting it in place %s, active consenter again on every channel %s after",
		x.ID(), took, activated.Round(10*time.Millisecond), time.Since(began).Round(10*time.Millisecond))
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
	var got []byte
	conn, err := tls.DialWithDialer(&stdnet.Dialer{Timeout: 5 * time.Second}, "tcp", x.Address(), &tls.Config{
		InsecureSkipVerify: true, // the certificate is what is asked, not trusted
		NextProtos:         []string{"h2"},
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) > 0 {
				got = raw[0]
			}
			return nil
		},
	})
	if err == nil {
		conn.Close()
	}
	if got == nil {
		t.Fatalf("%s presented no certificate: %v", x.ID(), err)
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

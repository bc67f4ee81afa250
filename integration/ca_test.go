package integration

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

// An org's own Fabric CA (fabric-ca-server, built like the Fabric
// binaries) enrolls identities that act on the running network at once:
// it signs with the org's CA key, and the attributes it writes are the
// ones the chaincode reads (a role; an enterprise's credit code). It
// revokes, and its CRL lists the certificate revoked.
func TestAnOrgsCAEnrollsWhoActsOnTheNetwork(t *testing.T) {
	ca, err := net.StartCA("CityAMSP", 17054)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ca.Stop(); err != nil {
			t.Error(err)
		}
	})
	is, err := sample.NewIssuer(net, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	t.Cleanup(is.Close)
	own, err := is.Party(domain.PartyEnterprise, "证书机构测试企业")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	other, err := is.Party(domain.PartyEnterprise, "证书机构测试他人企业")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	// The clerk by the operator's command, the enterprise by the library.
	caCLI := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(binDir, "dataledger"), append(append([]string{"ca"}, args...), "--org", "CityAMSP", "--port", "17054", "--home", home, "--description", description)...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("dataledger ca %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	caCLI("enroll", "ca-clerk", "--role", domain.RoleClerk)
	if err := ca.Enroll(network.User{Name: "ca-enterprise", Role: domain.RoleEnterprise, CreditCode: own}); err != nil {
		t.Fatal(err)
	}
	// Enrolling never replaces an identity: not the description's users,
	// not one enrolled before, not a name that leaves the users' directory.
	for _, u := range []network.User{{Name: "authority", Role: domain.RoleClerk}, {Name: "ca-clerk", Role: domain.RoleClerk},
		{Name: "../admin", Role: domain.RoleClerk}, {Name: "ca-other", Role: "clerk,hf.Registrar.Roles=client"}} {
		if err := ca.Enroll(u); err == nil {
			t.Fatalf("the CA enrolled %+v", u)
		}
	}
	// The enterprise reads its own party and not another's: its credit
	// code reached the chaincode from the CA's certificate.
	ent := connect(t, "CityAMSP", "ca-enterprise", nil)
	if _, err := ent.Evaluate("nanning", "GetParty", own); err != nil {
		t.Fatalf("the CA's enterprise identity reads its own party: %s", network.ErrorText(err))
	}
	_, err = ent.Evaluate("nanning", "GetParty", other)
	wantRefusal(t, err, domain.RuleEnterpriseRead)
	clerk := connect(t, "CityAMSP", "ca-clerk", nil)
	if _, err := clerk.Evaluate("nanning", "GetParty", other); err != nil {
		t.Fatalf("the CA's clerk reads a party: %s", network.ErrorText(err))
	}
	// The certificate is the CA's, under the org's root; revoked, the CRL
	// the CA signs lists it.
	cert := readCert(t, filepath.Join(net.L.UserMSP(net.D.Org("CityAMSP"), "ca-enterprise"), "signcerts", "cert.pem"))
	// Revoked by the operator's command, which publishes the CRL in the
	// configuration of CityAMSP's channels by its own admin's signature.
	said := caCLI("revoke", "ca-enterprise", "--reason", "keycompromise")
	cfg, block, err := net.ChannelConfig("nanning")
	if err != nil {
		t.Fatal(err)
	}
	var mc msp.MSPConfig
	var fc msp.FabricMSPConfig
	if err := proto.Unmarshal(cfg.ChannelGroup.Groups["Application"].Groups["CityAMSP"].Values["MSP"].Value, &mc); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(mc.Config, &fc); err != nil {
		t.Fatal(err)
	}
	var crlPEM []byte
	for _, l := range fc.RevocationList {
		if b, _ := pem.Decode(l); b != nil {
			if c, err := x509.ParseRevocationList(b.Bytes); err == nil && bytes.Equal(c.RawIssuer, cert.RawIssuer) {
				crlPEM = l
			}
		}
	}
	cb, _ := pem.Decode(crlPEM)
	if cb == nil {
		t.Fatalf("the CA's CRL is no PEM: %q", crlPEM)
	}
	crl, err := x509.ParseRevocationList(cb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, e := range crl.RevokedCertificateEntries {
		listed = listed || e.SerialNumber.Cmp(cert.SerialNumber) == 0
	}
	if !listed {
		t.Fatalf("nanning's configuration (block %d) holds no CRL of CityAMSP's CA listing the revoked certificate %x (%s)", block, cert.SerialNumber, said)
	}
	// Published again, the same CRL changes nothing.
	if again := caCLI("crl"); !strings.Contains(again, "configuration blocks map[]") {
		t.Fatalf("the CRL published again: %s", again)
	}
	// The peers refuse the revoked identity; the clerk still acts.
	refusedAt := time.Now().Add(30 * time.Second)
	var refusal error
	for {
		if _, refusal = ent.Evaluate("nanning", "GetParty", own); refusal != nil {
			break
		}
		if time.Now().After(refusedAt) {
			t.Fatalf("the revoked identity still reads 30 s after the CRL's configuration block %d", block)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := clerk.Evaluate("nanning", "GetParty", own); err != nil {
		t.Fatalf("the clerk after the CRL: %s", network.ErrorText(err))
	}
	// Every identity the org's nodes hold came from this CA: its database
	// records the peer's and the orderer's signing certificates, and the
	// TLS CA's their TLS certificates (the roots the channels trust).
	o := net.D.Org("CityAMSP")
	for _, tls := range []bool{false, true} {
		args := []string{"certificates"}
		file, what := filepath.Join("msp", "signcerts", "cert.pem"), "signing"
		if tls {
			args, file, what = append(args, "--tls"), filepath.Join("tls", "server.crt"), "TLS"
		}
		issued := caCLI(args...)
		for _, host := range []string{o.Peers[0].Name, o.Orderers[0].Name} {
			nodeCert := readCert(t, filepath.Join(net.L.NodeCryptoDir(o, host), file))
			if !strings.Contains(issued, fmt.Sprintf("%x\t", nodeCert.SerialNumber)) {
				t.Fatalf("CityAMSP's CA did not issue %s's %s certificate %x (%s): it lists\n%s", host, what, nodeCert.SerialNumber, nodeCert.Issuer, issued)
			}
		}
	}
	t.Logf("CityAMSP's CA enrolled a clerk and an enterprise (%s) that act on nanning, revoked the enterprise (CRL of %d entries, %d bytes), and its admin alone published the CRL (%s): the peers refuse the enterprise (%v)",
		cert.Subject.CommonName, len(crl.RevokedCertificateEntries), len(crlPEM), strings.TrimSpace(said), refusal)
}

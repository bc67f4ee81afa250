package network

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// Blocks are signed by ordering nodes as such. cryptogen gives every node
// of a peer organization (ours run orderers and peers under one CA) the
// peer OU, so a peer's key could sign a block that satisfies a policy
// naming the org's members. An ordering node's signing identity carries
// the orderer OU instead, and each channel's /Channel/Orderer/BlockValidation
// names only orderer-role identities of the ordering organizations: in the
// genesis block of a new channel, and by a configuration update (signed
// by the ordering organizations' admins) for a channel made before.

// ordererOU is the node OU of ordering nodes (the MSPs' config.yaml names it).
const ordererOU = "orderer"

// blockValidation is the policy a channel's blocks are validated by
// (blockValidationOf), for configtxgen.
func (n *Net) blockValidation(c *Channel) policy {
	return signature(blockValidationOf(n.ordererOrgIDs(c)).dsl())
}

// ordererOrgIDs are the MSP IDs of channel c's ordering organizations.
func (n *Net) ordererOrgIDs(c *Channel) []string {
	var ids []string
	for _, o := range n.D.ChannelOrdererOrgs(c) {
		ids = append(ids, o.MSPID)
	}
	return ids
}

// ordererIdentities gives each ordering node a signing identity with the
// orderer OU, issued by its org's CA, where it has another (cryptogen's
// peer OU). A node that is running is stopped first: it is started again
// with its new identity, so no running node signs with a stale one.
func (n *Net) ordererIdentities(o *Org, log io.Writer) error {
	for _, x := range o.Orderers {
		dir := filepath.Join(n.L.NodeCryptoDir(o, x.Name), "msp")
		certs, _ := filepath.Glob(filepath.Join(dir, "signcerts", "*.pem"))
		if len(certs) != 1 {
			return fmt.Errorf("%s: want one signing certificate, found %d", x.ID(), len(certs))
		}
		cert, err := readCert(certs[0])
		if err != nil {
			return err
		}
		if slices.Equal(cert.Subject.OrganizationalUnit, []string{ordererOU}) {
			continue
		}
		if _, ok := n.running(x.ID()); ok {
			if _, err := n.stop(x.ID(), 10*time.Second); err != nil {
				return err
			}
		}
		c, err := loadCA(filepath.Join(n.L.OrgDir(o), "ca"))
		if err != nil {
			return err
		}
		s := cert.Subject
		certPEM, keyPEM, err := c.issue(&x509.Certificate{Subject: pkix.Name{Country: s.Country, Province: s.Province, Locality: s.Locality,
			Organization: s.Organization, OrganizationalUnit: []string{ordererOU}, CommonName: s.CommonName},
			KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true})
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "keystore", "priv_sk"), keyPEM, 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(certs[0], certPEM, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(log, "  %s signs blocks as an orderer-role identity\n", x.ID())
	}
	return nil
}

// requireOrdererSigning brings every channel whose blocks may be signed by
// any member of an ordering organization (a channel made before ordering
// nodes had the orderer OU) to the orderer-only BlockValidation policy,
// by a configuration update the ordering organizations' admins sign.
// Channels already there are left alone.
func (n *Net) requireOrdererSigning(log io.Writer) error {
	for i := range n.D.Channels {
		c := &n.D.Channels[i]
		want, err := n.blockValidationPolicy(c)
		if err != nil {
			return err
		}
		admins := n.ordererOrgIDs(c)
		cur, _, err := n.ChannelConfig(c.Name)
		if err != nil {
			return err
		}
		if p := cur.GetChannelGroup().GetGroups()["Orderer"].GetPolicies()["BlockValidation"]; proto.Equal(p.GetPolicy(), want) {
			continue
		}
		num, err := n.UpdateConfig(c.Name, func(cfg *common.Config) error {
			p := cfg.GetChannelGroup().GetGroups()["Orderer"].GetPolicies()["BlockValidation"]
			if p == nil {
				return fmt.Errorf("the channel's configuration has no /Channel/Orderer/BlockValidation policy")
			}
			p.Policy = want
			return nil
		}, admins...)
		if err != nil {
			return fmt.Errorf("channel %s: requiring orderer-role block signatures: %w", c.Name, err)
		}
		fmt.Fprintf(log, "  channel %s: blocks are validated by orderer-role signatures from configuration block %d\n", c.Name, num)
	}
	return nil
}

// blockValidationPolicy is blockValidation as a channel configuration
// holds it.
func (n *Net) blockValidationPolicy(c *Channel) (*common.Policy, error) {
	return blockValidationOf(n.ordererOrgIDs(c)).policy()
}

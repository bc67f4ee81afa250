package network

import (
	"fmt"
	"io"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// Blocks are signed by ordering nodes as such. An org runs orderers and
// peers under one CA, so a policy naming the org's members would let a
// peer's key sign a block. An ordering node's signing identity carries
// the orderer OU (its org's CA enrolls it as an orderer: enrollOrg), and each channel's /Channel/Orderer/BlockValidation
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

package network

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/etcdraft"
	"google.golang.org/protobuf/proto"
)

// A channel's Raft consenters change one at a time, each by a
// configuration update the ordering organizations' admins sign (a
// majority of them: /Channel/Orderer/Admins). Adding an orderer of an
// org that orders nothing on the channel yet also adds the org to the
// channel's ordering organizations, from its public material, and to
// BlockValidation, or the blocks its orderer signs as leader would be
// refused; removing an org's last consenter takes it out of both.

// AddConsenter edits cfg (channel's configuration in force) to make
// orderer x a consenter of it.
func (n *Net) AddConsenter(cfg *common.Config, channel string, x *Orderer) error {
	ord := cfg.GetChannelGroup().GetGroups()["Orderer"]
	meta, ct, err := raftMetadata(ord)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(meta.Consenters, isConsenter(x)) {
		return fmt.Errorf("%s (%s) is a consenter of channel %s already", x.ID(), x.Address(), channel)
	}
	if _, err := os.Stat(n.L.OrdererNextTLSCert(x)); err == nil {
		return fmt.Errorf("%s's TLS certificate is being rotated (%s is published): finish the rotation (up) before it becomes a consenter of channel %s, which would name the certificate it is leaving", x.ID(), n.L.OrdererNextTLSCert(x), channel)
	}
	def, err := n.definingConfig(channel, x.org.MSPID)
	if err != nil {
		return err
	}
	defOrd := def.GetChannelGroup().GetGroups()["Orderer"]
	defMeta, _, err := raftMetadata(defOrd)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(defMeta.Consenters, isConsenter(x))
	if i < 0 {
		return fmt.Errorf("%s is not a consenter of channel %s in the description (a channel is ordered by its members' orderers: is %s a member?)", x.ID(), channel, x.org.MSPID)
	}
	added := defMeta.Consenters[i]
	if err := checkConsenterCert(x, added.ServerTlsCert, defOrd.GetGroups()[x.org.MSPID], meta.Consenters, time.Now()); err != nil {
		return fmt.Errorf("channel %s: %w", channel, err)
	}
	meta.Consenters = append(meta.Consenters, added)
	if ord.Groups[x.org.MSPID] == nil {
		group := defOrd.GetGroups()[x.org.MSPID]
		if group == nil {
			return fmt.Errorf("configtxgen's block holds no ordering organization %s", x.org.MSPID)
		}
		ord.Groups[x.org.MSPID] = proto.Clone(group).(*common.ConfigGroup)
	}
	return setRaft(ord, meta, ct, n.ordererOrgOrder(channel))
}

// RemoveConsenter edits cfg to take orderer x out of channel's
// consenters (the last one is never removed).
func (n *Net) RemoveConsenter(cfg *common.Config, channel string, x *Orderer) error {
	ord := cfg.GetChannelGroup().GetGroups()["Orderer"]
	meta, ct, err := raftMetadata(ord)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(meta.Consenters, isConsenter(x))
	if i < 0 {
		return fmt.Errorf("%s (%s) is not a consenter of channel %s", x.ID(), x.Address(), channel)
	}
	if len(meta.Consenters) == 1 {
		return fmt.Errorf("%s is channel %s's last consenter", x.ID(), channel)
	}
	meta.Consenters = slices.Delete(meta.Consenters, i, i+1)
	orgStays := slices.ContainsFunc(x.org.Orderers, func(o *Orderer) bool { return slices.ContainsFunc(meta.Consenters, isConsenter(o)) })
	if !orgStays {
		delete(ord.Groups, x.org.MSPID)
	}
	return setRaft(ord, meta, ct, n.ordererOrgOrder(channel))
}

// isConsenter matches the consenter entry of orderer x (by its address).
func isConsenter(x *Orderer) func(*etcdraft.Consenter) bool {
	return func(c *etcdraft.Consenter) bool { return c.Host == x.Host && c.Port == uint32(x.Port) }
}

func raftMetadata(ord *common.ConfigGroup) (*etcdraft.ConfigMetadata, *orderer.ConsensusType, error) {
	v := ord.GetValues()["ConsensusType"]
	if v == nil {
		return nil, nil, fmt.Errorf("the configuration has no /Channel/Orderer/ConsensusType")
	}
	var ct orderer.ConsensusType
	if err := proto.Unmarshal(v.Value, &ct); err != nil {
		return nil, nil, err
	}
	if ct.Type != "etcdraft" {
		return nil, nil, fmt.Errorf("the channel is ordered by %q, not etcdraft", ct.Type)
	}
	var meta etcdraft.ConfigMetadata
	if err := proto.Unmarshal(ct.Metadata, &meta); err != nil {
		return nil, nil, err
	}
	return &meta, &ct, nil
}

// ordererOrgOrder ranks ordering organizations as the description lists
// the channel's members (the order its genesis BlockValidation has, which
// up compares), the others after them.
func (n *Net) ordererOrgOrder(channel string) func(a, b string) int {
	rank := map[string]int{}
	if c := n.D.Channel(channel); c != nil {
		for i, m := range c.Members {
			rank[m] = i + 1
		}
	}
	return func(a, b string) int {
		ra, rb := rank[a], rank[b]
		if ra == 0 {
			ra = len(rank) + 1
		}
		if rb == 0 {
			rb = len(rank) + 1
		}
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	}
}

// setRaft writes the consenters back and names the ordering
// organizations left in the group, in order, in BlockValidation.
func setRaft(ord *common.ConfigGroup, meta *etcdraft.ConfigMetadata, ct *orderer.ConsensusType, order func(a, b string) int) error {
	if err := putRaft(ord, meta, ct); err != nil {
		return err
	}
	var orgs []string
	for m := range ord.Groups {
		orgs = append(orgs, m)
	}
	slices.SortFunc(orgs, order)
	p, err := blockValidationOf(orgs).policy()
	if err != nil {
		return err
	}
	bv := ord.GetPolicies()["BlockValidation"]
	if bv == nil {
		return fmt.Errorf("the configuration has no /Channel/Orderer/BlockValidation policy")
	}
	bv.Policy = p
	return nil
}

// putRaft writes the consenters (meta) back into the ordering group's
// consensus type.
func putRaft(ord *common.ConfigGroup, meta *etcdraft.ConfigMetadata, ct *orderer.ConsensusType) error {
	b, err := proto.Marshal(meta)
	if err != nil {
		return err
	}
	ct.Metadata = b
	ord.Values["ConsensusType"].Value, err = proto.Marshal(ct)
	return err
}

// consentersInForce are the Raft consenters of channel's configuration
// in force.
func (n *Net) consentersInForce(channel string) ([]*etcdraft.Consenter, error) {
	cfg, _, err := n.ChannelConfig(channel)
	if err != nil {
		return nil, err
	}
	meta, _, err := raftMetadata(cfg.GetChannelGroup().GetGroups()["Orderer"])
	if err != nil {
		return nil, fmt.Errorf("channel %s: %w", channel, err)
	}
	return meta.Consenters, nil
}

// checkConsenters compares a running channel's consenters with the ones
// the description gives it (its members' orderers) and names the
// updates that would make them agree.
func (n *Net) checkConsenters(c *Channel) error {
	consenters, err := n.consentersInForce(c.Name)
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for _, x := range consenters {
		live[fmt.Sprintf("%s:%d", x.Host, x.Port)] = true
	}
	var add, keep []string
	for _, x := range n.D.ChannelOrderers(c) {
		if live[x.Address()] {
			keep = append(keep, x.Address())
			delete(live, x.Address())
		} else {
			add = append(add, x.ID())
		}
	}
	var remove []string
	for addr := range live {
		remove = append(remove, addr)
	}
	slices.Sort(remove)
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	return fmt.Errorf("channel %s: the description makes its Raft consenters differ from those in force (to add: %v; in force, not described: %v; in both: %v). Consenters change one at a time, each by a configuration update a majority of the ordering orgs' admins sign: dataledger channel propose --channel %s --add-consenter ORDERER (or --remove-consenter), sign, submit; then up (docs/OPERATIONS.md, \"Ordering\"). A home made when one org ran every orderer moves to one orderer per org that way",
		c.Name, add, remove, keep, c.Name)
}

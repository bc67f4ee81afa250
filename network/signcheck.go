package network

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/etcdraft"
	"google.golang.org/protobuf/proto"
)

// What an admin's signature lets in is judged by the signer, from its
// own description and the configuration in force, not taken from the
// proposer: checkUpdate runs before every signature (SignConfig, and
// SubmitConfig, whose submitter signs too). Fabric applies an update's
// write set where its versions differ from the read set's; the checks
// read it the same way.

// written tells whether a write-set element (of version w) is applied by
// Fabric against its read-set counterpart (r, nil when absent).
func written[E interface{ GetVersion() uint64 }](w, r E, inRead bool) bool {
	return !inRead || w.GetVersion() != r.GetVersion()
}

// checkUpdate refuses to sign an update of channel that
//   - changes who may change the channel's orgs or rules: the
//     application group's modification policy, /Channel/Application/Admins,
//     LifecycleEndorsement or the endorsement policy's own modification
//     policy, or writes the channel's root group anew without its
//     application group (rule endorsement-governance; no command of this
//     tool makes such a change);
//   - leaves the channel's application orgs other than it finds them
//     without setting the endorsement policy they make, or sets another
//     than the one this org's description makes for them, or writes the
//     application group anew without the policy (rule endorsement-policy);
//   - names a consenter's TLS certificate that checkConsenterCert refuses,
//     for an orderer the description knows, the same for server and client
//     (rule consenter-tls-*).
//
// An update that touches none of these (an ACL, a revocation list, the
// batch timeout) needs no configuration: current is asked for the one in
// force only when the checks need it.
func (n *Net) checkUpdate(channel string, cue *common.ConfigUpdateEnvelope, current func() (*common.Config, error)) error {
	var cu common.ConfigUpdate
	if err := proto.Unmarshal(cue.GetConfigUpdate(), &cu); err != nil {
		return fmt.Errorf("the update: %w", err)
	}
	root, rroot := cu.GetWriteSet(), cu.GetReadSet()
	if root != nil && root.GetVersion() != rroot.GetVersion() && root.GetGroups()["Application"] == nil {
		return fmt.Errorf("rule endorsement-governance: the update writes channel %s's configuration anew without its application orgs", channel)
	}
	w, r := root.GetGroups()["Application"], rroot.GetGroups()["Application"]
	for _, name := range []string{"Admins", "LifecycleEndorsement"} {
		if wp, ok := w.GetPolicies()[name]; ok {
			rp, inRead := r.GetPolicies()[name]
			if written(wp, rp, inRead) {
				return fmt.Errorf("rule endorsement-governance: the update changes channel %s's /Channel/Application/%s, which decides who changes its orgs and rules: no signature of this tool lets that in", channel, name)
			}
		}
	}
	wp, hasPolicy := w.GetPolicies()["Endorsement"]
	rp, inRead := r.GetPolicies()["Endorsement"]
	policyWritten := hasPolicy && written(wp, rp, inRead)
	if hasPolicy && !policyWritten && wp.GetPolicy() != nil {
		return fmt.Errorf("rule endorsement-policy: the update carries a policy for channel %s's Endorsement at the version in force, which Fabric does not apply", channel)
	}
	whole := w != nil && written(w, r, r != nil) // the group anew: its orgs as the update leaves them
	if whole && !hasPolicy {
		return fmt.Errorf("rule endorsement-policy: the update writes channel %s's application orgs anew without the endorsement policy, which would drop it", channel)
	}
	ct, hasCT := root.GetGroups()["Orderer"].GetValues()["ConsensusType"]
	rct, ctInRead := rroot.GetGroups()["Orderer"].GetValues()["ConsensusType"]
	consenters := hasCT && written(ct, rct, ctInRead)
	if !policyWritten && !whole && !consenters {
		return nil
	}
	cur, err := current()
	if err != nil {
		return err
	}
	if whole || policyWritten {
		if err := n.checkEndorsementWritten(channel, cur, w, whole, policyWritten); err != nil {
			return err
		}
	}
	if consenters {
		return n.checkConsentersWritten(channel, cur, root.GetGroups()["Orderer"], ct)
	}
	return nil
}

func (n *Net) checkEndorsementWritten(channel string, cur *common.Config, w *common.ConfigGroup, whole, policyWritten bool) error {
	app := cur.GetChannelGroup().GetGroups()["Application"]
	if whole && w.GetModPolicy() != app.GetModPolicy() {
		return fmt.Errorf("rule endorsement-governance: the update changes channel %s's application group's modification policy (%q, now %q)", channel, w.GetModPolicy(), app.GetModPolicy())
	}
	members := slices.Sorted(maps.Keys(app.GetGroups()))
	if whole {
		after := slices.Sorted(maps.Keys(w.GetGroups()))
		if !policyWritten && !slices.Equal(after, members) {
			return fmt.Errorf("rule endorsement-policy: the update leaves channel %s with the orgs %v (now %v) and the endorsement policy they do not make", channel, after, members)
		}
		members = after
	}
	if !policyWritten {
		return nil
	}
	wp := w.GetPolicies()["Endorsement"]
	if wp.GetModPolicy() != app.GetPolicies()["Endorsement"].GetModPolicy() {
		return fmt.Errorf("rule endorsement-governance: the update changes the modification policy of channel %s's endorsement policy (%q)", channel, wp.GetModPolicy())
	}
	want, err := n.EndorsementPolicy(members)
	if err != nil {
		return fmt.Errorf("channel %s: %w", channel, err)
	}
	if !proto.Equal(wp.GetPolicy(), want) {
		return fmt.Errorf("rule endorsement-policy: the update sets channel %s's endorsement policy to another than the one its orgs %v make by this description (%s)", channel, members, endorsementOf(members, n.D.keepers(members)).dsl())
	}
	return nil
}

// checkConsentersWritten judges every consenter the update's consensus
// type (ct) adds or names another certificate for.
func (n *Net) checkConsentersWritten(channel string, cur *common.Config, word *common.ConfigGroup, ct *common.ConfigValue) error {
	curOrd := cur.GetChannelGroup().GetGroups()["Orderer"]
	before, _, err := raftMetadata(curOrd)
	if err != nil {
		return fmt.Errorf("channel %s: %w", channel, err)
	}
	after, _, err := raftMetadata(&common.ConfigGroup{Values: map[string]*common.ConfigValue{"ConsensusType": ct}})
	if err != nil {
		return fmt.Errorf("channel %s, the update: %w", channel, err)
	}
	for i, c := range after.Consenters {
		j := slices.IndexFunc(before.Consenters, func(b *etcdraft.Consenter) bool { return b.Host == c.Host && b.Port == c.Port })
		if j >= 0 && sameCert(before.Consenters[j].ServerTlsCert, c.ServerTlsCert) && sameCert(before.Consenters[j].ClientTlsCert, c.ClientTlsCert) {
			continue
		}
		var x *Orderer
		for _, o := range n.D.AllOrderers() {
			if isConsenter(o)(c) {
				x = o
			}
		}
		if x == nil {
			return fmt.Errorf("rule consenter-known: channel %s: the update names consenter %s:%d, which is no orderer of this description", channel, c.Host, c.Port)
		}
		if !sameCert(c.ServerTlsCert, c.ClientTlsCert) {
			return fmt.Errorf("rule consenter-tls-one: channel %s: the update names two certificates for %s (server and client)", channel, x.ID())
		}
		org := curOrd.GetGroups()[x.org.MSPID]
		if wg := word.GetGroups()[x.org.MSPID]; wg.GetValues()["MSP"].GetValue() != nil {
			org = wg // the org's MSP as the update defines it
		}
		others := slices.Delete(slices.Clone(after.Consenters), i, i+1)
		if err := checkConsenterCert(x, c.ServerTlsCert, org, others, time.Now()); err != nil {
			return fmt.Errorf("channel %s: %w", channel, err)
		}
	}
	return nil
}

package network

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"dataledger/proof"
)

// A channel's configuration changes as Fabric's operators change it: the
// configuration in force is fetched from the orderers, a copy is edited,
// the update between them (read and write sets) is computed, the admins
// the changed elements' modification policies name sign it, and one of
// them submits it with the peer CLI, which adds its own signature. The
// orderers refuse an update whose signatures do not satisfy those
// policies; a proof verifier judges each configuration block the same way
// (proof.judgeUpdate), from the genesis block its trust file pins.

// ChannelConfig is the configuration in force on a channel and the number
// of the block that holds it, as the orderers serve it.
func (n *Net) ChannelConfig(channel string) (*common.Config, uint64, error) {
	raw, err := n.ChannelConfigBlock(channel)
	if err != nil {
		return nil, 0, err
	}
	blk, err := proof.ParseBlock(raw)
	if err != nil {
		return nil, 0, fmt.Errorf("channel %s: the orderers served no configuration block: %w", channel, err)
	}
	ce, _, err := proof.ConfigEnvelope(blk)
	if err != nil {
		return nil, 0, fmt.Errorf("channel %s: %w", channel, err)
	}
	return ce.Config, blk.GetHeader().GetNumber(), nil
}

// ChannelConfigBlock is the configuration block in force on a channel
// (serialized), as the orderers serve it.
func (n *Net) ChannelConfigBlock(channel string) ([]byte, error) {
	o, err := n.firstOrgOf(channel)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dataledger-config-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := n.giveTo(o, dir); err != nil { // its admin's CLI writes the block there
		return nil, err
	}
	file := filepath.Join(dir, "config.block")
	if _, err := n.ordered(o.Peers[0], append([]string{"channel", "fetch", "config", file, "-c", channel}, n.ordererArgs(channel)...)...); err != nil {
		return nil, err
	}
	// Written by the org's account where it runs as one: read through a
	// root of the directory, so a link of its making is not followed out.
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.ReadFile(filepath.Base(file))
}

func (n *Net) firstOrgOf(channel string) (*Org, error) {
	c := n.D.Channel(channel)
	if c == nil || len(c.Members) == 0 {
		return nil, fmt.Errorf("no channel %q in the description", channel)
	}
	return n.D.Org(c.Members[0]), nil
}

// UpdateConfig changes channel's configuration: edit changes a copy of the
// configuration in force; the admins of signers (MSP IDs) sign the update,
// the first submitting it through its peer. It answers the number of the
// configuration block that holds the change, once the orderers serve it.
func (n *Net) UpdateConfig(channel string, edit func(*common.Config) error, signers ...string) (uint64, error) {
	if len(signers) == 0 {
		return 0, fmt.Errorf("a configuration update needs a submitting org")
	}
	update, err := n.ProposeConfig(channel, edit)
	if err != nil {
		return 0, err
	}
	for _, mspID := range signers[1:] {
		if update, err = n.SignConfig(update, mspID); err != nil {
			return 0, err
		}
	}
	return n.SubmitConfig(update, signers[0])
}

// ProposeConfig is a configuration update of channel, unsigned: edit
// changes a copy of the configuration in force and the update between
// them is computed. It is the envelope `peer channel update -f` reads
// (common.Envelope of a CONFIG_UPDATE holding a ConfigUpdateEnvelope),
// the file operators pass from org to org for signatures.
func (n *Net) ProposeConfig(channel string, edit func(*common.Config) error) ([]byte, error) {
	cur, _, err := n.ChannelConfig(channel)
	if err != nil {
		return nil, err
	}
	next := proto.Clone(cur).(*common.Config)
	if err := edit(next); err != nil {
		return nil, err
	}
	read, write, changed := ComputeUpdate(cur.ChannelGroup, next.ChannelGroup)
	if !changed {
		return nil, fmt.Errorf("channel %s: the edit changes nothing", channel)
	}
	update, err := proto.Marshal(&common.ConfigUpdate{ChannelId: channel, ReadSet: read, WriteSet: write})
	if err != nil {
		return nil, err
	}
	return updateEnvelope(channel, &common.ConfigUpdateEnvelope{ConfigUpdate: update})
}

func updateEnvelope(channel string, cue *common.ConfigUpdateEnvelope) ([]byte, error) {
	ch, err := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_CONFIG_UPDATE), ChannelId: channel, Timestamp: timestamppb.Now()})
	if err != nil {
		return nil, err
	}
	data, err := proto.Marshal(cue)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(&common.Envelope{Payload: mustMarshal(&common.Payload{Header: &common.Header{ChannelHeader: ch}, Data: data})})
}

// ReadConfigUpdate opens an update envelope: its channel and the update
// with the signatures gathered so far.
func ReadConfigUpdate(raw []byte) (string, *common.ConfigUpdateEnvelope, error) {
	var env common.Envelope
	var payload common.Payload
	var ch common.ChannelHeader
	var cue common.ConfigUpdateEnvelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		return "", nil, fmt.Errorf("not a configuration update: %w", err)
	}
	if err := proto.Unmarshal(env.Payload, &payload); err != nil {
		return "", nil, fmt.Errorf("not a configuration update: payload: %w", err)
	}
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch); err != nil || common.HeaderType(ch.Type) != common.HeaderType_CONFIG_UPDATE {
		return "", nil, fmt.Errorf("not a configuration update (channel header of type %s, %v)", common.HeaderType(ch.Type), err)
	}
	if err := proto.Unmarshal(payload.Data, &cue); err != nil || len(cue.ConfigUpdate) == 0 {
		return "", nil, fmt.Errorf("not a configuration update: no update (%v)", err)
	}
	return ch.ChannelId, &cue, nil
}

// SignConfig adds mspID's admin's signature to an update envelope, one
// that the signer's own checks admit (checkUpdate).
func (n *Net) SignConfig(raw []byte, mspID string) ([]byte, error) {
	channel, cue, err := ReadConfigUpdate(raw)
	if err != nil {
		return nil, err
	}
	if err := n.checkUpdate(channel, cue, func() (*common.Config, error) { c, _, err := n.ChannelConfig(channel); return c, err }); err != nil {
		return nil, err
	}
	sig, err := n.signConfigUpdate(mspID, cue.ConfigUpdate)
	if err != nil {
		return nil, err
	}
	cue.Signatures = append(cue.Signatures, sig)
	return updateEnvelope(channel, cue)
}

// SubmitConfig submits an update envelope through mspID's peer as its
// admin (the peer CLI adds that admin's signature) and answers the
// configuration block that holds it, once the orderers serve it. The
// orderers refuse an update short of the signatures its elements'
// modification policies need.
func (n *Net) SubmitConfig(raw []byte, mspID string) (uint64, error) {
	channel, cue, err := ReadConfigUpdate(raw)
	if err != nil {
		return 0, err
	}
	cur, num, err := n.ChannelConfig(channel)
	if err != nil {
		return 0, err
	}
	if err := n.checkUpdate(channel, cue, func() (*common.Config, error) { return cur, nil }); err != nil { // the submitter signs too
		return 0, err
	}
	dir, err := os.MkdirTemp("", "dataledger-update-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "update.tx")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		return 0, err
	}
	submitter := n.D.Org(mspID)
	if submitter == nil || len(submitter.Peers) == 0 {
		return 0, fmt.Errorf("no org %q with a peer to submit the update", mspID)
	}
	if err := n.giveTo(submitter, dir, file); err != nil { // its admin's CLI reads it
		return 0, err
	}
	if _, err := n.ordered(submitter.Peers[0], append([]string{"channel", "update", "-f", file, "-c", channel}, n.ordererArgs(channel)...)...); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		_, now, err := n.ChannelConfig(channel)
		if err == nil && now > num {
			return now, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("channel %s: the update was submitted but no new configuration block was served within a minute (%v)", channel, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// signConfigUpdate is the signature of mspID's admin over a configuration
// update (over its signature header and the update, as Fabric verifies).
func (n *Net) signConfigUpdate(mspID string, update []byte) (*common.ConfigSignature, error) {
	o := n.D.Org(mspID)
	if o == nil {
		return nil, fmt.Errorf("no org %q in the description", mspID)
	}
	creator, sign, err := n.Signer(o.MSPID, "admin")
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	sh, err := proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: nonce})
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(slices.Concat(sh, update))
	sig, err := sign(digest[:])
	if err != nil {
		return nil, err
	}
	return &common.ConfigSignature{SignatureHeader: sh, Signature: sig}, nil
}

// loadIdentity reads an MSP directory's signing certificate and key.
func (n *Net) loadIdentity(mspID, mspDir string) (*identity.X509Identity, identity.Sign, error) {
	certPEM, err := n.readOne(filepath.Join(mspDir, "signcerts"))
	if err != nil {
		return nil, nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, err
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := n.readOne(filepath.Join(mspDir, "keystore"))
	if err != nil {
		return nil, nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, err
	}
	sign, err := identity.NewPrivateKeySign(key)
	return id, sign, err
}

// ComputeUpdate is the configuration update from cur to next, laid out as
// Fabric's configtx validator reads one: an element whose content changed
// is written at its version + 1; a group whose members or modification
// policy changed is written whole at its version + 1, its unchanged
// members by version only; an unchanged element appears in the read set
// by version where a change beneath it needs its path. changed is false
// when next is cur.
func ComputeUpdate(cur, next *common.ConfigGroup) (read, write *common.ConfigGroup, changed bool) {
	read = &common.ConfigGroup{Version: cur.GetVersion(), Groups: map[string]*common.ConfigGroup{}, Values: map[string]*common.ConfigValue{}, Policies: map[string]*common.ConfigPolicy{}}
	write = &common.ConfigGroup{Version: cur.GetVersion(), Groups: map[string]*common.ConfigGroup{}, Values: map[string]*common.ConfigValue{}, Policies: map[string]*common.ConfigPolicy{}}
	members := cur.GetModPolicy() != next.GetModPolicy()
	same := &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{}, Values: map[string]*common.ConfigValue{}, Policies: map[string]*common.ConfigPolicy{}}
	for k, nv := range next.GetValues() {
		cv, ok := cur.GetValues()[k]
		switch {
		case !ok:
			members = true
			write.Values[k] = &common.ConfigValue{ModPolicy: nv.ModPolicy, Value: nv.Value}
		case cv.ModPolicy == nv.ModPolicy && string(cv.Value) == string(nv.Value):
			same.Values[k] = &common.ConfigValue{Version: cv.Version}
		default:
			changed = true
			write.Values[k] = &common.ConfigValue{Version: cv.Version + 1, ModPolicy: nv.ModPolicy, Value: nv.Value}
		}
	}
	for k, np := range next.GetPolicies() {
		cp, ok := cur.GetPolicies()[k]
		switch {
		case !ok:
			members = true
			write.Policies[k] = &common.ConfigPolicy{ModPolicy: np.ModPolicy, Policy: np.Policy}
		case cp.ModPolicy == np.ModPolicy && proto.Equal(cp.Policy, np.Policy):
			same.Policies[k] = &common.ConfigPolicy{Version: cp.Version}
		default:
			changed = true
			write.Policies[k] = &common.ConfigPolicy{Version: cp.Version + 1, ModPolicy: np.ModPolicy, Policy: np.Policy}
		}
	}
	for k, ng := range next.GetGroups() {
		cg, ok := cur.GetGroups()[k]
		if !ok {
			members = true
			write.Groups[k] = proto.Clone(ng).(*common.ConfigGroup)
			zeroVersions(write.Groups[k])
			continue
		}
		r, w, c := ComputeUpdate(cg, ng)
		if !c {
			same.Groups[k] = &common.ConfigGroup{Version: cg.Version}
			continue
		}
		changed = true
		read.Groups[k], write.Groups[k] = r, w
	}
	members = members || dropped(cur.GetValues(), next.GetValues()) || dropped(cur.GetPolicies(), next.GetPolicies()) ||
		dropped(cur.GetGroups(), next.GetGroups())
	if !members {
		return read, write, changed
	}
	// The group itself changes: written whole, its unchanged members by
	// version, and read by version with them.
	for k, v := range same.Values {
		read.Values[k], write.Values[k] = v, v
	}
	for k, p := range same.Policies {
		read.Policies[k], write.Policies[k] = p, p
	}
	for k, g := range same.Groups {
		read.Groups[k], write.Groups[k] = g, g
	}
	write.Version, write.ModPolicy = cur.GetVersion()+1, next.GetModPolicy()
	return read, write, true
}

// dropped tells whether next lacks a key of cur.
func dropped[V any](cur, next map[string]V) bool {
	for k := range cur {
		if _, ok := next[k]; !ok {
			return true
		}
	}
	return false
}

// zeroVersions sets every version of a new group to 0, as Fabric writes a
// group the channel did not have.
func zeroVersions(g *common.ConfigGroup) {
	g.Version = 0
	for _, v := range g.Values {
		v.Version = 0
	}
	for _, p := range g.Policies {
		p.Version = 0
	}
	for _, sub := range g.Groups {
		zeroVersions(sub)
	}
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("network: %v", err))
	}
	return b
}

// Signer is an identity of the network's home that signs as Fabric
// identities sign: its serialized identity (msp.SerializedIdentity) and a
// function signing a SHA-256 digest (DER ECDSA, low S). user "admin" is
// the org's admin.
func (n *Net) Signer(orgID, user string) (creator []byte, sign func(digest []byte) ([]byte, error), err error) {
	o := n.D.Org(orgID)
	if o == nil {
		return nil, nil, fmt.Errorf("no org %q in the description", orgID)
	}
	dir := n.L.UserMSP(o, user)
	if user == "admin" {
		dir = n.L.AdminMSP(o)
	}
	id, s, err := n.loadIdentity(o.MSPID, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("identity %s@%s: %w", user, o.Name, err)
	}
	creator, err = proto.Marshal(&msp.SerializedIdentity{Mspid: id.MspID(), IdBytes: id.Credentials()})
	return creator, s, err
}

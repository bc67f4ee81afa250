package proof

import (
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"dataledger/chaincode/domain"
)

// A configuration after genesis is judged under the one before it, as
// Fabric's configtx validator judges an update, so that whoever orders
// blocks cannot rewrite the channel's rules alone: the block is the next
// configuration (sequence + 1), signed by the orderers the previous
// configuration names, and every element it changes was changed by the
// signed update it carries (ConfigEnvelope.last_update) under the
// previous configuration's modification policy for that element.

// checkPolicies refuses a configuration holding a degenerate policy: a
// signature rule that needs no signature or has no rules or names no
// identity, an implicit-meta policy naming no sub-policy or over no
// organization. Fabric evaluates such policies as met by nobody's
// signature (or vacuously); a verifier must not take them as rules.
func (c *Config) checkPolicies() error {
	var errs []string
	var walk func(g *common.ConfigGroup, path string)
	walk = func(g *common.ConfigGroup, path string) {
		for _, name := range slices.Sorted(maps.Keys(g.GetPolicies())) {
			if err := degenerate(g, g.Policies[name].GetPolicy()); err != nil {
				errs = append(errs, path+"/"+name+": "+err.Error())
			}
		}
		for _, name := range slices.Sorted(maps.Keys(g.GetGroups())) {
			walk(g.Groups[name], path+"/"+name)
		}
	}
	walk(c.root, "/Channel")
	if len(errs) > 0 {
		return fmt.Errorf("configuration block %d holds degenerate policies, refused: %s", c.BlockNumber, strings.Join(errs, "; "))
	}
	return nil
}

func degenerate(g *common.ConfigGroup, p *common.Policy) error {
	switch common.Policy_PolicyType(p.GetType()) {
	case common.Policy_SIGNATURE:
		var env common.SignaturePolicyEnvelope
		if err := proto.Unmarshal(p.GetValue(), &env); err != nil {
			return err
		}
		if len(env.Identities) == 0 {
			return fmt.Errorf("a signature policy naming no identity")
		}
		return degenerateRule(env.Rule, len(env.Identities))
	case common.Policy_IMPLICIT_META:
		var im common.ImplicitMetaPolicy
		if err := proto.Unmarshal(p.GetValue(), &im); err != nil {
			return err
		}
		if im.SubPolicy == "" {
			return fmt.Errorf("an implicit-meta policy naming no sub-policy")
		}
		if _, ok := common.ImplicitMetaPolicy_Rule_name[int32(im.Rule)]; !ok {
			return fmt.Errorf("an implicit-meta rule %d, none of ANY, ALL, MAJORITY", im.Rule)
		}
		if len(g.GetGroups()) == 0 {
			return fmt.Errorf("%s %s over no organization", im.Rule, im.SubPolicy)
		}
	}
	return nil
}

func degenerateRule(r *common.SignaturePolicy, ids int) error {
	switch t := r.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		if int(t.SignedBy) >= ids || t.SignedBy < 0 {
			return fmt.Errorf("a rule signed by identity %d of %d", t.SignedBy, ids)
		}
		return nil
	case *common.SignaturePolicy_NOutOf_:
		if t.NOutOf.GetN() <= 0 {
			return fmt.Errorf("a rule met by %d signatures", t.NOutOf.GetN())
		}
		if len(t.NOutOf.GetRules()) == 0 {
			return fmt.Errorf("a rule with no sub-rules")
		}
		for i, sub := range t.NOutOf.Rules {
			if err := degenerateRule(sub, ids); err != nil {
				return fmt.Errorf("sub-rule %d: %w", i, err)
			}
		}
		return nil
	}
	return fmt.Errorf("an empty rule")
}

// judgeUpdate checks that configuration block blk (next) follows prev:
// the orderers of prev signed it, it is the next sequence, and the update
// it carries was signed as prev's modification policies require for
// every element it changes, and changes nothing else.
func judgeUpdate(prev, next *Config, blk *common.Block, tr Trust) error {
	if next.Sequence != prev.Sequence+1 {
		return fmt.Errorf("configuration block %d has sequence %d, block %d's is %d: a configuration block between them is missing", next.BlockNumber, next.Sequence, prev.BlockNumber, prev.Sequence)
	}
	at := blockTime(blk)
	if at.Before(prev.Time) {
		return fmt.Errorf("configuration block %d is dated 北京时间 %s, before the configuration it follows (block %d, %s)", next.BlockNumber,
			chinaTime(at), prev.BlockNumber, chinaTime(prev.Time))
	}
	// The orderers choose the block's time: an identity a revocation list
	// of the previous configuration names is refused whenever it was
	// revoked, as Fabric refuses it when it validates the update.
	tr.strict = true
	if _, err := verifyOrderers(blk, prev, tr, at); err != nil {
		return fmt.Errorf("under configuration block %d: %w", prev.BlockNumber, err)
	}
	if next.lastUpdate == nil {
		return fmt.Errorf("configuration block %d carries no configuration update", next.BlockNumber)
	}
	var payload common.Payload
	var ch common.ChannelHeader
	var cue common.ConfigUpdateEnvelope
	var cu common.ConfigUpdate
	if err := proto.Unmarshal(next.lastUpdate.GetPayload(), &payload); err != nil {
		return fmt.Errorf("configuration update: payload: %w", err)
	}
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch); err != nil {
		return fmt.Errorf("configuration update: channel header: %w", err)
	}
	if common.HeaderType(ch.Type) != common.HeaderType_CONFIG_UPDATE {
		return fmt.Errorf("configuration block %d's update is of type %s", next.BlockNumber, common.HeaderType(ch.Type))
	}
	if err := proto.Unmarshal(payload.Data, &cue); err != nil {
		return fmt.Errorf("configuration update: envelope: %w", err)
	}
	if err := proto.Unmarshal(cue.ConfigUpdate, &cu); err != nil {
		return fmt.Errorf("configuration update: update: %w", err)
	}
	if cu.ChannelId != prev.Channel {
		return fmt.Errorf("configuration update of channel %q in channel %q", cu.ChannelId, prev.Channel)
	}
	var signers []Signer
	var refused []string
	for _, s := range cue.Signatures {
		var sh common.SignatureHeader
		if err := proto.Unmarshal(s.SignatureHeader, &sh); err != nil {
			refused = append(refused, "a signature header: "+err.Error())
			continue
		}
		signer, err := prev.VerifySigned(sh.Creator, slices.Concat(s.SignatureHeader, cue.ConfigUpdate), s.Signature, at, tr)
		if err != nil {
			refused = append(refused, err.Error())
			continue
		}
		signers = append(signers, signer)
	}
	signers = distinct(signers)
	// The update was made against the configuration it follows: every
	// version its read set names is prev's (Fabric's read-set check; an
	// update signed against an older configuration cannot be replayed).
	if err := readSetHolds(cu.ReadSet, prev.root, nil); err != nil {
		return fmt.Errorf("configuration block %d: the update was not made against configuration block %d: %w", next.BlockNumber, prev.BlockNumber, err)
	}
	for path, id := range prev.orgs {
		if now, ok := next.orgs[path]; ok && now != id {
			return fmt.Errorf("configuration block %d renames organization %s's MSP from %s to %s: an MSP ID never changes", next.BlockNumber, path, id, now)
		}
	}
	changes := diffGroups(prev.root, next.root, cu.WriteSet, nil)
	if len(changes) == 0 {
		return fmt.Errorf("configuration block %d changes nothing", next.BlockNumber)
	}
	names := make([]string, len(signers))
	for i, s := range signers {
		names[i] = s.Name()
	}
	for _, c := range changes {
		if c.err != nil {
			return fmt.Errorf("configuration block %d: %s: %w", next.BlockNumber, c.item, c.err)
		}
		path, name := c.policy[:len(c.policy)-1], c.policy[len(c.policy)-1]
		if ok, why := prev.Satisfied(path, name, signers); !ok {
			note := ""
			if len(refused) > 0 {
				note = "; signatures not counted: " + strings.Join(refused, "; ")
			}
			return fmt.Errorf("configuration block %d changes %s, which needs %s of block %d, signed by [%s]: %s%s",
				next.BlockNumber, c.item, policyName(c.policy), prev.BlockNumber, strings.Join(names, ", "), why, note)
		}
	}
	return nil
}

func policyName(p []string) string { return "/" + strings.Join(append([]string{"Channel"}, p...), "/") }

// change is an element a configuration changed: the policy (a path under
// /Channel, its last element the policy's name) that had to allow it, or
// why it cannot have been allowed.
type change struct {
	item   string
	policy []string
	err    error
}

// diffGroups lists what changed from old to new under path, each with the
// old configuration's modification policy for it, and checks that the
// signed write set holds each change exactly (ws nil: the update wrote
// nothing there).
func diffGroups(old, nw, ws *common.ConfigGroup, path []string) []change {
	var out []change
	here := policyName(path)
	add := func(item, modPolicy string, inSet error) {
		pol, err := resolvePolicy(modPolicy, path, item)
		if err == nil {
			err = inSet
		}
		out = append(out, change{item: item, policy: pol, err: err})
	}
	if old.GetVersion() != nw.GetVersion() || old.GetModPolicy() != nw.GetModPolicy() || !sameKeys(old.GetGroups(), nw.GetGroups()) ||
		!sameKeys(old.GetValues(), nw.GetValues()) || !sameKeys(old.GetPolicies(), nw.GetPolicies()) {
		var inSet error
		switch {
		case ws == nil:
			inSet = fmt.Errorf("the signed update does not write this group")
		case nw.GetVersion() != old.GetVersion()+1 || ws.Version != nw.GetVersion():
			inSet = fmt.Errorf("the group is at version %d (the signed update writes %d), not %d", nw.GetVersion(), ws.Version, old.GetVersion()+1)
		case ws.ModPolicy != nw.GetModPolicy() || !sameKeys(ws.Groups, nw.GetGroups()) || !sameKeys(ws.Values, nw.GetValues()) || !sameKeys(ws.Policies, nw.GetPolicies()):
			inSet = fmt.Errorf("the group's members or modification policy differ from the signed update's")
		default:
			inSet = addedAsSigned(old, nw, ws)
		}
		add(here+" (its members or modification policy)", old.GetModPolicy(), inSet)
	}
	for _, k := range slices.Sorted(maps.Keys(old.GetValues())) {
		nv, ok := nw.GetValues()[k]
		if !ok || proto.Equal(old.Values[k], nv) {
			continue
		}
		var inSet error
		if !proto.Equal(ws.GetValues()[k], nv) || nv.GetVersion() != old.Values[k].GetVersion()+1 {
			inSet = fmt.Errorf("the new value is not the signed update's at the next version (%d)", old.Values[k].GetVersion()+1)
		}
		add(here+" value "+k, old.Values[k].GetModPolicy(), inSet)
	}
	for _, k := range slices.Sorted(maps.Keys(old.GetPolicies())) {
		np, ok := nw.GetPolicies()[k]
		if !ok || proto.Equal(old.Policies[k], np) {
			continue
		}
		var inSet error
		if !proto.Equal(ws.GetPolicies()[k], np) || np.GetVersion() != old.Policies[k].GetVersion()+1 {
			inSet = fmt.Errorf("the new policy is not the signed update's at the next version (%d)", old.Policies[k].GetVersion()+1)
		}
		add(here+" policy "+k, old.Policies[k].GetModPolicy(), inSet)
	}
	for _, k := range slices.Sorted(maps.Keys(old.GetGroups())) {
		if ng, ok := nw.GetGroups()[k]; ok {
			out = append(out, diffGroups(old.Groups[k], ng, ws.GetGroups()[k], append(slices.Clone(path), k))...)
		}
	}
	return out
}

// addedAsSigned: every member nw adds to a group is exactly as the
// signed update writes it, at version 0 throughout (a new element).
func addedAsSigned(old, nw, ws *common.ConfigGroup) error {
	for k, v := range nw.GetGroups() {
		if _, had := old.GetGroups()[k]; !had && (!proto.Equal(ws.Groups[k], v) || !allVersionZero(v)) {
			return fmt.Errorf("added group %s is not the signed update's, new at version 0", k)
		}
	}
	for k, v := range nw.GetValues() {
		if _, had := old.GetValues()[k]; !had && (!proto.Equal(ws.Values[k], v) || v.Version != 0 || v.ModPolicy == "") {
			return fmt.Errorf("added value %s is not the signed update's, new at version 0 with a modification policy", k)
		}
	}
	for k, v := range nw.GetPolicies() {
		if _, had := old.GetPolicies()[k]; !had && (!proto.Equal(ws.Policies[k], v) || v.Version != 0 || v.ModPolicy == "") {
			return fmt.Errorf("added policy %s is not the signed update's, new at version 0 with a modification policy", k)
		}
	}
	return nil
}

// allVersionZero: a new group and everything in it at version 0, each
// with a modification policy (Fabric refuses an element without one).
func allVersionZero(g *common.ConfigGroup) bool {
	if g.GetVersion() != 0 || g.GetModPolicy() == "" {
		return false
	}
	for _, v := range g.GetValues() {
		if v.Version != 0 || v.ModPolicy == "" {
			return false
		}
	}
	for _, p := range g.GetPolicies() {
		if p.Version != 0 || p.ModPolicy == "" {
			return false
		}
	}
	for _, sub := range g.GetGroups() {
		if !allVersionZero(sub) {
			return false
		}
	}
	return true
}

// readSetHolds: every element of an update's read set is in cur at the
// version the read set names.
func readSetHolds(rs, cur *common.ConfigGroup, path []string) error {
	if rs == nil {
		return nil
	}
	here := policyName(path)
	if cur == nil {
		return fmt.Errorf("%s is not in the configuration", here)
	}
	if rs.Version != cur.Version {
		return fmt.Errorf("%s was read at version %d, it is at %d", here, rs.Version, cur.Version)
	}
	for k, v := range rs.Values {
		c, ok := cur.Values[k]
		if !ok || c.Version != v.Version {
			return fmt.Errorf("%s value %s was read at version %d, it is at %d", here, k, v.Version, c.GetVersion())
		}
	}
	for k, p := range rs.Policies {
		c, ok := cur.Policies[k]
		if !ok || c.Version != p.Version {
			return fmt.Errorf("%s policy %s was read at version %d, it is at %d", here, k, p.Version, c.GetVersion())
		}
	}
	for k, g := range rs.Groups {
		if err := readSetHolds(g, cur.Groups[k], append(slices.Clone(path), k)); err != nil {
			return err
		}
	}
	return nil
}

// distinct keeps one of each identity (Fabric counts an identity that
// signed twice once).
func distinct(signers []Signer) []Signer {
	var out []Signer
	for _, s := range signers {
		if !slices.ContainsFunc(out, func(o Signer) bool { return o.MSP == s.MSP && o.Cert.Equal(s.Cert) }) {
			out = append(out, s)
		}
	}
	return out
}

func chinaTime(t time.Time) string { return t.In(domain.CST).Format("2006-01-02 15:04:05") }

func sameKeys[V any](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

// resolvePolicy is the policy a modification policy names, as Fabric
// resolves it: absolute ("/Channel/Orderer/Admins") or relative to the
// group holding the element. An element with none cannot be modified.
func resolvePolicy(modPolicy string, group []string, item string) ([]string, error) {
	switch {
	case modPolicy == "":
		return nil, fmt.Errorf("%s has no modification policy: nobody may change it", item)
	case strings.HasPrefix(modPolicy, "/"):
		parts := strings.Split(strings.TrimPrefix(modPolicy, "/"), "/")
		if len(parts) < 2 || parts[0] != "Channel" {
			return nil, fmt.Errorf("%s names modification policy %q, which is not under /Channel", item, modPolicy)
		}
		return parts[1:], nil
	default:
		return append(slices.Clone(group), modPolicy), nil
	}
}

// configChain checks a bundle's configuration blocks as one chain: sorted
// by number, the first is anchored (the pinned genesis, or with no trust
// file taken as given, and said so), each later one judged under the one
// before. It returns every configuration that holds, by block number, and
// one result per block.
func configChain(channel string, cbs []ConfigBlock, tr Trust) ([]ConfigBlock, map[uint64]*Config, []error) {
	sorted := slices.Clone(cbs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].BlockNumber < sorted[j].BlockNumber })
	configs := map[uint64]*Config{}
	errs := make([]error, len(sorted))
	var prev *Config
	for i, cb := range sorted {
		cfg, blk, err := readConfig(channel, cb)
		switch {
		case err != nil:
		case i > 0 && cb.BlockNumber == sorted[i-1].BlockNumber:
			err = fmt.Errorf("configuration block %d is in the bundle twice", cb.BlockNumber)
		case prev == nil && i > 0:
			err = fmt.Errorf("the configuration block before it does not hold")
		case prev == nil && tr.anchor != nil:
			if err = tr.anchor.anchors(blk, cfg); err == nil {
				err = cfg.checkPolicies()
			}
		case prev == nil:
			// No trust file: the first configuration is taken as given;
			// after genesis its orderers' signatures are checked under it.
			if err = cfg.checkPolicies(); err == nil && cb.BlockNumber > 0 {
				_, err = verifyOrderers(blk, cfg, tr, blockTime(blk))
			}
		default:
			if err = judgeUpdate(prev, cfg, blk, tr); err == nil {
				err = cfg.checkPolicies()
			}
		}
		if p := tr.anchor.pinnedConfig(); err == nil && p != nil && p.Number == cb.BlockNumber {
			if got := hex.EncodeToString(HeaderHash(blk.Header)); got != p.Hash {
				err = fmt.Errorf("configuration block %d has hash %s, the trust file pins %s", p.Number, short(got), short(p.Hash))
			}
		}
		errs[i] = err
		if err != nil {
			prev = nil
			continue
		}
		configs[cb.BlockNumber], prev = cfg, cfg
	}
	return sorted, configs, errs
}

// configFor is the configuration a block is judged by: the one its
// orderer-signed metadata names (LAST_CONFIG), which must be in force for
// it. It must not be after the block, no configuration the bundle's chain
// holds may come between it and the block, and a block after the
// configuration block the trust file pins names that one or a later one:
// a block cannot choose an older, weaker configuration.
func configFor(blk *common.Block, configs map[uint64]*Config, tr Trust) (*Config, error) {
	num := blk.GetHeader().GetNumber()
	n, err := LastConfig(blk)
	if err != nil {
		return nil, err
	}
	if n > num {
		return nil, fmt.Errorf("block %d names configuration block %d, after itself", num, n)
	}
	for m := range configs {
		if m > n && m <= num {
			return nil, fmt.Errorf("block %d names configuration block %d, but configuration block %d came into force before it", num, n, m)
		}
	}
	if p := tr.anchor.pinnedConfig(); p != nil && num > p.Number && n < p.Number {
		return nil, fmt.Errorf("block %d names configuration block %d, but the trust file pins configuration block %d, in force before it", num, n, p.Number)
	}
	cfg := configs[n]
	if cfg == nil {
		return nil, fmt.Errorf("block %d names configuration block %d, which the bundle does not hold valid", num, n)
	}
	return cfg, nil
}

// readConfig parses a configuration block and checks what it says of
// itself: its number, its data hash, its channel.
func readConfig(channel string, cb ConfigBlock) (*Config, *common.Block, error) {
	blk, err := ParseBlock(cb.Block)
	if err != nil {
		return nil, nil, err
	}
	if blk.Header.Number != cb.BlockNumber {
		return nil, nil, fmt.Errorf("block is number %d, the bundle says %d", blk.Header.Number, cb.BlockNumber)
	}
	if !slices.Equal(DataHash(blk.Data), blk.Header.DataHash) {
		return nil, nil, fmt.Errorf("data hash of configuration block %d does not match its data", cb.BlockNumber)
	}
	cfg, err := ParseConfigBlock(blk)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Channel != channel {
		return nil, nil, fmt.Errorf("configuration of channel %q, not %q", cfg.Channel, channel)
	}
	return cfg, blk, nil
}

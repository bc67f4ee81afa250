package network

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// sigRule is a signature policy the network writes, one value for both
// places it goes: configtxgen's policy language in a genesis profile
// (dsl) and the policy a configuration update sets (policy), so the two
// never disagree. It is n of its sub-rules, or, as a leaf, one signature
// by a role of an org.
type sigRule struct {
	n    int
	of   []sigRule
	msp  string // a leaf: signed by this org's …
	role msp.MSPRole_MSPRoleType
}

// signedBy is one signature by role ("peer", "orderer", …) of org mspID.
func signedBy(mspID string, role msp.MSPRole_MSPRoleType) sigRule {
	return sigRule{msp: mspID, role: role}
}

// outOf is n of rules.
func outOf(n int, rules ...sigRule) sigRule { return sigRule{n: n, of: rules} }

// signedByEach is one leaf per org, in their order.
func signedByEach(orgs []string, role msp.MSPRole_MSPRoleType) []sigRule {
	out := make([]sigRule, len(orgs))
	for i, o := range orgs {
		out[i] = signedBy(o, role)
	}
	return out
}

// dsl is the rule in configtxgen's policy language.
func (r sigRule) dsl() string {
	if r.msp != "" {
		return fmt.Sprintf("'%s.%s'", r.msp, strings.ToLower(r.role.String()))
	}
	subs := make([]string, len(r.of))
	for i, s := range r.of {
		subs[i] = s.dsl()
	}
	return fmt.Sprintf("OutOf(%d, %s)", r.n, strings.Join(subs, ", "))
}

// policy is the rule as a channel configuration holds it. Like
// configtxgen's compiler, every leaf names an identity of its own, in the
// order the leaves are written.
func (r sigRule) policy() (*common.Policy, error) {
	var ids []*msp.MSPPrincipal
	var compile func(r sigRule) (*common.SignaturePolicy, error)
	compile = func(r sigRule) (*common.SignaturePolicy, error) {
		if r.msp != "" {
			role, err := proto.Marshal(&msp.MSPRole{MspIdentifier: r.msp, Role: r.role})
			if err != nil {
				return nil, err
			}
			ids = append(ids, &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: role})
			return &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(len(ids) - 1)}}, nil
		}
		if r.n < 1 || r.n > len(r.of) {
			return nil, fmt.Errorf("a rule of %d out of %d sub-rules is met by nobody", r.n, len(r.of))
		}
		// configtxgen numbers a level's nested rules' identities before
		// its own leaves': a level holds one kind, so the order here is its.
		if leaves := slices.ContainsFunc(r.of, func(s sigRule) bool { return s.msp != "" }); leaves && slices.ContainsFunc(r.of, func(s sigRule) bool { return s.msp == "" }) {
			return nil, fmt.Errorf("a rule mixing signatures and nested rules at one level: configtxgen would number its identities otherwise")
		}
		rules := make([]*common.SignaturePolicy, len(r.of))
		for i, s := range r.of {
			var err error
			if rules[i], err = compile(s); err != nil {
				return nil, err
			}
		}
		return &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: int32(r.n), Rules: rules}}}, nil
	}
	rule, err := compile(r)
	if err != nil {
		return nil, err
	}
	env, err := proto.Marshal(&common.SignaturePolicyEnvelope{Version: 0, Rule: rule, Identities: ids})
	if err != nil {
		return nil, err
	}
	return &common.Policy{Type: int32(common.Policy_SIGNATURE), Value: env}, nil
}

// blockValidationOf is the policy a channel's blocks are validated by:
// one signature of an orderer-role identity of one of the ordering
// organizations orgs, in their order.
func blockValidationOf(orgs []string) sigRule {
	return outOf(1, signedByEach(orgs, msp.MSPRole_ORDERER)...)
}

// endorsementOf is a channel's endorsement policy
// (/Channel/Application/Endorsement, which the chaincode's definition
// names): peers of a majority of its member orgs, or peers of every keeper
// of its private data collection together. The second clause matters
// only where the keepers are no majority of the members (a city channel
// with two exchanges): a transaction that reads or writes private data is
// endorsed by the keepers alone (Client.privately), since no other org's
// peer may see its inputs. On such a channel the keepers together may
// endorse any transaction: Fabric has no policy for private transactions
// alone. Where the keepers are a majority, every keeper together already
// is one, and the rule is the majority alone; a lone keeper that is no
// majority is never enough (Description.Validate, EndorsementPolicy
// refuse it). Orgs are in name order, whatever order they come in.
func endorsementOf(members, keepers []string) sigRule {
	members, keepers = slices.Sorted(slices.Values(members)), slices.Sorted(slices.Values(keepers))
	majority := outOf(len(members)/2+1, signedByEach(members, msp.MSPRole_PEER)...)
	if len(keepers) < 2 || 2*len(keepers) > len(members) {
		return majority
	}
	return outOf(1, majority, outOf(len(keepers), signedByEach(keepers, msp.MSPRole_PEER)...))
}

// keepersEnough is the rule on a channel's keepers: a majority of its
// members, or two at least (one org alone never endorses for a channel).
func keepersEnough(members, keepers []string) error {
	if len(keepers) == 0 {
		return fmt.Errorf("rule channel-keepers: no member is a data authority to keep the channel's private data")
	}
	if 2*len(keepers) <= len(members) && len(keepers) < 2 {
		return fmt.Errorf("rule channel-keepers: %s alone keeps the private data of a channel of %d orgs; it must be a majority or have another data authority with it, or no private step is endorsed but by it alone", keepers[0], len(members))
	}
	return nil
}

// EndorsementPolicy is the endorsement policy of a channel whose
// application orgs are members (those a configuration update is about to
// leave it with): what an update adding or removing an org sets with it.
// Each member must be a described org's MSP ID: its role decides whether
// it keeps the private data.
func (n *Net) EndorsementPolicy(members []string) (*common.Policy, error) {
	for _, m := range members {
		if o := n.D.Org(m); o == nil || o.MSPID != m {
			return nil, fmt.Errorf("rule channel-members: %q, an org of the channel, is no MSP ID of the description: its role, and so the endorsement policy, is unknown", m)
		}
	}
	keepers := n.D.keepers(members)
	if err := keepersEnough(members, keepers); err != nil {
		return nil, err
	}
	return endorsementOf(members, keepers).policy()
}

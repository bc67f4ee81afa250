package proof

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// Satisfied evaluates the policy called name of the config group at path
// (e.g. ["Application"], "Endorsement") against identities whose
// signatures already verified, the way Fabric's policy manager does for
// implicit-meta and signature policies. It explains its answer.
func (c *Config) Satisfied(path []string, name string, signers []Signer) (bool, string) {
	g := c.root
	for _, p := range path {
		g = g.GetGroups()[p]
	}
	full := "/Channel/" + strings.Join(append(slices.Clone(path), name), "/")
	cp, ok := g.GetPolicies()[name]
	if !ok {
		return false, full + " is not in the configuration"
	}
	return c.evaluate(g, cp.GetPolicy(), signers, full)
}

func (c *Config) evaluate(g *common.ConfigGroup, p *common.Policy, signers []Signer, name string) (bool, string) {
	switch common.Policy_PolicyType(p.GetType()) {
	case common.Policy_IMPLICIT_META:
		var im common.ImplicitMetaPolicy
		if err := proto.Unmarshal(p.Value, &im); err != nil {
			return false, name + ": " + err.Error()
		}
		var names, met []string
		for n := range g.GetGroups() {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			sub, ok := g.Groups[n].GetPolicies()[im.SubPolicy]
			if !ok {
				continue
			}
			if ok, _ := c.evaluate(g.Groups[n], sub.GetPolicy(), signers, n+"/"+im.SubPolicy); ok {
				met = append(met, n)
			}
		}
		need, known := map[common.ImplicitMetaPolicy_Rule]int{
			common.ImplicitMetaPolicy_ANY: 1, common.ImplicitMetaPolicy_ALL: len(names), common.ImplicitMetaPolicy_MAJORITY: len(names)/2 + 1,
		}[im.Rule]
		if !known {
			return false, fmt.Sprintf("%s: implicit-meta rule %d is none of ANY, ALL, MAJORITY", name, im.Rule)
		}
		ok := len(met) >= need && len(names) > 0
		return ok, fmt.Sprintf("%s = %s %s of %d orgs: %d needed, %d met %v", name, im.Rule, im.SubPolicy, len(names), need, len(met), met)
	case common.Policy_SIGNATURE:
		var env common.SignaturePolicyEnvelope
		if err := proto.Unmarshal(p.Value, &env); err != nil {
			return false, name + ": " + err.Error()
		}
		used := make([]bool, len(signers))
		ok := evalRule(env.Rule, env.Identities, signers, used)
		return ok, name
	default:
		return false, fmt.Sprintf("%s: policy type %d is not evaluated offline", name, p.GetType())
	}
}

// evalRule is Fabric's signature-policy evaluation: n-out-of over
// sub-rules, each signature satisfying at most one principal.
func evalRule(r *common.SignaturePolicy, ids []*msp.MSPPrincipal, signers []Signer, used []bool) bool {
	switch t := r.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		if t.SignedBy < 0 || int(t.SignedBy) >= len(ids) {
			return false
		}
		for i, s := range signers {
			if !used[i] && matches(ids[t.SignedBy], s) {
				used[i] = true
				return true
			}
		}
		return false
	case *common.SignaturePolicy_NOutOf_:
		n := 0
		for _, sub := range t.NOutOf.GetRules() {
			trial := slices.Clone(used)
			if evalRule(sub, ids, signers, trial) {
				copy(used, trial)
				n++
			}
		}
		return n >= int(t.NOutOf.GetN())
	}
	return false
}

// matches tells whether a signer has a principal's MSP and role.
func matches(p *msp.MSPPrincipal, s Signer) bool {
	if p.GetPrincipalClassification() != msp.MSPPrincipal_ROLE {
		return false
	}
	var role msp.MSPRole
	if proto.Unmarshal(p.Principal, &role) != nil || role.MspIdentifier != s.MSP {
		return false
	}
	switch role.Role {
	case msp.MSPRole_MEMBER:
		return true
	case msp.MSPRole_PEER:
		return s.Role == "peer"
	case msp.MSPRole_CLIENT:
		return s.Role == "client"
	case msp.MSPRole_ADMIN:
		return s.Role == "admin"
	case msp.MSPRole_ORDERER:
		return s.Role == "orderer"
	}
	return false
}

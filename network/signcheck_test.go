package network

import (
	"errors"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// TestASignerRefusesWhatTheChecksCannotSee: before fetching any
// configuration, a signer refuses an update that changes who governs the
// channel's orgs (its Admins, LifecycleEndorsement), carries an
// endorsement policy Fabric would not apply (at the version in force),
// writes the application orgs anew without the policy, or writes the
// channel anew without its application orgs; and passes one that touches
// none of it (an ACL value) without asking the network.
func TestASignerRefusesWhatTheChecksCannotSee(t *testing.T) {
	d, err := Load("dataledger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := &Net{D: d}
	group := func(version uint64, policies map[string]*common.ConfigPolicy, values map[string]*common.ConfigValue) *common.ConfigGroup {
		return &common.ConfigGroup{Version: version, Policies: policies, Values: values, Groups: map[string]*common.ConfigGroup{}}
	}
	envelope := func(read, write *common.ConfigGroup) *common.ConfigUpdateEnvelope {
		rootR, rootW := group(0, nil, nil), group(0, nil, nil)
		if read != nil {
			rootR.Groups["Application"] = read
		}
		if write != nil {
			rootW.Groups["Application"] = write
		}
		b, _ := proto.Marshal(&common.ConfigUpdate{ChannelId: "nanning", ReadSet: rootR, WriteSet: rootW})
		return &common.ConfigUpdateEnvelope{ConfigUpdate: b}
	}
	anyPolicy := &common.Policy{Type: int32(common.Policy_IMPLICIT_META), Value: []byte{1}}
	for _, c := range []struct {
		what        string
		read, write *common.ConfigGroup
		rule        string
	}{
		{"Admins changed", group(3, nil, nil), group(3, map[string]*common.ConfigPolicy{"Admins": {Version: 1, Policy: anyPolicy}}, nil), "endorsement-governance"},
		{"LifecycleEndorsement changed", group(3, nil, nil), group(3, map[string]*common.ConfigPolicy{"LifecycleEndorsement": {Version: 1, Policy: anyPolicy}}, nil), "endorsement-governance"},
		{"a policy at the version in force", group(3, map[string]*common.ConfigPolicy{"Endorsement": {Version: 2}}, nil),
			group(3, map[string]*common.ConfigPolicy{"Endorsement": {Version: 2, Policy: anyPolicy}}, nil), "endorsement-policy"},
		{"orgs anew without the policy", group(3, nil, nil), group(4, nil, nil), "endorsement-policy"},
	} {
		if err := n.checkUpdate("nanning", envelope(c.read, c.write), noFetch(t)); err == nil || !strings.Contains(err.Error(), "rule "+c.rule) {
			t.Errorf("%s: %v, want rule %s", c.what, err, c.rule)
		}
	}
	b, _ := proto.Marshal(&common.ConfigUpdate{ChannelId: "nanning", ReadSet: group(0, nil, nil), WriteSet: group(1, nil, nil)})
	if err := n.checkUpdate("nanning", &common.ConfigUpdateEnvelope{ConfigUpdate: b}, noFetch(t)); err == nil || !strings.Contains(err.Error(), "rule endorsement-governance") {
		t.Errorf("the channel anew without its orgs: %v", err)
	}
	acl := envelope(group(3, nil, map[string]*common.ConfigValue{}), group(3, nil, map[string]*common.ConfigValue{"ACLs": {Version: 1, Value: []byte{1}}}))
	if err := n.checkUpdate("nanning", acl, noFetch(t)); err != nil {
		t.Errorf("an ACL update: %v", err)
	}
}

// noFetch is a configuration source the checks must not need.
func noFetch(t *testing.T) func() (*common.Config, error) {
	return func() (*common.Config, error) {
		t.Error("the configuration in force was asked for")
		return nil, errors.New("no configuration here")
	}
}

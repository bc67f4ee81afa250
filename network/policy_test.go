package network

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// met evaluates a compiled signature policy as Fabric does (n out of
// sub-rules, each signer satisfying one principal at most) for peers of
// the orgs signers.
func met(t *testing.T, p *common.Policy, signers ...string) bool {
	t.Helper()
	var env common.SignaturePolicyEnvelope
	if err := proto.Unmarshal(p.Value, &env); err != nil {
		t.Fatal(err)
	}
	var eval func(r *common.SignaturePolicy, used []bool) bool
	eval = func(r *common.SignaturePolicy, used []bool) bool {
		switch x := r.Type.(type) {
		case *common.SignaturePolicy_SignedBy:
			var role msp.MSPRole
			if err := proto.Unmarshal(env.Identities[x.SignedBy].Principal, &role); err != nil || role.Role != msp.MSPRole_PEER {
				t.Fatalf("identity %d: %v, role %v", x.SignedBy, err, role.Role)
			}
			for i, s := range signers {
				if !used[i] && s == role.MspIdentifier {
					used[i] = true
					return true
				}
			}
			return false
		case *common.SignaturePolicy_NOutOf_:
			n := 0
			for _, sub := range x.NOutOf.Rules {
				trial := append([]bool(nil), used...)
				if eval(sub, trial) {
					copy(used, trial)
					n++
				}
			}
			return n >= int(x.NOutOf.N)
		}
		return false
	}
	return eval(env.Rule, make([]bool, len(signers)))
}

// TestEndorsementIsAMajorityOrEveryKeeper: a channel's endorsement
// policy is peers of a majority of its orgs; where the keepers of its
// private data are no majority (nanning with a second exchange), peers of
// every keeper together meet it too, and nothing less than either does.
// configtxgen's text and the configuration's policy are one rule.
func TestEndorsementIsAMajorityOrEveryKeeper(t *testing.T) {
	three := endorsementOf([]string{"CityAMSP", "ProvinceMSP", "ExchangeMSP"}, []string{"CityAMSP", "ProvinceMSP"})
	if got, want := three.dsl(), "OutOf(2, 'CityAMSP.peer', 'ExchangeMSP.peer', 'ProvinceMSP.peer')"; got != want {
		t.Fatalf("three members, two keepers: %s, want %s", got, want)
	}
	four := endorsementOf([]string{"CityAMSP", "ProvinceMSP", "ExchangeMSP", "Exchange2MSP"}, []string{"CityAMSP", "ProvinceMSP"})
	if got, want := four.dsl(), "OutOf(1, OutOf(3, 'CityAMSP.peer', 'Exchange2MSP.peer', 'ExchangeMSP.peer', 'ProvinceMSP.peer'), OutOf(2, 'CityAMSP.peer', 'ProvinceMSP.peer'))"; got != want {
		t.Fatalf("four members, two keepers: %s, want %s", got, want)
	}
	p, err := four.policy()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		signers []string
		met     bool
	}{
		{[]string{"CityAMSP", "ProvinceMSP"}, true},                    // every keeper
		{[]string{"CityAMSP", "ExchangeMSP", "Exchange2MSP"}, true},    // a majority
		{[]string{"ProvinceMSP", "ExchangeMSP", "Exchange2MSP"}, true}, // a majority without the authority
		{[]string{"CityAMSP", "ExchangeMSP"}, false},                   // half, one keeper
		{[]string{"ExchangeMSP", "Exchange2MSP"}, false},               // the exchanges alone
		{[]string{"ProvinceMSP"}, false},
	} {
		if got := met(t, p, c.signers...); got != c.met {
			t.Errorf("%v: met %v, want %v", c.signers, got, c.met)
		}
	}
	orderers, err := blockValidationOf([]string{"CityAMSP", "ProvinceMSP"}).policy()
	if err != nil {
		t.Fatal(err)
	}
	var env common.SignaturePolicyEnvelope
	if err := proto.Unmarshal(orderers.Value, &env); err != nil || len(env.Identities) != 2 || env.Rule.GetNOutOf().GetN() != 1 {
		t.Fatalf("block validation: %v %v", &env, err)
	}
	if _, err := outOf(3, signedBy("A", msp.MSPRole_PEER)).policy(); err == nil {
		t.Fatal("a rule nobody can meet was compiled")
	}
	if _, err := outOf(1, signedBy("A", msp.MSPRole_PEER), outOf(1, signedBy("B", msp.MSPRole_PEER))).policy(); err == nil {
		t.Fatal("a level mixing signatures and nested rules was compiled (configtxgen numbers it otherwise)")
	}
	// One keeper that is no majority: never alone.
	if got := endorsementOf([]string{"CityAMSP", "ExchangeMSP"}, []string{"CityAMSP"}).dsl(); got != "OutOf(2, 'CityAMSP.peer', 'ExchangeMSP.peer')" {
		t.Fatalf("two members, one keeper: %s", got)
	}
	if err := keepersEnough([]string{"CityAMSP", "ExchangeMSP"}, []string{"CityAMSP"}); err == nil || !strings.Contains(err.Error(), "rule channel-keepers") {
		t.Fatalf("a lone keeper of two orgs: %v", err)
	}
	d, err := Load("dataledger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := &Net{D: d}
	if _, err := n.EndorsementPolicy([]string{"CityAMSP", "ProvinceMSP", "StrangerMSP"}); err == nil || !strings.Contains(err.Error(), "rule channel-members") {
		t.Fatalf("an org the description does not know: %v", err)
	}
	if _, err := n.EndorsementPolicy([]string{"CityAMSP", "ExchangeMSP"}); err == nil || !strings.Contains(err.Error(), "rule channel-keepers") {
		t.Fatalf("nanning without the province: %v", err)
	}
}

// TestASecondExchangeMayJoinACityChannel: a description with a second
// exchange on nanning and liuzhou is valid (the keepers of their private
// data are two of four), and an authority that is no data authority is
// not.
func TestASecondExchangeMayJoinACityChannel(t *testing.T) {
	base, err := os.ReadFile("dataledger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	org := `  - name: exchange2
    mspId: Exchange2MSP
    domain: exchange2.dataledger.local
    role: exchange
    jurisdiction: 广西壮族自治区
    divisionCode: "450000"
    users:
      - {name: exchange, role: exchange}
    orderers:
      - {name: orderer0, host: 127.0.0.1, port: 13050, adminPort: 13053, operationsPort: 8448}
    peers:
      - {name: peer0, host: 127.0.0.1, port: 13051, chaincodePort: 13052, operationsPort: 9451, chaincodeServerPort: 13059}
channels:
`
	text := strings.Replace(string(base), "channels:\n", org, 1)
	for _, m := range []string{"members: [CityAMSP, ProvinceMSP, ExchangeMSP]}", "members: [CityBMSP, ProvinceMSP, ExchangeMSP]}"} {
		if !strings.Contains(text, m) {
			t.Fatalf("the shipped description has no %q", m)
		}
		text = strings.Replace(text, m, strings.TrimSuffix(m, "]}")+", Exchange2MSP]}", 1)
	}
	d, err := Parse([]byte(text))
	if err != nil {
		t.Fatalf("a second exchange on both city channels: %v", err)
	}
	nanning := d.Channel("nanning")
	if got := d.keepers(nanning.Members); strings.Join(got, ",") != "CityAMSP,ProvinceMSP" {
		t.Fatalf("nanning's keepers: %v", got)
	}
	if _, err := Parse([]byte(strings.Replace(string(base), "authority: CityAMSP", "authority: ExchangeMSP", 1))); err == nil || !strings.Contains(err.Error(), "data authority") {
		t.Fatalf("an exchange as a channel's authority: %v", err)
	}
	lone := strings.Replace(string(text), "members: [ProvinceMSP, CityAMSP, CityBMSP, ExchangeMSP]}", "members: [ProvinceMSP, ExchangeMSP, Exchange2MSP]}", 1)
	if _, err := Parse([]byte(lone)); err == nil || !strings.Contains(err.Error(), "rule channel-keepers") {
		t.Fatalf("the province alone keeping a channel of three: %v", err)
	}
}

// TestAPolicyShortCommitIsSentOnceMore: a transaction committed short of
// the endorsement policy (endorsed for the policy before an org joined)
// wrote nothing and is sent once more, planned anew; a second such
// commit is the caller's answer, as is any other invalid commit.
func TestAPolicyShortCommitIsSentOnceMore(t *testing.T) {
	short := &CommitError{TxID: "t", Code: "ENDORSEMENT_POLICY_FAILURE"}
	before := PolicyShortResends()
	for _, c := range []struct {
		answers []error
		calls   int
		ok      bool
	}{
		{[]error{short, nil}, 2, true},
		{[]error{short, short, nil}, 2, false},
		{[]error{&CommitError{TxID: "t", Code: "MVCC_READ_CONFLICT"}, nil}, 1, false}, // IssueCredential proves no party
		{[]error{nil}, 1, true},
	} {
		calls := 0
		_, err := resent(context.Background(), "IssueCredential", func() (*Committed, error) {
			err := c.answers[calls]
			calls++
			if err != nil {
				return nil, err
			}
			return &Committed{TxID: "t"}, nil
		})
		if calls != c.calls || (err == nil) != c.ok {
			t.Errorf("answers %v: %d calls, error %v; want %d calls, ok %v", c.answers, calls, err, c.calls, c.ok)
		}
	}
	if got := PolicyShortResends() - before; got != 2 {
		t.Errorf("%d resends counted, want 2", got)
	}
}

package integration

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"dataledger/network"
)

// A consortium's changes as its operators make them, shared by the tests
// that grow, shrink or re-key one: the CLI run against one home and
// description, and an update passed between the orgs' admins.

// consortiumCLI runs dataledger against home and desc: the exit code must
// be want and the output hold says.
type consortiumCLI struct {
	t          *testing.T
	home, desc string
}

func (c consortiumCLI) try(want int, says string, args ...string) (string, error) {
	code, out := exitCode(c.t, append(args, "--home", c.home, "--description", c.desc)...)
	if code != want || !strings.Contains(out, says) {
		return out, fmt.Errorf("%s: exit %d, want %d saying %q\n%s", strings.Join(args[:2], " "), code, want, says, out)
	}
	return out, nil
}

func (c consortiumCLI) run(want int, says string, args ...string) string {
	c.t.Helper()
	out, err := c.try(want, says, args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// byMajority proposes a change of channel into file and has it signed by
// the first of orgs (the admins its policy counts), refused one signature
// short of a majority of them (the submitter's own counted), then passed
// with one more. Not fatal: it may run off the test's goroutine.
func (c consortiumCLI) byMajority(channel string, orgs []string, file string, change ...string) error {
	need := len(orgs)/2 + 1
	if need < 2 {
		return fmt.Errorf("%d orgs: one signature is a majority, nothing to refuse", len(orgs))
	}
	submitter := orgs[need-1]
	type step struct {
		want int
		says string
		args []string
	}
	steps := []step{{0, "an unsigned update of channel " + channel, append(append([]string{"channel", "propose", "--channel", channel}, change...), "-o", file)}}
	for _, o := range orgs[:need-2] {
		steps = append(steps, step{0, "signed by " + o, []string{"channel", "sign", file, "--org", o}})
	}
	steps = append(steps,
		step{2, "not satisfied", []string{"channel", "submit", file, "--org", submitter}},
		step{0, "signed by " + orgs[need-2], []string{"channel", "sign", file, "--org", orgs[need-2]}},
		step{0, "holds the update", []string{"channel", "submit", file, "--org", submitter}})
	for _, s := range steps {
		if _, err := c.try(s.want, s.says, s.args...); err != nil {
			return err
		}
	}
	return nil
}

// secondExchange is the description entry of a second exchange
// (Exchange2MSP) whose nodes listen on host from port on (orderer port,
// +3 admin; peer +1, +2 chaincode, +9 chaincode server), with operations
// ports ops (orderer) and ops+1003 (peer); in a namespace and an account
// of its own (dl-exchange2) when inNS.
func secondExchange(host string, port, ops int, inNS bool) string {
	ns := ""
	if inNS {
		ns = "    netns: dl-exchange2\n    account: dl-exchange2\n"
	}
	return fmt.Sprintf(`  - name: exchange2
    mspId: Exchange2MSP
%s    domain: exchange2.dataledger.local
    role: exchange
    jurisdiction: 广西壮族自治区
    divisionCode: "450000"
    users:
      - {name: exchange, role: exchange}
      - {name: clerk, role: clerk}
    orderers:
      - {name: orderer0, host: %[2]s, port: %[3]d, adminPort: %[4]d, operationsPort: %[5]d}
    peers:
      - {name: peer0, host: %[2]s, port: %[6]d, chaincodePort: %[7]d, operationsPort: %[8]d, chaincodeServerPort: %[9]d}
`, ns, host, port, port+3, ops, port+1, port+2, ops+1003, port+9)
}

// withSecondExchange writes, to path, the description desc with org (the
// YAML of a second exchange's entry) added and the exchange a member of
// each of channels (whose members are given as described now).
func withSecondExchange(t *testing.T, desc, path, org string, channels map[string][]string) {
	t.Helper()
	data, err := os.ReadFile(desc)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "channels:\n", org+"channels:\n", 1)
	for ch, members := range channels {
		was := "members: [" + strings.Join(members, ", ") + "]}"
		if !strings.Contains(text, was) {
			t.Fatalf("the description's %s channel is not %q", ch, was)
		}
		text = strings.Replace(text, was, "members: ["+strings.Join(members, ", ")+", Exchange2MSP]}", 1)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// leaveAfterFailure takes org mspID's orderers out of the consenters and
// the org out of each of channels (their orgs before it joined, which sign)
// where a failed test left them, so that the tests after it find the
// consortium the shipped description names.
func leaveAfterFailure(t *testing.T, desc string, channels map[string][]string, mspID string) {
	n, err := network.Open(desc, home, io.Discard)
	if err != nil {
		t.Errorf("leaving after the failure: %v", err)
		return
	}
	n.BinDir = binDir
	for ch, admins := range channels {
		cfg, _, err := n.ChannelConfig(ch)
		if err != nil {
			t.Errorf("leaving %s after the failure: %v", ch, err)
			continue
		}
		if cfg.GetChannelGroup().GetGroups()["Orderer"].GetGroups()[mspID] != nil {
			for _, x := range n.D.Org(mspID).Orderers {
				if _, err := n.UpdateConfig(ch, func(c *common.Config) error { return n.RemoveConsenter(c, ch, x) }, admins...); err != nil {
					t.Errorf("taking %s out of %s's consenters after the failure: %v", x.ID(), ch, err)
				}
			}
		}
		if cfg.GetChannelGroup().GetGroups()["Application"].GetGroups()[mspID] != nil {
			_, err := n.UpdateConfig(ch, func(c *common.Config) error {
				app := c.GetChannelGroup().GetGroups()["Application"]
				delete(app.Groups, mspID)
				p, err := n.EndorsementPolicy(slices.Sorted(maps.Keys(app.Groups)))
				app.Policies["Endorsement"].Policy = p
				return err
			}, admins...)
			if err != nil {
				t.Errorf("taking %s out of %s after the failure: %v", mspID, ch, err)
			}
		}
	}
}

// awaitConsenter waits (up to wait) until orderer x is an active consenter
// of channel at the height of orderer other.
func awaitConsenter(t *testing.T, n *network.Net, x, other *network.Orderer, channel string, wait time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(wait); ; time.Sleep(500 * time.Millisecond) {
		relation, status, err := n.OrdererRelation(x, channel)
		h, herr := n.OrdererHeight(x, channel)
		want, werr := n.OrdererHeight(other, channel)
		if err == nil && herr == nil && werr == nil && relation == "consenter" && status == "active" && h == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s on %s: %s %s at height %d, %s's at %d (%v %v %v)", x.ID(), channel, relation, status, h, other.ID(), want, err, herr, werr)
		}
	}
}

package integration

import (
	"path/filepath"
	"strings"
	"testing"

	"dataledger/proof"
)

// TestConsortiumChangesByPassedSignatures: an organization joins liuzhou
// and leaves it again through update files passed between orgs, as
// operators do (propose, sign, submit with the dataledger CLI). The
// orderers refuse the update while it lacks a majority of the channel's
// admins; the chain audit, with the trust file made before the changes,
// judges both configuration blocks from the pinned genesis.
func TestConsortiumChangesByPassedSignatures(t *testing.T) {
	trustFile, _ := pinnedTrust(t)
	dir := t.TempDir()
	add, remove := filepath.Join(dir, "add-citya.pb"), filepath.Join(dir, "remove-citya.pb")
	run := func(want int, says string, args ...string) string {
		t.Helper()
		code, out := exitCode(t, append(args, "--home", home, "--description", description)...)
		if code != want || !strings.Contains(out, says) {
			t.Fatalf("%s: exit %d, want %d saying %q\n%s", strings.Join(args[:2], " "), code, want, says, out)
		}
		return out
	}
	run(0, "an unsigned update of channel liuzhou", "channel", "propose", "--channel", "liuzhou", "--add-org", "CityAMSP", "--from", "nanning", "-o", add)
	run(0, "0 signature(s)", "channel", "show", add)
	// CityB's admin alone (it signs as it submits): one of three.
	run(2, "not satisfied", "channel", "submit", add, "--org", "CityBMSP")
	run(0, "signed by ProvinceMSP:Admin@", "channel", "sign", add, "--org", "ProvinceMSP")
	run(0, "holds the update", "channel", "submit", add, "--org", "CityBMSP")
	cfg, _, err := net.ChannelConfig("liuzhou")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ChannelGroup.Groups["Application"].Groups["CityAMSP"] == nil {
		t.Fatal("CityAMSP is not an application org of liuzhou after the update")
	}
	// Leaving needs a majority of the four: three admins.
	run(0, "an unsigned update", "channel", "propose", "--channel", "liuzhou", "--remove-org", "CityAMSP", "-o", remove)
	run(0, "1 signature(s)", "channel", "sign", remove, "--org", "ProvinceMSP")
	run(2, "not satisfied", "channel", "submit", remove, "--org", "CityBMSP")
	run(0, "2 signature(s)", "channel", "sign", remove, "--org", "ExchangeMSP")
	run(0, "holds the update", "channel", "submit", remove, "--org", "CityBMSP")
	if cfg, _, err = net.ChannelConfig("liuzhou"); err != nil || cfg.ChannelGroup.Groups["Application"].Groups["CityAMSP"] != nil {
		t.Fatalf("CityAMSP is still on liuzhou: %v", err)
	}
	// submit made the trust file again: it pins liuzhou's configuration in force.
	made, err := proof.LoadTrust(net.TrustFile())
	if err != nil {
		t.Fatal(err)
	}
	_, now, err := net.ChannelConfig("liuzhou")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range made.Channels {
		if c.Channel == "liuzhou" && (c.Config == nil || c.Config.Number != now) {
			t.Fatalf("the trust file pins %+v for liuzhou, the configuration in force is block %d", c.Config, now)
		}
	}
	out := run(0, "every header links", "audit", "chain", "--channel", "liuzhou", "--trust", trustFile)
	if !strings.Contains(out, "3 configuration block(s)") {
		t.Fatalf("the audit did not judge both updates:\n%s", out)
	}
}

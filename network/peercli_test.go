package network

import (
	"strings"
	"testing"
)

// A command refused by an orderer that would not take it is sent again
// through the next orderer: withOrderer swaps the orderer arguments
// wherever they stand and leaves the rest as it was.
func TestWithOrdererSwapsTheOrdererArguments(t *testing.T) {
	d, err := Load("dataledger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := &Net{D: d, L: Layout{Home: t.TempDir()}}
	args := append(append([]string{"lifecycle", "chaincode", "commit", "--channelID", "nanning"}, n.ordererArgs("nanning")...), "--peerAddresses", "127.0.0.1:7051")
	first := strings.Join(args, " ")
	next := n.withOrderer(args, 1)
	if strings.Join(args, " ") != first {
		t.Fatal("withOrderer changed its argument")
	}
	// Only nanning's consenters: its members' orderers.
	orderers := d.ChannelOrderers(d.Channel("nanning"))
	if len(orderers) < 2 {
		t.Fatalf("nanning has %d consenters", len(orderers))
	}
	if len(next) != len(args) || next[5] != "-o" || next[6] != orderers[1].Address() || next[len(next)-1] != "127.0.0.1:7051" || next[len(next)-2] != "--peerAddresses" {
		t.Fatalf("swapped: %v", next)
	}
	if again := n.withOrderer(args, len(orderers)); again[6] != orderers[0].Address() {
		t.Fatalf("round robin: %v", again[6])
	}
	if plain := n.withOrderer([]string{"channel", "list"}, 1); strings.Join(plain, " ") != "channel list" {
		t.Fatalf("no orderer arguments: %v", plain)
	}
}

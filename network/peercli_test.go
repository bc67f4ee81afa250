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
	args := append(append([]string{"lifecycle", "chaincode", "commit"}, n.ordererArgs()...), "--peerAddresses", "127.0.0.1:7051")
	first := strings.Join(args, " ")
	next := n.withOrderer(args, 1)
	if strings.Join(args, " ") != first {
		t.Fatal("withOrderer changed its argument")
	}
	orderers := d.AllOrderers()
	if len(next) != len(args) || next[3] != "-o" || next[4] != orderers[1].Address() || next[len(next)-1] != "127.0.0.1:7051" || next[len(next)-2] != "--peerAddresses" {
		t.Fatalf("swapped: %v", next)
	}
	if again := n.withOrderer(args, len(orderers)); again[4] != orderers[0].Address() {
		t.Fatalf("round robin: %v", again[4])
	}
	if plain := n.withOrderer([]string{"channel", "list"}, 1); strings.Join(plain, " ") != "channel list" {
		t.Fatalf("no orderer arguments: %v", plain)
	}
}

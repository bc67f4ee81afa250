package network

import (
	"os"

	"dataledger/proof"
)

// Trust is the trust file of the network's channels: each channel's
// genesis block pinned by hash, with the organizations it names. It is
// what a verifier keeps to check proof bundles and audit the chain
// (publish it out of band, e.g. on the authority's website). The genesis
// blocks are the ones the network was made from, kept in its home.
func (n *Net) Trust() (*proof.TrustFile, error) {
	var genesis [][]byte
	for _, c := range n.D.Channels {
		b, err := os.ReadFile(n.L.ChannelBlock(c.Name))
		if err != nil {
			return nil, err
		}
		genesis = append(genesis, b)
	}
	return proof.MakeTrust(genesis...)
}

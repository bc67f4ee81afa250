package network

import (
	"fmt"
	"os"
	"path/filepath"

	"dataledger/proof"
)

// Trust is the trust file of the network's channels: each channel's
// genesis block pinned by hash, with the organizations it names, and the
// configuration block in force, as the orderers serve it (the network
// must be up). It is what a verifier keeps to check proof bundles and
// audit the chain (publish it out of band, e.g. on the authority's
// website); make it again after a configuration change. The genesis
// blocks are the ones the network was made from, kept in its home.
func (n *Net) Trust() (*proof.TrustFile, error) {
	tf, err := n.GenesisTrust()
	if err != nil {
		return nil, err
	}
	for _, c := range n.D.Channels {
		raw, err := n.ChannelConfigBlock(c.Name)
		if err != nil {
			return nil, fmt.Errorf("channel %s: the configuration in force (is the network up?): %w", c.Name, err)
		}
		if err := tf.PinConfig(raw); err != nil {
			return nil, err
		}
	}
	return tf, nil
}

// TrustFile is where network up keeps the trust file it made last.
func (n *Net) TrustFile() string { return filepath.Join(n.L.Home, "trust.json") }

// WriteTrust makes the trust file again (after up or a configuration
// update, which change what it pins) and keeps it in the home, for the
// authority to publish.
func (n *Net) WriteTrust() error {
	tf, err := n.Trust()
	if err != nil {
		return err
	}
	raw, err := tf.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(n.TrustFile()+".tmp", raw, 0o644); err != nil {
		return err
	}
	if err := os.Rename(n.TrustFile()+".tmp", n.TrustFile()); err != nil {
		return err
	}
	fmt.Fprintf(n.Out, "  trust file %s (publish it for verifiers)\n", n.TrustFile())
	return nil
}

// GenesisTrust is Trust with the genesis blocks only, made with no
// network: it does not pin a configuration made after genesis.
func (n *Net) GenesisTrust() (*proof.TrustFile, error) {
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

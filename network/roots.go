package network

import (
	"bytes"
	"os"
	"path/filepath"
)

// RootCertsPEM is every organization's MSP root certificate, PEM: what a
// verifier pins to check proof bundles and audit the chain (publish it
// out of band, e.g. on the authority's website).
func (n *Net) RootCertsPEM() ([]byte, error) {
	var out bytes.Buffer
	for _, o := range n.D.Orgs {
		dir := filepath.Join(n.L.OrgMSPDir(o), "cacerts")
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			out.Write(b)
		}
	}
	return out.Bytes(), nil
}

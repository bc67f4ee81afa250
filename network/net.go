package network

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Net is a described network at a place on disk.
type Net struct {
	D   *Description
	L   Layout
	Out io.Writer // progress
	// DescriptionPath is the file D was read from (what an org's own
	// command, run as its account, reads too).
	DescriptionPath string
	// BinDir holds dataledger's own binaries (chaincode server, builder).
	BinDir string
	// Bench starts the chaincode servers with the benchmark functions on
	// (`network up --bench`); an up without it turns them off again.
	Bench bool
	// SnapshotJoins: a peer joins a channel that has more than its genesis
	// block from a snapshot of another member peer's ledger (`network up
	// --join-from-snapshot`) instead of replaying every block.
	SnapshotJoins bool
}

// Open loads a description and binds it to a home directory.
func Open(descriptionPath, home string, out io.Writer) (*Net, error) {
	d, err := Load(descriptionPath)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(home)
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = io.Discard
	}
	path, err := filepath.Abs(descriptionPath)
	if err != nil {
		return nil, err
	}
	return &Net{D: d, L: Layout{Home: abs}, Out: out, BinDir: filepath.Dir(exe), DescriptionPath: path}, nil
}

func (n *Net) step(i, total int, what string) func(error) error {
	start := time.Now()
	fmt.Fprintf(n.Out, "[%d/%d] %s\n", i, total, what)
	return func(err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		fmt.Fprintf(n.Out, "      done in %s\n", time.Since(start).Round(10*time.Millisecond))
		return nil
	}
}

// waitHealthy polls every node's operations endpoint, then the listeners
// the next steps use (an orderer's /healthz answers before its admin
// endpoint listens).
func (n *Net) waitHealthy(timeout time.Duration) error {
	wait := func(id, ops string, listeners ...string) error {
		err := poll(timeout, func() error {
			if err := healthy(context.Background(), ops); err != nil {
				return err
			}
			for _, l := range listeners {
				c, err := net.DialTimeout("tcp", l, time.Second)
				if err != nil {
					return err
				}
				c.Close()
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s not ready (see %s): %w", id, n.L.LogFile(id), err)
		}
		return nil
	}
	for _, x := range n.D.AllOrderers() {
		if err := wait(x.ID(), fmt.Sprintf("%s:%d", x.Host, x.OperationsPort), x.Address(), fmt.Sprintf("%s:%d", x.Host, x.AdminPort)); err != nil {
			return err
		}
	}
	for _, p := range n.D.AllPeers() {
		if err := wait(p.ID(), fmt.Sprintf("%s:%d", p.Host, p.OperationsPort), p.Address()); err != nil {
			return err
		}
	}
	return nil
}

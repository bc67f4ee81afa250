// Package integration tests dataledger against the real running network:
// Fabric 2.5 orderers and peers, the chaincode servers, fabric-gateway.
// TestMain builds the binaries, brings a network up in its own home
// (.run-it) and stops every process it started at the end, also when a
// test fails.
package integration

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"dataledger/network"
)

var (
	root        string // repository root
	binDir      string // dataledger binaries built for this run
	home        string // network state of this run
	description string // network description in force
	net         *network.Net
	logOut      io.Writer = os.Stderr
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	var err error
	if root, err = filepath.Abs(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	home = filepath.Join(root, ".run-it")
	binDir = filepath.Join(home, "bin")
	description = filepath.Join(root, "network", "dataledger.yaml")
	if err := os.RemoveAll(home); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	build := exec.Command("go", "build", "-o", binDir+"/", "./cmd/...")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building binaries:", err)
		return 1
	}
	// Stop the network on every way out, including an interrupt.
	defer cli("network", "down")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		_ = cli("network", "down")
		os.Exit(2)
	}()
	if err := cli("network", "up"); err != nil {
		fmt.Fprintln(os.Stderr, "network up:", err)
		return 1
	}
	if net, err = network.Open(description, home, io.Discard); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	net.BinDir = binDir
	return m.Run()
}

// cli runs the dataledger CLI on this run's network.
func cli(args ...string) error {
	cmd := cliCommand(args...)
	cmd.Stdout, cmd.Stderr = logOut, logOut
	return cmd.Run()
}

// cliOutput runs the CLI and returns what it printed.
func cliOutput(args ...string) (string, error) {
	out, err := cliCommand(args...).CombinedOutput()
	return string(out), err
}

func cliCommand(args ...string) *exec.Cmd {
	full := append(args, "--home", home, "--description", description, "--fabric-tools", filepath.Join(root, "network", "fabrictools"))
	cmd := exec.Command(filepath.Join(binDir, "dataledger"), full...)
	cmd.Dir = root
	return cmd
}

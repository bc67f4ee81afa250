// Package fabricbin builds the Hyperledger Fabric binaries the network runs
// (peer, orderer, configtxgen, osnadmin, cryptogen) from the Go module proxy
// into a cache directory keyed by version, and copies Fabric's sample
// core.yaml and orderer.yaml beside them as templates. A second call finds
// the cache and returns at once.
package fabricbin

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Version is the Fabric release, and Module its commit on the module proxy.
const (
	Version = "2.5.9"
	Module  = "github.com/hyperledger/fabric@v0.0.0-20240618194258-7c3876255bf0"
)

// Commands are the Fabric commands the network needs.
var Commands = []string{"peer", "orderer", "configtxgen", "osnadmin", "cryptogen"}

// Dir is where the binaries of this version live:
// $DATALEDGER_FABRIC_DIR, or ~/.cache/dataledger/fabric-<version>.
func Dir() string {
	if d := os.Getenv("DATALEDGER_FABRIC_DIR"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = filepath.Join(os.TempDir(), "cache")
	}
	return filepath.Join(base, "dataledger", "fabric-"+Version)
}

// Bin is the path of one Fabric command.
func Bin(name string) string { return filepath.Join(Dir(), "bin", name) }

// ConfigTemplate is the path of Fabric's sample core.yaml or orderer.yaml.
func ConfigTemplate(name string) string { return filepath.Join(Dir(), "config", name) }

// Present reports whether every binary and template is in the cache.
func Present() bool {
	for _, c := range Commands {
		if fi, err := os.Stat(Bin(c)); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	for _, f := range []string{"core.yaml", "orderer.yaml"} {
		if _, err := os.Stat(ConfigTemplate(f)); err != nil {
			return false
		}
	}
	return true
}

// Ensure builds the binaries unless they are cached. toolsDir is the
// module that pins Fabric (network/fabrictools). Progress goes to log.
func Ensure(toolsDir string, log io.Writer) error {
	if Present() {
		fmt.Fprintf(log, "fabric %s: binaries cached in %s\n", Version, Dir())
		return nil
	}
	start := time.Now()
	fmt.Fprintf(log, "fabric %s: building %s from the Go module proxy into %s (a few minutes the first time)\n",
		Version, strings.Join(Commands, ", "), Dir())
	tmp := Dir() + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, "bin"), 0o755); err != nil {
		return err
	}
	env := append(os.Environ(), "GONOSUMDB=github.com/hyperledger/fabric", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	args := []string{"build", "-trimpath", "-o", filepath.Join(tmp, "bin") + "/"}
	for _, c := range Commands {
		args = append(args, "github.com/hyperledger/fabric/cmd/"+c)
	}
	if err := run(toolsDir, env, log, "go", args...); err != nil {
		return fmt.Errorf("building Fabric %s failed: %w\nretry with: dataledger fabric build (it starts over; a network or proxy error is usually passing)", Version, err)
	}
	var dir bytes.Buffer
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/hyperledger/fabric")
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = toolsDir, env, &dir, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("locating Fabric's sampleconfig: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "config"), 0o755); err != nil {
		return err
	}
	for _, f := range []string{"core.yaml", "orderer.yaml"} {
		data, err := os.ReadFile(filepath.Join(strings.TrimSpace(dir.String()), "sampleconfig", f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, "config", f), data, 0o644); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(Dir()); err != nil {
		return err
	}
	if err := os.Rename(tmp, Dir()); err != nil {
		return err
	}
	fmt.Fprintf(log, "fabric %s: built in %s\n", Version, time.Since(start).Round(time.Second))
	return nil
}

func run(dir string, env []string, log io.Writer, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, log, log
	return cmd.Run()
}

// Package fabricbin builds the Hyperledger Fabric binaries the network runs
// (peer, orderer, configtxgen, osnadmin) and the Fabric CA
// binaries (fabric-ca-server, fabric-ca-client) from the Go module proxy
// into cache directories keyed by version, and copies Fabric's sample
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
var Commands = []string{"peer", "orderer", "configtxgen", "osnadmin"}

// kit is one set of binaries built from one module into one cache
// directory.
type kit struct {
	name, version string
	module        string // its path, which GONOSUMDB names
	cacheName     string // its directory under ~/.cache/dataledger
	env           string // the variable that overrides the directory
	commands      []string
	cgo           bool     // Fabric CA's SQLite driver needs cgo
	templates     []string // files copied from the module's sampleconfig
}

var fabric = kit{name: "fabric", version: Version, module: "github.com/hyperledger/fabric", cacheName: "fabric-" + Version,
	env: "DATALEDGER_FABRIC_DIR", commands: Commands, templates: []string{"core.yaml", "orderer.yaml"}}

// CAVersion is the Fabric CA each org's certificate authority runs
// (enrollment with attributes, revocation and CRLs): the commit its tools
// module pins (network/catools: v1.5.13-0.20240620215654-493a48abb873, a
// commit after the 1.5.12 release, which its server reports), built the
// same way as Fabric.
const CAVersion = "1.5.13-0.20240620215654"

// CACommands are the Fabric CA commands.
var CACommands = []string{"fabric-ca-server", "fabric-ca-client"}

var fabricCA = kit{name: "fabric-ca", version: CAVersion, module: "github.com/hyperledger/fabric-ca", cacheName: "fabric-ca-" + CAVersion,
	env: "DATALEDGER_FABRIC_CA_DIR", commands: CACommands, cgo: true}

// Dir is where the binaries of this version live:
// $DATALEDGER_FABRIC_DIR, or ~/.cache/dataledger/fabric-<version>.
func Dir() string { return fabric.dir() }

// CADir is where the Fabric CA binaries live: $DATALEDGER_FABRIC_CA_DIR,
// or ~/.cache/dataledger/fabric-ca-<version>.
func CADir() string { return fabricCA.dir() }

func (k kit) dir() string {
	if d := os.Getenv(k.env); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = filepath.Join(os.TempDir(), "cache")
	}
	return filepath.Join(base, "dataledger", k.cacheName)
}

// Bin is the path of one Fabric command.
func Bin(name string) string { return filepath.Join(Dir(), "bin", name) }

// CABin is the path of one Fabric CA command.
func CABin(name string) string { return filepath.Join(CADir(), "bin", name) }

// ConfigTemplate is the path of Fabric's sample core.yaml or orderer.yaml.
func ConfigTemplate(name string) string { return filepath.Join(Dir(), "config", name) }

// Present reports whether every binary and template is in the cache.
func Present() bool { return fabric.present() }

func (k kit) present() bool {
	for _, c := range k.commands {
		if fi, err := os.Stat(filepath.Join(k.dir(), "bin", c)); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	for _, f := range k.templates {
		if _, err := os.Stat(filepath.Join(k.dir(), "config", f)); err != nil {
			return false
		}
	}
	return true
}

// Ensure builds the Fabric binaries unless they are cached. toolsDir is
// the module that pins Fabric (network/fabrictools). Progress goes to log.
func Ensure(toolsDir string, log io.Writer) error { return fabric.ensure(toolsDir, log) }

// EnsureAll builds Fabric's binaries (toolsDir pins them) and Fabric
// CA's (pinned by the catools module beside it) unless they are cached:
// every network runs both, each org's identities come from its CA.
func EnsureAll(toolsDir string, log io.Writer) error {
	if err := Ensure(toolsDir, log); err != nil {
		return err
	}
	return EnsureCA(filepath.Join(filepath.Dir(toolsDir), "catools"), log)
}

// EnsureCA builds the Fabric CA binaries unless they are cached. toolsDir
// is the module that pins Fabric CA (network/catools).
func EnsureCA(toolsDir string, log io.Writer) error { return fabricCA.ensure(toolsDir, log) }

func (k kit) ensure(toolsDir string, log io.Writer) error {
	if k.present() {
		fmt.Fprintf(log, "%s %s: binaries cached in %s\n", k.name, k.version, k.dir())
		return nil
	}
	start := time.Now()
	fmt.Fprintf(log, "%s %s: building %s from the Go module proxy into %s (a minute or a few the first time)\n",
		k.name, k.version, strings.Join(k.commands, ", "), k.dir())
	tmp := k.dir() + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, "bin"), 0o755); err != nil {
		return err
	}
	cgo := "CGO_ENABLED=0"
	if k.cgo {
		cgo = "CGO_ENABLED=1"
	}
	env := append(os.Environ(), "GONOSUMDB="+k.module, "GOFLAGS=-mod=mod", cgo)
	args := []string{"build", "-trimpath", "-o", filepath.Join(tmp, "bin") + "/"}
	for _, c := range k.commands {
		args = append(args, k.module+"/cmd/"+c)
	}
	if err := run(toolsDir, env, log, "go", args...); err != nil {
		return fmt.Errorf("building %s %s failed: %w\nretry with: dataledger fabric build (it starts over; a network or proxy error is usually passing)", k.name, k.version, err)
	}
	if len(k.templates) > 0 {
		var dir bytes.Buffer
		cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", k.module)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = toolsDir, env, &dir, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("locating %s's sampleconfig: %w", k.name, err)
		}
		if err := os.MkdirAll(filepath.Join(tmp, "config"), 0o755); err != nil {
			return err
		}
		for _, f := range k.templates {
			data, err := os.ReadFile(filepath.Join(strings.TrimSpace(dir.String()), "sampleconfig", f))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(tmp, "config", f), data, 0o644); err != nil {
				return err
			}
		}
	}
	if err := os.RemoveAll(k.dir()); err != nil {
		return err
	}
	if err := os.Rename(tmp, k.dir()); err != nil {
		return err
	}
	fmt.Fprintf(log, "%s %s: built in %s\n", k.name, k.version, time.Since(start).Round(time.Second))
	return nil
}

func run(dir string, env []string, log io.Writer, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, log, log
	return cmd.Run()
}

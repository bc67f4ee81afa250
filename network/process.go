package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a long-running process of the network.
type proc struct {
	ID   string   // node ID, or "cc.<peer ID>" for a chaincode server
	Bin  string   // absolute path
	Args []string // arguments
	Env  []string // added to a minimal environment
}

// start launches p detached (own session, log file, PID file). It never
// starts a second copy: a live process with the PID file's PID and binary
// counts as running.
func (n *Net) start(p proc) (int, error) {
	if pid, ok := n.running(p.ID); ok {
		return pid, nil
	}
	if err := os.MkdirAll(filepath.Dir(n.L.LogFile(p.ID)), 0o755); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(n.L.PIDFile(p.ID)), 0o755); err != nil {
		return 0, err
	}
	logf, err := os.OpenFile(n.L.LogFile(p.ID), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n=== %s starting %s at %s ===\n", p.ID, filepath.Base(p.Bin), time.Now().UTC().Format(time.RFC3339))
	cred, err := n.credentialOf(p.ID)
	if err != nil {
		return 0, err
	}
	if cred != nil { // what root wrote for the org (its nodes' configuration) is its own
		if err := n.own(n.D.Org(orgOfID(p.ID))); err != nil {
			return 0, err
		}
	}
	cmd := exec.Command(p.Bin, p.Args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if ns := n.netnsOf(p.ID); ns != "" {
		// ip (root) enters the namespace and execs the binary in place,
		// through setpriv for an org with an account: the PID stays the
		// node's.
		run := []string{"netns", "exec", ns}
		if cred != nil {
			run = append(run, "setpriv", "--reuid", strconv.Itoa(int(cred.Uid)), "--regid", strconv.Itoa(int(cred.Gid)), "--clear-groups", "--")
		}
		cmd = exec.Command("ip", append(append(run, p.Bin), p.Args...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else if cred != nil {
		cmd.SysProcAttr.Credential = cred
	}
	home := os.Getenv("HOME")
	if cred != nil {
		home = n.L.OrgHome(n.D.Org(orgOfID(p.ID)))
	}
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}, p.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %w", p.ID, err)
	}
	pid := cmd.Process.Pid
	go func() { _ = cmd.Wait() }() // reap it if it dies while we run
	content := fmt.Sprintf("%d\n%s\n", pid, p.Bin)
	if err := os.WriteFile(n.L.PIDFile(p.ID), []byte(content), 0o644); err != nil {
		return pid, err
	}
	return pid, nil
}

// running reports the PID of a live process started under id. A PID file
// whose process is gone, a zombie, or another program is not running.
func (n *Net) running(id string) (int, bool) {
	data, err := os.ReadFile(n.L.PIDFile(id))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	pid, err := strconv.Atoi(lines[0])
	if err != nil || pid <= 1 {
		return 0, false
	}
	return pid, alive(pid, lines[len(lines)-1])
}

func alive(pid int, bin string) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	return exe == bin || filepath.Base(exe) == filepath.Base(bin)
}

// stop ends the process started under id: SIGTERM, then SIGKILL after
// grace. Only PIDs from our own PID files are signalled.
func (n *Net) stop(id string, grace time.Duration) (bool, error) {
	pid, ok := n.running(id)
	defer os.Remove(n.L.PIDFile(id))
	if !ok {
		return false, nil
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if _, ok := n.running(id); !ok {
			return true, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return true, err
	}
	return true, nil
}

// healthy asks a node's operations endpoint.
func healthy(ctx context.Context, hostPort string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+hostPort+"/healthz", nil)
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %s", resp.Status)
	}
	return nil
}

// poll calls check until it succeeds or timeout passes; it returns the last
// error. This is how every readiness wait is done: no fixed sleeps.
func poll(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	wait := 50 * time.Millisecond
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
		if wait < time.Second {
			wait *= 2
		}
	}
}

// runCmd runs a command to completion with extra environment and returns
// its combined output.
func runCmd(env []string, bin string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd.CombinedOutput()
}

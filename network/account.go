package network

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"dataledger/network/fabricbin"
)

// Org accounts (Org.Account): each org's processes and commands run as
// the org's own Unix account, and its directory (Layout.OrgHome) is that
// account's alone (0700). What an org publishes (Layout.PublicDir) is
// readable by all. So one machine holding several orgs, as a test or a
// shared host does, keeps each org out of the others' keys by the
// kernel's rule rather than by the code's discipline.

// credential is the account an org's processes and commands run as: nil
// when the org names none, or it is the account running now.
func (n *Net) credential(o *Org) (*syscall.Credential, error) {
	if o == nil || o.Account == "" {
		return nil, nil
	}
	u, err := user.Lookup(o.Account)
	var unknown user.UnknownUserError
	if errors.As(err, &unknown) && os.Geteuid() == 0 {
		out, cerr := exec.Command("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "--user-group", o.Account).CombinedOutput()
		if cerr != nil {
			return nil, fmt.Errorf("org %s: creating account %s: %v: %s", o.Name, o.Account, cerr, strings.TrimSpace(string(out)))
		}
		fmt.Fprintf(n.Out, "  %s: account %s created\n", o.Name, o.Account)
		u, err = user.Lookup(o.Account)
	}
	if err != nil {
		return nil, fmt.Errorf("org %s: account %s: %w (up as root creates it)", o.Name, o.Account, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if uid == os.Geteuid() {
		return nil, nil
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("org %s runs as account %s: only root acts for it from account %d", o.Name, o.Account, os.Geteuid())
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// credentialOf is the credential of the org a process or node ID belongs
// to ("peer0.citya", "cc.peer0.citya", "ca.citya").
func (n *Net) credentialOf(id string) (*syscall.Credential, error) {
	return n.credential(n.D.OrgNamed(orgOfID(id)))
}

// asOrg makes cmd run as the org's account (nothing when it has none).
func (n *Net) asOrg(cmd *exec.Cmd, o *Org) error {
	cred, err := n.credential(o)
	if err != nil || cred == nil {
		return err
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = cred
	return nil
}

// usesAccounts reports whether any org runs as an account of its own.
func (n *Net) usesAccounts() bool {
	for _, o := range n.D.Orgs {
		if o.Account != "" {
			return true
		}
	}
	return false
}

// prepareAccounts, for a network whose orgs run as accounts of their
// own: the accounts exist, every org account can reach the home, and
// Fabric's binaries are linked into the home (the build cache is in
// root's home, which no other account may enter: Net.fabricBin).
func (n *Net) prepareAccounts() error {
	if !n.usesAccounts() {
		return nil
	}
	for _, o := range n.D.Orgs {
		if _, err := n.credential(o); err != nil {
			return err
		}
	}
	for dir := n.L.Home; ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("the orgs run as accounts of their own, which cannot reach %s through %s (mode %v): give it o+x or put the home elsewhere", n.L.Home, dir, st.Mode().Perm())
		}
		if dir == filepath.Dir(dir) {
			break
		}
	}
	if err := os.MkdirAll(n.L.Home, 0o755); err != nil {
		return err
	}
	for _, d := range []string{n.BinDir} {
		for dir := d; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
			if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o001 == 0 {
				return fmt.Errorf("the orgs' accounts cannot reach dataledger's binaries in %s through %s (mode %v)", d, dir, st.Mode().Perm())
			}
		}
	}
	if err := linkTree(fabricbin.Dir(), n.L.path("fabric")); err != nil {
		return fmt.Errorf("linking Fabric's binaries into the home: %w", err)
	}
	if _, err := os.Stat(fabricbin.CABin("fabric-ca-server")); err == nil {
		if err := linkTree(fabricbin.CADir(), n.L.path("fabric-ca")); err != nil {
			return fmt.Errorf("linking Fabric CA's binaries into the home: %w", err)
		}
	}
	return nil
}

// fabricBin is the path of a Fabric command this network runs: in the
// home (linked there by prepareAccounts) when its orgs run as accounts
// of their own, the build cache otherwise.
func (n *Net) fabricBin(name string) string {
	if n.usesAccounts() {
		return filepath.Join(n.L.path("fabric"), "bin", name)
	}
	return fabricbin.Bin(name)
}

// caBin is fabricBin for the Fabric CA commands.
func (n *Net) caBin(name string) string {
	if n.usesAccounts() {
		return filepath.Join(n.L.path("fabric-ca"), "bin", name)
	}
	return fabricbin.CABin(name)
}

// linkTree hard-links (or, across file systems, copies) every file of src
// into dst, world-readable.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if _, err := os.Stat(to); err == nil {
			return nil
		}
		if os.Link(path, to) == nil {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, info.Mode().Perm()|0o444)
	})
}

// own gives an org's directory to its account (0700) and its public
// directory too (readable by all): whatever root wrote there for it
// (node configurations, a snapshot copied in) becomes the org's.
func (n *Net) own(o *Org) error {
	cred, err := n.credential(o)
	if err != nil || cred == nil {
		return err
	}
	for _, dir := range []string{n.L.OrgHome(o), n.L.PublicDir(o)} {
		// orgs/ and public/ are for every org to pass through.
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return err
		}
		if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if st, ok := mustStat(path); ok && st.Uid == cred.Uid && st.Gid == cred.Gid {
				return nil
			}
			return os.Lchown(path, int(cred.Uid), int(cred.Gid))
		})
		if err != nil {
			return err
		}
	}
	if err := os.Chmod(n.L.OrgHome(o), 0o700); err != nil {
		return err
	}
	return os.Chmod(n.L.PublicDir(o), 0o755)
}

func mustStat(path string) (*syscall.Stat_t, bool) {
	var st syscall.Stat_t
	if syscall.Lstat(path, &st) != nil {
		return nil, false
	}
	return &st, true
}

// giveTo hands files root made for an org's command (a temporary
// directory, an update to sign) to the org's account.
func (n *Net) giveTo(o *Org, paths ...string) error {
	cred, err := n.credential(o)
	if err != nil || cred == nil {
		return err
	}
	for _, p := range paths {
		if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	return nil
}

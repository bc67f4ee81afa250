package network

import (
	"errors"
	"fmt"
	"io"
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
	if uid == 0 {
		return nil, fmt.Errorf("org %s: account %s is root's: an org's account keeps it apart from the others only if it is its own", o.Name, o.Account)
	}
	if uid == os.Geteuid() {
		return nil, nil // the org's own command, run as its account
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("org %s runs as account %s: only root acts for it from account %d", o.Name, o.Account, os.Geteuid())
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// isAccount reports whether this process runs as the org's own account.
func (n *Net) isAccount(o *Org) bool {
	if o == nil || o.Account == "" {
		return false
	}
	u, err := user.Lookup(o.Account)
	return err == nil && u.Uid == strconv.Itoa(os.Geteuid())
}

// credentialOf is the credential of the org a process or node ID belongs
// to ("peer0.citya", "cc.peer0.citya", "ca.citya").
func (n *Net) credentialOf(id string) (*syscall.Credential, error) {
	o := n.D.Org(orgOfID(id))
	if o == nil || !n.isOrgProcess(o, id) {
		return nil, nil // the network's own services run as whoever runs dataledger
	}
	return n.credential(o)
}

// isOrgProcess reports whether id is one of the org's processes: an
// orderer, a peer, a peer's chaincode server or its CA (not a service
// that a name happens to end with the org's).
func (n *Net) isOrgProcess(o *Org, id string) bool {
	if id == caID(o) {
		return true
	}
	node := strings.TrimPrefix(id, "cc.")
	for _, p := range o.Peers {
		if p.ID() == node {
			return true
		}
	}
	for _, x := range o.Orderers {
		if x.ID() == id {
			return true
		}
	}
	return false
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
	if dir, mode, ok := unreachable(n.L.Home); !ok {
		return fmt.Errorf("the orgs run as accounts of their own, which cannot reach %s through %s (mode %v): give it o+x or put the home elsewhere", n.L.Home, dir, mode)
	}
	if err := os.MkdirAll(n.L.Home, 0o755); err != nil {
		return err
	}
	if dir, mode, ok := unreachable(n.BinDir); !ok {
		return fmt.Errorf("the orgs' accounts cannot reach dataledger's binaries in %s through %s (mode %v)", n.BinDir, dir, mode)
	}
	if err := linkTree(fabricbin.Dir(), n.L.path("fabric")); err != nil {
		return fmt.Errorf("linking Fabric's binaries into the home: %w", err)
	}
	if err := linkTree(fabricbin.CADir(), n.L.path("fabric-ca")); err != nil {
		return fmt.Errorf("linking Fabric CA's binaries into the home: %w", err)
	}
	return nil
}

// unreachable finds the first existing directory on path's way up that
// others may not pass through (no o+x); ok when there is none.
func unreachable(path string) (dir string, mode os.FileMode, ok bool) {
	for dir = path; ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o001 == 0 {
			return dir, st.Mode().Perm(), false
		}
		if dir == filepath.Dir(dir) {
			return "", 0, true
		}
	}
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
		info, err := d.Info()
		if err != nil {
			return err
		}
		if cur, err := os.Stat(to); err == nil {
			if os.SameFile(cur, info) || (cur.Size() == info.Size() && !cur.ModTime().Before(info.ModTime())) {
				return nil
			}
			if err := os.Remove(to); err != nil { // a binary built again since
				return err
			}
		}
		if os.Link(path, to) == nil {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, info.Mode().Perm()|0o444)
	})
}

// own gives an org's directory to its account (0700): whatever root
// wrote there for it (node configurations, a snapshot copied in) becomes
// the org's. The walk goes through an os.Root of the directory and
// changes links themselves (Lchown): a link the account made, or swapped
// in during the walk, takes it nowhere outside.
func (n *Net) own(o *Org) error {
	cred, err := n.credential(o)
	if err != nil || cred == nil {
		return err
	}
	r, err := openOrgHome(n.L.OrgHome(o))
	if err != nil {
		return err
	}
	defer r.Close()
	if err := os.Chmod(filepath.Dir(n.L.OrgHome(o)), 0o755); err != nil { // orgs/: for every org to pass through
		return err
	}
	uid, gid := int(cred.Uid), int(cred.Gid)
	err = fs.WalkDir(r.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := r.Lstat(path)
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if ok && int(st.Uid) == uid && int(st.Gid) == gid {
			return nil
		}
		if ok && !info.IsDir() && st.Nlink > 1 {
			// A second name of a file that is not the org's: changing it
			// would change the file it shares with another directory.
			return fmt.Errorf("%s: a hard link (%d names) not the account's: refused", path, st.Nlink)
		}
		return r.Lchown(path, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("giving %s to account %s: %w", n.L.OrgHome(o), o.Account, err)
	}
	return r.Chmod(".", 0o700)
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

// Root's file operations inside an org's directory (its nodes'
// configuration, the chaincode package, a snapshot copied in) go through
// an os.Root of that directory: a link the org's account made cannot
// carry them anywhere else. Paths outside orgs/ are plain.

// orgPath is the org directory's root and path's name in it when path
// is inside an org's directory (root nil otherwise).
func (n *Net) orgPath(path string) (*os.Root, string, error) {
	rel, err := filepath.Rel(n.L.path("orgs"), path)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return nil, "", nil
	}
	name, inside, _ := strings.Cut(rel, string(filepath.Separator))
	if inside == "" {
		return nil, "", fmt.Errorf("%s is an org's directory itself, not a path in it", path)
	}
	r, err := openOrgHome(n.L.path("orgs", name))
	if err != nil {
		return nil, "", err
	}
	return r, inside, nil
}

// openOrgHome makes an org's directory where it is missing (0700, in
// orgs/) and opens it as an os.Root.
func openOrgHome(home string) (*os.Root, error) {
	if err := os.MkdirAll(filepath.Dir(home), 0o755); err != nil {
		return nil, err
	}
	if err := os.Mkdir(home, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return os.OpenRoot(home)
}

// writeFile writes a file as os.WriteFile does, inside an org's
// directory through its root (its directories made first).
func (n *Net) writeFile(path string, data []byte, perm os.FileMode) error {
	r, rel, err := n.orgPath(path)
	if err != nil {
		return err
	}
	if r == nil {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return os.WriteFile(path, data, perm)
	}
	defer r.Close()
	if err := r.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
		return err
	}
	return r.WriteFile(rel, data, perm)
}

// readFile is os.ReadFile inside an org's directory through its root.
func (n *Net) readFile(path string) ([]byte, error) {
	r, rel, err := n.orgPath(path)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return os.ReadFile(path)
	}
	defer r.Close()
	return r.ReadFile(rel)
}

// readRegular reads a file an org's account may have made: through its
// directory's root when inside one (readRegularIn).
func (n *Net) readRegular(path string) ([]byte, error) {
	r, rel, err := n.orgPath(path)
	if err != nil {
		return nil, err
	}
	if r == nil {
		dir, err := os.OpenRoot(filepath.Dir(path))
		if err != nil {
			return nil, err
		}
		defer dir.Close()
		return readRegularIn(dir, filepath.Base(path))
	}
	defer r.Close()
	return readRegularIn(r, rel)
}

// maxOrgFile bounds what root reads of a file an org made.
const maxOrgFile = 1 << 20

// readRegularIn reads rel in r if it is a regular file of maxOrgFile
// bytes at most, and not itself a link (a link among its directories is
// followed within r, never out of it): opened without blocking, so a FIFO
// an org put there does not hold root's command, and judged by what was
// opened, which must be what the name holds.
func readRegularIn(r *os.Root, rel string) ([]byte, error) {
	f, err := r.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v): refused", rel, info.Mode().Type())
	}
	if li, err := r.Lstat(rel); err != nil || li.Mode()&fs.ModeSymlink != 0 || !os.SameFile(li, info) {
		return nil, fmt.Errorf("%s is a link, or was replaced while read: refused (%v)", rel, err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxOrgFile+1))
	if err == nil && len(b) > maxOrgFile {
		err = fmt.Errorf("%s is larger than %d bytes: refused", rel, maxOrgFile)
	}
	return b, err
}

// rename is os.Rename of two paths inside one org's directory, through
// its root.
func (n *Net) rename(from, to string) error {
	r, rel, err := n.orgPath(from)
	if err != nil {
		return err
	}
	r2, rel2, err := n.orgPath(to)
	if err != nil {
		if r != nil {
			r.Close()
		}
		return err
	}
	if r == nil || r2 == nil {
		for _, x := range []*os.Root{r, r2} {
			if x != nil {
				x.Close()
			}
		}
		return fmt.Errorf("renaming %s to %s: both must be in an org's directory", from, to)
	}
	defer r.Close()
	defer r2.Close()
	if r.Name() != r2.Name() {
		return fmt.Errorf("renaming %s to %s: not in one org's directory", from, to)
	}
	return r.Rename(rel, rel2)
}

// removeAll is os.RemoveAll inside an org's directory through its root.
func (n *Net) removeAll(path string) error {
	r, rel, err := n.orgPath(path)
	if err != nil {
		return err
	}
	if r == nil {
		return os.RemoveAll(path)
	}
	defer r.Close()
	return r.RemoveAll(rel)
}

// copyTree copies the regular files and directories under src into dst
// (each may be inside an org's directory), refusing anything else: a
// link in a snapshot another org's node wrote is not followed.
func (n *Net) copyTree(src, dst string) error {
	sr, srel, err := n.orgPath(src)
	if err != nil {
		return err
	}
	var from fs.FS
	if sr == nil {
		from = os.DirFS(src)
	} else {
		defer sr.Close()
		sub, err := sr.OpenRoot(srel)
		if err != nil {
			return err
		}
		defer sub.Close()
		from = sub.FS()
	}
	return fs.WalkDir(from, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		to := filepath.Join(dst, p)
		switch {
		case d.IsDir():
			return n.mkdirAll(to)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: not a regular file (%v): refused", filepath.Join(src, p), d.Type())
		}
		b, err := fs.ReadFile(from, p)
		if err != nil {
			return err
		}
		return n.writeFile(to, b, 0o600)
	})
}

// mkdirAll is os.MkdirAll inside an org's directory through its root.
func (n *Net) mkdirAll(path string) error {
	r, rel, err := n.orgPath(path)
	if err != nil {
		return err
	}
	if r == nil {
		return os.MkdirAll(path, 0o700)
	}
	defer r.Close()
	return r.MkdirAll(rel, 0o700)
}

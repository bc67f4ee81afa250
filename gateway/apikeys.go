package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"dataledger/chaincode/domain"
)

// Roles of API callers; "public" needs no key.
const (
	RolePublic     = "public"
	RoleEnterprise = "enterprise"
	RoleExchange   = "exchange"
	RoleRegulator  = "regulator"
	RoleIssuer     = "issuer"
	RoleAdmin      = "admin"
)

// Roles lists every caller role.
var Roles = []string{RolePublic, RoleEnterprise, RoleExchange, RoleRegulator, RoleIssuer, RoleAdmin}

// APIKey is a stored key: only the SHA-256 of the secret is kept (secrets
// are 256 random bits, so a fast hash does not weaken them).
type APIKey struct {
	ID   string `json:"id"`
	Hash string `json:"hash"`
	Org  string `json:"org"`  // MSP ID whose identity the caller acts with
	Role string `json:"role"` // a caller role
	// CreditCode is the enterprise an enterprise key acts for (role
	// enterprise only): the gateway acts as that enterprise's own
	// identity (network.EnterpriseUser), which reads only its records.
	CreditCode string     `json:"creditCode,omitempty"`
	Created    time.Time  `json:"created"`
	Revoked    *time.Time `json:"revoked,omitempty"`
}

// KeyStore is a file of API keys. A running gateway follows the file:
// Lookup re-reads it when it changed, at most once per reloadEvery, so a
// key created or revoked by `dataledger gateway keys` (another process)
// holds within that time, without a restart. A file that does not parse
// or holds an invalid key leaves the last good set in force (and is
// logged); so does a missing file once one was read.
type KeyStore struct {
	path string
	// Log receives reload failures (nil: slog.Default()).
	Log  *slog.Logger
	mu   sync.RWMutex
	keys []APIKey
	idx  map[string]*APIKey // by hash

	reload  sync.Mutex   // one reader of the file at a time
	checked atomic.Int64 // unix nanos of the last look at the file
	seen    os.FileInfo  // the file as last read (nil: absent)
	badSeen os.FileInfo  // the invalid file last logged, not to log it every look
}

// reloadEvery is how often, at most, Lookup looks at the key file.
const reloadEvery = 250 * time.Millisecond

// OpenKeyStore reads the key file (an absent file is an empty store).
func OpenKeyStore(path string) (*KeyStore, error) {
	ks := &KeyStore{path: path}
	keys, fi, err := readKeys(path)
	if err != nil {
		return nil, err
	}
	ks.keys, ks.seen = keys, fi
	ks.checked.Store(time.Now().UnixNano())
	ks.reindex()
	return ks, nil
}

// readKeys reads and checks the key file: (nil, nil, nil) when absent.
func readKeys(path string) ([]APIKey, os.FileInfo, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	var keys []APIKey
	dec := json.NewDecoder(f)
	if err := dec.Decode(&keys); err != nil {
		return nil, fi, fmt.Errorf("%s: %w", path, err)
	}
	if dec.More() {
		return nil, fi, fmt.Errorf("%s: data after the key list", path)
	}
	for i, k := range keys {
		if err := k.check(); err != nil {
			return nil, fi, fmt.Errorf("%s: key %d: %w", path, i, err)
		}
	}
	return keys, fi, nil
}

var hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (k APIKey) check() error {
	switch {
	case k.ID == "":
		return errors.New("no id")
	case !hashRE.MatchString(k.Hash):
		return fmt.Errorf("%s: the hash is not a SHA-256", k.ID)
	case !orgRE.MatchString(k.Org):
		return fmt.Errorf("%s: org %q is not an MSP ID", k.ID, k.Org)
	case k.Role == RolePublic || !contains(Roles, k.Role):
		return fmt.Errorf("%s: role %q is not a key's role", k.ID, k.Role)
	case k.Role != RoleEnterprise && k.CreditCode != "":
		return fmt.Errorf("%s: only an enterprise key names a credit code", k.ID)
	case k.CreditCode != "":
		// (An enterprise key without one predates enterprise identities:
		// it is kept, and refused when used.)
		if err := domain.ValidateCreditCode("creditCode", k.CreditCode); err != nil {
			return fmt.Errorf("%s: %v", k.ID, err)
		}
	}
	return nil
}

func (ks *KeyStore) logger() *slog.Logger {
	if ks.Log != nil {
		return ks.Log
	}
	return slog.Default()
}

func sameFile(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// refresh re-reads the key file if it changed and reloadEvery passed since
// the last look; a lookup never waits for another one's reading.
func (ks *KeyStore) refresh() {
	now := time.Now()
	if now.Sub(time.Unix(0, ks.checked.Load())) < reloadEvery || !ks.reload.TryLock() {
		return
	}
	defer ks.reload.Unlock()
	ks.checked.Store(now.UnixNano())
	fi, err := os.Stat(ks.path)
	switch {
	case os.IsNotExist(err):
		ks.refreshGone()
		return
	case err != nil:
		return
	// A file rewritten within the clock's tick can keep size and mtime:
	// one modified in the last two seconds is read whatever its stat.
	case sameFile(fi, ks.seen) && now.Sub(fi.ModTime()) > 2*time.Second:
		return
	}
	_ = ks.load()
}

// refreshGone handles a key file that is not there: if it is gone (not
// just replaced), the keys read last stay in force. The caller holds
// ks.reload.
func (ks *KeyStore) refreshGone() {
	if _, err := os.Stat(ks.path); err == nil {
		_ = ks.load() // renamed over: the new file is there
		return
	}
	if ks.seen != nil && ks.badSeen == nil {
		ks.logger().Warn("the API key file is gone; the keys read last stay in force", "file", ks.path)
		ks.badSeen = ks.seen
	}
}

// load reads the file and, if valid, makes it the set in force. The
// caller holds ks.reload.
func (ks *KeyStore) load() error {
	keys, fi, err := readKeys(ks.path)
	if err != nil {
		if !sameFile(fi, ks.badSeen) {
			ks.logger().Error("the API key file is invalid; the keys read last stay in force", "file", ks.path, "error", err)
			ks.badSeen = fi
		}
		return err
	}
	if fi == nil { // gone meanwhile
		return nil
	}
	ks.seen, ks.badSeen = fi, nil
	ks.mu.Lock()
	ks.keys = keys
	ks.reindex()
	ks.mu.Unlock()
	return nil
}

func (ks *KeyStore) reindex() {
	ks.idx = map[string]*APIKey{}
	for i := range ks.keys {
		ks.idx[ks.keys[i].Hash] = &ks.keys[i]
	}
}

func hashSecret(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

var orgRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{1,40}$`)

// Create makes a key for an org and role and returns its secret, shown
// once: "dlk_<id>_<secret>".
func (ks *KeyStore) Create(org, role string) (string, *APIKey, error) {
	if role == RoleEnterprise {
		return "", nil, fmt.Errorf("an enterprise key acts for one enterprise: CreateEnterprise names its credit code")
	}
	return ks.create(APIKey{Org: org, Role: role})
}

// CreateEnterprise makes a key that acts for the enterprise with the
// credit code, as its own identity under org (enrolled first:
// network.Net.EnrollUser with network.EnterpriseUser).
func (ks *KeyStore) CreateEnterprise(org, creditCode string) (string, *APIKey, error) {
	if err := domain.ValidateCreditCode("creditCode", creditCode); err != nil {
		return "", nil, err
	}
	return ks.create(APIKey{Org: org, Role: RoleEnterprise, CreditCode: creditCode})
}

func (ks *KeyStore) create(k APIKey) (string, *APIKey, error) {
	org, role := k.Org, k.Role
	if !orgRE.MatchString(org) {
		return "", nil, fmt.Errorf("org %q is not an MSP ID", org)
	}
	if role == RolePublic || !contains(Roles, role) {
		return "", nil, fmt.Errorf("role %q is not one of %v (public needs no key)", role, Roles[1:])
	}
	id, secret := make([]byte, 6), make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return "", nil, err
	}
	if _, err := rand.Read(secret); err != nil {
		return "", nil, err
	}
	full := "dlk_" + hex.EncodeToString(id) + "_" + base64.RawURLEncoding.EncodeToString(secret)
	k.ID, k.Hash, k.Created = hex.EncodeToString(id), hashSecret(full), time.Now().UTC()
	err := ks.update(func() error {
		ks.keys = append(ks.keys, k)
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return full, &k, nil
}

// Revoke marks a key revoked; it is kept for the record.
func (ks *KeyStore) Revoke(id string) error {
	return ks.update(func() error {
		for i := range ks.keys {
			if ks.keys[i].ID == id {
				if ks.keys[i].Revoked == nil {
					now := time.Now().UTC()
					ks.keys[i].Revoked = &now
				}
				return nil
			}
		}
		return fmt.Errorf("no key %q", id)
	})
}

// update changes the keys as the file now holds them (another process may
// have written it since this store read it) and writes them back. An
// invalid file is not overwritten: the operator repairs it first.
func (ks *KeyStore) update(change func() error) error {
	ks.reload.Lock()
	defer ks.reload.Unlock()
	if err := ks.load(); err != nil {
		return fmt.Errorf("not overwriting it: %w", err)
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	keys := append([]APIKey(nil), ks.keys...)
	if err := change(); err != nil {
		ks.keys = keys
		ks.reindex()
		return err
	}
	ks.reindex()
	if err := ks.save(); err != nil {
		ks.keys = keys
		ks.reindex()
		return err
	}
	if fi, err := os.Stat(ks.path); err == nil {
		ks.seen = fi
	}
	return nil
}

// List returns the keys (hashes only), newest first.
func (ks *KeyStore) List() []APIKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	out := append([]APIKey(nil), ks.keys...)
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

// Lookup finds the live key for a presented secret, in the key file as
// it was at most reloadEvery ago.
func (ks *KeyStore) Lookup(secret string) (*APIKey, bool) {
	ks.refresh()
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	k, ok := ks.idx[hashSecret(secret)]
	if !ok || k.Revoked != nil {
		return nil, false
	}
	cp := *k
	return &cp, true
}

// save writes the file through a temporary one of its own and a rename:
// a reader, or a crash, never sees half a file.
func (ks *KeyStore) save() error {
	data, _ := json.MarshalIndent(ks.keys, "", "  ")
	dir := filepath.Dir(ks.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(ks.path)+".*.tmp") // 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), ks.path)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Watch reloads the key file as soon as it changes (created, written,
// renamed over, removed), until ctx ends; Lookup's own look every
// reloadEvery stays the fallback (an event missed, a file system without
// notifications). The directory is watched: the CLI replaces the file by
// a rename, which a watch on the file itself would not follow.
func (ks *KeyStore) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	dir := filepath.Dir(ks.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		w.Close()
		return err
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return err
	}
	name := filepath.Clean(ks.path)
	go func() {
		defer w.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Clean(ev.Name) != name {
					continue
				}
				ks.reload.Lock()
				ks.checked.Store(time.Now().UnixNano())
				if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
					ks.refreshGone()
				} else {
					_ = ks.load()
				}
				ks.reload.Unlock()
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				ks.logger().Warn("watching the API key file", "file", ks.path, "error", err)
			}
		}
	}()
	return nil
}

package gateway

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"time"
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
	ID      string     `json:"id"`
	Hash    string     `json:"hash"`
	Org     string     `json:"org"`  // MSP ID whose identity the caller acts with
	Role    string     `json:"role"` // a caller role
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
}

// KeyStore is a file of API keys.
type KeyStore struct {
	path string
	mu   sync.RWMutex
	keys []APIKey
	idx  map[string]*APIKey // by hash
}

// OpenKeyStore reads the key file (an absent file is an empty store).
func OpenKeyStore(path string) (*KeyStore, error) {
	ks := &KeyStore{path: path}
	data, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(data, &ks.keys); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	ks.reindex()
	return ks, nil
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
	k := APIKey{ID: hex.EncodeToString(id), Hash: hashSecret(full), Org: org, Role: role, Created: time.Now().UTC()}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.keys = append(ks.keys, k)
	ks.reindex()
	return full, &k, ks.save()
}

// Revoke marks a key revoked; it is kept for the record.
func (ks *KeyStore) Revoke(id string) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	for i := range ks.keys {
		if ks.keys[i].ID == id {
			if ks.keys[i].Revoked == nil {
				now := time.Now().UTC()
				ks.keys[i].Revoked = &now
			}
			ks.reindex()
			return ks.save()
		}
	}
	return fmt.Errorf("no key %q", id)
}

// List returns the keys (hashes only), newest first.
func (ks *KeyStore) List() []APIKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	out := append([]APIKey(nil), ks.keys...)
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

// Lookup finds the live key for a presented secret.
func (ks *KeyStore) Lookup(secret string) (*APIKey, bool) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	k, ok := ks.idx[hashSecret(secret)]
	if !ok || k.Revoked != nil {
		return nil, false
	}
	cp := *k
	return &cp, true
}

func (ks *KeyStore) save() error {
	data, _ := json.MarshalIndent(ks.keys, "", "  ")
	if err := os.MkdirAll(filepath.Dir(ks.path), 0o700); err != nil {
		return err
	}
	tmp := ks.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, ks.path) // atomic: a crash never leaves half a file
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

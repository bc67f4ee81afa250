package contract

import (
	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

func (a *App) RegisterIssuerKey(s store.Store, inputJSON string) (*domain.IssuerKey, error) {
	var in domain.IssuerKeyInput
	if err := decodeArg("issuerKey", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActRegisterIssuerKey)
	if err != nil {
		return nil, err
	}
	k, err := a.registerKey(t, in)
	if err != nil {
		return nil, err
	}
	return k, emit(s, t.c, changed(domain.TypeIssuerKey, k.KeyID, "register", k.Status, k.Version))
}

func (a *App) registerKey(t *tx, in domain.IssuerKeyInput) (*domain.IssuerKey, error) {
	pub, err := certs.ParsePublicKeyPEM([]byte(in.PublicKey))
	if err != nil {
		return nil, domain.Invalid(domain.RuleKeyMaterial, "publicKey", "not an SM2 public key in SPKI PEM: %v", err)
	}
	in.PublicKey = string(pub.PEM())
	kk := key(t.s, domain.TypeIssuerKey, pub.KeyID())
	existing, err := load[domain.IssuerKey](t.s, kk)
	if err != nil {
		return nil, err
	}
	k, err := domain.RegisterIssuerKey(t.j, existing, pub.KeyID(), in, t.now, t.c)
	if err != nil {
		return nil, err
	}
	return k, put(t.s, kk, k)
}

// RotateIssuerKey registers a new key and retires the old one in one
// transaction, so a department is never without a usable key.
func (a *App) RotateIssuerKey(s store.Store, oldKeyID, newKeyJSON, reason string) (*domain.IssuerKey, error) {
	var in domain.IssuerKeyInput
	if err := decodeArg("issuerKey", newKeyJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActRotateIssuerKey)
	if err != nil {
		return nil, err
	}
	old, err := a.loadKey(t.s, oldKeyID)
	if err != nil {
		return nil, err
	}
	nk, err := a.registerKey(t, in)
	if err != nil {
		return nil, err
	}
	ended, err := domain.EndIssuerKey(t.j, old, "retire", reason, nk.KeyID, "", t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, key(s, domain.TypeIssuerKey, ended.KeyID), ended); err != nil {
		return nil, err
	}
	return nk, emit(s, t.c, changed(domain.TypeIssuerKey, nk.KeyID, "register", nk.Status, nk.Version), changed(domain.TypeIssuerKey, ended.KeyID, "retire", ended.Status, ended.Version))
}

// RevokeIssuerKey withdraws a key, with a reason; compromisedAt (RFC 3339,
// or empty) states since when it was compromised: documents registered
// under it from then on read revoked.
func (a *App) RevokeIssuerKey(s store.Store, keyID, reason, compromisedAt string) (*domain.IssuerKey, error) {
	t, err := a.allowed(s, domain.ActRevokeIssuerKey)
	if err != nil {
		return nil, err
	}
	k, err := a.loadKey(s, keyID)
	if err != nil {
		return nil, err
	}
	ended, err := domain.EndIssuerKey(t.j, k, "revoke", reason, "", compromisedAt, t.now, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, key(s, domain.TypeIssuerKey, keyID), ended); err != nil {
		return nil, err
	}
	return ended, emit(s, t.c, changed(domain.TypeIssuerKey, keyID, "revoke", ended.Status, ended.Version))
}

func validKeyID(field, id string) error {
	if len(id) != 64 || !isLowerHex(id) {
		return domain.Invalid(domain.RuleKeyUnknown, field, "a key ID is 64 lowercase hex characters (SM3 of the public key)")
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

func (a *App) loadKey(s store.Store, keyID string) (*domain.IssuerKey, error) {
	if err := validKeyID("keyId", keyID); err != nil {
		return nil, err
	}
	k, err := load[domain.IssuerKey](s, key(s, domain.TypeIssuerKey, keyID))
	return found(k, err, domain.NotFound(domain.RuleKeyUnknown, "keyId", "no issuer key %s on channel %s", keyID, s.Channel()))
}

// GetIssuerKey reads a key by its ID.
func (a *App) GetIssuerKey(s store.Store, keyID string) (*domain.IssuerKey, error) {
	return a.loadKey(s, keyID)
}

// ListIssuerKeys pages through the key registry.
func (a *App) ListIssuerKeys(s store.Store, pageSize int32, bookmark string) (*domain.Page[domain.IssuerKey], error) {
	return listRecords[domain.IssuerKey](s, domain.TypeIssuerKey, nil, pageSize, bookmark)
}

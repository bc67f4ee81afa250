package gateway

import (
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/gin-gonic/gin"

	"dataledger/certs"
)

// Keystore holds issuer signing keys by organization, read from
// passphrase-encrypted PKCS#8 files: the gateway signs the documents whose
// content it only knows at submit time (a certificate's 区块链编号).
type Keystore struct {
	keys map[string]*certs.PrivateKey // by MSP ID
}

// LoadKeystore reads "MSPID=path" entries, each an encrypted private key.
func LoadKeystore(entries []string, passphrase []byte) (*Keystore, error) {
	ks := &Keystore{keys: map[string]*certs.PrivateKey{}}
	for _, e := range entries {
		org, path, ok := strings.Cut(e, "=")
		if !ok || org == "" || path == "" {
			return nil, fmt.Errorf("issuer key %q: want MSPID=path", e)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		// The block ParsePrivateKeyPEM reads must itself be encrypted: the
		// text "ENCRYPTED PRIVATE KEY" elsewhere in the file (a comment, a
		// second block) does not make a plain key encrypted.
		enc, err := certs.PrivateKeyEncryption(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if !enc.Encrypted {
			return nil, fmt.Errorf("%s: the gateway holds only passphrase-encrypted keys", path)
		}
		k, err := certs.ParsePrivateKeyPEM(data, passphrase)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ks.keys[org] = k
	}
	return ks, nil
}

// Key returns the signing key of an organization.
func (ks *Keystore) Key(org string) (*certs.PrivateKey, bool) {
	if ks == nil {
		return nil, false
	}
	k, ok := ks.keys[org]
	return k, ok
}

// issuerKey is the issuer key the gateway signs with for org; without one
// it answers 409, saying how to do without the gateway (instead).
func (s *Server) issuerKey(c *gin.Context, org, instead string) (*certs.PrivateKey, bool) {
	key, ok := s.cfg.Signers.Key(org)
	if !ok {
		abort(c, fail(http.StatusConflict, "this gateway holds no issuer key for "+org+": "+instead))
	}
	return key, ok
}

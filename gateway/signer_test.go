package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dataledger/certs"
)

// The gateway holds only encrypted keys, judged by the PEM block it reads,
// not by the words "ENCRYPTED PRIVATE KEY" anywhere in the file.
func TestKeystoreRefusesAPlainKeyThatSaysEncrypted(t *testing.T) {
	dir := t.TempDir()
	key, _ := certs.GenerateKey(nil)
	plain, _ := key.PEM(nil)
	for name, data := range map[string]string{
		"comment":      "# ENCRYPTED PRIVATE KEY\n" + string(plain),
		"second block": string(plain) + "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".pem")
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeystore([]string{"CityAMSP=" + p}, []byte("any")); err == nil {
			t.Errorf("%s: the gateway loaded a plain key", name)
		}
	}
	// an encrypted key written before the KDF change still loads
	old, err := filepath.Abs("../certs/testdata/old-pbkdf2-2048.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	ks, err := LoadKeystore([]string{"CityAMSP=" + old}, []byte("old-passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ks.Key("CityAMSP"); !ok {
		t.Fatal("the old key is not held")
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dataledger/certs"
)

// keys gen writes an encrypted private key unless told --unencrypted.
func TestKeysGenEncryptsByDefault(t *testing.T) {
	t.Setenv(passphraseEnv, "")
	dir := t.TempDir()
	code, _, errOut := cli(t, "keys", "gen", "--out", dir, "--name", "k")
	if code == 0 {
		t.Fatal("keys gen wrote a key with no passphrase and no --unencrypted")
	}
	if !strings.Contains(errOut, "--passphrase-file") || !strings.Contains(errOut, passphraseEnv) || !strings.Contains(errOut, "--unencrypted") {
		t.Fatalf("the refusal does not say what to do: %q", errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "k.key.pem")); err == nil {
		t.Fatal("a refused keys gen left a key file")
	}

	pass := filepath.Join(dir, "pass")
	_ = os.WriteFile(pass, []byte("correct horse\n"), 0o600)
	if code, _, _ := cli(t, "keys", "gen", "--out", dir, "--name", "both", "--passphrase-file", pass, "--unencrypted"); code == 0 {
		t.Fatal("keys gen took a passphrase and --unencrypted together")
	}

	encrypted := func(name string) *certs.KeyEncryption {
		t.Helper()
		enc, err := certs.PrivateKeyEncryption(mustRead(t, filepath.Join(dir, name+".key.pem")))
		if err != nil {
			t.Fatal(err)
		}
		return enc
	}
	if code, _, errOut := cli(t, "keys", "gen", "--out", dir, "--name", "file", "--passphrase-file", pass); code != 0 {
		t.Fatalf("keys gen --passphrase-file: %d %s", code, errOut)
	}
	if enc := encrypted("file"); !enc.Encrypted || enc.Iterations < 600_000 || enc.PRF != "HMAC-SHA256" {
		t.Fatalf("--passphrase-file wrote a key protected by %s", enc)
	}

	t.Setenv(passphraseEnv, "from the environment")
	if code, _, errOut := cli(t, "keys", "gen", "--out", dir, "--name", "env"); code != 0 {
		t.Fatalf("keys gen with $%s: %d %s", passphraseEnv, code, errOut)
	}
	if enc := encrypted("env"); !enc.Encrypted || enc.Iterations < 600_000 {
		t.Fatalf("$%s wrote a key protected by %s", passphraseEnv, enc)
	}
	if _, err := certs.ParsePrivateKeyPEM(mustRead(t, filepath.Join(dir, "env.key.pem")), []byte("from the environment")); err != nil {
		t.Fatal(err)
	}

	t.Setenv(passphraseEnv, "")
	code, _, errOut = cli(t, "keys", "gen", "--out", dir, "--name", "plain", "--unencrypted")
	if code != 0 || !strings.Contains(errOut, "unencrypted") {
		t.Fatalf("keys gen --unencrypted: %d %q", code, errOut)
	}
	if enc := encrypted("plain"); enc.Encrypted {
		t.Fatal("--unencrypted wrote an encrypted key")
	}
}

package certs

import (
	"os"
	"strings"
	"testing"
	"time"
)

// A key PEM encrypts costs KeyIterations PBKDF2-HMAC-SHA256 rounds per
// guess, read back from the key's own PKCS#8 parameters (the library's
// default was 2,048), and still opens with its passphrase.
func TestEncryptedKeyUsesTheStrongKDF(t *testing.T) {
	if KeyIterations < 600_000 {
		t.Fatalf("KeyIterations %d is below 600,000", KeyIterations)
	}
	k := mustKey(t)
	start := time.Now()
	pemKey, err := k.PEM([]byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := PrivateKeyEncryption(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	if !enc.Encrypted || enc.Scheme != "PBES2" || enc.KDF != "PBKDF2" || enc.PRF != "HMAC-SHA256" || enc.Iterations != KeyIterations {
		t.Fatalf("the key is protected by %s (%+v), want PBES2 PBKDF2-HMAC-SHA256 with %d iterations", enc, enc, KeyIterations)
	}
	back, err := ParsePrivateKeyPEM(pemKey, []byte("correct horse"))
	if err != nil || back.Public().KeyID() != k.Public().KeyID() {
		t.Fatalf("the key does not read back: %v", err)
	}
	if _, err := ParsePrivateKeyPEM(pemKey, []byte("wrong")); err == nil {
		t.Fatal("a wrong passphrase opened the key")
	}
	t.Logf("encrypt and decrypt: %v (%s)", time.Since(start), enc)
	plain, _ := k.PEM(nil)
	if enc, err := PrivateKeyEncryption(plain); err != nil || enc.Encrypted {
		t.Fatalf("a plain key reads as %v %v", enc, err)
	}
}

// A key written before the change (PBKDF2-HMAC-SHA256, 2,048 iterations,
// testdata/old-pbkdf2-2048.key.pem, passphrase "old-passphrase") still loads.
func TestOldKeysStillLoad(t *testing.T) {
	data, err := os.ReadFile("testdata/old-pbkdf2-2048.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := os.ReadFile("testdata/old-pbkdf2-2048.pub.pem")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := PrivateKeyEncryption(data)
	if err != nil || !enc.Encrypted || enc.Iterations != 2048 || enc.PRF != "HMAC-SHA256" {
		t.Fatalf("the old key reads as %v %v", enc, err)
	}
	k, err := ParsePrivateKeyPEM(data, []byte("old-passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if k.Public().KeyID() != pub.KeyID() {
		t.Fatal("the old key opened as another key")
	}
}

// "Is it encrypted" is the PEM block's type and content, not text found
// anywhere in the file.
func TestEncryptedIsTheBlockNotTheText(t *testing.T) {
	k := mustKey(t)
	plain, _ := k.PEM(nil)
	for name, data := range map[string]string{
		"comment before":    "# ENCRYPTED PRIVATE KEY (really)\n" + string(plain),
		"text after":        string(plain) + "-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
		"header-like label": strings.Replace(string(plain), "-----BEGIN PRIVATE KEY-----", "ENCRYPTED PRIVATE KEY\n-----BEGIN PRIVATE KEY-----", 1),
	} {
		enc, err := PrivateKeyEncryption([]byte(data))
		if err != nil || enc.Encrypted {
			t.Errorf("%s: reads as %v %v, want not encrypted", name, enc, err)
		}
	}
	// an ENCRYPTED PRIVATE KEY block holding a plain PrivateKeyInfo
	fake := strings.ReplaceAll(string(plain), "PRIVATE KEY", "ENCRYPTED PRIVATE KEY")
	if enc, err := PrivateKeyEncryption([]byte(fake)); err == nil && enc.Encrypted {
		t.Errorf("a relabelled plain key reads as %v", enc)
	}
}

package certs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests cross every key and signature format with OpenSSL 3, an
// independent SM2/SM3 implementation. The test command installs openssl.

func openssl(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is required for the interop tests (scripts/test.sh installs it)")
	}
	cmd := exec.Command(bin, args...)
	if stdin != nil {
		cmd.Stdin = strings.NewReader(string(stdin))
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenSSLVerifiesOurSignature(t *testing.T) {
	dir := t.TempDir()
	key := mustKey(t)
	signed, err := Sign(mustJSON(t, sampleCertificate()), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	env, err := ParseEnvelope(signed)
	if err != nil {
		t.Fatal(err)
	}
	der := decodeSig(t, env)
	pub := writeFile(t, dir, "pub.pem", key.Public().PEM())
	msg := writeFile(t, dir, "msg", env.SigningInput())
	sig := writeFile(t, dir, "sig", der)
	out := openssl(t, nil, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:1234567812345678", "-in", msg, "-sigfile", sig)
	if !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Fatalf("openssl did not verify: %s", out)
	}
	// And refuses it over changed bytes.
	bad := writeFile(t, dir, "bad", append(env.SigningInput(), ' '))
	cmd := exec.Command("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:1234567812345678", "-in", bad, "-sigfile", sig)
	if err := cmd.Run(); err == nil {
		t.Fatal("openssl verified our signature over changed bytes")
	}
}

func TestWeVerifyOpenSSLSignature(t *testing.T) {
	dir := t.TempDir()
	keyPEM := openssl(t, nil, "genpkey", "-algorithm", "SM2")
	keyFile := writeFile(t, dir, "key.pem", keyPEM)
	priv, err := ParsePrivateKeyPEM(keyPEM, nil)
	if err != nil {
		t.Fatalf("we cannot read OpenSSL's private key: %v", err)
	}
	pubPEM := openssl(t, nil, "pkey", "-in", keyFile, "-pubout")
	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatalf("we cannot read OpenSSL's public key: %v", err)
	}
	if pub.KeyID() != priv.Public().KeyID() {
		t.Fatal("OpenSSL's public key differs from the one in its private key")
	}
	// Build the envelope by hand: OpenSSL signs the canonical bytes.
	doc := sampleCredential()
	doc.IssuerKeyID = pub.KeyID()
	input, err := Canonicalize(mustJSON(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	msg := writeFile(t, dir, "msg", input)
	sigFile := filepath.Join(dir, "sig")
	openssl(t, nil, "pkeyutl", "-sign", "-inkey", keyFile, "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:1234567812345678", "-in", msg, "-out", sigFile)
	der, err := os.ReadFile(sigFile)
	if err != nil {
		t.Fatal(err)
	}
	if !sm2Verify(pub, input, der) {
		t.Fatal("we do not verify OpenSSL's signature")
	}
	// The same signature as an envelope, verified the whole way.
	signed := attachSignature(t, input, pub.KeyID(), der)
	if _, err := VerifyOffline(signed, KeyRing{pub.KeyID(): pub}); err != nil {
		t.Fatalf("OpenSSL-signed envelope: %v", err)
	}
}

func TestOpenSSLReadsOurKeys(t *testing.T) {
	dir := t.TempDir()
	key := mustKey(t)
	plain, _ := key.PEM(nil)
	enc, _ := key.PEM([]byte("s3cret-pass"))
	for name, data := range map[string][]byte{"plain.pem": plain, "enc.pem": enc} {
		f := writeFile(t, dir, name, data)
		out := openssl(t, nil, "pkey", "-in", f, "-passin", "pass:s3cret-pass", "-text", "-noout")
		if !strings.Contains(string(out), "SM2") {
			t.Fatalf("openssl pkey %s does not show an SM2 key:\n%s", name, out)
		}
		// OpenSSL's public key from our private key has our key ID.
		pubPEM := openssl(t, nil, "pkey", "-in", f, "-passin", "pass:s3cret-pass", "-pubout")
		pub, err := ParsePublicKeyPEM(pubPEM)
		if err != nil || pub.KeyID() != key.Public().KeyID() {
			t.Fatalf("%s: OpenSSL derived another public key (%v)", name, err)
		}
	}
	pubFile := writeFile(t, dir, "pub.pem", key.Public().PEM())
	out := openssl(t, nil, "pkey", "-pubin", "-in", pubFile, "-text", "-noout")
	if !strings.Contains(string(out), "SM2") {
		t.Fatalf("openssl does not read our public key as SM2:\n%s", out)
	}
	// And we read an encrypted key written by OpenSSL.
	encByOpenSSL := openssl(t, nil, "pkey", "-in", filepath.Join(dir, "plain.pem"), "-aes-256-cbc", "-passout", "pass:s3cret-pass")
	back, err := ParsePrivateKeyPEM(encByOpenSSL, []byte("s3cret-pass"))
	if err != nil {
		t.Fatalf("we cannot read OpenSSL's encrypted PKCS#8: %v", err)
	}
	if back.Public().KeyID() != key.Public().KeyID() {
		t.Fatal("encrypted key written by OpenSSL read back as another key")
	}
}

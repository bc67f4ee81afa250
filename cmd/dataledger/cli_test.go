package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
)

func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestKeysSignVerifyExitCodes(t *testing.T) {
	t.Setenv(passphraseEnv, "")
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	_ = os.WriteFile(pass, []byte("correct horse\n"), 0o600)
	code, out, errOut := cli(t, "keys", "gen", "--out", dir, "--name", "nanning", "--passphrase-file", pass)
	if code != 0 || len(strings.TrimSpace(out)) != 64 {
		t.Fatalf("keys gen: %d %q %q", code, out, errOut)
	}
	keyID := strings.TrimSpace(out)
	if code, _, _ := cli(t, "keys", "gen", "--out", dir, "--name", "nanning", "--unencrypted"); code == 0 {
		t.Fatal("keys gen overwrote an existing key")
	}
	pub, err := certs.ParsePublicKeyPEM(mustRead(t, filepath.Join(dir, "nanning.pub.pem")))
	if err != nil || pub.KeyID() != keyID {
		t.Fatalf("the printed key ID is not the public key's: %v", err)
	}

	doc := domain.Credential{Type: domain.DocTypeCredential,
		AuthorizationNumber: domain.Number{Prefix: domain.PrefixAuthorization, Division: "450100", Year: 2026, Serial: "CL1TE771"}.String(),
		HolderName:          "广西数智科技有限公司", HolderCreditCode: "91450100MA5L0000AW", Scope: "公共交通客流数据",
		ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", IssuingDepartment: "南宁市大数据发展局", IssueDate: "2026-01-01",
		DivisionCode: "450100", Channel: "nanning", AgreementDigest: certs.SM3Hex([]byte("a"))}
	in := filepath.Join(dir, "in.json")
	b, _ := json.Marshal(doc)
	_ = os.WriteFile(in, b, 0o644)
	if code, _, errOut := cli(t, "cert", "sign", "--key", filepath.Join(dir, "nanning.key.pem"), in); code == 0 {
		t.Fatalf("signed with an encrypted key and no passphrase: %s", errOut)
	}
	code, signed, errOut := cli(t, "cert", "sign", "--key", filepath.Join(dir, "nanning.key.pem"), "--passphrase-file", pass, in)
	if code != 0 {
		t.Fatalf("cert sign: %d %s", code, errOut)
	}
	signedPath := filepath.Join(dir, "signed.json")
	_ = os.WriteFile(signedPath, []byte(signed), 0o644)

	code, out, _ = cli(t, "cert", "verify", "--offline", "--key", filepath.Join(dir, "nanning.pub.pem"), signedPath)
	if code != 0 || !strings.Contains(out, "valid signature") || !strings.Contains(out, keyID) || !strings.Contains(out, "授权编号") {
		t.Fatalf("verify: %d %s", code, out)
	}
	if code, out, _ := cli(t, "cert", "verify", "--offline", "--keyring", dir, signedPath); code != 0 || !strings.Contains(out, "valid signature") {
		t.Fatalf("verify with a keyring: %d %s", code, out)
	}

	tampered := filepath.Join(dir, "tampered.json")
	_ = os.WriteFile(tampered, []byte(strings.Replace(signed, "2027-12-31", "2029-12-31", 1)), 0o644)
	if code, _, errOut := cli(t, "cert", "verify", "--offline", "--key", filepath.Join(dir, "nanning.pub.pem"), tampered); code != 1 || !strings.Contains(errOut, "bad_signature") {
		t.Fatalf("tampered: %d %s", code, errOut)
	}
	if code, _, _ := cli(t, "keys", "gen", "--out", dir, "--name", "other", "--unencrypted"); code != 0 {
		t.Fatal("second key")
	}
	if code, _, errOut := cli(t, "cert", "verify", "--offline", "--key", filepath.Join(dir, "other.pub.pem"), signedPath); code != 1 || !strings.Contains(errOut, "unknown_key") {
		t.Fatalf("no matching key: %d %s", code, errOut)
	}
	// Signed correctly, but a field breaks its rule: exit 2, naming the field.
	key, err := certs.ParsePrivateKeyPEM(mustRead(t, filepath.Join(dir, "nanning.key.pem")), []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	bad := doc
	bad.Channel = "NAN NING"
	b, _ = json.Marshal(bad)
	badSigned, err := certs.Sign(b, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	malformed := filepath.Join(dir, "malformed.json")
	_ = os.WriteFile(malformed, badSigned, 0o644)
	if code, _, errOut := cli(t, "cert", "verify", "--offline", "--key", filepath.Join(dir, "nanning.pub.pem"), malformed); code != 2 || !strings.Contains(errOut, "channel") {
		t.Fatalf("a signed document with a malformed field: %d %s", code, errOut)
	}
	_ = os.WriteFile(malformed, []byte(`{"docType":"dataledger.credential.v1"`), 0o644)
	if code, _, errOut := cli(t, "cert", "verify", "--offline", "--key", filepath.Join(dir, "nanning.pub.pem"), malformed); code != 2 || !strings.Contains(errOut, "malformed") {
		t.Fatalf("malformed JSON: %d %s", code, errOut)
	}
	if code, _, _ := cli(t, "cert", "verify", "--key", filepath.Join(dir, "nanning.pub.pem"), signedPath); code != 2 {
		t.Fatal("verification without --offline must say it needs the gateway")
	}
}

func TestSignRefusesAnInvalidDocument(t *testing.T) {
	t.Setenv(passphraseEnv, "")
	dir := t.TempDir()
	if code, _, _ := cli(t, "keys", "gen", "--out", dir, "--name", "k", "--unencrypted"); code != 0 {
		t.Fatal("keys gen")
	}
	in := filepath.Join(dir, "in.json")
	_ = os.WriteFile(in, []byte(`{"docType":"dataledger.credential.v1","holderCreditCode":"91450100MA5L0000AX"}`), 0o644)
	code, _, errOut := cli(t, "cert", "sign", "--key", filepath.Join(dir, "k.key.pem"), in)
	if code != 2 || !strings.Contains(errOut, "malformed") {
		t.Fatalf("signing an invalid document: %d %s", code, errOut)
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIndexDatabaseIsNamedForItsHome: purging one network's home drops
// only that network's index.
func TestIndexDatabaseIsNamedForItsHome(t *testing.T) {
	t.Setenv("DATALEDGER_INDEX_DB", "")
	seen := map[string]string{}
	for home, db := range map[string]string{"/a/.run": "/dataledger_run_", "/b/.run": "/dataledger_run_", "/x/.run-it": "/dataledger_run_it_", "/tmp/Demo Net": "/dataledger_demo_net_"} {
		got := indexDSN(home)
		if !strings.Contains(got, db) || seen[got] != "" {
			t.Errorf("%s: %s (also %s's)", home, got, seen[got])
		}
		seen[got] = home
	}
	t.Setenv("DATALEDGER_INDEX_DB", "postgres://h/other")
	if got := indexDSN(".run"); got != "postgres://h/other" {
		t.Errorf("the environment: %s", got)
	}
}

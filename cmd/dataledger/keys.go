package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"

	"dataledger/certs"
)

func keysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Issuer signing keys (SM2)"}
	var out, name, passFile string
	var unencrypted bool
	gen := &cobra.Command{
		Use:   "gen --out DIR --name N (--passphrase-file F | $" + passphraseEnv + " | --unencrypted)",
		Short: "Generate an SM2 key pair as N.key.pem (PKCS#8) and N.pub.pem (SPKI); prints the key ID",
		Long: `The private key is encrypted (PBES2: PBKDF2-HMAC-SHA256, 600,000 iterations,
AES-256-CBC) with the passphrase in --passphrase-file or, without it, in $` + passphraseEnv + `.
A plain private key is written only with --unencrypted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`).MatchString(name) {
				return fmt.Errorf("--name %q: use letters, digits, '.', '_' and '-'", name)
			}
			pass, err := readPassphrase(passFile)
			if err != nil {
				return err
			}
			switch {
			case pass == nil && !unencrypted:
				return fmt.Errorf("refusing to write an unencrypted private key: give --passphrase-file FILE or set %s, or --unencrypted to write a plain key on purpose", passphraseEnv)
			case pass != nil && unencrypted:
				return fmt.Errorf("--unencrypted with a passphrase (--passphrase-file or %s): say one or the other", passphraseEnv)
			case unencrypted:
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s is written unencrypted (--unencrypted): anyone who can read the file can sign as this issuer\n", filepath.Join(out, name+".key.pem"))
			}
			key, err := certs.GenerateKey(nil)
			if err != nil {
				return err
			}
			privPEM, err := key.PEM(pass)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o700); err != nil {
				return err
			}
			privPath := filepath.Join(out, name+".key.pem")
			if _, err := os.Stat(privPath); err == nil {
				return fmt.Errorf("%s exists: refusing to overwrite a key", privPath)
			}
			if err := os.WriteFile(privPath, privPEM, 0o600); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, name+".pub.pem"), key.Public().PEM(), 0o644); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), key.Public().KeyID())
			return nil
		},
	}
	gen.Flags().StringVar(&out, "out", "", "directory for the key files")
	gen.Flags().StringVar(&name, "name", "", "base name of the key files")
	gen.Flags().StringVar(&passFile, "passphrase-file", "", "encrypt the private key with the passphrase in this file (default: $"+passphraseEnv+")")
	gen.Flags().BoolVar(&unencrypted, "unencrypted", false, "write the private key unencrypted (only on purpose: tests, a key kept in an HSM-less sandbox)")
	_ = gen.MarkFlagRequired("out")
	_ = gen.MarkFlagRequired("name")
	cmd.AddCommand(gen)
	return cmd
}

// passphraseEnv holds a private key's passphrase when no
// --passphrase-file is given.
const passphraseEnv = "DATALEDGER_KEY_PASSPHRASE"

// readPassphrase reads the passphrase in path (its trailing newline
// dropped) or, when path is "", in $DATALEDGER_KEY_PASSPHRASE; nil when
// neither gives one.
func readPassphrase(path string) ([]byte, error) {
	if path == "" {
		if v := os.Getenv(passphraseEnv); v != "" {
			return []byte(v), nil
		}
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) == 0 {
		return nil, fmt.Errorf("--passphrase-file %s is empty", path)
	}
	return b, nil
}

func loadPrivateKey(path, passFile string) (*certs.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pass, err := readPassphrase(passFile)
	if err != nil {
		return nil, err
	}
	k, err := certs.ParsePrivateKeyPEM(data, pass)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"dataledger/certs"
)

func certCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "cert", Short: "Sign and verify credentials (电子凭证) and product certificates (数据产品登记证书)"}

	var keyPath, passFile string
	sign := &cobra.Command{
		Use:   "sign --key N.key.pem IN.json",
		Short: "Sign a document; the signed JSON goes to standard output",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := loadPrivateKey(keyPath, passFile)
			if err != nil {
				return err
			}
			doc, err := readInput(args[0])
			if err != nil {
				return err
			}
			signed, err := certs.Sign(doc, key, nil)
			if err != nil {
				return &exitError{2, err}
			}
			// Refuse to sign what a verifier would refuse.
			if _, err := certs.DecodeDocument(signed); err != nil {
				return &exitError{2, err}
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", signed)
			return err
		},
	}
	sign.Flags().StringVar(&keyPath, "key", "", "PKCS#8 PEM private key")
	sign.Flags().StringVar(&passFile, "passphrase-file", "", "passphrase of an encrypted key (default: $"+passphraseEnv+")")
	_ = sign.MarkFlagRequired("key")

	var keys []string
	var keyring string
	var offline bool
	verify := &cobra.Command{
		Use:   "verify --offline (--key PUB.pem ... | --keyring DIR) CERT.json",
		Short: "Verify a document's SM2 signature and fields with no network",
		Long: `Exit status: 0 valid signature; 1 the signature does not verify or no key
matches; 2 the input is malformed (the field is named).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !offline {
				return &exitError{2, errors.New("only --offline verification is available from the CLI; ledger status is served by the gateway")}
			}
			ring := certs.KeyRing{}
			for _, p := range keys {
				data, err := os.ReadFile(p)
				if err != nil {
					return &exitError{2, err}
				}
				k, err := certs.ParsePublicKeyPEM(data)
				if err != nil {
					return &exitError{2, fmt.Errorf("%s: %w", p, err)}
				}
				ring.Add(k)
			}
			if keyring != "" {
				r, err := certs.LoadKeyRing(keyring)
				if err != nil {
					return &exitError{2, err}
				}
				for _, k := range r {
					ring.Add(k)
				}
			}
			if len(ring) == 0 {
				return &exitError{2, errors.New("give at least one --key or a --keyring with public keys")}
			}
			data, err := readInput(args[0])
			if err != nil {
				return &exitError{2, err}
			}
			v, err := certs.VerifyOffline(data, ring)
			if err != nil {
				var ce *certs.Error
				if errors.As(err, &ce) && ce.Reason != certs.ReasonMalformed {
					return &exitError{1, err}
				}
				return &exitError{2, err}
			}
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, "valid signature")
			fmt.Fprintf(w, "key ID: %s\n", v.KeyID)
			fmt.Fprintf(w, "document: %s\n", v.Document.DocType())
			for _, f := range v.Document.Fields() {
				fmt.Fprintf(w, "  %s (%s): %s\n", f.Label, f.Name, f.Value)
			}
			fmt.Fprintln(w, "note: this checks the signature and fields only; whether the document is registered and in force is on the ledger")
			return nil
		},
	}
	verify.Flags().BoolVar(&offline, "offline", false, "verify with the given keys only, no network")
	verify.Flags().StringArrayVar(&keys, "key", nil, "SPKI PEM public key (repeatable)")
	verify.Flags().StringVar(&keyring, "keyring", "", "directory of *.pem public keys")
	cmd.AddCommand(sign, verify)
	return cmd
}

// readInput reads a document file, or standard input for "-", bounded in
// size.
func readInput(path string) ([]byte, error) { return readLimited(path, certs.MaxDocumentSize) }

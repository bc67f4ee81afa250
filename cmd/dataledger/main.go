// Command dataledger runs the dataledger network, manages issuer keys and
// signs and verifies credentials and certificates.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() {
	root := &cobra.Command{
		Use:           "dataledger",
		Short:         "Registry and notarization ledger for public-data authorized operation",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	nc := networkCmd()
	nc.AddCommand(demoCmd())
	root.AddCommand(keysCmd(), certCmd(), nc, fabricCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "dataledger:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(2)
	}
}

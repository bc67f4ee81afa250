// Command dataledger runs the dataledger network, manages issuer keys and
// signs and verifies credentials and certificates.
package main

import (
	"context"
	"dataledger/chaincode/domain"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run executes the CLI and returns its exit status: 0 success; for
// verification 1 (does not verify, no key) and 2 (malformed input); a
// refusal by a rule the exit code of its kind (domain.Answers, 3–7); 2
// for any other error.
func run(args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "dataledger",
		Short:         "Registry and notarization ledger for public-data authorized operation",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	nc := networkCmd()
	nc.AddCommand(demoCmd(), calendarCmd())
	root.AddCommand(keysCmd(), certCmd(), nc, channelCmd(), caCmd(), orgCmd(), fabricCmd(), gatewayCmd(), indexCmd(), reportCmd(), proofCmd(), auditCmd(), benchCmd())
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(stderr, "dataledger:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		if re, ok := domain.AsRule(err); ok {
			return domain.AnswerOf(re).Exit
		}
		return 2
	}
	return 0
}

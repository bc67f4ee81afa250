package gateway

import (
	"fmt"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"dataledger/chaincode/contract"
	"dataledger/chaincode/domain"
	"dataledger/network"
)

// The gateway and the chaincode are built separately and meet only at run
// time, by function name and argument count: a renamed transaction or a
// dropped parameter would pass every unit test on either side and fail only
// against a network. These tests hold the gateway's table-driven calls
// (acl.yaml) to the contract; its fixed calls go through the typed client
// (network.Tx), checked in network/transactions_test.go.

// contractTransactions maps each transaction of *contract.Contract to the
// number of arguments it takes after the transaction context. Methods
// promoted from the embedded contractapi.Contract (GetName, GetInfo, …) are
// the framework's, not transactions, and are left out.
func contractTransactions(t *testing.T) map[string]int {
	t.Helper()
	ctxType := reflect.TypeOf((*contractapi.TransactionContextInterface)(nil)).Elem()
	framework := reflect.TypeOf(&contractapi.Contract{})
	txs := map[string]int{}
	ct := reflect.TypeOf(&contract.Contract{})
	for i := 0; i < ct.NumMethod(); i++ {
		m := ct.Method(i)
		if _, promoted := framework.MethodByName(m.Name); promoted {
			continue
		}
		// m.Type's parameters: the receiver, then the context (which
		// contractapi lets a transaction omit), then its arguments.
		args := m.Type.NumIn() - 1
		if args > 0 && m.Type.In(1) == ctxType {
			args--
		}
		txs[m.Name] = args
	}
	if len(txs) == 0 {
		t.Fatal("found no transactions on *contract.Contract")
	}
	return txs
}

// txRowMismatches checks every row naming a chaincode function. txHandler
// (tx.go) turns each entry of a row's args into exactly one chaincode
// argument, in order: param:NAME the path parameter, query:NAME[=default]
// the query value or its default (so a paged list's pageSize and bookmark
// are two arguments, always sent), body the raw body, body:FIELD one body
// member. It adds nothing of its own (the channel is where the call goes,
// not an argument), and Ledger.Evaluate/Submit pass the list through
// unchanged, so a row supplies len(Args) arguments.
func txRowMismatches(acl *ACL, txs map[string]int) []string {
	var bad []string
	for _, r := range acl.Routes {
		if r.Tx == "" {
			continue
		}
		row := r.Method + " " + r.Path
		want, ok := txs[r.Tx]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("acl.yaml row %s: tx %s is not a transaction of contract.Contract", row, r.Tx))
		case len(r.Args) != want:
			bad = append(bad, fmt.Sprintf("acl.yaml row %s: tx %s takes %d arguments after the context, the row supplies %d %q", row, r.Tx, want, len(r.Args), r.Args))
		case r.Submit == network.IsQuery(r.Tx):
			// A write served as a query would be evaluated (never ordered)
			// and its answer cached; a query submitted would be ordered.
			bad = append(bad, fmt.Sprintf("acl.yaml row %s: submit is %v but the typed client declares %s a %s", row, r.Submit, r.Tx, map[bool]string{true: "query", false: "write"}[network.IsQuery(r.Tx)]))
		}
	}
	return bad
}

func TestACLTxRowsMatchContract(t *testing.T) {
	acl, err := LoadACL(nil)
	if err != nil {
		t.Fatal(err)
	}
	txs := contractTransactions(t)
	for _, msg := range txRowMismatches(acl, txs) {
		t.Error(msg)
	}

	exposed := map[string]bool{}
	for _, r := range acl.Routes {
		exposed[r.Tx] = true
	}
	for fn := range typedCalls(t, txs) {
		exposed[fn] = true
	}
	var unexposed []string
	for name := range txs {
		if !exposed[name] {
			unexposed = append(unexposed, name)
		}
	}
	sort.Strings(unexposed)
	t.Logf("%d contract transactions; no route or handler of the gateway calls: %s", len(txs), strings.Join(unexposed, ", "))
}

// TestTxRowMismatchesCatchesBreakage keeps the check above honest: a row
// naming a missing function, or supplying one argument too many or too
// few, is reported by its row.
func TestTxRowMismatchesCatchesBreakage(t *testing.T) {
	txs := contractTransactions(t)
	acl := &ACL{Routes: []Route{
		{Method: "GET", Path: "/ok", Tx: "GetCredential", Args: []string{"param:number"}},
		{Method: "GET", Path: "/missing", Tx: "GetCredentials", Args: []string{"param:number"}},
		{Method: "GET", Path: "/too-many", Tx: "GetProfile", Args: []string{"query:x"}},
		{Method: "GET", Path: "/too-few", Tx: "ListParties", Args: []string{"query:pageSize=50"}},
	}}
	got := txRowMismatches(acl, txs)
	for _, row := range []string{"GET /missing:", "GET /too-many:", "GET /too-few:"} {
		if !containsPrefixed(got, "acl.yaml row "+row) {
			t.Errorf("row %s not reported; reported: %q", row, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("want 3 reports, got %d: %q", len(got), got)
	}
}

func containsPrefixed(msgs []string, prefix string) bool {
	for _, m := range msgs {
		if strings.HasPrefix(m, prefix) {
			return true
		}
	}
	return false
}

// typedCalls are the transactions the gateway calls outside txHandler,
// through the typed client (network.Tx.X, or a *network.Client's method
// X): their names and argument lists are checked against the contract by
// network/transactions_test.go, which also fails on a transaction named
// in a string literal outside network/transactions.go.
func typedCalls(t *testing.T, txs map[string]int) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(gotoken.NewFileSet(), name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if _, isTx := txs[sel.Sel.Name]; isTx {
					calls[sel.Sel.Name] = true
				}
			}
			return true
		})
	}
	if len(calls) == 0 {
		t.Fatal("found no typed-client calls in the gateway's sources")
	}
	return calls
}

// An enterprise's key acts as its own identity on the routes the public
// may not call: each such route's transaction must be one the chaincode's
// enterprise table lets it call, or the route would only ever be refused.
func TestEnterpriseRoutesAreInTheEnterpriseTable(t *testing.T) {
	acl, err := LoadACL(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range acl.Routes {
		if r.Tx == "" || !r.Allows(RoleEnterprise) || r.Allows(RolePublic) {
			continue
		}
		if !slices.Contains(domain.EnterpriseTransactions(), r.Tx) {
			t.Errorf("%s %s lets enterprise keys call %s, which the enterprise table refuses (chaincode/domain/reads.go)", r.Method, r.Path, r.Tx)
		}
	}
}

package gateway

import (
	"fmt"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"dataledger/chaincode/contract"
)

// The gateway and the chaincode are built separately and meet only at run
// time, by function name and argument count: a renamed transaction or a
// dropped parameter would pass every unit test on either side and fail only
// against a network. These tests hold the gateway's calls to the contract.

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
	for _, c := range handlerCalls {
		exposed[c.fn] = true
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

// handlerCalls are the chaincode calls the gateway makes outside txHandler,
// with the number of arguments each passes after the function name,
// transcribed from the code. TestHandlerCallsMatchContract checks the
// transcription against the sources where it can (every function name the
// sources spell out is listed here and vice versa; a call made directly
// with the name has this many arguments after it); the counts of the
// calls made through a variable (verifyNumber, verifyDocument) or a
// builder (registerCertificate) are checked only against the contract.
var handlerCalls = []struct {
	where string
	fn    string
	args  int
}{
	{"handlers.go verifyNumber", "VerifyCredential", 1},                                   // number
	{"handlers.go verifyNumber", "VerifyCertificate", 1},                                  // number
	{"handlers.go verifyDocument", "VerifyCredentialDocument", 1},                         // the body
	{"handlers.go verifyDocument", "VerifyCertificateDocument", 1},                        // the body
	{"handlers.go issueCredential", "IssueCredential", 2},                                 // document, agreementNumber
	{"handlers.go registerCertificate (SubmitOwnTxID builder)", "RegisterCertificate", 2}, // signed certificate, applicationNumber
	{"web.go timeline", "History", 2},                                                     // record type, number
	{"events.go ExchangeListener", "AcknowledgeCertificate", 2},                           // number, action
	{"ledger.go FabricLedger.Ready", "GetJurisdiction", 0},                                // readiness probe
}

func TestHandlerCallsMatchContract(t *testing.T) {
	txs := contractTransactions(t)
	listed := map[string]int{}
	for _, c := range handlerCalls {
		listed[c.fn] = c.args
		want, ok := txs[c.fn]
		switch {
		case !ok:
			t.Errorf("%s calls %s, which is not a transaction of contract.Contract", c.where, c.fn)
		case c.args != want:
			t.Errorf("%s calls %s with %d arguments; it takes %d after the context", c.where, c.fn, c.args, want)
		}
	}

	// Every string literal in the gateway's own sources that names a
	// transaction must be a listed call (or a tx row's name, which
	// txHandler reads from the table, not from a literal).
	acl, err := LoadACL(nil)
	if err != nil {
		t.Fatal(err)
	}
	rowTx := map[string]bool{}
	for _, r := range acl.Routes {
		rowTx[r.Tx] = true
	}
	seen := map[string]bool{}
	fset := gotoken.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				checkDirectCall(t, fset, call, txs, listed)
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != gotoken.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if _, isTx := txs[s]; err != nil || !isTx {
				return true
			}
			seen[s] = true
			if _, ok := listed[s]; !ok && !rowTx[s] {
				t.Errorf("%s: names transaction %s, which handlerCalls does not list: add the call and its argument count", fset.Position(lit.Pos()), s)
			}
			return true
		})
	}
	for _, c := range handlerCalls {
		if !seen[c.fn] {
			t.Errorf("handlerCalls lists %s (%s), but no gateway source names it: remove or correct the entry", c.fn, c.where)
		}
	}
}

// checkDirectCall checks a call whose arguments include a transaction's
// name as a literal (x.Evaluate(ctx, who, channel, "History", a, b),
// c.Submit(channel, "AcknowledgeCertificate", a, b)): the arguments after
// the name are what the chaincode receives.
func checkDirectCall(t *testing.T, fset *gotoken.FileSet, call *ast.CallExpr, txs, listed map[string]int) {
	t.Helper()
	for i, a := range call.Args {
		lit, ok := a.(*ast.BasicLit)
		if !ok || lit.Kind != gotoken.STRING {
			continue
		}
		fn, err := strconv.Unquote(lit.Value)
		if _, isTx := txs[fn]; err != nil || !isTx {
			continue
		}
		if _, isFunc := call.Args[len(call.Args)-1].(*ast.FuncLit); isFunc || call.Ellipsis.IsValid() {
			return // a builder or a spread list: counted by hand in handlerCalls
		}
		if got := len(call.Args) - i - 1; got != listed[fn] || got != txs[fn] {
			t.Errorf("%s: calls %s with %d arguments; handlerCalls says %d, the contract takes %d", fset.Position(call.Pos()), fn, got, listed[fn], txs[fn])
		}
		return
	}
}

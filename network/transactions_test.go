package network_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"dataledger/chaincode/contract"
	"dataledger/chaincode/domain"
	"dataledger/network"
)

// contractTransactions are the contract's transactions by name, with
// their number of arguments: the exported methods of *contract.Contract
// that take a transaction context first (the others come from
// contractapi.Contract).
func contractTransactions(t *testing.T) map[string]int {
	t.Helper()
	ctxType := reflect.TypeFor[contractapi.TransactionContextInterface]()
	ct := reflect.TypeFor[*contract.Contract]()
	out := map[string]int{}
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		if m.Type.NumIn() >= 2 && m.Type.In(1) == ctxType {
			out[m.Name] = m.Type.NumIn() - 2 // receiver and context
		}
	}
	if len(out) < 40 {
		t.Fatalf("found only %d transactions on *contract.Contract: %v", len(out), out)
	}
	return out
}

// Every transaction of the contract is declared once in Tx, under its own
// name, with the contract's number of arguments, and is a method of
// *Client; Transactions lists exactly them.
func TestTxDeclaresEveryTransaction(t *testing.T) {
	want := contractTransactions(t)
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, network.Transactions) {
		t.Errorf("network.Transactions = %v\nthe contract's transactions: %v", network.Transactions, names)
	}
	tx := reflect.ValueOf(network.Tx)
	client := reflect.TypeFor[*network.Client]()
	for _, name := range names {
		m := tx.MethodByName(name)
		if !m.IsValid() {
			t.Errorf("network.Tx has no %s: declare it in network/transactions.go", name)
			continue
		}
		if _, ok := client.MethodByName(name); !ok {
			t.Errorf("*network.Client has no method %s", name)
		}
		in := make([]reflect.Value, m.Type().NumIn())
		for i := range in {
			pt := m.Type().In(i)
			if pt.Kind() == reflect.Func { // a signer: answer its zero values
				in[i] = reflect.MakeFunc(pt, func([]reflect.Value) []reflect.Value {
					outs := make([]reflect.Value, pt.NumOut())
					for j := range outs {
						outs[j] = reflect.Zero(pt.Out(j))
					}
					return outs
				})
				continue
			}
			in[i] = reflect.Zero(pt)
		}
		call := m.Call(in)[0]
		fn := call.FieldByName("Fn").String()
		args := call.FieldByName("Args").Interface().([]string)
		if b := call.FieldByName("build"); b.IsValid() && !b.IsNil() {
			args = make([]string, 0)
			out := call.MethodByName("Submit").Call([]reflect.Value{reflect.ValueOf(recorder{&args}), reflect.ValueOf("ch")})
			if err := out[2].Interface(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if fn != name {
			t.Errorf("network.Tx.%s calls %q", name, fn)
		}
		if len(args) != want[name] {
			t.Errorf("network.Tx.%s passes %d arguments, the contract takes %d", name, len(args), want[name])
		}
	}
	for _, q := range []string{"GetParty", "VerifyCredential", "History", "ListDisclosedProducts"} {
		if !network.IsQuery(q) {
			t.Errorf("IsQuery(%s) = false", q)
		}
	}
	for _, w := range []string{"RegisterParty", "VerifyConsistency", "Ping", "BenchProbe", "NoSuchFunction"} {
		if network.IsQuery(w) {
			t.Errorf("IsQuery(%s) = true", w)
		}
	}
}

// recorder is an Invoker that keeps the arguments of a transaction that
// contains its own ID.
type recorder struct{ args *[]string }

func (recorder) Evaluate(string, string, ...string) ([]byte, error) { return nil, nil }
func (recorder) Submit(string, string, ...string) (*network.Committed, error) {
	return &network.Committed{}, nil
}
func (r recorder) SubmitOwnTxID(_, _ string, build func(string) ([]string, error)) (*network.Committed, error) {
	args, err := build("tx-own")
	*r.args = args
	return &network.Committed{}, err
}

// literalExceptions are string literals equal to a transaction name that
// are not chaincode calls, by file (slash-separated, from the module root)
// and literal. Keep it short, and say why.
var literalExceptions = map[string]string{
	// The chaincode names its own benchmark functions in their refusal
	// ("BenchPut is a benchmark function; …"): the contract defines the
	// names, it does not call them.
	"chaincode/contract/bench.go BenchPut":   "the chaincode's refusal text",
	"chaincode/contract/bench.go BenchShape": "the chaincode's refusal text",
	"chaincode/contract/bench.go BenchLoad":  "the chaincode's refusal text",
	"chaincode/contract/bench.go BenchProbe": "the chaincode's refusal text",
}

// fileExceptions are whole files of the chaincode that define, not call,
// the transactions by name.
var fileExceptions = map[string]string{
	// Each row of the access table is named after the transaction it
	// guards; chaincode/contract/access_test.go checks every row against
	// the contract's transactions.
	"chaincode/domain/access.go": "the access table's actions",
	// The enterprise table names the transactions an enterprise identity
	// may call; chaincode/contract/access_test.go checks every row.
	"chaincode/domain/reads.go": "the enterprise table's transactions",
	// The OpenAPI table keys each acl.yaml row's tx (data, like acl.yaml
	// itself) to its request and answer types; gateway tests hold it to
	// acl.yaml and to the contract's result types.
	"gateway/schemas.go": "the OpenAPI types of acl.yaml's tx names",
}

// No Go product code outside network/transactions.go names a chaincode
// function: callers go through the typed client, so a renamed function or
// a changed argument list is one edit and a compile error, not a runtime
// refusal. (gateway/acl.yaml names functions as data; its own test checks
// every row against the contract.)
func TestNoTransactionNameOutsideTheTypedClient(t *testing.T) {
	names := contractTransactions(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			base := d.Name()
			if rel != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "testdata" || base == "vendor" || rel == "integration") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || rel == "network/transactions.go" {
			return nil
		}
		files++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if _, ok := names[s]; !ok {
				return true
			}
			key := rel + " " + s
			if _, ok := literalExceptions[key]; ok {
				used[key] = true
				return true
			}
			if _, ok := fileExceptions[rel]; ok {
				used[rel] = true
				return true
			}
			t.Errorf("%s:%d: the chaincode function %q is named outside network/transactions.go; call network.Tx.%s or (*network.Client).%s", rel, fset.Position(lit.Pos()).Line, s, s, s)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("walked only %d Go files under %s", files, root)
	}
	for key := range fileExceptions {
		if !used[key] {
			t.Errorf("file exception %q matches no literal any more: remove it", key)
		}
	}
	for key := range literalExceptions {
		if !used[key] {
			t.Errorf("exception %q matches no literal any more: remove it", key)
		}
	}
}

// fakeInvoker records the last call and answers a fixed payload.
type fakeInvoker struct {
	fn     string
	args   []string
	answer []byte
}

func (f *fakeInvoker) Evaluate(_, fn string, args ...string) ([]byte, error) {
	f.fn, f.args = fn, args
	return f.answer, nil
}

func (f *fakeInvoker) Submit(channel, fn string, args ...string) (*network.Committed, error) {
	f.fn, f.args = fn, args
	return &network.Committed{Channel: channel, TxID: "tx1", Result: f.answer}, nil
}

func (f *fakeInvoker) SubmitOwnTxID(channel, fn string, build func(string) ([]string, error)) (*network.Committed, error) {
	args, err := build("tx-own")
	f.fn, f.args = fn, args
	return &network.Committed{Channel: channel, TxID: "tx-own", Result: f.answer}, err
}

// Arguments reach the chaincode as it reads them (inputs as JSON, numbers
// and booleans as text) and answers decode by the declared type: JSON, a
// plain string as it is, no value as nothing.
func TestTxEncodesArgumentsAndDecodesAnswers(t *testing.T) {
	f := &fakeInvoker{answer: []byte(`{"creditCode":"91X","name":"甲","status":"active"}`)}
	p, res, err := network.Tx.RegisterParty(domain.PartyInput{CreditCode: "91X", Name: "甲"}).Submit(f, "nanning")
	if err != nil || p.CreditCode != "91X" || p.Status != "active" || res.TxID != "tx1" {
		t.Fatalf("RegisterParty: %+v %+v %v", p, res, err)
	}
	if f.fn != "RegisterParty" || len(f.args) != 1 || !strings.HasPrefix(f.args[0], `{"creditCode":"91X","name":"甲"`) {
		t.Errorf("RegisterParty sent %s %q", f.fn, f.args)
	}

	f.answer = []byte(`{"items":[],"bookmark":""}`)
	if _, err := network.Tx.ListParties(50, "bm").Evaluate(f, "nanning"); err != nil || !slices.Equal(f.args, []string{"50", "bm"}) {
		t.Errorf("ListParties sent %q (%v)", f.args, err)
	}
	f.answer = []byte(`{}`)
	if _, _, err := network.Tx.VerifyConsistency("SQ-1", "digest", true, "", "approved", "").Submit(f, "nanning"); err != nil || f.args[2] != "true" {
		t.Errorf("VerifyConsistency sent %q (%v)", f.args, err)
	}

	f.answer = []byte("2026-01-02T03:04:05.000000000+08:00")
	if s, _, err := network.Tx.Ping().Submit(f, "nanning"); err != nil || s != string(f.answer) {
		t.Errorf("Ping answered %q, %v", s, err)
	}
	f.answer = []byte("1000")
	if n, _, err := network.Tx.BenchLoad(0, 1000).Submit(f, "nanning"); err != nil || n != 1000 || !slices.Equal(f.args, []string{"0", "1000"}) {
		t.Errorf("BenchLoad answered %d, sent %q, %v", n, f.args, err)
	}
	f.answer = nil
	if _, _, err := network.Tx.BenchPut("k", "v").Submit(f, "nanning"); err != nil {
		t.Errorf("BenchPut: %v", err)
	}

	f.answer = []byte(`{"number":"DJ-1"}`)
	c, res, err := network.Tx.RegisterCertificate("SQ-APP", func(txID string) (string, error) { return "signed " + txID, nil }).Submit(f, "nanning")
	if err != nil || c.Number != "DJ-1" || res.TxID != "tx-own" || !slices.Equal(f.args, []string{"signed tx-own", "SQ-APP"}) {
		t.Errorf("RegisterCertificate: %+v %+v %q %v", c, res, f.args, err)
	}

	f.answer = []byte(`not json`)
	if _, err := network.Tx.GetParty("91X").Evaluate(f, "nanning"); err == nil {
		t.Error("an answer that is not the declared type decoded")
	}
	if raw, err := network.Tx.GetParty("91X").Raw(f, "nanning"); err != nil || string(raw) != "not json" {
		t.Errorf("Raw = %q, %v", raw, err)
	}
	if raw, err := network.RecordOf(f, "nanning", domain.TypeObjection, "YY-1"); err != nil || f.fn != "GetObjection" || string(raw) != "not json" {
		t.Errorf("RecordOf(objection) called %s: %q %v", f.fn, raw, err)
	}
	if raw, err := network.RecordOf(f, "nanning", domain.TypeParty, "91X"); err != nil || f.fn != "GetParty" || string(raw) != "not json" {
		t.Errorf("RecordOf(party) called %s: %q %v", f.fn, raw, err)
	}
	if _, err := network.RecordOf(f, "nanning", domain.TypeCalendar, "2026"); err == nil {
		t.Error("RecordOf read a record type that is not numbered")
	}
}

// TestEveryNumberedRecordIsReadable: proofs read every numbered record
// kind through RecordOf, each with its own Get query.
func TestEveryNumberedRecordIsReadable(t *testing.T) {
	for _, r := range domain.NumberedRecords {
		f := &fakeInvoker{answer: []byte(`{}`)}
		if _, err := network.RecordOf(f, "nanning", r.RecordType, r.Prefix+"-450100-2026-00000000-0"); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
		if !strings.HasPrefix(f.fn, "Get") || !strings.EqualFold(f.fn[3:], r.RecordType) {
			t.Errorf("%s is read with %s", r.Name, f.fn)
		}
	}
}

package contract

import (
	"reflect"
	"sort"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// readOnly are the transactions that write nothing and reveal only what
// every member of the channel may read: no row in the access table.
var readOnly = map[string]bool{
	"GetJurisdiction": true, "GetProfile": true, "GetCalendar": true,
	"GetParty": true, "ListParties": true, "ProveParties": true, "ProveFacts": true, "History": true,
	"GetIssuerKey": true, "ListIssuerKeys": true,
	"GetAgreement": true, "GetCredential": true, "VerifyCredential": true, "VerifyCredentialDocument": true, "ListCredentials": true,
	"GetApplication": true, "GetObligation": true, "GetCreditRecord": true, "GetEvaluation": true, "GetSelection": true, "GetPlan": true, "GetCertificate": true, "VerifyCertificate": true, "VerifyCertificateDocument": true,
	"GetObjection": true, "GetPrivatePart": true, "FindPrivateRecord": true, "ListEgressChecks": true, "ListAcknowledgements": true, "FindCertificateByNationalCode": true,
	"GetReport":                   true,
	"ListDisclosedAuthorizations": true, "ListDisclosedProducts": true, "ListDisclosedObligations": true,
	"Ping": true,
}

// benchOnly write raw benchmark keys and answer only on a network started
// for benchmarks (RuleBenchOff), never on a production one.
var benchOnly = map[string]bool{"BenchPut": true, "BenchShape": true, "BenchLoad": true, "BenchProbe": true}

// transactions are the exported methods of *Contract that Fabric calls:
// those whose first argument is the transaction context.
func transactions(t *testing.T) []string {
	ctxType := reflect.TypeOf((*contractapi.TransactionContextInterface)(nil)).Elem()
	ct := reflect.TypeOf(&Contract{})
	var out []string
	for i := 0; i < ct.NumMethod(); i++ {
		m := ct.Method(i)
		if m.Type.NumIn() > 1 && m.Type.In(1) == ctxType {
			out = append(out, m.Name)
		}
	}
	if len(out) < 40 {
		t.Fatalf("found %d transactions; the method set is not what this test expects", len(out))
	}
	sort.Strings(out)
	return out
}

// TestEveryWritingTransactionHasAnAccessRow: a new transaction that
// writes cannot skip the access table; it is read-only (listed above) or
// it has a row.
func TestEveryWritingTransactionHasAnAccessRow(t *testing.T) {
	txs := map[string]bool{}
	for _, name := range transactions(t) {
		txs[name] = true
		_, row := domain.AccessOf(domain.Action(name))
		switch {
		case readOnly[name] || benchOnly[name]:
			if row {
				t.Errorf("%s is listed as read-only or benchmark here and has an access row", name)
			}
		case !row:
			t.Errorf("transaction %s has no row in the access table (chaincode/domain/access.go); if it writes nothing, list it in readOnly", name)
		}
	}
	for _, act := range domain.Actions() {
		if !txs[string(act)] {
			t.Errorf("the access table has a row for %s, which is not a transaction", act)
		}
	}
	for name := range readOnly {
		if !txs[name] {
			t.Errorf("readOnly lists %s, which is not a transaction", name)
		}
	}
}

// sampleArgs overrides the "{}" every string argument gets where a
// transaction checks the argument's form before it begins.
var sampleArgs = map[string]map[int]string{
	"SetExchanges": {0: "[]"},
	"AdoptProfile": {0: "GX"},
}

// TestEveryTransactionAsksTheTableFirst runs every transaction the table
// restricts, on a bootstrapped channel where none of the records it names
// exists, as a clerk of the channel's authority (whom every restricted
// row refuses): the refusal is the row's, not "not found" nor a complaint
// about the arguments, so the adapter asked the table before it loaded
// or parsed anything of the ledger's.
func TestEveryTransactionAsksTheTableFirst(t *testing.T) {
	m := bootstrapped(t)
	at := reflect.ValueOf(app)
	storeType := reflect.TypeOf((*store.Store)(nil)).Elem()
	for _, act := range domain.Actions() {
		row, _ := domain.AccessOf(act)
		if row.Decider != "" || row.Org == domain.OrgAny {
			continue // the decider decides, or everyone may
		}
		t.Run(string(act), func(t *testing.T) {
			fn := at.MethodByName(string(act))
			if !fn.IsValid() || fn.Type().NumIn() < 1 || fn.Type().In(0) != storeType {
				t.Fatalf("App has no method %s(store.Store, …)", act)
			}
			refused(t, m, cityAClerk, row.Rule, func(s store.Store) error {
				args := []reflect.Value{reflect.ValueOf(s)}
				for i := 1; i < fn.Type().NumIn(); i++ {
					switch k := fn.Type().In(i); k.Kind() {
					case reflect.String:
						v, ok := sampleArgs[string(act)][i-1]
						if !ok {
							v = "{}"
						}
						args = append(args, reflect.ValueOf(v))
					default:
						args = append(args, reflect.Zero(k))
					}
				}
				out := fn.Call(args)
				err, _ := out[len(out)-1].Interface().(error)
				return err
			})
		})
	}
}

// Every row of the enterprise table (what an enterprise identity may call,
// domain.Actor.MayHave) names a transaction of the contract.
func TestEveryEnterpriseRowIsATransaction(t *testing.T) {
	txs := map[string]bool{}
	for _, name := range transactions(t) {
		txs[name] = true
	}
	for _, name := range domain.EnterpriseTransactions() {
		if !txs[name] {
			t.Errorf("the enterprise table has a row for %s, which is not a transaction", name)
		}
	}
}

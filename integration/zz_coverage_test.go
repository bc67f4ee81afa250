package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"dataledger/chaincode/contract"
)

// TestZZEveryTransactionRanOnAPeer runs after the other tests (files run
// in name order). It takes the list of transactions from the chaincode's
// own metadata, as the peer serves it, and fails unless the run completed
// every one of them on a real peer at least once, as the chaincode
// servers' logs record (a line per transaction that returned without
// error): a rule that only the peer enforces cannot hide behind the unit
// tests' fake store.
func TestZZEveryTransactionRanOnAPeer(t *testing.T) {
	c := connect(t, "CityAMSP", "clerk", nil)
	raw, err := c.Evaluate("nanning", "org.hyperledger.fabric:GetMetadata")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name string `json:"name"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	txs := meta.Contracts[contract.Name].Transactions
	if len(txs) < 40 {
		t.Fatalf("the metadata lists %d transactions of contract %q", len(txs), contract.Name)
	}
	logged, logs := chaincodeLog(t)
	ran := map[string]int{}
	for _, l := range logged {
		ran[l.Function]++
	}
	var missing []string
	for _, tx := range txs {
		if ran[tx.Name] == 0 {
			missing = append(missing, tx.Name)
		}
	}
	sort.Strings(missing)
	t.Logf("%d transactions in the metadata; %d invocations logged by %d chaincode servers", len(txs), sumOf(ran), logs)
	if len(missing) > 0 {
		t.Fatalf("never completed on a real peer in this run: %s", strings.Join(missing, ", "))
	}
}

func sumOf(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// loggedTx is a transaction a chaincode server completed, as its log
// line names it (contract.TxLogMarker): with its own function's name,
// which the block of a transaction with private arguments does not keep.
type loggedTx struct{ Channel, Function, TxID string }

// chaincodeLog reads every chaincode server's log of the run: the
// transactions they completed (one line per endorsement) and how many
// logs there were.
func chaincodeLog(t *testing.T) ([]loggedTx, int) {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(home, "logs", "cc.*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no chaincode server logs (%v)", err)
	}
	var out []loggedTx
	for _, path := range logs {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			// "2026/12/02 05:26:42 tx nanning IssueCredential 3f2a…"
			i := strings.Index(line, " "+contract.TxLogMarker+" ")
			if i < 0 {
				continue
			}
			if f := strings.Fields(line[i:]); len(f) == 4 {
				out = append(out, loggedTx{Channel: f[1], Function: f[2], TxID: f[3]})
			}
		}
	}
	return out, len(logs)
}

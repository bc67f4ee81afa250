package contract

import (
	"encoding/json"
	"fmt"
	"strings"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// Benchmark functions: a raw key-value put (the baseline every write path
// is measured against) and a bulk loader of synthetic credential records
// (the state sizes of the scale measurements). They answer only when the
// chaincode server runs with DATALEDGER_BENCH=1 (`network up --bench`),
// never on a production network.

// RuleBenchOff refuses the benchmark functions on a network not started
// for benchmarks.
const RuleBenchOff = "DL-BENCH-OFF"

func (a *App) benchOn(fn string) error {
	if !a.Bench {
		return domain.Forbidden(RuleBenchOff, "function", "%s is a benchmark function; this network was not started with `network up --bench`", fn)
	}
	return nil
}

// BenchPut writes value under a raw key: one read-free write, no rule, no
// signature (the write-path baseline).
func (a *App) BenchPut(s store.Store, key, value string) error {
	if err := a.benchOn("BenchPut"); err != nil {
		return err
	}
	k, err := s.Key(domain.TypeBench, key)
	if err != nil {
		return domain.Invalid(domain.RuleText, "key", "%v", err)
	}
	return s.Put(k, []byte(value))
}

// BenchShape is a raw put with a given state access pattern: it reads
// reads existing keys (shape-read-0…, written beforehand with BenchPut)
// and writes value under key plus writes-1 one-byte markers — the shape of
// a credential issuance (5 reads; the record and 3 index entries) with no
// rule, parsing or signature. It tells the cost of the product's code
// from the cost of the state it must touch.
func (a *App) BenchShape(s store.Store, key, value string, reads, writes int) error {
	if err := a.benchOn("BenchShape"); err != nil {
		return err
	}
	if reads < 0 || reads > 16 || writes < 1 || writes > 16 {
		return domain.Invalid("DL-BENCH-COUNT", "reads", "reads 0..16 and writes 1..16, got %d and %d", reads, writes)
	}
	for i := range reads {
		k, _ := s.Key(domain.TypeBench, fmt.Sprintf("shape-read-%d", i))
		if _, err := s.Get(k); err != nil {
			return err
		}
	}
	for i := range writes {
		k, err := s.Key(domain.TypeBench, key, fmt.Sprint(i))
		if err != nil {
			return domain.Invalid(domain.RuleText, "key", "%v", err)
		}
		v := []byte(value)
		if i > 0 {
			v = indexMarker
		}
		if err := s.Put(k, v); err != nil {
			return err
		}
	}
	return nil
}

// BenchLoad writes count synthetic credential records numbered from
// start (domain.SequenceNumber in the channel's division), active, with a
// small document: the bulk path that puts 10 k to 1 M records on the
// ledger for the scale measurements. They appear in the disclosure list
// like issued credentials; they carry no verifiable signature.
func (a *App) BenchLoad(s store.Store, start, count int) (int, error) {
	if err := a.benchOn("BenchLoad"); err != nil {
		return 0, err
	}
	if count < 1 || count > domain.MaxBenchLoad || start < 0 {
		return 0, domain.Invalid("DL-BENCH-COUNT", "count", "must be 1..%d records from a start ≥ 0, got %d from %d", domain.MaxBenchLoad, count, start)
	}
	// Bulk-loaded records are credentials: only the channel's issuer loads
	// them, even on a benchmark network.
	t, err := a.allowed(s, domain.ActIssueCredential)
	if err != nil {
		return 0, err
	}
	year := t.now.In(domain.CST).Year()
	for i := start; i < start+count; i++ {
		n := domain.SequenceNumber(domain.PrefixAuthorization, t.j.DivisionCode, year, uint64(i)).String()
		doc, _ := json.Marshal(map[string]string{"docType": domain.DocTypeCredential, "authorizationNumber": n, "note": "benchmark record"})
		rec := domain.CredentialRecord{
			Number: n, Document: doc, IssuerKeyID: "bench", HolderCreditCode: "bench", AgreementNumber: "bench",
			ValidFrom: t.now.Format("2006-01-02"), ValidUntil: t.now.AddDate(3, 0, 0).Format("2006-01-02"),
			Status: domain.CredentialValid, Version: 1,
		}
		rec.Issued = t.c
		rec.Issued.Action = "bench-load"
		rec.Last = rec.Issued
		if err := put(s, key(s, domain.TypeCredential, n), &rec); err != nil {
			return 0, fmt.Errorf("record %d: %w", i, err)
		}
	}
	return count, nil
}

// Store probes: BenchProbe runs one sequence of ledger calls whose outcome
// Fabric's peer decides (not our rules), so a test can run the same probe
// on store.Memory and on a real peer and require the same answer. The
// names are ProbeOps.
const (
	ProbePageAfterWrite = "page-after-write" // a paginated query after a write: refused
	ProbeWriteAfterPage = "write-after-page" // a write after a paginated query: refused
	ProbeEmptyKey       = "empty-key"        // a write under the empty key: refused
	ProbeSeed           = "seed"             // writes the probe's two keys (bench~probe a, b)
	ProbeBelowPrefix    = "below-prefix"     // a page of "bench~probe~none" from a bookmark below it: the keys it reads
	ProbeDelete         = "delete"           // writes an empty value under probe key a (a deletion)
	ProbeRead           = "read"             // reads probe key a: "absent" or its value
)

// ProbeOps lists the probes in the order a conformance test runs them.
var ProbeOps = []string{ProbePageAfterWrite, ProbeWriteAfterPage, ProbeEmptyKey, ProbeSeed, ProbeBelowPrefix, ProbeDelete, ProbeRead}

// BenchProbe runs a store probe (see ProbeOps); benchmark networks only.
func (a *App) BenchProbe(s store.Store, op string) (string, error) {
	if err := a.benchOn("BenchProbe"); err != nil {
		return "", err
	}
	probe := func(name string) string { k, _ := s.Key(domain.TypeBench+"~probe", name); return k }
	switch op {
	case ProbePageAfterWrite:
		if err := s.Put(probe("w"), []byte("x")); err != nil {
			return "", err
		}
		_, _, err := s.Page(domain.TypeBench+"~probe", nil, 1, "")
		return "paged", err
	case ProbeWriteAfterPage:
		if _, _, err := s.Page(domain.TypeBench+"~probe", nil, 1, ""); err != nil {
			return "", err
		}
		return "wrote", s.Put(probe("w"), []byte("x"))
	case ProbeEmptyKey:
		return "wrote", s.Put("", []byte("x"))
	case ProbeSeed:
		for _, k := range []string{"a", "b"} {
			if err := s.Put(probe(k), []byte("v-"+k)); err != nil {
				return "", err
			}
		}
		return "seeded", nil
	case ProbeBelowPrefix:
		kvs, _, err := s.Page(domain.TypeBench+"~probe~none", nil, 10, probe("a"))
		if err != nil {
			return "", err
		}
		var keys []string
		for _, kv := range kvs {
			keys = append(keys, lastAttr(kv.Key))
		}
		return strings.Join(keys, ","), nil
	case ProbeDelete:
		return "deleted", s.Put(probe("a"), nil)
	case ProbeRead:
		v, err := s.Get(probe("a"))
		if v == nil {
			return "absent", err
		}
		return string(v), err
	}
	return "", domain.Invalid("DL-BENCH-PROBE", "op", "%q is not one of %v", truncate(op), ProbeOps)
}

// ProbeAnswer is what a probe answers on Fabric's peer: its result, or a
// phrase of the peer's refusal.
type ProbeAnswer struct {
	Result, Refusal string
}

// ProbeWant holds the peer's answers, run in ProbeOps order on a ledger
// without probe keys; store.Memory must give the same.
var ProbeWant = map[string]ProbeAnswer{
	ProbePageAfterWrite: {Refusal: "Paginated queries are supported only in a read-only transaction"},
	ProbeWriteAfterPage: {Refusal: "Transaction has already performed a paginated query. Writes are not allowed"},
	ProbeEmptyKey:       {Refusal: "key must not be an empty string"},
	ProbeSeed:           {Result: "seeded"},
	ProbeBelowPrefix:    {Result: "a,b"}, // the peer bounds the range above only: a bookmark below the prefix reads other keys
	ProbeDelete:         {Result: "deleted"},
	ProbeRead:           {Result: "absent"}, // an empty value deleted the key
}

// ProbeCheck compares a probe's outcome with ProbeWant: "" when it is the
// peer's answer, otherwise what differs.
func ProbeCheck(op, result string, err error) string {
	want := ProbeWant[op]
	switch {
	case want.Refusal == "" && err != nil:
		return fmt.Sprintf("probe %s refused (%v), the peer answers %q", op, err, want.Result)
	case want.Refusal == "" && result != want.Result:
		return fmt.Sprintf("probe %s answered %q, the peer answers %q", op, result, want.Result)
	case want.Refusal != "" && (err == nil || !strings.Contains(err.Error(), want.Refusal)):
		return fmt.Sprintf("probe %s answered %q, %v; the peer refuses with %q", op, result, err, want.Refusal)
	}
	return ""
}

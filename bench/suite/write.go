package suite

import (
	"fmt"
	"strings"
	"time"

	"dataledger/bench/load"
	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

// WriteRow is one round of one write path at one number of transactions
// in flight.
type WriteRow struct {
	Path     string
	InFlight int
	Round    int
	load.Result
}

// Conflicts counts MVCC read conflicts.
func (w WriteRow) Conflicts() int { return w.Outcomes["MVCC_READ_CONFLICT"] }

// Write paths, in the order they run at each level.
const (
	PathRawPut    = "raw put (BenchPut)"
	PathShapedPut = "raw put, issuance's shape (5 reads, 4 writes)"
	// PathReadsPut is issuance's shape without its three listing indexes:
	// what issuance's state would cost if listing moved off the chain.
	PathReadsPut     = "raw put, issuance's reads (5 reads, 1 write)"
	PathIssuance     = "credential issuance"
	PathRegistration = "certificate registration"
)

// settle lets the ledger finish what the previous scenario or level left
// in flight (commits, block cutting, the peers' state writes) before a
// measurement starts.
func settle() { time.Sleep(3 * time.Second) }

// outcome classifies a submit's result as the load generators count it.
func outcome(err error) string {
	if code := network.CommitCode(err); code != "" {
		return code // VALID, or how the transaction committed invalid
	}
	if re, ok := domain.AsRule(err); ok {
		return "refused " + re.Rule
	}
	return "error" // not committed: a node down, a deadline
}

// RoundSize is the transactions per path and round at k in flight: a
// round of a full run holds at least four times k, so that filling and
// draining the pipeline (about one latency each) is a small part of it
// (at 256 in flight a round of 512 was two latencies long).
func (o Options) RoundSize(k int) int {
	n := max(1, o.WriteN/max(1, o.Rounds))
	if !o.Smoke {
		n = max(n, 4*k)
	}
	return n
}

// runWrite measures a raw put, credential issuance and certificate
// registration on one channel, each submit waiting for its commit, with
// the processes' CPU and memory sampled throughout.
func runWrite(o *Options, r *Report) error {
	is, err := sample.NewIssuer(o.Net, o.WriteChannel, "南宁市大数据发展局")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	defer is.Close()
	operator, err := is.Party(domain.PartyOperator, "压测运营平台")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	holder, err := is.Party(domain.PartyEnterprise, "压测持证企业")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	ag, err := is.CatalogAgreement(operator, holder, "压测持证企业")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	warm := max(4, o.WriteN/16) // warm-up transactions per path, before the clock
	rounds := max(1, o.Rounds)
	per := o.RoundSize
	total := warm
	base := make([]int, len(o.WriteLevels)) // the first transaction of each level
	for level, k := range o.WriteLevels {
		base[level] = total - warm
		total += per(k) * rounds
	}
	docs := make([]string, total)
	for i := range docs {
		if _, docs[i], err = is.Credential(ag, is.Key); err != nil {
			return err
		}
	}
	// The raw put writes a value the size of a signed credential.
	value := strings.Repeat("x", len(docs[0]))
	// Each submit waits for its commit; the answer is not decoded.
	submit := func(tx interface {
		SubmitRaw(network.Invoker, string) (*network.Committed, error)
	}) string {
		_, err := tx.SubmitRaw(is.Operator, o.WriteChannel)
		return outcome(err)
	}
	if got := submit(network.Tx.BenchPut("warm-up", value)); got != "VALID" {
		return fmt.Errorf("BenchPut: %s (start the network with `network up --bench`)", got)
	}
	// What BenchShape reads: the jurisdiction (with the profile in force),
	// a key, a party, an agreement and a record's worth of bytes.
	for i := range 5 {
		if got := submit(network.Tx.BenchPut(fmt.Sprintf("shape-read-%d", i), value)); got != "VALID" {
			return fmt.Errorf("BenchPut: %s", got)
		}
	}
	runID := fmt.Sprint(r.Started.UnixNano())
	type path struct {
		name string
		do   func(i int) string
	}
	// pathsAt are the four paths writing the transactions numbered from base.
	pathsAt := func(base int) []path {
		return []path{
			{PathRawPut, func(i int) string { return submit(network.Tx.BenchPut(fmt.Sprintf("%s-%d", runID, base+i), value)) }},
			{PathShapedPut, func(i int) string {
				return submit(network.Tx.BenchShape(fmt.Sprintf("%s-s%d", runID, base+i), value, 5, 4))
			}},
			{PathReadsPut, func(i int) string {
				return submit(network.Tx.BenchShape(fmt.Sprintf("%s-r%d", runID, base+i), value, 5, 1))
			}},
			{PathIssuance, func(i int) string { return submit(network.Tx.IssueCredential(docs[base+i], ag.Number)) }},
			{PathRegistration, func(i int) string {
				_, build := is.CertificateFor(holder, "压测持证企业", fmt.Sprintf("压测产品%s-%06d", runID[len(runID)-6:], base+i), []string{"RES-450100-0001"}, true)
				// The transaction alone, waiting for its commit as the other
				// paths do (not the sample's wait for every peer's height:
				// three peer CLI processes a registration).
				return submit(network.Tx.RegisterCertificate("", build))
			}},
		}
	}
	for _, p := range pathsAt(total - warm) {
		if res := load.Run(8, warm, p.do); res.Outcomes["VALID"] != warm {
			return fmt.Errorf("warm-up of %s: %v", p.name, res.Outcomes)
		}
	}
	o.logf("   warm-up: %d transactions of each path", warm)
	sampler := startSampler(o.Net)
	for level, k := range o.WriteLevels {
		settle()
		for round := range rounds {
			for _, p := range pathsAt(base[level] + round*per(k)) {
				res := load.Run(k, per(k), p.do)
				r.Write = append(r.Write, WriteRow{Path: p.name, InFlight: k, Round: round, Result: res})
				o.logf("   %-26s round %d  %s", p.name, round+1, res)
			}
		}
	}
	r.Resources = sampler.stop()
	for _, rr := range r.Resources {
		o.logf("   %-20s cpu %5.1f%%  peak RSS %4d MB", rr.Process, rr.CPU, rr.PeakRSSMB)
	}
	return nil
}

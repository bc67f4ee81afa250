package suite

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"dataledger/bench/load"
	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

// ScaleRow is the read latencies with a number of records on the ledger.
type ScaleRow struct {
	Records    int
	LoadPerSec float64 // records per second of the bulk path to get here
	Verify     Latency // VerifyCredential of a real credential
	Page1      Latency // disclosure list, first page of 50
	DeepPage   Latency // the page DeepPageNo, reached by its bookmark
	DeepPageNo int
}

// Latency is a small sample's median and 99th percentile.
type Latency struct{ P50, P99 time.Duration }

// sampleLatency times n calls of do after one unmeasured warm-up call.
func sampleLatency(n int, do func() error) (Latency, error) {
	if err := do(); err != nil {
		return Latency{}, err
	}
	lat := make([]time.Duration, 0, n)
	for range n {
		t := time.Now()
		if err := do(); err != nil {
			return Latency{}, err
		}
		lat = append(lat, time.Since(t))
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	return Latency{lat[len(lat)/2], lat[len(lat)*99/100]}, nil
}

const disclosurePage = 50

// runScale loads synthetic credential records with the bulk path
// (BenchLoad, 1,000 per transaction, 8 in flight) up to each level and
// measures a verification and the disclosure list's first and deep pages.
func runScale(o *Options, r *Report) error {
	is, err := sample.NewIssuer(o.Net, o.ScaleChannel, "柳州市大数据发展局")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	defer is.Close()
	ag, err := is.HolderAgreement("压测规模企业")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	cred, signed, err := is.Credential(ag, is.Key)
	if err != nil {
		return err
	}
	if _, err := is.Issue(signed, ag); err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	cc := ledger{is.Operator, o.ScaleChannel}
	loaded, err := countLoaded(cc)
	if err != nil {
		return err
	}
	for _, level := range o.ScaleLevels {
		rate := 0.0
		if loaded < level {
			start := time.Now()
			if err := bulkLoad(cc, loaded, level); err != nil {
				return err
			}
			rate = float64(level-loaded) / time.Since(start).Seconds()
			o.logf("   loaded %d → %d records at %.0f records/s", loaded, level, rate)
			loaded = level
		}
		row := ScaleRow{Records: level, LoadPerSec: rate}
		samples := 200
		if o.Smoke {
			samples = 30
		}
		// The timed reads take the chaincode's answer undecoded (Raw): the
		// figures are the ledger's, not a client's JSON decoding.
		verify := network.Tx.VerifyCredential(cred.AuthorizationNumber)
		if row.Verify, err = sampleLatency(samples, func() error {
			_, err := verify.Raw(cc.c, cc.channel)
			return err
		}); err != nil {
			return fmt.Errorf("%s", network.ErrorText(err))
		}
		page1 := network.Tx.ListDisclosedAuthorizations(disclosurePage, "")
		if row.Page1, err = sampleLatency(samples/4, func() error {
			_, err := page1.Raw(cc.c, cc.channel)
			return err
		}); err != nil {
			return err
		}
		row.DeepPageNo = min(1000, level/disclosurePage)
		bookmark, err := skipTo(cc, (row.DeepPageNo-1)*disclosurePage)
		if err != nil {
			return err
		}
		deep := network.Tx.ListDisclosedAuthorizations(disclosurePage, bookmark)
		if row.DeepPage, err = sampleLatency(samples/4, func() error {
			_, err := deep.Raw(cc.c, cc.channel)
			return err
		}); err != nil {
			return err
		}
		r.Scale = append(r.Scale, row)
		o.logf("   %8d records: verify p50 %s p99 %s; page 1 p50 %s; page %d p50 %s", level, row.Verify.P50, row.Verify.P99, row.Page1.P50, row.DeepPageNo, row.DeepPage.P50)
	}
	return nil
}

// ledger is a client on the channel the benchmark uses.
type ledger struct {
	c       *network.Client
	channel string
}

// countLoaded finds how many bulk-loaded records the channel has already
// (the loader numbers them from 0, so the first missing one is the count).
func countLoaded(cc ledger) (int, error) {
	exists := func(i int) bool {
		b, err := network.Tx.GetCredential(benchNumber(cc, i)).Raw(cc.c, cc.channel)
		return err == nil && len(b) > 0
	}
	if !exists(0) {
		return 0, nil
	}
	lo, hi := 0, 1
	for exists(hi) {
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if exists(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

var benchDivision sync.Map // channel → division code

func benchNumber(cc ledger, i int) string {
	div, ok := benchDivision.Load(cc.channel)
	if !ok {
		j, err := cc.c.GetJurisdiction(cc.channel)
		if err != nil {
			j = &domain.Jurisdiction{}
		}
		div = j.DivisionCode
		benchDivision.Store(cc.channel, div)
	}
	return domain.SequenceNumber(domain.PrefixAuthorization, div.(string), time.Now().In(domain.CST).Year(), uint64(i)).String()
}

// bulkLoad writes records [from, to) in transactions of MaxBenchLoad.
func bulkLoad(cc ledger, from, to int) error {
	var chunks [][2]int
	for s := from; s < to; s += domain.MaxBenchLoad {
		chunks = append(chunks, [2]int{s, min(domain.MaxBenchLoad, to-s)})
	}
	var mu sync.Mutex
	var firstErr error
	res := load.Run(8, len(chunks), func(i int) string {
		_, err := network.Tx.BenchLoad(chunks[i][0], chunks[i][1]).SubmitRaw(cc.c, cc.channel)
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = fmt.Errorf("BenchLoad %v: %s", chunks[i], network.ErrorText(err))
			}
			mu.Unlock()
			return "error"
		}
		return "VALID"
	})
	if firstErr != nil {
		return firstErr
	}
	if res.Outcomes["VALID"] != len(chunks) {
		return fmt.Errorf("bulk load: %v", res.Outcomes)
	}
	return nil
}

// skipTo follows the disclosure list's bookmarks, 200 records a page,
// to the record at position pos, and returns the bookmark that starts
// there.
func skipTo(cc ledger, pos int) (string, error) {
	bookmark := ""
	for pos > 0 {
		n := min(pos, domain.MaxPageSize)
		page, err := cc.c.ListDisclosedAuthorizations(cc.channel, n, bookmark)
		if err != nil {
			return "", fmt.Errorf("%s", network.ErrorText(err))
		}
		if page.Bookmark == "" {
			return "", fmt.Errorf("the list ended before record %d", pos)
		}
		bookmark = page.Bookmark
		pos -= n
	}
	return bookmark, nil
}

// HistoryRow is the cost of reading a key's history of a given length.
type HistoryRow struct {
	Versions int
	Latency  Latency
	Bytes    int
}

// runHistory writes keys with 1 … N versions (each version its own
// transaction, keys in parallel) and reads each history.
func runHistory(o *Options, r *Report) error {
	c, err := o.Net.Connect(o.Net.D.Channel(o.WriteChannel).Authority, "operator", nil)
	if err != nil {
		return err
	}
	defer c.Close()
	run := fmt.Sprint(time.Now().UnixNano())
	value := strings.Repeat("h", 1024)
	var wg sync.WaitGroup
	errs := make([]error, len(o.HistoryLens))
	start := time.Now()
	for i, n := range o.HistoryLens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range n {
				if _, err := c.BenchPut(o.WriteChannel, fmt.Sprintf("hist-%s-%d", run, n), fmt.Sprintf(`{"version":%d,"pad":"%s"}`, v, value)); err != nil {
					errs[i] = fmt.Errorf("%s", network.ErrorText(err))
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	o.logf("   wrote histories of %v versions in %s", o.HistoryLens, time.Since(start).Round(time.Second))
	for _, n := range o.HistoryLens {
		key := fmt.Sprintf("hist-%s-%d", run, n)
		size := 0
		history := network.Tx.History(domain.TypeBench, key)
		lat, err := sampleLatency(20, func() error {
			b, err := history.Raw(c, o.WriteChannel)
			size = len(b)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s", network.ErrorText(err))
		}
		r.History = append(r.History, HistoryRow{Versions: n, Latency: lat, Bytes: size})
		o.logf("   %5d versions: history p50 %s p99 %s, %d bytes", n, lat.P50, lat.P99, size)
	}
	return nil
}

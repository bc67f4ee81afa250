// Package load drives a bounded number of requests in flight and reports
// throughput, latency percentiles and outcome counts. The load generators
// in bench/ run it in their own process, apart from the system under test.
package load

import (
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one run's figures.
type Result struct {
	InFlight  int
	Requests  int
	Elapsed   time.Duration
	PerSecond float64
	P50, P99  time.Duration
	Outcomes  map[string]int // "ok" and every failure class
}

// Run calls do(i) for i in [0, n) with at most inFlight calls at once. do
// returns an outcome class ("ok", "MVCC_READ_CONFLICT", …).
func Run(inFlight, n int, do func(i int) string) Result {
	lat := make([]time.Duration, n)
	outcomes := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < inFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				outcomes[i] = do(i)
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	r := Result{InFlight: inFlight, Requests: n, Elapsed: elapsed, PerSecond: float64(n) / elapsed.Seconds(), Outcomes: map[string]int{}}
	if n > 0 {
		r.P50, r.P99 = lat[n/2], lat[(n*99)/100]
	}
	for _, o := range outcomes {
		r.Outcomes[o]++
	}
	return r
}

// RunFor calls do with at most inFlight calls at once until d has passed
// (calls in progress then finish).
func RunFor(inFlight int, d time.Duration, do func(i int) string) Result {
	type sample struct {
		lat     time.Duration
		outcome string
	}
	var next atomic.Int64
	per := make([][]sample, inFlight)
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for w := 0; w < inFlight; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for time.Now().Before(stop) {
				t := time.Now()
				o := do(int(next.Add(1) - 1))
				per[w] = append(per[w], sample{time.Since(t), o})
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var lat []time.Duration
	r := Result{InFlight: inFlight, Elapsed: elapsed, Outcomes: map[string]int{}}
	for _, ss := range per {
		for _, s := range ss {
			lat = append(lat, s.lat)
			r.Outcomes[s.outcome]++
		}
	}
	r.Requests = len(lat)
	r.PerSecond = float64(r.Requests) / elapsed.Seconds()
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	if len(lat) > 0 {
		r.P50, r.P99 = lat[len(lat)/2], lat[(len(lat)*99)/100]
	}
	return r
}

func (r Result) String() string {
	return fmt.Sprintf("%4d in flight: %6d requests in %6.1fs = %7.1f/s  p50 %4dms  p99 %4dms  %v",
		r.InFlight, r.Requests, r.Elapsed.Seconds(), r.PerSecond, r.P50.Milliseconds(), r.P99.Milliseconds(), r.Outcomes)
}

// Options are the flags every load generator takes.
type Options struct {
	Description, Home, Channel string
	Levels                     []int
	N                          int
}

// Flags parses the common flags: the network, the channel, the in-flight
// levels and the requests per level.
func Flags(defaultN int) (*Options, error) {
	o := &Options{}
	flag.StringVar(&o.Description, "description", "network/dataledger.yaml", "network description")
	flag.StringVar(&o.Home, "home", ".run", "network home")
	flag.StringVar(&o.Channel, "channel", "nanning", "channel")
	levels := flag.String("inflight", "16,64", "comma-separated in-flight levels")
	flag.IntVar(&o.N, "n", defaultN, "requests per level")
	flag.Parse()
	for _, l := range strings.Split(*levels, ",") {
		k, err := strconv.Atoi(l)
		if err != nil || k < 1 {
			return nil, fmt.Errorf("-inflight %q: want whole numbers", *levels)
		}
		o.Levels = append(o.Levels, k)
	}
	return o, nil
}

// RunLevels runs do at each level and prints the results.
func (o *Options) RunLevels(do func(i int) string) {
	for _, k := range o.Levels {
		fmt.Println(Run(k, o.N, do))
	}
}

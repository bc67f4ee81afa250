package gateway

import (
	"net/http"
	"strconv"
	"sync"
)

// RuleRateStreams: an API key holds at most Config.StreamsPerKey event
// streams at once, and the gateway at most Config.MaxStreams in all. A
// stream holds a connection, a goroutine and a Fabric event subscription
// (a replay from block 1 reads the whole chain) for as long as the client
// stays; without a bound one key could open them without end.
const RuleRateStreams = "DL-RATE-STREAMS"

// streamLimiter counts the open streams, per caller and in all.
type streamLimiter struct {
	mu            sync.Mutex
	perKey, total int    // bounds (0: none)
	what          string // what is counted, in refusals ("" : event streams)
	open          map[string]int
	all           int
}

// acquire takes a stream for caller, or refuses; release gives it back.
func (l *streamLimiter) acquire(caller string) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	what := l.what
	if what == "" {
		what = "event streams"
	}
	if l.total > 0 && l.all >= l.total {
		return nil, refuse(http.StatusTooManyRequests, RuleRateStreams, "stream",
			"the gateway serves "+strconv.Itoa(l.total)+" "+what+" already; retry later")
	}
	if l.perKey > 0 && l.open[caller] >= l.perKey {
		return nil, refuse(http.StatusTooManyRequests, RuleRateStreams, "Authorization",
			"this API key holds "+strconv.Itoa(l.perKey)+" "+what+" already: wait for one to end")
	}
	if l.open == nil {
		l.open = map[string]int{}
	}
	l.open[caller]++
	l.all++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.all--
			if l.open[caller]--; l.open[caller] <= 0 {
				delete(l.open, caller)
			}
		})
	}, nil
}

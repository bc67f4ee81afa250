package gateway

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"dataledger/chaincode/domain"
	"dataledger/network"
)

// metrics are the gateway's Prometheus series, on their own registry.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	ledger   *prometheus.HistogramVec
	cache    *prometheus.CounterVec
	calendar *prometheus.GaugeVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dataledger_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dataledger_http_request_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		ledger: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dataledger_ledger_call_seconds", Help: "Fabric evaluate and submit-to-commit latency.", Buckets: prometheus.DefBuckets,
		}, []string{"call"}),
	}
	m.cache = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dataledger_cache_lookups_total", Help: "Cache lookups by outcome: hit, miss, unavailable, forged (a Redis value without the gateway's MAC, ignored).",
	}, []string{"outcome"})
	m.calendar = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dataledger_calendar_missing", Help: "1 for each working-day calendar a channel lacks: this year's, and from 1 November next year's (deadlines reaching into it are refused).",
	}, []string{"channel", "year"})
	resends := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "dataledger_policy_short_resends_total", Help: "Transactions sent again after committing short of the endorsement policy (endorsed for the policy before an org joined or left; steady growth otherwise is an endorser's fault).",
	}, func() float64 { return float64(network.PolicyShortResends()) })
	m.reg.MustRegister(m.requests, m.latency, m.ledger, m.cache, m.calendar, resends, prometheus.NewGoCollector())
	return m
}

func (m *metrics) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
	m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
}

func (m *metrics) handler() gin.HandlerFunc {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return func(c *gin.Context) { h.ServeHTTP(c.Writer, c.Request) }
}

// timedLedger records the latency of every ledger call.
type timedLedger struct {
	Ledger
	m *metrics
}

func (t timedLedger) Evaluate(ctx context.Context, who Identity, channel, fn string, args ...string) ([]byte, error) {
	defer t.m.since("evaluate", time.Now())
	return t.Ledger.Evaluate(ctx, who, channel, fn, args...)
}

func (t timedLedger) Submit(ctx context.Context, who Identity, channel, fn string, args ...string) (*network.Committed, error) {
	defer t.m.since("submit_commit", time.Now())
	return t.Ledger.Submit(ctx, who, channel, fn, args...)
}

func (t timedLedger) SubmitOwnTxID(ctx context.Context, who Identity, channel, fn string, build func(string) ([]string, error)) (*network.Committed, error) {
	defer t.m.since("submit_commit", time.Now())
	return t.Ledger.SubmitOwnTxID(ctx, who, channel, fn, build)
}

func (m *metrics) since(call string, start time.Time) {
	m.ledger.WithLabelValues(call).Observe(time.Since(start).Seconds())
}

// readyz answers 200 only when the ledger answers a query on a channel
// (the public identity reads its jurisdiction). A ready gateway also
// warns of the working-day calendars its channels lack (read at most once
// a minute; the dataledger_calendar_missing series says the same).
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
	defer cancel()
	if err := s.ledger.Ready(ctx, s.cfg.PublicIdentity); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "detail": ProblemOf(err).Detail})
		return
	}
	out := gin.H{"status": "ready"}
	if gaps := s.calendarGaps(); len(gaps) > 0 {
		out["warnings"] = gaps
	}
	c.JSON(http.StatusOK, out)
}

// calendarGaps are the calendars the public identity's channels lack, as
// the background refresh read them last (started by the first call, every
// minute): a probe never waits for the ledger.
func (s *Server) calendarGaps() []domain.CalendarGap {
	s.calOnce.Do(func() {
		go func() {
			for {
				s.readCalendars()
				time.Sleep(time.Minute)
			}
		}()
	})
	s.calMu.Lock()
	defer s.calMu.Unlock()
	return slices.Clone(s.calGaps)
}

// readCalendars reads the gaps of every channel (10 s for all); a channel
// that does not answer keeps what was read of it before. The
// dataledger_calendar_missing series follow: set for each gap, deleted
// for one that closed.
func (s *Server) readCalendars() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	who, now := s.cfg.PublicIdentity, time.Now()
	s.calMu.Lock()
	old := slices.Clone(s.calGaps)
	s.calMu.Unlock()
	var gaps []domain.CalendarGap
	for _, ch := range s.ledger.Channels(who) {
		g, err := network.CalendarGapsOn(invoker{ctx, s.ledger, who}, ch, now)
		if err != nil {
			s.log.Warn("working-day calendars not read", "channel", ch, "error", network.ErrorText(err))
			for _, o := range old {
				if o.Channel == ch {
					g = append(g, o)
				}
			}
		}
		gaps = append(gaps, g...)
	}
	label := func(g domain.CalendarGap) [2]string { return [2]string{g.Channel, strconv.Itoa(g.Year)} }
	now2 := map[[2]string]bool{}
	for _, g := range gaps {
		now2[label(g)] = true
		s.metrics.calendar.WithLabelValues(g.Channel, strconv.Itoa(g.Year)).Set(1)
	}
	for _, o := range old {
		if l := label(o); !now2[l] {
			s.metrics.calendar.DeleteLabelValues(l[0], l[1])
		}
	}
	s.calMu.Lock()
	s.calGaps = gaps
	s.calMu.Unlock()
}

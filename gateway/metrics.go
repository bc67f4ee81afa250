package gateway

import (
	"context"
	"net/http"
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
	m.reg.MustRegister(m.requests, m.latency, m.ledger, m.cache, m.calendar, prometheus.NewGoCollector())
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
	if gaps := s.calendarGaps(ctx); len(gaps) > 0 {
		out["warnings"] = gaps
	}
	c.JSON(http.StatusOK, out)
}

// channelLister is a Ledger that names the channels an identity reads.
type channelLister interface {
	Channels(who Identity) []string
}

// calendarGaps are the calendars the public identity's channels lack now,
// read at most once a minute.
func (s *Server) calendarGaps(ctx context.Context) []domain.CalendarGap {
	s.calMu.Lock()
	defer s.calMu.Unlock()
	if time.Since(s.calRead) < time.Minute {
		return s.calGaps
	}
	cl, ok := s.ledger.Ledger.(channelLister)
	if !ok {
		return nil
	}
	who, now := s.cfg.PublicIdentity, time.Now()
	var gaps []domain.CalendarGap
	for _, ch := range cl.Channels(who) {
		failed := false
		chGaps := domain.CalendarGaps(ch, now, func(year int) bool {
			_, err := network.Tx.GetCalendar(year).Raw(invoker{ctx, s.ledger, who}, ch)
			failed = failed || (err != nil && !domain.IsRule(err, domain.RuleCalendarYear))
			return err == nil
		})
		if failed {
			return s.calGaps // the ledger did not answer: keep what was read last
		}
		gaps = append(gaps, chGaps...)
	}
	s.metrics.calendar.Reset()
	for _, g := range gaps {
		s.metrics.calendar.WithLabelValues(g.Channel, strconv.Itoa(g.Year)).Set(1)
	}
	s.calGaps, s.calRead = gaps, now
	return gaps
}

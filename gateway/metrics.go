package gateway

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"dataledger/network"
)

// metrics are the gateway's Prometheus series, on their own registry.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	ledger   *prometheus.HistogramVec
	cache    *prometheus.CounterVec
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
	m.reg.MustRegister(m.requests, m.latency, m.ledger, m.cache, prometheus.NewGoCollector())
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
// (the public identity reads its jurisdiction).
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
	defer cancel()
	if err := s.ledger.Ready(ctx, s.cfg.PublicIdentity); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "detail": ProblemOf(err).Detail})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/gateway/webhook"
	"dataledger/network"

	"github.com/gin-gonic/gin"
)

// Config is the gateway's configuration.
type Config struct {
	MaxBodyBytes   int64         // request body limit (bodyLimits raises it for a route that carries more)
	RequestTimeout time.Duration // per request, Fabric calls included
	// PublicIdentity reads the ledger for callers without a key.
	PublicIdentity Identity
	// UserFor maps a caller role to the user of the caller's own org the
	// gateway acts with (the network description's users); an enterprise
	// key acts as its enterprise's own identity instead.
	UserFor map[string]string
	// Signers are the issuer keys the gateway signs certificates with.
	Signers *Keystore
	// Index is the supervision index regulators search (nil: none; its
	// routes answer 503).
	Index Supervision
	// Idempotency records write requests by Idempotency-Key (nil: off).
	Idempotency IdempotencyRecords
	// Cache keeps lookups and verifications (nil: an in-process cache).
	Cache    Cache
	CacheTTL time.Duration
	// CacheBytes bounds the in-process cache made when Cache is nil
	// (0: DefaultCacheBytes).
	CacheBytes int64
	// AuditDir keeps each channel's audit checkpoint ("" : in memory).
	AuditDir string
	// AuditCheckpoints keep them where the gateway's instances share them
	// (nil: AuditDir).
	AuditCheckpoints AuditCheckpoints
	// MaxExports and ExportsPerKey bound the index exports served at once
	// (each holds a database connection while it streams); ExportTimeout
	// bounds one export (it outlasts RequestTimeout and WriteTimeout).
	MaxExports, ExportsPerKey int
	ExportTimeout             time.Duration
	// ReportDir keeps the files of the supervision reports the gateway
	// made ("" : it makes none).
	ReportDir string
	// TrustedProxies are the addresses or CIDRs of the reverse proxies in
	// front of the gateway whose X-Forwarded-For it believes (empty: none,
	// the client is the socket peer). Anyone else's X-Forwarded-For is
	// ignored: the public rate limits and idempotency scopes key on the
	// client address, and a forged header must not pick it.
	TrustedProxies []string
	// PublicPerTarget bounds the requests without an API key naming one
	// target (routes with publicTargetField: objections) per
	// PublicTargetWindow, from all addresses together (0: no bound).
	PublicPerTarget    int
	PublicTargetWindow time.Duration
	// StreamsPerKey bounds the event streams (the feed) one API key holds
	// at once, MaxStreams those of the gateway in all (0: no bound);
	// beyond them a stream is refused 429 DL-RATE-STREAMS.
	StreamsPerKey, MaxStreams int
	// OverdueEvery is how often a feed looks for what became overdue and
	// pushes it to the organization it is owed to (0:
	// DefaultOverdueEvery).
	OverdueEvery time.Duration
	// The connection's bounds (HTTPServer): headers within
	// ReadHeaderTimeout, the whole request with its body within
	// ReadTimeout (a client trickling a body is cut then), the answer
	// within WriteTimeout, an idle keep-alive connection closed after
	// IdleTimeout. The feed clears its read deadline and extends its
	// write deadline per event.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// Witness makes the gateway its organization's witness of its
	// channels' heads (nil: it witnesses nothing; RunWitness returns).
	Witness *WitnessConfig
	// Webhooks keeps the notification subscriptions and their deliveries
	// (nil: the webhook routes answer 503; RunWebhooks returns).
	Webhooks       webhook.Queue
	WebhookOptions WebhookOptions
}

// DefaultConfig suits the demo network.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:   2 << 20,
		RequestTimeout: 30 * time.Second,
		PublicIdentity: Identity{Org: "ProvinceMSP", User: "clerk"}, // the provincial platform serves the public
		CacheTTL:       5 * time.Minute,
		// Five public objections an hour against one certificate or
		// application, however many addresses send them.
		PublicPerTarget:    5,
		PublicTargetWindow: time.Hour,
		StreamsPerKey:      4,
		MaxExports:         4,
		ExportsPerKey:      2,
		ExportTimeout:      10 * time.Minute,
		MaxStreams:         64,
		ReadHeaderTimeout:  10 * time.Second,
		ReadTimeout:        30 * time.Second,
		WriteTimeout:       45 * time.Second, // past RequestTimeout: a handler's answer to a deadline still goes out
		IdleTimeout:        2 * time.Minute,
		UserFor: map[string]string{
			RoleIssuer: "authority", RoleExchange: "exchange", RoleRegulator: "regulator",
			RoleAdmin: "clerk", // an enterprise acts as its own identity (network.EnterpriseUser)
		},
	}
}

// Server is the HTTP service.
type Server struct {
	metrics *metrics
	cfg     Config
	acl     *ACL
	keys    *KeyStore
	ledger  *cachedLedger
	log     *slog.Logger
	audits  audits
	witness *witness // nil: not a witness
	openapi []byte   // the OpenAPI document, built with the router
	streams *streamLimiter
	exports *streamLimiter

	calOnce sync.Once  // starts the background read of the calendar gaps
	calMu   sync.Mutex // guards calGaps, what /readyz reports
	calGaps []domain.CalendarGap

	deliverer *webhook.Deliverer // nil: no webhooks
}

// NewServer wires a server.
func NewServer(cfg Config, acl *ACL, keys *KeyStore, ledger Ledger, log *slog.Logger) *Server {
	m := newMetrics()
	if cfg.Cache == nil {
		cfg.Cache = NewSizedMemoryCache(100_000, cfg.CacheBytes)
	}
	cached := &cachedLedger{Ledger: timedLedger{ledger, m}, cache: cfg.Cache, blocks: NewMemoryCache(100_000), ttl: cfg.CacheTTL, m: m, public: cfg.PublicIdentity}
	s := &Server{cfg: cfg, acl: acl, keys: keys, ledger: cached, log: log, metrics: m, audits: audits{dir: cfg.AuditDir, shared: cfg.AuditCheckpoints},
		streams: &streamLimiter{perKey: cfg.StreamsPerKey, total: cfg.MaxStreams},
		exports: &streamLimiter{perKey: cfg.ExportsPerKey, total: cfg.MaxExports, what: "exports"}}
	if cfg.Witness != nil {
		s.witness = newWitness(*cfg.Witness, cached, log, m)
	}
	if o := cfg.WebhookOptions; cfg.Webhooks != nil {
		s.deliverer = &webhook.Deliverer{Store: cfg.Webhooks, Client: webhook.NewClient(o.AllowPrivate), Log: log, Base: o.RetryBase, MaxAttempts: o.MaxAttempts}
	}
	return s
}

// Context keys.
const (
	ctxCaller     = "caller" // the API key's ID, or "public"
	ctxRequestID  = "requestId"
	ctxRole       = "role"
	ctxConn       = "conn" // the request's context before the request timeout: ends when the client goes
	ctxBody       = "body" // the request's body, once read (readBody)
	ctxIdentity   = "identity"
	ctxCreditCode = "creditCode" // an enterprise key's credit code ("" for any other caller)
)

// Router builds the gin engine from the allow table: one route per row,
// each behind authentication and its role check.
func (s *Server) Router() (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	doc, err := s.acl.OpenAPIJSON()
	if err != nil {
		return nil, err
	}
	s.openapi = doc
	r := gin.New()
	// gin trusts every proxy unless told otherwise; only the configured
	// ones, and only the header a proxy appends to (X-Real-IP is often
	// passed through from the client unchanged).
	r.ForwardedByClientIP = true
	r.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := r.SetTrustedProxies(s.cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	r.Use(gin.Recovery(), s.requestID, s.logRequests, s.metrics.observe, s.limits)
	r.GET("/healthz", healthz)
	// /metrics and /readyz (which asks the ledger, uncached) are on the
	// admin listener only: see AdminRouter.
	r.GET("/api/v1/openapi.json", s.openAPI)
	handlers := s.handlers()
	for _, route := range s.acl.Routes {
		h, ok := handlers[route.Handler]
		if route.Tx != "" {
			h, ok = s.txHandler(route), true
		}
		if !ok {
			return nil, fail(http.StatusInternalServerError, "acl names unknown handler "+route.Handler)
		}
		chain := []gin.HandlerFunc{s.authorize(route)}
		if route.PublicPerMinute > 0 {
			chain = append(chain, publicLimiter(route.PublicPerMinute).middleware)
		}
		if route.KeyPerMinute > 0 {
			chain = append(chain, keyLimiter(route.KeyPerMinute).middleware)
		}
		if route.PublicTargetField != "" && s.cfg.PublicPerTarget > 0 && s.cfg.PublicTargetWindow > 0 {
			chain = append(chain, newTargetLimiter(route.PublicTargetField, s.cfg.PublicPerTarget, s.cfg.PublicTargetWindow).middleware)
		}
		if route.Submit && s.cfg.Idempotency != nil {
			chain = append(chain, idempotent(s.cfg.Idempotency, s.log))
		}
		r.Handle(route.Method, route.Path, append(chain, h)...)
	}
	r.NoRoute(func(c *gin.Context) { abort(c, fail(http.StatusNotFound, "no such route")) })
	return r, nil
}

// HTTPServer is the http.Server of the gateway's public listener, with
// cfg's connection bounds (zero ones take DefaultConfig's).
func HTTPServer(cfg Config, addr string, h http.Handler) *http.Server {
	d := DefaultConfig()
	or := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	return &http.Server{Addr: addr, Handler: h,
		ReadHeaderTimeout: or(cfg.ReadHeaderTimeout, d.ReadHeaderTimeout),
		ReadTimeout:       or(cfg.ReadTimeout, d.ReadTimeout),
		WriteTimeout:      or(cfg.WriteTimeout, d.WriteTimeout),
		IdleTimeout:       or(cfg.IdleTimeout, d.IdleTimeout),
		MaxHeaderBytes:    64 << 10,
	}
}

func healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// AdminRouter serves the operator's routes: /metrics, /readyz (a ledger
// query per call, uncached) and /healthz. It is for a listener of its own
// (--admin-listen, loopback by default), never the public one: anyone on
// the public listener could otherwise read the gateway's internals or
// make it query the ledger at will.
func (s *Server) AdminRouter() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery(), s.requestID)
	r.GET("/healthz", healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", s.metrics.handler())
	r.NoRoute(func(c *gin.Context) { abort(c, fail(http.StatusNotFound, "no such route")) })
	return r
}

func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if len(id) == 0 || len(id) > 64 || strings.ContainsAny(id, "\r\n") {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

// logRequests logs one structured line per request: never the
// Authorization header, bodies or query values.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	attrs := []any{"id", c.GetString(ctxRequestID), "method", c.Request.Method, "route", c.FullPath(),
		"status", c.Writer.Status(), "role", c.GetString(ctxRole), "ms", time.Since(start).Milliseconds()}
	if last := c.Errors.Last(); last != nil {
		attrs = append(attrs, "error", network.ErrorText(last.Err)) // a 5xx: what failed, for the operator
	}
	s.log.Info("request", attrs...)
}

func (s *Server) limits(c *gin.Context) {
	limit := s.cfg.MaxBodyBytes
	if l, ok := bodyLimits[c.Request.URL.Path]; ok {
		limit = max(limit, l)
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Set(ctxConn, c.Request.Context())
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestTimeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// authorize authenticates the caller (a bearer API key, or none: public)
// and enforces the route's roles. The identity the gateway then acts with
// is of the caller's own organization: its role's user, or for an
// enterprise key the enterprise's own identity; on a route the public may
// call, an enterprise key acts as the public does (PublicIdentity).
func (s *Server) authorize(route Route) gin.HandlerFunc {
	return func(c *gin.Context) {
		role, who, caller, creditCode := RolePublic, s.cfg.PublicIdentity, RolePublic, ""
		if h := c.GetHeader("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			key, found := s.keys.Lookup(strings.TrimSpace(secret))
			if !ok || !found {
				c.Header("WWW-Authenticate", `Bearer realm="dataledger"`)
				abort(c, refuse(http.StatusUnauthorized, RuleAPIKey, "Authorization", "the API key is unknown or revoked"))
				return
			}
			role, who, caller, creditCode = key.Role, Identity{Org: key.Org, User: s.cfg.UserFor[key.Role]}, key.ID, key.CreditCode
			if key.Role == RoleEnterprise {
				if key.CreditCode == "" {
					c.Header("WWW-Authenticate", `Bearer realm="dataledger"`)
					abort(c, refuse(http.StatusUnauthorized, RuleAPIKey, "Authorization", "this enterprise key names no enterprise (made before enterprises had identities of their own): create one with --credit-code"))
					return
				}
				who.User = network.EnterpriseUser(key.CreditCode).Name
				// On a route the public may call, an enterprise is served
				// as the public is (and files an objection as the public
				// does, unnamed); its own identity reads its own records.
				if route.Allows(RolePublic) {
					who = s.cfg.PublicIdentity
				}
			}
		}
		c.Set(ctxRole, role)
		c.Set(ctxCaller, caller)
		c.Set(ctxCreditCode, creditCode)
		if !route.Allows(role) {
			if role == RolePublic {
				c.Header("WWW-Authenticate", `Bearer realm="dataledger"`)
				abort(c, refuse(http.StatusUnauthorized, RuleAPIKey, "Authorization", "this route needs an API key"))
				return
			}
			abort(c, refuse(http.StatusForbidden, RuleRole, "Authorization", "role "+role+" may not call "+route.Method+" "+route.Path))
			return
		}
		c.Set(ctxIdentity, who)
		c.Next()
	}
}

func identity(c *gin.Context) Identity { v, _ := c.Get(ctxIdentity); w, _ := v.(Identity); return w }

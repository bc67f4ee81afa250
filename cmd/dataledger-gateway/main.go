// Command dataledger-gateway serves dataledger's HTTP API and verification
// page in front of a running network.
//
// Settings come from defaults, then a YAML file (--config), then
// environment variables (DATALEDGER_GATEWAY_<SETTING>, e.g.
// DATALEDGER_GATEWAY_LISTEN), then flags:
//
//	dataledger-gateway --config gateway.yaml --listen 127.0.0.1:8080 [--redis 127.0.0.1:6379]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"gopkg.in/yaml.v3"

	"dataledger/gateway"
	"dataledger/gateway/pgstate"
	"dataledger/gateway/webhook"
	"dataledger/index"
	"dataledger/network"
)

// Settings are the gateway's settings; each is a YAML key, an environment
// variable DATALEDGER_GATEWAY_<UPPER_SNAKE> and a flag.
type Settings struct {
	Listen      string `yaml:"listen" flag:"listen" usage:"address to serve on"`
	Description string `yaml:"description" flag:"description" usage:"network description"`
	Home        string `yaml:"home" flag:"home" usage:"network home"`
	Keys        string `yaml:"keys" flag:"keys" usage:"API key file"`
	Org         string `yaml:"org" flag:"org" usage:"the one org (MSP ID) this gateway acts for: it loads that org's identities only, reads as its clerk and refuses keys of other orgs (empty: any org of the description, one gateway for all)"`
	Redis       string `yaml:"redis" flag:"redis" usage:"Redis address for the shared cache (empty: in-process cache)"`
	// A URL may hold a password: prefer the file or the environment to a flag.
	RedisURL        string   `yaml:"redis_url" flag:"redis-url" usage:"Redis URL, redis://[user:pass@]host:port/db or rediss:// for TLS (instead of --redis)"`
	RedisCA         string   `yaml:"redis_ca" flag:"redis-ca" usage:"PEM file of the CAs that may sign Redis's certificate (rediss://; default: system roots)"`
	RedisCert       string   `yaml:"redis_cert" flag:"redis-cert" usage:"client certificate for Redis (rediss://)"`
	RedisKey        string   `yaml:"redis_key" flag:"redis-key" usage:"client certificate's key for Redis (rediss://)"`
	RedisServerName string   `yaml:"redis_server_name" flag:"redis-server-name" usage:"name Redis's certificate must carry (default: the URL's host)"`
	RedisMACKey     string   `yaml:"redis_mac_key" flag:"redis-mac-key" usage:"file of the key (>= 32 bytes) authenticating values kept in Redis, the same for every gateway sharing it (empty: random per process)"`
	IndexDB         string   `yaml:"index_db" flag:"index-db" usage:"PostgreSQL URL of the supervision index regulators search (empty: none; its routes answer 503)"`
	NoCache         bool     `yaml:"no_cache" flag:"no-cache" usage:"answer every lookup from the ledger (for measurements)"`
	CacheMB         int64    `yaml:"cache_mb" flag:"cache-mb" usage:"bound of the in-process cache, in MiB (0: 64)"`
	ExchangeOrg     string   `yaml:"exchange_org" flag:"exchange-org" usage:"record, as this exchange org, receipt of every new certificate"`
	PublicOrg       string   `yaml:"public_org" flag:"public-org" usage:"the org whose clerk reads the ledger, from that org's peer, for callers without a key (default ProvinceMSP)"`
	IssuerKeys      []string `yaml:"issuer_keys" flag:"issuer-key" usage:"MSPID=path of an encrypted issuer key (repeatable)"`
	KeystorePass    string   `yaml:"keystore_pass" flag:"keystore-pass" usage:"file holding the issuer keys' passphrase"`
	State           string   `yaml:"state" flag:"state" usage:"directory of the gateway's own state: idempotency records, checkpoints (default HOME/gateway)"`
	StateDB         string   `yaml:"state_db" flag:"state-db" usage:"PostgreSQL URL of the state this gateway's instances share: idempotency records, audit checkpoints, webhook subscriptions and deliveries (empty: the state directory, one instance)"`
	Pprof           string   `yaml:"pprof" flag:"pprof" usage:"serve net/http/pprof on this address (loopback only; empty: off)"`
	TLSCert         string   `yaml:"tls_cert" flag:"tls-cert" usage:"PEM certificate (chain) of the public listener (with tls_key: HTTPS; empty: plain HTTP)"`
	TLSKey          string   `yaml:"tls_key" flag:"tls-key" usage:"PEM private key of tls_cert"`
	TLSClientCA     string   `yaml:"tls_client_ca" flag:"tls-client-ca" usage:"PEM CA(s) that org callers' client certificates must chain to"`
	TLSClientAuth   string   `yaml:"tls_client_auth" flag:"tls-client-auth" usage:"client certificates: none, verify-if-given (default with tls_client_ca) or require"`
	// AdminListen serves /metrics and /readyz, which the public listener
	// does not.
	AdminListen string `yaml:"admin_listen" flag:"admin-listen" usage:"address of /metrics, /readyz and /healthz (default loopback 127.0.0.1:9090; empty: off)"`
	// TrustedProxies: only these peers' X-Forwarded-For names the client.
	TrustedProxies []string `yaml:"trusted_proxies" flag:"trusted-proxy" usage:"address or CIDR of a reverse proxy whose X-Forwarded-For is believed (repeatable; default none: the client is the socket peer)"`
	// The public's objections against one target, from all addresses.
	PublicPerTarget    int           `yaml:"public_per_target" flag:"public-per-target" usage:"requests without an API key naming one objection target per window, all addresses together (0: no bound)"`
	PublicTargetWindow time.Duration `yaml:"public_target_window" flag:"public-target-window" usage:"the window of public-per-target (e.g. 1h)"`
	StreamsPerKey      int           `yaml:"streams_per_key" flag:"streams-per-key" usage:"event streams (the feed) one API key may hold at once (0: no bound)"`
	MaxExports         int           `yaml:"max_exports" flag:"max-exports" usage:"index exports the gateway serves at once (0: no bound)"`
	ExportsPerKey      int           `yaml:"exports_per_key" flag:"exports-per-key" usage:"index exports one API key may run at once (0: no bound)"`
	ExportTimeout      time.Duration `yaml:"export_timeout" flag:"export-timeout" usage:"bound on one index export (e.g. 10m)"`
	MaxStreams         int           `yaml:"max_streams" flag:"max-streams" usage:"event streams the gateway serves at once in all (0: no bound)"`
	ReadTimeout        time.Duration `yaml:"read_timeout" flag:"read-timeout" usage:"bound on reading a whole request, body included (a trickled body is cut)"`
	WriteTimeout       time.Duration `yaml:"write_timeout" flag:"write-timeout" usage:"bound on writing an answer (the feed: per event)"`
	IdleTimeout        time.Duration `yaml:"idle_timeout" flag:"idle-timeout" usage:"an idle keep-alive connection is closed after this"`
	IdempotencyTTL     time.Duration `yaml:"idempotency_ttl" flag:"idempotency-ttl" usage:"how long an Idempotency-Key's answer is kept; after it the key is new again"`
	// Witnessing: this gateway signs its org's heads and compares the
	// other orgs' gateways' heads with its own peer's chain.
	Witness       string        `yaml:"witness" flag:"witness" usage:"ORG/USER whose identity signs this organization's heads and reads its peer (empty: not a witness)"`
	WitnessPeers  []string      `yaml:"witness_peers" flag:"witness-peer" usage:"base URL of another organization's gateway whose heads this witness compares and co-signs (repeatable)"`
	WitnessPeriod time.Duration `yaml:"witness_period" flag:"witness-period" usage:"how often heads are published and compared (default 30s)"`
	// Notifications (webhooks), kept in STATE/webhooks.db.
	WebhookAllowPrivate bool          `yaml:"webhook_allow_private" flag:"webhook-allow-private" usage:"let webhook receivers be plain http at loopback or private addresses (tests, subscribers on the deployment's own network)"`
	WebhookRetryBase    time.Duration `yaml:"webhook_retry_base" flag:"webhook-retry-base" usage:"wait after a delivery's first failed attempt, doubled per attempt up to 2h (default 5s)"`
	WebhookMaxAttempts  int           `yaml:"webhook_max_attempts" flag:"webhook-max-attempts" usage:"attempts of a delivery before it fails for good (default 16)"`
	WebhookScan         time.Duration `yaml:"webhook_scan" flag:"webhook-scan" usage:"how often deadlines 3 working days ahead are looked for (default 10m; needs index_db)"`
	WebhookRetention    time.Duration `yaml:"webhook_retention" flag:"webhook-retention" usage:"how long a settled delivery stays in the delivery log (default 720h)"`
}

// stateDir is where the gateway keeps its own state.
func (s Settings) stateDir() string {
	if s.State != "" {
		return s.State
	}
	return filepath.Join(s.Home, "gateway")
}

func defaults() Settings {
	cfg := gateway.DefaultConfig()
	return Settings{Listen: "127.0.0.1:8080", AdminListen: "127.0.0.1:9090", Description: "network/dataledger.yaml", Home: ".run", Keys: ".run/gateway/keys.json",
		PublicPerTarget: cfg.PublicPerTarget, PublicTargetWindow: cfg.PublicTargetWindow, IdempotencyTTL: gateway.DefaultIdempotencyTTL,
		StreamsPerKey: cfg.StreamsPerKey, MaxStreams: cfg.MaxStreams,
		MaxExports: cfg.MaxExports, ExportsPerKey: cfg.ExportsPerKey, ExportTimeout: cfg.ExportTimeout,
		ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout, IdleTimeout: cfg.IdleTimeout}
}

// load applies the file, then the environment, then the flags given.
func load(args []string) (Settings, error) {
	s := defaults()
	fs := flag.NewFlagSet("dataledger-gateway", flag.ContinueOnError)
	fs.String("config", "", "YAML settings file")
	set := map[string]func(string) error{}
	v := reflect.ValueOf(&s).Elem()
	for i := 0; i < v.NumField(); i++ {
		f, field := v.Type().Field(i), v.Field(i)
		name := f.Tag.Get("flag")
		switch field.Kind() {
		case reflect.Bool:
			fs.BoolFunc(name, f.Tag.Get("usage"), func(val string) error { field.SetBool(val == "" || val == "true"); return nil })
			set[f.Tag.Get("yaml")] = func(val string) error { field.SetBool(val == "true" || val == "1"); return nil }
		case reflect.Int, reflect.Int64:
			parse := func(val string) error {
				if field.Type() == reflect.TypeOf(time.Duration(0)) {
					d, err := time.ParseDuration(val)
					if err != nil || d < 0 {
						return fmt.Errorf("%s: %q is not a duration such as 1h30m", name, val)
					}
					field.SetInt(int64(d))
					return nil
				}
				n, err := strconv.Atoi(val)
				if err != nil || n < 0 {
					return fmt.Errorf("%s: %q is not a count", name, val)
				}
				field.SetInt(int64(n))
				return nil
			}
			fs.Func(name, f.Tag.Get("usage"), parse)
			set[f.Tag.Get("yaml")] = parse
		case reflect.Slice:
			fs.Func(name, f.Tag.Get("usage"), func(val string) error { field.Set(reflect.Append(field, reflect.ValueOf(val))); return nil })
			set[f.Tag.Get("yaml")] = func(val string) error { field.Set(reflect.ValueOf(strings.Split(val, ","))); return nil }
		default:
			fs.Func(name, f.Tag.Get("usage"), func(val string) error { field.SetString(val); return nil })
			set[f.Tag.Get("yaml")] = func(val string) error { field.SetString(val); return nil }
		}
	}
	// The file first: flags are parsed twice so --config is known early.
	pre := flag.NewFlagSet("pre", flag.ContinueOnError)
	pre.SetOutput(new(bytes.Buffer))
	cp := pre.String("config", "", "")
	_ = pre.Parse(filterConfig(args))
	if *cp != "" {
		data, err := os.ReadFile(*cp)
		if err != nil {
			return s, err
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("%s: %w", *cp, err)
		}
	}
	for key, apply := range set {
		if val, ok := os.LookupEnv("DATALEDGER_GATEWAY_" + strings.ToUpper(key)); ok {
			if err := apply(val); err != nil {
				return s, err
			}
		}
	}
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	return s, nil
}

// filterConfig keeps only --config from the arguments.
func filterConfig(args []string) []string {
	var out []string
	for i, a := range args {
		if a == "--config" || a == "-config" {
			if i+1 < len(args) {
				out = append(out, a, args[i+1])
			}
		} else if strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config=") {
			out = append(out, a)
		}
	}
	return out
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	s, err := load(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "dataledger-gateway:", err)
		os.Exit(2)
	}
	if err := run(s, log); err != nil {
		log.Error("gateway stopped", "error", err.Error())
		os.Exit(1)
	}
}

// ownOrgOnly: a gateway that acts for one org (org) is configured with
// nothing of another: no API key, public reader, witness, exchange or
// issuer key of another org. The ledger refuses other orgs' identities
// anyway (a key added to the file later is refused when used); this
// names a misconfiguration at the start.
func ownOrgOnly(s Settings, nw *network.Net, ks *gateway.KeyStore) error {
	if s.Org == "" {
		return nil
	}
	o := nw.D.Org(s.Org)
	if o == nil {
		return fmt.Errorf("org: %q is not an org of the network", s.Org)
	}
	org := o.MSPID
	var others []string
	for _, k := range ks.List() {
		if k.Revoked == nil && k.Org != org {
			others = append(others, k.ID+" ("+k.Org+")")
		}
	}
	if len(others) > 0 {
		return fmt.Errorf("org: this gateway acts for %s alone, and its key file %s holds keys of other orgs: %s", org, s.Keys, strings.Join(others, ", "))
	}
	for setting, v := range map[string]string{"public_org": s.PublicOrg, "exchange_org": s.ExchangeOrg} {
		if v != "" && (nw.D.Org(v) == nil || nw.D.Org(v).MSPID != org) {
			return fmt.Errorf("%s: %q is not %s, which this gateway acts for alone", setting, v, org)
		}
	}
	if w, _, _ := strings.Cut(s.Witness, "/"); s.Witness != "" && (nw.D.Org(w) == nil || nw.D.Org(w).MSPID != org) {
		return fmt.Errorf("witness: %q is not of %s, which this gateway acts for alone", s.Witness, org)
	}
	for _, e := range s.IssuerKeys {
		if m, _, _ := strings.Cut(e, "="); m != org {
			return fmt.Errorf("issuer_keys: %q is another org's key than %s's, which this gateway acts for alone", e, org)
		}
	}
	return nil
}

func loadSigners(entries []string, passFile string) (*gateway.Keystore, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	pass, err := os.ReadFile(passFile)
	if err != nil {
		return nil, fmt.Errorf("keystore_pass: %w", err)
	}
	return gateway.LoadKeystore(entries, bytes.TrimRight(pass, "\r\n"))
}

// loopback refuses an address whose host is not a loopback name or IP
// (":6060" and "0.0.0.0:6060" listen on every interface).
func loopback(setting, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s: %w", setting, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s: %q is not a loopback address (127.0.0.1:PORT or [::1]:PORT)", setting, addr)
}

// check refuses settings the gateway must not start with, before it
// touches the network.
func check(s Settings) error {
	if s.Pprof != "" {
		// Profiles and goroutine dumps show request data and let anyone
		// spend the gateway's CPU: never beyond this host.
		if err := loopback("pprof", s.Pprof); err != nil {
			return err
		}
	}
	if s.AdminListen != "" && s.AdminListen == s.Listen {
		return fmt.Errorf("admin_listen: %q is the public listener's address", s.AdminListen)
	}
	return nil
}

// pprofMux serves net/http/pprof's handlers (not http.DefaultServeMux,
// which any imported package may add to).
func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func run(s Settings, log *slog.Logger) error {
	if err := check(s); err != nil {
		return err
	}
	nw, err := network.Open(s.Description, s.Home, nil)
	if err != nil {
		return err
	}
	ks, err := gateway.OpenKeyStore(s.Keys)
	if err != nil {
		return err
	}
	acl, err := gateway.LoadACL(nil)
	if err != nil {
		return err
	}
	if err := ownOrgOnly(s, nw, ks); err != nil {
		return err
	}
	if s.Org != "" {
		s.Org = nw.D.Org(s.Org).MSPID // a name or an MSP ID
	}
	ledger := &gateway.FabricLedger{Net: nw, Org: s.Org}
	defer ledger.Close()
	cfg := gateway.DefaultConfig()
	cfg.TrustedProxies = s.TrustedProxies
	cfg.PublicPerTarget, cfg.PublicTargetWindow = s.PublicPerTarget, s.PublicTargetWindow
	cfg.StreamsPerKey, cfg.MaxStreams = s.StreamsPerKey, s.MaxStreams
	cfg.MaxExports, cfg.ExportsPerKey, cfg.ExportTimeout = s.MaxExports, s.ExportsPerKey, s.ExportTimeout
	cfg.ReadTimeout, cfg.WriteTimeout, cfg.IdleTimeout = s.ReadTimeout, s.WriteTimeout, s.IdleTimeout
	cfg.AuditDir = filepath.Join(s.stateDir(), "audit")
	cfg.ReportDir = filepath.Join(s.stateDir(), "reports")
	for _, d := range []string{cfg.AuditDir, cfg.ReportDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if s.PublicOrg == "" && s.Org != "" {
		s.PublicOrg = s.Org
	}
	if s.PublicOrg != "" {
		o := nw.D.Org(s.PublicOrg)
		if o == nil || !o.HasUser(cfg.PublicIdentity.User) {
			return fmt.Errorf("public_org: %q is not an org of the network with a %q user", s.PublicOrg, cfg.PublicIdentity.User)
		}
		cfg.PublicIdentity.Org = o.MSPID
	}
	if err := ledger.Connect(cfg.PublicIdentity); err != nil {
		return err
	}
	if cfg.Signers, err = loadSigners(s.IssuerKeys, s.KeystorePass); err != nil {
		return err
	}
	if s.StateDB != "" {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		shared, err := pgstate.Open(sctx, s.StateDB, s.IdempotencyTTL)
		cancel()
		if err != nil {
			return err
		}
		defer shared.Close()
		cfg.Idempotency, cfg.AuditCheckpoints = shared, shared
		log.Info("shared state", "database", shared.Name())
	} else {
		idem, err := gateway.OpenIdempotencyStoreTTL(filepath.Join(s.stateDir(), "idempotency.jsonl"), s.IdempotencyTTL)
		if err != nil {
			return err
		}
		defer idem.Close()
		cfg.Idempotency = idem
	}
	if s.StateDB != "" {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		q, err := webhook.OpenShared(sctx, s.StateDB)
		cancel()
		if err != nil {
			return err
		}
		cfg.Webhooks = q
	} else if cfg.Webhooks, err = webhook.Open(filepath.Join(s.stateDir(), "webhooks.db")); err != nil {
		return err
	}
	defer cfg.Webhooks.Close()
	cfg.WebhookOptions = gateway.WebhookOptions{AllowPrivate: s.WebhookAllowPrivate, RetryBase: s.WebhookRetryBase, MaxAttempts: s.WebhookMaxAttempts,
		Scan: s.WebhookScan, Retention: s.WebhookRetention}
	switch {
	case s.NoCache:
		cfg.Cache = gateway.NoCache{}
	case s.Redis != "" || s.RedisURL != "":
		opts, err := gateway.RedisOptions(gateway.RedisSettings{Addr: s.Redis, URL: s.RedisURL, CAFile: s.RedisCA,
			CertFile: s.RedisCert, KeyFile: s.RedisKey, ServerName: s.RedisServerName})
		if err != nil {
			return err
		}
		rc := redis.NewClient(opts)
		defer rc.Close()
		var mac []byte
		if s.RedisMACKey != "" {
			if mac, err = gateway.LoadCacheMACKey(s.RedisMACKey); err != nil {
				return err
			}
		} else {
			log.Warn("no redis_mac_key: Redis values are authenticated with a key random to this process; other gateways' and earlier runs' entries are misses")
		}
		cfg.Cache = gateway.RedisCache{C: rc, MACKey: mac, Log: log}
		// Only the address: opts also holds the password.
		if err := rc.Ping(context.Background()).Err(); err != nil {
			log.Warn("Redis unavailable at start: the ledger answers until it is", "addr", opts.Addr, "tls", opts.TLSConfig != nil, "error", err.Error())
		}
	default:
		cfg.Cache = gateway.NewSizedMemoryCache(100_000, s.CacheMB<<20)
	}
	if s.IndexDB != "" {
		// Without PostgreSQL the gateway still serves everything else.
		ictx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		db, err := index.Open(ictx, s.IndexDB)
		cancel()
		if err != nil {
			log.Warn("supervision index unavailable at start: its routes answer 503", "error", err.Error())
		} else {
			defer db.Close()
			cfg.Index = db
		}
	}
	if s.Witness != "" {
		org, user, ok := strings.Cut(s.Witness, "/")
		if !ok || nw.D.Org(org) == nil {
			return fmt.Errorf("witness: %q is not ORG/USER of an org of the network", s.Witness)
		}
		org = nw.D.Org(org).MSPID // a name or an MSP ID
		creator, sign, err := nw.Signer(org, user)
		if err != nil {
			return fmt.Errorf("witness: %w", err)
		}
		cfg.Witness = &gateway.WitnessConfig{Who: gateway.Identity{Org: org, User: user}, Creator: creator, Sign: sign,
			Channels: nw.D.ChannelsOf(nw.D.Org(org)), Peers: s.WitnessPeers, Period: s.WitnessPeriod}
	}
	gw := gateway.NewServer(cfg, acl, ks, ledger, log)
	router, err := gw.Router()
	if err != nil {
		return err
	}
	srv, err := newServer(s, cfg, router)
	if err != nil {
		return err
	}
	if s.Pprof != "" {
		// A listener of its own: profiles never share the API's address.
		pp := &http.Server{Addr: s.Pprof, Handler: pprofMux(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = pp.ListenAndServe() }()
	}
	if s.AdminListen != "" {
		admin := &http.Server{Addr: s.AdminListen, Handler: gw.AdminRouter(), ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}
		go func() {
			if err := admin.ListenAndServe(); err != nil {
				log.Error("admin listener stopped", "listen", s.AdminListen, "error", err.Error())
			}
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ks.Log = log
	if err := ks.Watch(ctx); err != nil { // Lookup still re-reads a changed file every 250 ms
		log.Warn("not watching the API key file", "file", s.Keys, "error", err)
	}
	checkpoints := filepath.Join(s.stateDir(), "checkpoints")
	(&gateway.Invalidator{Net: nw, Who: cfg.PublicIdentity, Cache: cfg.Cache, Ledger: ledger, Dir: checkpoints, Log: log}).Run(ctx)
	go gw.RunWitness(ctx)
	webhooksDone := make(chan struct{})
	go func() { gw.RunWebhooks(ctx, nw, checkpoints); close(webhooksDone) }()
	defer func() { stop(); <-webhooksDone }() // the notifications stop before their store closes
	if s.ExchangeOrg != "" {
		(&gateway.ExchangeListener{Net: nw, Who: gateway.Identity{Org: s.ExchangeOrg, User: cfg.UserFor[gateway.RoleExchange]}, Dir: checkpoints, Log: log}).Run(ctx)
	}
	go func() {
		<-ctx.Done()
		// In-flight requests (submits waiting for commit) finish first.
		shutdown, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("serving", "listen", s.Listen, "tls", srv.TLSConfig != nil)
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return err
	}
	if err := serve(srv, ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newServer is the public listener's server: the gateway's connection
// bounds, and TLS when tls_cert is set.
func newServer(s Settings, cfg gateway.Config, h http.Handler) (*http.Server, error) {
	srv := gateway.HTTPServer(cfg, s.Listen, h)
	if s.TLSCert == "" && s.TLSKey == "" {
		if s.TLSClientCA != "" || (s.TLSClientAuth != "" && s.TLSClientAuth != gateway.ClientCertNone) {
			return nil, fmt.Errorf("tls_client_ca and tls_client_auth need tls_cert and tls_key")
		}
		return srv, nil
	}
	tc, err := gateway.TLSConfig(s.TLSCert, s.TLSKey, s.TLSClientCA, s.TLSClientAuth)
	if err != nil {
		return nil, err
	}
	srv.TLSConfig = tc
	return srv, nil
}

// serve serves srv on ln, over TLS when srv has a TLS configuration.
func serve(srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}

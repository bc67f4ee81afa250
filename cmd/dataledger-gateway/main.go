// Command dataledger-gateway serves dataledger's HTTP API in front of a
// running network.
//
//	dataledger-gateway --listen 127.0.0.1:8080 --home .run --keys .run/gateway/keys.json [--redis 127.0.0.1:6379]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"dataledger/gateway"
	"dataledger/network"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	desc := flag.String("description", "network/dataledger.yaml", "network description")
	home := flag.String("home", ".run", "network home")
	keys := flag.String("keys", ".run/gateway/keys.json", "API key file")
	redisAddr := flag.String("redis", "", "Redis address for the shared cache (empty: in-process cache)")
	noCache := flag.Bool("no-cache", false, "answer every lookup from the ledger (for measurements)")
	exchangeOrg := flag.String("exchange-org", "", "record, as this exchange org, receipt of every certificate registered on its channels")
	var issuerKeys []string
	flag.Func("issuer-key", "MSPID=path of an encrypted issuer key the gateway signs certificates with (repeatable)", func(v string) error {
		issuerKeys = append(issuerKeys, v)
		return nil
	})
	passFile := flag.String("keystore-pass", "", "file holding the issuer keys' passphrase")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if *noCache {
		*redisAddr = "none"
	}
	signers, err := loadSigners(issuerKeys, *passFile)
	if err != nil {
		log.Error("issuer keys", "error", err.Error())
		os.Exit(1)
	}
	if err := run(*listen, *desc, *home, *keys, *redisAddr, *exchangeOrg, signers, log); err != nil {
		log.Error("gateway stopped", "error", err.Error())
		os.Exit(1)
	}
}

func loadSigners(entries []string, passFile string) (*gateway.Keystore, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	pass, err := os.ReadFile(passFile)
	if err != nil {
		return nil, fmt.Errorf("--keystore-pass: %w", err)
	}
	return gateway.LoadKeystore(entries, bytes.TrimRight(pass, "\r\n"))
}

func run(listen, desc, home, keysPath, redisAddr, exchangeOrg string, signers *gateway.Keystore, log *slog.Logger) error {
	net, err := network.Open(desc, home, nil)
	if err != nil {
		return err
	}
	ks, err := gateway.OpenKeyStore(keysPath)
	if err != nil {
		return err
	}
	acl, err := gateway.LoadACL(nil)
	if err != nil {
		return err
	}
	ledger := &gateway.FabricLedger{Net: net}
	defer ledger.Close()
	if err := ledger.Connect(gateway.DefaultConfig().PublicIdentity); err != nil {
		return err
	}
	cfg := gateway.DefaultConfig()
	cfg.Signers = signers
	cfg.Cache = gateway.NewMemoryCache(100_000)
	if cfg.Idempotency, err = gateway.OpenIdempotencyStore(filepath.Join(home, "gateway", "idempotency.jsonl")); err != nil {
		return err
	}
	defer cfg.Idempotency.Close()
	if redisAddr == "none" {
		cfg.Cache = gateway.NoCache{}
	} else if redisAddr != "" {
		rc := redis.NewClient(&redis.Options{Addr: redisAddr, DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond})
		defer rc.Close()
		cfg.Cache = gateway.RedisCache{C: rc}
	}
	router, err := gateway.NewServer(cfg, acl, ks, ledger, log).Router()
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: listen, Handler: router, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	inv := &gateway.Invalidator{Net: net, Who: cfg.PublicIdentity, Cache: cfg.Cache, Ledger: ledger, Dir: filepath.Join(home, "gateway", "checkpoints"), Log: log}
	inv.Run(ctx)
	if exchangeOrg != "" {
		x := &gateway.ExchangeListener{Net: net, Who: gateway.Identity{Org: exchangeOrg, User: cfg.UserFor[gateway.RoleExchange]}, Dir: filepath.Join(home, "gateway", "checkpoints"), Log: log}
		x.Run(ctx)
	}
	go func() {
		<-ctx.Done()
		// In-flight requests (submits waiting for commit) finish first.
		shutdown, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("serving", "listen", listen)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

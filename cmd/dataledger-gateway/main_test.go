package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSettingsPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	_ = os.WriteFile(file, []byte("listen: 127.0.0.1:9000\nredis: 127.0.0.1:6379\nissuer_keys: [\"CityAMSP=a.pem\"]\n"), 0o600)
	t.Setenv("DATALEDGER_GATEWAY_REDIS", "127.0.0.1:6380")
	t.Setenv("DATALEDGER_GATEWAY_NO_CACHE", "true")
	s, err := load([]string{"--config", file, "--exchange-org", "ExchangeMSP"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Listen != "127.0.0.1:9000" || s.Redis != "127.0.0.1:6380" || !s.NoCache || s.ExchangeOrg != "ExchangeMSP" ||
		len(s.IssuerKeys) != 1 || s.Home != ".run" {
		t.Fatalf("settings %+v", s)
	}
	s, err = load([]string{"--config", file, "--listen", "127.0.0.1:9100"})
	if err != nil || s.Listen != "127.0.0.1:9100" {
		t.Fatalf("a flag overrides the file: %+v %v", s, err)
	}
	_ = os.WriteFile(file, []byte("lisen: x\n"), 0o600)
	if _, err := load([]string{"--config", file}); err == nil {
		t.Fatal("a misspelled setting was accepted")
	}
}

func TestBooleanFlagsTakeNoValue(t *testing.T) {
	s, err := load([]string{"--no-cache"})
	if err != nil || !s.NoCache {
		t.Fatalf("--no-cache: %+v %v", s, err)
	}
}

func TestTrustedProxiesDefaultToNone(t *testing.T) {
	s, err := load(nil)
	if err != nil || len(s.TrustedProxies) != 0 {
		t.Fatalf("default trusted proxies: %v %v", s.TrustedProxies, err)
	}
	s, err = load([]string{"--trusted-proxy", "10.0.0.1", "--trusted-proxy", "192.168.0.0/16"})
	if err != nil || len(s.TrustedProxies) != 2 || s.TrustedProxies[1] != "192.168.0.0/16" {
		t.Fatalf("--trusted-proxy twice: %v %v", s.TrustedProxies, err)
	}
}

func TestPublicTargetBoundSettings(t *testing.T) {
	s, err := load(nil)
	if err != nil || s.PublicPerTarget != 5 || s.PublicTargetWindow != time.Hour {
		t.Fatalf("defaults: %d %v %v", s.PublicPerTarget, s.PublicTargetWindow, err)
	}
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	_ = os.WriteFile(file, []byte("public_per_target: 3\npublic_target_window: 30m\n"), 0o600)
	s, err = load([]string{"--config", file})
	if err != nil || s.PublicPerTarget != 3 || s.PublicTargetWindow != 30*time.Minute {
		t.Fatalf("from the file: %d %v %v", s.PublicPerTarget, s.PublicTargetWindow, err)
	}
	t.Setenv("DATALEDGER_GATEWAY_PUBLIC_TARGET_WINDOW", "2h")
	s, err = load([]string{"--config", file, "--public-per-target", "0"})
	if err != nil || s.PublicPerTarget != 0 || s.PublicTargetWindow != 2*time.Hour {
		t.Fatalf("env and flag: %d %v %v", s.PublicPerTarget, s.PublicTargetWindow, err)
	}
	if _, err := load([]string{"--public-target-window", "soon"}); err == nil {
		t.Fatal("a malformed duration was accepted")
	}
}

func TestIdempotencyTTLSetting(t *testing.T) {
	s, err := load(nil)
	if err != nil || s.IdempotencyTTL != 24*time.Hour {
		t.Fatalf("default: %v %v", s.IdempotencyTTL, err)
	}
	if s, err = load([]string{"--idempotency-ttl", "48h"}); err != nil || s.IdempotencyTTL != 48*time.Hour {
		t.Fatalf("--idempotency-ttl 48h: %v %v", s.IdempotencyTTL, err)
	}
}

func TestCacheBound(t *testing.T) {
	t.Setenv("DATALEDGER_GATEWAY_CACHE_MB", "16")
	if s, err := load(nil); err != nil || s.CacheMB != 16 {
		t.Fatalf("DATALEDGER_GATEWAY_CACHE_MB: %+v %v", s, err)
	}
	if s, err := load([]string{"--cache-mb", "8"}); err != nil || s.CacheMB != 8 {
		t.Fatalf("--cache-mb: %+v %v", s, err)
	}
	if _, err := load([]string{"--cache-mb", "lots"}); err == nil {
		t.Fatal("--cache-mb lots was accepted")
	}
}

// TestRedisSettings: the Redis URL (it may hold a password) comes from the
// environment or the file as well as a flag, with the TLS files and the
// MAC key file.
func TestRedisSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	_ = os.WriteFile(file, []byte("redis_ca: ca.pem\nredis_cert: c.pem\nredis_key: c.key\nredis_server_name: redis.test\nredis_mac_key: mac\n"), 0o600)
	t.Setenv("DATALEDGER_GATEWAY_REDIS_URL", "rediss://gw:pw@127.0.0.1:6380/2")
	s, err := load([]string{"--config", file})
	if err != nil {
		t.Fatal(err)
	}
	if s.RedisURL != "rediss://gw:pw@127.0.0.1:6380/2" || s.RedisCA != "ca.pem" || s.RedisCert != "c.pem" || s.RedisKey != "c.key" ||
		s.RedisServerName != "redis.test" || s.RedisMACKey != "mac" {
		t.Fatalf("settings %+v", s)
	}
}

// --pprof on anything but loopback stops the gateway at startup, before it
// touches the network; /metrics and /readyz default to a loopback admin
// listener of their own.
func TestPprofAndAdminAreLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "192.0.2.1:6060", "example.com:6060", "6060"} {
		s, err := load([]string{"--pprof", addr, "--description", filepath.Join(t.TempDir(), "absent.yaml")})
		if err != nil {
			t.Fatal(err)
		}
		err = run(s, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "pprof") {
			t.Fatalf("--pprof %s: %v, want a refusal naming pprof", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:6060", "[::1]:6060", "localhost:6060"} {
		if err := check(Settings{Pprof: addr}); err != nil {
			t.Fatalf("--pprof %s: %v", addr, err)
		}
	}
	s, err := load(nil)
	if err != nil || loopback("admin_listen", s.AdminListen) != nil || s.AdminListen == s.Listen {
		t.Fatalf("default admin listener %q (public %q): %v", s.AdminListen, s.Listen, err)
	}
	if err := check(Settings{Listen: "127.0.0.1:8080", AdminListen: "127.0.0.1:8080"}); err == nil {
		t.Fatal("the admin listener on the public address was accepted")
	}
}

package main

import (
	"os"
	"path/filepath"
	"testing"
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

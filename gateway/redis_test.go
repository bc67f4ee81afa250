package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dataledger/chaincode/domain"
)

// freePort is a loopback port free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRedis runs a redis-server of the test's own with args, stopped (its
// PID killed) when the test ends; ready tells when it answers.
func startRedis(t *testing.T, ready func() error, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is required (scripts/deps.sh installs it)")
	}
	dir := t.TempDir()
	args = append([]string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}, args...)
	cmd := exec.Command(bin, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ready() == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server %v did not start: %s", args, out.String())
		}
	}
}

// redisHarness is a gateway caching in the Redis the settings name.
func redisHarness(t *testing.T, s RedisSettings) (*statusLedger, func() string, *redis.Client) {
	t.Helper()
	o, err := RedisOptions(s)
	if err != nil {
		t.Fatal(err)
	}
	o.MaxRetries = -1
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	l, h, _ := cacheHarness(t, RedisCache{C: c, MACKey: []byte(strings.Repeat("m", 32))})
	return l, func() string { return verifyStatus(t, h) }, c
}

// checkCaches: two verifications, one ledger read.
func checkCaches(t *testing.T, what string, s RedisSettings) {
	t.Helper()
	l, verify, c := redisHarness(t, s)
	if err := c.FlushDB(context.Background()).Err(); err != nil { // the server is the test's own
		t.Fatalf("%s: %v", what, err)
	}
	if verify() != domain.VerifyValid || verify() != domain.VerifyValid || l.reads != 1 {
		t.Fatalf("%s: %d ledger reads for two verifications, want 1 (a hit)", what, l.reads)
	}
}

// checkUnavailable: the cache refuses the gateway; every verification is
// still answered, from the ledger.
func checkUnavailable(t *testing.T, what string, s RedisSettings) {
	t.Helper()
	l, verify, c := redisHarness(t, s)
	if err := c.Ping(context.Background()).Err(); err == nil {
		t.Fatalf("%s: Redis accepted the gateway", what)
	}
	for i := 0; i < 3; i++ {
		if got := verify(); got != domain.VerifyValid {
			t.Fatalf("%s: %q", what, got)
		}
	}
	if l.reads != 3 {
		t.Fatalf("%s: %d ledger reads, want 3", what, l.reads)
	}
}

// TestRedisAuth: a Redis asking for a password (and an ACL user): the
// cache works with the right one; with a wrong one or none it is
// unavailable and the gateway answers from the ledger.
func TestRedisAuth(t *testing.T) {
	port := strconv.Itoa(freePort(t))
	startRedis(t, func() error {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, Password: "s3cret"})
		defer c.Close()
		return c.Ping(context.Background()).Err()
	}, "--port", port, "--requirepass", "s3cret", "--user", "gw", "on", ">gw-pass", "~dl:*", "+@all")
	checkCaches(t, "the right password", RedisSettings{URL: "redis://:s3cret@127.0.0.1:" + port + "/3"})
	checkCaches(t, "an ACL user", RedisSettings{URL: "redis://gw:gw-pass@127.0.0.1:" + port + "/4"})
	checkUnavailable(t, "a wrong password", RedisSettings{URL: "redis://:wrong@127.0.0.1:" + port + "/3"})
	checkUnavailable(t, "no password", RedisSettings{Addr: "127.0.0.1:" + port})
}

// pki writes a CA, a server certificate for 127.0.0.1 and redis.test, and
// a client certificate, as PEM files in dir.
func pki(t *testing.T, dir, prefix string) (ca, cert, key, clientCert, clientKey string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, prefix+name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: prefix + " test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, usage x509.ExtKeyUsage) ([]byte, []byte) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "redis.test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			DNSNames: []string{"redis.test"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, _ := x509.MarshalPKCS8PrivateKey(k)
		return der, kd
	}
	sDER, sKey := issue(2, x509.ExtKeyUsageServerAuth)
	cDER, cKey := issue(3, x509.ExtKeyUsageClientAuth)
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", sDER), write("server.key", "PRIVATE KEY", sKey),
		write("client.pem", "CERTIFICATE", cDER), write("client.key", "PRIVATE KEY", cKey)
}

// TestRedisTLS: a Redis serving TLS only, asking for a client certificate
// and a password. The cache works with the CA, the client certificate and
// the password; without the client certificate, with another CA, or with a
// server name the certificate does not carry, it is unavailable and the
// gateway answers from the ledger.
func TestRedisTLS(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key, clientCert, clientKey := pki(t, dir, "")
	otherCA, _, _, _, _ := pki(t, dir, "other-")
	port := strconv.Itoa(freePort(t))
	url := "rediss://:s3cret@127.0.0.1:" + port + "/5"
	good := RedisSettings{URL: url, CAFile: ca, CertFile: clientCert, KeyFile: clientKey}
	startRedis(t, func() error {
		o, err := RedisOptions(good)
		if err != nil {
			return err
		}
		c := redis.NewClient(o)
		defer c.Close()
		return c.Ping(context.Background()).Err()
	}, "--port", "0", "--tls-port", port, "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca,
		"--tls-auth-clients", "yes", "--requirepass", "s3cret")
	checkCaches(t, "TLS with the CA and a client certificate", good)
	named := good
	named.ServerName = "redis.test"
	checkCaches(t, "TLS naming the server", named)
	checkUnavailable(t, "TLS without a client certificate", RedisSettings{URL: url, CAFile: ca})
	checkUnavailable(t, "TLS with another CA", RedisSettings{URL: url, CAFile: otherCA, CertFile: clientCert, KeyFile: clientKey})
	wrongName := good
	wrongName.ServerName = "elsewhere.test"
	checkUnavailable(t, "TLS with a server name the certificate lacks", wrongName)
	checkUnavailable(t, "plain text to the TLS port", RedisSettings{URL: "redis://:s3cret@127.0.0.1:" + port + "/5"})
}

// TestRedisOptions: settings that do not fit together are refused, and no
// error repeats the URL's password.
func TestRedisOptions(t *testing.T) {
	for _, s := range []RedisSettings{
		{URL: "redis://gw:s3cret@127.0.0.1:notaport/0"},
		{URL: "redis://gw:s3cret@127.0.0.1:6379/x"},
		{URL: "redis://gw:s3cret@127.0.0.1:6379/0?bogus=1"},
		{URL: "http://gw:s3cret@127.0.0.1:6379/0"},
		{URL: "redis://gw:s3cret@127.0.0.1:6379/0", CAFile: "ca.pem"},
		{URL: "rediss://gw:s3cret@127.0.0.1:6379/0", CAFile: filepath.Join(t.TempDir(), "absent.pem")},
		{URL: "rediss://gw:s3cret@127.0.0.1:6379/0", CertFile: "c.pem"},
		{Addr: "127.0.0.1:6379", URL: "redis://gw:s3cret@127.0.0.1:6379/0"},
		{Addr: "127.0.0.1:6379", CAFile: "ca.pem"},
	} {
		_, err := RedisOptions(s)
		if err == nil {
			t.Fatalf("accepted: %+v", s)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("an error shows the password: %v", err)
		}
	}
	o, err := RedisOptions(RedisSettings{URL: "rediss://gw:s3cret@redis.example:6380/2?dial_timeout=1s", ServerName: "cache.example"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Username != "gw" || o.Password != "s3cret" || o.DB != 2 || o.Addr != "redis.example:6380" || o.DialTimeout != time.Second ||
		o.ReadTimeout != cacheTimeout || o.TLSConfig == nil || o.TLSConfig.ServerName != "cache.example" || o.TLSConfig.InsecureSkipVerify {
		t.Fatalf("options %+v", o)
	}
}

// TestLoadCacheMACKey: a short key file is refused.
func TestLoadCacheMACKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mac")
	_ = os.WriteFile(p, []byte("short\n"), 0o600)
	if _, err := LoadCacheMACKey(p); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
	_ = os.WriteFile(p, []byte(strings.Repeat("x", 44)+"\n"), 0o600)
	if k, err := LoadCacheMACKey(p); err != nil || len(k) != 44 {
		t.Fatalf("%d %v", len(k), err)
	}
}

// TestRedisValueIsBoundToItsKey: a genuine value copied under another key
// (a "valid" answer of one credential moved to another's), or written by
// a gateway holding another key, is refused; the same key reads it back.
func TestRedisValueIsBoundToItsKey(t *testing.T) {
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 12})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at 127.0.0.1:6379 is required: %v", err)
	}
	key := []byte(strings.Repeat("k", 32))
	a := RedisCache{C: c, MACKey: key}
	if err := a.Set(ctx, "bound|a", []byte("valid"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := (RedisCache{C: c, MACKey: key}).Get(ctx, "bound|a"); err != nil || !ok || string(v) != "valid" {
		t.Fatalf("the same key: %q %v %v", v, ok, err)
	}
	raw, _ := c.Get(ctx, "dl:c:bound|a").Bytes()
	_ = c.Set(ctx, "dl:c:bound|b", raw, time.Minute).Err()
	if _, ok, err := a.Get(ctx, "bound|b"); ok || err != ErrCacheForged {
		t.Fatalf("a value moved to another key: ok=%v err=%v", ok, err)
	}
	other := RedisCache{C: c, MACKey: []byte(strings.Repeat("o", 32))}
	if _, ok, err := other.Get(ctx, "bound|a"); ok || err != ErrCacheForged {
		t.Fatalf("another gateway key: ok=%v err=%v", ok, err)
	}
	_ = c.Set(ctx, "dl:c:bound|c", "short", time.Minute).Err()
	if _, ok, err := a.Get(ctx, "bound|c"); ok || err != ErrCacheForged {
		t.Fatalf("a value shorter than a MAC: ok=%v err=%v", ok, err)
	}
}

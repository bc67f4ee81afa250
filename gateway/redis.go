package gateway

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisSettings say how the gateway reaches its Redis.
type RedisSettings struct {
	// Addr is a plain host:port (no AUTH, no TLS): the older setting.
	Addr string
	// URL is redis://[user:password@]host:port[/db] or rediss:// for TLS
	// (go-redis's ParseURL: query options such as dial_timeout too).
	URL string
	// CAFile holds the PEM certificates that may sign Redis's certificate
	// (default: the system's roots). rediss:// only.
	CAFile string
	// CertFile and KeyFile are a client certificate for Redis that asks
	// for one (tls-auth-clients). rediss:// only.
	CertFile, KeyFile string
	// ServerName is the name Redis's certificate must carry (default: the
	// URL's host). rediss:// only.
	ServerName string
}

// cacheTimeout bounds a Redis call unless the URL says otherwise: the
// cache is a shortcut, a slow one is worse than none.
const cacheTimeout = 200 * time.Millisecond

// RedisOptions turns the settings into go-redis options. No error it
// returns holds the URL: it may carry a password.
func RedisOptions(s RedisSettings) (*redis.Options, error) {
	if s.Addr != "" && s.URL != "" {
		return nil, errors.New("redis and redis_url are both set: give one")
	}
	if s.URL == "" {
		if s.CAFile != "" || s.CertFile != "" || s.KeyFile != "" || s.ServerName != "" {
			return nil, errors.New("redis_ca, redis_cert, redis_key and redis_server_name need redis_url with rediss://")
		}
		return &redis.Options{Addr: s.Addr, DialTimeout: cacheTimeout, ReadTimeout: cacheTimeout, WriteTimeout: cacheTimeout}, nil
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL itself
		}
		return nil, fmt.Errorf("redis_url: %v", err)
	}
	o, err := redis.ParseURL(s.URL)
	if err != nil {
		return nil, fmt.Errorf("redis_url: %v", err) // go-redis's messages name a part, never the userinfo
	}
	q := u.Query()
	if !q.Has("dial_timeout") {
		o.DialTimeout = cacheTimeout
	}
	if !q.Has("read_timeout") {
		o.ReadTimeout = cacheTimeout
	}
	if !q.Has("write_timeout") {
		o.WriteTimeout = cacheTimeout
	}
	if o.TLSConfig == nil {
		if s.CAFile != "" || s.CertFile != "" || s.KeyFile != "" || s.ServerName != "" {
			return nil, errors.New("redis_ca, redis_cert, redis_key and redis_server_name need redis_url with rediss://")
		}
		return o, nil
	}
	o.TLSConfig.MinVersion = tls.VersionTLS12
	if s.ServerName != "" {
		o.TLSConfig.ServerName = s.ServerName
	}
	if s.CAFile != "" {
		pool, err := certPool(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("redis_ca: %w", err)
		}
		o.TLSConfig.RootCAs = pool
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return nil, errors.New("redis_cert and redis_key go together")
	}
	if s.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("redis_cert/redis_key: %w", err)
		}
		o.TLSConfig.Certificates = []tls.Certificate{cert}
	}
	return o, nil
}

// MinCacheMACKey is the shortest key accepted to authenticate cached values.
const MinCacheMACKey = 32

// LoadCacheMACKey reads the key that authenticates values kept in Redis
// from a file (its bytes, surrounding whitespace trimmed; at least
// MinCacheMACKey of them, e.g. `head -c 32 /dev/urandom | base64`).
func LoadCacheMACKey(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("redis_mac_key: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < MinCacheMACKey {
		return nil, fmt.Errorf("redis_mac_key: %s holds %d bytes, at least %d are needed", file, len(b), MinCacheMACKey)
	}
	return b, nil
}

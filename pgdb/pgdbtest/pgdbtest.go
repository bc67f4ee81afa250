// Package pgdbtest gives tests databases of their own on the machine's
// PostgreSQL (scripts/deps.sh starts it).
package pgdbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"dataledger/pgdb"
)

// DSN names a fresh database (prefix and random hex) on the test
// PostgreSQL ($DATALEDGER_TEST_PG, default
// postgres://postgres@127.0.0.1:5432/), dropped after the test; the
// service that opens it creates it.
func DSN(t testing.TB, prefix string) string {
	base := os.Getenv("DATALEDGER_TEST_PG")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/"
	}
	b := make([]byte, 6)
	rand.Read(b)
	dsn := base + prefix + hex.EncodeToString(b) + "?sslmode=disable"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = pgdb.Drop(ctx, dsn)
	})
	return dsn
}

// Package pgdb opens the PostgreSQL databases of dataledger's services
// (the supervision index, the state a gateway's instances share): it
// creates a database that does not exist yet, and brings a schema up to
// date with goose migrations under an advisory lock, so that services
// starting together migrate once.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Connect opens a pool on the database dsn names, creating the database
// when PostgreSQL answers that it does not exist. what names the database
// in errors ("index database"). A dsn without pool_max_conns may open up
// to at least maxConns connections.
func Connect(ctx context.Context, dsn, what string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn) // its errors hide a password
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !strings.Contains(dsn, "pool_max_conns") && cfg.MaxConns < maxConns {
		cfg.MaxConns = maxConns
	}
	if err := ensureDatabase(ctx, cfg.ConnConfig, what); err != nil {
		return nil, err
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// ensureDatabase creates the database a connection names when PostgreSQL
// answers that it does not exist.
func ensureDatabase(ctx context.Context, cc *pgx.ConnConfig, what string) error {
	c, err := pgx.ConnectConfig(ctx, cc)
	if err == nil {
		return c.Close(ctx)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "3D000" { // invalid_catalog_name
		return fmt.Errorf("%s: %w", what, err)
	}
	admin := cc.Copy()
	admin.Database = "postgres"
	c, err = pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("%s: creating %s: %w", what, cc.Database, err)
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cc.Database}.Sanitize())
	if errors.As(err, &pe) && (pe.Code == "42P04" || pe.Code == "23505") { // created meanwhile (duplicate_database, or the catalog's unique index)
		err = nil
	}
	return err
}

// Migrate applies the migrations (goose SQL files at the root of
// migrations) not yet applied, recording them in table ("": goose's
// default), under a PostgreSQL session lock.
func Migrate(ctx context.Context, pool *pgxpool.Pool, migrations fs.FS, table, what string) error {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	opts := []goose.ProviderOption{goose.WithSessionLocker(locker)}
	if table != "" {
		opts = append(opts, goose.WithTableName(table))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations, opts...)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("%s: migrating: %w", what, err)
	}
	return nil
}

// Drop drops the database dsn names (false: there was none), for a
// network purged with its ledgers and for tests.
func Drop(ctx context.Context, dsn string) (bool, error) {
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return false, err
	}
	admin := cc.Copy()
	admin.Database = "postgres"
	c, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return false, err
	}
	defer c.Close(ctx)
	var exists bool
	if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, cc.Database).Scan(&exists); err != nil || !exists {
		return false, err
	}
	_, err = c.Exec(ctx, "DROP DATABASE "+pgx.Identifier{cc.Database}.Sanitize()+" WITH (FORCE)")
	return err == nil, err
}

// Schema creates the schema name unless it exists (services starting
// together may both create it).
func Schema(ctx context.Context, pool *pgxpool.Pool, name string) error {
	_, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{name}.Sanitize())
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P06") { // created meanwhile
		err = nil
	}
	return err
}

// Package postgres is leadflow's PostgreSQL store (S-STORE-2..4): several leadflow nodes share one
// database. The queries are sqlstore's, in the PostgreSQL dialect (numbered placeholders, rows
// locked for update, queue rows claimed with SKIP LOCKED); this package owns the connection pool,
// transactions with retries, migrations, leases and LISTEN/NOTIFY.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tunes the store.
type Options struct {
	// MaxConns bounds the connection pool (default 16).
	MaxConns int32
	Logger   *slog.Logger
}

// Store is the PostgreSQL implementation of leadflow.Store.
type Store struct {
	pool *pgxpool.Pool
	db   *sql.DB
	dsn  string
	log  *slog.Logger
	// scope suffixes bus channel names with the schema, so stores in different schemas of one
	// database (tests, tenants) do not hear each other.
	scope string
}

// IsDSN reports whether a --db value names a PostgreSQL database rather than a SQLite file.
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at dsn (postgres://user:pass@host/db) and applies the
// migrations; several nodes may open the same database at once (migrations take an advisory
// lock).
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	cfg.MaxConns = opts.MaxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, db: stdlib.OpenDBFromPool(pool), dsn: dsn, log: opts.Logger}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&s.scope); err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// Dialect returns "postgres".
func (s *Store) Dialect() string { return "postgres" }

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close closes the connections.
func (s *Store) Close() error {
	err := s.db.Close()
	s.pool.Close()
	return err
}

// maxAttempts bounds the retries of a write that met a concurrent one.
const maxAttempts = 8

// Write runs fn in its own transaction (READ COMMITTED; rows fn reads for update are locked) and
// commits it. A transaction that meets a concurrent one — a serialization failure, a deadlock, or
// a unique key another node inserted meanwhile — is rolled back and fn runs again, so fn must not
// keep effects outside the transaction (the service's write functions reset theirs).
func (s *Store) Write(ctx context.Context, fn func(leadflow.Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = s.writeOnce(ctx, fn)
		if err == nil || attempt >= maxAttempts || !retryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt*attempt) * time.Millisecond)
	}
}

func (s *Store) writeOnce(ctx context.Context, fn func(leadflow.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(sqlstore.NewTx(tx, sqlstore.Postgres, true)); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether err came from meeting a concurrent transaction.
func retryable(err error) bool {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return false
	}
	switch pg.Code {
	case "40001", "40P01", "23505", "25P02": // serialization, deadlock, unique (race), aborted by one of those
		return true
	}
	return false
}

// Read runs fn in a read-only transaction with a consistent snapshot.
func (s *Store) Read(ctx context.Context, fn func(leadflow.ReadTx) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(sqlstore.NewTx(tx, sqlstore.Postgres, false))
}

// migrationLock is the advisory lock key that serialises migrations of several starting nodes.
const migrationLock = 0x6c65616466 // "leadf"

func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	return sqlstore.Migrate(ctx, conn, sqlstore.Postgres, migrations, "BEGIN", func(v int) {
		s.log.Info("schema migrated", slog.Int("version", v), slog.String("db", "postgres"))
	})
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

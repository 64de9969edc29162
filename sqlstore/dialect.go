// Package sqlstore is leadflow's store logic over database/sql, shared by the SQLite and the
// PostgreSQL stores: one implementation of leadflow.Tx whose SQL is written once with ?
// placeholders and adapted to each dialect (S-STORE-1..3). Each engine's package owns its
// connections, transactions, migrations and schema; this package owns the queries.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow"
)

// Querier is what a connection or a transaction offers.
type Querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// Dialect describes how an engine differs from the SQL the queries are written in.
type Dialect struct {
	Name string
	// Numbered placeholders ($1, $2, …) instead of ? and ?N.
	Numbered bool
	// Returning: new ids come from INSERT … RETURNING id instead of the driver's last insert id.
	Returning bool
	// LockRows: rows read in a write transaction that will be updated are locked (SELECT … FOR
	// UPDATE), and queue rows are claimed with SKIP LOCKED, because several nodes write at once.
	// An engine with a single writer needs neither.
	LockRows bool
	// MergedOwners: a lead's owner is indexed in the lead_owners table, merged in bulk by the
	// single writer, instead of by an index on leads (owner_id) (see the SQLite migration 0008).
	MergedOwners bool
	// AssignmentHours: assignments are found by time from assignment_hours, the lowest id of each
	// hour's, kept by the single writer, instead of by an index on assignments (at) (see the
	// SQLite migration 0010).
	AssignmentHours bool

	cache sync.Map // query text → rebound text
}

// SQLite is the dialect of the embedded store: one writer, ? placeholders.
var SQLite = &Dialect{Name: "sqlite", MergedOwners: true, AssignmentHours: true}

// Postgres is the dialect of the PostgreSQL store.
var Postgres = &Dialect{Name: "postgres", Numbered: true, Returning: true, LockRows: true}

// NewTx returns the leadflow.Tx of the dialect over q; write marks a write transaction.
func NewTx(q Querier, d *Dialect, write bool) leadflow.Tx {
	return &queries{q: rebinder{q: q, d: d}, d: d, write: write}
}

// rebind turns ? and ?N placeholders into $N for numbered dialects. Question marks inside string
// literals are left alone.
func (d *Dialect) rebind(q string) string {
	if !d.Numbered {
		return q
	}
	if v, ok := d.cache.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	inString := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inString = !inString
			b.WriteByte(c)
		case c == '?' && !inString:
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j > i+1 { // ?N keeps its number
				b.WriteString("$" + q[i+1:j])
				i = j - 1
				continue
			}
			n++
			b.WriteString("$" + strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	d.cache.Store(q, out)
	return out
}

// rebinder adapts queries written with ? placeholders to the dialect.
type rebinder struct {
	q Querier
	d *Dialect
}

func (r rebinder) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return r.q.ExecContext(ctx, r.d.rebind(q), args...)
}

func (r rebinder) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return r.q.QueryContext(ctx, r.d.rebind(q), args...)
}

func (r rebinder) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return r.q.QueryRowContext(ctx, r.d.rebind(q), args...)
}

// insertID runs an INSERT and returns the new row's id; inserted is false when an ON CONFLICT
// DO NOTHING clause skipped the row.
func (x *queries) insertID(ctx context.Context, q string, args ...any) (id int64, inserted bool, err error) {
	if x.d.Returning {
		err = x.q.QueryRowContext(ctx, q+" RETURNING id", args...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		return id, err == nil, err
	}
	res, err := x.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return 0, false, err
	}
	id, err = res.LastInsertId()
	return id, err == nil, err
}

// forUpdate is the locking clause of a read that precedes an update in a write transaction.
func (x *queries) forUpdate() string {
	if x.write && x.d.LockRows {
		return " FOR UPDATE"
	}
	return ""
}

// skipLocked is the clause that lets several nodes claim queue rows without taking each other's.
func (x *queries) skipLocked() string {
	if x.d.LockRows {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// intList is a subquery over a JSON array parameter of integers, for IN.
func (x *queries) intList(param string) string {
	if x.d.Numbered {
		return "(SELECT value::bigint FROM json_array_elements_text(" + param + "::json))"
	}
	return "(SELECT value FROM json_each(" + param + "))"
}

// textList is a subquery over a JSON array parameter of strings, for IN.
func (x *queries) textList(param string) string {
	if x.d.Numbered {
		return "(SELECT value FROM json_array_elements_text(" + param + "::json))"
	}
	return "(SELECT value FROM json_each(" + param + "))"
}

// Migration is one numbered schema change of a store (migrations/NNNN_name.sql).
type Migration struct {
	Version int
	SQL     string
}

// Migrations reads the migrations/*.sql files of fsys in version order.
func Migrations(fsys fs.FS) ([]Migration, error) {
	files, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		v, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(f, "migrations/"), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad name", f)
		}
		body, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, SQL: string(body)})
	}
	return out, nil
}

// Migrate applies the migrations of fsys newer than the highest recorded one, each in its own
// transaction on c (begun with beginSQL, e.g. "BEGIN IMMEDIATE" for SQLite), recording each
// version; applied is called after each commit.
func Migrate(ctx context.Context, c *sql.Conn, d *Dialect, fsys fs.FS, beginSQL string, applied func(version int)) error {
	if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := c.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	all, err := Migrations(fsys)
	if err != nil {
		return err
	}
	for _, m := range all {
		if m.Version <= current {
			continue
		}
		if err := apply(ctx, c, d, m, beginSQL); err != nil {
			return fmt.Errorf("migration %d: %w", m.Version, err)
		}
		applied(m.Version)
	}
	return nil
}

func apply(ctx context.Context, c *sql.Conn, d *Dialect, m Migration, beginSQL string) error {
	if _, err := c.ExecContext(ctx, beginSQL); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, m.SQL); err != nil {
		_, _ = c.ExecContext(ctx, "ROLLBACK")
		return err
	}
	if _, err := c.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), m.Version, time.Now().UnixMilli()); err != nil {
		_, _ = c.ExecContext(ctx, "ROLLBACK")
		return err
	}
	_, err := c.ExecContext(ctx, "COMMIT")
	return err
}

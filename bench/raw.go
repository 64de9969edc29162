package bench

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/sqlite"
	_ "modernc.org/sqlite" // the same pure-Go SQLite driver the store uses
)

// The raw SQLite ceiling: the same rows written with nothing but database/sql, one prepared
// INSERT per row, on a fresh database with the store's pragmas and the store's table shape
// (the leads and events tables and indexes of sqlite/migrations).
// Everything leadflow does on top (HTTP, JSON decoding, validation, dedupe lookups, scoring,
// history, group commit) shows up as the ratio between its rate and this one.

// storeSchema returns the CREATE statements of the leads and events tables and their indexes
// (not their triggers, which keep other tables) exactly as the store's migrations create them: it migrates a throwaway database in dir and
// reads them back from sqlite_master, so the raw ceiling always has the store's table shape.
func storeSchema(ctx context.Context, dir string) (string, error) {
	tmp, err := os.MkdirTemp(dir, "schema-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "schema.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return "", fmt.Errorf("migrate a schema database: %w", err)
	}
	if err := st.Close(); err != nil {
		return "", err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return "", err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE tbl_name IN ('leads', 'events') AND type IN ('table', 'index') AND sql IS NOT NULL
ORDER BY tbl_name DESC, type = 'index', name`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	tables := 0
	for rows.Next() {
		var stmt string
		if err := rows.Scan(&stmt); err != nil {
			return "", err
		}
		if strings.HasPrefix(stmt, "CREATE TABLE") {
			tables++
		}
		b.WriteString(stmt)
		b.WriteString(";\n")
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if tables != 2 {
		return "", fmt.Errorf("the store's schema has no leads or events table")
	}
	return b.String(), nil
}

const (
	rawInsertLead = `INSERT INTO leads (external_id, email_norm, stage, owner_id, source, campaign, search, fit, engagement, total, grade, band, model_version, scored_at, hits, rescore_at, data, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	rawInsertEvent = `INSERT INTO events (event_id, lead_id, type, occurred_at, received_at, properties) VALUES (?, ?, ?, ?, ?, ?)`
)

// rawDSN is the store's DSN: WAL, synchronous NORMAL, the same busy timeout, foreign keys and
// page cache size, so the ceiling is what the store's own connection could do.
func rawDSN(path string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)", "cache_size(-32000)"} {
		q.Add("_pragma", p)
	}
	return "file:" + path + "?" + q.Encode()
}

// openRaw creates a fresh database at path with the given schema (see storeSchema).
func openRaw(ctx context.Context, path, schema string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", rawDSN(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("raw schema: %w", err)
	}
	return db, nil
}

// rawInsert inserts n rows with query, perTx rows per transaction, and returns the time spent in
// transactions. Rows are built (args) in untimed chunks before their transactions run, so only
// database work is timed.
func rawInsert(ctx context.Context, db *sql.DB, query string, n, perTx int, args func(i int) []any) (time.Duration, error) {
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	chunk := max(perTx, 1000)
	buf := make([][]any, 0, chunk)
	var spent time.Duration
	for start := 0; start < n; start += chunk {
		if err := ctx.Err(); err != nil {
			return spent, err
		}
		end := min(start+chunk, n)
		buf = buf[:0]
		for i := start; i < end; i++ {
			buf = append(buf, args(i))
		}
		t0 := time.Now()
		for lo := 0; lo < len(buf); lo += perTx {
			hi := min(lo+perTx, len(buf))
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return spent, err
			}
			ts := tx.StmtContext(ctx, st)
			for _, a := range buf[lo:hi] {
				if _, err := ts.ExecContext(ctx, a...); err != nil {
					tx.Rollback()
					return spent, fmt.Errorf("raw insert: %w", err)
				}
			}
			if err := tx.Commit(); err != nil {
				return spent, err
			}
		}
		spent += time.Since(t0)
	}
	return spent, nil
}

// leadArgs is the INSERT row of a lead: the same identity, search text and JSON data size the
// API request carries (data is the request body itself).
func leadArgs(g genLead, nowMS int64) []any {
	return []any{g.ext, leadflow.NormalizeEmail(g.email), "new", nil, deref(g.t.in.Source), deref(g.t.in.Campaign), g.search(),
		15.0, 0.0, 15.0, "C", "cold", 1, nowMS, nil, nil, string(g.body()), nowMS, nowMS}
}

// eventArgs is the INSERT row of an event; lead ids are 1-based positions in the lead set.
func eventArgs(e genEvent, nowMS int64) []any {
	var props any
	if e.t.propsJSON != "" {
		props = e.t.propsJSON
	}
	return []any{e.id, int64(e.leadIdx + 1), e.t.typ, nowMS, nowMS, props}
}

// rawCeiling measures one raw insert on a fresh database file and returns rows/s.
func rawCeiling(ctx context.Context, path, schema, query string, n, perTx int, args func(i int) []any) (float64, error) {
	db, err := openRaw(ctx, path, schema)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	spent, err := rawInsert(ctx, db, query, n, perTx, args)
	if err != nil {
		return 0, err
	}
	return rate(n, spent), nil
}

// rawRescore is the ceiling of rescoring: in transactions of chunk leads, read the next chunk of
// lead rows (every column, data included) and their events, then UPDATE each lead's score
// columns. It is the least database work a rescore must do; it returns leads/s.
func rawRescore(ctx context.Context, db *sql.DB, chunk int) (float64, int, error) {
	upd, err := db.PrepareContext(ctx, `UPDATE leads SET fit = ?, engagement = ?, total = ?, grade = ?, band = ?, model_version = ?, scored_at = ?, hits = ?, rescore_at = ? WHERE id = ?`)
	if err != nil {
		return 0, 0, err
	}
	defer upd.Close()
	sel, err := db.PrepareContext(ctx, `SELECT id, stage, owner_id, source, campaign, fit, engagement, total, grade, band, model_version, scored_at, hits, rescore_at, data, created_at, updated_at FROM leads WHERE id > ? ORDER BY id LIMIT ?`)
	if err != nil {
		return 0, 0, err
	}
	defer sel.Close()
	evs, err := db.PrepareContext(ctx, `SELECT id, event_id, lead_id, type, occurred_at, received_at, properties FROM events WHERE lead_id BETWEEN ? AND ? ORDER BY lead_id, occurred_at, id`)
	if err != nil {
		return 0, 0, err
	}
	defer evs.Close()
	type row struct {
		id                       int64
		stage, source, campaign  string
		owner, rescoreAt         sql.NullInt64
		fit, eng, total          float64
		grade, band              string
		version                  int
		scored, created, updated int64
		hits                     sql.NullString
		data                     string
	}
	rows := make([]row, 0, chunk)
	var last int64
	done := 0
	start := time.Now()
	now := start.UnixMilli()
	for {
		if err := ctx.Err(); err != nil {
			return 0, done, err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, done, err
		}
		rows = rows[:0]
		rs, err := tx.StmtContext(ctx, sel).QueryContext(ctx, last, chunk)
		if err != nil {
			tx.Rollback()
			return 0, done, err
		}
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.id, &r.stage, &r.owner, &r.source, &r.campaign, &r.fit, &r.eng, &r.total, &r.grade, &r.band,
				&r.version, &r.scored, &r.hits, &r.rescoreAt, &r.data, &r.created, &r.updated); err != nil {
				rs.Close()
				tx.Rollback()
				return 0, done, err
			}
			rows = append(rows, r)
		}
		rs.Close()
		if len(rows) == 0 {
			tx.Rollback()
			break
		}
		er, err := tx.StmtContext(ctx, evs).QueryContext(ctx, rows[0].id, rows[len(rows)-1].id)
		if err != nil {
			tx.Rollback()
			return 0, done, err
		}
		for er.Next() {
			var id, leadID, occ, rec int64
			var eventID, props sql.NullString
			var typ string
			if err := er.Scan(&id, &eventID, &leadID, &typ, &occ, &rec, &props); err != nil {
				er.Close()
				tx.Rollback()
				return 0, done, err
			}
		}
		er.Close()
		u := tx.StmtContext(ctx, upd)
		for _, r := range rows {
			if _, err := u.ExecContext(ctx, r.fit+5, r.eng, r.total+5, r.grade, r.band, r.version+1, now, r.hits, r.rescoreAt, r.id); err != nil {
				tx.Rollback()
				return 0, done, err
			}
		}
		if err := tx.Commit(); err != nil {
			return 0, done, err
		}
		done += len(rows)
		last = rows[len(rows)-1].id
	}
	return rate(done, time.Since(start)), done, nil
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

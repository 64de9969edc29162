package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leadflow/leadflow/postgres"
)

// The raw PostgreSQL ceiling: the same rows written with nothing but pgx, into the tables of a
// schema freshly migrated by the store (so the table shape, constraints and indexes are the
// store's), on the same server the PostgreSQL scenario uses.

// pgCheck connects to the server and describes it: version and the settings that decide what a
// commit costs.
func pgCheck(ctx context.Context, dsn string) (string, error) {
	if !postgres.IsDSN(dsn) {
		return "", fmt.Errorf("bench: --db %s is not a postgres:// URL", redactArg(dsn))
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("bench: connect to PostgreSQL at %s: %w", pgServer(dsn), err)
	}
	defer conn.Close(ctx)
	var v, fsync, sync, buffers, maxConns string
	err = conn.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'),
		current_setting('shared_buffers'), current_setting('max_connections')`).Scan(&v, &fsync, &sync, &buffers, &maxConns)
	if err != nil {
		return "", fmt.Errorf("bench: PostgreSQL settings: %w", err)
	}
	return fmt.Sprintf("%s (fsync %s, synchronous_commit %s, shared_buffers %s, max_connections %s)", v, fsync, sync, buffers, maxConns), nil
}

// pgServer names the server and database of a URL, without credentials.
func pgServer(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the --db server"
	}
	return u.Host + u.Path
}

// redactArg hides the password of a database URL in a command-line argument.
func redactArg(a string) string {
	prefix := ""
	for _, p := range []string{"--db=", "-db="} {
		if v, ok := strings.CutPrefix(a, p); ok {
			prefix, a = p, v
		}
	}
	if !postgres.IsDSN(a) {
		return prefix + a
	}
	u, err := url.Parse(a)
	if err != nil {
		return prefix + "postgres://…"
	}
	return prefix + u.Redacted()
}

// pgActive reports whether the run includes the PostgreSQL scenario.
func (r *runner) pgActive() bool {
	if r.o.Postgres == "" {
		return false
	}
	if len(r.o.Only) == 0 {
		return true
	}
	for _, s := range r.o.Only {
		if s == "postgres" {
			return true
		}
	}
	return false
}

// pgSchema creates a fresh, empty schema and returns a URL whose connections use it (its
// search_path) and a function that drops it with everything in it. The caller closes every
// connection to the schema before dropping it.
func (r *runner) pgSchema(ctx context.Context, label string) (string, func(), error) {
	b := make([]byte, 4)
	rand.Read(b)
	name := "bench_" + label + "_" + hex.EncodeToString(b)
	ident := pgx.Identifier{name}.Sanitize()
	conn, err := pgx.Connect(ctx, r.o.Postgres)
	if err != nil {
		return "", nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	dropped := false
	drop := func() {
		if dropped {
			return
		}
		dropped = true
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(dctx, r.o.Postgres)
		if err == nil {
			_, err = c.Exec(dctx, "DROP SCHEMA "+ident+" CASCADE")
			c.Close(dctx)
		}
		if err != nil {
			r.progress("  warning: could not drop schema %s: %v", ident, err)
		}
	}
	u, err := url.Parse(r.o.Postgres)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// pgCount counts a table's rows in the schema of dsn.
func pgCount(ctx context.Context, dsn, table string) (int64, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int64
	err = conn.QueryRow(ctx, "SELECT COUNT(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n)
	return n, err
}

// expectPGRows fails unless the table of the schema of dsn holds exactly want rows.
func expectPGRows(ctx context.Context, dsn, scenario, table string, want int) error {
	got, err := pgCount(ctx, dsn, table)
	if err != nil {
		return fmt.Errorf("%s: count %s: %w", scenario, table, err)
	}
	if got != int64(want) {
		return fmt.Errorf("%s LOST WRITES: every request succeeded but the database holds %d %s, want %d", scenario, got, table, want)
	}
	return nil
}

// waitPGRows waits until a PostgreSQL table holds want rows and returns how long that took.
func waitPGRows(ctx context.Context, dsn, table string, want int64, limit time.Duration) (time.Duration, error) {
	return waitCount(ctx, table, want, limit, func(ctx context.Context) (int64, error) { return pgCount(ctx, dsn, table) })
}

// pgDeadlocks returns the number of deadlocks the server has detected in the database so far
// (pg_stat_database), or -1 when it cannot tell. Call it after the phase's connections are closed:
// a server process reports its counts when its connection ends (or a while after its transaction
// ends), so settle waits a moment for the processes of just-closed connections.
func (r *runner) pgDeadlocks(ctx context.Context, settle bool) int64 {
	if settle {
		time.Sleep(100 * time.Millisecond)
	}
	conn, err := pgx.Connect(ctx, r.o.Postgres)
	if err != nil {
		return -1
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
		return -1
	}
	return n
}

// deadlockNote reports the deadlocks PostgreSQL detected during a phase (before and after are
// pgDeadlocks readings).
func deadlockNote(before, after int64) string {
	switch {
	case before < 0 || after < 0:
		return ""
	case after == before:
		return " PostgreSQL detected no deadlock during the phase."
	default:
		return fmt.Sprintf(" PostgreSQL detected %d deadlocks during the phase (pg_stat_database); each aborted one transaction, which the store ran again.", after-before)
	}
}

// pgRaw is a connection pool on the schema the store migrated for the raw ceilings.
type pgRaw struct {
	pool *pgxpool.Pool
}

// pgRawSchema creates the schema of the raw ceilings and migrates it with the store's migrations;
// the scenario's raw ceilings share it (each empties its tables first).
func (r *runner) pgRawSchema(ctx context.Context) (string, func(), error) {
	dsn, drop, err := r.pgSchema(ctx, "raw")
	if err != nil {
		return "", nil, err
	}
	st, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 2, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("migrate the raw schema: %w", err)
	}
	if err := st.Close(); err != nil {
		drop()
		return "", nil, err
	}
	return dsn, drop, nil
}

// openPGRaw empties the raw schema's tables and opens conns connections to it, all established
// before anything is timed.
func openPGRaw(ctx context.Context, dsn string, conns int) (*pgRaw, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(conns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p := &pgRaw{pool: pool}
	if err := p.truncate(ctx, "leads", "events", "pool"); err != nil {
		pool.Close()
		return nil, err
	}
	held := make([]*pgxpool.Conn, 0, conns)
	for range conns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			break
		}
		held = append(held, c)
	}
	for _, c := range held {
		c.Release()
	}
	if len(held) != conns {
		pool.Close()
		return nil, fmt.Errorf("raw PostgreSQL: opened %d of %d connections", len(held), conns)
	}
	return p, nil
}

func (p *pgRaw) close() { p.pool.Close() }

// truncate empties tables and restarts their ids, between two ceilings on the same rows.
func (p *pgRaw) truncate(ctx context.Context, tables ...string) error {
	_, err := p.pool.Exec(ctx, "TRUNCATE "+strings.Join(tables, ", ")+" RESTART IDENTITY")
	return err
}

// pgQuery turns a query with ? placeholders into PostgreSQL's numbered ones.
func pgQuery(q string) string {
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// insertTable returns the table and columns of an INSERT INTO t (a, b, …) VALUES … query.
func insertTable(q string) (string, []string) {
	rest, _ := strings.CutPrefix(q, "INSERT INTO ")
	table, rest, _ := strings.Cut(rest, " (")
	cols, _, _ := strings.Cut(rest, ")")
	out := strings.Split(cols, ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return table, out
}

// rows builds the arguments of rows [0, n), before anything is timed.
func buildRows(n int, args func(i int) []any) [][]any {
	out := make([][]any, n)
	for i := range out {
		out[i] = args(i)
	}
	return out
}

// perRow inserts every row with its own INSERT, each its own transaction (autocommit), from conc
// connections at once: what one commit per request could reach at best with that many clients.
func (p *pgRaw) perRow(ctx context.Context, query string, rows [][]any, conc int, budget time.Duration) (loadStats, error) {
	q := pgQuery(query)
	return runLoad(ctx, len(rows), conc, budget, func(ctx context.Context, _, i int) (time.Duration, error) {
		return timed(func() error {
			_, err := p.pool.Exec(ctx, q, rows[i]...)
			return err
		})
	})
}

// batches inserts the rows in transactions of size rows, each sent as one pgx.Batch (every
// INSERT pipelined in one round trip), from conc connections at once. It returns rows/s.
func (p *pgRaw) batches(ctx context.Context, query string, rows [][]any, size, conc int) (float64, error) {
	q := pgQuery(query)
	n := (len(rows) + size - 1) / size
	st, err := runLoad(ctx, n, conc, 0, func(ctx context.Context, _, b int) (time.Duration, error) {
		var batch pgx.Batch
		for _, a := range rows[b*size : min((b+1)*size, len(rows))] {
			batch.Queue(q, a...)
		}
		return timed(func() error {
			return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, &batch).Close() })
		})
	})
	if err != nil {
		return 0, err
	}
	return st.rate(len(rows)), nil
}

// copies inserts the rows with COPY, size rows per COPY (each its own transaction), from conc
// connections at once. It returns rows/s.
func (p *pgRaw) copies(ctx context.Context, query string, rows [][]any, size, conc int) (float64, error) {
	table, cols := insertTable(query)
	n := (len(rows) + size - 1) / size
	st, err := runLoad(ctx, n, conc, 0, func(ctx context.Context, _, b int) (time.Duration, error) {
		part := rows[b*size : min((b+1)*size, len(rows))]
		return timed(func() error {
			got, err := p.pool.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(part))
			if err == nil && got != int64(len(part)) {
				err = fmt.Errorf("copied %d of %d rows", got, len(part))
			}
			return err
		})
	})
	if err != nil {
		return 0, err
	}
	return st.rate(len(rows)), nil
}

// pgRawClaims is the ceiling of claims: n open pool rows (copied in untimed), then each claimed
// by the store's conditional UPDATE … RETURNING in its own transaction, from conc connections at
// once. It returns claims/s.
func pgRawClaims(ctx context.Context, dsn string, n, conc int) (loadStats, error) {
	raw, err := openPGRaw(ctx, dsn, conc)
	if err != nil {
		return loadStats{}, err
	}
	defer raw.close()
	now := time.Now().UnixMilli()
	bands := []string{"hot", "warm", "cold"}
	rows := buildRows(n, func(i int) []any {
		return []any{int64(i + 1), "pool", int64(1), bands[i%3], now, now + 7_200_000, "open"}
	})
	if _, err := raw.pool.CopyFrom(ctx, pgx.Identifier{"pool"}, []string{"lead_id", "rule_id", "team_id", "band", "pooled_at", "expires_at", "status"}, pgx.CopyFromRows(rows)); err != nil {
		return loadStats{}, err
	}
	const upd = `UPDATE pool SET status = 'claimed', claimed_by = $1, claimed_at = $2 WHERE lead_id = $3 AND status = 'open'
		RETURNING lead_id, rule_id, team_id, rep_ids, band, blind, cohort, pooled_at, expires_at, status, claimed_by, claimed_at, releases`
	return runLoad(ctx, n, conc, 0, func(ctx context.Context, _, i int) (time.Duration, error) {
		var (
			lead, team, blind, pooled, expires, by, releases int64
			rule, repIDs, band, cohort, status               string
			at                                               *int64
		)
		return timed(func() error {
			err := raw.pool.QueryRow(ctx, upd, int64(1+i%200), now, int64(i+1)).
				Scan(&lead, &rule, &team, &repIDs, &band, &blind, &cohort, &pooled, &expires, &status, &by, &at, &releases)
			if err != nil {
				return fmt.Errorf("raw claim of row %d: %w", i+1, err)
			}
			return nil
		})
	})
}

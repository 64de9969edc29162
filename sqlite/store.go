// Package sqlite is the embedded store (S-STORE-1): one database file in WAL mode, one writer
// connection that commits many callers' writes together (group commit), and a pool of readers.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"github.com/leadflow/leadflow/sqlstore"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/leadflow/leadflow"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune the store. The zero value is the production default.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: NORMAL (default) survives a killed process, FULL
	// also survives power loss at the cost of an fsync per commit.
	Synchronous string
	// MaxBatch caps how many writes share one transaction (default 512).
	MaxBatch int
	// Readers is the size of the read pool (default 4).
	Readers int
	Logger  *slog.Logger
}

// Store is the SQLite implementation of leadflow.Store.
type Store struct {
	path    string
	writeDB *sql.DB
	readDB  *sql.DB
	writer  *stmtConn
	writes  chan *writeReq
	opts    Options
	// wb holds rotation writes back until each group commit and numbers write epochs; only the
	// writer goroutine uses it, with dataVersion, the last PRAGMA data_version it saw.
	wb          *sqlstore.WriteBehind
	dataVersion int64

	closeOnce    sync.Once
	closing      chan struct{}
	stopped      chan struct{} // closed when the writer goroutine has exited
	checkpointed chan struct{} // closed when the checkpoint goroutine has exited
	ckptDB       *sql.DB
}

type writeReq struct {
	ctx  context.Context
	fn   func(leadflow.Tx) error
	done chan error
}

var _ leadflow.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path and upgrades its schema (S-STORE-4).
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Synchronous == "" {
		opts.Synchronous = "NORMAL"
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	dsn := func(extra ...string) string {
		q := url.Values{}
		for _, p := range append([]string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(" + opts.Synchronous + ")", "foreign_keys(1)",
			"temp_store(MEMORY)"}, extra...) {
			q.Add("_pragma", p)
		}
		return "file:" + path + "?" + q.Encode()
	}
	// The writer keeps a 32 MB page cache (the hot index pages of every write); each reader 8 MB
	// and the checkpointer SQLite's default: four readers scanning a million leads would
	// otherwise hold 128 MB of pages the operating system already caches for them.
	writeDB, err := sql.Open("sqlite", dsn("cache_size(-32000)"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	writeDB.SetMaxOpenConns(1)
	writeDB.SetConnMaxLifetime(0)
	conn, err := writeDB.Conn(ctx)
	if err != nil {
		writeDB.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Checkpoints run on their own connection (see checkpointLoop), never inside a commit.
	if _, err := conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint=0"); err != nil {
		conn.Close()
		writeDB.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{path: path, writeDB: writeDB, writer: newStmtConn(conn), writes: make(chan *writeReq, 4096), wb: sqlstore.NewWriteBehind(),
		opts: opts, closing: make(chan struct{}), stopped: make(chan struct{}), checkpointed: make(chan struct{})}
	if err := s.migrate(ctx); err != nil {
		conn.Close()
		writeDB.Close()
		return nil, err
	}
	s.readDB, err = sql.Open("sqlite", dsn("query_only(1)", "cache_size(-8000)"))
	if err != nil {
		conn.Close()
		writeDB.Close()
		return nil, fmt.Errorf("open readers: %w", err)
	}
	s.readDB.SetMaxOpenConns(opts.Readers)
	s.readDB.SetMaxIdleConns(opts.Readers)
	s.ckptDB, err = sql.Open("sqlite", dsn())
	if err != nil {
		conn.Close()
		writeDB.Close()
		s.readDB.Close()
		return nil, fmt.Errorf("open checkpointer: %w", err)
	}
	s.ckptDB.SetMaxOpenConns(1)
	go s.writeLoop()      // owned by Store; exits on Close after draining queued writes
	go s.checkpointLoop() // owned by Store; exits on Close
	return s, nil
}

// Dialect returns "sqlite".
func (s *Store) Dialect() string { return "sqlite" }

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.readDB.PingContext(ctx) }

// Close finishes queued writes, checkpoints the WAL and closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	<-s.stopped
	<-s.checkpointed
	s.ckptDB.Close()
	_, _ = s.writer.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
	s.writer.close()
	err := errors.Join(s.writer.conn.Close(), s.writeDB.Close())
	if s.readDB != nil {
		err = errors.Join(err, s.readDB.Close())
	}
	return err
}

// Write runs fn in the writer's transaction, possibly together with other callers' fns (group
// commit). Each fn runs inside its own savepoint, so a failing fn is rolled back alone. Write
// returns after the commit; if ctx ends while queued the write still completes or fails as a
// whole, so an error from Write always means nothing of fn was stored.
func (s *Store) Write(ctx context.Context, fn func(leadflow.Tx) error) error {
	req := &writeReq{ctx: context.WithoutCancel(ctx), fn: fn, done: make(chan error, 1)}
	select {
	case <-s.closing:
		return leadflow.Errorf(leadflow.EUNAVAILABLE, "store is closing")
	default:
	}
	select {
	case s.writes <- req:
	case <-s.closing:
		return leadflow.Errorf(leadflow.EUNAVAILABLE, "store is closing")
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-req.done
}

// Read runs fn in a read-only transaction on the reader pool.
func (s *Store) Read(ctx context.Context, fn func(leadflow.ReadTx) error) error {
	tx, err := s.readDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(sqlstore.NewTx(tx, sqlstore.SQLite, false))
}

// checkpointInterval is how often WAL frames are copied back into the database file. SQLite's
// automatic checkpoint would run inside a commit and stall every writer grouped into it (and fsync
// there); a passive checkpoint on its own connection runs beside the writer instead.
const checkpointInterval = 200 * time.Millisecond

func (s *Store) checkpointLoop() {
	defer close(s.checkpointed)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			if _, err := s.ckptDB.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				s.opts.Logger.Warn("wal checkpoint", slog.Any("err", err))
			}
		}
	}
}

func (s *Store) writeLoop() {
	defer close(s.stopped)
	batch := make([]*writeReq, 0, s.opts.MaxBatch)
	for {
		var first *writeReq
		select {
		case first = <-s.writes:
		case <-s.closing:
			// Drain what was queued before Close so no accepted write is dropped.
			for {
				select {
				case r := <-s.writes:
					s.commit([]*writeReq{r})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < s.opts.MaxBatch {
			select {
			case r := <-s.writes:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.commit(batch)
	}
}

// commit runs a batch of writes in one transaction and reports each caller's outcome.
func (s *Store) commit(batch []*writeReq) {
	ctx := context.Background()
	errs := make([]error, len(batch))
	fail := func(err error) {
		s.wb.Discard()
		for _, r := range batch {
			r.done <- err
		}
	}
	if _, err := s.writer.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	// Another connection (a CLI command on the same file) may have committed since the last
	// batch: what this writer keeps in memory about its own writes is then no longer the truth.
	var version int64
	if err := s.writer.QueryRowContext(ctx, "PRAGMA data_version").Scan(&version); err != nil || version != s.dataVersion {
		s.dataVersion = version
		s.wb.Invalidate()
	}
	q := s.wb.Tx(s.writer, sqlstore.SQLite)
	single := len(batch) == 1
	for i, r := range batch {
		if single {
			errs[i] = runFn(r, q)
			s.wb.Done(errs[i] == nil)
			continue
		}
		if _, err := s.writer.conn.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			errs[i] = fmt.Errorf("savepoint: %w", err)
			continue
		}
		if errs[i] = runFn(r, q); errs[i] != nil {
			if _, err := s.writer.conn.ExecContext(ctx, "ROLLBACK TO w"); err != nil {
				errs[i] = errors.Join(errs[i], err)
			}
		}
		s.wb.Done(errs[i] == nil)
		if _, err := s.writer.conn.ExecContext(ctx, "RELEASE w"); err != nil {
			errs[i] = errors.Join(errs[i], err)
		}
	}
	if single && errs[0] != nil {
		_, _ = s.writer.conn.ExecContext(ctx, "ROLLBACK")
		s.wb.Discard()
		batch[0].done <- errs[0]
		return
	}
	if err := s.wb.Flush(ctx); err != nil {
		_, _ = s.writer.conn.ExecContext(ctx, "ROLLBACK")
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	if _, err := s.writer.conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = s.writer.conn.ExecContext(ctx, "ROLLBACK")
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
}

// runFn calls the write function, turning a panic into an error so one bad write cannot take the
// writer (and every queued caller) down.
func runFn(r *writeReq, q leadflow.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return r.fn(q)
}

func (s *Store) migrate(ctx context.Context) error {
	return sqlstore.Migrate(ctx, s.writer.conn, sqlstore.SQLite, migrations, "BEGIN IMMEDIATE", func(v int) {
		s.opts.Logger.Info("schema migrated", slog.Int("version", v), slog.String("db", s.path))
	})
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.readDB.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// stmtConn is the writer connection with a cache of prepared statements. Only the writer
// goroutine uses it, so the cache needs no lock.
type stmtConn struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

func newStmtConn(c *sql.Conn) *stmtConn { return &stmtConn{conn: c, stmts: map[string]*sql.Stmt{}} }

func (c *stmtConn) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := c.stmts[q]; ok {
		return st, nil
	}
	st, err := c.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.stmts[q] = st
	return st, nil
}

func (c *stmtConn) close() {
	for _, st := range c.stmts {
		st.Close()
	}
}

func (c *stmtConn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := c.prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtConn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := c.prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtConn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := c.prepare(ctx, q)
	if err != nil {
		return c.conn.QueryRowContext(ctx, q, args...) // reports the same preparation error
	}
	return st.QueryRowContext(ctx, args...)
}

// Remove deletes the database file at path with its write-ahead log and shared-memory index; a
// file that does not exist is no error. The database must not be open.
func Remove(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

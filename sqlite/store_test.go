package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/sqlite"
	"github.com/leadflow/leadflow/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) leadflow.Store { return openAt(t, filepath.Join(t.TempDir(), "leadflow.db")) })
}

// otherConnection opens a connection of its own to the database at path, as another process
// would; the test closes it when it ends.
func otherConnection(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openAt opens the store at path with the default options.
func openAt(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReopenKeepsDataAndSchema proves migrations run once and data survives a restart (S-STORE-4).
func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadflow.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := &leadflow.Lead{Email: "a@b.co", Stage: leadflow.StageNew}
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.InsertLead(ctx, l) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("schema version %d %v", v, err)
	}
	if err := s.Read(ctx, func(tx leadflow.ReadTx) error {
		_, err := tx.LeadByEmail(ctx, "A@B.CO")
		return err
	}); err != nil {
		t.Fatalf("lead lost across reopen: %v", err)
	}
}

// TestUpgradesOlderDatabase proves S-STORE-4: a database at schema version 1, with data, is
// upgraded by a newer binary without losing anything.
func TestUpgradesOlderDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		string(v1),
		`INSERT INTO schema_migrations VALUES (1, 0)`,
		`INSERT INTO leads (email_norm, stage, data, created_at, updated_at) VALUES ('old@example.org', 'mql', '{"email":"old@example.org","company":"Legacy"}', 1, 1)`,
		`INSERT INTO leads (email_norm, stage, owner_id, data, created_at, updated_at) VALUES ('owned@example.org', 'sql', 4, '{"email":"owned@example.org"}', 1, 1)`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	files, _ := filepath.Glob("migrations/*.sql")
	if v, _ := s.SchemaVersion(ctx); v != len(files) || v < 5 {
		t.Fatalf("schema version %d, want the latest (%d)", v, len(files))
	}
	if err := s.Read(ctx, func(tx leadflow.ReadTx) error {
		l, err := tx.LeadByEmail(ctx, "old@example.org")
		if err != nil || l.Company != "Legacy" || l.Stage != leadflow.StageMQL {
			t.Fatalf("old lead after upgrade: %+v %v", l, err)
		}
		// The owners of older leads move into lead_owners (migration 0008).
		owned, err := tx.ListLeads(ctx, leadflow.LeadFilter{OwnerID: 4})
		if err != nil || len(owned) != 1 || owned[0].Email != "owned@example.org" {
			t.Fatalf("owner's leads after upgrade: %+v %v", owned, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.InsertTeam(ctx, &leadflow.Team{Name: "New"}) }); err != nil {
		t.Fatalf("new table after upgrade: %v", err)
	}
}

// TestWriteBehind: rotation states are held back until the group commit, yet every write sees
// its own and earlier writes' states; a failed write's state is dropped with its savepoint, and
// the write epoch moves on whenever a write was undone or another connection committed.
func TestWriteBehind(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadflow.db")
	s := openAt(t, path)
	defer s.Close()
	epoch := func() uint64 {
		var e uint64
		if err := s.Write(ctx, func(tx leadflow.Tx) error {
			var exclusive bool
			if e, exclusive = tx.WriteEpoch(); !exclusive {
				t.Fatal("the embedded store's writer is exclusive")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	stored := func() string {
		var st []byte
		if err := s.Read(ctx, func(tx leadflow.ReadTx) error {
			var err error
			st, err = tx.Rotation(ctx, "k")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return string(st)
	}
	if err := s.Write(ctx, func(tx leadflow.Tx) error {
		if err := tx.PutRotation(ctx, "k", []byte("a")); err != nil {
			return err
		}
		if st, err := tx.Rotation(ctx, "k"); err != nil || string(st) != "a" {
			t.Fatalf("own write not visible: %q %v", st, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e1 := epoch()
	if e := epoch(); e != e1 || stored() != "a" {
		t.Fatalf("epoch moved without a reason (%d → %d) or state not committed (%q)", e1, e, stored())
	}
	if err := s.Write(ctx, func(tx leadflow.Tx) error {
		if err := tx.PutRotation(ctx, "k", []byte("b")); err != nil {
			return err
		}
		return errors.New("fails after writing")
	}); err == nil {
		t.Fatal("failing write succeeded")
	}
	e2 := epoch()
	if e2 == e1 || stored() != "a" {
		t.Fatalf("after a failed write: epoch %d → %d, state %q (want a)", e1, e2, stored())
	}
	// Concurrent writes share group commits: each sees a state some successful write stored, and
	// what is stored at the end is the state of a write that succeeded.
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			_ = s.Write(ctx, func(tx leadflow.Tx) error {
				st, err := tx.Rotation(ctx, "k")
				if err != nil || len(st) == 0 || st[0] == 'x' {
					t.Errorf("write %d saw %q %v", i, st, err)
				}
				mark := byte('o')
				if i%2 == 1 {
					mark = 'x'
				}
				if err := tx.PutRotation(ctx, "k", []byte{mark, byte(i)}); err != nil {
					return err
				}
				if mark == 'x' {
					return errors.New("odd writes fail")
				}
				return nil
			})
		})
	}
	wg.Wait()
	if st := stored(); st[0] != 'o' || st[1]%2 != 0 {
		t.Fatalf("stored %q: not a successful write's", st)
	}
	// Another connection (a CLI command on the same file) commits: the epoch moves on and the
	// writer reads its state.
	other := otherConnection(t, path)
	e3 := epoch()
	if _, err := other.ExecContext(ctx, `UPDATE rotations SET state = ? WHERE key = 'k'`, []byte("z")); err != nil {
		t.Fatal(err)
	}
	if e := epoch(); e == e3 {
		t.Fatal("epoch held after another connection committed")
	}
	if err := s.Write(ctx, func(tx leadflow.Tx) error {
		if st, err := tx.Rotation(ctx, "k"); err != nil || string(st) != "z" {
			t.Fatalf("writer reads %q %v after the other connection's commit, want z", st, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestWriteBehindAssignments: assignments held back until the group commit are visible to every
// read of the transaction that wrote them, get unique ids, are dropped with a failed write's
// savepoint without losing the group's earlier ones (also when a read flushed them inside that
// savepoint), and do not reuse an id another connection wrote (S-DIST-11, S-STORE).
func TestWriteBehindAssignments(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadflow.db")
	s := openAt(t, path)
	defer s.Close()
	at := time.Now().UTC().Truncate(time.Millisecond)
	assignment := func(lead int64) *leadflow.Assignment {
		return &leadflow.Assignment{LeadID: lead, RepID: lead%5 + 1, RuleID: "all", Method: "weighted", At: at, Actor: "test", Explanation: []byte(`{"v":3}`)}
	}
	if err := s.Write(ctx, func(tx leadflow.Tx) error {
		var ids []int64
		for lead := int64(1); lead <= 3; lead++ {
			a := assignment(lead)
			if err := tx.InsertAssignment(ctx, a); err != nil {
				return err
			}
			ids = append(ids, a.ID)
		}
		if ids[0] == 0 || ids[1] != ids[0]+1 || ids[2] != ids[1]+1 {
			t.Fatalf("ids %v: want consecutive from 1", ids)
		}
		got, err := tx.Assignments(ctx, 2)
		if err != nil || len(got) != 1 || got[0].ID != ids[1] || string(got[0].Explanation) != `{"v":3}` {
			t.Fatalf("own held-back assignment not read back: %+v %v", got, err)
		}
		counts, err := tx.AssignmentCounts(ctx, time.Time{})
		if err != nil || counts[2]+counts[3]+counts[4] != 3 {
			t.Fatalf("counts inside the transaction: %v %v", counts, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// 64 concurrent writes share group commits. Every other write fails after holding back its
	// assignment; a third of the writes read the table first, which writes the group's held-back
	// assignments inside their own savepoints.
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			lead := int64(100 + i)
			_ = s.Write(ctx, func(tx leadflow.Tx) error {
				if i%3 == 0 {
					if _, err := tx.Assignments(ctx, lead); err != nil {
						return err
					}
				}
				if err := tx.InsertAssignment(ctx, assignment(lead)); err != nil {
					return err
				}
				if i%3 == 1 {
					if _, err := tx.AssignmentCounts(ctx, at); err != nil {
						return err
					}
				}
				if i%2 == 1 {
					return errors.New("odd writes fail")
				}
				return nil
			})
		})
	}
	wg.Wait()
	db := otherConnection(t, path)
	var n, odd, distinct, maxID int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(lead_id % 2), 0), COUNT(DISTINCT id), MAX(id) FROM assignments WHERE lead_id >= 100`).Scan(&n, &odd, &distinct, &maxID); err != nil {
		t.Fatal(err)
	}
	if n != 32 || odd != 0 || distinct != 32 {
		t.Fatalf("stored %d assignments of the concurrent writes (%d of failed writes, %d distinct ids), want the 32 successful ones", n, odd, distinct)
	}
	// Another connection writes an assignment: the writer's next id comes after it.
	if _, err := db.ExecContext(ctx, `INSERT INTO assignments (lead_id, rep_id, rule_id, method, at, actor, explanation) VALUES (999, 1, 'x', 'manual', 0, 'cli', '{}')`); err != nil {
		t.Fatal(err)
	}
	a := assignment(1000)
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.InsertAssignment(ctx, a) }); err != nil {
		t.Fatal(err)
	}
	if a.ID <= maxID+1 {
		t.Fatalf("id %d after the other connection's %d: reused", a.ID, maxID+1)
	}
}

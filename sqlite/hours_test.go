package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/sqlite"
)

// TestAssignmentCountsKeptByWriter: the writer's counts of assignments per rep since a time (the
// caps' counts, kept between commits instead of counted again) are exact inside every write of
// concurrent group commits where every third write fails after its assignment, across hours; and
// every stored assignment is found from its hour (migration 0010).
func TestAssignmentCountsKeptByWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadflow.db")
	s := openAt(t, path)
	defer s.Close()
	day := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	since := day.Add(6 * time.Hour)
	fail := errors.New("every third write fails")
	// A write marks its hour as it reads the counts, then fails: the mark goes with it, and the
	// next assignment of that hour marks it again.
	assign := func(tx leadflow.Tx, at time.Time) error {
		return tx.InsertAssignment(ctx, &leadflow.Assignment{RepID: 9, RuleID: "all", Method: "weighted", At: at, Actor: "test", Explanation: []byte(`{}`)})
	}
	early := day.Add(-time.Hour)
	if err := s.Write(ctx, func(tx leadflow.Tx) error {
		if err := assign(tx, early); err != nil {
			return err
		}
		if _, err := tx.AssignmentCounts(ctx, early); err != nil {
			return err
		}
		return fail
	}); !errors.Is(err, fail) {
		t.Fatal(err)
	}
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return assign(tx, early) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Read(ctx, func(tx leadflow.ReadTx) error {
		if counts, err := tx.AssignmentCounts(ctx, early); err != nil || counts[9] != 1 {
			t.Fatalf("the assignment after a failed write's, in the same hour: %v %v", counts, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 90 {
		wg.Go(func() {
			rep := int64(i%5 + 1)
			at := day.Add(time.Duration(i/10%12) * time.Hour) // runs of ten in an hour, a third before since
			err := s.Write(ctx, func(tx leadflow.Tx) error {
				before, err := tx.AssignmentCounts(ctx, since)
				if err != nil {
					return err
				}
				if err := tx.InsertAssignment(ctx, &leadflow.Assignment{RepID: rep, RuleID: "all", Method: "weighted", At: at, Actor: "test", Explanation: []byte(`{}`)}); err != nil {
					return err
				}
				after, err := tx.AssignmentCounts(ctx, since)
				if err != nil {
					return err
				}
				for r := int64(1); r <= 9; r++ {
					want := before[r]
					if r == rep && !at.Before(since) {
						want++
					}
					if after[r] != want {
						return fmt.Errorf("write %d: rep %d has %d assignments since 06:00, want %d", i, r, after[r], want)
					}
				}
				if i%3 == 2 {
					return fail
				}
				return nil
			})
			if err != nil && !errors.Is(err, fail) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, unfound int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM assignment_hours h WHERE h.hour = a.at / 3600000 AND h.first_id <= a.id)) FROM assignments a`).Scan(&n, &unfound); err != nil {
		t.Fatal(err)
	}
	if n != 61 || unfound != 0 {
		t.Fatalf("%d assignments stored (want 61), %d of them not found from their hour", n, unfound)
	}
	want := map[int64]int64{}
	rows, err := db.QueryContext(ctx, `SELECT rep_id, COUNT(*) FROM assignments WHERE at >= ? GROUP BY rep_id`, since.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var rep, c int64
		if err := rows.Scan(&rep, &c); err != nil {
			t.Fatal(err)
		}
		want[rep] = c
	}
	if err := s.Write(ctx, func(tx leadflow.Tx) error {
		got, err := tx.AssignmentCounts(ctx, since)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("kept counts %v (%v), counted %v", got, err, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeMarksAssignmentHours: a database with assignments from before migration 0010 finds
// them by time after the upgrade.
func TestUpgradeMarksAssignmentHours(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("migrations/*.sql")
	sort.Strings(files)
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for v, f := range files[:9] {
		migration, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(migration)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, v+1); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	for i, hours := range []int{3, 9, 9, 14} {
		if _, err := raw.Exec(`INSERT INTO assignments (lead_id, rep_id, rule_id, method, at, actor, explanation) VALUES (NULL, ?, 'all', 'weighted', ?, 'old', '{}')`,
			i%2+1, day.Add(time.Duration(hours)*time.Hour+time.Minute).UnixMilli()); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Read(ctx, func(tx leadflow.ReadTx) error {
		counts, err := tx.AssignmentCounts(ctx, day.Add(9*time.Hour))
		if err != nil || counts[1] != 1 || counts[2] != 2 {
			t.Fatalf("counts since 09:00 after the upgrade: %v %v", counts, err)
		}
		between, err := tx.AssignmentsBetween(ctx, day, day.Add(10*time.Hour))
		if err != nil || len(between) != 3 {
			t.Fatalf("assignments 00:00–10:00 after the upgrade: %+v %v", between, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

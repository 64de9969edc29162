package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
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
	db := otherConnection(t, path)
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

// TestAssignmentsByTimeMatchScan: whatever the clock does (mostly forward, sometimes back by
// hours, then forward again), with writes failing, group commits, reads inside writes and a
// restart, the assignments of any period and the counts since any time are exactly those a scan
// of the whole table finds (migration 0010: first and last ids of each hour).
func TestAssignmentsByTimeMatchScan(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadflow.db")
	s := openAt(t, path)
	rng := rand.New(rand.NewPCG(7, 11))
	start := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	clock := start // moves back as well as forward
	fail := errors.New("this write fails")
	round := func(writes int) {
		var wg sync.WaitGroup
		for range writes {
			// The clock moves on by up to 20 minutes, or back by up to three hours now and then.
			if rng.IntN(12) == 0 {
				clock = clock.Add(-time.Duration(rng.IntN(180)) * time.Minute)
			} else {
				clock = clock.Add(time.Duration(rng.IntN(20)) * time.Minute)
			}
			at, n, fails, reads := clock, 1+rng.IntN(3), rng.IntN(5) == 0, rng.IntN(4) == 0
			wg.Go(func() {
				err := s.Write(ctx, func(tx leadflow.Tx) error {
					for j := range n {
						if err := tx.InsertAssignment(ctx, &leadflow.Assignment{RepID: int64(j + 1), RuleID: "all", Method: "weighted", At: at.Add(time.Duration(j) * time.Second), Actor: "test", Explanation: []byte(`{}`)}); err != nil {
							return err
						}
						if reads {
							if _, err := tx.AssignmentsBetween(ctx, at.Add(-time.Hour), at); err != nil {
								return err
							}
						}
					}
					if fails {
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
	}
	round(150)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	defer s.Close()
	round(150)

	db := otherConnection(t, path)
	scan := func(from, until time.Time) string {
		rows, err := db.QueryContext(ctx, `SELECT id FROM assignments WHERE at >= ? AND at < ? ORDER BY at, id`, from.UnixMilli(), until.UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return fmt.Sprint(ids)
	}
	var first, last int64
	if err := db.QueryRowContext(ctx, `SELECT MIN(at), MAX(at) FROM assignments`).Scan(&first, &last); err != nil {
		t.Fatal(err)
	}
	lo, span := time.UnixMilli(first).Add(-2*time.Hour), time.Duration(last-first)*time.Millisecond+4*time.Hour
	check := func(tx leadflow.ReadTx) error {
		for range 150 {
			from := lo.Add(time.Duration(rng.Int64N(int64(span))))
			until := from.Add(time.Duration(rng.Int64N(int64(6 * time.Hour))))
			between, err := tx.AssignmentsBetween(ctx, from, until)
			if err != nil {
				return err
			}
			var ids []int64
			for _, a := range between {
				ids = append(ids, a.ID)
			}
			if got, want := fmt.Sprint(ids), scan(from, until); got != want {
				t.Fatalf("assignments in [%s, %s): %s, a scan finds %s", from.Format("15:04"), until.Format("15:04"), got, want)
			}
			counts, err := tx.AssignmentCounts(ctx, from)
			if err != nil {
				return err
			}
			var n int64
			for _, c := range counts {
				n += c
			}
			var want int64
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM assignments WHERE at >= ?`, from.UnixMilli()).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Fatalf("assignments since %s: %d, a scan finds %d", from.Format("15:04"), n, want)
			}
		}
		return nil
	}
	if err := s.Read(ctx, check); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return check(tx) }); err != nil {
		t.Fatal(err)
	}
	var closed int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM assignment_hours WHERE last_id IS NOT NULL`).Scan(&closed); err != nil || closed == 0 {
		t.Fatalf("no hour was closed (%v): the last ids bound nothing", err)
	}
}

package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
)

// TestOwnerEntriesKeptWithAssignments: the owner entry of a new owner's assignment is kept with
// the assignment, not as a history row (migration 0009), across concurrent group commits in which
// every other write fails after its history and some writes read the history mid-write (which
// writes the group's held-back assignments, so their entries become rows). Every lead's history
// reads back exactly; no history id is used twice, by a row or a kept entry; and the table's
// sequence stays past the kept entries for another connection and for the next process.
func TestOwnerEntriesKeptWithAssignments(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadflow.db")
	s := openAt(t, path)
	at := time.Now().UTC().Truncate(time.Millisecond)
	fail := errors.New("odd writes fail")
	// route writes a new lead, routes it to rep i%5+1 and appends its three entries.
	route := func(s leadflow.Store, i int) error {
		return s.Write(ctx, func(tx leadflow.Tx) error {
			l := &leadflow.Lead{Email: fmt.Sprintf("kept%d@example.com", i), Stage: leadflow.StageMQL, OwnerID: int64(i%5 + 1), CreatedAt: at, UpdatedAt: at}
			if err := tx.InsertLead(ctx, l); err != nil {
				return err
			}
			a := &leadflow.Assignment{LeadID: l.ID, RepID: l.OwnerID, RuleID: "all", Method: "weighted", At: at, Actor: "api", Explanation: []byte(`{"v":3}`)}
			if err := tx.InsertAssignment(ctx, a); err != nil {
				return err
			}
			if i%3 == 0 {
				if _, err := tx.History(ctx, l.ID, 0, 10); err != nil {
					return err
				}
			}
			// In the service's order: the owner entry last, so that a kept one is the highest id.
			if err := tx.AppendHistory(ctx, createdEntry(l, at),
				leadflow.HistoryEntry{LeadID: l.ID, At: at, Actor: "api", Kind: leadflow.HistoryStage, Field: "stage", Old: "new", New: "mql"},
				leadflow.HistoryEntry{LeadID: l.ID, At: at, Actor: "api", Kind: leadflow.HistoryOwner, Field: "owner", New: fmt.Sprint(l.OwnerID), AssignmentID: a.ID}); err != nil {
				return err
			}
			if i%2 == 1 {
				return fail
			}
			return nil
		})
	}
	var wg sync.WaitGroup
	for i := range 96 {
		wg.Go(func() {
			if err := route(s, i); err != nil && !errors.Is(err, fail) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db := otherConnection(t, path)
	var rows, kept, leads int
	var seq, top int64
	if err := db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM lead_history), (SELECT COUNT(*) FROM assignments WHERE history_id IS NOT NULL),
(SELECT COUNT(*) FROM leads), (SELECT seq FROM sqlite_sequence WHERE name = 'lead_history'),
MAX((SELECT MAX(id) FROM lead_history), COALESCE((SELECT MAX(history_id) FROM assignments), 0))`).Scan(&rows, &kept, &leads, &seq, &top); err != nil {
		t.Fatal(err)
	}
	// Of the 48 successful writes, the 16 that read their history mid-write (i%6 == 0) wrote
	// their owner entries as rows; the other 32 kept them.
	if leads != 48 || kept != 32 || rows != 48*3-32 {
		t.Fatalf("%d leads, %d history rows, %d kept entries: want 48, %d, 32", leads, rows, kept, 48*3-32)
	}
	if seq < top {
		t.Fatalf("lead_history's sequence is %d, behind the kept entry %d", seq, top)
	}
	var ids, distinct int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT id) FROM (SELECT id FROM lead_history UNION ALL SELECT history_id FROM assignments WHERE history_id IS NOT NULL)`).Scan(&ids, &distinct); err != nil {
		t.Fatal(err)
	}
	if ids != distinct {
		t.Fatalf("%d history ids, %d distinct", ids, distinct)
	}

	// Another connection appends a row with an id of the table's choosing; then the next process
	// routes one more lead: neither reuses an id.
	res, err := db.ExecContext(ctx, `INSERT INTO lead_history (lead_id, at, actor, kind) VALUES (1000000, 0, 'cli', 'field')`)
	if err != nil {
		t.Fatal(err)
	}
	if other, _ := res.LastInsertId(); other <= top {
		t.Fatalf("another connection's entry got id %d, at or below the kept %d", other, top)
	}
	s = openAt(t, path)
	defer s.Close()
	if err := route(s, 1000); err != nil {
		t.Fatal(err)
	}
	if err := s.Read(ctx, func(tx leadflow.ReadTx) error {
		l, err := tx.LeadByEmail(ctx, "kept1000@example.com")
		if err != nil {
			return err
		}
		h, err := tx.History(ctx, l.ID, 0, 10)
		if err != nil {
			return err
		}
		if len(h) != 3 || h[2].Kind != leadflow.HistoryOwner || h[2].New != "1" || h[0].ID <= top+1 || h[1].ID != h[0].ID+1 || h[2].ID != h[1].ID+1 {
			t.Fatalf("history after a restart: %+v (ids must follow %d)", h, top+1)
		}
		// Every lead's history, kept entries included, reads back exactly.
		for i := 0; i < 96; i += 2 {
			l, err := tx.LeadByEmail(ctx, fmt.Sprintf("kept%d@example.com", i))
			if err != nil {
				return err
			}
			h, err := tx.History(ctx, l.ID, 0, 10)
			if err != nil {
				return err
			}
			want := []string{"created/", "stage/mql", "owner/" + fmt.Sprint(i%5+1)}
			if len(h) != 3 {
				t.Fatalf("lead %d: history %+v", i, h)
			}
			for j, e := range h {
				if got := e.Kind + "/" + e.New; got != want[j] || !e.At.Equal(at) || e.Actor != "api" || e.Old != map[int]string{1: "new"}[j] {
					t.Fatalf("lead %d entry %d: %+v, want %s", i, j, e, want[j])
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func createdEntry(l *leadflow.Lead, at time.Time) leadflow.HistoryEntry {
	return leadflow.HistoryEntry{LeadID: l.ID, At: at, Actor: "api", Kind: leadflow.HistoryCreated}
}

// TestKeptEntryFirstInDatabase: a kept owner entry in a database whose history has no row yet
// still starts lead_history's sequence, so that no later row takes its id.
func TestKeptEntryFirstInDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadflow.db")
	s := openAt(t, path)
	var kept int64
	if err := s.Write(ctx, func(tx leadflow.Tx) error {
		l := &leadflow.Lead{Email: "first@example.com", Stage: leadflow.StageMQL, OwnerID: 3}
		if err := tx.InsertLead(ctx, l); err != nil {
			return err
		}
		a := &leadflow.Assignment{LeadID: l.ID, RepID: 3, RuleID: "all", Method: "manual", Actor: "ana", Explanation: []byte(`{}`)}
		if err := tx.InsertAssignment(ctx, a); err != nil {
			return err
		}
		return tx.AppendHistory(ctx, leadflow.HistoryEntry{LeadID: l.ID, Actor: "ana", Kind: leadflow.HistoryOwner, Field: "owner", New: "3", AssignmentID: a.ID})
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := otherConnection(t, path)
	var rows int
	if err := db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM lead_history), (SELECT history_id FROM assignments)`).Scan(&rows, &kept); err != nil {
		t.Fatal(err)
	}
	res, err := db.ExecContext(ctx, `INSERT INTO lead_history (lead_id, at, actor, kind) VALUES (1, 0, 'cli', 'field')`)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := res.LastInsertId(); rows != 0 || kept == 0 || id <= kept {
		t.Fatalf("%d rows, kept entry %d, next row %d: want no row and the next row after the kept entry", rows, kept, id)
	}
}

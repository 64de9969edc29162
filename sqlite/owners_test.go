package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
)

// TestLeadOwners: a rep's lead list is exact whether the leads' owners are already merged into
// lead_owners or still newer than the merge point, across concurrent group commits with failing
// writes, owner changes, releases, updates and erasures of merged and unmerged leads; and the
// merged part of lead_owners always holds exactly the owners the leads have (migration 0008).
func TestLeadOwners(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadflow.db")
	s := openAt(t, path)
	defer func() { s.Close() }()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()

	errFail := errors.New("this write fails")
	var created sync.Map // email → true for leads whose write committed
	insert := func(g, from, n int) {
		var wg sync.WaitGroup
		for w := range g {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := from + w; i < from+n; i += g {
					email := fmt.Sprintf("lead%d@owners.example", i)
					err := s.Write(ctx, func(tx leadflow.Tx) error {
						l := &leadflow.Lead{Email: email, Stage: leadflow.StageNew, OwnerID: int64(i % 4), CreatedAt: time.Now(), UpdatedAt: time.Now()}
						if i%3 == 0 {
							l.Stage = leadflow.StageMQL
						}
						if err := tx.InsertLead(ctx, l); err != nil {
							return err
						}
						if i%17 == 0 {
							return errFail // rolled back with its savepoint, inside a group commit
						}
						return nil
					})
					switch {
					case err == nil:
						created.Store(email, true)
					case !errors.Is(err, errFail):
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
	}
	// want lists an owner's leads (newest first) from the leads themselves.
	want := func(owner int64, stage leadflow.Stage) []int64 {
		q, args := `SELECT id FROM leads WHERE owner_id = ?`, []any{owner}
		if stage != "" {
			q, args = q+` AND stage = ?`, append(args, string(stage))
		}
		rows, err := raw.Query(q+` ORDER BY id DESC`, args...)
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
		return ids
	}
	// list pages through ListLeads of one owner, 37 at a time.
	list := func(owner int64, stage leadflow.Stage) []int64 {
		var ids []int64
		var before int64
		for {
			var page []leadflow.Lead
			if err := s.Read(ctx, func(tx leadflow.ReadTx) error {
				var err error
				page, err = tx.ListLeads(ctx, leadflow.LeadFilter{OwnerID: owner, Stage: stage, Before: before, Limit: 37})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, l := range page {
				if l.OwnerID != owner || (stage != "" && l.Stage != stage) {
					t.Fatalf("owner %d's list holds lead %d of owner %d, stage %s", owner, l.ID, l.OwnerID, l.Stage)
				}
				ids = append(ids, l.ID)
			}
			if len(page) < 37 {
				return ids
			}
			before = page[len(page)-1].ID
		}
	}
	// check compares every list with the leads, and the merged part of lead_owners with the
	// leads' owners; it returns the merge point.
	check := func(step string) int64 {
		t.Helper()
		for owner := int64(1); owner <= 3; owner++ {
			for _, stage := range []leadflow.Stage{"", leadflow.StageMQL} {
				if got, exp := list(owner, stage), want(owner, stage); !slices.Equal(got, exp) {
					t.Fatalf("%s: owner %d stage %q: listed %d leads, the owner has %d\n%v\n%v", step, owner, stage, len(got), len(exp), got, exp)
				}
			}
		}
		var upto, missing, extra int64
		if err := raw.QueryRow(`SELECT lead_id FROM lead_owners_upto`).Scan(&upto); err != nil {
			t.Fatal(err)
		}
		if err := raw.QueryRow(`SELECT COUNT(*) FROM leads l WHERE l.id <= ? AND l.owner_id IS NOT NULL
AND NOT EXISTS (SELECT 1 FROM lead_owners o WHERE o.owner_id = l.owner_id AND o.lead_id = l.id)`, upto).Scan(&missing); err != nil {
			t.Fatal(err)
		}
		if err := raw.QueryRow(`SELECT COUNT(*) FROM lead_owners o WHERE o.lead_id > ?
OR NOT EXISTS (SELECT 1 FROM leads l WHERE l.id = o.lead_id AND l.owner_id = o.owner_id)`, upto).Scan(&extra); err != nil {
			t.Fatal(err)
		}
		if missing != 0 || extra != 0 {
			t.Fatalf("%s: lead_owners up to lead %d misses %d owned leads and holds %d entries it should not", step, upto, missing, extra)
		}
		return upto
	}

	insert(8, 0, 1300)
	upto := check("after concurrent inserts")
	if upto < 512 {
		t.Fatalf("no owner merge after 1,300 new leads: merge point %d", upto)
	}
	n := 0
	created.Range(func(any, any) bool { n++; return true })
	if n == 0 || n >= 1300 {
		t.Fatalf("%d of 1,300 writes committed: the failing ones must not", n)
	}

	// Owner changes of merged leads (kept by the triggers) and of newer ones (scanned).
	leadAt := func(q string, args ...any) *leadflow.Lead {
		var id int64
		if err := raw.QueryRow(q, args...).Scan(&id); err != nil {
			t.Fatal(err)
		}
		var l *leadflow.Lead
		if err := s.Read(ctx, func(tx leadflow.ReadTx) error {
			var err error
			l, err = tx.LeadByID(ctx, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return l
	}
	merged1 := leadAt(`SELECT MIN(id) FROM leads WHERE owner_id = 1`)
	merged2 := leadAt(`SELECT MIN(id) FROM leads WHERE owner_id = 2`)
	merged3 := leadAt(`SELECT MIN(id) FROM leads WHERE owner_id = 3`)
	mergedFree := leadAt(`SELECT MIN(id) FROM leads WHERE owner_id IS NULL`)
	newer := leadAt(`SELECT MAX(id) FROM leads WHERE owner_id = 2 AND id > ?`, upto)
	toErase := leadAt(`SELECT MAX(id) FROM leads WHERE owner_id = 3 AND id <= ?`, upto)
	if err := s.Write(ctx, func(tx leadflow.Tx) error {
		now := time.Now()
		merged2.OwnerID = 3
		return errors.Join(
			tx.SetLeadOwner(ctx, merged1.ID, 2, now),    // reassigned
			tx.SetLeadOwner(ctx, merged3.ID, 0, now),    // released
			tx.SetLeadOwner(ctx, mergedFree.ID, 1, now), // first owner
			tx.UpdateLead(ctx, merged2),                 // owner changed by a whole-row update
			tx.SetLeadOwner(ctx, newer.ID, 1, now),      // newer than the merge point
			tx.EraseLead(ctx, toErase.ID))
	}); err != nil {
		t.Fatal(err)
	}
	check("after owner changes")

	// The next merges take the newer leads with the owners they have now.
	insert(4, 1300, 700)
	if after := check("after more inserts"); after <= upto {
		t.Fatalf("merge point stayed at %d", after)
	}

	// A restart keeps lists exact: the merge point and the newer leads are read from the file.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	check("after a restart")
	insert(2, 2000, 600)
	check("after inserts past a restart")
}

// TestLeadOwnersMergeAcrossRestarts: leads that short-lived processes created and left unmerged
// (each fewer than a merge's worth) are merged by the next writer that opens the file, so the
// part of every rep's list found by scanning the newest leads stays small.
func TestLeadOwnersMergeAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadflow.db")
	n := 0
	for range 6 { // six runs of a command creating 100 leads each
		s := openAt(t, path)
		if err := s.Write(ctx, func(tx leadflow.Tx) error {
			for range 100 {
				n++
				if err := tx.InsertLead(ctx, &leadflow.Lead{Email: fmt.Sprintf("cmd%d@owners.example", n), Stage: leadflow.StageNew, OwnerID: int64(1 + n%3)}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var upto, merged int64
	if err := raw.QueryRow(`SELECT (SELECT lead_id FROM lead_owners_upto), (SELECT COUNT(*) FROM lead_owners)`).Scan(&upto, &merged); err != nil {
		t.Fatal(err)
	}
	if upto != 600 || merged != 600 {
		t.Fatalf("after six runs of 100 leads: merged up to lead %d, %d entries; want all 600", upto, merged)
	}
}

// Package storetest is the conformance suite every leadflow.Store must pass (S-STORE-3). A store
// package runs it from its own tests: storetest.Run(t, func(t *testing.T) leadflow.Store {...}).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
)

// Opener returns a fresh, empty store; the suite closes it.
type Opener func(t *testing.T) leadflow.Store

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// Run runs every conformance test against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s leadflow.Store)
	}{
		{"LeadRoundTrip", testLeadRoundTrip},
		{"LeadUniqueKeys", testLeadUniqueKeys},
		{"ListLeads", testListLeads},
		{"Events", testEvents},
		{"HistoryAndErase", testHistoryAndErase},
		{"OwnerHistoryOfAssignments", testOwnerHistoryOfAssignments},
		{"AssignmentsByTime", testAssignmentsByTime},
		{"Idempotency", testIdempotency},
		{"Tokens", testTokens},
		{"ModelsAndSettings", testModelsAndSettings},
		{"RescoreJobs", testRescoreJobs},
		{"Webhooks", testWebhooks},
		{"FailedWriteIsolated", testFailedWriteIsolated},
		{"ConcurrentWrites", testConcurrentWrites},
		{"Costs", testCosts},
		{"RepsTeamsTerritories", testRepsTeamsTerritories},
		{"RoutingState", testRoutingState},
		{"PoolClaimRace", testPoolClaimRace},
		{"PoolLifecycle", testPoolLifecycle},
		{"ClaimCounts", testClaimCounts},
		{"Leases", testLeases},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func write(t *testing.T, s leadflow.Store, fn func(tx leadflow.Tx) error) {
	t.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func read(t *testing.T, s leadflow.Store, fn func(tx leadflow.ReadTx) error) {
	t.Helper()
	if err := s.Read(context.Background(), fn); err != nil {
		t.Fatalf("read: %v", err)
	}
}

func sampleLead(i int) *leadflow.Lead {
	return &leadflow.Lead{
		ExternalID: fmt.Sprintf("crm-%d", i), Email: fmt.Sprintf("Person%d@Example.com", i), FirstName: "Ana", LastName: fmt.Sprint("Lee", i),
		Company: "Acme", CompanySize: 200, Industry: "Technology", JobTitle: "CEO", Seniority: "c_level", Country: "US",
		Source: "web", Campaign: "spring", Custom: map[string]any{"plan": "pro"}, Consent: map[string]bool{"email": true},
		Stage: leadflow.StageNew, Criteria: map[string]bool{"budget": true},
		Score: leadflow.Score{Fit: 50, Engagement: 35, Total: 85, Grade: "A", Band: "hot", ModelVersion: 1, ScoredAt: t0},
		Hits:  leadflow.RuleHits{"pricing_page": {t0.UnixMilli()}}, RescoreAt: t0.Add(time.Hour),
		CreatedAt: t0, UpdatedAt: t0,
	}
}

func code(err error) string { return leadflow.ErrorCode(err) }

func testLeadRoundTrip(t *testing.T, s leadflow.Store) {
	want := sampleLead(1)
	write(t, s, func(tx leadflow.Tx) error { return tx.InsertLead(context.Background(), want) })
	if want.ID == 0 {
		t.Fatal("InsertLead did not set ID")
	}
	ctx := context.Background()
	read(t, s, func(tx leadflow.ReadTx) error {
		for name, get := range map[string]func() (*leadflow.Lead, error){
			"id":          func() (*leadflow.Lead, error) { return tx.LeadByID(ctx, want.ID) },
			"external_id": func() (*leadflow.Lead, error) { return tx.LeadByExternalID(ctx, "crm-1") },
			"email":       func() (*leadflow.Lead, error) { return tx.LeadByEmail(ctx, "  PERSON1@example.COM ") },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("by %s: %v", name, err)
			}
			if got.Email != want.Email || got.Company != "Acme" || got.Score.Total != 85 || got.Score.Grade != "A" ||
				got.Stage != leadflow.StageNew || got.Custom["plan"] != "pro" || !got.Consent["email"] || !got.Criteria["budget"] ||
				len(got.Hits["pricing_page"]) != 1 || !got.RescoreAt.Equal(want.RescoreAt) || !got.CreatedAt.Equal(t0) || !got.Score.ScoredAt.Equal(t0) {
				t.Fatalf("by %s: round trip mismatch: %+v", name, got)
			}
		}
		byKeys, err := tx.LeadsByKeys(ctx, []int64{want.ID, 424242}, []string{"crm-1", "nope"}, []string{"PERSON1@example.com", "x@y.z"})
		if err != nil || len(byKeys) != 1 || byKeys[0].ID != want.ID {
			t.Fatalf("LeadsByKeys matching one lead three ways: %d leads, %v", len(byKeys), err)
		}
		if none, err := tx.LeadsByKeys(ctx, nil, nil, nil); err != nil || len(none) != 0 {
			t.Fatalf("LeadsByKeys with no keys: %d %v", len(none), err)
		}
		if _, err := tx.LeadByID(ctx, 999999); code(err) != leadflow.ENOTFOUND {
			t.Fatalf("missing lead: got %v, want not_found", err)
		}
		return nil
	})
	want.Company, want.Stage, want.OwnerID = "Acme GmbH", leadflow.StageMQL, 7
	write(t, s, func(tx leadflow.Tx) error { return tx.UpdateLead(ctx, want) })
	read(t, s, func(tx leadflow.ReadTx) error {
		got, err := tx.LeadByID(ctx, want.ID)
		if err != nil || got.Company != "Acme GmbH" || got.Stage != leadflow.StageMQL || got.OwnerID != 7 {
			t.Fatalf("after update: %+v %v", got, err)
		}
		return nil
	})
	// A conditional score update applies only while the lead's revision is the one read.
	var current *leadflow.Lead
	read(t, s, func(tx leadflow.ReadTx) error {
		var err error
		current, err = tx.LeadByID(ctx, want.ID)
		return err
	})
	stale := *current
	stale.Rev--
	stale.Score.Total = 99
	fresh := *current
	fresh.Score.Total = 42
	var skipped []int64
	write(t, s, func(tx leadflow.Tx) error {
		var err error
		if skipped, err = tx.UpdateScoresIfCurrent(ctx, []leadflow.Lead{stale}); err != nil || len(skipped) != 1 {
			return err
		}
		skipped, err = tx.UpdateScoresIfCurrent(ctx, []leadflow.Lead{fresh})
		return err
	})
	read(t, s, func(tx leadflow.ReadTx) error {
		got, _ := tx.LeadByID(ctx, want.ID)
		if len(skipped) != 0 || got.Score.Total != 42 || got.Rev != current.Rev+1 {
			t.Fatalf("conditional update: skipped %v, total %v, rev %d → %d", skipped, got.Score.Total, current.Rev, got.Rev)
		}
		want.Rev = got.Rev
		return nil
	})
	want.Score.Total, want.Hits, want.RescoreAt = 12, nil, time.Time{}
	write(t, s, func(tx leadflow.Tx) error { return tx.UpdateScores(ctx, []leadflow.Lead{*want}) })
	read(t, s, func(tx leadflow.ReadTx) error {
		got, _ := tx.LeadByID(ctx, want.ID)
		if got.Score.Total != 12 || len(got.Hits) != 0 || !got.RescoreAt.IsZero() || got.Company != "Acme GmbH" {
			t.Fatalf("after UpdateScores: %+v", got)
		}
		return nil
	})
}

func testLeadUniqueKeys(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	write(t, s, func(tx leadflow.Tx) error { return tx.InsertLead(ctx, sampleLead(1)) })
	dupEmail := sampleLead(2)
	dupEmail.Email = "PERSON1@EXAMPLE.COM"
	err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.InsertLead(ctx, dupEmail) })
	if code(err) != leadflow.ECONFLICT {
		t.Fatalf("duplicate email (other case): got %v, want conflict", err)
	}
	dupExt := sampleLead(3)
	dupExt.ExternalID = "crm-1"
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.InsertLead(ctx, dupExt) }); code(err) != leadflow.ECONFLICT {
		t.Fatalf("duplicate external_id: got %v, want conflict", err)
	}
	// Leads without email or external id do not collide with each other.
	write(t, s, func(tx leadflow.Tx) error {
		for i := 0; i < 2; i++ {
			if err := tx.InsertLead(ctx, &leadflow.Lead{Stage: leadflow.StageNew, Phone: "+1", CreatedAt: t0, UpdatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx leadflow.ReadTx) error {
		if n, _ := tx.CountLeads(ctx); n != 3 {
			t.Fatalf("count = %d, want 3", n)
		}
		return nil
	})
}

func testListLeads(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	write(t, s, func(tx leadflow.Tx) error {
		for i := 1; i <= 25; i++ {
			l := sampleLead(i)
			if i%5 == 0 {
				l.Stage, l.Score.Band, l.Source, l.OwnerID = leadflow.StageMQL, "warm", "webinar", 3
			}
			if i == 7 {
				l.Company = "Zeta_100% Labs"
			}
			if err := tx.InsertLead(ctx, l); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx leadflow.ReadTx) error {
		page1, _ := tx.ListLeads(ctx, leadflow.LeadFilter{Limit: 10})
		page2, _ := tx.ListLeads(ctx, leadflow.LeadFilter{Limit: 10, Before: page1[9].ID})
		page3, _ := tx.ListLeads(ctx, leadflow.LeadFilter{Limit: 10, Before: page2[9].ID})
		if len(page1) != 10 || len(page2) != 10 || len(page3) != 5 || page1[0].ID <= page1[9].ID || page2[0].ID >= page1[9].ID {
			t.Fatalf("cursor pages: %d %d %d", len(page1), len(page2), len(page3))
		}
		for name, f := range map[string]leadflow.LeadFilter{
			"stage": {Stage: leadflow.StageMQL}, "band": {Band: "warm"}, "source": {Source: "webinar"}, "owner": {OwnerID: 3},
		} {
			got, _ := tx.ListLeads(ctx, f)
			if len(got) != 5 {
				t.Fatalf("filter %s: %d leads, want 5", name, len(got))
			}
		}
		got, _ := tx.ListLeads(ctx, leadflow.LeadFilter{Query: "_100%"})
		if len(got) != 1 || got[0].Company != "Zeta_100% Labs" {
			t.Fatalf("query with LIKE metacharacters: %d leads", len(got))
		}
		after, _ := tx.LeadsAfter(ctx, 0, 100)
		if len(after) != 25 || after[0].ID > after[24].ID {
			t.Fatalf("LeadsAfter: %d", len(after))
		}
		due, _ := tx.LeadsDue(ctx, t0.Add(2*time.Hour), 100)
		if len(due) != 25 {
			t.Fatalf("LeadsDue: %d, want 25", len(due))
		}
		if due, _ := tx.LeadsDue(ctx, t0, 100); len(due) != 0 {
			t.Fatalf("LeadsDue before time: %d, want 0", len(due))
		}
		return nil
	})
}

func testEvents(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	l := sampleLead(1)
	write(t, s, func(tx leadflow.Tx) error { return tx.InsertLead(ctx, l) })
	var firstInserted, dupInserted bool
	write(t, s, func(tx leadflow.Tx) error {
		var err error
		e := &leadflow.Event{EventID: "ev-1", LeadID: l.ID, Type: "page_view", OccurredAt: t0.Add(2 * time.Minute), ReceivedAt: t0, Properties: map[string]any{"path": "/pricing"}}
		if firstInserted, err = tx.InsertEvent(ctx, e); err != nil {
			return err
		}
		if dupInserted, err = tx.InsertEvent(ctx, &leadflow.Event{EventID: "ev-1", LeadID: l.ID, Type: "email_open", OccurredAt: t0, ReceivedAt: t0}); err != nil {
			return err
		}
		_, err = tx.InsertEvent(ctx, &leadflow.Event{LeadID: l.ID, Type: "email_open", OccurredAt: t0, ReceivedAt: t0})
		return err
	})
	if !firstInserted || dupInserted {
		t.Fatalf("dedupe by event_id: first=%v dup=%v", firstInserted, dupInserted)
	}
	read(t, s, func(tx leadflow.ReadTx) error {
		evs, err := tx.EventsByLead(ctx, l.ID)
		if err != nil || len(evs) != 2 || evs[0].Type != "email_open" || evs[1].Properties["path"] != "/pricing" {
			t.Fatalf("EventsByLead: %+v %v", evs, err)
		}
		m, _ := tx.EventsForLeads(ctx, l.ID, l.ID)
		if len(m[l.ID]) != 2 {
			t.Fatalf("EventsForLeads: %+v", m)
		}
		return nil
	})
}

// testOwnerHistoryOfAssignments: owner entries that name their assignment (which a store may keep
// with the assignment, see leadflow.HistoryEntry.AssignmentID) read back exactly as appended, in
// order among the lead's other entries, page by page, and go with an erasure; those of a failed
// write are not stored at all.
func testOwnerHistoryOfAssignments(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	l, other := sampleLead(1), sampleLead(2)
	var want []leadflow.HistoryEntry
	assign := func(tx leadflow.Tx, rep int64, at time.Time, old string) (leadflow.HistoryEntry, error) {
		a := &leadflow.Assignment{LeadID: l.ID, RepID: rep, RuleID: "all", Method: "weighted", At: at, Actor: "router", Explanation: []byte(`{"v":3}`)}
		if err := tx.InsertAssignment(ctx, a); err != nil {
			return leadflow.HistoryEntry{}, err
		}
		return leadflow.HistoryEntry{LeadID: l.ID, At: at, Actor: "router", Kind: leadflow.HistoryOwner, Field: "owner", Old: old, New: fmt.Sprint(rep), AssignmentID: a.ID}, nil
	}
	write(t, s, func(tx leadflow.Tx) error {
		for _, x := range []*leadflow.Lead{l, other} {
			if err := tx.InsertLead(ctx, x); err != nil {
				return err
			}
		}
		owner, err := assign(tx, 7, t0, "")
		if err != nil {
			return err
		}
		want = []leadflow.HistoryEntry{
			{LeadID: l.ID, At: t0, Actor: "api", Kind: leadflow.HistoryCreated, Field: "total", New: "85", ModelVersion: 1},
			owner,
			{LeadID: l.ID, At: t0, Actor: "api", Kind: leadflow.HistoryStage, Field: "stage", Old: "new", New: "mql"},
		}
		return tx.AppendHistory(ctx, want...)
	})
	// A reassignment (an old owner to name) and a second assignment in one write, then a write
	// that fails after appending its entries.
	write(t, s, func(tx leadflow.Tx) error {
		moved, err := assign(tx, 8, t0.Add(time.Minute), "7")
		if err != nil {
			return err
		}
		release := leadflow.HistoryEntry{LeadID: l.ID, At: t0.Add(2 * time.Minute), Actor: "ana", Kind: leadflow.HistoryOwner, Field: "owner", Old: "8", Reason: "released"}
		again, err := assign(tx, 9, t0.Add(3*time.Minute), "")
		if err != nil {
			return err
		}
		entries := []leadflow.HistoryEntry{moved, release, again}
		want = append(want, entries...)
		return tx.AppendHistory(ctx, entries...)
	})
	failed := errors.New("fails after its history")
	if err := s.Write(ctx, func(tx leadflow.Tx) error {
		lost, err := assign(tx, 10, t0.Add(4*time.Minute), "")
		if err != nil {
			return err
		}
		if err := tx.AppendHistory(ctx, lost); err != nil {
			return err
		}
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("failing write: %v", err)
	}
	same := func(got []leadflow.HistoryEntry) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("history has %d entries, want %d: %+v", len(got), len(want), got)
		}
		for i := range got {
			g, w := got[i], want[i]
			if i > 0 && g.ID <= got[i-1].ID {
				t.Fatalf("entry %d has id %d after %d", i, g.ID, got[i-1].ID)
			}
			g.ID, g.AssignmentID, w.AssignmentID = 0, 0, 0
			if !g.At.Equal(w.At) {
				t.Fatalf("entry %d at %v, want %v", i, g.At, w.At)
			}
			g.At, w.At = time.Time{}, time.Time{}
			if g != w {
				t.Fatalf("entry %d reads back as\n%+v\nwant\n%+v", i, g, w)
			}
		}
	}
	read(t, s, func(tx leadflow.ReadTx) error {
		all, err := tx.History(ctx, l.ID, 0, 100)
		if err != nil {
			return err
		}
		same(all)
		var paged []leadflow.HistoryEntry
		for after := int64(0); ; {
			page, err := tx.History(ctx, l.ID, after, 2)
			if err != nil {
				return err
			}
			if len(page) == 0 {
				break
			}
			paged, after = append(paged, page...), page[len(page)-1].ID
		}
		same(paged)
		if h, _ := tx.History(ctx, other.ID, 0, 10); len(h) != 0 {
			t.Fatalf("another lead's history: %+v", h)
		}
		return nil
	})
	write(t, s, func(tx leadflow.Tx) error { return tx.EraseLead(ctx, l.ID) })
	read(t, s, func(tx leadflow.ReadTx) error {
		if h, _ := tx.History(ctx, l.ID, 0, 10); len(h) != 0 {
			t.Fatalf("erased lead's history remains: %+v", h)
		}
		return nil
	})
}

// testAssignmentsByTime: assignments are found by the time they were made, also when the clock
// went back between them, and counted per rep inside write transactions: a failed write's
// assignments never count, concurrent writes each see their own (S-DIST-9 caps).
func testAssignmentsByTime(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	assign := func(tx leadflow.Tx, rep int64, at time.Time) error {
		return tx.InsertAssignment(ctx, &leadflow.Assignment{RepID: rep, RuleID: "a", Method: "weighted", At: at, Actor: "system", Explanation: []byte(`{}`)})
	}
	h := func(hours float64) time.Time { return t0.Add(time.Duration(hours * float64(time.Hour))) }
	write(t, s, func(tx leadflow.Tx) error {
		if err := assign(tx, 1, h(10)); err != nil {
			return err
		}
		return assign(tx, 2, h(10.5))
	})
	// The clock went back an hour and came forward again.
	write(t, s, func(tx leadflow.Tx) error {
		if err := assign(tx, 3, h(9.25)); err != nil {
			return err
		}
		return assign(tx, 1, h(11))
	})
	countsAre := func(tx leadflow.ReadTx, since time.Time, want map[int64]int64) {
		t.Helper()
		got, err := tx.AssignmentCounts(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		for rep, n := range got {
			if n == 0 {
				delete(got, rep)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("assignments since %s: %v, want %v", since.Format("15:04"), got, want)
		}
	}
	failed := errors.New("fails after counting")
	if err := s.Write(ctx, func(tx leadflow.Tx) error {
		countsAre(tx, h(9.5), map[int64]int64{1: 2, 2: 1})
		if err := assign(tx, 2, h(10)); err != nil {
			return err
		}
		countsAre(tx, h(9.5), map[int64]int64{1: 2, 2: 2})
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("failing write: %v", err)
	}
	check := func(tx leadflow.ReadTx) error {
		countsAre(tx, h(9.5), map[int64]int64{1: 2, 2: 1})
		countsAre(tx, h(9), map[int64]int64{1: 2, 2: 1, 3: 1})
		countsAre(tx, h(10.75), map[int64]int64{1: 1})
		countsAre(tx, h(12), map[int64]int64{})
		countsAre(tx, time.Time{}, map[int64]int64{1: 2, 2: 1, 3: 1})
		between, err := tx.AssignmentsBetween(ctx, h(9), h(10.75))
		if err != nil {
			return err
		}
		var got []string
		for _, a := range between {
			got = append(got, fmt.Sprintf("%d@%s", a.RepID, a.At.Format("15:04")))
		}
		if want := "[3@18:15 1@19:00 2@19:30]"; fmt.Sprint(got) != want {
			t.Fatalf("assignments between: %v, want %s", got, want)
		}
		return nil
	}
	write(t, s, func(tx leadflow.Tx) error { return check(tx) })
	read(t, s, check)

	// Concurrent writes, every third failing: each sees its own assignment counted, and only the
	// successful ones stay.
	var wg sync.WaitGroup
	var ok [4]atomic.Int64
	for i := range 60 {
		wg.Go(func() {
			rep := int64(i%4 + 1)
			err := s.Write(ctx, func(tx leadflow.Tx) error {
				before, err := tx.AssignmentCounts(ctx, h(12))
				if err != nil {
					return err
				}
				if err := assign(tx, rep, h(13)); err != nil {
					return err
				}
				after, err := tx.AssignmentCounts(ctx, h(12))
				if err != nil {
					return err
				}
				// Other writers' assignments may count too (PostgreSQL reads what committed
				// meanwhile); the store's own must.
				if after[rep] < before[rep]+1 {
					return fmt.Errorf("rep %d: %d assignments after its own, %d before", rep, after[rep], before[rep])
				}
				if i%3 == 2 {
					return failed
				}
				return nil
			})
			switch {
			case err == nil:
				ok[rep-1].Add(1)
			case !errors.Is(err, failed):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	want := map[int64]int64{}
	for i := range ok {
		want[int64(i+1)] = ok[i].Load()
	}
	write(t, s, func(tx leadflow.Tx) error { countsAre(tx, h(12), want); return nil })
	read(t, s, func(tx leadflow.ReadTx) error { countsAre(tx, h(12), want); return nil })
}

func testHistoryAndErase(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	keep, gone := sampleLead(1), sampleLead(2)
	write(t, s, func(tx leadflow.Tx) error {
		for _, l := range []*leadflow.Lead{keep, gone} {
			if err := tx.InsertLead(ctx, l); err != nil {
				return err
			}
			if err := tx.AppendHistory(ctx, leadflow.HistoryEntry{LeadID: l.ID, At: t0, Actor: "test", Kind: leadflow.HistoryCreated},
				leadflow.HistoryEntry{LeadID: l.ID, At: t0, Actor: "test", Kind: leadflow.HistoryScore, Old: "0", New: "85", ModelVersion: 1}); err != nil {
				return err
			}
			if _, err := tx.InsertEvent(ctx, &leadflow.Event{LeadID: l.ID, Type: "page_view", OccurredAt: t0, ReceivedAt: t0}); err != nil {
				return err
			}
			if err := tx.InsertStageChange(ctx, leadflow.StageChange{LeadID: l.ID, From: leadflow.StageSAL, To: leadflow.StageSQL, At: t0, Source: "web"}); err != nil {
				return err
			}
			if err := tx.PutIdempotency(ctx, leadflow.IdempotencyRecord{TokenID: 1, Key: fmt.Sprint("k", l.ID), RequestHash: "h", Status: 201, Body: []byte(l.Email), LeadID: l.ID, CreatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx leadflow.ReadTx) error {
		h, _ := tx.History(ctx, keep.ID, 0, 10)
		if len(h) != 2 || h[1].New != "85" || h[1].ModelVersion != 1 {
			t.Fatalf("history: %+v", h)
		}
		if h2, _ := tx.History(ctx, keep.ID, h[0].ID, 10); len(h2) != 1 {
			t.Fatalf("history cursor: %d", len(h2))
		}
		return nil
	})
	write(t, s, func(tx leadflow.Tx) error { return tx.EraseLead(ctx, gone.ID) })
	read(t, s, func(tx leadflow.ReadTx) error {
		if _, err := tx.LeadByID(ctx, gone.ID); code(err) != leadflow.ENOTFOUND {
			t.Fatalf("erased lead still readable: %v", err)
		}
		if _, err := tx.LeadByEmail(ctx, gone.Email); code(err) != leadflow.ENOTFOUND {
			t.Fatalf("erased lead found by email: %v", err)
		}
		if evs, _ := tx.EventsByLead(ctx, gone.ID); len(evs) != 0 {
			t.Fatalf("erased lead's events remain: %d", len(evs))
		}
		if h, _ := tx.History(ctx, gone.ID, 0, 10); len(h) != 0 {
			t.Fatalf("erased lead's history remains: %d", len(h))
		}
		if _, err := tx.Idempotency(ctx, 1, fmt.Sprint("k", gone.ID)); code(err) != leadflow.ENOTFOUND {
			t.Fatalf("erased lead's idempotency record remains: %v", err)
		}
		changes, _ := tx.StageChanges(ctx, leadflow.StageSQL, t0, t0.Add(time.Hour))
		if len(changes) != 2 {
			t.Fatalf("aggregates lost: %d stage changes, want 2", len(changes))
		}
		anonymous := 0
		for _, c := range changes {
			if c.LeadID == 0 {
				anonymous++
			}
		}
		if anonymous != 1 {
			t.Fatalf("want exactly one anonymized stage change, got %d", anonymous)
		}
		if h, _ := tx.History(ctx, keep.ID, 0, 10); len(h) != 2 {
			t.Fatalf("other lead's history touched: %d", len(h))
		}
		return nil
	})
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.EraseLead(ctx, gone.ID) }); code(err) != leadflow.ENOTFOUND {
		t.Fatalf("erase twice: got %v, want not_found", err)
	}
	// An erased lead's id is never given to another person.
	next := sampleLead(3)
	write(t, s, func(tx leadflow.Tx) error { return tx.InsertLead(ctx, next) })
	if next.ID <= gone.ID {
		t.Fatalf("new lead got id %d, reusing the erased lead's id %d", next.ID, gone.ID)
	}
}

func testIdempotency(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	rec := leadflow.IdempotencyRecord{TokenID: 4, Key: "abc", RequestHash: "h1", Status: 201, Body: []byte(`{"id":1}`), CreatedAt: t0}
	write(t, s, func(tx leadflow.Tx) error { return tx.PutIdempotency(ctx, rec) })
	read(t, s, func(tx leadflow.ReadTx) error {
		got, err := tx.Idempotency(ctx, 4, "abc")
		if err != nil || got.Status != 201 || string(got.Body) != `{"id":1}` || got.RequestHash != "h1" {
			t.Fatalf("idempotency: %+v %v", got, err)
		}
		if _, err := tx.Idempotency(ctx, 5, "abc"); code(err) != leadflow.ENOTFOUND {
			t.Fatalf("keys are per token: %v", err)
		}
		return nil
	})
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.PutIdempotency(ctx, rec) }); code(err) != leadflow.ECONFLICT {
		t.Fatalf("duplicate key: %v", err)
	}
}

func testTokens(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	tok := &leadflow.Token{Name: "ci", Role: leadflow.RoleRep, RepID: 9, Hash: "deadbeef", CreatedAt: t0}
	write(t, s, func(tx leadflow.Tx) error { return tx.InsertToken(ctx, tok) })
	write(t, s, func(tx leadflow.Tx) error { return tx.RevokeToken(ctx, tok.ID, t0.Add(time.Hour)) })
	read(t, s, func(tx leadflow.ReadTx) error {
		got, err := tx.TokenByHash(ctx, "deadbeef")
		if err != nil || got.Role != leadflow.RoleRep || got.RepID != 9 || got.RevokedAt == nil {
			t.Fatalf("token: %+v %v", got, err)
		}
		all, _ := tx.Tokens(ctx)
		if len(all) != 1 {
			t.Fatalf("tokens: %d", len(all))
		}
		return nil
	})
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.RevokeToken(ctx, tok.ID, t0) }); code(err) != leadflow.ENOTFOUND {
		t.Fatalf("revoke twice: %v", err)
	}
}

func testModelsAndSettings(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	read(t, s, func(tx leadflow.ReadTx) error {
		if _, err := tx.Model(ctx, 0); code(err) != leadflow.ENOTFOUND {
			t.Fatalf("no model yet: %v", err)
		}
		if v, err := tx.Setting(ctx, "nope"); v != nil || err != nil {
			t.Fatalf("unset setting: %q %v", v, err)
		}
		return nil
	})
	m1 := &leadflow.ModelRecord{Body: []byte(`{"rules":[]}`), CreatedAt: t0, CreatedBy: "admin"}
	m2 := &leadflow.ModelRecord{Body: []byte(`{"rules":[1]}`), CreatedAt: t0}
	write(t, s, func(tx leadflow.Tx) error { return tx.InsertModel(ctx, m1) })
	write(t, s, func(tx leadflow.Tx) error {
		if err := tx.InsertModel(ctx, m2); err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, "k", []byte("v1")); err != nil {
			return err
		}
		return tx.PutSetting(ctx, "k", []byte("v2"))
	})
	if m1.Version != 1 || m2.Version != 2 {
		t.Fatalf("versions %d %d", m1.Version, m2.Version)
	}
	read(t, s, func(tx leadflow.ReadTx) error {
		active, err := tx.Model(ctx, 0)
		if err != nil || active.Version != 2 || !active.Active || string(active.Body) != `{"rules":[1]}` {
			t.Fatalf("active: %+v %v", active, err)
		}
		old, _ := tx.Model(ctx, 1)
		if old.Active || old.CreatedBy != "admin" {
			t.Fatalf("old: %+v", old)
		}
		all, _ := tx.Models(ctx)
		if len(all) != 2 || all[0].Version != 2 {
			t.Fatalf("models: %+v", all)
		}
		if v, _ := tx.Setting(ctx, "k"); string(v) != "v2" {
			t.Fatalf("setting: %q", v)
		}
		return nil
	})
}

func testRescoreJobs(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	j := &leadflow.RescoreJob{ModelVersion: 3, Status: "running", Total: 100, StartedAt: t0}
	write(t, s, func(tx leadflow.Tx) error { return tx.InsertRescoreJob(ctx, j) })
	fin := t0.Add(time.Minute)
	j.Done, j.Changed, j.LastLeadID, j.Status, j.FinishedAt = 100, 40, 77, "done", &fin
	write(t, s, func(tx leadflow.Tx) error { return tx.UpdateRescoreJob(ctx, j) })
	read(t, s, func(tx leadflow.ReadTx) error {
		got, err := tx.RescoreJob(ctx, j.ID)
		if err != nil || got.Done != 100 || got.Changed != 40 || got.LastLeadID != 77 || got.FinishedAt == nil || got.Status != "done" {
			t.Fatalf("job: %+v %v", got, err)
		}
		if list, _ := tx.RescoreJobs(ctx, 5); len(list) != 1 {
			t.Fatalf("jobs: %d", len(list))
		}
		return nil
	})
}

func testWebhooks(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	d := &leadflow.WebhookDelivery{URL: "http://127.0.0.1:1/x", Secret: "s", Event: "lead.threshold_crossed", Body: []byte(`{}`), NextAttemptAt: t0, CreatedAt: t0}
	later := &leadflow.WebhookDelivery{URL: "http://127.0.0.1:1/y", Event: "e", Body: []byte(`{}`), NextAttemptAt: t0.Add(time.Hour), CreatedAt: t0}
	write(t, s, func(tx leadflow.Tx) error {
		if err := tx.EnqueueWebhook(ctx, d); err != nil {
			return err
		}
		return tx.EnqueueWebhook(ctx, later)
	})
	var claimed, again []leadflow.WebhookDelivery
	write(t, s, func(tx leadflow.Tx) error {
		var err error
		claimed, err = tx.ClaimWebhooks(ctx, t0, 10, time.Minute)
		return err
	})
	write(t, s, func(tx leadflow.Tx) error {
		var err error
		again, err = tx.ClaimWebhooks(ctx, t0.Add(30*time.Second), 10, time.Minute)
		return err
	})
	if len(claimed) != 1 || claimed[0].ID != d.ID || claimed[0].Secret != "s" || len(again) != 0 {
		t.Fatalf("claim: %d then %d (a leased delivery must not be claimed twice)", len(claimed), len(again))
	}
	// After the lease expires an unfinished delivery comes back (a crashed worker).
	write(t, s, func(tx leadflow.Tx) error {
		var err error
		again, err = tx.ClaimWebhooks(ctx, t0.Add(2*time.Minute), 10, time.Minute)
		return err
	})
	if len(again) != 1 {
		t.Fatalf("expired lease: %d", len(again))
	}
	done := t0.Add(3 * time.Minute)
	c := again[0]
	c.Status, c.Attempts, c.LastStatus, c.DeliveredAt = leadflow.WebhookDelivered, 1, 200, &done
	write(t, s, func(tx leadflow.Tx) error {
		return tx.FinishWebhook(ctx, c, leadflow.WebhookAttempt{DeliveryID: c.ID, At: done, Status: 200, Duration: time.Millisecond})
	})
	read(t, s, func(tx leadflow.ReadTx) error {
		all, _ := tx.Webhooks(ctx, 10)
		if len(all) != 2 || all[1].Status != leadflow.WebhookDelivered || all[1].DeliveredAt == nil {
			t.Fatalf("webhooks: %+v", all)
		}
		at, _ := tx.WebhookAttempts(ctx, d.ID)
		if len(at) != 1 || at[0].Status != 200 || at[0].Duration != time.Millisecond {
			t.Fatalf("attempts: %+v", at)
		}
		return nil
	})
}

// testFailedWriteIsolated proves that a failing write changes nothing while concurrent writes
// grouped into the same transaction still commit.
func testFailedWriteIsolated(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Write(ctx, func(tx leadflow.Tx) error {
				if err := tx.InsertLead(ctx, sampleLead(i)); err != nil {
					return err
				}
				if i%2 == 1 {
					return boom // the lead inserted above must vanish
				}
				return nil
			})
			if errors.Is(err, boom) {
				failures.Add(1)
			} else if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	read(t, s, func(tx leadflow.ReadTx) error {
		n, _ := tx.CountLeads(ctx)
		if n != 20 || failures.Load() != 20 {
			t.Fatalf("leads = %d, failures = %d; want 20 and 20", n, failures.Load())
		}
		if _, err := tx.LeadByExternalID(ctx, "crm-1"); code(err) != leadflow.ENOTFOUND {
			t.Fatalf("failed write left its lead: %v", err)
		}
		return nil
	})
	// A panicking write is reported as an error and leaves the store usable.
	if err := s.Write(ctx, func(tx leadflow.Tx) error { panic("bad write") }); err == nil {
		t.Fatal("panicking write returned nil")
	}
	write(t, s, func(tx leadflow.Tx) error { return tx.InsertLead(ctx, sampleLead(1001)) })
}

// testConcurrentWrites runs read-modify-write increments from many goroutines: serializable
// writes lose none.
func testConcurrentWrites(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	l := sampleLead(1)
	l.CompanySize = 0
	write(t, s, func(tx leadflow.Tx) error { return tx.InsertLead(ctx, l) })
	var wg sync.WaitGroup
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 10; k++ {
				if err := s.Write(ctx, func(tx leadflow.Tx) error {
					cur, err := tx.LeadByID(ctx, l.ID)
					if err != nil {
						return err
					}
					cur.CompanySize++
					return tx.UpdateLead(ctx, cur)
				}); err != nil {
					t.Errorf("increment: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	read(t, s, func(tx leadflow.ReadTx) error {
		got, _ := tx.LeadByID(ctx, l.ID)
		if got.CompanySize != 500 {
			t.Fatalf("lost updates: company_size = %d, want 500", got.CompanySize)
		}
		return nil
	})
}

func testCosts(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	c := &leadflow.Cost{Source: "paid", Campaign: "brand", From: t0, To: t0.AddDate(0, 1, 0), Amount: 1200.5, Currency: "EUR"}
	write(t, s, func(tx leadflow.Tx) error { return tx.InsertCost(ctx, c) })
	read(t, s, func(tx leadflow.ReadTx) error {
		in, _ := tx.Costs(ctx, t0.AddDate(0, 0, 10), t0.AddDate(0, 0, 11))
		out, _ := tx.Costs(ctx, t0.AddDate(0, 2, 0), t0.AddDate(0, 3, 0))
		if len(in) != 1 || in[0].Amount != 1200.5 || len(out) != 0 {
			t.Fatalf("costs overlap query: %d %d", len(in), len(out))
		}
		return nil
	})
}

func testRepsTeamsTerritories(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	hired := t0.AddDate(0, -2, 0)
	team := &leadflow.Team{Name: "East", CreatedAt: t0, UpdatedAt: t0}
	terr := &leadflow.Territory{Name: "DACH", Countries: []string{"DE", "AT", "CH"}, MinSize: 50, CreatedAt: t0, UpdatedAt: t0}
	rep := &leadflow.Rep{Name: "Alice", Email: "Alice@Sales.example", Level: leadflow.LevelSenior, HireDate: &hired, WeeklyHours: 40,
		CapacityThreshold: 20, Active: true, Timezone: "Europe/Berlin", WorkingHours: &leadflow.WorkingHours{Days: []int{1, 2, 3, 4, 5}, Start: "09:00", End: "17:00"},
		Absences: []leadflow.Absence{{From: t0, To: t0.AddDate(0, 0, 7), Reason: "vacation", Source: "manual"}}, CreatedAt: t0, UpdatedAt: t0}
	write(t, s, func(tx leadflow.Tx) error {
		if err := tx.InsertTeam(ctx, team); err != nil {
			return err
		}
		if err := tx.InsertTerritory(ctx, terr); err != nil {
			return err
		}
		rep.TeamID, rep.TerritoryIDs = team.ID, []int64{terr.ID}
		return tx.InsertRep(ctx, rep)
	})
	if rep.ID == 0 || team.ID == 0 || terr.ID == 0 {
		t.Fatal("ids not set")
	}
	dup := &leadflow.Rep{Name: "Other", Email: "alice@sales.EXAMPLE", CreatedAt: t0, UpdatedAt: t0}
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.InsertRep(ctx, dup) }); code(err) != leadflow.ECONFLICT {
		t.Fatalf("duplicate rep email: %v", err)
	}
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.InsertTeam(ctx, &leadflow.Team{Name: "east"}) }); code(err) != leadflow.ECONFLICT {
		t.Fatalf("duplicate team name: %v", err)
	}
	rep.Name, rep.Active = "Alice B.", false
	rep.UpdatedAt = t0.Add(time.Hour)
	write(t, s, func(tx leadflow.Tx) error { return tx.UpdateRep(ctx, rep) })
	read(t, s, func(tx leadflow.ReadTx) error {
		got, err := tx.Rep(ctx, rep.ID)
		if err != nil || got.Name != "Alice B." || got.Active || got.TeamID != team.ID || len(got.TerritoryIDs) != 1 ||
			got.WorkingHours == nil || got.WorkingHours.Start != "09:00" || !got.HireDate.Equal(hired) || len(got.Absences) != 1 ||
			!got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("rep round trip: %+v %v", got, err)
		}
		if _, away := got.AwayAt(t0.Add(time.Hour)); !away {
			t.Fatal("absence lost")
		}
		if _, err := tx.Rep(ctx, 999); code(err) != leadflow.ENOTFOUND {
			t.Fatalf("unknown rep: %v", err)
		}
		teams, _ := tx.Teams(ctx)
		terrs, _ := tx.Territories(ctx)
		reps, _ := tx.Reps(ctx)
		if len(teams) != 1 || len(terrs) != 1 || len(reps) != 1 || terrs[0].MinSize != 50 || len(terrs[0].Countries) != 3 {
			t.Fatalf("lists: %d teams, %d territories, %d reps", len(teams), len(terrs), len(reps))
		}
		return nil
	})
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.UpdateTeam(ctx, &leadflow.Team{ID: 999, Name: "x"}) }); code(err) != leadflow.ENOTFOUND {
		t.Fatalf("update unknown team: %v", err)
	}
}

func testRoutingState(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	l1, l2 := sampleLead(1), sampleLead(2)
	l1.OwnerID, l1.Stage = 5, leadflow.StageOpportunity
	l2.OwnerID, l2.Stage = 5, leadflow.StageMQL
	write(t, s, func(tx leadflow.Tx) error {
		if st, err := tx.Rotation(ctx, "rule:a"); err != nil || st != nil {
			t.Fatalf("no rotation yet: %q %v", st, err)
		}
		for _, st := range []string{"\x01first", "\x01\x00binary\xff"} {
			if err := tx.PutRotation(ctx, "rule:a", []byte(st)); err != nil {
				return err
			}
		}
		for _, l := range []*leadflow.Lead{l1, l2} {
			if err := tx.InsertLead(ctx, l); err != nil {
				return err
			}
		}
		for i, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(48 * time.Hour)} {
			a := &leadflow.Assignment{LeadID: l1.ID, RepID: int64(5 + i%2), RuleID: "a", Method: "weighted", At: at, Actor: "system", Explanation: []byte(`{"why":"test"}`), Pool: i > 0}
			if err := tx.InsertAssignment(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx leadflow.ReadTx) error {
		if st, _ := tx.Rotation(ctx, "rule:a"); string(st) != "\x01\x00binary\xff" {
			t.Fatalf("rotation: %q", st)
		}
		as, _ := tx.Assignments(ctx, l1.ID)
		if len(as) != 3 || as[0].RepID != 5 || string(as[0].Explanation) != `{"why":"test"}` || !as[2].At.Equal(t0.Add(48*time.Hour)) {
			t.Fatalf("assignments: %+v", as)
		}
		between, _ := tx.AssignmentsBetween(ctx, t0, t0.Add(24*time.Hour))
		if len(between) != 2 || between[1].RepID != 6 || between[0].LeadID != l1.ID {
			t.Fatalf("assignments between: %+v", between)
		}
		counts, _ := tx.AssignmentCounts(ctx, t0.Add(30*time.Minute))
		if counts[5] != 1 || counts[6] != 1 {
			t.Fatalf("counts since: %v", counts)
		}
		// Auto-assigned leads count the pool's pushes (not claims) of leads the rep still owns,
		// each once: l1 (owned by rep 5) was pushed to rep 5 by the pool at t0+48h; rep 6 got it
		// from the pool at t0+1h but no longer owns it; rep 5's push at t0 was not the pool's.
		for _, c := range []struct {
			rep   int64
			since time.Time
			want  int
		}{{5, t0, 1}, {5, t0.Add(49 * time.Hour), 0}, {6, t0, 0}, {7, t0, 0}} {
			got, err := tx.ClaimCounts(ctx, leadflow.ClaimCountsQuery{RepID: c.rep, LastWeek: c.since.Add(-7 * 24 * time.Hour), ThisWeek: c.since, Today: c.since, AutoAccepted: true})
			if err != nil || got.AutoAccepted != c.want {
				t.Fatalf("auto-accepted of rep %d since %v: %d %v, want %d", c.rep, c.since, got.AutoAccepted, err, c.want)
			}
		}
		opps, _ := tx.OpenOpportunities(ctx)
		if opps[5] != 1 || len(opps) != 1 {
			t.Fatalf("open opportunities: %v", opps)
		}
		return nil
	})
	write(t, s, func(tx leadflow.Tx) error { return tx.SetLeadOwner(ctx, l2.ID, 9, t0.Add(time.Hour)) })
	read(t, s, func(tx leadflow.ReadTx) error {
		got, _ := tx.LeadByID(ctx, l2.ID)
		if got.OwnerID != 9 || !got.UpdatedAt.Equal(t0.Add(time.Hour)) || got.Rev != l2.Rev+1 || got.Company != l2.Company {
			t.Fatalf("SetLeadOwner: %+v", got)
		}
		return nil
	})
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.SetLeadOwner(ctx, 424242, 1, t0) }); code(err) != leadflow.ENOTFOUND {
		t.Fatalf("SetLeadOwner on a missing lead: %v", err)
	}
	// ClaimWon records the won attempt, takes an unowned lead and records the assignment; a lead
	// with an owner is left alone, only the attempt recorded.
	l3 := sampleLead(3)
	write(t, s, func(tx leadflow.Tx) error {
		if err := tx.InsertLead(ctx, l3); err != nil {
			return err
		}
		at := t0.Add(2 * time.Hour)
		a := &leadflow.ClaimAttempt{LeadID: l3.ID, RepID: 7, At: at, Outcome: leadflow.ClaimWon, WinnerID: 7, Band: "hot"}
		as := &leadflow.Assignment{LeadID: l3.ID, RepID: 7, RuleID: "pool", Method: "claim", At: at, Actor: "rep", Reason: "claimed", Explanation: []byte(`{"v":2}`), Pool: true}
		got, err := tx.ClaimWon(ctx, a, as)
		if err != nil || got == nil || got.OwnerID != 7 || got.Rev != l3.Rev+1 || !got.UpdatedAt.Equal(at) || got.Company != l3.Company || a.ID == 0 || as.ID == 0 {
			t.Fatalf("ClaimWon of an unowned lead: %+v %v (attempt %d, assignment %d)", got, err, a.ID, as.ID)
		}
		again := &leadflow.ClaimAttempt{LeadID: l3.ID, RepID: 8, At: at.Add(time.Hour), Outcome: leadflow.ClaimWon, WinnerID: 8, Band: "hot"}
		if got, err := tx.ClaimWon(ctx, again, &leadflow.Assignment{LeadID: l3.ID, RepID: 8, RuleID: "pool", Method: "claim", At: at.Add(time.Hour), Actor: "rep", Explanation: []byte(`{}`)}); err != nil || got != nil {
			t.Fatalf("ClaimWon of an owned lead: %+v %v", got, err)
		}
		if _, err := tx.ClaimWon(ctx, &leadflow.ClaimAttempt{LeadID: 424242, RepID: 1, At: at, Outcome: leadflow.ClaimWon}, &leadflow.Assignment{LeadID: 424242, RepID: 1, At: at, Explanation: []byte(`{}`)}); code(err) != leadflow.ENOTFOUND {
			t.Fatalf("ClaimWon of a missing lead: %v", err)
		}
		return nil
	})
	read(t, s, func(tx leadflow.ReadTx) error {
		if got, _ := tx.LeadByID(ctx, l3.ID); got.OwnerID != 7 {
			t.Fatalf("owned lead taken again: owner %d", got.OwnerID)
		}
		as, _ := tx.Assignments(ctx, l3.ID)
		claims, _ := tx.ClaimAttempts(ctx, l3.ID)
		if len(as) != 1 || as[0].RepID != 7 || string(as[0].Explanation) != `{"v":2}` || len(claims) != 2 || claims[0].RepID != 7 || claims[1].RepID != 8 {
			t.Fatalf("after ClaimWon: assignments %+v, attempts %+v", as, claims)
		}
		return nil
	})
	write(t, s, func(tx leadflow.Tx) error { return tx.EraseLead(ctx, l1.ID) })
	read(t, s, func(tx leadflow.ReadTx) error {
		if as, _ := tx.Assignments(ctx, l1.ID); len(as) != 0 {
			t.Fatalf("erased lead's assignments still linked: %d", len(as))
		}
		if counts, _ := tx.AssignmentCounts(ctx, t0); counts[5]+counts[6] != 3 {
			t.Fatalf("anonymous assignment counts lost: %v", counts)
		}
		return nil
	})
}

// testPoolClaimRace: 100 concurrent claims of one pool lead → exactly one winner, decided by the
// store's conditional write (S-COMP-1); every loser learns who won.
func testPoolClaimRace(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	l := sampleLead(1)
	write(t, s, func(tx leadflow.Tx) error {
		if err := tx.InsertLead(ctx, l); err != nil {
			return err
		}
		return tx.PutPoolEntry(ctx, &leadflow.PoolEntry{LeadID: l.ID, RuleID: "pool", TeamID: 3, Band: "hot", PooledAt: t0, ExpiresAt: t0.Add(time.Hour), Status: leadflow.PoolOpen})
	})
	var wins, losses atomic.Int64
	var wg sync.WaitGroup
	for rep := int64(1); rep <= 100; rep++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Write(ctx, func(tx leadflow.Tx) error {
				won, e, err := tx.ClaimPoolEntry(ctx, l.ID, rep, t0.Add(time.Minute))
				if err != nil {
					return err
				}
				outcome := leadflow.ClaimLost
				if won {
					outcome = leadflow.ClaimWon
					wins.Add(1)
				} else {
					losses.Add(1)
				}
				if e.Status != leadflow.PoolClaimed || e.ClaimedBy == 0 || won != (e.ClaimedBy == rep) {
					t.Errorf("rep %d: won=%v entry %+v", rep, won, e)
				}
				return tx.InsertClaimAttempt(ctx, &leadflow.ClaimAttempt{LeadID: l.ID, RepID: rep, At: t0.Add(time.Minute), Outcome: outcome, WinnerID: e.ClaimedBy, Band: "hot"})
			})
			if err != nil {
				t.Errorf("claim: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || losses.Load() != 99 {
		t.Fatalf("wins %d losses %d, want 1 and 99", wins.Load(), losses.Load())
	}
	read(t, s, func(tx leadflow.ReadTx) error {
		attempts, err := tx.ClaimAttempts(ctx, l.ID)
		if err != nil || len(attempts) != 100 {
			t.Fatalf("attempts: %d %v", len(attempts), err)
		}
		won, err := tx.ClaimsSince(ctx, 0, t0)
		if err != nil || len(won) != 1 || won[0].RepID != won[0].WinnerID {
			t.Fatalf("won claims: %+v %v", won, err)
		}
		return nil
	})
}

// testPoolLifecycle: open, expire, re-enter after a release, offers sent and seen, erasure.
func testPoolLifecycle(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	a, b := sampleLead(1), sampleLead(2)
	write(t, s, func(tx leadflow.Tx) error {
		for _, l := range []*leadflow.Lead{a, b} {
			if err := tx.InsertLead(ctx, l); err != nil {
				return err
			}
			if err := tx.PutPoolEntry(ctx, &leadflow.PoolEntry{LeadID: l.ID, RuleID: "pool", RepIDs: []int64{4, 5}, Band: "warm", Blind: true, Cohort: "2026-W10",
				PooledAt: t0, ExpiresAt: t0.Add(time.Hour), Status: leadflow.PoolOpen}); err != nil {
				return err
			}
		}
		return tx.PutOffers(ctx, leadflow.Offer{LeadID: a.ID, RepID: 4, SentAt: t0, Channel: "stream"}, leadflow.Offer{LeadID: a.ID, RepID: 5, SentAt: t0, Channel: "stream"},
			leadflow.Offer{LeadID: a.ID, RepID: 4, SentAt: t0.Add(time.Second), Channel: "push"}) // a repeat is ignored
	})
	read(t, s, func(tx leadflow.ReadTx) error {
		open, err := tx.OpenPool(ctx)
		if err != nil || len(open) != 2 || !open[0].Blind || open[0].Cohort != "2026-W10" || len(open[0].RepIDs) != 2 || !open[0].ExpiresAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("open pool: %+v %v", open, err)
		}
		return nil
	})
	write(t, s, func(tx leadflow.Tx) error {
		if ok, err := tx.SetPoolStatus(ctx, b.ID, leadflow.PoolExpired); err != nil || !ok {
			t.Fatalf("expire: %v %v", ok, err)
		}
		if ok, _ := tx.SetPoolStatus(ctx, b.ID, leadflow.PoolExpired); ok {
			t.Fatal("expired twice")
		}
		if won, _, err := tx.ClaimPoolEntry(ctx, b.ID, 4, t0); won || err != nil {
			t.Fatalf("claimed an expired entry: %v %v", won, err)
		}
		if won, _, err := tx.ClaimPoolEntry(ctx, a.ID, 4, t0.Add(time.Minute)); !won || err != nil {
			t.Fatalf("claim: %v %v", won, err)
		}
		if err := tx.InsertClaimAttempt(ctx, &leadflow.ClaimAttempt{LeadID: a.ID, RepID: 4, At: t0.Add(time.Minute), Outcome: leadflow.ClaimWon, WinnerID: 4, Band: "warm"}); err != nil {
			return err
		}
		if ok, err := tx.MarkOfferSeen(ctx, a.ID, 5, t0.Add(30*time.Second)); !ok || err != nil {
			t.Fatalf("seen: %v %v", ok, err)
		}
		return tx.MarkReleased(ctx, a.ID, 4, t0.Add(2*time.Minute))
	})
	read(t, s, func(tx leadflow.ReadTx) error {
		claims, _ := tx.ClaimsSince(ctx, 4, t0)
		if len(claims) != 1 || claims[0].ReleasedAt == nil || !claims[0].ReleasedAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("released claim: %+v", claims)
		}
		offers, _ := tx.Offers(ctx, a.ID)
		if len(offers) != 2 || offers[0].Channel != "stream" || offers[1].SeenAt == nil {
			t.Fatalf("offers: %+v", offers)
		}
		since, _ := tx.PooledSince(ctx, t0)
		if len(since) != 2 {
			t.Fatalf("pooled since: %+v", since)
		}
		return nil
	})
	write(t, s, func(tx leadflow.Tx) error { return tx.EraseLead(ctx, a.ID) })
	read(t, s, func(tx leadflow.ReadTx) error {
		if _, err := tx.PoolEntry(ctx, a.ID); code(err) != leadflow.ENOTFOUND {
			t.Fatalf("erased lead still pooled: %v", err)
		}
		if offers, _ := tx.Offers(ctx, a.ID); len(offers) != 0 {
			t.Fatalf("erased lead's offers kept: %+v", offers)
		}
		if claims, _ := tx.ClaimsSince(ctx, 4, t0); len(claims) != 1 || claims[0].LeadID != 0 {
			t.Fatalf("the anonymous claim count must stay: %+v", claims)
		}
		return nil
	})
}

// testClaimCounts: one query counts a rep's claim history as the pool's rules read it (S-COMP-5):
// won claims only, this week and today, by band, released ones left out where the rules say so,
// and the team's cold main-pool leads of last week when asked for.
func testClaimCounts(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	day := 24 * time.Hour
	q := leadflow.ClaimCountsQuery{RepID: 9, TeamID: 3, LastWeek: t0.Add(-7 * day), ThisWeek: t0, Today: t0.Add(2 * day)}
	write(t, s, func(tx leadflow.Tx) error {
		for i, c := range []struct {
			rep      int64
			at       time.Duration
			band     string
			outcome  string
			released bool
		}{
			{9, -3 * day, "cold", leadflow.ClaimWon, false}, // cold kept last week
			{9, -2 * day, "cold", leadflow.ClaimWon, true},
			{9, -day, "hot", leadflow.ClaimWon, false},
			{9, time.Hour, "hot", leadflow.ClaimWon, true}, // hot this week, released: still counts
			{9, 2 * time.Hour, "warm", leadflow.ClaimWon, false},
			{9, 2*day + time.Hour, "cold", leadflow.ClaimWon, false}, // today
			{9, 2*day + 2*time.Hour, "warm", leadflow.ClaimWon, true},
			{9, 2*day + 3*time.Hour, "hot", leadflow.ClaimLost, false},
			{10, 2*day + 3*time.Hour, "hot", leadflow.ClaimWon, false},
		} {
			lead := int64(100 + i)
			if err := tx.InsertClaimAttempt(ctx, &leadflow.ClaimAttempt{LeadID: lead, RepID: c.rep, At: t0.Add(c.at), Outcome: c.outcome, Band: c.band}); err != nil {
				return err
			}
			if c.released {
				if err := tx.MarkReleased(ctx, lead, c.rep, t0.Add(c.at+time.Minute)); err != nil {
					return err
				}
			}
		}
		for i, e := range []struct {
			team   int64
			at     time.Duration
			band   string
			cohort string
		}{{3, -5 * day, "cold", ""}, {3, -4 * day, "cold", "c1"}, {3, -4 * day, "warm", ""}, {4, -4 * day, "cold", ""}, {3, day, "cold", ""}} {
			if err := tx.PutPoolEntry(ctx, &leadflow.PoolEntry{LeadID: int64(200 + i), RuleID: "pool", TeamID: e.team, Band: e.band, Cohort: e.cohort,
				PooledAt: t0.Add(e.at), ExpiresAt: t0.Add(e.at + time.Hour), Status: leadflow.PoolExpired}); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx leadflow.ReadTx) error {
		want := leadflow.ClaimCounts{ThisWeek: 4, Today: 2, HotThisWeek: 1, WarmKeptThisWeek: 1, ColdKeptThisWeek: 1, ColdKeptLastWeek: 1}
		if got, err := tx.ClaimCounts(ctx, q); err != nil || got != want {
			t.Fatalf("claim counts: %+v %v, want %+v", got, err, want)
		}
		q.ColdPooled = true
		want.ColdPooledLastWeek = 1
		if got, err := tx.ClaimCounts(ctx, q); err != nil || got != want {
			t.Fatalf("claim counts with the cold pool: %+v %v, want %+v", got, err, want)
		}
		q.RepID = 11
		if got, err := tx.ClaimCounts(ctx, q); err != nil || got != (leadflow.ClaimCounts{ColdPooledLastWeek: 1}) {
			t.Fatalf("a rep without claims: %+v %v", got, err)
		}
		return nil
	})
}

// testLeases: one holder at a time; the holder renews; an expired lease passes to another
// (S-STORE-4).
func testLeases(t *testing.T, s leadflow.Store) {
	ctx := context.Background()
	try := func(holder string, at time.Time) bool {
		var ok bool
		write(t, s, func(tx leadflow.Tx) error {
			var err error
			ok, err = tx.TryLease(ctx, "background", holder, at, 15*time.Second)
			return err
		})
		return ok
	}
	if !try("a", t0) || try("b", t0.Add(time.Second)) || !try("a", t0.Add(10*time.Second)) {
		t.Fatal("a acquires and renews; b must wait")
	}
	if try("b", t0.Add(24*time.Second)) || !try("b", t0.Add(25*time.Second)) || try("a", t0.Add(26*time.Second)) {
		t.Fatal("the lease passes to b once a's renewal expired, and stays with b")
	}
}

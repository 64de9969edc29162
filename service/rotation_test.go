package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/sqlite"
)

// faultyStore is a real store whose writes fail at InsertAssignment when fail says so: after the
// routing decision advanced the rotation, so the write's savepoint (and the decision) is undone.
type faultyStore struct {
	leadflow.Store
	fail func() bool
}

func (f *faultyStore) Write(ctx context.Context, fn func(leadflow.Tx) error) error {
	return f.Store.Write(ctx, func(tx leadflow.Tx) error { return fn(&faultyTx{Tx: tx, fail: f.fail}) })
}

type faultyTx struct {
	leadflow.Tx
	fail func() bool
}

func (t *faultyTx) InsertAssignment(ctx context.Context, a *leadflow.Assignment) error {
	if t.fail() {
		return errors.New("injected assignment failure")
	}
	return t.Tx.InsertAssignment(ctx, a)
}

// weightedTeam makes every new lead an MQL and routes them all by one weighted rule over new reps
// with the weights; it returns the reps' ids.
func weightedTeam(t *testing.T, svc *Service, weights []float64) []int64 {
	t.Helper()
	ctx := context.Background()
	settings := svc.Settings()
	settings.Lifecycle.MQLThreshold, settings.Lifecycle.UnqualifiedBelow = 0, -1
	if err := svc.PutSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, w := range weights {
		r, err := RepKind.Create(ctx, svc, leadflow.Rep{Name: fmt.Sprintf("Rep %d", i), Email: fmt.Sprintf("rep%d@rot.example", i), Active: true, StaticWeight: w})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if _, err := svc.PutRoutingRules(ctx, []RoutingRule{{ID: "all", RepIDs: ids, Method: MethodWeighted}}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestRotationSurvivesRolledBackDecisions (S-DIST-2a): on the embedded store the routing rotation
// is kept in memory between decisions and written once per group commit. Decisions whose write
// fails after the pick — one in seven, from 8 goroutines, so failing and succeeding writes share
// group commits — leave no trace: every lead ends with exactly one assignment, the weighted
// shares stay within one lead of exact, and after a restart the rotation goes on from the
// stored state, still within one lead.
func TestRotationSurvivesRolledBackDecisions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadflow.db")
	weights := []float64{3, 2, 2, 1}
	var calls atomic.Int64
	open := func(inject bool) (*Service, *faultyStore) {
		st, err := sqlite.Open(ctx, path, sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		fs := &faultyStore{Store: st, fail: func() bool { return inject && calls.Add(1)%7 == 0 }}
		svc, err := New(ctx, fs, Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return svc, fs
	}
	svc, st := open(true)
	ids := weightedTeam(t, svc, weights)
	admin := Actor{Name: "test", Role: leadflow.RoleAdmin}
	create := func(svc *Service, from, to int) {
		var wg sync.WaitGroup
		var next atomic.Int64
		next.Store(int64(from))
		for range 8 {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < to; i = int(next.Add(1)) - 1 {
					email := fmt.Sprintf("lead%d@rot.example", i)
					for try := 0; ; try++ {
						_, _, err := svc.UpsertLead(ctx, admin, leadflow.LeadInput{Email: &email}, nil)
						if err == nil {
							break
						}
						if try > 20 {
							t.Errorf("lead %d: %v", i, err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
	}
	check := func(st leadflow.Store, n int) {
		t.Helper()
		var counts map[int64]int64
		if err := st.Read(ctx, func(tx leadflow.ReadTx) error {
			var err error
			counts, err = tx.AssignmentCounts(ctx, time.Time{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var total int64
		for i, id := range ids {
			exact := weights[i] / 8 * float64(n)
			if math.Abs(float64(counts[id])-exact) >= 1 {
				t.Errorf("rep %d: %d leads after %d, exact share %.2f", id, counts[id], n, exact)
			}
			total += counts[id]
		}
		if total != int64(n) {
			t.Fatalf("%d assignments for %d leads", total, n)
		}
	}
	create(svc, 0, 400)
	if calls.Load() < 400 {
		t.Fatalf("only %d assignment writes: no failure was injected", calls.Load())
	}
	check(st, 400)

	svc.Close(ctx)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	svc, st = open(false)
	defer st.Close()
	defer svc.Close(ctx)
	create(svc, 400, 500)
	check(st, 500)
}

// insertFailingTx fails the insert of the lead with the given email with a conflict, an error a
// batch import would normally report for that row and skip.
type insertFailingTx struct {
	leadflow.Tx
	email string
}

func (t *insertFailingTx) InsertLead(ctx context.Context, l *leadflow.Lead) error {
	if l.Email == t.email {
		return &leadflow.Error{Code: leadflow.ECONFLICT, Message: "injected conflict", Fields: []leadflow.FieldError{{Field: "email", Reason: "injected"}}}
	}
	return t.Tx.InsertLead(ctx, l)
}

type insertFailingStore struct {
	leadflow.Store
	email atomic.Pointer[string]
}

func (f *insertFailingStore) Write(ctx context.Context, fn func(leadflow.Tx) error) error {
	return f.Store.Write(ctx, func(tx leadflow.Tx) error {
		if e := f.email.Load(); e != nil {
			tx = &insertFailingTx{Tx: tx, email: *e}
		}
		return fn(tx)
	})
}

// TestBatchRowFailingAfterRouting: a new MQL is routed before its row is written, so that the row
// is stored once with its owner. If that row then fails to insert, the rotation has already moved
// for it: the whole batch fails (nothing stored, the rotation undone with it) instead of the row
// being skipped, and the batch sent again is routed within one lead of the exact shares.
func TestBatchRowFailingAfterRouting(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "leadflow.db"), sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs := &insertFailingStore{Store: st}
	svc, err := New(ctx, fs, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(ctx)
	ids := weightedTeam(t, svc, []float64{2, 1})
	in := make([]leadflow.LeadInput, 9)
	for i := range in {
		email := fmt.Sprintf("batch%d@rot.example", i)
		in[i].Email = &email
	}
	bad := *in[4].Email
	fs.email.Store(&bad)
	admin := Actor{Name: "test", Role: leadflow.RoleAdmin}
	if res, _, err := svc.UpsertLeads(ctx, admin, in, nil, nil); err == nil {
		t.Fatalf("batch with a routed row failing at its insert succeeded: %+v", res)
	}
	fs.email.Store(nil)
	res, _, err := svc.UpsertLeads(ctx, admin, in, nil, nil)
	if err != nil || res.Created != 9 {
		t.Fatalf("batch again: %+v %v", res, err)
	}
	var counts map[int64]int64
	var leads int64
	if err := st.Read(ctx, func(tx leadflow.ReadTx) error {
		if counts, err = tx.AssignmentCounts(ctx, time.Time{}); err != nil {
			return err
		}
		leads, err = tx.CountLeads(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if leads != 9 || counts[ids[0]] != 6 || counts[ids[1]] != 3 {
		t.Fatalf("%d leads, assignments %v: want 9 leads split 6:3", leads, counts)
	}
}

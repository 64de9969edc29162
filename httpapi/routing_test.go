package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

func (e *env) createRep(body map[string]any) leadflow.Rep {
	e.t.Helper()
	body["active"] = body["active"] != false
	var r leadflow.Rep
	e.must(http.StatusCreated, e.do("POST", "/api/v1/reps", leadflow.RoleAdmin, body)).json(e.t, &r)
	return r
}

func (e *env) putRules(rules ...map[string]any) {
	e.t.Helper()
	e.must(http.StatusOK, e.do("PUT", "/api/v1/routing/rules", leadflow.RoleAdmin, map[string]any{"rules": rules}))
}

func (e *env) explanation(leadID int64) (leadflow.Assignment, service.RoutingExplanation) {
	e.t.Helper()
	var as struct{ Items []leadflow.Assignment }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(leadID)+"/assignments", leadflow.RoleManager, nil)).json(e.t, &as)
	if len(as.Items) != 1 {
		e.t.Fatalf("lead %d has %d assignments, want 1", leadID, len(as.Items))
	}
	var ex service.RoutingExplanation
	if err := json.Unmarshal(as.Items[0].Explanation, &ex); err != nil {
		e.t.Fatal(err)
	}
	return as.Items[0], ex
}

// TestRoutingRulesAndExplanations proves the push-routing core (S-DIST-1, S-DIST-6, S-DIST-11): an
// MQL is routed in the same transaction that made it an MQL, the first matching rule wins, a
// territory rule only considers reps whose territory matches, the fallback catches the rest, and
// "why did this lead go to Alice?" has an answer.
func TestRoutingRulesAndExplanations(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var team leadflow.Team
	e.must(http.StatusCreated, e.do("POST", "/api/v1/teams", leadflow.RoleAdmin, map[string]any{"name": "Sales"})).json(t, &team)
	var dach leadflow.Territory
	e.must(http.StatusCreated, e.do("POST", "/api/v1/territories", leadflow.RoleAdmin, map[string]any{"name": "DACH", "countries": []string{"DE", "AT", "CH"}})).json(t, &dach)
	alice := e.createRep(map[string]any{"name": "Alice", "email": "alice@s.example", "team_id": team.ID, "territory_ids": []int64{dach.ID}})
	bob := e.createRep(map[string]any{"name": "Bob", "email": "bob@s.example", "team_id": team.ID})
	p := e.must(http.StatusUnprocessableEntity, e.do("PUT", "/api/v1/routing/rules", leadflow.RoleAdmin, map[string]any{"rules": []map[string]any{
		{"id": "dach", "when": []map[string]any{{"field": "country", "op": "in", "value": []string{"DE"}}}, "territory": true, "team_id": team.ID, "method": "sometimes"},
		{"id": "dach", "team_id": 999, "method": "round_robin", "when": []map[string]any{{"field": "band", "op": "equals", "value": "hot"}}},
	}})).problem(t)
	for _, f := range []string{"rules[0].method", "rules[1].id", "rules[1]"} {
		fieldNamed(t, p, f)
	}
	e.putRules(
		map[string]any{"id": "dach", "name": "DACH territory", "when": []map[string]any{{"field": "country", "op": "in", "value": []string{"DE", "AT", "CH"}}}, "territory": true, "team_id": team.ID, "method": "round_robin"},
		map[string]any{"id": "fallback", "team_id": team.ID, "method": "round_robin"},
	)
	below := e.createLead(map[string]any{"email": "cold@x.example", "country": "DE"}) // below the MQL threshold: not routed
	if below.OwnerID != 0 {
		t.Fatalf("a non-MQL was routed to %d", below.OwnerID)
	}
	for i := 0; i < 3; i++ {
		body := seedLead(fmt.Sprintf("de%d@x.example", i))
		body["country"] = "DE"
		l := e.createLead(body) // 45: the seed lead without the +5 for US/UK/Canada, so not yet an MQL
		if l.Stage == leadflow.StageMQL {
			t.Fatalf("DE seed lead already MQL at %v", l.Score.Total)
		}
		e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, map[string]any{"lead_id": l.ID, "type": "pricing_page_view"}))
		var got leadflow.Lead
		e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(l.ID), leadflow.RoleManager, nil)).json(t, &got)
		if got.Stage != leadflow.StageMQL || got.OwnerID != alice.ID {
			t.Fatalf("DACH MQL %d: stage %s owner %d, want mql and Alice (%d)", i, got.Stage, got.OwnerID, alice.ID)
		}
		a, ex := e.explanation(l.ID)
		if a.RuleID != "dach" || ex.RuleName != "DACH territory" || !strings.HasPrefix(ex.Summary, "Alice got this lead by rule \"DACH territory\"") ||
			!strings.Contains(ex.Summary, "Bob (outside territory") || a.Reason != "became an MQL" {
			t.Fatalf("explanation: %+v / %s", a, ex.Summary)
		}
	}
	owners := map[int64]int{}
	for i := 0; i < 4; i++ {
		l := e.createLead(seedLead(fmt.Sprintf("us%d@x.example", i))) // 50: MQL at creation, routed by the fallback
		owners[l.OwnerID]++
		if a, _ := e.explanation(l.ID); a.RuleID != "fallback" {
			t.Fatalf("US lead routed by %s", a.RuleID)
		}
	}
	if owners[alice.ID] != 2 || owners[bob.ID] != 2 {
		t.Fatalf("round robin over 4 leads: %v", owners)
	}
	var hist struct{ Items []leadflow.HistoryEntry }
	last := e.createLead(seedLead("hist@x.example"))
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(last.ID)+"/history", leadflow.RoleManager, nil)).json(t, &hist)
	found := false
	for _, h := range hist.Items {
		found = found || h.Kind == leadflow.HistoryOwner && h.New == itoa(last.OwnerID) && strings.Contains(h.Reason, "got this lead")
	}
	if !found {
		t.Fatalf("owner change not in history: %+v", hist.Items)
	}
	// The owning rep sees its lead and the explanation; the other rep does not (S-SEC-2).
	other := alice.ID
	if last.OwnerID == alice.ID {
		other = bob.ID
	}
	e.tokens["owner"], e.tokens["other"] = mustToken(t, e, last.OwnerID), mustToken(t, e, other)
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(last.ID)+"/assignments", "owner", nil))
	e.must(http.StatusNotFound, e.do("GET", "/api/v1/leads/"+itoa(last.ID)+"/assignments", "other", nil))
}

func mustToken(t *testing.T, e *env, repID int64) string {
	tok, err := e.m.Service.CreateToken(context.Background(), service.TokenRequest{Role: leadflow.RoleRep, RepID: repID}, "")
	if err != nil {
		t.Fatal(err)
	}
	return tok.Secret
}

// TestRoutingExclusions proves that each exclusion reason keeps a rep from being picked and that
// the explanation says why (S-DIST-11, S-REP-2, S-DIST-7, S-DIST-9).
func TestRoutingExclusions(t *testing.T) {
	t.Parallel()
	e := setup(t) // t0 is Monday 2026-05-04 10:00 UTC
	var team leadflow.Team
	e.must(http.StatusCreated, e.do("POST", "/api/v1/teams", leadflow.RoleAdmin, map[string]any{"name": "All"})).json(t, &team)
	var apac leadflow.Territory
	e.must(http.StatusCreated, e.do("POST", "/api/v1/territories", leadflow.RoleAdmin, map[string]any{"name": "APAC", "countries": []string{"ID", "SG"}})).json(t, &apac)
	reps := map[string]leadflow.Rep{
		"inactive":              e.createRep(map[string]any{"name": "Ina", "email": "ina@s.example", "team_id": team.ID, "active": false}),
		"away":                  e.createRep(map[string]any{"name": "Vic", "email": "vic@s.example", "team_id": team.ID, "absences": []map[string]any{{"from": t0.Add(-time.Hour), "to": t0.AddDate(0, 0, 14), "reason": "vacation"}}}),
		"outside working hours": e.createRep(map[string]any{"name": "Nat", "email": "nat@s.example", "team_id": team.ID, "timezone": "America/Los_Angeles", "working_hours": map[string]any{"days": []int{1, 2, 3, 4, 5}, "start": "09:00", "end": "17:00"}}),
		"at capacity":           e.createRep(map[string]any{"name": "Cap", "email": "cap@s.example", "team_id": team.ID, "capacity_threshold": 1}),
		"at daily cap":          e.createRep(map[string]any{"name": "Dai", "email": "dai@s.example", "team_id": team.ID, "daily_cap": 1}),
	}
	open := e.createRep(map[string]any{"name": "Ola", "email": "ola@s.example", "team_id": team.ID, "territory_ids": []int64{apac.ID}})
	// Cap already holds one open opportunity; Dai already got one lead today (assigned directly below).
	e.putRules(map[string]any{"id": "only-dai", "rep_ids": []int64{reps["at daily cap"].ID}, "method": "round_robin", "when": []map[string]any{{"field": "campaign", "op": "equals", "value": "warmup"}}},
		map[string]any{"id": "all", "team_id": team.ID, "method": "round_robin", "working_hours": true})
	warm := seedLead("warmup@x.example")
	warm["campaign"] = "warmup"
	if l := e.createLead(warm); l.OwnerID != reps["at daily cap"].ID {
		t.Fatalf("warm-up lead went to %d", l.OwnerID)
	}
	opp := e.createLead(map[string]any{"email": "opp@x.example"})
	ctx := t.Context()
	if err := e.m.Store.Write(ctx, func(tx leadflow.Tx) error {
		l, err := tx.LeadByID(ctx, opp.ID)
		if err != nil {
			return err
		}
		l.OwnerID, l.Stage = reps["at capacity"].ID, leadflow.StageOpportunity
		return tx.UpdateLead(ctx, l)
	}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		l := e.createLead(seedLead(fmt.Sprintf("ex%d@x.example", i)))
		if l.OwnerID != open.ID {
			t.Fatalf("lead %d went to %d, want Ola (%d), the only eligible rep", i, l.OwnerID, open.ID)
		}
		_, ex := e.explanation(l.ID)
		for reason, rep := range reps {
			var d *service.RepDecision
			for k := range ex.Candidates {
				if ex.Candidates[k].RepID == rep.ID {
					d = &ex.Candidates[k]
				}
			}
			if d == nil || d.Eligible || d.Excluded != reason || !strings.Contains(ex.Summary, rep.Name+" ("+reason) {
				t.Fatalf("%s: decision %+v, summary %q", reason, d, ex.Summary)
			}
		}
	}
	// A territory rule skips Ola for a lead outside APAC and names the reason; with no eligible
	// rep in any matching rule, the lead stays unassigned and history says why.
	e.putRules(map[string]any{"id": "apac-only", "territory": true, "team_id": team.ID, "method": "round_robin", "when": []map[string]any{{"field": "country", "op": "equals", "value": "US"}}},
		map[string]any{"id": "fallback", "rep_ids": []int64{reps["inactive"].ID}, "method": "round_robin"})
	l := e.createLead(seedLead("nobody@x.example"))
	if l.OwnerID != 0 {
		t.Fatalf("routed to %d with nobody eligible", l.OwnerID)
	}
	var hist struct{ Items []leadflow.HistoryEntry }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/history", leadflow.RoleManager, nil)).json(t, &hist)
	if last := hist.Items[len(hist.Items)-1]; last.Kind != leadflow.HistoryOwner || !strings.Contains(last.Reason, "no matching rule had an eligible rep") {
		t.Fatalf("history: %+v", last)
	}
	// Once a rep is eligible again, the unowned lead can be routed on request; twice is a conflict.
	e.must(http.StatusOK, e.do("PATCH", "/api/v1/reps/"+itoa(reps["inactive"].ID), leadflow.RoleAdmin, map[string]any{"active": true}))
	var routed leadflow.Lead
	e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(l.ID)+"/route", leadflow.RoleManager, nil)).json(t, &routed)
	if routed.OwnerID != reps["inactive"].ID {
		t.Fatalf("routed on request to %d", routed.OwnerID)
	}
	e.must(http.StatusConflict, e.do("POST", "/api/v1/leads/"+itoa(l.ID)+"/route", leadflow.RoleManager, nil))
}

// TestWeightedRoutingConcurrentAndAcrossRestart proves S-DIST-2 and S-DIST-2a: 8 goroutines
// routing leads at once into a 3:2:2:1 weighted team end within one lead of the exact shares,
// with every lead assigned exactly once; after a restart the rotation continues where it stopped.
func TestWeightedRoutingConcurrentAndAcrossRestart(t *testing.T) {
	t.Parallel()
	e := restartable(t, testDB(t, "weighted.db"))
	weights := []float64{3, 2, 2, 1}
	var ids []int64
	for i, w := range weights {
		ids = append(ids, e.createRep(map[string]any{"name": fmt.Sprintf("R%d", i), "email": fmt.Sprintf("r%d@s.example", i), "static_weight": w}).ID)
	}
	e.putRules(map[string]any{"id": "w", "rep_ids": ids, "method": "weighted", "weights": "static"})
	send := func(from, n int) {
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := from + g; i < from+n; i += 8 {
					r := e.do("POST", "/api/v1/leads", leadflow.RoleAdmin, seedLead(fmt.Sprintf("w%d@x.example", i)))
					if r.status != http.StatusCreated {
						t.Errorf("status %d: %s", r.status, r.body)
					}
				}
			}()
		}
		wg.Wait()
	}
	check := func(n int) {
		counts := map[int64]int64{}
		total := int64(0)
		if err := e.m.Store.Read(context.Background(), func(tx leadflow.ReadTx) error {
			var err error
			counts, err = tx.AssignmentCounts(context.Background(), time.Time{})
			for _, c := range counts {
				total += c
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if total != int64(n) || e.leadCount() != int64(n) {
			t.Fatalf("%d assignments for %d leads", total, e.leadCount())
		}
		for i, id := range ids {
			exact := float64(n) * weights[i] / 8
			if math.Abs(float64(counts[id])-exact) >= 1 {
				t.Fatalf("after %d leads rep %d has %d, exact share %.2f", n, i, counts[id], exact)
			}
		}
	}
	send(0, 400)
	check(400)
	e.restart() // the rotation state is in the database
	send(400, 404)
	check(804)
}

// TestWeightedRouting10kConcurrentAndCSV is the proof at full size (S-DIST-2, S-DIST-2a):
// 8 goroutines send 10,000 leads at once (in batches) to a weighted team of 3:2:2:1, then a CSV
// import adds 2,000 more; after each, every rep is within one lead of its exact share and every
// lead is assigned exactly once.
func TestWeightedRouting10kConcurrentAndCSV(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 leads")
	}
	t.Parallel()
	e := setup(t)
	weights := []float64{3, 2, 2, 1}
	var ids []int64
	for i, w := range weights {
		ids = append(ids, e.createRep(map[string]any{"name": fmt.Sprintf("W%d", i), "email": fmt.Sprintf("w%d@s.example", i), "static_weight": w}).ID)
	}
	e.putRules(map[string]any{"id": "w", "rep_ids": ids, "method": "weighted"})
	check := func(n int) {
		t.Helper()
		var counts map[int64]int64
		e.m.Store.Read(context.Background(), func(tx leadflow.ReadTx) error {
			counts, _ = tx.AssignmentCounts(context.Background(), time.Time{})
			return nil
		})
		total := int64(0)
		for i, id := range ids {
			total += counts[id]
			if exact := float64(n) * weights[i] / 8; math.Abs(float64(counts[id])-exact) >= 1 {
				t.Fatalf("after %d leads rep %d has %d, exact share %.2f", n, i, counts[id], exact)
			}
		}
		if total != int64(n) || e.leadCount() != int64(n) {
			t.Fatalf("%d assignments, %d leads, want %d each", total, e.leadCount(), n)
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < 5; b++ { // 8 × 5 batches × 250 leads
				batch := make([]map[string]any, 250)
				for k := range batch {
					batch[k] = seedLead(fmt.Sprintf("c%d-%d-%d@x.example", g, b, k))
				}
				var res service.BatchResult
				r := e.do("POST", "/api/v1/leads/batch", leadflow.RoleIntegration, batch)
				if r.status != http.StatusOK {
					t.Errorf("batch: %d %s", r.status, r.body)
					return
				}
				r.json(t, &res)
				if res.Created != 250 {
					t.Errorf("batch created %d", res.Created)
				}
			}
		}()
	}
	wg.Wait()
	check(10_000)
	var csv strings.Builder
	csv.WriteString("email,title,industry,employees,country\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&csv, "csv%d@x.example,CEO,Technology,200,US\n", i)
	}
	var res service.BatchResult
	e.must(http.StatusOK, e.do("POST", "/api/v1/leads/batch", leadflow.RoleIntegration, csv.String(), "Content-Type", "text/csv")).json(t, &res)
	if res.Created != 2000 {
		t.Fatalf("csv import: %+v", res.Created)
	}
	check(12_000)
}

// TestCandidatesFollowTime: a rule's candidates are reused between decisions (see the service's
// candidate cache), yet a rep is never picked while away or outside working hours: an absence
// that starts or ends, the working day that ends at a minute, and a rep switched off between two
// decisions each take effect at the very next decision (S-REP-2, S-DIST-11).
func TestCandidatesFollowTime(t *testing.T) {
	t.Parallel()
	e := setup(t) // t0 is Monday 2026-05-04 10:00 UTC
	ann := e.createRep(map[string]any{"name": "Ann", "email": "ann@c.example",
		"absences": []map[string]any{{"from": t0.Add(30 * time.Minute), "to": t0.Add(90 * time.Minute), "reason": "dentist"}}})
	bob := e.createRep(map[string]any{"name": "Bob", "email": "bob@c.example", "timezone": "UTC",
		"working_hours": map[string]any{"days": []int{1, 2, 3, 4, 5}, "start": "09:00", "end": "12:45"}})
	cyd := e.createRep(map[string]any{"name": "Cyd", "email": "cyd@c.example"})
	all := []int64{ann.ID, bob.ID, cyd.ID}
	n := 0
	// route creates leads at the given offset from t0 and returns who got them, with the
	// exclusion each rep had in the last explanation.
	route := func(at time.Duration, leads int) (map[int64]int, map[int64]string) {
		t.Helper()
		e.clock.Set(t0.Add(at))
		got, why := map[int64]int{}, map[int64]string{}
		for range leads {
			n++
			l := e.createLead(seedLead(fmt.Sprintf("c%d@x.example", n)))
			got[l.OwnerID]++
			_, ex := e.explanation(l.ID)
			for _, d := range ex.Candidates {
				why[d.RepID] = d.Excluded
			}
		}
		return got, why
	}
	// Absences, with a rule that does not look at working hours: its candidates are reused
	// across minutes, up to the next start or end of an absence.
	e.putRules(map[string]any{"id": "all", "rep_ids": all, "method": "round_robin"})
	if got, _ := route(0, 6); got[ann.ID] != 2 || got[bob.ID] != 2 || got[cyd.ID] != 2 {
		t.Fatalf("all three eligible: %v", got)
	}
	if got, why := route(29*time.Minute+59*time.Second, 3); got[ann.ID] != 1 || why[ann.ID] != "" {
		t.Fatalf("a second before Ann's absence: %v %v", got, why)
	}
	if got, why := route(30*time.Minute, 4); got[ann.ID] != 0 || why[ann.ID] != "away" {
		t.Fatalf("from the first second of Ann's absence: %v %v", got, why)
	}
	if got, why := route(89*time.Minute+59*time.Second, 2); got[ann.ID] != 0 || why[ann.ID] != "away" {
		t.Fatalf("a second before Ann is back: %v %v", got, why)
	}
	if got, why := route(90*time.Minute, 3); got[ann.ID] != 1 || why[ann.ID] != "" {
		t.Fatalf("Ann back at the end of her absence: %v %v", got, why)
	}
	// The clock may also go back (a corrected clock): candidates from the future are not used.
	if got, why := route(35*time.Minute, 2); got[ann.ID] != 0 || why[ann.ID] != "away" {
		t.Fatalf("back inside Ann's absence: %v %v", got, why)
	}
	// Working hours are checked to the minute.
	e.putRules(map[string]any{"id": "all", "rep_ids": all, "method": "round_robin", "working_hours": true})
	if got, why := route(164*time.Minute+59*time.Second, 3); got[bob.ID] != 1 || why[bob.ID] != "" {
		t.Fatalf("Bob's last second of work: %v %v", got, why)
	}
	if got, why := route(165*time.Minute, 3); got[bob.ID] != 0 || why[bob.ID] != "outside working hours" {
		t.Fatalf("Bob after 12:45: %v %v", got, why)
	}
	// A rep switched off between two decisions of the same minute is skipped at once.
	e.must(http.StatusOK, e.do("PATCH", "/api/v1/reps/"+itoa(cyd.ID), leadflow.RoleAdmin, map[string]any{"active": false}))
	if got, why := route(165*time.Minute+10*time.Second, 3); got[ann.ID] != 3 || why[cyd.ID] != "inactive" {
		t.Fatalf("Cyd switched off between two decisions: %v %v", got, why)
	}
}

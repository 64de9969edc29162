package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// TestSimulateGoldenCases runs the seed's what-if examples through the API (S-SIM-1): 5 reps at
// 40/30/25/20/10% with normalized weights floored at 0.5 over 200 leads → 63/47/39/31/20 and 57.25
// expected opportunities against 50 for round-robin; two reps at 40% and 10% over 100 leads →
// 25 with an equal split, 40 with everything to the better rep.
func TestSimulateGoldenCases(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var rep service.SimReport
	e.must(http.StatusOK, e.do("POST", "/api/v1/simulate", leadflow.RoleManager, map[string]any{
		"leads": 200,
		"reps":  []map[string]any{{"id": "A", "conversion": 0.40}, {"id": "B", "conversion": 0.30}, {"id": "C", "conversion": 0.25}, {"id": "D", "conversion": 0.20}, {"id": "E", "conversion": 0.10}},
	})).json(t, &rep)
	rr, norm := rep.Results[0], rep.Results[1]
	want := []int{63, 47, 39, 31, 20}
	for i := range want {
		if norm.Leads[i] != want[i] || rr.Leads[i] != 40 {
			t.Fatalf("leads: normalized %v round-robin %v", norm.Leads, rr.Leads)
		}
	}
	if norm.ExpectedOpportunities != 57.25 || rr.ExpectedOpportunities != 50 || rep.Best != "normalized" || rr.Gini != 0 || norm.Spread != 43 {
		t.Fatalf("report: %+v", rep)
	}
	e.must(http.StatusOK, e.do("POST", "/api/v1/simulate", leadflow.RoleManager, map[string]any{
		"leads": 100, "reps": []map[string]any{{"id": "A", "conversion": 0.4}, {"id": "B", "conversion": 0.1}},
		"strategies": []map[string]any{{"kind": "round_robin"}, {"kind": "static", "name": "all to A", "weights": []float64{1, 0}}},
	})).json(t, &rep)
	if rep.Results[0].ExpectedOpportunities != 25 || rep.Results[1].ExpectedOpportunities != 40 || rep.Best != "all to A" {
		t.Fatalf("two-rep example: %+v", rep.Results)
	}
	p := e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/simulate", leadflow.RoleManager, map[string]any{
		"leads": 10, "reps": []map[string]any{{"id": "A", "conversion": 40}}, "strategies": []map[string]any{{"kind": "static", "weights": []float64{1, 2}}}})).problem(t)
	fieldNamed(t, p, "reps[0].conversion")
	fieldNamed(t, p, "strategies[0].weights")
}

// TestSimulateReplay replays individual leads (S-SIM-1) from the database, a CSV and the
// generator, each through every strategy's rotation.
func TestSimulateReplay(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.createRep(map[string]any{"name": "Ace", "email": "ace@sim.example"})
	b := e.createRep(map[string]any{"name": "Bo", "email": "bo@sim.example"})
	e.putRules(map[string]any{"id": "rr", "rep_ids": []int64{a.ID, b.ID}, "method": "round_robin"})
	for i := 0; i < 6; i++ {
		e.createLead(seedLead("sim" + itoa(int64(i)) + "@x.example"))
	}
	static := []map[string]any{{"kind": "static", "name": "3:1", "weights": []float64{3, 1}}}
	reps := []map[string]any{{"id": "A", "conversion": 0.4, "deal_value": 100}, {"id": "B", "conversion": 0.1, "deal_value": 100}}
	var rep service.SimReport
	e.must(http.StatusOK, e.do("POST", "/api/v1/simulate", leadflow.RoleManager, map[string]any{"replay": "database", "reps": reps, "strategies": static,
		"period": map[string]any{"from": t0.Add(-time.Hour), "to": t0.Add(time.Hour)}})).json(t, &rep)
	if rep.Leads != 6 || rep.Results[0].Leads[0] != 4 && rep.Results[0].Leads[0] != 5 {
		t.Fatalf("database replay: %+v", rep)
	}
	// CSV: the high-score lead with its own deal value counts for more.
	e.must(http.StatusOK, e.do("POST", "/api/v1/simulate", leadflow.RoleManager, map[string]any{"replay": "csv", "reps": reps,
		"strategies": []map[string]any{{"kind": "static", "weights": []float64{1, 0}}},
		"leads_csv":  "id,score,deal_value\nx,90,1000\ny,30,\n"})).json(t, &rep)
	if r := rep.Results[0]; rep.Leads != 2 || r.ExpectedOpportunities != 0.8 || r.ExpectedRevenue != 0.6*1000+0.2*100 {
		t.Fatalf("csv replay: %+v", r)
	}
	e.must(http.StatusOK, e.do("POST", "/api/v1/simulate", leadflow.RoleManager, map[string]any{"replay": "generated", "leads": 100, "seed": 7, "reps": reps, "strategies": static})).json(t, &rep)
	if rep.Leads != 100 || rep.Results[0].Leads[0] != 75 {
		t.Fatalf("generated replay: %+v", rep)
	}
	// Without reps, the database's active reps and their figures take part.
	e.must(http.StatusOK, e.do("POST", "/api/v1/simulate", leadflow.RoleManager, map[string]any{"replay": "generated", "leads": 10})).json(t, &rep)
	if len(rep.Reps) != 2 || rep.Reps[0] != "Ace" {
		t.Fatalf("live reps: %+v", rep.Reps)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"replay": "tarot", "reps": reps}, "replay"},
		{map[string]any{"replay": "database", "reps": reps}, "period"},
		{map[string]any{"replay": "csv", "reps": reps, "leads_csv": "id,score\nx,-3\n"}, "leads_csv.score"},
		{map[string]any{"replay": "generated", "reps": reps}, "leads"},
	} {
		fieldNamed(t, e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/simulate", leadflow.RoleManager, bad.body)).problem(t), bad.field)
	}
}

package httpapi_test

import (
	"net/http"
	"testing"

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

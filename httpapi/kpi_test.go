package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// TestDistributionKPIs proves S-DIST-12: volume per rep against the target share, fairness within
// a weight tier, conversion per rep and tier, and a baseline period for comparison.
func TestDistributionKPIs(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.createRep(map[string]any{"name": "Ann", "email": "ann@k.example", "static_weight": 3})
	b := e.createRep(map[string]any{"name": "Bea", "email": "bea@k.example", "static_weight": 1})
	c := e.createRep(map[string]any{"name": "Cy", "email": "cy@k.example", "static_weight": 1})
	e.putRules(map[string]any{"id": "w", "rep_ids": []int64{a.ID, b.ID, c.ID}, "method": "weighted"})
	var annLeads []int64
	for i := 0; i < 10; i++ {
		l := e.createLead(seedLead("k" + itoa(int64(i)) + "@x.example"))
		if l.OwnerID == a.ID {
			annLeads = append(annLeads, l.ID)
		}
	}
	bant := map[string]bool{"budget": true, "authority": true, "need": true, "timeline": true}
	for _, id := range annLeads[:3] { // three of Ann's six leads become opportunities
		e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(id)+"/stage", leadflow.RoleManager, map[string]any{"stage": "sql", "criteria": bant}))
		e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(id)+"/stage", leadflow.RoleManager, map[string]any{"stage": "opportunity"}))
	}
	var rep service.DistributionReport
	e.must(http.StatusOK, e.do("GET", "/api/v1/analytics/distribution?rule_id=w&from=2026-05-01&to=2026-05-31&baseline_from=2026-04-01&baseline_to=2026-05-01", leadflow.RoleManager, nil)).json(t, &rep)
	if rep.Leads != 10 || len(rep.Reps) != 3 || *rep.Conversion != 0.3 || rep.Baseline == nil || rep.Baseline.Leads != 0 {
		t.Fatalf("report: %+v", rep)
	}
	for _, d := range rep.Reps {
		want := map[int64][3]float64{a.ID: {6, 0.6, 0.5}, b.ID: {2, 0.2, 0}, c.ID: {2, 0.2, 0}}[d.RepID]
		if float64(d.Leads) != want[0] || d.TargetShare != want[1] || d.Deviation != 0 || *d.Conversion != want[2] {
			t.Fatalf("rep %d: %+v", d.RepID, d)
		}
	}
	if len(rep.Tiers) != 2 || rep.Tiers[0].Weight != 3 || rep.Tiers[1].Reps != 2 || rep.Tiers[1].StdDev != 0 || *rep.Tiers[0].Conversion != 0.5 {
		t.Fatalf("tiers: %+v", rep.Tiers)
	}
	p := e.must(http.StatusUnprocessableEntity, e.do("GET", "/api/v1/analytics/distribution?rule_id=nope", leadflow.RoleManager, nil)).problem(t)
	fieldNamed(t, p, "rule_id")
}

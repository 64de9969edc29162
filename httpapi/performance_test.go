package httpapi_test

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// TestPerformanceWeights proves S-REP-3 and S-DIST-3: reps' conversion is derived from the leads
// routed to them, and a weighted rule with a normalized-performance source (floored at 0.5) shifts
// the shares to the better converter: 80% vs 20% with a 50% team average gives 1.6 vs 0.5.
func TestPerformanceWeights(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.createRep(map[string]any{"name": "Ace", "email": "ace@p.example"})
	b := e.createRep(map[string]any{"name": "Bo", "email": "bo@p.example"})
	e.putRules(map[string]any{"id": "w", "rep_ids": []int64{a.ID, b.ID}, "method": "round_robin"})
	leadsOf := map[int64][]int64{}
	for i := 0; i < 10; i++ {
		l := e.createLead(seedLead("p" + itoa(int64(i)) + "@x.example"))
		leadsOf[l.OwnerID] = append(leadsOf[l.OwnerID], l.ID)
	}
	bant := map[string]bool{"budget": true, "authority": true, "need": true, "timeline": true}
	convert := func(ids []int64) {
		for _, id := range ids {
			e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(id)+"/stage", leadflow.RoleManager, map[string]any{"stage": "sql", "criteria": bant}))
			e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(id)+"/stage", leadflow.RoleManager, map[string]any{"stage": "opportunity"}))
		}
	}
	convert(leadsOf[a.ID][:4])
	convert(leadsOf[b.ID][:1])
	var perf struct{ Items []service.RepPerformance }
	e.must(http.StatusOK, e.do("GET", "/api/v1/reps/performance", leadflow.RoleManager, nil)).json(t, &perf)
	rates := map[int64]float64{}
	for _, p := range perf.Items {
		rates[p.RepID] = p.Rates.LeadToOpportunity
		if p.Leads != 5 || p.ActiveOpportunities == 0 {
			t.Fatalf("performance: %+v", p)
		}
	}
	if rates[a.ID] != 0.8 || rates[b.ID] != 0.2 {
		t.Fatalf("lead→opportunity: %v", rates)
	}
	p := e.must(http.StatusUnprocessableEntity, e.do("PUT", "/api/v1/routing/rules", leadflow.RoleAdmin, map[string]any{"rules": []map[string]any{
		{"id": "w", "rep_ids": []int64{a.ID, b.ID}, "method": "round_robin", "source": map[string]any{"kind": "normalized"}}}})).problem(t)
	fieldNamed(t, p, "rules[0].source")
	e.putRules(map[string]any{"id": "perf", "rep_ids": []int64{a.ID, b.ID}, "method": "weighted", "source": map[string]any{"kind": "normalized", "min": 0.5}})
	e.clock.Advance(10 * time.Minute)
	got := map[int64]int{}
	for i := 0; i < 21; i++ {
		got[e.createLead(seedLead("q"+itoa(int64(i))+"@x.example")).OwnerID]++
	}
	if math.Abs(float64(got[a.ID])-16) >= 1 || math.Abs(float64(got[b.ID])-5) >= 1 {
		t.Fatalf("1.6 : 0.5 over 21 leads: %v", got)
	}
	l := e.createLead(seedLead("last@x.example"))
	if _, ex := e.explanation(l.ID); ex.Candidates[0].Weight != 1.6 && ex.Candidates[1].Weight != 1.6 {
		t.Fatalf("explanation weights: %+v", ex.Candidates)
	}
}

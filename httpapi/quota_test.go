package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/leadflow/leadflow"
)

// TestQuotaProgressive proves S-DIST-8: a rep at 100% of quota this month gets 20 leads a week, a
// rep below 50% gets 10; once a week's allocation is used the rep is skipped, and the explanation
// says so.
func TestQuotaProgressive(t *testing.T) {
	t.Parallel()
	e := setup(t)
	top := e.createRep(map[string]any{"name": "Top", "email": "top@q.example", "quota": 1})
	low := e.createRep(map[string]any{"name": "Low", "email": "low@q.example", "quota": 10})
	// Top wins one deal this month (100% of a quota of 1).
	e.putRules(map[string]any{"id": "seed", "rep_ids": []int64{top.ID}, "method": "round_robin"})
	won := e.createLead(seedLead("won@q.example"))
	bant := map[string]bool{"budget": true, "authority": true, "need": true, "timeline": true}
	for _, st := range []map[string]any{{"stage": "sql", "criteria": bant}, {"stage": "opportunity"}, {"stage": "customer", "reason": "signed"}} {
		e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(won.ID)+"/stage", leadflow.RoleManager, st))
	}
	p := e.must(http.StatusUnprocessableEntity, e.do("PUT", "/api/v1/routing/rules", leadflow.RoleAdmin, map[string]any{"rules": []map[string]any{{"id": "q", "rep_ids": []int64{top.ID}, "method": "quota"}}})).problem(t)
	fieldNamed(t, p, "rules[0].method")
	e.putRules(map[string]any{"id": "q", "rep_ids": []int64{top.ID, low.ID}, "method": "quota_progressive"})
	got := map[int64]int{}
	for i := 0; i < 30; i++ {
		got[e.createLead(seedLead("qp"+itoa(int64(i))+"@x.example")).OwnerID]++
	}
	// Top already had the seed lead this week: 19 more reach its 20; Low gets its 10; one is left.
	if got[top.ID] != 19 || got[low.ID] != 10 || got[0] != 1 {
		t.Fatalf("allocations: %v", got)
	}
	l := e.createLead(seedLead("over@x.example"))
	var hist struct{ Items []leadflow.HistoryEntry }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/history", leadflow.RoleManager, nil)).json(t, &hist)
	if last := hist.Items[len(hist.Items)-1]; !strings.Contains(last.Reason, "not routed") {
		t.Fatalf("history: %+v", last)
	}
}

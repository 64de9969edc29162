package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// TestWeightManagement proves S-DIST-4: every rep's weights export as CSV for a spreadsheet and
// import back with per-row errors (good rows kept), JSON works the same, every change is logged
// with its actor and reason — also changes made with PATCH — and routing uses new weights at once.
func TestWeightManagement(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.createRep(map[string]any{"name": "Ann", "email": "ann@s.example", "static_weight": 1})
	b := e.createRep(map[string]any{"name": "Bea", "email": "bea@s.example", "static_weight": 1})
	r := e.must(http.StatusOK, e.do("GET", "/api/v1/reps/weights?format=csv", leadflow.RoleManager, nil))
	if !strings.HasPrefix(string(r.body), "rep_id,email,name,static_weight,tier,level,reason\n") || !strings.Contains(string(r.body), "ann@s.example,Ann,1,0,,") {
		t.Fatalf("csv export:\n%s", r.body)
	}
	csv := "email,static_weight,tier,reason\n" +
		"ann@s.example,3,1,Q3 conversion 40%\n" +
		"nobody@s.example,2,,\n" +
		"bea@s.example,-1,,\n" +
		"bea@s.example,1,2,\n"
	var res service.WeightsResult
	e.must(http.StatusOK, e.do("PUT", "/api/v1/reps/weights", leadflow.RoleAdmin, csv, "Content-Type", "text/csv")).json(t, &res)
	if res.Updated != 2 || res.Rejected != 2 || res.Rows[1].Errors[0].Field != "email" || res.Rows[2].Errors[0].Field != "static_weight" || res.Rows[2].Row != 4 {
		t.Fatalf("csv import: %+v", res)
	}
	e.must(http.StatusOK, e.do("PUT", "/api/v1/reps/weights", leadflow.RoleAdmin, map[string]any{"items": []map[string]any{{"rep_id": b.ID, "static_weight": 1, "reason": "unchanged"}}})).json(t, &res)
	if res.Unchanged != 1 || res.Updated != 0 {
		t.Fatalf("json import: %+v", res)
	}
	e.must(http.StatusOK, e.do("PATCH", "/api/v1/reps/"+itoa(b.ID), leadflow.RoleAdmin, map[string]any{"level": "junior"}))
	var log struct{ Items []leadflow.WeightChange }
	e.must(http.StatusOK, e.do("GET", "/api/v1/reps/weights/changes", leadflow.RoleManager, nil)).json(t, &log)
	got := []string{}
	for _, c := range log.Items {
		got = append(got, itoa(c.RepID)+" "+c.Field+" "+c.Old+"→"+c.New+" "+c.Reason)
		if c.Actor == "" || c.At.IsZero() {
			t.Fatalf("change without actor or time: %+v", c)
		}
	}
	want := []string{
		itoa(b.ID) + " level →junior changed on the rep",
		itoa(b.ID) + " tier 0→2 ",
		itoa(a.ID) + " tier 0→1 Q3 conversion 40%",
		itoa(a.ID) + " static_weight 1→3 Q3 conversion 40%",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("change log:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Routing uses the new weights at once: 3:1 over 8 leads is 6 and 2.
	e.putRules(map[string]any{"id": "w", "rep_ids": []int64{a.ID, b.ID}, "method": "weighted", "weights": "static"})
	owners := map[int64]int{}
	for i := 0; i < 8; i++ {
		owners[e.createLead(seedLead("wm"+itoa(int64(i))+"@x.example")).OwnerID]++
	}
	if owners[a.ID] != 6 || owners[b.ID] != 2 {
		t.Fatalf("3:1 over 8 leads: %v", owners)
	}
}

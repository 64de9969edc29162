package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// TestLifecycle proves S-LIFE-1 and S-LIFE-2: only valid transitions, SQL only with BANT confirmed
// and an ideal-profile fit grade, disqualification only with a reason, all recorded in history.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	l := e.createLead(seedLead("qualify@northwind.example"))
	path := "/api/v1/leads/" + itoa(l.ID) + "/stage"
	p := e.must(http.StatusConflict, e.do("POST", path, leadflow.RoleManager, map[string]any{"stage": "customer"})).problem(t)
	fieldNamed(t, p, "stage")
	p = e.must(http.StatusUnprocessableEntity, e.do("POST", path, leadflow.RoleManager, map[string]any{"stage": "sql", "criteria": map[string]bool{"budget": true, "need": true}})).problem(t)
	fieldNamed(t, p, "criteria.authority")
	fieldNamed(t, p, "criteria.timeline")
	e.must(http.StatusUnprocessableEntity, e.do("POST", path, leadflow.RoleManager, map[string]any{"stage": "frozen"}))
	var got leadflow.Lead
	e.must(http.StatusOK, e.do("POST", path, leadflow.RoleManager, map[string]any{"stage": "sql", "reason": "discovery call",
		"criteria": map[string]bool{"budget": true, "authority": true, "need": true, "timeline": true}})).json(t, &got)
	if got.Stage != leadflow.StageSQL || !got.Criteria["timeline"] {
		t.Fatalf("after sql: %+v", got)
	}
	p = e.must(http.StatusUnprocessableEntity, e.do("POST", path, leadflow.RoleManager, map[string]any{"stage": "disqualified"})).problem(t)
	fieldNamed(t, p, "reason")
	e.must(http.StatusOK, e.do("POST", path, leadflow.RoleManager, map[string]any{"stage": "opportunity"}))
	e.must(http.StatusOK, e.do("POST", path, leadflow.RoleManager, map[string]any{"stage": "customer", "reason": "signed"}))
	var hist struct{ Items []leadflow.HistoryEntry }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/history", leadflow.RoleManager, nil)).json(t, &hist)
	var stages []string
	for _, h := range hist.Items {
		if h.Kind == leadflow.HistoryStage {
			stages = append(stages, h.Old+"→"+h.New+" by "+h.Actor)
		}
	}
	want := []string{"new→mql by system", "mql→sql by token:manager", "sql→opportunity by token:manager", "opportunity→customer by token:manager"}
	if len(stages) != len(want) {
		t.Fatalf("stage history %v, want %v", stages, want)
	}
	for i := range want {
		if stages[i] != want[i] {
			t.Fatalf("stage history %v, want %v", stages, want)
		}
	}
	// A lead outside the ideal customer profile (grade D) cannot become an SQL.
	weak := e.createLead(map[string]any{"email": "student@uni.example", "job_title": "Student"})
	p = e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/leads/"+itoa(weak.ID)+"/stage", leadflow.RoleManager, map[string]any{"stage": "sql",
		"criteria": map[string]bool{"budget": true, "authority": true, "need": true, "timeline": true}})).problem(t)
	fieldNamed(t, p, "score.grade")
	// The funnel counts the SQL and the customer.
	var f service.FunnelReport
	e.must(http.StatusOK, e.do("GET", "/api/v1/analytics/funnel?from=2026-01-01&to=2026-12-31", leadflow.RoleManager, nil)).json(t, &f)
	if f.Entered[leadflow.StageSQL] != 1 || f.Entered[leadflow.StageCustomer] != 1 || *f.Conversions["sql→opportunity"] != 1 {
		t.Fatalf("funnel: %+v", f)
	}
}

// TestCostPerSQL proves S-LIFE-3: CPSQL = cost / SQLs per period, overall and per source, with a
// cost entry that straddles the period counted pro rata.
func TestCostPerSQL(t *testing.T) {
	t.Parallel()
	e := setup(t)
	bant := map[string]bool{"budget": true, "authority": true, "need": true, "timeline": true}
	for i, src := range []string{"webinar", "webinar", "paid"} {
		body := seedLead("cpsql" + itoa(int64(i)) + "@example.org")
		body["source"] = src
		l := e.createLead(body)
		e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(l.ID)+"/stage", leadflow.RoleManager, map[string]any{"stage": "sql", "criteria": bant}))
	}
	may := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	e.must(http.StatusCreated, e.do("POST", "/api/v1/costs", leadflow.RoleManager, map[string]any{"source": "webinar", "from": may, "to": may.AddDate(0, 1, 0), "amount": 3100, "currency": "eur"}))
	e.must(http.StatusCreated, e.do("POST", "/api/v1/costs", leadflow.RoleManager, map[string]any{"source": "paid", "from": may, "to": may.AddDate(0, 2, 0), "amount": 6100}))
	p := e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/costs", leadflow.RoleManager, map[string]any{"source": "paid", "from": may, "to": may, "amount": -1})).problem(t)
	fieldNamed(t, p, "to")
	fieldNamed(t, p, "amount")
	var rep service.CPSQLReport
	e.must(http.StatusOK, e.do("GET", "/api/v1/analytics/cpsql?from=2026-05-01&to=2026-06-01&group_by=source", leadflow.RoleManager, nil)).json(t, &rep)
	// May holds all of the webinar cost and 31/61 of the paid cost.
	paidMay := 6100.0 * 31 / 61
	if rep.Total.SQLs != 3 || rep.Total.Cost != round2(3100+paidMay) || *rep.Total.CPSQL != round2((3100+paidMay)/3) {
		t.Fatalf("total: %+v", rep.Total)
	}
	rows := map[string]service.CPSQLRow{}
	for _, r := range rep.Rows {
		rows[r.Group] = r
	}
	if *rows["webinar"].CPSQL != 1550 || rows["paid"].SQLs != 1 || *rows["paid"].CPSQL != round2(paidMay) {
		t.Fatalf("rows: %+v", rep.Rows)
	}
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

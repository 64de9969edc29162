package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// TestSLABounce proves S-DIST-10 with an injected clock: every assignment starts a response timer
// that survives a restart; a lead not contacted in time is reassigned to another rep, never the
// one who missed, and the miss is recorded; a timely first contact stops the timer and reports
// the response time; "unassign" leaves the lead unowned instead.
func TestSLABounce(t *testing.T) {
	t.Parallel()
	e := restartable(t, testDB(t, "sla.db"))
	ana := e.createRep(map[string]any{"name": "Ana", "email": "ana@s.example"})
	ben := e.createRep(map[string]any{"name": "Ben", "email": "ben@s.example"})
	e.tokens["ana"], e.tokens["ben"] = mustToken(t, e, ana.ID), mustToken(t, e, ben.ID)
	p := e.must(http.StatusUnprocessableEntity, e.do("PUT", "/api/v1/routing/rules", leadflow.RoleAdmin, map[string]any{"rules": []map[string]any{
		{"id": "all", "rep_ids": []int64{ana.ID, ben.ID}, "method": "round_robin", "sla_minutes": -5, "on_sla_miss": "panic"}}})).problem(t)
	fieldNamed(t, p, "rules[0].sla_minutes")
	fieldNamed(t, p, "rules[0].on_sla_miss")
	e.putRules(map[string]any{"id": "all", "rep_ids": []int64{ana.ID, ben.ID}, "method": "round_robin", "sla_minutes": 30})
	first := e.createLead(seedLead("sla1@x.example"))
	second := e.createLead(seedLead("sla2@x.example"))
	owner := map[int64]string{ana.ID: "ana", ben.ID: "ben"}
	if first.OwnerID == second.OwnerID || first.OwnerID == 0 {
		t.Fatalf("owners %d %d", first.OwnerID, second.OwnerID)
	}
	// The second lead's owner calls within 10 minutes; the other rep may not log it.
	e.clock.Advance(10 * time.Minute)
	e.must(http.StatusNotFound, e.do("POST", "/api/v1/leads/"+itoa(second.ID)+"/contact", owner[first.OwnerID], nil))
	var res service.ContactResult
	e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(second.ID)+"/contact", owner[second.OwnerID], map[string]any{"note": "left a voicemail"})).json(t, &res)
	if res.ResponseSeconds == nil || *res.ResponseSeconds != 600 || !*res.WithinSLA || res.Lead.FirstContactAt == nil {
		t.Fatalf("contact: %+v", res)
	}
	// Restart: the first lead's timer is in the database.
	e.restart()
	e.clock.Advance(21 * time.Minute) // 31 minutes after assignment
	n, err := e.m.Service.SLASweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("sweep handled %d misses (%v), want 1", n, err)
	}
	var got leadflow.Lead
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(first.ID), leadflow.RoleManager, nil)).json(t, &got)
	if got.OwnerID == first.OwnerID || got.OwnerID == 0 {
		t.Fatalf("after the miss the owner is %d (was %d)", got.OwnerID, first.OwnerID)
	}
	var as struct{ Items []leadflow.Assignment }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(first.ID)+"/assignments", leadflow.RoleManager, nil)).json(t, &as)
	if len(as.Items) != 2 || as.Items[1].Reason != "reassigned after a missed SLA" || !strings.Contains(string(as.Items[1].Explanation), "missed the SLA on this lead") {
		t.Fatalf("assignments: %+v", as.Items)
	}
	var hist struct{ Items []leadflow.HistoryEntry }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(first.ID)+"/history", leadflow.RoleManager, nil)).json(t, &hist)
	missed := false
	for _, h := range hist.Items {
		missed = missed || h.Kind == leadflow.HistorySLA && strings.Contains(h.Reason, "missed the response SLA")
	}
	if !missed {
		t.Fatalf("miss not in history: %+v", hist.Items)
	}
	// The contacted lead is left alone, and the new owner's timer runs again.
	e.clock.Advance(time.Hour)
	if n, _ := e.m.Service.SLASweep(context.Background()); n != 1 {
		t.Fatalf("second sweep: %d misses, want 1 (the reassigned lead's new timer only)", n)
	}
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(second.ID), leadflow.RoleManager, nil)).json(t, &got)
	if got.OwnerID != second.OwnerID {
		t.Fatal("a contacted lead was bounced")
	}
	// With unassign, a miss leaves the lead unowned.
	e.putRules(map[string]any{"id": "all", "rep_ids": []int64{ana.ID, ben.ID}, "method": "round_robin", "sla_minutes": 5, "on_sla_miss": "unassign"})
	third := e.createLead(seedLead("sla3@x.example"))
	e.clock.Advance(6 * time.Minute)
	if n, _ := e.m.Service.SLASweep(context.Background()); n != 1 {
		t.Fatal("unassign sweep")
	}
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(third.ID), leadflow.RoleManager, nil)).json(t, &got)
	if got.OwnerID != 0 {
		t.Fatalf("unassign left owner %d", got.OwnerID)
	}
}

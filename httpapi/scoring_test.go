package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// TestSeedExampleScore is 003's worked example (S-SCORE-1, S-SCORE-2, S-SCORE-5, S-SCORE-9): a CEO
// in Technology at a 200-person US company who visited the pricing page and attended a webinar
// has fit 50, engagement 35 and total 85 — and, past the MQL threshold, is an MQL (S-LIFE-2).
func TestSeedExampleScore(t *testing.T) {
	t.Parallel()
	e := setup(t)
	lead := e.createLead(seedLead("dana@northwind.example"))
	if lead.Score.Fit != 50 || lead.Score.Engagement != 0 || lead.Seniority != leadflow.SeniorityCLevel {
		t.Fatalf("after create: fit %v engagement %v seniority %q", lead.Score.Fit, lead.Score.Engagement, lead.Seniority)
	}
	e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, []map[string]any{
		{"email": "dana@northwind.example", "type": "pricing_page_view", "properties": map[string]any{"path": "/pricing"}},
		{"lead_id": lead.ID, "type": "webinar_attended", "properties": map[string]any{"webinar": "Q2 roadmap"}},
	}))
	var ex service.Explanation
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(lead.ID)+"/score", leadflow.RoleManager, nil)).json(t, &ex)
	if ex.Fit != 50 || ex.Engagement != 35 || ex.Total != 85 || ex.Grade != "A" || ex.Band != "hot" || ex.ModelVersion != 1 {
		t.Fatalf("seed example: fit %v engagement %v total %v grade %s band %s v%d", ex.Fit, ex.Engagement, ex.Total, ex.Grade, ex.Band, ex.ModelVersion)
	}
	want := map[string]float64{"title_exec": 20, "industry_technology": 15, "company_size_50_500": 10, "location_us_uk_ca": 5, "pricing_page": 15, "webinar_attended": 20}
	if len(ex.Contributions) != len(want) {
		t.Fatalf("contributions: %+v", ex.Contributions)
	}
	for _, c := range ex.Contributions {
		if want[c.RuleID] != c.Points {
			t.Errorf("rule %s: %v points, want %v", c.RuleID, c.Points, want[c.RuleID])
		}
	}
	var got leadflow.Lead
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(lead.ID), leadflow.RoleManager, nil)).json(t, &got)
	if got.Stage != leadflow.StageMQL || got.Score.Total != 85 {
		t.Fatalf("stage %s total %v, want mql 85", got.Stage, got.Score.Total)
	}
	var hist struct{ Items []leadflow.HistoryEntry }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(lead.ID)+"/history", leadflow.RoleManager, nil)).json(t, &hist)
	var sawStage, sawScore bool
	for _, h := range hist.Items {
		sawStage = sawStage || h.Kind == leadflow.HistoryStage && h.Old == "new" && h.New == "mql" && h.Actor == "system"
		sawScore = sawScore || h.Kind == leadflow.HistoryScore && h.New == "85" && h.ModelVersion == 1
	}
	if !sawStage || !sawScore {
		t.Fatalf("history lacks the MQL transition or the score change: %+v", hist.Items)
	}
}

// TestDecayAndExpiry drives an injected clock (S-SCORE-4, S-SCORE-7): a webinar (+20, half-life
// 60 days) is worth 10 after 60 days, both live on read and in the stored score after the decay
// sweep; a page view (+1, expires after 90 days) vanishes after its expiry.
func TestDecayAndExpiry(t *testing.T) {
	t.Parallel()
	e := setup(t)
	lead := e.createLead(map[string]any{"email": "decay@example.org", "company": "Slowfade"})
	e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, []map[string]any{
		{"lead_id": lead.ID, "type": "webinar_attended"},
		{"lead_id": lead.ID, "type": "page_view", "properties": map[string]any{"path": "/blog/x"}},
	}))
	score := func() service.Explanation {
		var ex service.Explanation
		e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(lead.ID)+"/score", leadflow.RoleAdmin, nil)).json(t, &ex)
		return ex
	}
	if ex := score(); ex.Engagement != 21 {
		t.Fatalf("at t0: engagement %v, want 21", ex.Engagement)
	}
	e.clock.Set(t0.Add(60 * 24 * time.Hour))
	ex := score()
	webinar := contribution(ex, "webinar_attended")
	if webinar != 10 || ex.Stored.Engagement != 21 {
		t.Fatalf("after one half-life: webinar %v (want 10), stored engagement %v (want 21 until the sweep)", webinar, ex.Stored.Engagement)
	}
	if _, err := e.m.Service.DecaySweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	var stored leadflow.Lead
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(lead.ID), leadflow.RoleAdmin, nil)).json(t, &stored)
	if got := score().Stored.Engagement; got >= 21 || got < 10 {
		t.Fatalf("stored engagement after sweep = %v, want decayed", got)
	}
	e.clock.Set(t0.Add(91 * 24 * time.Hour))
	if ex := score(); contribution(ex, "page_view") != 0 {
		t.Fatalf("page view still counts after expiry: %+v", ex.Contributions)
	}
}

func contribution(ex service.Explanation, rule string) float64 {
	for _, c := range ex.Contributions {
		if c.RuleID == rule {
			return c.Points
		}
	}
	return 0
}

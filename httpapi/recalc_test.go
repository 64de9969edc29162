package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// convertToOpportunity moves leads through SQL to opportunity as a manager.
func (e *env) convertToOpportunity(ids ...int64) {
	e.t.Helper()
	bant := map[string]bool{"budget": true, "authority": true, "need": true, "timeline": true}
	for _, id := range ids {
		e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(id)+"/stage", leadflow.RoleManager, map[string]any{"stage": "sql", "criteria": bant}))
		e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(id)+"/stage", leadflow.RoleManager, map[string]any{"stage": "opportunity"}))
	}
}

// recalc runs the scheduled recalculation check (what the background loop does every 15 minutes).
func (e *env) recalc() *service.RecalcResult {
	e.t.Helper()
	res, err := e.m.Service.RecalculateWeights(context.Background(), service.Actor{Name: "scheduled recalculation", Role: leadflow.RoleAdmin}, false)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// TestWeightRecalculation proves S-DIST-4's automatic recalculation: performance-derived weights
// come from figures frozen at the last recalculation; a monthly cadence, the 20% rate trigger and
// the team trigger recalculate; max_change clamps how far one recalculation moves a rate; and
// every changed weight is logged with the inputs it came from.
func TestWeightRecalculation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.createRep(map[string]any{"name": "Ace", "email": "ace@r.example"})
	b := e.createRep(map[string]any{"name": "Bo", "email": "bo@r.example"})
	e.putRules(map[string]any{"id": "perf", "rep_ids": []int64{a.ID, b.ID}, "method": "round_robin"})
	leadsOf := map[int64][]int64{}
	for i := 0; i < 10; i++ {
		l := e.createLead(seedLead("r" + itoa(int64(i)) + "@x.example"))
		leadsOf[l.OwnerID] = append(leadsOf[l.OwnerID], l.ID)
	}
	e.convertToOpportunity(leadsOf[a.ID][:4]...) // Ace 80%
	e.convertToOpportunity(leadsOf[b.ID][:1]...) // Bo 20%

	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"cadence": "weekly", "window_days": 90}, "cadence"},
		{map[string]any{"cadence": "every_n_leads", "window_days": 90}, "every_leads"},
		{map[string]any{"cadence": "monthly", "window_days": 0}, "window_days"},
		{map[string]any{"cadence": "monthly", "window_days": 90, "mix_trigger": 2}, "mix_trigger"},
	} {
		fieldNamed(t, e.must(http.StatusUnprocessableEntity, e.do("PUT", "/api/v1/routing/recalculation", leadflow.RoleAdmin, bad.body)).problem(t), bad.field)
	}
	e.must(http.StatusForbidden, e.do("PUT", "/api/v1/routing/recalculation", leadflow.RoleManager, map[string]any{"cadence": "monthly", "window_days": 90}))
	e.must(http.StatusOK, e.do("PUT", "/api/v1/routing/recalculation", leadflow.RoleAdmin, map[string]any{
		"cadence": "monthly", "window_days": 90, "max_change": 0.25, "rate_trigger": 0.2, "min_leads": 3, "team_trigger": true}))
	e.putRules(map[string]any{"id": "perf", "rep_ids": []int64{a.ID, b.ID}, "method": "weighted", "source": map[string]any{"kind": "normalized", "min": 0.5}})

	// First calculation: both weights logged from nothing, with their inputs.
	first := e.recalc()
	if first.Trigger != "first calculation" || len(first.Changes) != 2 {
		t.Fatalf("first recalculation: %+v", first)
	}
	weightOf := func(res *service.RecalcResult) map[int64]string {
		out := map[int64]string{}
		for _, c := range res.Changes {
			if c.Field != "weight:perf" || c.Reason != res.Trigger || len(c.Inputs) == 0 {
				t.Fatalf("change: %+v", c)
			}
			out[c.RepID] = c.New
		}
		return out
	}
	if w := weightOf(first); w[a.ID] != "1.6" || w[b.ID] != "0.5" {
		t.Fatalf("first weights: %v", w)
	}
	var inputs struct {
		Rates struct {
			LeadToOpportunity float64 `json:"lead_to_opportunity"`
		}
		TeamAverage struct {
			LeadToOpportunity float64 `json:"lead_to_opportunity"`
		} `json:"team_average"`
	}
	if err := json.Unmarshal(first.Changes[0].Inputs, &inputs); err != nil || inputs.TeamAverage.LeadToOpportunity != 0.5 {
		t.Fatalf("inputs %s: %v", first.Changes[0].Inputs, err)
	}
	if again := e.recalc(); again.Trigger != "" || again.Snapshot != nil {
		t.Fatalf("nothing was due, yet: %+v", again)
	}

	// Bo converts three more (80% live). Routing keeps the frozen 20% until a recalculation...
	e.convertToOpportunity(leadsOf[b.ID][1:4]...)
	var body struct {
		Policy   service.RecalcPolicy
		Snapshot *service.PerformanceSnapshot
	}
	e.must(http.StatusOK, e.do("GET", "/api/v1/routing/recalculation", leadflow.RoleManager, nil)).json(t, &body)
	if body.Policy.Cadence != "monthly" || body.Snapshot.Rates[b.ID].Rates.LeadToOpportunity != 0.2 {
		t.Fatalf("frozen figures: %+v", body)
	}
	// ...which the 20% trigger starts; the clamp lets Bo's rate move only 25%: 0.2 → 0.25.
	moved := e.recalc()
	if !strings.Contains(moved.Trigger, "Bo's lead_to_opportunity moved") {
		t.Fatalf("rate trigger: %q", moved.Trigger)
	}
	if got := moved.Snapshot.Rates[b.ID].Rates.LeadToOpportunity; got != 0.25 {
		t.Fatalf("clamped rate %v, want 0.25", got)
	}
	if w := weightOf(moved); w[a.ID] != "1.52381" || w[b.ID] != "" && w[b.ID] != "0.5" {
		t.Fatalf("weights after the trigger: %v", w) // Ace 0.8/0.525; Bo floored at 0.5 (unchanged, not logged)
	}
	var log struct{ Items []leadflow.WeightChange }
	e.must(http.StatusOK, e.do("GET", "/api/v1/reps/weights/changes?rep_id="+itoa(a.ID), leadflow.RoleManager, nil)).json(t, &log)
	if len(log.Items) != 2 || log.Items[0].Old != "1.6" || log.Items[0].New != "1.52381" || len(log.Items[0].Inputs) == 0 {
		t.Fatalf("Ace's change log: %+v", log.Items)
	}

	// A rep joining the team is a trigger too.
	e.createRep(map[string]any{"name": "Cy", "email": "cy@r.example"})
	if tr := e.recalc().Trigger; !strings.Contains(tr, "team changed") {
		t.Fatalf("team trigger: %q", tr)
	}
	// The clamped rate does not retrigger: the trigger compares with the rate observed then.
	if tr := e.recalc().Trigger; tr != "" {
		t.Fatalf("retriggered: %q", tr)
	}
	// The month turns: a scheduled recalculation (the clamp moved Bo 0.25 → 0.3125 at the team
	// trigger, and now 0.3125 → 0.390625).
	e.clock.Advance(31 * 24 * time.Hour)
	res := e.recalc()
	if res.Trigger != "monthly recalculation" || res.Snapshot.Rates[b.ID].Rates.LeadToOpportunity != 0.390625 {
		t.Fatalf("monthly: %q %+v", res.Trigger, res.Snapshot.Rates[b.ID])
	}
	// Forced through the API, by an admin only.
	e.must(http.StatusForbidden, e.do("POST", "/api/v1/routing/recalculate", leadflow.RoleManager, nil))
	var forced service.RecalcResult
	e.must(http.StatusOK, e.do("POST", "/api/v1/routing/recalculate", leadflow.RoleAdmin, nil)).json(t, &forced)
	if !strings.HasPrefix(forced.Trigger, "requested by") {
		t.Fatalf("forced: %+v", forced)
	}
}

// TestRecalculationEveryNLeads proves the every-N-leads cadence (S-DIST-4).
func TestRecalculationEveryNLeads(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.createRep(map[string]any{"name": "Ace", "email": "ace@n.example"})
	b := e.createRep(map[string]any{"name": "Bo", "email": "bo@n.example"})
	e.must(http.StatusOK, e.do("PUT", "/api/v1/routing/recalculation", leadflow.RoleAdmin, map[string]any{"cadence": "every_n_leads", "every_leads": 5, "window_days": 90}))
	e.putRules(map[string]any{"id": "n", "rep_ids": []int64{a.ID, b.ID}, "method": "weighted", "source": map[string]any{"kind": "normalized", "min": 0.5}})
	if e.recalc().Trigger != "first calculation" {
		t.Fatal("no first calculation")
	}
	e.clock.Advance(time.Second)
	for i := 0; i < 4; i++ {
		e.createLead(seedLead("n" + itoa(int64(i)) + "@x.example"))
	}
	if tr := e.recalc().Trigger; tr != "" {
		t.Fatalf("after 4 leads: %q", tr)
	}
	e.createLead(seedLead("n4@x.example"))
	if tr := e.recalc().Trigger; tr != "5 leads routed since the last recalculation" {
		t.Fatalf("after 5 leads: %q", tr)
	}
}

// TestCatchUpAfterAbsence proves the optional catch-up boost (S-REP-2): a rep back from a
// vacation gets the leads it would have had while away (its share of what the rule assigned,
// capped), once per absence, recorded in the weight log and the explanation. Without the option a
// returning rep simply resumes alternating.
func TestCatchUpAfterAbsence(t *testing.T) {
	t.Parallel()
	for _, catchUp := range []bool{false, true} {
		e := setup(t)
		a := e.createRep(map[string]any{"name": "Ace", "email": "ace@c.example"})
		b := e.createRep(map[string]any{"name": "Bo", "email": "bo@c.example", "absences": []map[string]any{
			{"from": t0.Add(time.Hour), "to": t0.Add(5 * time.Hour), "reason": "vacation"}}})
		rule := map[string]any{"id": "rr", "rep_ids": []int64{a.ID, b.ID}, "method": "round_robin"}
		if catchUp {
			rule["catch_up_max_leads"] = 10
		}
		e.putRules(rule)
		n := 0
		route := func(k int) map[int64]int {
			got := map[int64]int{}
			for i := 0; i < k; i++ {
				n++
				got[e.createLead(seedLead("c"+itoa(int64(n))+"@x.example")).OwnerID]++
			}
			return got
		}
		if got := route(2); got[a.ID] != 1 || got[b.ID] != 1 {
			t.Fatalf("before: %v", got)
		}
		e.clock.Set(t0.Add(2 * time.Hour))
		if got := route(6); got[a.ID] != 6 {
			t.Fatalf("while Bo is away: %v", got)
		}
		e.clock.Set(t0.Add(6 * time.Hour))
		got := route(6)
		if !catchUp {
			if got[a.ID] != 3 || got[b.ID] != 3 {
				t.Fatalf("without catch-up: %v", got)
			}
			continue
		}
		if got[b.ID] != 6 { // 6 leads while away × share 0.5 = 3 leads behind: the next 6 leads
			t.Fatalf("with catch-up: %v", got)
		}
		if got := route(4); got[a.ID] != 2 || got[b.ID] != 2 {
			t.Fatalf("after catching up (boosted once): %v", got)
		}
		var log struct{ Items []leadflow.WeightChange }
		e.must(http.StatusOK, e.do("GET", "/api/v1/reps/weights/changes?rep_id="+itoa(b.ID), leadflow.RoleManager, nil)).json(t, &log)
		if len(log.Items) != 1 || log.Items[0].Field != "catch_up:rr" || log.Items[0].New != "+3 leads" || !strings.Contains(log.Items[0].Reason, "vacation") {
			t.Fatalf("catch-up log: %+v", log.Items)
		}
	}
}

// TestPerformanceRevenueAndResponse proves the S-REP-3 figures beyond conversion: revenue from
// deal values, revenue quota attainment, and response times from assignment to first contact.
func TestPerformanceRevenueAndResponse(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.createRep(map[string]any{"name": "Ace", "email": "ace@v.example", "quota": 1000, "quota_basis": "revenue"})
	fieldNamed(t, e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/reps", leadflow.RoleAdmin, map[string]any{"name": "X", "email": "x@v.example", "quota_basis": "hugs"})).problem(t), "quota_basis")
	e.putRules(map[string]any{"id": "all", "rep_ids": []int64{a.ID}, "method": "round_robin"})
	one := e.createLead(seedLead("v1@x.example"))
	e.createLead(seedLead("v2@x.example"))
	e.clock.Advance(3 * time.Minute)
	e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(one.ID)+"/contact", leadflow.RoleManager, nil))
	e.convertToOpportunity(one.ID)
	fieldNamed(t, e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/leads/"+itoa(one.ID)+"/stage", leadflow.RoleManager, map[string]any{"stage": "customer", "deal_value": -5})).problem(t), "deal_value")
	var won leadflow.Lead
	e.must(http.StatusOK, e.do("POST", "/api/v1/leads/"+itoa(one.ID)+"/stage", leadflow.RoleManager, map[string]any{"stage": "customer", "deal_value": 600})).json(t, &won)
	if won.DealValue != 600 {
		t.Fatalf("deal value: %+v", won)
	}
	var perf struct{ Items []service.RepPerformance }
	e.must(http.StatusOK, e.do("GET", "/api/v1/reps/performance", leadflow.RoleManager, nil)).json(t, &perf)
	p := perf.Items[0]
	if p.Revenue != 600 || p.MonthRevenue != 600 || p.MonthWon != 1 || p.Rates.QuotaAttainment != 0.6 {
		t.Fatalf("revenue figures: %+v", p)
	}
	if p.Contacted != 1 || p.MedianResponseMinutes != 3 || p.AvgResponseMinutes != 3 || p.ContactedWithin5Min != 0.5 {
		t.Fatalf("response figures: %+v", p)
	}
}

package route_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/route"
)

// team is 001's five AEs with conversion 40/30/25/20/10% (S-SIM-1).
func team() []route.RepStats {
	return []route.RepStats{
		{ID: "alice", Tier: 1, Level: route.LevelSenior, Rates: route.Rates{LeadToOpportunity: 0.40, Disqualification: 0.70}, ActiveOpportunities: 30, CapacityThreshold: 50, TenureYears: 3, WeeklyHours: 40},
		{ID: "bob", Tier: 1, Level: route.LevelStandard, Rates: route.Rates{LeadToOpportunity: 0.30}, ActiveOpportunities: 50, CapacityThreshold: 50, TenureYears: 2, WeeklyHours: 20},
		{ID: "carlos", Tier: 2, Level: route.LevelMid, Rates: route.Rates{LeadToOpportunity: 0.25}, ActiveOpportunities: 20, CapacityThreshold: 50, TenureYears: 2},
		{ID: "diana", Tier: 2, Level: route.LevelJunior, Rates: route.Rates{LeadToOpportunity: 0.20}, ActiveOpportunities: 10, CapacityThreshold: 50, TenureYears: 1},
		{ID: "eric", Tier: 3, Level: route.LevelNewHire, Rates: route.Rates{LeadToOpportunity: 0.10}, ActiveOpportunities: 40, TenureYears: 2, Probation: true},
	}
}

// TestSourceCompute checks a Source selects each formula by configuration (S-DIST-3).
func TestSourceCompute(t *testing.T) {
	cases := []struct {
		src  route.Source
		want map[string]float64
	}{
		{route.Source{Kind: route.KindEqual}, map[string]float64{"alice": 1, "bob": 0, "carlos": 1, "diana": 1, "eric": 1}},
		{route.Source{Kind: route.KindTier}, map[string]float64{"alice": 3, "bob": 0, "carlos": 2, "diana": 2, "eric": 1}},
		{route.Source{Kind: route.KindTier, TierWeights: map[int]float64{1: 5}}, map[string]float64{"alice": 5, "carlos": 2}},
		{route.Source{Kind: route.KindLevel}, map[string]float64{"alice": 2.5, "carlos": 1.5, "diana": 1, "eric": 0.5}},
		// bob is at capacity (50 of 50): 0 whatever the formula (S-DIST-7).
		// eric is in probation: the team average, 1.0 (S-DIST-5).
		{route.Source{Kind: route.KindNormalized}, map[string]float64{"alice": 1.6, "bob": 0, "carlos": 1.0, "diana": 0.8, "eric": 1.0}},
		{route.Source{Kind: route.KindNormalized, Min: 0.5, Max: 1.5}, map[string]float64{"alice": 1.5, "diana": 0.8}},
		{route.Source{Kind: route.KindNormalized, Dampen: route.DampenSqrt}, map[string]float64{"carlos": 1, "eric": 1}},
		{route.Source{Kind: route.KindProportional}, map[string]float64{"alice": 4, "carlos": 2.5, "diana": 2, "eric": 2.5}},
		{route.Source{Kind: route.KindTiered}, map[string]float64{"alice": 3, "carlos": 2, "diana": 2, "eric": 2}},
		{route.Source{Kind: route.KindPercentile}, map[string]float64{"alice": 1.8, "carlos": 1.0, "diana": 0.6, "eric": 1.0}},
		{route.Source{Kind: route.KindCapacity, CapacityMin: 0.3}, map[string]float64{"alice": 0.4, "bob": 0, "carlos": 0.6, "diana": 0.8, "eric": 1}},
		{route.Source{Kind: route.KindFTE}, map[string]float64{"alice": 1, "carlos": 1}},
		{route.Source{Kind: route.KindEqual, ScaleByHours: true}, map[string]float64{"alice": 1, "carlos": 1}},
		// Disqualification penalty: alice disqualifies 70% of her leads → × 0.75.
		{route.Source{Kind: route.KindNormalized, Disqualification: &route.DefaultPenalty}, map[string]float64{"alice": 1.2, "carlos": 1}},
	}
	for _, c := range cases {
		if err := c.src.Validate(); err != nil {
			t.Fatalf("%+v: %v", c.src, err)
		}
		got := c.src.Weights(team())
		for id, want := range c.want {
			near(t, string(c.src.Kind)+" "+id, got[id], want)
		}
	}
}

// TestSourceCompositeRepA is 001's Rep A through a configured composite source: 40% vs 25%, 30
// active vs 40, 3 years vs 2 → 1.5 (S-DIST-3).
func TestSourceCompositeRepA(t *testing.T) {
	repA := route.RepStats{ID: "a", Rates: route.Rates{LeadToOpportunity: 0.40}, ActiveOpportunities: 30, TenureYears: 3,
		Team: route.Team{Average: route.Rates{LeadToOpportunity: 0.25}, AverageActiveOpportunities: 40, AverageTenureYears: 2}}
	near(t, "composite", route.Source{Kind: route.KindComposite}.Compute(repA), 1.5)
	repA.Away = true
	near(t, "away", route.Source{Kind: route.KindComposite}.Compute(repA), 0)
}

// TestSourcePartTime checks FTE scaling of a part-timer (S-DIST-3: 20 h = 0.5).
func TestSourcePartTime(t *testing.T) {
	part := route.RepStats{ID: "p", WeeklyHours: 20}
	near(t, "fte", route.Source{Kind: route.KindFTE}.Compute(part), 0.5)
	near(t, "scaled", route.Source{Kind: route.KindLevel, ScaleByHours: true}.Compute(route.RepStats{Level: route.LevelStandard, WeeklyHours: 20}), 1.0)
}

// TestSourceValidate checks configuration errors carry field paths (S-DIST-3).
func TestSourceValidate(t *testing.T) {
	bad := route.Source{Kind: "magic", Metric: "vibes", Dampen: "log", Min: 3, Max: 2, CapacityMin: 1.5,
		TierWeights: map[int]float64{0: 1}, LevelWeights: map[route.Level]float64{"intern": 1},
		Mix: &route.Mix{}, Disqualification: &route.Penalty{Threshold: 1, Penalty: 2}}
	err := bad.Validate()
	var e *leadflow.Error
	if !errors.As(err, &e) || e.Code != leadflow.EINVALID {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	for _, f := range e.Fields {
		fields[f.Field] = true
	}
	for _, want := range []string{"source.kind", "source.metric", "source.dampen", "source.min", "source.capacity_min",
		"source.tier_weights.0", "source.level_weights.intern", "source.mix",
		"source.disqualification_penalty.threshold", "source.disqualification_penalty.penalty"} {
		if !fields[want] {
			t.Errorf("missing field error %s in %v", want, e.Fields)
		}
	}
	if fe := (route.Source{Kind: "x"}).Check("rules[2].weights"); len(fe) != 1 || fe[0].Field != "rules[2].weights.kind" {
		t.Errorf("Check prefix: %v", fe)
	}
	for _, k := range route.Kinds() {
		if err := (route.Source{Kind: k}).Validate(); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

// TestSourceConfig checks a Source reads from configuration (S-DIST-3, S-DIST-4).
func TestSourceConfig(t *testing.T) {
	const j = `{"kind": "normalized", "metric": "lead_to_close", "dampen": "sqrt", "min": 0.5, "max": 2,
		"disqualification_penalty": {"threshold": 0.4, "penalty": 0.5}}`
	var s route.Source
	if err := json.Unmarshal([]byte(j), &s); err != nil {
		t.Fatal(err)
	}
	if s.Kind != route.KindNormalized || s.Metric != route.MetricLeadToClose || s.Dampen != route.DampenSqrt ||
		s.Min != 0.5 || s.Max != 2 || s.Disqualification == nil || s.Disqualification.Penalty != 0.5 {
		t.Fatalf("%+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(route.Source{Kind: route.KindComposite, Mix: &route.DefaultMix})
	var back route.Source
	if err := json.Unmarshal(b, &back); err != nil || back.Mix == nil || *back.Mix != route.DefaultMix {
		t.Fatalf("%s → %+v %v", b, back, err)
	}
}

// TestFillTeam checks the team figures performance weights are relative to (S-DIST-3).
func TestFillTeam(t *testing.T) {
	reps := team()
	route.FillTeam(reps)
	near(t, "average", reps[0].Team.Average.LeadToOpportunity, 0.25)
	near(t, "lowest", reps[0].Team.Lowest.LeadToOpportunity, 0.10)
	near(t, "avg active", reps[0].Team.AverageActiveOpportunities, 30)
	near(t, "avg tenure", reps[0].Team.AverageTenureYears, 2)
	near(t, "alice percentile", reps[0].Percentiles.LeadToOpportunity, 90)
	route.FillTeam(nil)
}

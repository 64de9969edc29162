package route_test

import (
	"math"
	"testing"
	"time"

	"github.com/leadflow/leadflow/route"
)

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestStaticWeights checks 001's tier and career-ladder weights (S-DIST-3).
func TestStaticWeights(t *testing.T) {
	for tier, want := range map[int]float64{1: 3, 2: 2, 3: 1} {
		if w, ok := route.TierWeight(tier); !ok || w != want {
			t.Errorf("tier %d = %v %v", tier, w, ok)
		}
	}
	if _, ok := route.TierWeight(4); ok {
		t.Error("tier 4 is not defined")
	}
	want := map[route.Level]float64{route.LevelSenior: 2.5, route.LevelStandard: 2.0, route.LevelMid: 1.5,
		route.LevelJunior: 1.0, route.LevelNewHire: 0.5}
	for _, l := range route.Levels() {
		if w, ok := route.LevelWeight(l); !ok || w != want[l] {
			t.Errorf("level %s = %v", l, w)
		}
	}
	if _, ok := route.LevelWeight("intern"); ok {
		t.Error("unknown level")
	}
	// 001's ladder: leads per month at 1000 total, 250/200/150/100/50 with one rep per level.
	var ws []float64
	for _, l := range route.Levels() {
		w, _ := route.LevelWeight(l)
		ws = append(ws, w)
	}
	got := route.Apportion(1000, ws)
	for i, want := range []int{333, 267, 200, 133, 67} {
		if got[i] != want {
			t.Fatalf("ladder apportion %v", got)
		}
	}
	// The seed's "leads/month" column is weight × 100 (its ratio), i.e. 2.5 : 2 : 1.5 : 1 : 0.5.
	near(t, "senior/new hire", ws[0]/ws[4], 250.0/50)
}

// TestPerformanceWeights checks the seed's performance formulas (S-DIST-3).
func TestPerformanceWeights(t *testing.T) {
	near(t, "Normalized(40%, 25%)", route.Normalized(0.40, 0.25), 1.6)
	near(t, "Normalized(25%, 25%)", route.Normalized(0.25, 0.25), 1.0)
	near(t, "Normalized(15%, 25%)", route.Normalized(0.15, 0.25), 0.6)
	near(t, "Normalized(10%, 25%)", route.Normalized(0.10, 0.25), 0.4)
	near(t, "Normalized with no team average", route.Normalized(0.1, 0), 1)
	n := route.NormalizedAll([]float64{0.40, 0.30, 0.25, 0.20, 0.10})
	for i, want := range []float64{1.6, 1.2, 1.0, 0.8, 0.4} {
		near(t, "NormalizedAll", n[i], want)
	}
	near(t, "Proportional(40%, 10%)", route.Proportional(0.40, 0.10), 4.0)
	near(t, "Proportional(25%, 10%)", route.Proportional(0.25, 0.10), 2.5)
	near(t, "Proportional(10%, 10%)", route.Proportional(0.10, 0.10), 1.0)
	near(t, "Proportional(x, 0)", route.Proportional(0.10, 0), 0)
	p := route.ProportionalAll([]float64{0.40, 0.25, 0.10, 0})
	for i, want := range []float64{4, 2.5, 1, 0} {
		near(t, "ProportionalAll", p[i], want)
	}
	for _, c := range []struct {
		rate, want float64
	}{{0.45, 3}, {0.31, 3}, {0.30, 2}, {0.1 + 0.2, 2}, {0.25, 2}, {0.20, 2}, {0.1999, 1}, {0.05, 1}, {0, 1}} {
		near(t, "Tiered", route.Tiered(c.rate), c.want)
	}
	near(t, "Percentile(100)", route.Percentile(100), 2.0)
	near(t, "Percentile(50)", route.Percentile(50), 1.0)
	near(t, "Percentile(10)", route.Percentile(10), 0.2)
	near(t, "Percentile(150)", route.Percentile(150), 2.0)
	team := []float64{0.40, 0.30, 0.25, 0.20, 0.10}
	near(t, "PercentileRank top", route.PercentileRank(0.40, team), 90)
	near(t, "PercentileRank median", route.PercentileRank(0.25, team), 50)
	near(t, "PercentileRank bottom", route.PercentileRank(0.10, team), 10)
	near(t, "PercentileRank empty", route.PercentileRank(1, nil), 50)
}

// TestDampeningAndBounds checks square-root, cap, clamp and floor (S-DIST-3).
func TestDampeningAndBounds(t *testing.T) {
	near(t, "SquareRoot(4)", route.SquareRoot(4), 2) // 4× performance → 2× weight
	near(t, "SquareRoot(1.6)", route.SquareRoot(1.6), 1.2649110640673518)
	near(t, "SquareRoot(-1)", route.SquareRoot(-1), 0)
	near(t, "Capped(2.4, 2)", route.Capped(2.4, 2.0), 2)
	near(t, "Capped(1.6, 2)", route.Capped(1.6, 2.0), 1.6)
	near(t, "Clamped(0.4)", route.Clamped(0.4, 0.5, 2.0), 0.5)
	near(t, "Clamped(1.6)", route.Clamped(1.6, 0.5, 2.0), 1.6)
	near(t, "Clamped(3.2)", route.Clamped(3.2, 0.5, 2.0), 2.0)
	near(t, "Floor(0.4, 0.5)", route.Floor(0.4, 0.5), 0.5) // 001's Eric
	near(t, "Floor(0.8, 0.5)", route.Floor(0.8, 0.5), 0.8)
}

// TestCapacity decodes 001's pipeline-load example (capacity 50 opportunities): 20 active → 0.6,
// 50 → 0 (at capacity, no new leads), 10 → 0.8; the 0.3 minimum lifts only reps below capacity
// (S-DIST-3, S-DIST-7).
func TestCapacity(t *testing.T) {
	min := route.DefaultCapacityMin
	near(t, "20 of 50", route.Capacity(20, 50, min), 0.6)
	near(t, "50 of 50", route.Capacity(50, 50, min), 0)
	near(t, "10 of 50", route.Capacity(10, 50, min), 0.8)
	near(t, "60 of 50", route.Capacity(60, 50, min), 0)
	near(t, "40 of 50 floored", route.Capacity(40, 50, min), 0.3)
	near(t, "49 of 50 floored", route.Capacity(49, 50, min), 0.3)
	near(t, "35 of 50", route.Capacity(35, 50, min), 0.3)
	near(t, "0 of 50", route.Capacity(0, 50, min), 1)
	near(t, "no threshold", route.Capacity(99, 0, min), 1)
	near(t, "no minimum", route.Capacity(40, 50, 0), 0.2)
	if !route.AtCapacity(50, 50) || route.AtCapacity(49, 50) || route.AtCapacity(100, 0) {
		t.Error("AtCapacity")
	}
	near(t, "LoadRatio(30, 40)", route.LoadRatio(30, 40), 40.0/30)
	near(t, "LoadRatio(0, 40)", route.LoadRatio(0, 40), 40)
	near(t, "LoadRatio(x, 0)", route.LoadRatio(5, 0), 1)
}

// TestAvailability checks FTE, vacation, absences and probation (S-DIST-3, S-REP-2, S-DIST-5).
func TestAvailability(t *testing.T) {
	near(t, "FTE(40)", route.FTE(40, 40), 1.0)
	near(t, "FTE(20)", route.FTE(20, 40), 0.5)
	near(t, "FTE(30)", route.FTE(30, 0), 0.75)
	// 001: a full-timer gets twice the leads of a 20-hour part-timer.
	near(t, "full/part", route.FTE(40, 40)/route.FTE(20, 40), 2)
	near(t, "Vacation(true)", route.Vacation(true), 0)
	near(t, "Vacation(false)", route.Vacation(false), 1)
	day := func(d int) time.Time { return time.Date(2025, 7, d, 9, 0, 0, 0, time.UTC) }
	abs := []route.Absence{{Start: day(7), End: day(19)}}
	if route.AwayAt(abs, day(6)) || !route.AwayAt(abs, day(7)) || !route.AwayAt(abs, day(18)) || route.AwayAt(abs, day(19)) {
		t.Error("AwayAt is [start, end)")
	}
	hired := day(1)
	if !route.InProbation(hired, hired.AddDate(0, 0, 89), 0) || route.InProbation(hired, hired.AddDate(0, 0, 90), 0) {
		t.Error("probation is the first 90 days")
	}
	if route.InProbation(time.Time{}, day(1), 0) {
		t.Error("unknown hire date is not probation")
	}
}

// TestCompositeRepA is 001's composite golden case with the seed's own inputs: Rep A at 40%
// against a 25% average, 30 active opportunities against a 40 average, 3 years against 2 → 1.5
// (S-DIST-3).
func TestCompositeRepA(t *testing.T) {
	perf := route.Normalized(0.40, 0.25)
	capacity := route.LoadRatio(30, 40)
	exp := route.Experience(3, 2)
	near(t, "performance", perf, 1.6)
	if math.Abs(capacity-1.33) > 0.005 {
		t.Errorf("capacity factor %v, seed says 1.33", capacity)
	}
	near(t, "experience", exp, 1.5)
	near(t, "0.5·perf", 0.5*perf, 0.8)
	near(t, "0.3·capacity", 0.3*capacity, 0.4)
	near(t, "0.2·experience", 0.2*exp, 0.3)
	near(t, "Rep A", route.Composite(perf, capacity, exp, route.DefaultMix), 1.5)
	near(t, "custom mix", route.Composite(2, 1, 1, route.Mix{Performance: 1}), 2)
}

// TestDisqualificationFactor checks the penalty for aggressive disqualification (S-DIST-3, 001).
func TestDisqualificationFactor(t *testing.T) {
	th, pen := route.DefaultDisqualificationThreshold, route.DefaultDisqualificationPenalty
	near(t, "10%", route.DisqualificationFactor(0.10, th, pen), 1)
	near(t, "at threshold", route.DisqualificationFactor(0.40, th, pen), 1)
	near(t, "70%", route.DisqualificationFactor(0.70, th, pen), 0.75)
	near(t, "100%", route.DisqualificationFactor(1.0, th, pen), 0.5)
	near(t, "over 100%", route.DisqualificationFactor(1.5, th, pen), 0.5)
	near(t, "no penalty", route.DisqualificationFactor(0.9, th, 0), 1)
	// No cliff: just over the threshold costs almost nothing.
	if f := route.DisqualificationFactor(0.41, th, pen); f < 0.99 {
		t.Errorf("41%%: %v", f)
	}
}

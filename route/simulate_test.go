package route_test

import (
	"math"
	"testing"

	"github.com/leadflow/leadflow/route"
)

// TestApportionSim1 is the S-SIM-1 golden case, derived from the rates as 001 does: conversion
// 40/30/25/20/10% → normalized by the team average 25% → 1.6/1.2/1.0/0.8/0.4 → floor 0.5 →
// sum 5.1 → exact shares of 200 leads 62.7/47.1/39.2/31.4/19.6 → largest remainder 63/47/39/31/20.
func TestApportionSim1(t *testing.T) {
	rates := []float64{0.40, 0.30, 0.25, 0.20, 0.10}
	weights := route.NormalizedAll(rates)
	for i := range weights {
		weights[i] = route.Floor(weights[i], 0.5)
	}
	for i, want := range []float64{1.6, 1.2, 1.0, 0.8, 0.5} {
		near(t, "weight", weights[i], want)
	}
	var sum float64
	for _, w := range weights {
		sum += w
	}
	near(t, "sum", sum, 5.1)
	exact := route.ExactShares(200, weights)
	for i, want := range []float64{62.7, 47.1, 39.2, 31.4, 19.6} {
		if math.Abs(exact[i]-want) > 0.05 {
			t.Errorf("exact share %d = %.3f, want %.1f", i, exact[i], want)
		}
	}
	got := route.Apportion(200, weights)
	for i, want := range []int{63, 47, 39, 31, 20} {
		if got[i] != want {
			t.Fatalf("Apportion = %v, want 63/47/39/31/20", got)
		}
	}
}

// TestApportionEdges checks totals, floors and ceilings and the degenerate inputs (S-SIM-1).
func TestApportionEdges(t *testing.T) {
	if got := route.Apportion(100, []float64{3, 2, 2, 1}); got[0]+got[3] != 50 || got[1] != 25 || got[2] != 25 {
		t.Fatalf("3:2:2:1 → %v", got)
	}
	// Ties in the remainder go to the larger weight, then the earlier rep.
	if got := route.Apportion(1, []float64{1, 1}); got[0] != 1 || got[1] != 0 {
		t.Fatalf("%v", got)
	}
	if got := route.Apportion(3, []float64{0, 0, 0}); got[0]+got[1]+got[2] != 3 {
		t.Fatalf("all zero → equal split: %v", got)
	}
	if got := route.Apportion(5, []float64{math.NaN(), -1, 2}); got[2] != 5 {
		t.Fatalf("invalid weights count as 0: %v", got)
	}
	if got := route.Apportion(0, []float64{1}); got[0] != 0 {
		t.Fatal(got)
	}
	if got := route.Apportion(10, []float64{1e9, 1}); got[0] != 10 {
		t.Fatal(got)
	}
	if len(route.Apportion(10, nil)) != 0 {
		t.Fatal("nil")
	}
	// Property: every count is the floor or ceiling of its exact share and the total is kept.
	for n := 1; n <= 500; n += 7 {
		w := []float64{1.6, 1.2, 1.0, 0.8, 0.5, 0.001, 7}
		got := route.Apportion(n, w)
		exact := route.ExactShares(n, w)
		total := 0
		for i := range got {
			total += got[i]
			if float64(got[i]) < math.Floor(exact[i]+1e-9)-1e-9 || float64(got[i]) > math.Ceil(exact[i]-1e-9)+1e-9 {
				t.Fatalf("n=%d rep %d: %d vs exact %v", n, i, got[i], exact[i])
			}
		}
		if total != n {
			t.Fatalf("total %d != %d", total, n)
		}
	}
}

// TestSimulateSim1 is S-SIM-1's golden case: normalized weights with floor 0.5 → 57.25 expected
// opportunities from 200 leads, against 50 for round-robin (40 each).
func TestSimulateSim1(t *testing.T) {
	reps := []route.SimRep{
		{ID: "alice", Conversion: 0.40, DealValue: 10000},
		{ID: "bob", Conversion: 0.30, DealValue: 10000},
		{ID: "carlos", Conversion: 0.25, DealValue: 10000},
		{ID: "diana", Conversion: 0.20, DealValue: 10000},
		{ID: "eric", Conversion: 0.10, DealValue: 10000},
	}
	res := route.Simulate([]route.Strategy{route.NormalizedConversion("normalized_floor_0.5", 0.5), route.RoundRobin()}, reps, 200)
	w, rr := res[0], res[1]
	for i, want := range []int{63, 47, 39, 31, 20} {
		if w.Leads[i] != want {
			t.Fatalf("weighted leads %v, want 63/47/39/31/20", w.Leads)
		}
	}
	near(t, "weighted opportunities", w.ExpectedOpportunities, 57.25)
	near(t, "weighted revenue", w.ExpectedRevenue, 572500)
	near(t, "alice opportunities", w.Opportunities[0], 25.2)
	if w.Spread != 43 {
		t.Errorf("spread %d", w.Spread)
	}
	for i := range rr.Leads {
		if rr.Leads[i] != 40 {
			t.Fatalf("round-robin %v", rr.Leads)
		}
	}
	near(t, "round-robin opportunities", rr.ExpectedOpportunities, 50)
	near(t, "round-robin gini", rr.Gini, 0)
	near(t, "round-robin stddev", rr.StdDev, 0)
	if rr.Spread != 0 || !(w.Gini > 0.1 && w.Gini < 0.3) || !(w.StdDev > 14 && w.StdDev < 15) {
		t.Errorf("fairness: weighted gini %v stddev %v", w.Gini, w.StdDev)
	}
	// The seed's hand-rounded table 62/46/38/31/23 gives 56.6: not what leadflow reports.
	seed := route.Simulate([]route.Strategy{{Name: "seed", Weights: []float64{62, 46, 38, 31, 23}}}, reps, 200)[0]
	if seed.ExpectedOpportunities == w.ExpectedOpportunities {
		t.Fatal("the seed's table should differ from the exact apportionment")
	}
}

// TestSimulateOpeningExample is 001's opening example: two reps at 40% and 10%, 100 leads; an
// equal split gives 25 opportunities, everything to the 40% rep gives 40 (S-SIM-1).
func TestSimulateOpeningExample(t *testing.T) {
	reps := []route.SimRep{{ID: "a", Conversion: 0.40}, {ID: "b", Conversion: 0.10}}
	res := route.Simulate([]route.Strategy{route.RoundRobin(), {Name: "all_to_a", Weights: []float64{1, 0}}}, reps, 100)
	near(t, "equal split", res[0].ExpectedOpportunities, 25)
	near(t, "all to A", res[1].ExpectedOpportunities, 40)
	if res[1].Leads[0] != 100 || res[1].Spread != 100 {
		t.Fatalf("%+v", res[1])
	}
	near(t, "gini of 100/0", res[1].Gini, 0.5)
}

// TestFairness checks spread, standard deviation and Gini (S-SIM-1, S-DIST-12).
func TestFairness(t *testing.T) {
	s, sd, g := route.Fairness([]int{0, 0, 0, 10})
	if s != 10 {
		t.Fatal(s)
	}
	near(t, "stddev", sd, math.Sqrt(18.75))
	near(t, "gini", g, 0.75)
	s, sd, g = route.Fairness(nil)
	if s != 0 || sd != 0 || g != 0 {
		t.Fatal("empty")
	}
	_, _, g = route.Fairness([]int{0, 0})
	near(t, "all zero", g, 0)
}

// TestReplayGoldens replays individual leads (S-SIM-1): 3:2:2:1 over 100 leads gives 37–38 /
// 25 / 25 / 12–13 like the apportionment, one lead at a time; qualities and deal values of the
// individual leads drive the expected outcome.
func TestReplayGoldens(t *testing.T) {
	reps := []route.SimRep{{ID: "a", Conversion: 0.4, DealValue: 100}, {ID: "b", Conversion: 0.3, DealValue: 100}, {ID: "c", Conversion: 0.2, DealValue: 100}, {ID: "d", Conversion: 0.1, DealValue: 100}}
	leads := make([]route.ReplayLead, 100)
	for i := range leads {
		leads[i] = route.ReplayLead{ID: string(rune('A' + i%26)), Quality: 1}
	}
	res := route.Replay([]route.Strategy{{Name: "w", Weights: []float64{3, 2, 2, 1}}, route.RoundRobin()}, reps, leads)
	w := res[0]
	if w.Leads[0] < 37 || w.Leads[0] > 38 || w.Leads[1] != 25 || w.Leads[2] != 25 || w.Leads[3] < 12 || w.Leads[3] > 13 {
		t.Fatalf("3:2:2:1 over 100: %v", w.Leads)
	}
	if rr := res[1]; rr.Leads[0] != 25 || rr.Leads[3] != 25 || math.Abs(rr.ExpectedOpportunities-25) > 1e-9 {
		t.Fatalf("round robin: %+v", rr)
	}
	// Two leads: a double-quality lead with its own deal value goes first, to the top rep.
	two := route.Replay([]route.Strategy{{Name: "top", Weights: []float64{1, 0, 0, 0}}}, reps, []route.ReplayLead{{ID: "x", Quality: 2, DealValue: 1000}, {ID: "y", Quality: 0.5}})
	if got := two[0]; got.Leads[0] != 2 || math.Abs(got.ExpectedOpportunities-1.0) > 1e-9 || math.Abs(got.ExpectedRevenue-(0.8*1000+0.2*100)) > 1e-9 {
		t.Fatalf("qualities and deal values: %+v", got)
	}
}

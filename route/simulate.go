package route

import (
	"math"
	"slices"
)

// SimRep is one rep in a what-if simulation (S-SIM-1).
type SimRep struct {
	ID string `json:"id" yaml:"id"`
	// Conversion is the rep's lead → opportunity rate, as a fraction.
	Conversion float64 `json:"conversion" yaml:"conversion"`
	// DealValue is the expected revenue of one of the rep's opportunities (average deal value,
	// already weighted by the win rate if revenue should be expected rather than pipeline).
	DealValue float64 `json:"deal_value" yaml:"deal_value"`
}

// Strategy is one distribution strategy to simulate (S-SIM-1): a name and either fixed weights,
// one per rep in the order of the reps, or a function computing them from the reps.
type Strategy struct {
	Name    string                        `json:"name" yaml:"name"`
	Weights []float64                     `json:"weights,omitempty" yaml:"weights,omitempty"`
	Func    func(reps []SimRep) []float64 `json:"-" yaml:"-"` // used when Weights is nil
}

// RoundRobin is the equal-split baseline strategy (S-SIM-1, S-DIST-1).
func RoundRobin() Strategy {
	return Strategy{Name: "round_robin", Func: func(reps []SimRep) []float64 {
		w := make([]float64, len(reps))
		for i := range w {
			w[i] = 1
		}
		return w
	}}
}

// NormalizedConversion is 001's performance strategy (S-SIM-1, S-DIST-3): each rep weighs its
// conversion / the team's mean conversion, raised to floor when below it (0 = no floor).
func NormalizedConversion(name string, floor float64) Strategy {
	return Strategy{Name: name, Func: func(reps []SimRep) []float64 {
		rates := make([]float64, len(reps))
		for i, r := range reps {
			rates[i] = r.Conversion
		}
		w := NormalizedAll(rates)
		for i := range w {
			w[i] = Floor(w[i], floor)
		}
		return w
	}}
}

// SimResult is the outcome of one strategy (S-SIM-1). Per-rep slices follow the order of the reps.
type SimResult struct {
	Strategy string    `json:"strategy"`
	Weights  []float64 `json:"weights"`
	// Exact holds each rep's exact share of the leads, leads·w_i/Σw.
	Exact []float64 `json:"exact"`
	// Leads holds each rep's whole leads, the exact shares rounded by largest remainder (Apportion).
	Leads []int `json:"leads"`
	// Opportunities holds each rep's expected opportunities, leads × conversion.
	Opportunities         []float64 `json:"opportunities"`
	ExpectedOpportunities float64   `json:"expected_opportunities"` // Σ leads_i × conversion_i
	ExpectedRevenue       float64   `json:"expected_revenue"`       // Σ leads_i × conversion_i × deal value_i
	Spread                int       `json:"spread"`                 // max − min leads per rep
	StdDev                float64   `json:"std_dev"`                // population standard deviation of leads per rep
	Gini                  float64   `json:"gini"`                   // Gini coefficient of leads per rep: 0 equal, → 1 concentrated
}

// Simulate distributes leads among reps under each strategy and reports the expected outcome and
// its fairness (S-SIM-1). Leads are whole: the exact shares are apportioned by largest remainder.
//
// 001's worked example (5 reps at 40/30/25/20/10%, weights 1.6/1.2/1.0/0.8/0.5, 200 leads) prints
// 62/46/38/31/23 leads and 56.6 expected opportunities, but those hand-rounded figures are
// internally inconsistent: they do not follow from its own exact shares 62.7/47.1/39.2/31.4/19.6
// (Eric's 19.6 becomes 23). leadflow reports the exact apportionment instead, 63/47/39/31/20 leads
// and 57.25 expected opportunities, against 50 for round-robin (40 each).
//
// A strategy's missing weights count as 0 and extra ones are ignored; a strategy without any
// positive weight splits the leads equally (see Apportion).
func Simulate(strategies []Strategy, reps []SimRep, leads int) []SimResult {
	out := make([]SimResult, 0, len(strategies))
	for _, s := range strategies {
		w := s.Weights
		if w == nil && s.Func != nil {
			w = s.Func(reps)
		}
		weights := make([]float64, len(reps))
		copy(weights, w)
		res := SimResult{Strategy: s.Name, Weights: weights,
			Exact: ExactShares(leads, weights), Leads: Apportion(leads, weights),
			Opportunities: make([]float64, len(reps))}
		for i, r := range reps {
			res.Opportunities[i] = float64(res.Leads[i]) * r.Conversion
			res.ExpectedOpportunities += res.Opportunities[i]
			res.ExpectedRevenue += res.Opportunities[i] * r.DealValue
		}
		res.Spread, res.StdDev, res.Gini = Fairness(res.Leads)
		out = append(out, res)
	}
	return out
}

// Fairness returns the spread (max − min), the population standard deviation and the Gini
// coefficient of leads per rep (S-SIM-1, S-DIST-12). All are 0 for an empty or all-zero input.
func Fairness(leads []int) (spread int, stdDev, gini float64) {
	if len(leads) == 0 {
		return 0, 0, 0
	}
	spread = slices.Max(leads) - slices.Min(leads)
	n := float64(len(leads))
	var sum float64
	for _, l := range leads {
		sum += float64(l)
	}
	mean := sum / n
	var sq float64
	for _, l := range leads {
		d := float64(l) - mean
		sq += d * d
	}
	stdDev = math.Sqrt(sq / n)
	if sum == 0 {
		return spread, stdDev, 0
	}
	// Gini = Σ_i Σ_j |x_i − x_j| / (2 n² mean), computed on the sorted values in O(n log n):
	// Σ_i Σ_j |x_i − x_j| = 2 Σ_i (2i − n + 1) x_(i) for 0-based ranks i.
	s := slices.Clone(leads)
	slices.Sort(s)
	var acc float64
	for i, x := range s {
		acc += float64(2*i-len(s)+1) * float64(x)
	}
	gini = 2 * acc / (2 * n * n * mean)
	return spread, stdDev, gini
}

// ReplayLead is one lead replayed through a strategy (S-SIM-1): its identity for the report, its
// quality relative to the replayed set (1 = average; it scales every rep's conversion for this
// lead) and its deal value (0: the rep's DealValue applies).
type ReplayLead struct {
	ID        string  `json:"id"`
	Quality   float64 `json:"quality"`
	DealValue float64 `json:"deal_value,omitempty"`
}

// Replay sends leads one by one, in order, through each strategy's weighted rotation (the same
// Rotation the live router uses), and reports the outcome per strategy (S-SIM-1). Unlike Simulate,
// which apportions a count, each lead goes to one rep, and its expected opportunities are that
// rep's conversion × the lead's quality, its revenue the lead's own deal value when it has one.
// Exact still holds each rep's exact share of the count, so Leads − Exact shows the rotation's
// deviation (under one lead, S-DIST-2).
func Replay(strategies []Strategy, reps []SimRep, leads []ReplayLead) []SimResult {
	out := make([]SimResult, 0, len(strategies))
	index := make(map[string]int, len(reps))
	for i, r := range reps {
		index[r.ID] = i
	}
	for _, s := range strategies {
		w := s.Weights
		if w == nil && s.Func != nil {
			w = s.Func(reps)
		}
		weights := make([]float64, len(reps))
		copy(weights, w)
		byID := make(map[string]float64, len(reps))
		for i, r := range reps {
			if weights[i] > 0 {
				byID[r.ID] = weights[i]
			}
		}
		if len(byID) == 0 { // like Apportion: no positive weight splits equally
			for _, r := range reps {
				byID[r.ID] = 1
			}
		}
		res := SimResult{Strategy: s.Name, Weights: weights, Exact: ExactShares(len(leads), weights),
			Leads: make([]int, len(reps)), Opportunities: make([]float64, len(reps))}
		rot := &Rotation{}
		for _, l := range leads {
			id, _, err := rot.Next(byID, nil)
			if err != nil {
				break // cannot happen: byID has a positive weight
			}
			i := index[id]
			res.Leads[i]++
			opp := reps[i].Conversion * l.Quality
			res.Opportunities[i] += opp
			value := reps[i].DealValue
			if l.DealValue > 0 {
				value = l.DealValue
			}
			res.ExpectedRevenue += opp * value
		}
		for _, o := range res.Opportunities {
			res.ExpectedOpportunities += o
		}
		res.Spread, res.StdDev, res.Gini = Fairness(res.Leads)
		out = append(out, res)
	}
	return out
}

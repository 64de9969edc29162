package service

import (
	"context"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/leadflow/leadflow"
)

// RepDistribution is one rep's volume against its target share, and the conversion of its leads.
type RepDistribution struct {
	RepID       int64    `json:"rep_id"`
	Name        string   `json:"name"`
	Weight      float64  `json:"weight"`
	Leads       int      `json:"leads"`
	TargetShare float64  `json:"target_share"` // weight / sum of weights of the rule's reps
	ActualShare float64  `json:"actual_share"`
	Deviation   float64  `json:"deviation"` // leads − target share × all leads
	Converted   int      `json:"converted"` // of its leads, how many reached opportunity
	Conversion  *float64 `json:"conversion"`
}

// TierDistribution groups reps of equal weight: fairness is the standard deviation of their
// volumes (0 = perfectly even), and conversion is their leads' combined conversion.
type TierDistribution struct {
	Weight     float64  `json:"weight"`
	Reps       int      `json:"reps"`
	Leads      int      `json:"leads"`
	StdDev     float64  `json:"std_dev"`
	Conversion *float64 `json:"conversion"`
}

// DistributionReport holds the distribution KPIs of one routing rule over a period (S-DIST-12).
type DistributionReport struct {
	RuleID     string             `json:"rule_id"`
	Method     string             `json:"method"`
	From       time.Time          `json:"from"`
	To         time.Time          `json:"to"`
	Leads      int                `json:"leads"`
	Reps       []RepDistribution  `json:"reps"`
	Tiers      []TierDistribution `json:"tiers"`
	Conversion *float64           `json:"conversion"`
	// Baseline is the same rule's figures over a comparison period (e.g. the last round-robin
	// quarter before weighting), when asked for.
	Baseline *DistributionReport `json:"baseline,omitempty"`
}

// Distribution reports a rule's volume per rep against target shares, fairness within each weight
// tier, conversion by tier, and optionally the same for a baseline period (S-DIST-12). Target
// shares use the rule's current weights; conversion counts leads that reached opportunity.
func (s *Service) Distribution(ctx context.Context, ruleID string, from, to time.Time, baseFrom, baseTo *time.Time) (*DistributionReport, error) {
	var rule *compiledRule
	s.mu.RLock()
	for i := range s.routing {
		if s.routing[i].ID == ruleID {
			rule = &s.routing[i]
		}
	}
	s.mu.RUnlock()
	if rule == nil {
		return nil, leadflow.Invalid("rule_id", "no routing rule "+strconv.Quote(ruleID))
	}
	rep, err := s.distribution(ctx, rule, from, to)
	if err != nil || baseFrom == nil {
		return rep, err
	}
	rep.Baseline, err = s.distribution(ctx, rule, *baseFrom, *baseTo)
	return rep, err
}

func (s *Service) distribution(ctx context.Context, rule *compiledRule, from, to time.Time) (*DistributionReport, error) {
	out := &DistributionReport{RuleID: rule.ID, Method: rule.Method, From: from, To: to, Reps: []RepDistribution{}, Tiers: []TierDistribution{}}
	var reps []leadflow.Rep
	var assigned []leadflow.Assignment
	converted := map[int64]bool{}
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		if reps, err = tx.Reps(ctx); err != nil {
			return err
		}
		if assigned, err = tx.AssignmentsBetween(ctx, from, to); err != nil {
			return err
		}
		opps, err := tx.StageChanges(ctx, leadflow.StageOpportunity, from, s.clock.Now().Add(time.Second))
		for _, c := range opps {
			converted[c.LeadID] = true
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	byRep := map[int64]*RepDistribution{}
	var sumW float64
	for i := range reps {
		r := &reps[i]
		if rule.TeamID != 0 && r.TeamID != rule.TeamID || len(rule.RepIDs) > 0 && !contains64(rule.RepIDs, r.ID) {
			continue
		}
		w := repWeight(*rule, r)
		sumW += w
		out.Reps = append(out.Reps, RepDistribution{RepID: r.ID, Name: r.Name, Weight: w})
	}
	for i := range out.Reps {
		byRep[out.Reps[i].RepID] = &out.Reps[i]
	}
	for _, a := range assigned {
		d := byRep[a.RepID]
		if a.RuleID != rule.ID || d == nil {
			continue
		}
		out.Leads++
		d.Leads++
		if a.LeadID != 0 && converted[a.LeadID] {
			d.Converted++
		}
	}
	tiers := map[float64]*TierDistribution{}
	totalConv := 0
	for i := range out.Reps {
		d := &out.Reps[i]
		if sumW > 0 {
			d.TargetShare = round6(d.Weight / sumW)
		}
		if out.Leads > 0 {
			d.ActualShare = round6(float64(d.Leads) / float64(out.Leads))
			d.Deviation = round6(float64(d.Leads) - d.Weight/sumW*float64(out.Leads))
		}
		d.Conversion = ratio(d.Converted, d.Leads)
		totalConv += d.Converted
		t := tiers[d.Weight]
		if t == nil {
			t = &TierDistribution{Weight: d.Weight}
			tiers[d.Weight] = t
		}
		t.Reps++
		t.Leads += d.Leads
	}
	for w, t := range tiers {
		var vols []float64
		conv := 0
		for _, d := range out.Reps {
			if d.Weight == w {
				vols = append(vols, float64(d.Leads))
				conv += d.Converted
			}
		}
		t.StdDev, t.Conversion = round6(stdDev(vols)), ratio(conv, t.Leads)
		out.Tiers = append(out.Tiers, *t)
	}
	sort.Slice(out.Tiers, func(i, j int) bool { return out.Tiers[i].Weight > out.Tiers[j].Weight })
	out.Conversion = ratio(totalConv, out.Leads)
	return out, nil
}

func contains64(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := round6(float64(n) / float64(d))
	return &v
}

func stdDev(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var mean float64
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(xs)))
}

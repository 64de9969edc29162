package service

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/route"
)

// SimStrategy names one distribution strategy of a what-if simulation (S-SIM-1).
type SimStrategy struct {
	// Kind is round_robin, normalized (conversion / team mean, optionally floored), proportional
	// (conversion / lowest), or static (the given weights, one per rep).
	Kind    string    `json:"kind" yaml:"kind"`
	Name    string    `json:"name,omitempty" yaml:"name,omitempty"`
	Floor   float64   `json:"floor,omitempty" yaml:"floor,omitempty"`
	Weights []float64 `json:"weights,omitempty" yaml:"weights,omitempty"`
}

// Replay sources of a simulation (S-SIM-1).
const (
	ReplayDatabase  = "database"  // the leads that became MQLs in Period, oldest first
	ReplayCSV       = "csv"       // the rows of LeadsCSV
	ReplayGenerated = "generated" // Leads demo leads generated from Seed, scored by the live model
)

// SimRequest asks how alternative strategies would have distributed leads (S-SIM-1).
type SimRequest struct {
	// Reps to simulate; empty means the active reps with their figures of the last 90 days
	// (conversion = lead → opportunity, deal value = average won deal × win rate).
	Reps []route.SimRep `json:"reps"`
	// Leads to distribute; or, with Period, the leads that became MQLs in that period.
	Leads  int     `json:"leads,omitempty"`
	Period *Period `json:"period,omitempty"`
	// Replay sends individual leads through each strategy's rotation instead of apportioning a
	// count: database, csv or generated. A lead's quality is its score over the replayed leads'
	// mean score; its own deal value, when it has one, replaces the rep's.
	Replay string `json:"replay,omitempty"`
	// LeadsCSV holds the leads of a csv replay: a header with any of id, email, score, deal_value.
	LeadsCSV string `json:"leads_csv,omitempty"`
	// Seed makes a generated replay reproducible.
	Seed       uint64        `json:"seed,omitempty"`
	Strategies []SimStrategy `json:"strategies"`
}

// Period is a time range.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// SimReport is the answer: one result per strategy, and the best by expected opportunities.
type SimReport struct {
	Leads   int               `json:"leads"`
	Reps    []string          `json:"reps"`
	Results []route.SimResult `json:"results"`
	Best    string            `json:"best"`
	Note    string            `json:"note"`
}

// Simulate replays a number of leads through alternative strategies and reports leads per rep,
// expected opportunities and revenue, spread, standard deviation and Gini (S-SIM-1).
func (s *Service) Simulate(ctx context.Context, req SimRequest) (*SimReport, error) {
	var fe []leadflow.FieldError
	bad := func(field, reason string) { fe = append(fe, leadflow.FieldError{Field: field, Reason: reason}) }
	if len(req.Reps) == 0 {
		live, err := s.liveSimReps(ctx)
		if err != nil {
			return nil, err
		}
		req.Reps = live
	}
	if len(req.Reps) == 0 || len(req.Reps) > 1000 {
		bad("reps", "1 to 1000 reps are required (or active reps in the database)")
	}
	for i, r := range req.Reps {
		if strings.TrimSpace(r.ID) == "" {
			bad(fmt.Sprintf("reps[%d].id", i), "is required")
		}
		if !(r.Conversion >= 0 && r.Conversion <= 1) {
			bad(fmt.Sprintf("reps[%d].conversion", i), "must be a fraction from 0 to 1 (0.4 = 40%)")
		}
		if !(r.DealValue >= 0) || math.IsInf(r.DealValue, 0) {
			bad(fmt.Sprintf("reps[%d].deal_value", i), "must be a non-negative number")
		}
	}
	switch req.Replay {
	case "":
		if req.Period == nil && (req.Leads <= 0 || req.Leads > 10_000_000) {
			bad("leads", "must be 1 to 10,000,000, or give a period to count the MQLs in it")
		}
	case ReplayDatabase:
		if req.Period == nil {
			bad("period", "a database replay needs the period whose MQLs it replays")
		}
	case ReplayCSV:
		if strings.TrimSpace(req.LeadsCSV) == "" {
			bad("leads_csv", "a csv replay needs the leads as CSV (header with any of id, email, score, deal_value)")
		}
	case ReplayGenerated:
		if req.Leads <= 0 || req.Leads > maxReplay {
			bad("leads", fmt.Sprintf("a generated replay needs 1 to %d leads", maxReplay))
		}
	default:
		bad("replay", "must be database, csv or generated (or absent to apportion a count)")
	}
	if req.Period != nil && !req.Period.To.After(req.Period.From) {
		bad("period.to", "must be after period.from")
	}
	if len(req.Strategies) == 0 {
		req.Strategies = []SimStrategy{{Kind: "round_robin"}, {Kind: "normalized", Floor: 0.5}}
	}
	strategies := make([]route.Strategy, 0, len(req.Strategies))
	for i, st := range req.Strategies {
		at := fmt.Sprintf("strategies[%d]", i)
		name := st.Name
		if name == "" {
			name = st.Kind
		}
		switch st.Kind {
		case "round_robin":
			rr := route.RoundRobin()
			rr.Name = name
			strategies = append(strategies, rr)
		case "normalized":
			strategies = append(strategies, route.NormalizedConversion(name, st.Floor))
		case "proportional":
			strategies = append(strategies, route.Strategy{Name: name, Func: func(reps []route.SimRep) []float64 {
				rates := make([]float64, len(reps))
				for k, r := range reps {
					rates[k] = r.Conversion
				}
				return route.ProportionalAll(rates)
			}})
		case "static":
			if len(st.Weights) != len(req.Reps) {
				bad(at+".weights", fmt.Sprintf("needs one weight per rep (%d)", len(req.Reps)))
			}
			strategies = append(strategies, route.Strategy{Name: name, Weights: st.Weights})
		default:
			bad(at+".kind", "must be round_robin, normalized, proportional or static")
		}
	}
	if len(fe) > 0 {
		return nil, &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid simulation", Fields: fe}
	}
	if req.Replay != "" {
		leads, err := s.replayLeads(ctx, req)
		if err != nil {
			return nil, err
		}
		return finishSim(req, len(leads), route.Replay(strategies, req.Reps, leads),
			"Each lead was replayed individually through each strategy's weighted rotation; a lead's expected conversion is the rep's conversion × the lead's score relative to the replayed leads' mean."), nil
	}
	leads := req.Leads
	if req.Period != nil {
		var mqls []leadflow.StageChange
		if err := s.read(ctx, func(tx leadflow.ReadTx) error {
			var err error
			mqls, err = tx.StageChanges(ctx, leadflow.StageMQL, req.Period.From, req.Period.To)
			return err
		}); err != nil {
			return nil, err
		}
		leads = len(mqls)
	}
	return finishSim(req, leads, route.Simulate(strategies, req.Reps, leads),
		"Leads are whole: exact shares are apportioned by largest remainder (the seed's hand-rounded 62/46/38/31/23 table is internally inconsistent; leadflow reports the exact apportionment)."), nil
}

// finishSim rounds the results for presentation and names the best strategy.
func finishSim(req SimRequest, leads int, results []route.SimResult, note string) *SimReport {
	rep := &SimReport{Leads: leads, Results: results, Note: note}
	for _, r := range req.Reps {
		rep.Reps = append(rep.Reps, r.ID)
	}
	for i := range rep.Results { // presentation: float noise such as 57.25000000000001 helps nobody
		r := &rep.Results[i]
		r.ExpectedOpportunities, r.ExpectedRevenue = round6(r.ExpectedOpportunities), round6(r.ExpectedRevenue)
		r.StdDev, r.Gini = round6(r.StdDev), round6(r.Gini)
		for k := range r.Opportunities {
			r.Opportunities[k] = round6(r.Opportunities[k])
		}
		for k := range r.Exact {
			r.Exact[k] = round6(r.Exact[k])
		}
	}
	best := -1.0
	for _, r := range rep.Results {
		if r.ExpectedOpportunities > best {
			best, rep.Best = r.ExpectedOpportunities, r.Strategy
		}
	}
	return rep
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

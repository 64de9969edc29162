package service

import (
	"context"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/route"
)

// DefaultPerformanceWindow is S-REP-3's rolling window.
const DefaultPerformanceWindow = 90 * 24 * time.Hour

// performanceTTL bounds how stale the performance figures a routing decision uses may be.
const performanceTTL = 5 * time.Minute

// RepPerformance is a rep's derived figures over a rolling window (S-REP-3): counts and rates
// from the leads routed to the rep and how far they got in the funnel.
type RepPerformance struct {
	RepID               int64       `json:"rep_id"`
	Name                string      `json:"name"`
	Leads               int         `json:"leads"`
	Opportunities       int         `json:"opportunities"`
	Won                 int         `json:"won"`
	Disqualified        int         `json:"disqualified"`
	Rates               route.Rates `json:"rates"`
	ActiveOpportunities int64       `json:"active_opportunities"`
	Probation           bool        `json:"probation"`
}

// Performance derives every rep's figures over the window ending now (S-REP-3): lead →
// opportunity, opportunity → won, lead → won and disqualification rates of the leads assigned to
// the rep in the window, and its open opportunities. Quota attainment needs deal values, which
// leadflow does not track yet; it is reported as 0.
func (s *Service) Performance(ctx context.Context, window time.Duration) ([]RepPerformance, error) {
	var out []RepPerformance
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		out, err = s.performance(ctx, tx, window, s.clock.Now())
		return err
	})
	return out, err
}

func (s *Service) performance(ctx context.Context, tx leadflow.ReadTx, window time.Duration, now time.Time) ([]RepPerformance, error) {
	if window <= 0 {
		window = DefaultPerformanceWindow
	}
	from := now.Add(-window)
	reps, err := tx.Reps(ctx)
	if err != nil {
		return nil, err
	}
	assigned, err := tx.AssignmentsBetween(ctx, from, now.Add(time.Second))
	if err != nil {
		return nil, err
	}
	reached := map[leadflow.Stage]map[int64]bool{}
	for _, st := range []leadflow.Stage{leadflow.StageOpportunity, leadflow.StageCustomer, leadflow.StageDisqualified} {
		changes, err := tx.StageChanges(ctx, st, from, now.Add(time.Second))
		if err != nil {
			return nil, err
		}
		reached[st] = map[int64]bool{}
		for _, c := range changes {
			reached[st][c.LeadID] = true
		}
	}
	opps, err := tx.OpenOpportunities(ctx)
	if err != nil {
		return nil, err
	}
	leadsOf := map[int64]map[int64]bool{}
	for _, a := range assigned {
		if a.LeadID == 0 {
			continue
		}
		if leadsOf[a.RepID] == nil {
			leadsOf[a.RepID] = map[int64]bool{}
		}
		leadsOf[a.RepID][a.LeadID] = true
	}
	out := make([]RepPerformance, 0, len(reps))
	for _, r := range reps {
		p := RepPerformance{RepID: r.ID, Name: r.Name, ActiveOpportunities: opps[r.ID], Probation: r.HireDate != nil && route.InProbation(*r.HireDate, now, 0)}
		for lead := range leadsOf[r.ID] {
			p.Leads++
			opp := reached[leadflow.StageOpportunity][lead]
			won := reached[leadflow.StageCustomer][lead]
			if opp {
				p.Opportunities++
			}
			if won {
				p.Won++
			}
			if reached[leadflow.StageDisqualified][lead] {
				p.Disqualified++
			}
		}
		p.Rates = route.Rates{LeadToOpportunity: frac(p.Opportunities, p.Leads), OpportunityToClose: frac(p.Won, p.Opportunities),
			LeadToClose: frac(p.Won, p.Leads), Disqualification: frac(p.Disqualified, p.Leads)}
		out = append(out, p)
	}
	return out, nil
}

func frac(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return round6(float64(n) / float64(d))
}

// performanceSnapshot is the cached input of performance weights.
type performanceSnapshot struct {
	at    time.Time
	byRep map[int64]RepPerformance
}

// performanceFor returns figures at most performanceTTL old, recomputing them through tx.
func (s *Service) performanceFor(ctx context.Context, tx leadflow.ReadTx, now time.Time) (map[int64]RepPerformance, error) {
	s.configMu.Lock()
	snap := s.perf
	s.configMu.Unlock()
	if snap != nil && now.Sub(snap.at) < performanceTTL && !now.Before(snap.at) {
		return snap.byRep, nil
	}
	list, err := s.performance(ctx, tx, DefaultPerformanceWindow, now)
	if err != nil {
		return nil, err
	}
	snap = &performanceSnapshot{at: now, byRep: map[int64]RepPerformance{}}
	for _, p := range list {
		snap.byRep[p.RepID] = p
	}
	s.configMu.Lock()
	s.perf = snap
	s.configMu.Unlock()
	return snap.byRep, nil
}

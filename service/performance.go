package service

import (
	"context"
	"slices"
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
	// Revenue is the deal value of the rep's leads won in the window.
	Revenue float64 `json:"revenue"`
	// MonthWon and MonthRevenue are this calendar month's won deals and their value, the
	// numerators of Rates.QuotaAttainment.
	MonthWon     int     `json:"month_won"`
	MonthRevenue float64 `json:"month_revenue"`
	// Response times from assignment to first contact, in minutes, over the contacted leads.
	Contacted             int     `json:"contacted"`
	MedianResponseMinutes float64 `json:"median_response_minutes"`
	AvgResponseMinutes    float64 `json:"avg_response_minutes"`
	// ContactedWithin5Min is the share of assigned leads contacted within five minutes.
	ContactedWithin5Min float64 `json:"contacted_within_5min"`
}

// Performance derives every rep's figures over the window ending now (S-REP-3): lead →
// opportunity, opportunity → won, lead → won and disqualification rates of the leads assigned to
// the rep in the window, revenue won, response times from assignment to first contact, this
// month's quota attainment (deals or deal value, by the rep's quota basis) and its open
// opportunities.
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
	month, err := wonThisMonth(ctx, tx, now)
	if err != nil {
		return nil, err
	}
	leadsOf := map[int64]map[int64]time.Time{} // rep → lead → when the rep first got it
	var ids []int64
	for _, a := range assigned {
		if a.LeadID == 0 {
			continue
		}
		if leadsOf[a.RepID] == nil {
			leadsOf[a.RepID] = map[int64]time.Time{}
		}
		if _, seen := leadsOf[a.RepID][a.LeadID]; !seen {
			leadsOf[a.RepID][a.LeadID] = a.At
			ids = append(ids, a.LeadID)
		}
	}
	leads, err := tx.LeadsByKeys(ctx, ids, nil, nil)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*leadflow.Lead, len(leads))
	for i := range leads {
		byID[leads[i].ID] = &leads[i]
	}
	out := make([]RepPerformance, 0, len(reps))
	for _, r := range reps {
		p := RepPerformance{RepID: r.ID, Name: r.Name, ActiveOpportunities: opps[r.ID], Probation: r.HireDate != nil && route.InProbation(*r.HireDate, now, 0),
			MonthWon: month.deals[r.ID], MonthRevenue: month.revenue[r.ID]}
		var responses []float64
		fast := 0
		for lead, at := range leadsOf[r.ID] {
			p.Leads++
			if reached[leadflow.StageOpportunity][lead] {
				p.Opportunities++
			}
			l := byID[lead]
			if reached[leadflow.StageCustomer][lead] {
				p.Won++
				if l != nil && l.OwnerID == r.ID {
					p.Revenue += l.DealValue
				}
			}
			if reached[leadflow.StageDisqualified][lead] {
				p.Disqualified++
			}
			if l != nil && l.OwnerID == r.ID && l.FirstContactAt != nil && !l.FirstContactAt.Before(at) {
				d := l.FirstContactAt.Sub(at)
				responses = append(responses, d.Minutes())
				if d <= 5*time.Minute {
					fast++
				}
			}
		}
		p.Contacted = len(responses)
		if len(responses) > 0 {
			slices.Sort(responses)
			p.MedianResponseMinutes = round6(route.Median(responses))
			p.AvgResponseMinutes = round6(route.Mean(responses))
		}
		p.ContactedWithin5Min = frac(fast, p.Leads)
		p.Revenue = round6(p.Revenue)
		p.Rates = route.Rates{LeadToOpportunity: frac(p.Opportunities, p.Leads), OpportunityToClose: frac(p.Won, p.Opportunities),
			LeadToClose: frac(p.Won, p.Leads), Disqualification: frac(p.Disqualified, p.Leads),
			QuotaAttainment: round6(r.Attainment(p.MonthWon, p.MonthRevenue))}
		out = append(out, p)
	}
	return out, nil
}

// monthWins are the deals won this calendar month (UTC), counted and summed per owner.
type monthWins struct {
	deals   map[int64]int
	revenue map[int64]float64
}

// wonThisMonth counts each owner's leads that became customers since the first of the month and
// sums their deal values: the numerators of quota attainment (S-REP-3, S-DIST-8).
func wonThisMonth(ctx context.Context, tx leadflow.ReadTx, now time.Time) (monthWins, error) {
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	wins, err := tx.StageChanges(ctx, leadflow.StageCustomer, month, now.Add(time.Second))
	if err != nil {
		return monthWins{}, err
	}
	ids := make([]int64, 0, len(wins))
	for _, w := range wins {
		if w.LeadID != 0 {
			ids = append(ids, w.LeadID)
		}
	}
	leads, err := tx.LeadsByKeys(ctx, ids, nil, nil)
	if err != nil {
		return monthWins{}, err
	}
	out := monthWins{deals: map[int64]int{}, revenue: map[int64]float64{}}
	for _, l := range leads {
		if l.OwnerID != 0 && l.Stage == leadflow.StageCustomer {
			out.deals[l.OwnerID]++
			out.revenue[l.OwnerID] += l.DealValue
		}
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
	list, err := s.performance(ctx, tx, time.Duration(s.RecalcPolicy().WindowDays)*24*time.Hour, now)
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

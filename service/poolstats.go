package service

import (
	"context"
	"slices"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
	"github.com/leadflow/leadflow/notify"
	"github.com/leadflow/leadflow/route"
)

// Viewer describes the caller to the live hub: its rep and team, for filtering (S-NOTIFY-1).
func (s *Service) Viewer(ctx context.Context, a Actor) (notify.Viewer, error) {
	v := notify.Viewer{RepID: a.RepID, Role: a.Role}
	if a.RepID == 0 {
		return v, nil
	}
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		cfg, err := s.routingConfigFor(ctx, tx)
		if err == nil {
			if rep := cfg.rep(a.RepID); rep != nil {
				v.TeamID = rep.TeamID
			}
		}
		return err
	})
	return v, err
}

// RepClaims is one rep's claim figures over a period (S-COMP-8, S-NOTIFY-3).
type RepClaims struct {
	RepID int64  `json:"rep_id"`
	Name  string `json:"name"`
	// Won, Released and churn are from the rep's won claims.
	Churn compete.ChurnReport `json:"churn"`
	// Claim speed: seconds from the offer to the claim, over the claims with a recorded offer.
	ClaimSpeedMedianSeconds float64 `json:"claim_speed_median_seconds"`
	ClaimSpeedAvgSeconds    float64 `json:"claim_speed_avg_seconds"`
	ClaimsWithinMinute      int     `json:"claims_within_minute"`
}

// PoolReport is the pool's activity over a period: claims and churn per rep and for the team,
// and the claim-speed metric (S-COMP-8, S-NOTIFY-3).
type PoolReport struct {
	From  time.Time           `json:"from"`
	To    time.Time           `json:"to"`
	Reps  []RepClaims         `json:"reps"`
	Total compete.ChurnReport `json:"total"`
}

// PoolAnalytics reports the won claims of [from, to): churn of claim-then-release per rep and in
// total (flagged at the configured threshold), and how fast reps claimed after the offer.
func (s *Service) PoolAnalytics(ctx context.Context, from, to time.Time) (*PoolReport, error) {
	cfg := s.Competition()
	out := &PoolReport{From: from, To: to, Reps: []RepClaims{}}
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		claims, err := tx.ClaimsSince(ctx, 0, from)
		if err != nil {
			return err
		}
		rc, err := s.routingConfigFor(ctx, tx)
		if err != nil {
			return err
		}
		var records []compete.ClaimRecord
		speeds := map[int64][]float64{}
		for _, c := range claims {
			if !c.At.Before(to) {
				continue
			}
			r := compete.ClaimRecord{RepID: c.RepID, ClaimedAt: c.At}
			if c.ReleasedAt != nil {
				r.ReleasedAt = *c.ReleasedAt
			}
			records = append(records, r)
			if c.OfferedAt != nil {
				speeds[c.RepID] = append(speeds[c.RepID], c.At.Sub(*c.OfferedAt).Seconds())
			}
		}
		out.Total = compete.Churn(records, cfg)
		for _, ch := range compete.ChurnByRep(records, cfg) {
			row := RepClaims{RepID: ch.RepID, Churn: ch}
			if rep := rc.rep(ch.RepID); rep != nil {
				row.Name = rep.Name
			}
			if sp := speeds[ch.RepID]; len(sp) > 0 {
				slices.Sort(sp)
				row.ClaimSpeedMedianSeconds, row.ClaimSpeedAvgSeconds = round6(route.Median(sp)), round6(route.Mean(sp))
				for _, v := range sp {
					if v <= 60 {
						row.ClaimsWithinMinute++
					}
				}
			}
			out.Reps = append(out.Reps, row)
		}
		return nil
	})
	return out, err
}

// SpeedRank is one rep's place in the speed-to-lead ranking (S-COMP-4).
type SpeedRank struct {
	Rank                  int     `json:"rank"`
	RepID                 int64   `json:"rep_id"`
	Name                  string  `json:"name"`
	Leads                 int     `json:"leads"`
	Contacted             int     `json:"contacted"`
	MedianResponseMinutes float64 `json:"median_response_minutes"`
	ContactedWithin5Min   float64 `json:"contacted_within_5min"`
}

// SpeedToLead ranks the reps by response speed over the window (S-COMP-4): in speed-to-lead mode
// leads are pushed normally, each assignment starts the rule's response timer, and this is the
// ranking. Reps with a contacted lead come first, by median minutes to first contact (then by the
// share contacted within five minutes); reps without one follow.
func (s *Service) SpeedToLead(ctx context.Context, window time.Duration) ([]SpeedRank, error) {
	perf, err := s.Performance(ctx, window)
	if err != nil {
		return nil, err
	}
	out := make([]SpeedRank, 0, len(perf))
	for _, p := range perf {
		if p.Leads == 0 {
			continue
		}
		out = append(out, SpeedRank{RepID: p.RepID, Name: p.Name, Leads: p.Leads, Contacted: p.Contacted,
			MedianResponseMinutes: p.MedianResponseMinutes, ContactedWithin5Min: p.ContactedWithin5Min})
	}
	slices.SortStableFunc(out, func(a, b SpeedRank) int {
		switch {
		case (a.Contacted > 0) != (b.Contacted > 0):
			if a.Contacted > 0 {
				return -1
			}
			return 1
		case a.MedianResponseMinutes != b.MedianResponseMinutes:
			if a.MedianResponseMinutes < b.MedianResponseMinutes {
				return -1
			}
			return 1
		case a.ContactedWithin5Min != b.ContactedWithin5Min:
			if a.ContactedWithin5Min > b.ContactedWithin5Min {
				return -1
			}
			return 1
		}
		return 0
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out, nil
}

package compete

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// ClaimRecord is one recorded claim (S-COMP-8): releasing a claimed lead back to the pool is
// allowed but recorded.
type ClaimRecord struct {
	RepID     int64     `json:"rep_id"`
	ClaimedAt time.Time `json:"claimed_at"`
	// ReleasedAt is when the rep released the lead; zero when it kept it.
	ReleasedAt time.Time `json:"released_at,omitzero"`
}

// ChurnReport is the claim-then-release churn of a rep or a team (S-COMP-8, S-HEALTH-2), a
// gaming signal: claiming and releasing to boost claim counts or block colleagues.
type ChurnReport struct {
	// RepID is the rep, 0 for a team-wide report.
	RepID int64 `json:"rep_id,omitempty"`
	// Claims is the number of claims; Released those released at all; Churned those released
	// within cfg.ChurnWindow of the claim.
	Claims   int `json:"claims"`
	Released int `json:"released"`
	Churned  int `json:"churned"`
	// Rate is Churned / Claims (0 without claims).
	Rate float64 `json:"rate"`
	// Flagged is true when Claims ≥ ChurnMinClaims and Rate ≥ ChurnPercent%.
	Flagged bool   `json:"flagged"`
	Reason  string `json:"reason"`
}

// Churn computes the churn of a set of claims (typically one team's claims of a period): the share
// of claims released within cfg.ChurnWindow, flagged at cfg.ChurnPercent once there are at least
// cfg.ChurnMinClaims claims, so that one release out of two claims raises no alarm. A release at
// exactly ChurnWindow after the claim counts as churn. The comparison is exact.
func Churn(claims []ClaimRecord, cfg Config) ChurnReport {
	var r ChurnReport
	for _, c := range claims {
		r.Claims++
		if c.ReleasedAt.IsZero() {
			continue
		}
		r.Released++
		if c.ReleasedAt.Sub(c.ClaimedAt) <= cfg.ChurnWindow.D() {
			r.Churned++
		}
	}
	if r.Claims > 0 {
		r.Rate = float64(r.Churned) / float64(r.Claims)
	}
	r.Flagged = r.Claims > 0 && r.Claims >= cfg.ChurnMinClaims && int64(r.Churned)*100 >= int64(cfg.ChurnPercent)*int64(r.Claims)
	r.Reason = fmt.Sprintf("%d of %d claims released within %s (%.0f%%); flagged from %d%% with at least %d claims",
		r.Churned, r.Claims, cfg.ChurnWindow, 100*r.Rate, cfg.ChurnPercent, cfg.ChurnMinClaims)
	return r
}

// ChurnByRep computes Churn for every rep of claims, ordered by rep id.
func ChurnByRep(claims []ClaimRecord, cfg Config) []ChurnReport {
	by := map[int64][]ClaimRecord{}
	for _, c := range claims {
		by[c.RepID] = append(by[c.RepID], c)
	}
	out := make([]ChurnReport, 0, len(by))
	for id, cs := range by {
		r := Churn(cs, cfg)
		r.RepID = id
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ChurnReport) int { return cmp.Compare(a.RepID, b.RepID) })
	return out
}

package compete

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// RepStats are one rep's measures for the weekly tier ranking (S-COMP-2).
type RepStats struct {
	RepID int64 `json:"rep_id"`
	// Conversion is the rate of claimed leads converted to opportunities, 0–1.
	Conversion float64 `json:"conversion"`
	// Attainment is quota attainment as a fraction (1 = 100% of quota).
	Attainment float64 `json:"attainment"`
	// ResponseTime is the rep's typical (e.g. median) time from assignment or claim to first
	// contact; faster is better. 0 means no data and ranks slowest.
	ResponseTime time.Duration `json:"response_time"`
	// Onboarding is true for reps not yet fully competitive (Tenure.Ranked is false): they are
	// not ranked and get cfg.UnrankedTier, without taking a place in the split.
	Onboarding bool `json:"onboarding,omitempty"`
}

// Placement is one rep's result of RankTiers, with the figures that explain it (S-DIST-11).
type Placement struct {
	RepID int64 `json:"rep_id"`
	Tier  int   `json:"tier"`
	// Ranked is false for onboarding reps, which get cfg.UnrankedTier.
	Ranked bool `json:"ranked"`
	// Rank is the 1-based position among the ranked reps (0 when not ranked).
	Rank int `json:"rank,omitempty"`
	// Score is the composite, 0 (last on every measure) to 1 (first on every measure); the
	// three percentiles are the per-measure positions on the same scale.
	Score      float64 `json:"score"`
	Conversion float64 `json:"conversion_percentile"`
	Attainment float64 `json:"attainment_percentile"`
	Speed      float64 `json:"speed_percentile"`
	Reason     string  `json:"reason"`
}

// RankTiers places reps into tiers from their weekly measures (S-COMP-2).
//
// Composite. Each of the three measures is turned into a percentile rank among the ranked reps:
// (reps strictly worse + ½·reps equal) / (n − 1), so the best rep scores 1, the worst 0, and
// equal values share a position. A missing value (NaN or negative rate, zero or negative
// response time) ranks worst. The composite is the weighted average of the three percentiles
// with cfg.RankWeights (default: plain average). It is computed in exact integers, so ties are
// real ties, and ties are broken by rep id, lower first. Response speed is ranked so that the
// shorter time is better.
//
// Split. With n ranked reps, tier t receives n·Percent_t/100 reps rounded by largest remainder
// (Hamilton), remainders tied in favour of the better tier. If that leaves tier 1 empty although
// it has a positive share (very small teams), the best rep moves up to tier 1, taken from the
// tier furthest above its exact share; so every tier stays within one rep of its exact share.
// With the default 25/50/25: 1 rep → 1/0/0, 2 → 1/1/0, 3 → 1/1/1, 4 → 1/2/1, 5 → 1/3/1,
// 8 → 2/4/2, 10 → 3/5/2.
//
// Onboarding reps (RepStats.Onboarding) are not ranked: S-COMP-7 says performance affects tier
// placement only from week 13, so they neither take a place in the split nor get pushed to the
// bottom; they get cfg.UnrankedTier (default 2, the neutral middle). Rep ids are expected to be
// unique; a repeated id is ignored after its first occurrence.
//
// The result lists the ranked reps best first, then the unranked reps by id.
func RankTiers(stats []RepStats, cfg Config) []Placement {
	seen := make(map[int64]bool, len(stats))
	var ranked, unranked []RepStats
	for _, s := range stats {
		if seen[s.RepID] {
			continue
		}
		seen[s.RepID] = true
		if s.Onboarding {
			unranked = append(unranked, s)
		} else {
			ranked = append(ranked, s)
		}
	}
	n := len(ranked)
	w := cfg.RankWeights
	if w.Conversion < 0 || w.Attainment < 0 || w.Speed < 0 || w.Conversion+w.Attainment+w.Speed == 0 {
		w = RankWeights{1, 1, 1}
	}
	// Per-measure positions in half-steps: 2·worse + equal, out of 2(n−1).
	conv := positions(ranked, func(s RepStats) float64 { return orWorst(s.Conversion) })
	att := positions(ranked, func(s RepStats) float64 { return orWorst(s.Attainment) })
	speed := positions(ranked, func(s RepStats) float64 {
		if s.ResponseTime <= 0 {
			return math.Inf(-1)
		}
		return -float64(s.ResponseTime) // shorter is better
	})
	type row struct {
		s                   RepStats
		conv, att, speed, c int64
	}
	rows := make([]row, n)
	for i, s := range ranked {
		rows[i] = row{s: s, conv: conv[i], att: att[i], speed: speed[i],
			c: int64(w.Conversion)*conv[i] + int64(w.Attainment)*att[i] + int64(w.Speed)*speed[i]}
	}
	slices.SortFunc(rows, func(a, b row) int {
		if c := cmp.Compare(b.c, a.c); c != 0 {
			return c
		}
		return cmp.Compare(a.s.RepID, b.s.RepID)
	})
	counts := TierCounts(n, cfg)
	span := float64(2 * max(n-1, 0))
	frac := func(v int64) float64 {
		if span == 0 {
			return 1
		}
		return float64(v) / span
	}
	out := make([]Placement, 0, len(stats))
	tier, left := 1, 0
	if len(counts) > 0 {
		left = counts[0]
	}
	for i, r := range rows {
		for left == 0 && tier < len(counts) {
			tier++
			left = counts[tier-1]
		}
		left--
		p := Placement{RepID: r.s.RepID, Tier: tier, Ranked: true, Rank: i + 1,
			Conversion: frac(r.conv), Attainment: frac(r.att), Speed: frac(r.speed)}
		p.Score = frac(r.c) / float64(w.Conversion+w.Attainment+w.Speed)
		p.Reason = fmt.Sprintf("rank %d of %d: composite %.2f (conversion %.2f, quota attainment %.2f, response speed %.2f) → tier %d of %d",
			p.Rank, n, p.Score, p.Conversion, p.Attainment, p.Speed, tier, len(counts))
		out = append(out, p)
	}
	slices.SortFunc(unranked, func(a, b RepStats) int { return cmp.Compare(a.RepID, b.RepID) })
	ut := cfg.tier(cfg.UnrankedTier)
	for _, s := range unranked {
		out = append(out, Placement{RepID: s.RepID, Tier: ut, Ranked: false,
			Reason: fmt.Sprintf("in onboarding: not ranked until fully competitive; placed in tier %d", ut)})
	}
	return out
}

// TierMap returns the tier of every rep of a ranking.
func TierMap(ps []Placement) map[int64]int {
	m := make(map[int64]int, len(ps))
	for _, p := range ps {
		m[p.RepID] = p.Tier
	}
	return m
}

// orWorst maps "no data" (NaN, negative) to a value below every valid rate.
func orWorst(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return math.Inf(-1)
	}
	return v
}

// positions returns, for each rep, 2·(reps with a strictly lower value) + (other reps with an
// equal value).
func positions(rs []RepStats, value func(RepStats) float64) []int64 {
	n := len(rs)
	idx := make([]int, n)
	vals := make([]float64, n)
	for i := range rs {
		idx[i], vals[i] = i, value(rs[i])
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(vals[a], vals[b]) })
	out := make([]int64, n)
	for lo := 0; lo < n; {
		hi := lo
		for hi < n && vals[idx[hi]] == vals[idx[lo]] {
			hi++
		}
		for k := lo; k < hi; k++ {
			out[idx[k]] = int64(2*lo + (hi - lo - 1))
		}
		lo = hi
	}
	return out
}

// TierCounts returns how many of n ranked reps each tier receives, tier 1 first (see RankTiers).
func TierCounts(n int, cfg Config) []int {
	k := len(cfg.Tiers)
	if k == 0 {
		return nil
	}
	counts := make([]int, k)
	if n <= 0 {
		return counts
	}
	total := 0
	for _, t := range cfg.Tiers {
		total += max(t.Percent, 0)
	}
	if total == 0 {
		counts[0] = n
		return counts
	}
	// Hamilton: floors, then the largest remainders (better tier first on ties).
	rem := make([]int, k)
	given := 0
	for i, t := range cfg.Tiers {
		p := max(t.Percent, 0)
		counts[i] = n * p / total
		rem[i] = n * p % total
		given += counts[i]
	}
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rem[b], rem[a]) })
	for i := 0; given < n; i++ {
		counts[order[i%k]]++
		given++
	}
	// Tier 1 is never empty when it has a share: the donor is the tier furthest above its exact
	// share (count·total − n·p largest; better tier on ties).
	if counts[0] == 0 && cfg.Tiers[0].Percent > 0 {
		donor, best := -1, 0
		for j := 1; j < k; j++ {
			if counts[j] == 0 {
				continue
			}
			over := counts[j]*total - n*max(cfg.Tiers[j].Percent, 0)
			if donor < 0 || over > best {
				donor, best = j, over
			}
		}
		if donor > 0 {
			counts[donor]--
			counts[0]++
		}
	}
	return counts
}

package score

import (
	"math"
	"slices"
	"time"

	"github.com/leadflow/leadflow"
)

// DecayResolution is how often a decaying score is refreshed: Result.RescoreAt is at most this far
// ahead while any counted hit still decays (S-SCORE-4, S-SCORE-7).
const DecayResolution = time.Hour

// Result is a lead's score with its explanation (S-SCORE-5, S-SCORE-9).
type Result struct {
	// Fit, Engagement and Total are rounded to 2 decimals; Total = Fit + Engagement.
	Fit        float64 `json:"fit"`
	Engagement float64 `json:"engagement"`
	Total      float64 `json:"total"`
	// Grade is the letter grade of Fit; Band the band of Total.
	Grade        string `json:"grade"`
	Band         string `json:"band"`
	ModelVersion int    `json:"model_version"`
	// Contributions lists the rules with a non-zero count: fit rules first, then behaviour rules,
	// each in model order.
	Contributions []Contribution `json:"contributions"`
	// RescoreAt is the next time the score would change without new input: the earliest expiry of
	// a counted hit or, while a counted hit decays, now + DecayResolution, whichever is earlier.
	// It is zero when the score never changes by itself.
	RescoreAt time.Time `json:"rescore_at,omitzero"`
}

// Contribution explains what one rule adds to a score (S-SCORE-9).
type Contribution struct {
	RuleID   string `json:"rule_id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Category string `json:"category,omitempty"`
	// BasePoints is the rule's points per hit.
	BasePoints float64 `json:"base_points"`
	// Count is the number of hits counted; 1 for a fit rule.
	Count int `json:"count"`
	// Points is what the rule adds now, after decay and max_points (2 decimals).
	Points float64 `json:"points"`
	// Decayed is the points lost to decay before max_points applies (2 decimals); it has the sign
	// of BasePoints.
	Decayed float64 `json:"decayed,omitempty"`
	// Capped reports whether max_points cut the rule's sum.
	Capped bool `json:"capped,omitempty"`
	// LastAt is the newest counted hit of a behaviour rule.
	LastAt *time.Time `json:"last_at,omitempty"`
}

// Score returns the stored form of r, scored at scoredAt (S-SCORE-5).
func (r Result) Score(scoredAt time.Time) leadflow.Score {
	return leadflow.Score{Fit: r.Fit, Engagement: r.Engagement, Total: r.Total, Grade: r.Grade,
		Band: r.Band, ModelVersion: r.ModelVersion, ScoredAt: scoredAt}
}

// Record applies one event to a lead's hit state (S-SCORE-2, S-SCORE-4): for every behaviour rule
// the event matches, the event time (unix ms) is inserted in time order, hits that expired at now
// are dropped and only the newest the rule can count are kept (max_count, or MaxHits without
// one). It updates hits in place, allocating it when nil, and returns it with the ids of the
// matched rules in model order. A matching event that is already expired still counts as matched
// but adds no hit.
func (c *Compiled) Record(hits leadflow.RuleHits, ev *leadflow.Event, now time.Time) (leadflow.RuleHits, []string) {
	if hits == nil {
		hits = leadflow.RuleHits{}
	}
	var matched []string
	at, nowMs := ev.OccurredAt.UnixMilli(), now.UnixMilli()
	for _, r := range c.byEvent[ev.Type] {
		if allHold(r.event, ev) {
			hits[r.ID] = r.insert(hits[r.ID], at, nowMs)
			matched = append(matched, r.ID)
		}
	}
	return hits, matched
}

// HitsFromEvents rebuilds a lead's hit state from its full event list, in any order, as if each
// event had been recorded at now (used after a model change, S-SCORE-8).
func (c *Compiled) HitsFromEvents(events []leadflow.Event, now time.Time) leadflow.RuleHits {
	hits := leadflow.RuleHits{}
	for i := range events {
		hits, _ = c.Record(hits, &events[i], now)
	}
	return hits
}

// Evaluate computes the score of a lead at now from its fields and its hit state (S-SCORE-1 …
// S-SCORE-5, S-SCORE-9). Hits of rules the model does not have are ignored.
func (c *Compiled) Evaluate(lead *leadflow.Lead, hits leadflow.RuleHits, now time.Time) Result {
	// At most one contribution per fit rule and per behaviour rule with hits: allocate once.
	behaviors := min(len(hits), len(c.behavior))
	res := Result{ModelVersion: c.model.Version, Contributions: make([]Contribution, 0, len(c.fit)+behaviors)}
	lasts := make([]time.Time, 0, behaviors)
	for _, r := range c.fit {
		if allHold(r.lead, lead) {
			con := r.contribution(1, 1)
			res.Fit += con.Points
			res.Contributions = append(res.Contributions, con)
		}
	}
	nowMs := now.UnixMilli()
	for _, r := range c.behavior {
		counted := r.counted(hits[r.ID], nowMs)
		if len(counted) == 0 {
			continue
		}
		weight := r.weight(counted, nowMs)
		con := r.contribution(len(counted), weight)
		lasts = append(lasts, time.UnixMilli(counted[len(counted)-1]).UTC())
		con.LastAt = &lasts[len(lasts)-1]
		res.Engagement += con.Points
		res.Contributions = append(res.Contributions, con)
		res.RescoreAt = earliest(res.RescoreAt, r.nextChange(counted, weight, now))
	}
	res.Fit, res.Engagement = round2(res.Fit), round2(res.Engagement)
	res.Total = round2(res.Fit + res.Engagement)
	res.Grade, res.Band = c.Grade(res.Fit), c.Band(res.Total)
	return res
}

// Grade returns the letter grade of a fit score: the first grade whose min_fit it reaches, or the
// last (worst) grade (S-SCORE-5).
func (c *Compiled) Grade(fit float64) string {
	for _, g := range c.grades {
		if fit >= g.MinFit {
			return g.Grade
		}
	}
	return c.grades[len(c.grades)-1].Grade
}

// Band returns the band of a total score: hot, warm or cold (S-SCORE-5).
func (c *Compiled) Band(total float64) string {
	switch {
	case total >= c.bands.Hot:
		return BandHot
	case total >= c.bands.Warm:
		return BandWarm
	}
	return BandCold
}

// insert adds a hit at time at to the ascending hit times ts, then drops the hits expired at now
// and the oldest beyond what the rule keeps.
func (r *rule) insert(ts []int64, at, now int64) []int64 {
	i, _ := slices.BinarySearch(ts, at)
	ts = slices.Insert(ts, i, at)
	return slices.Delete(ts, 0, max(r.expired(ts, now), len(ts)-r.keep, 0))
}

// counted returns the hits of ts the rule counts at now: the newest unexpired ones, at most keep.
func (r *rule) counted(ts []int64, now int64) []int64 {
	ts = ts[r.expired(ts, now):]
	return ts[max(len(ts)-r.keep, 0):]
}

// expired returns how many of the ascending hit times ts are older than expire_days at now.
func (r *rule) expired(ts []int64, now int64) int {
	if r.expireMs == 0 {
		return 0
	}
	n, _ := slices.BinarySearch(ts, now-r.expireMs)
	return n
}

// weight returns the number of hits ts is worth at now after decay: each hit counts
// 0.5^(age/half-life), a hit in the future counts 1.
func (r *rule) weight(ts []int64, now int64) float64 {
	if r.halfLifeMs == 0 {
		return float64(len(ts))
	}
	var w float64
	for _, t := range ts {
		w += math.Exp2(-float64(max(now-t, 0)) / r.halfLifeMs)
	}
	return w
}

// contribution explains the rule for count hits worth weight hits after decay, applying
// max_points to the absolute sum.
func (r *rule) contribution(count int, weight float64) Contribution {
	points := r.Points * weight
	capped := r.MaxPoints > 0 && math.Abs(points) > r.MaxPoints
	decayed := r.Points*float64(count) - points
	if capped {
		points = math.Copysign(r.MaxPoints, points)
	}
	return Contribution{RuleID: r.ID, Name: r.Name, Kind: r.Kind, Category: r.Category,
		BasePoints: r.Points, Count: count, Points: round2(points), Decayed: round2(decayed), Capped: capped}
}

// nextChange returns when the contribution of the counted hits, worth weight after decay, next
// changes by itself: the oldest hit expiring, or the next decay step while the decayed sum still
// shows at 2 decimals. It is zero when it never changes.
func (r *rule) nextChange(counted []int64, weight float64, now time.Time) time.Time {
	var next time.Time
	if r.expireMs > 0 {
		next = time.UnixMilli(counted[0] + r.expireMs + 1).UTC()
	}
	if r.halfLifeMs > 0 && round2(r.Points*weight) != 0 {
		next = earliest(next, now.Add(DecayResolution).UTC())
	}
	return next
}

// earliest returns the earlier of a and b, treating the zero time as never.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

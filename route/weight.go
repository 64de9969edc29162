// Package route is the pure distribution math behind leadflow's push routing (S-DIST): the weight
// formulas a routing rule can select (S-DIST-3), the weighted rotation that turns weights into a
// sequence of assignments with at most one lead of deviation from every rep's exact share
// (S-DIST-1, S-DIST-2, S-DIST-2a), largest-remainder apportionment and the what-if simulation
// (S-SIM-1), and quota-progressive weekly allocation (S-DIST-8). It does no I/O and reads no clock:
// time, rep figures and rotation state are passed in, and the rotation state is a plain value the
// store persists and updates atomically.
//
// Rates (conversion, win rate, quota attainment, disqualification rate) are fractions: 40% is 0.40.
package route

import (
	"math"
	"time"
)

// Tier weights of 001's simple ratio weighting (S-DIST-3): Tier 1 (senior / top performers) = 3,
// Tier 2 (standard / mid performers) = 2, Tier 3 (junior / new hires) = 1.
const (
	Tier1Weight = 3.0
	Tier2Weight = 2.0
	Tier3Weight = 1.0
)

// TierWeight returns the default static weight of tier 1, 2 or 3 (S-DIST-3); ok is false for any
// other tier.
func TierWeight(tier int) (w float64, ok bool) {
	switch tier {
	case 1:
		return Tier1Weight, true
	case 2:
		return Tier2Weight, true
	case 3:
		return Tier3Weight, true
	}
	return 0, false
}

// Level is a rep's rung on 001's career ladder (S-REP-1).
type Level string

// The career-ladder levels of S-REP-1 and their default weights in S-DIST-3.
const (
	LevelSenior   Level = "senior"   // Senior AE, weight 2.5
	LevelStandard Level = "standard" // Standard AE, weight 2.0
	LevelMid      Level = "mid"      // Mid-level AE, weight 1.5
	LevelJunior   Level = "junior"   // Junior AE, weight 1.0
	LevelNewHire  Level = "new_hire" // new hire in ramp-up, weight 0.5
)

// Levels lists the career-ladder levels from the top (S-REP-1).
func Levels() []Level {
	return []Level{LevelSenior, LevelStandard, LevelMid, LevelJunior, LevelNewHire}
}

// LevelWeight returns the default static weight of a career level (S-DIST-3, 001's ladder:
// Senior 2.5, Standard 2.0, Mid 1.5, Junior 1.0, new hire 0.5); ok is false for an unknown level.
func LevelWeight(l Level) (w float64, ok bool) {
	switch l {
	case LevelSenior:
		return 2.5, true
	case LevelStandard:
		return 2.0, true
	case LevelMid:
		return 1.5, true
	case LevelJunior:
		return 1.0, true
	case LevelNewHire:
		return 0.5, true
	}
	return 0, false
}

// Normalized is the performance weight rate / team average (S-DIST-3): 40% against a 25% team
// average is 1.6, the average rep is 1.0. A team average ≤ 0 means nobody has converted yet, so
// every rep is average and the weight is 1.
func Normalized(rate, teamAvg float64) float64 {
	if !(teamAvg > 0) {
		return 1
	}
	return nonNeg(rate) / teamAvg
}

// NormalizedAll returns Normalized for every rate against the set's own mean (S-DIST-3): the
// team average is the arithmetic mean of rates.
func NormalizedAll(rates []float64) []float64 {
	avg := Mean(rates)
	out := make([]float64, len(rates))
	for i, r := range rates {
		out[i] = Normalized(r, avg)
	}
	return out
}

// Proportional is the performance weight rate / lowest rate in the team (S-DIST-3): with rates
// 40%, 25% and 10% the weights are 4.0, 2.5 and 1.0. A lowest rate ≤ 0 leaves the ratio undefined
// and gives 0; ProportionalAll therefore divides by the lowest positive rate.
func Proportional(rate, lowest float64) float64 {
	if !(lowest > 0) {
		return 0
	}
	return nonNeg(rate) / lowest
}

// ProportionalAll returns Proportional for every rate against the lowest positive rate of the set
// (S-DIST-3). A rep with a zero rate gets 0 (a Floor keeps such reps in the rotation).
func ProportionalAll(rates []float64) []float64 {
	lowest := LowestPositive(rates)
	out := make([]float64, len(rates))
	for i, r := range rates {
		out[i] = Proportional(r, lowest)
	}
	return out
}

// tierEpsilon absorbs floating-point noise at the Tiered boundaries, so a rate computed as
// 0.1+0.2 still counts as exactly 30%.
const tierEpsilon = 1e-9

// Tiered is 001's simplified performance weight (S-DIST-3): a rate above 30% weighs 3, a rate from
// 20% to 30% weighs 2 and a rate below 20% weighs 1. The seed's wording makes both boundaries
// belong to the middle band: exactly 30% is not "> 30%", so it weighs 2, and exactly 20% is not
// "< 20%", so it weighs 2 as well. Differences under 1e-9 are treated as equal.
func Tiered(rate float64) float64 {
	switch {
	case rate > 0.30+tierEpsilon:
		return 3
	case rate >= 0.20-tierEpsilon:
		return 2
	default:
		return 1
	}
}

// Percentile is 001's percentile weight, percentile rank / 50 (S-DIST-3): the median rep (rank 50)
// weighs 1.0, rank 100 weighs 2.0 and rank 10 weighs 0.2. The rank is clamped to 0–100.
func Percentile(rank float64) float64 {
	return math.Min(nonNeg(rank), 100) / 50
}

// PercentileRank is the mid-rank percentile of value within all (S-DIST-3): the percentage of
// values below it plus half of those equal to it, so a team's median is 50 and nobody is ranked
// exactly 0 or 100. With no values it returns 50.
func PercentileRank(value float64, all []float64) float64 {
	if len(all) == 0 {
		return 50
	}
	var below, equal int
	for _, v := range all {
		switch {
		case v < value:
			below++
		case v == value:
			equal++
		}
	}
	return 100 * (float64(below) + 0.5*float64(equal)) / float64(len(all))
}

// SquareRoot is 001's dampened scaling √x (S-DIST-3): four times the performance gives twice the
// weight. Negative x gives 0.
func SquareRoot(x float64) float64 { return math.Sqrt(nonNeg(x)) }

// Capped is MIN(x, max) (S-DIST-3; 001 caps at 2.0 so nobody gets more than twice the average).
func Capped(x, max float64) float64 { return math.Min(x, max) }

// Clamped is MIN(MAX(x, lo), hi) (S-DIST-3; 001 clamps to 0.5–2.0, at most a 4× spread).
func Clamped(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }

// Floor is MAX(x, min) (S-DIST-3): 001 floors its 0.4 weight to 0.5 so every rep keeps
// meaningful volume.
func Floor(x, min float64) float64 { return math.Max(x, min) }

// DefaultCapacityMin is 001's suggested minimum capacity weight (0.3) so that busy top performers
// still get some flow (S-DIST-3).
const DefaultCapacityMin = 0.3

// AtCapacity reports whether a rep with active open opportunities has reached its capacity
// threshold (S-DIST-7). A threshold ≤ 0 means no threshold is configured.
func AtCapacity(active, threshold float64) bool {
	return threshold > 0 && active >= threshold
}

// Capacity is 001's pipeline-load weight 1 − active/threshold with a minimum (S-DIST-3, S-DIST-7).
// With a threshold of 50 opportunities, 20 active gives 0.6, 10 active gives 0.8 and 50 active
// gives 0: a rep at or over capacity gets no new leads (001: "an Kapazität, keine neuen Leads"),
// and the minimum does not lift that. Below capacity the weight never drops under min (001's
// mitigation, e.g. 0.3, so that a rep with a full but not overflowing pipeline keeps some flow):
// 40 of 50 active gives 0.2, raised to 0.3. A threshold ≤ 0 means no threshold and gives 1.
func Capacity(active, threshold, min float64) float64 {
	if !(threshold > 0) {
		return 1
	}
	if AtCapacity(active, threshold) {
		return 0
	}
	return math.Max(1-nonNeg(active)/threshold, min)
}

// LoadRatio is the capacity factor of 001's composite example, the team's average active
// opportunities / the rep's (S-DIST-3): 30 active against a 40 average is 1.33, a rep with a
// lighter pipeline than average weighs more. An empty pipeline counts as one opportunity so the
// ratio stays finite; a team average ≤ 0 gives 1. (001's separate pipeline-load table — 20 active
// → 1.0, 40 → 0.5, 10 → 1.5 — follows no single formula: 20/active would give 2.0 for 10; the
// composite example's ratio is the one leadflow implements, next to Capacity.)
func LoadRatio(active, teamAvg float64) float64 {
	if !(teamAvg > 0) {
		return 1
	}
	return teamAvg / math.Max(active, 1)
}

// DefaultFullTimeHours is the working week that counts as one FTE (S-DIST-3).
const DefaultFullTimeHours = 40

// FTE is the availability weight hours / full-time hours (S-DIST-3): 40 h = 1.0, 30 h = 0.75,
// 20 h = 0.5. A fullTime ≤ 0 uses DefaultFullTimeHours.
func FTE(hours, fullTime float64) float64 {
	if !(fullTime > 0) {
		fullTime = DefaultFullTimeHours
	}
	return nonNeg(hours) / fullTime
}

// Experience is the experience factor of 001's composite example, tenure / team average tenure
// (S-DIST-3): 3 years against a 2-year average is 1.5. A team average ≤ 0 gives 1.
func Experience(years, teamAvg float64) float64 {
	if !(teamAvg > 0) {
		return 1
	}
	return nonNeg(years) / teamAvg
}

// Absence is a vacation or out-of-office range [Start, End) (S-REP-2).
type Absence struct {
	Start time.Time `json:"start" yaml:"start"`
	End   time.Time `json:"end" yaml:"end"`
}

// AwayAt reports whether at falls inside one of the absences (S-REP-2); an away rep's weight is 0
// (S-DIST-3: vacation = 0).
func AwayAt(absences []Absence, at time.Time) bool {
	for _, a := range absences {
		if !at.Before(a.Start) && at.Before(a.End) {
			return true
		}
	}
	return false
}

// Vacation is the availability factor of S-DIST-3: 0 while the rep is away, 1 otherwise.
func Vacation(away bool) float64 {
	if away {
		return 0
	}
	return 1
}

// DefaultProbationDays is the new-hire probation of S-DIST-5: reps in their first 90 days get the
// standard allocation regardless of performance weighting.
const DefaultProbationDays = 90

// InProbation reports whether a rep hired at hired is still within days (DefaultProbationDays when
// ≤ 0) of probation at time at (S-DIST-5).
func InProbation(hired, at time.Time, days int) bool {
	if days <= 0 {
		days = DefaultProbationDays
	}
	return !hired.IsZero() && at.Before(hired.AddDate(0, 0, days))
}

// Mix holds the factor weights of a composite weight (S-DIST-3).
type Mix struct {
	Performance float64 `json:"performance" yaml:"performance"`
	Capacity    float64 `json:"capacity" yaml:"capacity"`
	Experience  float64 `json:"experience" yaml:"experience"`
}

// DefaultMix is 001's composite: 0.5 × performance + 0.3 × capacity + 0.2 × experience.
var DefaultMix = Mix{Performance: 0.5, Capacity: 0.3, Experience: 0.2}

// Composite is 001's composite weight m.Performance × perf + m.Capacity × capacity +
// m.Experience × experience (S-DIST-3). 001's Rep A — 40% conversion against a 25% average
// (1.6), 30 active opportunities against a 40 average (LoadRatio 1.33) and 3 years against a
// 2-year average (1.5) — weighs 0.8 + 0.4 + 0.3 = 1.5 with DefaultMix.
func Composite(perf, capacity, experience float64, m Mix) float64 {
	return m.Performance*perf + m.Capacity*capacity + m.Experience*experience
}

// Defaults of the disqualification-rate penalty (S-DIST-3, S-HEALTH-2; 001: "aggressive
// disqualification" — a rep keeps a high conversion rate by disqualifying leads quickly).
const (
	// DefaultDisqualificationThreshold: disqualifying up to 40% of assigned leads is not penalized.
	DefaultDisqualificationThreshold = 0.40
	// DefaultDisqualificationPenalty: the most the penalty takes off the weight (at a 100% rate).
	DefaultDisqualificationPenalty = 0.50
)

// DisqualificationFactor is the multiplier that penalizes an excessive disqualification rate
// (S-DIST-3, 001). Up to threshold it is 1; above it the weight falls linearly with the excess,
// reaching 1 − penalty when every assigned lead is disqualified:
//
//	factor = 1 − penalty × (rate − threshold) / (1 − threshold)
//
// With the defaults (threshold 0.40, penalty 0.50) a 70% disqualification rate multiplies the
// weight by 0.75. The ramp has no cliff, so a rep gains nothing by sitting just under the
// threshold. threshold is clamped to [0, 1) and penalty to [0, 1].
func DisqualificationFactor(rate, threshold, penalty float64) float64 {
	threshold = Clamped(threshold, 0, 0.999999)
	penalty = Clamped(penalty, 0, 1)
	rate = Clamped(rate, 0, 1)
	if rate <= threshold {
		return 1
	}
	return 1 - penalty*(rate-threshold)/(1-threshold)
}

// Mean returns the arithmetic mean of xs, or 0 when xs is empty.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Median returns the middle value of sorted (ascending) (the mean of the two middle values for
// an even count), or 0 when xs is empty.
func Median(sorted []float64) float64 {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// LowestPositive returns the smallest positive value of xs, or 0 when there is none; it is the
// divisor of ProportionalAll (S-DIST-3).
func LowestPositive(xs []float64) float64 {
	lo := 0.0
	for _, x := range xs {
		if x > 0 && (lo == 0 || x < lo) {
			lo = x
		}
	}
	return lo
}

// nonNeg maps negative numbers and NaN to 0.
func nonNeg(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return x
}

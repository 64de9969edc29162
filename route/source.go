package route

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/leadflow/leadflow"
)

// Metric names the performance figure a performance weight is computed from (S-DIST-3 "metric
// choice", S-REP-3).
type Metric string

// The performance metrics of S-DIST-3.
const (
	MetricLeadToOpportunity  Metric = "lead_to_opportunity"  // lead → opportunity conversion (default)
	MetricOpportunityToClose Metric = "opportunity_to_close" // opportunity → won
	MetricLeadToClose        Metric = "lead_to_close"        // lead → won
	MetricQuotaAttainment    Metric = "quota_attainment"     // attainment, 1.0 = 100% of quota
)

// Metrics lists the performance metrics a Source may select (S-DIST-3).
func Metrics() []Metric {
	return []Metric{MetricLeadToOpportunity, MetricOpportunityToClose, MetricLeadToClose, MetricQuotaAttainment}
}

// Rates holds a rep's derived performance figures over the rolling window (S-REP-3), as fractions.
type Rates struct {
	LeadToOpportunity  float64 `json:"lead_to_opportunity" yaml:"lead_to_opportunity"`
	OpportunityToClose float64 `json:"opportunity_to_close" yaml:"opportunity_to_close"`
	LeadToClose        float64 `json:"lead_to_close" yaml:"lead_to_close"`
	QuotaAttainment    float64 `json:"quota_attainment" yaml:"quota_attainment"`
	// Disqualification is the share of assigned leads the rep disqualified (001's gaming signal).
	Disqualification float64 `json:"disqualification" yaml:"disqualification"`
}

// Get returns the figure named by m; an empty metric means MetricLeadToOpportunity (S-DIST-3).
func (r Rates) Get(m Metric) float64 {
	switch m {
	case MetricOpportunityToClose:
		return r.OpportunityToClose
	case MetricLeadToClose:
		return r.LeadToClose
	case MetricQuotaAttainment:
		return r.QuotaAttainment
	}
	return r.LeadToOpportunity
}

// rateFields addresses each field of Rates, for FillTeam.
var rateFields = []func(*Rates) *float64{
	func(r *Rates) *float64 { return &r.LeadToOpportunity },
	func(r *Rates) *float64 { return &r.OpportunityToClose },
	func(r *Rates) *float64 { return &r.LeadToClose },
	func(r *Rates) *float64 { return &r.QuotaAttainment },
	func(r *Rates) *float64 { return &r.Disqualification },
}

// Team holds the team-wide figures that performance, load and experience weights are relative to
// (S-DIST-3).
type Team struct {
	Average                    Rates   `json:"average" yaml:"average"`
	Lowest                     Rates   `json:"lowest" yaml:"lowest"` // lowest positive value of each rate
	AverageActiveOpportunities float64 `json:"average_active_opportunities" yaml:"average_active_opportunities"`
	AverageTenureYears         float64 `json:"average_tenure_years" yaml:"average_tenure_years"`
}

// RepStats is everything a weight source may need about one rep at one moment (S-REP-1, S-REP-2,
// S-REP-3). Team and Percentiles are relative to the rep's team; FillTeam computes them.
type RepStats struct {
	ID     string  `json:"id" yaml:"id"`
	Static float64 `json:"static,omitempty" yaml:"static,omitempty"` // configured weight
	Tier   int     `json:"tier,omitempty" yaml:"tier,omitempty"`
	Level  Level   `json:"level,omitempty" yaml:"level,omitempty"`
	Rates  Rates   `json:"rates" yaml:"rates"`
	// Percentiles holds the percentile rank (0–100) of each rate within the team.
	Percentiles         Rates   `json:"percentiles" yaml:"percentiles"`
	ActiveOpportunities float64 `json:"active_opportunities" yaml:"active_opportunities"`
	// CapacityThreshold is the number of active opportunities at which the rep is full; 0 = none.
	CapacityThreshold float64 `json:"capacity_threshold,omitempty" yaml:"capacity_threshold,omitempty"`
	// WeeklyHours is the rep's selling hours per week; 0 counts as full time.
	WeeklyHours float64 `json:"weekly_hours,omitempty" yaml:"weekly_hours,omitempty"`
	TenureYears float64 `json:"tenure_years" yaml:"tenure_years"`
	Away        bool    `json:"away,omitempty" yaml:"away,omitempty"`           // on vacation or out of office now (S-REP-2)
	Probation   bool    `json:"probation,omitempty" yaml:"probation,omitempty"` // in the first 90 days (S-DIST-5)
	Team        Team    `json:"team" yaml:"team"`
}

// FillTeam computes the team figures over reps — the average and lowest positive value of each
// rate, the average active opportunities and tenure — and every rep's percentile rank of each
// rate, and stores them in each element (S-DIST-3).
func FillTeam(reps []RepStats) {
	if len(reps) == 0 {
		return
	}
	var t Team
	col := make([]float64, len(reps))
	for _, f := range rateFields {
		for i := range reps {
			col[i] = *f(&reps[i].Rates)
		}
		*f(&t.Average) = Mean(col)
		*f(&t.Lowest) = LowestPositive(col)
		for i := range reps {
			*f(&reps[i].Percentiles) = PercentileRank(col[i], col)
		}
	}
	for i := range reps {
		col[i] = reps[i].ActiveOpportunities
	}
	t.AverageActiveOpportunities = Mean(col)
	for i := range reps {
		col[i] = reps[i].TenureYears
	}
	t.AverageTenureYears = Mean(col)
	for i := range reps {
		reps[i].Team = t
	}
}

// Kind names a weight formula (S-DIST-3).
type Kind string

// The weight formulas a Source can select (S-DIST-3).
const (
	KindEqual        Kind = "equal"        // every rep 1: plain round-robin (S-DIST-1)
	KindStatic       Kind = "static"       // RepStats.Static, the configured number
	KindTier         Kind = "tier"         // by tier: 3 / 2 / 1
	KindLevel        Kind = "level"        // by career level: 2.5 / 2.0 / 1.5 / 1.0 / 0.5
	KindNormalized   Kind = "normalized"   // metric / team average
	KindProportional Kind = "proportional" // metric / lowest positive team metric
	KindTiered       Kind = "tiered"       // > 30% → 3, 20–30% → 2, < 20% → 1
	KindPercentile   Kind = "percentile"   // percentile rank / 50
	KindCapacity     Kind = "capacity"     // 1 − active / threshold, with CapacityMin
	KindFTE          Kind = "fte"          // weekly hours / full-time hours
	KindComposite    Kind = "composite"    // Mix of normalized metric, load ratio and experience
)

// Kinds lists every weight formula (S-DIST-3).
func Kinds() []Kind {
	return []Kind{KindEqual, KindStatic, KindTier, KindLevel, KindNormalized, KindProportional,
		KindTiered, KindPercentile, KindCapacity, KindFTE, KindComposite}
}

// performance reports whether k weighs reps by performance, which probation overrides (S-DIST-5).
func (k Kind) performance() bool {
	switch k {
	case KindNormalized, KindProportional, KindTiered, KindPercentile, KindComposite:
		return true
	}
	return false
}

// Dampen names a dampening applied to the raw weight (S-DIST-3).
type Dampen string

// The dampenings of S-DIST-3.
const (
	DampenNone Dampen = ""     // linear
	DampenSqrt Dampen = "sqrt" // square root: 4× performance → 2× weight
)

// Penalty configures the disqualification-rate penalty (S-DIST-3, 001's aggressive
// disqualification); see DisqualificationFactor.
type Penalty struct {
	Threshold float64 `json:"threshold" yaml:"threshold"` // rate tolerated without penalty (0.40)
	Penalty   float64 `json:"penalty" yaml:"penalty"`     // weight taken off at a 100% rate (0.50)
}

// DefaultPenalty is the disqualification penalty with its documented defaults.
var DefaultPenalty = Penalty{Threshold: DefaultDisqualificationThreshold, Penalty: DefaultDisqualificationPenalty}

// Source describes how a routing rule weighs reps (S-DIST-3): which formula, on which metric,
// with which dampening, bounds and penalty. It is configuration: the zero value of each optional
// field means "not used" (Min 0 = no floor, Max 0 = no cap). Compute applies, in order:
//
//  1. availability: an away rep (S-REP-2) or a rep at its capacity threshold (S-DIST-7) weighs 0,
//     whatever the formula and floor;
//  2. the formula of Kind; for performance formulas a rep in probation (S-DIST-5) is computed on
//     the team-average metric (percentile rank 50), i.e. gets the standard allocation;
//  3. Dampen;
//  4. the disqualification Penalty, if set (not during probation);
//  5. Min (floor) then Max (cap) — together the 0.5–2.0 clamp of 001;
//  6. ScaleByHours: × FTE.
type Source struct {
	Kind   Kind   `json:"kind" yaml:"kind"`
	Metric Metric `json:"metric,omitempty" yaml:"metric,omitempty"` // performance metric; default lead_to_opportunity
	// TierWeights overrides the default tier weights (1 → 3, 2 → 2, 3 → 1) for KindTier.
	TierWeights map[int]float64 `json:"tier_weights,omitempty" yaml:"tier_weights,omitempty"`
	// LevelWeights overrides the default career-level weights for KindLevel.
	LevelWeights map[Level]float64 `json:"level_weights,omitempty" yaml:"level_weights,omitempty"`
	Dampen       Dampen            `json:"dampen,omitempty" yaml:"dampen,omitempty"`
	Min          float64           `json:"min,omitempty" yaml:"min,omitempty"` // floor; 0 = none
	Max          float64           `json:"max,omitempty" yaml:"max,omitempty"` // cap; 0 = none
	// CapacityMin is the minimum weight of a rep below capacity for KindCapacity (e.g. 0.3).
	CapacityMin float64 `json:"capacity_min,omitempty" yaml:"capacity_min,omitempty"`
	// FullTimeHours is the week that counts as one FTE; 0 means 40.
	FullTimeHours float64 `json:"full_time_hours,omitempty" yaml:"full_time_hours,omitempty"`
	// ScaleByHours multiplies the weight by the rep's FTE, so part-timers get proportionally less.
	ScaleByHours bool `json:"scale_by_hours,omitempty" yaml:"scale_by_hours,omitempty"`
	// Mix weighs the composite's factors; nil means DefaultMix (0.5 / 0.3 / 0.2).
	Mix *Mix `json:"mix,omitempty" yaml:"mix,omitempty"`
	// Disqualification enables the disqualification-rate penalty; nil means none.
	Disqualification *Penalty `json:"disqualification_penalty,omitempty" yaml:"disqualification_penalty,omitempty"`
}

// maxConfigWeight bounds configured weights and bounds; far above any sensible routing weight.
const maxConfigWeight = MaxWeight

// Validate reports every problem of s as field errors under "source" (S-DIST-3).
func (s Source) Validate() error {
	if fe := s.Check("source"); len(fe) > 0 {
		return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid weight source", Fields: fe}
	}
	return nil
}

// Check returns the problems of s as field errors whose paths start with prefix, so that a routing
// rule can embed a Source and report "rules[2].weights.max" (S-DIST-3).
func (s Source) Check(prefix string) []leadflow.FieldError {
	var fe []leadflow.FieldError
	add := func(field, reason string) {
		fe = append(fe, leadflow.FieldError{Field: prefix + "." + field, Reason: reason})
	}
	weight := func(field string, v float64) {
		if math.IsNaN(v) || v < 0 || v > maxConfigWeight {
			add(field, fmt.Sprintf("must be a number from 0 to %g", float64(maxConfigWeight)))
		}
	}
	if !slices.Contains(Kinds(), s.Kind) {
		add("kind", fmt.Sprintf("unknown weight source %q; use one of %s", s.Kind, joinKinds(Kinds())))
	}
	if s.Metric != "" && !slices.Contains(Metrics(), s.Metric) {
		var names []string
		for _, m := range Metrics() {
			names = append(names, string(m))
		}
		add("metric", fmt.Sprintf("unknown metric %q; use one of %s", s.Metric, strings.Join(names, ", ")))
	}
	for _, t := range sortedKeys(s.TierWeights) {
		if t < 1 {
			add(fmt.Sprintf("tier_weights.%d", t), "tiers are numbered from 1")
		}
		weight(fmt.Sprintf("tier_weights.%d", t), s.TierWeights[t])
	}
	for _, l := range sortedKeys(s.LevelWeights) {
		if _, ok := LevelWeight(l); !ok {
			add("level_weights."+string(l), "unknown level; use senior, standard, mid, junior or new_hire")
		}
		weight("level_weights."+string(l), s.LevelWeights[l])
	}
	if s.Dampen != DampenNone && s.Dampen != DampenSqrt {
		add("dampen", fmt.Sprintf("unknown dampening %q; use sqrt or leave empty", s.Dampen))
	}
	weight("min", s.Min)
	weight("max", s.Max)
	if s.Min > 0 && s.Max > 0 && s.Min > s.Max {
		add("min", "must not be greater than max")
	}
	if math.IsNaN(s.CapacityMin) || s.CapacityMin < 0 || s.CapacityMin > 1 {
		add("capacity_min", "must be from 0 to 1")
	}
	if math.IsNaN(s.FullTimeHours) || s.FullTimeHours < 0 || s.FullTimeHours > 168 {
		add("full_time_hours", "must be from 0 to 168 (0 means 40)")
	}
	if m := s.Mix; m != nil {
		weight("mix.performance", m.Performance)
		weight("mix.capacity", m.Capacity)
		weight("mix.experience", m.Experience)
		if !(m.Performance+m.Capacity+m.Experience > 0) {
			add("mix", "at least one factor must have a positive weight")
		}
	}
	if p := s.Disqualification; p != nil {
		if math.IsNaN(p.Threshold) || p.Threshold < 0 || p.Threshold >= 1 {
			add("disqualification_penalty.threshold", "must be at least 0 and below 1")
		}
		if math.IsNaN(p.Penalty) || p.Penalty < 0 || p.Penalty > 1 {
			add("disqualification_penalty.penalty", "must be from 0 to 1")
		}
	}
	return fe
}

// Compute returns the weight of the rep described by in (S-DIST-3), in the order documented on
// Source. The result is finite and ≥ 0; a Source that fails Validate yields 0 for unknown kinds.
func (s Source) Compute(in RepStats) float64 {
	if in.Away || AtCapacity(in.ActiveOpportunities, in.CapacityThreshold) {
		return 0
	}
	probation := in.Probation && s.Kind.performance()
	metric := in.Rates.Get(s.Metric)
	pct := in.Percentiles.Get(s.Metric)
	if probation {
		metric = in.Team.Average.Get(s.Metric)
		pct = 50
	}
	var w float64
	switch s.Kind {
	case KindEqual:
		w = 1
	case KindStatic:
		w = in.Static
	case KindTier:
		if v, ok := s.TierWeights[in.Tier]; ok {
			w = v
		} else {
			w, _ = TierWeight(in.Tier)
		}
	case KindLevel:
		if v, ok := s.LevelWeights[in.Level]; ok {
			w = v
		} else {
			w, _ = LevelWeight(in.Level)
		}
	case KindNormalized:
		w = Normalized(metric, in.Team.Average.Get(s.Metric))
	case KindProportional:
		w = Proportional(metric, in.Team.Lowest.Get(s.Metric))
	case KindTiered:
		w = Tiered(metric)
	case KindPercentile:
		w = Percentile(pct)
	case KindCapacity:
		w = Capacity(in.ActiveOpportunities, in.CapacityThreshold, s.CapacityMin)
	case KindFTE:
		w = FTE(hoursOrFull(in.WeeklyHours, s.FullTimeHours), s.FullTimeHours)
	case KindComposite:
		m := DefaultMix
		if s.Mix != nil {
			m = *s.Mix
		}
		w = Composite(
			Normalized(metric, in.Team.Average.Get(s.Metric)),
			LoadRatio(in.ActiveOpportunities, in.Team.AverageActiveOpportunities),
			Experience(in.TenureYears, in.Team.AverageTenureYears), m)
	}
	if s.Dampen == DampenSqrt {
		w = SquareRoot(w)
	}
	if p := s.Disqualification; p != nil && !probation {
		w *= DisqualificationFactor(in.Rates.Disqualification, p.Threshold, p.Penalty)
	}
	if s.Min > 0 {
		w = Floor(w, s.Min)
	}
	if s.Max > 0 {
		w = Capped(w, s.Max)
	}
	if s.ScaleByHours {
		w *= FTE(hoursOrFull(in.WeeklyHours, s.FullTimeHours), s.FullTimeHours)
	}
	if !(w > 0) || math.IsInf(w, 0) {
		return 0
	}
	return w
}

// Weights fills the team figures of a copy of reps (FillTeam) and returns each rep's weight under
// s, keyed by rep id (S-DIST-3). The map is ready for Rotation.Next.
func (s Source) Weights(reps []RepStats) map[string]float64 {
	c := slices.Clone(reps)
	FillTeam(c)
	out := make(map[string]float64, len(c))
	for _, r := range c {
		out[r.ID] = s.Compute(r)
	}
	return out
}

// hoursOrFull treats unset weekly hours as a full week.
func hoursOrFull(hours, fullTime float64) float64 {
	if hours > 0 {
		return hours
	}
	if fullTime > 0 {
		return fullTime
	}
	return DefaultFullTimeHours
}

func joinKinds(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func sortedKeys[K ~int | ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

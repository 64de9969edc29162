package service

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/route"
)

// Recalculation cadences of performance-derived weights (S-DIST-4).
const (
	CadenceRolling   = "rolling"       // daily, over the rolling window
	CadenceMonthly   = "monthly"       // on the first recalculation of each calendar month (UTC)
	CadenceQuarterly = "quarterly"     // on the first recalculation of each calendar quarter (UTC)
	CadenceEveryN    = "every_n_leads" // after every N routed leads
)

// Store keys of the recalculation policy and the frozen performance figures.
const (
	settingRecalc       = "routing.recalculation"
	settingPerfSnapshot = "routing.performance_snapshot"
)

// RecalcPolicy says when performance-derived weights are recalculated (S-DIST-4). Between
// recalculations, routing uses the figures frozen at the last one, so a rep's weight moves on a
// schedule a sales manager can predict, not with every closed deal. Triggers force an early
// recalculation when the frozen figures no longer describe the team.
type RecalcPolicy struct {
	Cadence string `json:"cadence" yaml:"cadence"`
	// EveryLeads is N for the every_n_leads cadence.
	EveryLeads int `json:"every_leads,omitempty" yaml:"every_leads,omitempty"`
	// WindowDays is the rolling window the figures are computed over (S-REP-3; default 90).
	WindowDays int `json:"window_days" yaml:"window_days"`
	// MaxChange clamps how far one recalculation may move a rep's rates, relative to the frozen
	// value (0.25 = at most ±25% per recalculation); 0 = unclamped. Weight sources keep their own
	// min/max clamps on the resulting weights.
	MaxChange float64 `json:"max_change" yaml:"max_change"`
	// RateTrigger recalculates early when a rep's rate moved more than this fraction of its frozen
	// value (001: 20%); it counts only reps with at least MinLeads leads in the window.
	RateTrigger float64 `json:"rate_trigger" yaml:"rate_trigger"`
	MinLeads    int     `json:"min_leads" yaml:"min_leads"`
	// TeamTrigger recalculates early when reps join, leave, or are (de)activated.
	TeamTrigger bool `json:"team_trigger" yaml:"team_trigger"`
	// MixTrigger recalculates early when the lead source mix of the last 30 days differs from the
	// frozen mix by more than this total variation distance (0–1), over at least 50 MQLs.
	MixTrigger float64 `json:"mix_trigger" yaml:"mix_trigger"`
}

// DefaultRecalcPolicy recalculates daily over a rolling 90-day window with 001's 20% trigger.
func DefaultRecalcPolicy() RecalcPolicy {
	return RecalcPolicy{Cadence: CadenceRolling, WindowDays: 90, RateTrigger: 0.20, MinLeads: 10, TeamTrigger: true, MixTrigger: 0.20}
}

// mixMinimum is the number of MQLs the source-mix trigger needs before it compares mixes.
const mixMinimum = 50

// mixWindow is the span of recent MQLs whose source mix the mix trigger compares.
const mixWindow = 30 * 24 * time.Hour

// Validate names every bad field of p.
func (p RecalcPolicy) Validate() error {
	var fe []leadflow.FieldError
	bad := func(field, reason string) { fe = append(fe, leadflow.FieldError{Field: field, Reason: reason}) }
	if !slices.Contains([]string{CadenceRolling, CadenceMonthly, CadenceQuarterly, CadenceEveryN}, p.Cadence) {
		bad("cadence", "must be rolling, monthly, quarterly or every_n_leads")
	}
	if p.Cadence == CadenceEveryN && (p.EveryLeads < 1 || p.EveryLeads > 1_000_000) {
		bad("every_leads", "must be 1 to 1,000,000 with the every_n_leads cadence")
	}
	if p.WindowDays < 1 || p.WindowDays > 3660 {
		bad("window_days", "must be 1 to 3660 days")
	}
	for _, f := range []struct {
		name string
		v    float64
		max  float64
	}{{"max_change", p.MaxChange, 10}, {"rate_trigger", p.RateTrigger, 10}, {"mix_trigger", p.MixTrigger, 1}} {
		if !(f.v >= 0 && f.v <= f.max) {
			bad(f.name, fmt.Sprintf("must be a number from 0 to %g (0 = off)", f.max))
		}
	}
	if p.MinLeads < 0 || p.MinLeads > 1_000_000 {
		bad("min_leads", "must be 0 to 1,000,000")
	}
	if len(fe) > 0 {
		return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid recalculation policy", Fields: fe}
	}
	return nil
}

// PerformanceSnapshot is the set of figures performance-derived weights use until the next
// recalculation (S-DIST-4).
type PerformanceSnapshot struct {
	At      time.Time `json:"at"`
	Trigger string    `json:"trigger"`
	// Rates holds each rep's frozen rates and the number of leads they are computed from.
	Rates map[int64]FrozenRates `json:"rates"`
	// ActiveReps are the ids of the active reps at the time (for the team trigger).
	ActiveReps []int64 `json:"active_reps"`
	// SourceMix is the share of each lead source among the MQLs of the 30 days before.
	SourceMix map[string]float64 `json:"source_mix,omitempty"`
}

// FrozenRates are one rep's rates in a snapshot: the rates routing uses (after the max_change
// clamp) and the rates observed at the time, which the rate trigger compares with, so that a
// clamped rate does not retrigger at every check.
type FrozenRates struct {
	Leads    int         `json:"leads"`
	Rates    route.Rates `json:"rates"`
	Observed route.Rates `json:"observed"`
}

// RecalcResult reports one recalculation: why it ran (empty when nothing was due) and the
// weight changes it recorded.
type RecalcResult struct {
	Trigger  string                  `json:"trigger,omitempty"`
	At       time.Time               `json:"at"`
	Changes  []leadflow.WeightChange `json:"changes"`
	Snapshot *PerformanceSnapshot    `json:"snapshot,omitempty"`
}

// RecalcPolicy returns the active recalculation policy.
func (s *Service) RecalcPolicy() RecalcPolicy {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.recalc
}

// PutRecalcPolicy validates and stores the recalculation policy; it applies from the next check.
func (s *Service) PutRecalcPolicy(ctx context.Context, p RecalcPolicy) (RecalcPolicy, error) {
	if err := p.Validate(); err != nil {
		return RecalcPolicy{}, err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return RecalcPolicy{}, err
	}
	if err := s.store.Write(ctx, func(tx leadflow.Tx) error { return tx.PutSetting(ctx, settingRecalc, body) }); err != nil {
		return RecalcPolicy{}, err
	}
	s.mu.Lock()
	s.recalc = p
	s.mu.Unlock()
	return p, nil
}

// PerformanceSnapshot returns the figures routing currently uses, or nil before the first
// recalculation.
func (s *Service) PerformanceSnapshot() *PerformanceSnapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.frozen
}

// RecalculateWeights checks the cadence and the triggers and, when one is due (or force is set),
// freezes fresh performance figures and records every performance-derived weight that changed,
// with its inputs, in the weight change log — in one transaction (S-DIST-4).
func (s *Service) RecalculateWeights(ctx context.Context, a Actor, force bool) (*RecalcResult, error) {
	policy := s.RecalcPolicy()
	window := time.Duration(policy.WindowDays) * 24 * time.Hour
	s.recalcMu.Lock() // one recalculation at a time per node; the store write is the commit point
	defer s.recalcMu.Unlock()
	var res RecalcResult
	err := s.store.Write(ctx, func(tx leadflow.Tx) error {
		now := s.clock.Now()
		res = RecalcResult{At: now, Changes: []leadflow.WeightChange{}}
		old, err := loadSnapshot(ctx, tx)
		if err != nil {
			return err
		}
		live, err := s.performance(ctx, tx, window, now)
		if err != nil {
			return err
		}
		mix, mqls, err := sourceMix(ctx, tx, now)
		if err != nil {
			return err
		}
		reps, err := tx.Reps(ctx)
		if err != nil {
			return err
		}
		var active []int64
		for _, r := range reps {
			if r.Active {
				active = append(active, r.ID)
			}
		}
		trigger, err := s.recalcDue(ctx, tx, policy, old, live, active, mix, mqls, now)
		if err != nil {
			return err
		}
		if trigger == "" && force {
			trigger = "requested by " + a.Name
		}
		if trigger == "" {
			return nil
		}
		next := &PerformanceSnapshot{At: now, Trigger: trigger, Rates: map[int64]FrozenRates{}, ActiveReps: active, SourceMix: mix}
		for _, p := range live {
			rates := p.Rates
			if old != nil && policy.MaxChange > 0 {
				if prev, ok := old.Rates[p.RepID]; ok {
					rates = clampRates(prev.Rates, rates, policy.MaxChange)
				}
			}
			next.Rates[p.RepID] = FrozenRates{Leads: p.Leads, Rates: rates, Observed: p.Rates}
		}
		res.Trigger, res.Snapshot = trigger, next
		res.Changes = s.weightDiff(reps, live, old, next, a, trigger, now)
		body, err := json.Marshal(next)
		if err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, settingPerfSnapshot, body); err != nil {
			return err
		}
		return tx.InsertWeightChanges(ctx, res.Changes...)
	})
	if err != nil {
		return nil, err
	}
	if res.Snapshot != nil {
		s.mu.Lock()
		s.frozen = res.Snapshot
		s.mu.Unlock()
	}
	return &res, nil
}

// recalcDue returns why a recalculation is due now, or "" (S-DIST-4).
func (s *Service) recalcDue(ctx context.Context, tx leadflow.ReadTx, p RecalcPolicy, old *PerformanceSnapshot, live []RepPerformance, active []int64, mix map[string]float64, mqls int, now time.Time) (string, error) {
	if old == nil {
		return "first calculation", nil
	}
	switch p.Cadence {
	case CadenceRolling:
		if now.Sub(old.At) >= 24*time.Hour {
			return "daily rolling-window recalculation", nil
		}
	case CadenceMonthly:
		if y, m, _ := now.UTC().Date(); y != old.At.UTC().Year() || m != old.At.UTC().Month() {
			return "monthly recalculation", nil
		}
	case CadenceQuarterly:
		q := func(t time.Time) int { return t.UTC().Year()*4 + (int(t.UTC().Month())-1)/3 }
		if q(now) != q(old.At) {
			return "quarterly recalculation", nil
		}
	case CadenceEveryN:
		counts, err := tx.AssignmentCounts(ctx, old.At)
		if err != nil {
			return "", err
		}
		var n int64
		for _, c := range counts {
			n += c
		}
		if n >= int64(p.EveryLeads) {
			return fmt.Sprintf("%d leads routed since the last recalculation", n), nil
		}
	}
	if p.TeamTrigger && !slices.Equal(active, old.ActiveReps) {
		return "trigger: the team changed (reps joined, left or were deactivated)", nil
	}
	if p.RateTrigger > 0 {
		for _, rp := range live {
			prev, ok := old.Rates[rp.RepID]
			if !ok || rp.Leads < p.MinLeads || prev.Leads < p.MinLeads {
				continue
			}
			for _, m := range route.Metrics() {
				was, is := prev.Observed.Get(m), rp.Rates.Get(m)
				if moved(was, is) > p.RateTrigger {
					return fmt.Sprintf("trigger: %s's %s moved from %.3g to %.3g (more than %g%%)", rp.Name, m, was, is, p.RateTrigger*100), nil
				}
			}
		}
	}
	if p.MixTrigger > 0 && mqls >= mixMinimum && len(old.SourceMix) > 0 {
		if d := variationDistance(old.SourceMix, mix); d > p.MixTrigger {
			return fmt.Sprintf("trigger: the lead source mix shifted (total variation %.2f)", d), nil
		}
	}
	return "", nil
}

// moved is the relative change from was to is; any change from zero counts as a full move.
func moved(was, is float64) float64 {
	if was == 0 {
		if is == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return math.Abs(is-was) / was
}

// clampRates limits each rate to within max (relative) of its previous value.
func clampRates(prev, next route.Rates, max float64) route.Rates {
	c := func(was, is float64) float64 {
		if was == 0 {
			return is
		}
		return round6(route.Clamped(is, was*(1-max), was*(1+max)))
	}
	return route.Rates{
		LeadToOpportunity:  c(prev.LeadToOpportunity, next.LeadToOpportunity),
		OpportunityToClose: c(prev.OpportunityToClose, next.OpportunityToClose),
		LeadToClose:        c(prev.LeadToClose, next.LeadToClose),
		QuotaAttainment:    c(prev.QuotaAttainment, next.QuotaAttainment),
		Disqualification:   c(prev.Disqualification, next.Disqualification),
	}
}

// sourceMix is the share of each lead source among the MQLs of the last 30 days.
func sourceMix(ctx context.Context, tx leadflow.ReadTx, now time.Time) (map[string]float64, int, error) {
	changes, err := tx.StageChanges(ctx, leadflow.StageMQL, now.Add(-mixWindow), now.Add(time.Second))
	if err != nil {
		return nil, 0, err
	}
	if len(changes) == 0 {
		return nil, 0, nil
	}
	mix := map[string]float64{}
	for _, c := range changes {
		mix[strings.ToLower(c.Source)]++
	}
	for k := range mix {
		mix[k] = round6(mix[k] / float64(len(changes)))
	}
	return mix, len(changes), nil
}

// variationDistance is the total variation distance of two distributions: half the sum of the
// absolute differences, 0 (same) to 1 (disjoint).
func variationDistance(a, b map[string]float64) float64 {
	d := 0.0
	for k, v := range a {
		d += math.Abs(v - b[k])
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			d += v
		}
	}
	return d / 2
}

// weightDiff computes, for every rule with a performance-derived weight source, each active
// destination rep's weight under the old and the new figures, and returns the changes with the
// inputs they came from (S-DIST-4).
func (s *Service) weightDiff(reps []leadflow.Rep, live []RepPerformance, old, next *PerformanceSnapshot, a Actor, trigger string, now time.Time) []leadflow.WeightChange {
	s.mu.RLock()
	rules := s.routing
	s.mu.RUnlock()
	perf := make(map[int64]RepPerformance, len(live))
	for _, p := range live {
		perf[p.RepID] = p
	}
	out := []leadflow.WeightChange{}
	for _, r := range rules {
		if r.Source == nil {
			continue
		}
		var members []*leadflow.Rep
		for i := range reps {
			if reps[i].Active && r.includes(&reps[i]) {
				members = append(members, &reps[i])
			}
		}
		before := r.Source.Weights(sourceStats(members, frozenPerf(perf, old), now))
		afterStats := sourceStats(members, frozenPerf(perf, next), now)
		after := r.Source.Weights(afterStats)
		for _, st := range afterStats {
			was, is := 0.0, round6(after[st.ID])
			if old != nil {
				was = round6(before[st.ID])
			}
			if was == is {
				continue
			}
			id, _ := strconv.ParseInt(st.ID, 10, 64)
			inputs, _ := json.Marshal(map[string]any{
				"rule": r.ID, "source": r.Source.Kind, "metric": r.Source.Metric,
				"rates": st.Rates, "team_average": st.Team.Average, "percentiles": st.Percentiles,
				"active_opportunities": st.ActiveOpportunities, "probation": st.Probation,
			})
			out = append(out, leadflow.WeightChange{RepID: id, At: now, Actor: a.Name, Field: "weight:" + r.ID,
				Old: formatWeight(was, old != nil), New: formatWeight(is, true), Reason: trigger, Inputs: inputs})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].RepID < out[j].RepID })
	return out
}

func formatWeight(w float64, known bool) string {
	if !known {
		return ""
	}
	return strconv.FormatFloat(w, 'f', -1, 64)
}

// frozenPerf overlays a snapshot's frozen rates on live figures (capacity and probation stay
// live: they change by the hour, not with the recalculation cadence).
func frozenPerf(live map[int64]RepPerformance, snap *PerformanceSnapshot) map[int64]RepPerformance {
	if snap == nil {
		return live
	}
	out := make(map[int64]RepPerformance, len(live))
	for id, p := range live {
		if f, ok := snap.Rates[id]; ok {
			p.Rates = f.Rates
		}
		out[id] = p
	}
	return out
}

// sourceStats builds the weight-source inputs (S-DIST-3) of reps from their figures, with the team
// figures relative to reps.
func sourceStats(reps []*leadflow.Rep, perf map[int64]RepPerformance, now time.Time) []route.RepStats {
	stats := make([]route.RepStats, 0, len(reps))
	for _, rep := range reps {
		p := perf[rep.ID]
		st := route.RepStats{ID: strconv.FormatInt(rep.ID, 10), Rates: p.Rates, ActiveOpportunities: float64(p.ActiveOpportunities), Probation: p.Probation,
			Static: rep.StaticWeight, Tier: rep.Tier, Level: route.Level(rep.Level), CapacityThreshold: float64(rep.CapacityThreshold), WeeklyHours: rep.WeeklyHours}
		if rep.HireDate != nil {
			st.TenureYears = now.Sub(*rep.HireDate).Hours() / 24 / 365.25
		}
		stats = append(stats, st)
	}
	route.FillTeam(stats)
	return stats
}

// loadSnapshot reads the frozen performance figures, or nil before the first recalculation.
func loadSnapshot(ctx context.Context, tx leadflow.ReadTx) (*PerformanceSnapshot, error) {
	b, err := tx.Setting(ctx, settingPerfSnapshot)
	if err != nil || b == nil {
		return nil, err
	}
	var snap PerformanceSnapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return nil, fmt.Errorf("performance snapshot: %w", err)
	}
	return &snap, nil
}

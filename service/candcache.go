package service

import (
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/leadflow/leadflow"
)

// A rule's candidates — who is eligible, why the others are not, and the weights — stay the same
// from one decision to the next as long as nothing they depend on changes. For a rule whose
// eligibility depends only on the reps' settings, absences and working hours (not on counts read
// from the store: caps, capacity, weekly allocations; not on the lead: territories; not on
// performance figures: weight sources), they are computed once and reused by every decision
// until the routing configuration is reloaded or the next moment one of its reps' eligibility
// could change: an absence starting or ending, or the next minute for a working-hours rule.
// A team of 20 reps is then decided without re-examining 20 reps per lead (S-DIST-2a, S-PERF).

// candidateCache holds a compiled rule's latest candidates; shared by every decision of the rule,
// safe for concurrent use (several nodes' decisions on PostgreSQL run in parallel).
type candidateCache struct {
	latest atomic.Pointer[candidateSnapshot]
}

// candidateSnapshot is a rule's candidates, valid for decisions at times in [from, until) under
// the routing configuration cfg. It is never modified: decisions copy the list and only read the
// weights.
type candidateSnapshot struct {
	cfg         *routingConfig
	from, until time.Time
	decisions   []RepDecision
	weights     map[string]float64
}

// cachedCandidates returns the rule's cached candidates for this decision: a copy of the list (the
// decision annotates it) and the shared, read-only weights; ok is false when there are none valid.
func (e *routingEnv) cachedCandidates(r compiledRule) ([]RepDecision, map[string]float64, bool) {
	if r.candidates == nil || len(e.exclude) > 0 {
		return nil, nil, false
	}
	sn := r.candidates.latest.Load()
	if sn == nil || sn.cfg != e.cfg || e.now.Before(sn.from) || !e.now.Before(sn.until) {
		return nil, nil, false
	}
	out := (*decisionBufs.Get().(*[]RepDecision))[:0]
	return append(out, sn.decisions...), sn.weights, true
}

// keepCandidates stores the candidates just computed for r, when they may be reused: the rule's
// eligibility depends only on time and settings (see above), and this decision excluded nobody
// on its own account (e.g. the rep that missed an SLA).
func (e *routingEnv) keepCandidates(r compiledRule, decisions []RepDecision, weights map[string]float64) {
	if r.candidates == nil || len(e.exclude) > 0 {
		return
	}
	until := e.now.Add(candidatesFor)
	for i := range e.reps {
		rep := &e.reps[i]
		if !r.includes(rep) {
			continue
		}
		if rep.DailyCap > 0 || rep.WeeklyCap > 0 || rep.CapacityThreshold > 0 {
			return // eligibility reads assignment or opportunity counts: decided afresh every time
		}
		if r.WorkingHours && rep.WorkingHours != nil {
			until = minTime(until, e.now.Truncate(time.Minute).Add(time.Minute)) // hours are checked to the minute
		}
		until = minTime(until, nextAbsenceChange(rep, e.now))
	}
	r.candidates.latest.Store(&candidateSnapshot{cfg: e.cfg, from: e.now, until: until,
		decisions: slices.Clone(decisions), weights: maps.Clone(weights)})
}

// candidatesFor bounds how long candidates are reused even when nothing is due to change.
const candidatesFor = time.Hour

// cachesCandidates reports whether a rule's candidates can be kept at all (see above).
func cachesCandidates(r RoutingRule) bool {
	return (r.Method == MethodRoundRobin || r.Method == MethodWeighted) && !r.Territory && r.Source == nil
}

// nextAbsenceChange is the first moment after now at which one of the rep's absences starts or
// ends (far in the future when none does).
func nextAbsenceChange(rep *leadflow.Rep, now time.Time) time.Time {
	next := now.Add(candidatesFor)
	for _, a := range rep.Absences {
		switch {
		case now.Before(a.From):
			next = minTime(next, a.From)
		case now.Before(a.To):
			next = minTime(next, a.To)
		}
	}
	return next
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

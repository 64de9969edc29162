package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/route"
	"github.com/leadflow/leadflow/score"
)

// Routing methods (S-DIST-1, S-DIST-2, S-DIST-7).
const (
	MethodRoundRobin = "round_robin" // equal shares in rotation
	MethodWeighted   = "weighted"    // shares by weight, within one lead of exact at any time
	MethodCapacity   = "capacity"    // the rep with the most spare capacity; ties rotate
	// MethodQuota gives each rep a weekly allocation by quota attainment — won deals this month
	// over the rep's quota (deals a month): 0–50% → 10 leads, 50–75% → 12, 75–100% → 15, ≥ 100%
	// → 20 (S-DIST-8). A rep whose week's allocation is used is skipped; shares follow allocations.
	MethodQuota = "quota_progressive"
	// MethodPool releases leads to the team's competitive claim pool (S-COMP-1); the first rep to
	// claim wins. A paused team, a team whose mode has no pool, and leads the quality mix holds
	// back are pushed round-robin instead.
	MethodPool = "pool"
	// MethodClaim marks assignments made by a claim from the pool.
	MethodClaim = "claim"
	// MethodManual marks assignments a manager made by hand (Service.Assign).
	MethodManual = "manual"
)

// Weight sources of the weighted method (S-DIST-3, static part).
const (
	WeightsStatic = "static" // each rep's static_weight (unset = 1)
	WeightsLevel  = "level"  // by career level: senior 2.5, standard 2, mid 1.5, junior 1, new hire 0.5
	WeightsTier   = "tier"   // tier 1 = 3, tier 2 = 2, tier 3 = 1
)

// settingRouting is the store key of the routing rules.
const settingRouting = "routing.rules"

// RoutingRule sends the leads it matches to a team or a list of reps by one method (S-DIST). Rules
// are tried in order; the first matching rule with an eligible rep wins, and the last rule must
// match every lead, so a fallback always exists.
type RoutingRule struct {
	ID   string            `json:"id" yaml:"id"`
	Name string            `json:"name,omitempty" yaml:"name,omitempty"`
	When []score.Condition `json:"when,omitempty" yaml:"when,omitempty"`
	// Territory restricts candidates to reps with a territory matching the lead (S-DIST-6).
	Territory bool    `json:"territory,omitempty" yaml:"territory,omitempty"`
	TeamID    int64   `json:"team_id,omitempty" yaml:"team_id,omitempty"`
	RepIDs    []int64 `json:"rep_ids,omitempty" yaml:"rep_ids,omitempty"`
	Method    string  `json:"method" yaml:"method"`
	Weights   string  `json:"weights,omitempty" yaml:"weights,omitempty"`
	// Source computes weighted shares from performance, capacity, hours and experience instead of
	// a static weight (S-DIST-3), over the reps' figures of the last 90 days (S-REP-3); new hires
	// in probation get the team average (S-DIST-5).
	Source *route.Source `json:"source,omitempty" yaml:"source,omitempty"`
	// WorkingHours skips reps outside their working hours (S-REP-2).
	WorkingHours bool `json:"working_hours,omitempty" yaml:"working_hours,omitempty"`
	// SLAMinutes starts a response timer on every assignment (0 = none); a lead not contacted in
	// time is reassigned to another rep, or unassigned with OnSLAMiss "unassign" (S-DIST-10).
	SLAMinutes int    `json:"sla_minutes,omitempty" yaml:"sla_minutes,omitempty"`
	OnSLAMiss  string `json:"on_sla_miss,omitempty" yaml:"on_sla_miss,omitempty"`
	// CatchUpMax turns on the catch-up boost after an absence (S-REP-2): a rep back from an
	// absence is moved up the rotation by the leads it would have had while away, at most this
	// many (0 = off: a returning rep simply resumes its place).
	CatchUpMax float64 `json:"catch_up_max_leads,omitempty" yaml:"catch_up_max_leads,omitempty"`
}

// compiledRule is a rule with its conditions compiled.
type compiledRule struct {
	RoutingRule
	match  *score.LeadMatcher
	repSet map[int64]bool // RepIDs as a set; nil for a team rule
	// pool marks a pool rule, also when its lead is pushed instead: its assignments are the
	// pool's (leadflow.Assignment.Pool).
	pool bool
	// candidates keeps the rule's latest candidates when they can be reused (see candcache.go);
	// nil for rules whose candidates are decided afresh every time. A copy of the rule that
	// changes how candidates are chosen (method, weights, reps) must set it to nil.
	candidates *candidateCache
}

// includes reports whether rep belongs to the rule's destination (its team or rep list).
func (r compiledRule) includes(rep *leadflow.Rep) bool {
	return (r.TeamID == 0 || rep.TeamID == r.TeamID) && (r.repSet == nil || r.repSet[rep.ID])
}

// compileRouting validates rules and compiles their conditions. Errors name the rule's path.
func compileRouting(rules []RoutingRule) ([]compiledRule, error) {
	var fe []leadflow.FieldError
	bad := func(field, reason string) { fe = append(fe, leadflow.FieldError{Field: field, Reason: reason}) }
	out := make([]compiledRule, 0, len(rules))
	seen := map[string]bool{}
	for i, r := range rules {
		at := fmt.Sprintf("rules[%d]", i)
		switch {
		case strings.TrimSpace(r.ID) == "":
			bad(at+".id", "is required")
		case seen[r.ID]:
			bad(at+".id", fmt.Sprintf("%q is used by an earlier rule", r.ID))
		}
		seen[r.ID] = true
		if !slices.Contains([]string{MethodRoundRobin, MethodWeighted, MethodCapacity, MethodQuota, MethodPool}, r.Method) {
			bad(at+".method", "must be round_robin, weighted, capacity, quota_progressive or pool")
		}
		if r.Method == MethodPool && r.TeamID == 0 {
			bad(at+".team_id", "a pool rule sends leads to a team's claim pool: give team_id")
		}
		if r.Weights != "" && (r.Method != MethodWeighted || !slices.Contains([]string{WeightsStatic, WeightsLevel, WeightsTier}, r.Weights)) {
			bad(at+".weights", "applies to the weighted method and must be static, level or tier")
		}
		if r.Source != nil {
			if r.Method != MethodWeighted || r.Weights != "" {
				bad(at+".source", "applies to the weighted method, instead of weights")
			}
			fe = append(fe, r.Source.Check(at+".source")...)
		}
		if (r.TeamID == 0) == (len(r.RepIDs) == 0) {
			bad(at+".team_id", "give exactly one destination: team_id or rep_ids")
		}
		if !(r.CatchUpMax >= 0 && r.CatchUpMax <= route.MaxBoost) {
			bad(at+".catch_up_max_leads", fmt.Sprintf("must be 0 (off) to %d leads", route.MaxBoost))
		}
		if r.SLAMinutes < 0 || r.SLAMinutes > 7*24*60 {
			bad(at+".sla_minutes", "must be 0 (no SLA) to 10080 (a week)")
		}
		if r.OnSLAMiss != "" && r.OnSLAMiss != "reassign" && r.OnSLAMiss != "unassign" {
			bad(at+".on_sla_miss", "must be reassign (default) or unassign")
		}
		m, errs := score.CompileLeadMatcher(at, r.When)
		fe = append(fe, errs...)
		c := compiledRule{RoutingRule: r, match: m, pool: r.Method == MethodPool}
		if cachesCandidates(r) {
			c.candidates = &candidateCache{}
		}
		if len(r.RepIDs) > 0 {
			c.repSet = make(map[int64]bool, len(r.RepIDs))
			for _, id := range r.RepIDs {
				c.repSet[id] = true
			}
		}
		out = append(out, c)
	}
	if n := len(rules); n > 0 && (len(rules[n-1].When) > 0 || rules[n-1].Territory) {
		bad(fmt.Sprintf("rules[%d]", n-1), "the last rule must match every lead (no when, no territory) so that a fallback always exists")
	}
	if len(fe) > 0 {
		return nil, &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid routing rules", Fields: fe}
	}
	return out, nil
}

// RoutingRules returns the active routing rules.
func (s *Service) RoutingRules() []RoutingRule {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]RoutingRule, len(s.routing))
	for i, r := range s.routing {
		out[i] = r.RoutingRule
	}
	return out
}

// PutRoutingRules validates and stores the routing rules; destinations must exist. They take
// effect at once.
func (s *Service) PutRoutingRules(ctx context.Context, rules []RoutingRule) ([]RoutingRule, error) {
	if _, err := compileRouting(rules); err != nil {
		return nil, err
	}
	body, err := json.Marshal(rules)
	if err != nil {
		return nil, err
	}
	err = s.store.Write(ctx, func(tx leadflow.Tx) error {
		var fe []leadflow.FieldError
		for i, r := range rules {
			if r.TeamID != 0 {
				if _, err := tx.Team(ctx, r.TeamID); err != nil {
					fe = append(fe, leadflow.FieldError{Field: fmt.Sprintf("rules[%d].team_id", i), Reason: fmt.Sprintf("no team %d", r.TeamID)})
				}
			}
			for k, id := range r.RepIDs {
				if _, err := tx.Rep(ctx, id); err != nil {
					fe = append(fe, leadflow.FieldError{Field: fmt.Sprintf("rules[%d].rep_ids[%d]", i, k), Reason: fmt.Sprintf("no rep %d", id)})
				}
			}
		}
		if len(fe) > 0 {
			return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid routing rules", Fields: fe}
		}
		return tx.PutSetting(ctx, settingRouting, body)
	})
	if err != nil {
		return nil, err
	}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	return s.RoutingRules(), nil
}

// RepDecision is one candidate of a routing decision: eligible with its weight and standing, or
// excluded with the reason (S-DIST-11).
type RepDecision struct {
	RepID    int64   `json:"rep_id"`
	Name     string  `json:"name"`
	Eligible bool    `json:"eligible"`
	Excluded string  `json:"excluded,omitempty"` // inactive, away, outside working hours, outside territory, at daily cap, at weekly cap, at capacity
	Detail   string  `json:"detail,omitempty"`
	Weight   float64 `json:"weight,omitempty"`
	Share    float64 `json:"share,omitempty"`
	Count    int64   `json:"count,omitempty"`   // leads this rotation gave the rep before
	Deficit  float64 `json:"deficit,omitempty"` // leads behind (+) or ahead (−) of its exact share
	Spare    *int    `json:"spare_capacity,omitempty"`
}

// RuleTry records a matching rule that had no eligible rep.
type RuleTry struct {
	RuleID     string        `json:"rule_id"`
	Candidates []RepDecision `json:"candidates"`
}

// RoutingExplanation is the stored record of a routing decision (S-DIST-11).
type RoutingExplanation struct {
	Summary    string        `json:"summary"`
	RuleID     string        `json:"rule_id"`
	RuleName   string        `json:"rule_name,omitempty"`
	Method     string        `json:"method"`
	Weights    string        `json:"weights,omitempty"`
	Skipped    []RuleTry     `json:"rules_without_eligible_rep,omitempty"`
	Candidates []RepDecision `json:"candidates"`
	// Totals counts the candidates: "eligible" and each exclusion reason. A decision sets it
	// only when it shortens the list; reading an explanation back always fills it.
	Totals map[string]int `json:"totals"`
	// Truncated is true when a large team's candidate list was shortened (see compactCandidates).
	Truncated bool        `json:"truncated,omitempty"`
	Pick      *route.Pick `json:"pick,omitempty"`
	// derived is true when Summary is what summarize writes for the winner: it is then written
	// only when needed (see summaryFor), not stored, and derived again when read.
	derived bool
	// scratch is the reusable candidate list the decision was made on (see release).
	scratch []RepDecision
}

// routeInTx assigns an unowned lead inside the caller's transaction (S-DIST-2a: routing happens in
// the same transaction as the write that triggers it). The lead row is written again with its owner.
// exclude names reps that must not get this lead, with the reason (e.g. a missed SLA).
func (s *Service) routeInTx(ctx context.Context, tx leadflow.Tx, fx *effects, l *leadflow.Lead, a Actor, reason string, now time.Time, exclude map[int64]string) error {
	s.mu.RLock()
	rules := s.routing
	s.mu.RUnlock()
	if len(rules) == 0 || l.OwnerID != 0 {
		return nil
	}
	env, err := s.newRoutingEnv(ctx, tx, now, exclude)
	if err != nil {
		return err
	}
	var tried []RuleTry
	for _, r := range rules {
		if !r.match.Match(l) {
			continue
		}
		if r.Method == MethodPool {
			pooled, push, err := s.poolInTx(ctx, tx, fx, l, r, a, reason, now)
			if err != nil || pooled {
				return err
			}
			r = push // competition paused, off, or the lead held back: pushed instead
		}
		done, err := s.pushByRule(env, fx, l, r, &tried, a, reason)
		if err != nil || done {
			return err
		}
	}
	fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryOwner, Field: "owner",
		Reason: fmt.Sprintf("not routed: no matching rule had an eligible rep (%d rules tried)", len(tried))})
	return nil
}

// pushByRule assigns l to one of r's eligible reps, or records in tried why nobody was eligible.
func (s *Service) pushByRule(env *routingEnv, fx *effects, l *leadflow.Lead, r compiledRule, tried *[]RuleTry, a Actor, reason string) (bool, error) {
	repID, ex, err := s.decide(env, l, r, tried)
	if err != nil || repID == 0 {
		return false, err
	}
	return true, s.assign(env.ctx, env.tx, fx, l, repID, r, ex, a, reason, env.now)
}

// decide picks one of r's eligible reps for l, advancing the rule's rotation, or returns 0 and
// records in tried why nobody was eligible.
func (s *Service) decide(env *routingEnv, l *leadflow.Lead, r compiledRule, tried *[]RuleTry) (int64, *RoutingExplanation, error) {
	decisions, weights, shared, err := env.candidates(r, l)
	if err != nil {
		return 0, nil, err
	}
	if !shared {
		defer func() { clear(weights); weightMaps.Put(weights) }()
	}
	if r.Source != nil && len(weights) > 0 {
		if err := s.sourceWeights(env.ctx, env.tx, r, decisions, weights, env.now); err != nil {
			return 0, nil, err
		}
	}
	if len(weights) == 0 {
		*tried = append(*tried, RuleTry{RuleID: r.ID, Candidates: decisions})
		return 0, nil, nil
	}
	repID, ex, err := s.pick(env, r, decisions, weights)
	if err != nil {
		return 0, nil, err
	}
	ex.Skipped, ex.scratch = *tried, decisions
	return repID, ex, nil
}

// Scratch space of routing decisions, reused between decisions: a decision over 500 reps would
// otherwise allocate a candidate list and a weight map of about 100 KB each time. A candidate
// list goes back once the explanation that lists it is stored (RoutingExplanation.release).
var (
	weightMaps   = sync.Pool{New: func() any { return map[string]float64{} }}
	decisionBufs = sync.Pool{New: func() any { return new([]RepDecision) }}
)

// release hands the explanation's candidate list back for reuse; ex must not be used after.
func (ex *RoutingExplanation) release() {
	if buf := ex.scratch; buf != nil {
		clear(buf)
		buf = buf[:0]
		decisionBufs.Put(&buf)
	}
	ex.scratch, ex.Candidates = nil, nil
}

// summaryFor returns the summary of a decision for winner, writing a derived one on first use
// (before release).
func (ex *RoutingExplanation) summaryFor(winner int64) string {
	if ex.Summary == "" && ex.derived {
		ex.Summary = summarize(ex, winner)
	}
	return ex.Summary
}

// preRouted is the routing decision for a new lead made before its row is written, so that the
// row is stored once, with its owner (see routeNewLead).
type preRouted struct {
	repID int64
	rule  compiledRule
	ex    *RoutingExplanation
}

// routeNewLead decides the owner of a new lead that becomes an MQL as it is created, before its
// row is written (S-DIST-2a: still in the transaction that creates it), and sets l.OwnerID; the
// caller writes the row and then records the assignment with recordAssignment. It decides nothing
// (nil) when the lead's rule is a pool rule (the pool entry needs the lead's id) or no rule has
// an eligible rep: the lead is then routed after its insert as any other.
func (s *Service) routeNewLead(ctx context.Context, tx leadflow.Tx, l *leadflow.Lead, now time.Time) (*preRouted, error) {
	s.mu.RLock()
	rules := s.routing
	s.mu.RUnlock()
	if len(rules) == 0 || l.OwnerID != 0 {
		return nil, nil
	}
	env, err := s.newRoutingEnv(ctx, tx, now, nil)
	if err != nil {
		return nil, err
	}
	var tried []RuleTry
	for _, r := range rules {
		if !r.match.Match(l) {
			continue
		}
		if r.Method == MethodPool {
			return nil, nil
		}
		repID, ex, err := s.decide(env, l, r, &tried)
		if err != nil {
			return nil, err
		}
		if repID != 0 {
			l.OwnerID = repID
			return &preRouted{repID: repID, rule: r, ex: ex}, nil
		}
	}
	return nil, nil
}

// newRoutingEnv prepares one routing decision inside tx.
func (s *Service) newRoutingEnv(ctx context.Context, tx leadflow.Tx, now time.Time, exclude map[int64]string) (*routingEnv, error) {
	cfg, err := s.routingConfigFor(ctx, tx)
	if err != nil {
		return nil, err
	}
	return &routingEnv{ctx: ctx, tx: tx, now: now, cfg: cfg, location: s.location, reps: cfg.reps, territory: cfg.territories, exclude: exclude}, nil
}

// routingEnv caches what eligibility checks read during one decision.
type routingEnv struct {
	ctx       context.Context
	tx        leadflow.Tx
	now       time.Time
	cfg       *routingConfig
	location  func(name string) *time.Location // cached time zones
	reps      []leadflow.Rep
	opps      map[int64]int64
	capSince  map[time.Time]map[int64]int64
	territory map[int64]*leadflow.Territory
	exclude   map[int64]string
	won       *monthWins // deals won this month by owner (quota-progressive)
}

func (e *routingEnv) assignedSince(since time.Time) (map[int64]int64, error) {
	if c, ok := e.capSince[since]; ok {
		return c, nil
	}
	c, err := e.tx.AssignmentCounts(e.ctx, since)
	if e.capSince == nil {
		e.capSince = map[time.Time]map[int64]int64{}
	}
	e.capSince[since] = c
	return c, err
}

// candidates lists every rep of r with its eligibility and the weights of the eligible ones.
// shared weights come from the rule's cache and must only be read.
func (e *routingEnv) candidates(r compiledRule, l *leadflow.Lead) ([]RepDecision, map[string]float64, bool, error) {
	if decisions, weights, ok := e.cachedCandidates(r); ok {
		return decisions, weights, true, nil
	}
	weights := weightMaps.Get().(map[string]float64)
	out := (*decisionBufs.Get().(*[]RepDecision))[:0]
	if cap(out) < len(e.reps) {
		out = make([]RepDecision, 0, len(e.reps))
	}
	for i := range e.reps {
		rep := &e.reps[i]
		if !r.includes(rep) {
			continue
		}
		d := RepDecision{RepID: rep.ID, Name: rep.Name}
		reason, detail, err := e.exclusion(r, rep, l)
		if err != nil {
			return nil, nil, false, err
		}
		if reason != "" {
			d.Excluded, d.Detail = reason, detail
			out = append(out, d)
			continue
		}
		d.Eligible, d.Weight = true, repWeight(r, rep)
		if r.Method == MethodQuota {
			alloc, used, err := e.weeklyAllocation(rep)
			if err != nil {
				return nil, nil, false, err
			}
			if used >= int64(alloc) {
				d.Eligible, d.Weight, d.Excluded, d.Detail = false, 0, "weekly allocation used", fmt.Sprintf("%d of %d leads this week", used, alloc)
				out = append(out, d)
				continue
			}
			d.Weight, d.Detail = float64(alloc), fmt.Sprintf("allocation %d leads a week, %d used", alloc, used)
		}
		if r.Method == MethodCapacity && rep.CapacityThreshold > 0 {
			spare := rep.CapacityThreshold - int(e.opps[rep.ID])
			d.Spare = &spare
		}
		if d.Weight > 0 {
			weights[e.cfg.key(rep.ID)] = d.Weight
		}
		out = append(out, d)
	}
	if r.Method == MethodCapacity { // only the reps with the most spare capacity take part
		best := -1 << 30
		for _, d := range out {
			if d.Eligible && spareOf(d) > best {
				best = spareOf(d)
			}
		}
		for i := range out {
			if out[i].Eligible && spareOf(out[i]) < best {
				delete(weights, e.cfg.key(out[i].RepID))
				out[i].Detail = fmt.Sprintf("less spare capacity than the best (%d)", best)
			}
		}
	}
	e.keepCandidates(r, out, weights)
	return out, weights, false, nil
}

// weeklyAllocation is a rep's quota-progressive allocation this week and how much of it is used
// (S-DIST-8). Attainment is this month's won deals (or their value) over the rep's quota.
func (e *routingEnv) weeklyAllocation(rep *leadflow.Rep) (int, int64, error) {
	if e.won == nil {
		won, err := wonThisMonth(e.ctx, e.tx, e.now)
		if err != nil {
			return 0, 0, err
		}
		e.won = &won
	}
	attainment := rep.Attainment(e.won.deals[rep.ID], e.won.revenue[rep.ID])
	day := time.Date(e.now.Year(), e.now.Month(), e.now.Day(), 0, 0, 0, 0, time.UTC)
	week := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	counts, err := e.assignedSince(week)
	return route.DefaultQuotaLadder.Weekly(attainment), counts[rep.ID], err
}

// spareOf treats a rep without a capacity threshold as having plenty.
func spareOf(d RepDecision) int {
	if d.Spare == nil {
		return 1 << 20
	}
	return *d.Spare
}

// exclusion says why a rep cannot take the lead now, or "" when it can (S-DIST-11 reasons).
func (e *routingEnv) exclusion(r compiledRule, rep *leadflow.Rep, l *leadflow.Lead) (string, string, error) {
	if !rep.Active {
		return "inactive", "", nil
	}
	if why, ok := e.exclude[rep.ID]; ok {
		return why, "", nil
	}
	if ab, away := rep.AwayAt(e.now); away {
		return "away", fmt.Sprintf("%s until %s", orDefault(ab.Reason, "absent"), ab.To.Format(time.RFC3339)), nil
	}
	hours := r.WorkingHours && rep.WorkingHours != nil
	if !hours && rep.DailyCap <= 0 && rep.WeeklyCap <= 0 && !r.Territory && rep.CapacityThreshold <= 0 {
		return "", "", nil // nothing else can exclude the rep
	}
	loc := e.location(rep.Timezone)
	local := e.now.In(loc)
	if hours && !withinHours(rep.WorkingHours, local) {
		return "outside working hours", fmt.Sprintf("%s %s–%s %s, now %s", weekdays(rep.WorkingHours.Days), rep.WorkingHours.Start, rep.WorkingHours.End, loc, local.Format("Mon 15:04")), nil
	}
	if r.Territory {
		ok, err := e.inTerritory(rep, l)
		if err != nil || !ok {
			return "outside territory", "no territory of the rep matches the lead", err
		}
	}
	if rep.DailyCap > 0 || rep.WeeklyCap > 0 {
		day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		if rep.DailyCap > 0 {
			c, err := e.assignedSince(day)
			if err != nil {
				return "", "", err
			}
			if c[rep.ID] >= int64(rep.DailyCap) {
				return "at daily cap", fmt.Sprintf("%d of %d leads today", c[rep.ID], rep.DailyCap), nil
			}
		}
		if rep.WeeklyCap > 0 {
			week := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // Monday
			c, err := e.assignedSince(week)
			if err != nil {
				return "", "", err
			}
			if c[rep.ID] >= int64(rep.WeeklyCap) {
				return "at weekly cap", fmt.Sprintf("%d of %d leads this week", c[rep.ID], rep.WeeklyCap), nil
			}
		}
	}
	if rep.CapacityThreshold > 0 {
		if e.opps == nil {
			var err error
			if e.opps, err = e.tx.OpenOpportunities(e.ctx); err != nil {
				return "", "", err
			}
		}
		if route.AtCapacity(float64(e.opps[rep.ID]), float64(rep.CapacityThreshold)) {
			return "at capacity", fmt.Sprintf("%d of %d active opportunities", e.opps[rep.ID], rep.CapacityThreshold), nil
		}
	}
	return "", "", nil
}

func (e *routingEnv) inTerritory(rep *leadflow.Rep, l *leadflow.Lead) (bool, error) {
	for _, id := range rep.TerritoryIDs {
		if t := e.territory[id]; t != nil && t.Matches(l) {
			return true, nil
		}
	}
	return false, nil
}

func withinHours(wh *leadflow.WorkingHours, local time.Time) bool {
	if !slices.Contains(wh.Days, int(local.Weekday())) {
		return false
	}
	hm := local.Format("15:04")
	return hm >= wh.Start && hm < wh.End
}

func weekdays(days []int) string {
	names := []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	out := make([]string, 0, len(days))
	for _, d := range days {
		if d >= 0 && d < 7 {
			out = append(out, names[d])
		}
	}
	return strings.Join(out, ",")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// repWeight is a rep's weight under the rule's method and weight source (S-DIST-3).
func repWeight(r compiledRule, rep *leadflow.Rep) float64 {
	if r.Method != MethodWeighted {
		return 1
	}
	switch r.Weights {
	case WeightsLevel:
		if w, ok := route.LevelWeight(route.Level(rep.Level)); ok {
			return w
		}
	case WeightsTier:
		if w, ok := route.TierWeight(rep.Tier); ok {
			return w
		}
	default:
		if rep.StaticWeight > 0 {
			return rep.StaticWeight
		}
	}
	return 1
}

// pick advances the rule's rotation, stored in the same transaction, and explains the winner.
// The decoded rotation is cached between decisions. On the embedded store, whose one writer is
// the only one, it is used without reading the stored state while the write epoch holds (no write
// was undone since it was stored); elsewhere it is used only while the stored bytes are the ones
// it was encoded to. Either way a rolled-back write or another node's decision forces a reload.
func (s *Service) pick(env *routingEnv, r compiledRule, decisions []RepDecision, weights map[string]float64) (int64, *RoutingExplanation, error) {
	ctx, tx, now := env.ctx, env.tx, env.now
	key := "rule:" + r.ID
	epoch, exclusive := tx.WriteEpoch()
	s.rotMu.Lock()
	cached := s.rotations[key]
	delete(s.rotations, key) // this decision owns it until it stores the new state
	s.rotMu.Unlock()
	var rot *route.Rotation
	var cands []route.Candidate // the previous decision's, reused
	if cached != nil {
		cands = cached.cands[:0]
	}
	if exclusive && cached != nil && cached.epoch == epoch {
		rot = cached.rot
	} else {
		state, err := tx.Rotation(ctx, key)
		if err != nil {
			return 0, nil, err
		}
		if cached != nil && bytes.Equal(cached.state, state) {
			rot = cached.rot
		} else {
			rot = &route.Rotation{}
			if state != nil {
				if err := rot.UnmarshalBinary(state); err != nil {
					return 0, nil, fmt.Errorf("rotation %s: %w", key, err)
				}
			}
		}
	}
	if r.CatchUpMax > 0 {
		if err := s.catchUp(ctx, tx, r, rot, decisions, weights, now); err != nil {
			return 0, nil, err
		}
	}
	id, pick, cands, err := rot.NextExplained(weights, nil, cands)
	if err != nil {
		return 0, nil, err
	}
	var buf []byte // the previous state's buffer: PutRotation copies or sends what it is given
	if cached != nil {
		buf = cached.state[:0]
	}
	state, err := rot.AppendBinary(buf)
	if err != nil {
		return 0, nil, err
	}
	if err := tx.PutRotation(ctx, key, state); err != nil {
		return 0, nil, err
	}
	var pos map[int64]int // rep id → index in cands, kept while a steady team's cands keep their order
	if cached != nil {
		pos = cached.pos
	}
	for i := range decisions {
		if !decisions[i].Eligible {
			continue
		}
		k, ok := pos[decisions[i].RepID]
		if id := env.cfg.key(decisions[i].RepID); !ok || k >= len(cands) || cands[k].ID != id {
			if k, ok = slices.BinarySearchFunc(cands, id, func(c route.Candidate, id string) int { return strings.Compare(c.ID, id) }); !ok {
				continue // cands are in id order
			}
			if pos == nil {
				pos = make(map[int64]int, len(cands))
			}
			pos[decisions[i].RepID] = k
		}
		c := &cands[k] // shown to 6 decimals (exact figures stay in the rotation and the pick)
		decisions[i].Share, decisions[i].Count, decisions[i].Deficit = round6(c.Share), c.Count, round6(c.Deficit)
	}
	s.rotMu.Lock()
	s.rotations[key] = &cachedRotation{state: state, rot: rot, epoch: epoch, cands: cands, pos: pos}
	s.rotMu.Unlock()
	repID, _ := strconv.ParseInt(id, 10, 64)
	ex := &RoutingExplanation{RuleID: r.ID, RuleName: r.Name, Method: r.Method, Weights: r.Weights, Candidates: decisions, Pick: &pick, derived: true}
	compactCandidates(ex, repID)
	return repID, ex, nil
}

// Explanations of large teams keep what a manager reads: every excluded rep up to maxExcluded,
// then counts by reason, and of the eligible reps the winner and the topEligible furthest behind.
const (
	maxExcluded = 50
	topEligible = 10
)

// compactCandidates trims a large team's candidate list, recording what was left out in Totals.
// The summary of a trimmed list is written first, from the whole list, and kept.
func compactCandidates(ex *RoutingExplanation, winner int64) {
	if len(ex.Candidates) <= maxExcluded+topEligible {
		return
	}
	ex.summaryFor(winner)
	ex.Totals = candidateTotals(ex.Candidates)
	// The winner first, then the topEligible−1 eligible reps furthest behind (ties in rep order):
	// a top-k selection, not a sort of every candidate.
	eligible := make([]RepDecision, 0, topEligible+1)
	var excluded []RepDecision
	for _, d := range ex.Candidates {
		switch {
		case d.Eligible && d.RepID == winner:
			eligible = append([]RepDecision{d}, eligible...)
		case d.Eligible:
			eligible = insertTop(eligible, d, winner, topEligible)
		case len(excluded) < maxExcluded:
			excluded = append(excluded, d)
		}
	}
	ex.Candidates = append(eligible[:min(len(eligible), topEligible)], excluded...)
	ex.Truncated = true
}

// candidateTotals counts candidates: "eligible" and each exclusion reason.
func candidateTotals(cs []RepDecision) map[string]int {
	out := map[string]int{}
	for _, d := range cs {
		if d.Eligible {
			out["eligible"]++
		} else {
			out[d.Excluded]++
		}
	}
	return out
}

// insertTop inserts d into top (the winner first, then by deficit, largest first, stable) and
// keeps at most k entries.
func insertTop(top []RepDecision, d RepDecision, winner int64, k int) []RepDecision {
	i := len(top)
	for i > 0 && top[i-1].RepID != winner && top[i-1].Deficit < d.Deficit {
		i--
	}
	if i >= k {
		return top
	}
	top = slices.Insert(top, i, d)
	return top[:min(len(top), k)]
}

// summarize writes the sentence a sales manager reads: who, by which rule, why them, who was skipped.
func summarize(ex *RoutingExplanation, winner int64) string {
	var name string
	var w RepDecision
	var skipped []string
	eligible := 0
	for _, d := range ex.Candidates {
		if d.RepID == winner {
			name, w = d.Name, d
		}
		if d.Eligible {
			eligible++
		} else {
			skipped = append(skipped, fmt.Sprintf("%s (%s%s)", d.Name, d.Excluded, prefixed(": ", d.Detail)))
		}
	}
	rule := ex.RuleID
	if ex.RuleName != "" {
		rule = ex.RuleName
	}
	var why string
	switch ex.Method {
	case MethodCapacity:
		why = fmt.Sprintf("most spare capacity among %d eligible reps", eligible)
		if w.Spare != nil {
			why = fmt.Sprintf("most spare capacity (%d) among %d eligible reps", *w.Spare, eligible)
		}
	case MethodQuota:
		why = fmt.Sprintf("furthest behind its share of the weekly allocations (%s)", w.Detail)
	case MethodWeighted:
		why = fmt.Sprintf("furthest behind its share: weight %g, share %.1f%%, %d leads so far, %.2f leads behind", w.Weight, w.Share*100, w.Count, w.Deficit)
	default:
		why = fmt.Sprintf("next in rotation among %d eligible reps (%d leads so far)", eligible, w.Count)
	}
	out := fmt.Sprintf("%s got this lead by rule %q (%s): %s.", name, rule, strings.ReplaceAll(ex.Method, "_", "-"), why)
	if len(skipped) > 0 {
		out += " Skipped: " + strings.Join(skipped, "; ") + "."
	}
	if len(ex.Skipped) > 0 {
		out += fmt.Sprintf(" %d earlier matching rule(s) had no eligible rep.", len(ex.Skipped))
	}
	return out
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// assign makes repID the lead's owner and records the assignment, its history and event.
func (s *Service) assign(ctx context.Context, tx leadflow.Tx, fx *effects, l *leadflow.Lead, repID int64, r compiledRule, ex *RoutingExplanation, a Actor, reason string, now time.Time) error {
	old := l.OwnerID
	if err := setOwner(ctx, tx, l, repID, now); err != nil {
		return err
	}
	return s.recordAssignment(ctx, tx, fx, l, old, repID, r, ex, a, reason, now)
}

// setOwner makes repID the owner of l, in the store and in l.
func setOwner(ctx context.Context, tx leadflow.Tx, l *leadflow.Lead, repID int64, now time.Time) error {
	if err := tx.SetLeadOwner(ctx, l.ID, repID, now); err != nil {
		return err
	}
	l.OwnerID, l.UpdatedAt = repID, now
	l.Rev++
	return nil
}

// recordAssignment records that the lead, whose owner was old, now belongs to repID: the
// assignment with its explanation, the SLA timer, history and event.
func (s *Service) recordAssignment(ctx context.Context, tx leadflow.Tx, fx *effects, l *leadflow.Lead, old, repID int64, r compiledRule, ex *RoutingExplanation, a Actor, reason string, now time.Time) error {
	as, done := newAssignment(l.ID, repID, r, ex, a, reason, now)
	defer done()
	if err := tx.InsertAssignment(ctx, as); err != nil {
		return err
	}
	return s.assigned(ctx, tx, fx, l, old, as, r, ex, a, now)
}

// newAssignment is the record of an assignment with its explanation encoded (see
// encodeExplanation) into a reused buffer; done hands the buffer and the explanation's
// candidate list back once the record is stored.
func newAssignment(leadID, repID int64, r compiledRule, ex *RoutingExplanation, a Actor, reason string, now time.Time) (*leadflow.Assignment, func()) {
	buf := explanationBufs.Get().(*[]byte)
	*buf = encodeExplanation((*buf)[:0], ex, !ex.derived) // the store copies it
	as := &leadflow.Assignment{LeadID: leadID, RepID: repID, RuleID: r.ID, Method: r.Method, At: now, Actor: a.Name, Reason: reason, Explanation: *buf, Pool: r.pool}
	return as, func() { explanationBufs.Put(buf); ex.release() }
}

// assigned completes a stored assignment as of the lead l, whose owner was old: the SLA timer,
// the history entry and the lead.assigned event.
func (s *Service) assigned(ctx context.Context, tx leadflow.Tx, fx *effects, l *leadflow.Lead, old int64, as *leadflow.Assignment, r compiledRule, ex *RoutingExplanation, a Actor, now time.Time) error {
	repID := as.RepID
	if r.SLAMinutes > 0 && l.FirstContactAt == nil {
		if err := tx.PutSLATimer(ctx, leadflow.SLATimer{LeadID: l.ID, RepID: repID, AssignmentID: as.ID, AssignedAt: now,
			DueAt: now.Add(time.Duration(r.SLAMinutes) * time.Minute)}); err != nil {
			return err
		}
	}
	// The entry's reason is the assignment's summary, restored from the assignment when the
	// history is read (see withAssignmentReasons): it is not stored twice. Naming the assignment
	// lets a store keep the whole entry with it (see leadflow.HistoryEntry.AssignmentID).
	fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryOwner, Field: "owner",
		Old: ownerString(old), New: strconv.FormatInt(repID, 10), AssignmentID: as.ID})
	subs := s.subscriptions()
	if !anyWants(subs, "lead.assigned") {
		return nil
	}
	return s.publish(ctx, tx, fx, subs, "lead.assigned", map[string]any{"lead_id": l.ID, "rep_id": repID, "rule_id": r.ID, "summary": ex.summaryFor(repID)})
}

// explanationBufs holds buffers for encoding explanations (see encodeExplanation).
var explanationBufs = sync.Pool{New: func() any { return new([]byte) }}

func ownerString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// Assignments returns a lead's routing decisions with their explanations (S-DIST-11).
func (s *Service) Assignments(ctx context.Context, a Actor, leadID int64) ([]leadflow.Assignment, error) {
	var out []leadflow.Assignment
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		if _, err := s.visibleLead(ctx, tx, a, leadID); err != nil {
			return err
		}
		var err error
		if out, err = tx.Assignments(ctx, leadID); err != nil || len(out) == 0 {
			return err
		}
		name, err := s.repNames(ctx, tx)
		if err != nil {
			return err
		}
		for i := range out {
			if out[i].Explanation, err = decodeExplanation(out[i].Explanation, out[i].RepID, name); err != nil {
				return err
			}
		}
		return nil
	})
	if out == nil {
		out = []leadflow.Assignment{}
	}
	return out, err
}

// repNames returns a function naming the current reps (an empty name for a rep since deleted).
func (s *Service) repNames(ctx context.Context, tx leadflow.ReadTx) (func(int64) string, error) {
	cfg, err := s.routingConfigFor(ctx, tx)
	if err != nil {
		return nil, err
	}
	return func(id int64) string {
		if r := cfg.rep(id); r != nil {
			return r.Name
		}
		return ""
	}, nil
}

// withAssignmentReasons fills in the reason of each owner entry of a lead's history that an
// assignment wrote (see assigned): the summary of that assignment's explanation, matched by time
// and rep.
func (s *Service) withAssignmentReasons(ctx context.Context, tx leadflow.ReadTx, leadID int64, entries []leadflow.HistoryEntry) error {
	var as []leadflow.Assignment
	var name func(int64) string
	for i := range entries {
		h := &entries[i]
		if h.Kind != leadflow.HistoryOwner || h.Reason != "" || h.New == "" {
			continue
		}
		if name == nil {
			var err error
			if as, err = tx.Assignments(ctx, leadID); err != nil {
				return err
			}
			if name, err = s.repNames(ctx, tx); err != nil {
				return err
			}
		}
		for j := range as {
			if as[j].At.Equal(h.At) && strconv.FormatInt(as[j].RepID, 10) == h.New {
				sum, err := explanationSummary(as[j].Explanation, as[j].RepID, name)
				if err != nil {
					return err
				}
				h.Reason = sum
				break
			}
		}
	}
	return nil
}

// RouteLead routes an unowned lead now (e.g. one no rep was eligible for earlier), in one
// transaction, and returns its assignment; a lead with an owner is left alone (ECONFLICT).
func (s *Service) RouteLead(ctx context.Context, a Actor, leadID int64) (*leadflow.Lead, error) {
	return s.writeLead(ctx, a, leadID, func(tx leadflow.Tx, fx *effects, l *leadflow.Lead) error {
		if l.OwnerID != 0 {
			return &leadflow.Error{Code: leadflow.ECONFLICT, Message: fmt.Sprintf("lead %d is already owned by rep %d", l.ID, l.OwnerID),
				Fields: []leadflow.FieldError{{Field: "owner_id", Reason: "the lead already has an owner"}}}
		}
		return s.routeInTx(ctx, tx, fx, l, a, "routed on request", s.clock.Now(), nil)
	})
}

// cachedRotation is a decoded rotation and the exact bytes it was stored as.
type cachedRotation struct {
	state []byte
	rot   *route.Rotation
	epoch uint64 // the write epoch it was stored in (see leadflow.Tx.WriteEpoch)
	// cands is the buffer of the rotation's last explained decision, reused by the next, and
	// pos the index of each rep in it.
	cands []route.Candidate
	pos   map[int64]int
}

// sourceWeights replaces the eligible reps' weights with the rule's weight source (S-DIST-3),
// computed from their performance figures relative to the eligible team.
func (s *Service) sourceWeights(ctx context.Context, tx leadflow.ReadTx, r compiledRule, decisions []RepDecision, weights map[string]float64, now time.Time) error {
	perf, err := s.performanceFor(ctx, tx, now)
	if err != nil {
		return err
	}
	cfg, err := s.routingConfigFor(ctx, tx)
	if err != nil {
		return err
	}
	var eligible []*leadflow.Rep
	for _, d := range decisions {
		if rep := cfg.rep(d.RepID); d.Eligible && rep != nil {
			eligible = append(eligible, rep)
		}
	}
	for _, st := range sourceStats(eligible, frozenPerf(perf, s.PerformanceSnapshot()), now) {
		w := r.Source.Compute(st)
		if w > 0 {
			weights[st.ID] = w
		} else {
			delete(weights, st.ID)
		}
		for i := range decisions {
			if strconv.FormatInt(decisions[i].RepID, 10) == st.ID {
				decisions[i].Weight = round6(w)
			}
		}
	}
	return nil
}

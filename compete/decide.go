package compete

import (
	"fmt"
	"time"

	"github.com/leadflow/leadflow/score"
)

// Rule is the stable machine name of a pool rule that refuses a claim or hides a lead.
type Rule string

// The rules, in the order Decide checks them.
const (
	// RulePaused: the team's competition is paused (S-COMP-9); retry when the pause ends.
	RulePaused Rule = "paused"
	// RulePoolDisabled: the team's mode has no claim pool (S-COMP-10).
	RulePoolDisabled Rule = "pool_disabled"
	// RulePoolExpired: the lead's pool time is over; it is assigned by push (S-COMP-3).
	RulePoolExpired Rule = "pool_expired"
	// RuleCohortReserved: the lead is in the cohort pool of another onboarding cohort (S-COMP-7).
	RuleCohortReserved Rule = "cohort_reserved"
	// RuleOnboardingShadow: weeks 1–4, the rep may only watch the pool (S-COMP-7).
	RuleOnboardingShadow Rule = "onboarding_shadow"
	// RuleCohortOnly: weeks 5–8, the rep competes only in its cohort's pool (S-COMP-7).
	RuleCohortOnly Rule = "cohort_only"
	// RulePremiumPool: the rep's tier has no access to the premium pool (S-COMP-2).
	RulePremiumPool Rule = "premium_pool"
	// RulePremiumWindow: tier 1's exclusive window on a premium lead is still open (S-COMP-2).
	RulePremiumWindow Rule = "premium_window"
	// RuleTierDelay: the rep's tier is not notified yet (S-COMP-2).
	RuleTierDelay Rule = "tier_delay"
	// RulePriorityWindow: another rep's priority-window head start is running (S-COMP-6).
	RulePriorityWindow Rule = "priority_window"
	// RuleClaimLimitDaily: the rep made its competitive claims for the day (S-COMP-6).
	RuleClaimLimitDaily Rule = "claim_limit_daily"
	// RuleColdMinimum: too few cold claims to keep competitive access (S-COMP-5).
	RuleColdMinimum Rule = "cold_minimum_weekly"
	// RuleRatioHotWarm: a warm claim is due before the next hot one (S-COMP-5).
	RuleRatioHotWarm Rule = "ratio_hot_warm"
	// RuleRatioCompetitiveAuto: an auto-assigned lead must be accepted before the next
	// competitive claim (S-COMP-5).
	RuleRatioCompetitiveAuto Rule = "ratio_competitive_auto"
)

// History is what the claim rules need to know about a rep's past claims, as plain counts the
// service gets with simple queries. Days and weeks are those of PeriodsAt(now, rep's time zone).
// A "claim" is a successful competitive claim from the pool (main or cohort pool), whatever
// happened to the lead afterwards; a claim is "kept" when the rep did not release it back to the
// pool (S-COMP-8) — converting, losing or disqualifying the lead later still counts as kept. The
// band of a claim is the lead's band when it was claimed (store it with the claim), blind or not.
//
// The asymmetry is deliberate: everything a rule limits counts every claim, released or not, so
// claim-and-release cannot reset a limit; everything a rule requires counts only kept claims, so
// claim-and-release cannot fake a warm or cold claim.
type History struct {
	// ClaimsToday: claims made in [Today, Tomorrow), released ones included.
	ClaimsToday int `json:"claims_today"`
	// ClaimsThisWeek: claims made in [ThisWeek, NextWeek), released ones included.
	ClaimsThisWeek int `json:"claims_this_week"`
	// HotThisWeek: claims of hot leads this week, released ones included.
	HotThisWeek int `json:"hot_this_week"`
	// WarmThisWeek: kept claims of warm leads this week.
	WarmThisWeek int `json:"warm_this_week"`
	// ColdThisWeek: kept claims of cold leads this week.
	ColdThisWeek int `json:"cold_this_week"`
	// ColdLastWeek: kept claims of cold leads in [LastWeek, ThisWeek).
	ColdLastWeek int `json:"cold_last_week"`
	// ColdPooledLastWeek: cold leads released to the team's main pool in [LastWeek, ThisWeek).
	// The weekly cold minimum never asks for more cold claims than there were cold leads.
	ColdPooledLastWeek int `json:"cold_pooled_last_week"`
	// AutoAcceptedThisWeek: leads assigned to the rep by push this week (including expired pool
	// leads) that the rep kept — not reassigned for a missed SLA nor handed back.
	AutoAcceptedThisWeek int `json:"auto_accepted_this_week"`
}

// Violation is one rule that refuses a claim.
type Violation struct {
	Rule    Rule   `json:"rule"`
	Message string `json:"message"`
	// RetryAt is when this rule stops refusing by itself; nil when it never does or the rep
	// must act first (the message says what to do).
	RetryAt *time.Time `json:"retry_at,omitempty"`
}

// Decision is the answer to a claim attempt.
type Decision struct {
	Allowed bool `json:"allowed"`
	// Rule and Message are those of the first violation; Message says "claim allowed" when
	// allowed.
	Rule    Rule   `json:"rule,omitempty"`
	Message string `json:"message"`
	// RetryAt is when the rep may claim again: the latest RetryAt of all violations, or nil when
	// any of them needs the rep to act (or never lifts). It may lie after the lead's expiry — it
	// says when the rep's own restriction ends, not that this lead will still be there.
	RetryAt *time.Time `json:"retry_at,omitempty"`
	// Violations lists every rule that refuses the claim, in check order.
	Violations []Violation `json:"violations,omitempty"`
}

// Decide rules on a rep's attempt to claim a pool lead at now. It does not decide races between
// reps: the service performs the first-claim-wins update atomically when the decision allows it
// (S-COMP-1).
//
// Access comes first: a lead the rep may not claim at all (paused team, mode without pool,
// expired lead, another cohort's lead, shadow or cohort phase, premium lead for a tier without
// premium access) is refused with that single rule (see See). Then every remaining rule is
// checked and all violations are reported:
//
//   - tier_delay / premium_window / priority_window: the lead has not opened to the rep yet;
//     RetryAt is when it does.
//   - claim_limit_daily (S-COMP-6): ClaimsToday ≥ DailyClaimLimit; RetryAt is the rep's next
//     midnight. Applies in every phase: it is a safeguard, not a penalty.
//
// Then, only for fully competitive reps (S-COMP-7: no penalties before week 13), the
// anti-cherry-picking rules (S-COMP-5):
//
//   - cold_minimum_weekly: fewer than ColdPerWeek kept cold claims (capped at the cold leads
//     pooled) last week and this week too. It is judged on the previous full week, so a new week
//     does not lock everyone out on Monday morning; a rep short last week can claim cold leads and
//     regains full access as soon as it has enough this week (RetryAt nil: claim cold leads).
//     While short, cold leads stay claimable, other leads are refused — and so is every blind
//     lead, whatever its band, so the refusal does not reveal a blind lead's quality. Reps who
//     were not fully competitive at the start of last week, teams paused at any time since then
//     and teams that became competitive since then are exempt.
//   - ratio_hot_warm: a hot claim when HotThisWeek ≥ HotPerWarm·(WarmThisWeek+1), i.e. after
//     every HotPerWarm hot claims one warm claim (RetryAt nil: claim a warm lead). Blind leads are
//     not checked, which would reveal their band; their claims still count.
//   - ratio_competitive_auto: ClaimsThisWeek ≥ ClaimsPerAuto·(AutoAcceptedThisWeek+1), i.e.
//     after every ClaimsPerAuto claims one accepted auto-assigned lead (RetryAt nil: accept the
//     next pushed lead; the service should prefer such reps when it pushes).
//
// The ratios count within the rep's current week.
func Decide(now time.Time, team Team, lead PoolLead, rep Rep, h History, cfg Config) Decision {
	v := See(now, team, lead, rep, cfg)
	loc := rep.Location
	if !v.Claimable {
		viol := Violation{Rule: v.Rule, Message: v.Reason}
		switch v.Rule {
		case RulePaused:
			viol.RetryAt = ptr(team.PausedUntil)
		case RuleOnboardingShadow, RuleCohortOnly:
			if t := TenureAt(rep.HireDate, now, loc, cfg); !t.NextPhaseAt.IsZero() {
				viol.RetryAt = ptr(t.NextPhaseAt)
			}
		}
		return decision(viol)
	}
	var vs []Violation
	if now.Before(v.ClaimAt) {
		rule := v.gateRule
		if !now.Before(v.gate) {
			rule = RulePriorityWindow
		}
		msg := fmt.Sprintf("%s; you may claim from %s", v.Reason, stamp(v.ClaimAt, loc))
		vs = append(vs, Violation{Rule: rule, Message: msg, RetryAt: ptr(v.ClaimAt)})
	}
	per := PeriodsAt(now, loc)
	if cfg.DailyClaimLimit > 0 && h.ClaimsToday >= cfg.DailyClaimLimit {
		vs = append(vs, Violation{Rule: RuleClaimLimitDaily, RetryAt: ptr(per.Tomorrow),
			Message: fmt.Sprintf("you reached today's limit of %d competitive claims; you can claim again from %s and receive auto-assigned leads until then",
				cfg.DailyClaimLimit, stamp(per.Tomorrow, loc))})
	}
	ten := TenureAt(rep.HireDate, now, loc, cfg)
	if ten.Penalties && lead.Cohort == "" {
		if viol, ok := coldMinimum(now, team, lead, rep, h, v.Blind, per, cfg); ok {
			vs = append(vs, viol)
		}
		if lead.Band == score.BandHot && !v.Blind && !ratioOK(h.HotThisWeek, cfg.HotPerWarm, h.WarmThisWeek) {
			vs = append(vs, Violation{Rule: RuleRatioHotWarm,
				Message: fmt.Sprintf("for every %d hot leads you claim you must claim 1 warm lead: you claimed %d hot and %d warm this week; claim a warm lead first",
					cfg.HotPerWarm, h.HotThisWeek, h.WarmThisWeek)})
		}
		if !ratioOK(h.ClaimsThisWeek, cfg.ClaimsPerAuto, h.AutoAcceptedThisWeek) {
			vs = append(vs, Violation{Rule: RuleRatioCompetitiveAuto,
				Message: fmt.Sprintf("for every %d competitive claims you must accept 1 auto-assigned lead: you made %d claims and accepted %d auto-assigned leads this week; accept the next lead assigned to you",
					cfg.ClaimsPerAuto, h.ClaimsThisWeek, h.AutoAcceptedThisWeek)})
		}
	}
	if len(vs) == 0 {
		return Decision{Allowed: true, Message: "claim allowed"}
	}
	return decision(vs...)
}

// coldMinimum checks the weekly cold minimum (S-COMP-5); ok is true when it refuses the claim.
func coldMinimum(now time.Time, team Team, lead PoolLead, rep Rep, h History, blind bool, per Periods, cfg Config) (Violation, bool) {
	need := min(cfg.ColdPerWeek, max(h.ColdPooledLastWeek, 0))
	switch {
	case need <= 0,
		h.ColdLastWeek >= need || h.ColdThisWeek >= need,
		lead.Band == score.BandCold && !blind,
		team.CompetitiveSince.After(per.LastWeek),
		team.PausedUntil.After(per.LastWeek),
		TenureAt(rep.HireDate, per.LastWeek, rep.Location, cfg).Phase != PhaseFull:
		return Violation{}, false
	}
	msg := fmt.Sprintf("you claimed %d cold leads last week; %d a week keep your competitive access. Claim %d more cold leads this week to restore it; until then you may claim only cold leads",
		h.ColdLastWeek, need, need-h.ColdThisWeek)
	if blind {
		msg += " (blind leads are not open to you until then)"
	}
	return Violation{Rule: RuleColdMinimum, Message: msg}, true
}

// decision builds a refusal from its violations.
func decision(vs ...Violation) Decision {
	d := Decision{Rule: vs[0].Rule, Message: vs[0].Message, Violations: vs}
	var latest time.Time
	for _, v := range vs {
		if v.RetryAt == nil {
			return d
		}
		if v.RetryAt.After(latest) {
			latest = *v.RetryAt
		}
	}
	d.RetryAt = &latest
	return d
}

func ptr[T any](v T) *T { return &v }

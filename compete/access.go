package compete

import (
	"fmt"
	"time"

	"github.com/leadflow/leadflow"
)

// Team is the team-level state that decides pool access.
type Team struct {
	// Mode is the team's configured distribution mode (S-COMP-10).
	Mode Mode `json:"mode"`
	// PausedUntil is the end of the team's latest competition pause (S-COMP-9); zero when never
	// paused. A manager ending a pause early sets it to the time of the resume.
	PausedUntil time.Time `json:"paused_until,omitzero"`
	// CompetitiveSince is when the team switched to a pool mode; zero when long ago. It exempts
	// reps from the weekly cold minimum until the team has had a full week of competition.
	CompetitiveSince time.Time `json:"competitive_since,omitzero"`
	// Windows are the priority windows (PriorityWindows) of the day the lead entered the pool.
	Windows map[int64]Window `json:"windows,omitempty"`
}

// PoolLead is a lead in the claim pool.
type PoolLead struct {
	ID int64 `json:"id"`
	// Band is the lead's score band when it entered the pool ("hot", "warm", "cold").
	Band string `json:"band"`
	// Blind is true when the lead is offered with its quality hidden (S-COMP-5). It is decided
	// once, with IsBlind, when the lead enters the pool and stored with the pool entry, so a later
	// change of BlindPercent does not change leads already offered.
	Blind bool `json:"blind,omitempty"`
	// PooledAt is when the lead entered the pool; every delay is measured from it.
	PooledAt time.Time `json:"pooled_at"`
	// Cohort, when set, reserves the lead for the cohort pool of that onboarding cohort
	// (CohortOf): only reps of the cohort in their cohort phase see and claim it (S-COMP-7).
	Cohort string `json:"cohort,omitempty"`
}

// PoolLeadFrom describes a lead entering the main pool at pooledAt: its current band, and
// whether it is blind (IsBlind).
func PoolLeadFrom(l *leadflow.Lead, pooledAt time.Time, cfg Config) PoolLead {
	return PoolLead{ID: l.ID, Band: l.Score.Band, Blind: IsBlind(l.ID, cfg), PooledAt: pooledAt}
}

// ExpiresAt is when the lead leaves the pool unclaimed and is assigned by push (S-COMP-3).
func (l PoolLead) ExpiresAt(cfg Config) time.Time { return l.PooledAt.Add(cfg.PoolExpiry.D()) }

// Expired reports whether the lead's pool time is over at now (S-COMP-3): the service then
// assigns it by push. S-COMP-2 says tier-3 reps receive the leads the pool did not clear, so the
// push should prefer them (and reps owed auto-assigned leads by the claims/auto ratio).
func Expired(now time.Time, l PoolLead, cfg Config) bool { return !now.Before(l.ExpiresAt(cfg)) }

// Rep is what the pool policy needs to know about a rep.
type Rep struct {
	ID int64 `json:"id"`
	// Tier is the rep's current tier from the weekly ranking; 0 (not ranked yet) means
	// cfg.UnrankedTier, a number beyond the configured tiers the last tier.
	Tier int `json:"tier"`
	// HireDate gives the onboarding phase and newbie protection; nil means an established rep.
	HireDate *time.Time `json:"hire_date,omitempty"`
	// Location is the rep's time zone: days and weeks of the limits and ratios, and the midnight
	// at which phases change. nil means UTC.
	Location *time.Location `json:"-"`
}

// RepFrom describes a leadflow rep; loc is its loaded time zone (nil means UTC).
func RepFrom(r *leadflow.Rep, loc *time.Location) Rep {
	return Rep{ID: r.ID, Tier: r.Tier, HireDate: r.HireDate, Location: loc}
}

// Visibility says when a rep may see a pool lead and when it may claim it (S-COMP-2, S-COMP-6,
// S-COMP-7). The service notifies the rep at SeeAt (S-NOTIFY-4: every rep with the same SeeAt at
// the same moment).
type Visibility struct {
	// Visible is true when the lead is shown to the rep (possibly read-only) from SeeAt.
	Visible bool `json:"visible"`
	// Claimable is true when the rep may claim it from ClaimAt until ExpiresAt (subject to the
	// rep's limits and ratios, see Decide). A visible lead that is not claimable is read-only.
	Claimable bool      `json:"claimable"`
	SeeAt     time.Time `json:"see_at,omitzero"`
	ClaimAt   time.Time `json:"claim_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at"`
	// Rule names why the lead is not visible or not claimable; "" when claimable.
	Rule Rule `json:"rule,omitempty"`
	// Reason explains the times (or the refusal) in words.
	Reason string `json:"reason"`
	// Phase is the rep's onboarding phase; Tier the tier whose schedule applied (0 when none:
	// open pool, cohort pool, shadow).
	Phase Phase `json:"phase"`
	Tier  int   `json:"tier,omitempty"`
	// Premium is true for a lead of the premium pool; Blind for a lead offered blind. Premium is
	// for the service: it must not be shown to reps for a blind lead.
	Premium bool `json:"premium"`
	Blind   bool `json:"blind"`
	// HeadStart is true when the rep's priority window covered the lead's pool entry, so it
	// sees the lead cfg.HeadStart before everyone else (S-COMP-6).
	HeadStart bool `json:"head_start"`
	// Shifted is true when another rep's window covered the pool entry, so this rep waits
	// cfg.HeadStart longer than its tier alone says.
	Shifted bool `json:"shifted"`

	// gate is when the tier rule alone would open the lead; gateRule names that rule.
	gate     time.Time
	gateRule Rule
}

// See computes a rep's access to a pool lead at now.
//
// Schedule (S-COMP-2). Let P be the time the lead entered the pool. In a tiered team a standard
// lead opens to tier t at P + Tiers[t].Delay (default 0 / 15m / 1h). A premium lead (band in
// PremiumBands) opens to tier 1 at P + Tiers[0].Delay, to any other tier with premium access at
// P + max(its delay, PremiumExclusive) — after tier 1's exclusive window — and never to a tier
// without premium access (tier 3 sees only the standard pool). In an open pool everything opens
// to everyone at P.
//
// Priority windows (S-COMP-6). When some rep's priority window contains P, that rep's schedule
// stays as above while everybody else's moves HeadStart later: the window holder sees and may
// claim every new lead HeadStart (default 5 minutes) before everyone else of its tier, and a
// tier-1 holder before everyone at all. With the defaults, for a standard lead entering the pool
// at 10:00 in someone's window, a tier-1 holder opens at 10:00, other tier-1 reps at 10:05,
// a tier-2 holder at 10:15, other tier-2 reps at 10:20, a tier-3 holder at 11:00 and other tier-3
// reps at 11:05. Tier 1's premium exclusivity is measured on the same shifted schedule, so a
// tier-2 holder opens a premium lead 10 minutes after tier-1 reps outside their windows (15 after
// tier-1 holders). When no window contains P, nobody waits for a head start. Only the window at P
// counts: a lead that entered the pool before the window began is not new to the holder.
//
// Onboarding (S-COMP-7). Shadow-phase reps see every main-pool lead read-only from its public
// opening (P, or P + HeadStart when a window is active) and may not claim. Cohort-phase reps
// compete only within their onboarding cohort: main-pool leads are hidden from them, and cohort
// pool leads (PoolLead.Cohort) are visible and claimable from P, without tiers or head starts,
// to the reps of that cohort in their cohort phase and to nobody else. Protected-phase and
// fully competitive reps use the tier schedule.
//
// Nothing is visible while the team's competition is paused (S-COMP-9), in a mode without a
// pool, or once the lead has expired (S-COMP-3).
//
// Blind leads (S-COMP-5) follow the same schedule, but the rule and reason of a blind premium
// lead are worded as a plain tier delay, so they do not reveal its quality. The schedule itself
// still depends on quality: a tier without premium access never sees premium leads, blind or not,
// and where a tier's premium opening differs from its standard one (not with the defaults, where
// both are 15 minutes for tier 2) the timing hints at it.
func See(now time.Time, team Team, lead PoolLead, rep Rep, cfg Config) Visibility {
	v := Visibility{ExpiresAt: lead.ExpiresAt(cfg), Premium: cfg.Premium(lead.Band), Blind: lead.Blind}
	p := lead.PooledAt
	switch mode := EffectiveMode(team.Mode, now, team.PausedUntil); {
	case Paused(now, team.PausedUntil):
		v.Rule = RulePaused
		v.Reason = fmt.Sprintf("competition is paused until %s; leads are assigned round-robin", stamp(team.PausedUntil, rep.Location))
		return v
	case !mode.Pool():
		v.Rule = RulePoolDisabled
		v.Reason = fmt.Sprintf("the team's mode is %s: leads are pushed, there is no claim pool", mode)
		return v
	case !now.Before(v.ExpiresAt):
		v.Rule = RulePoolExpired
		v.Reason = fmt.Sprintf("the lead left the pool at %s and is assigned by push", stamp(v.ExpiresAt, rep.Location))
		return v
	}
	ten := TenureAt(rep.HireDate, now, rep.Location, cfg)
	v.Phase = ten.Phase
	if lead.Cohort != "" {
		if ten.Phase != PhaseCohort || ten.Cohort != lead.Cohort {
			v.Rule = RuleCohortReserved
			v.Reason = fmt.Sprintf("the lead is reserved for the onboarding cohort of %s", lead.Cohort)
			return v
		}
		v.Visible, v.Claimable, v.SeeAt, v.ClaimAt, v.gate = true, true, p, p, p
		v.Reason = fmt.Sprintf("cohort pool lead of your onboarding cohort (%s): open to your cohort from %s", lead.Cohort, stamp(p, rep.Location))
		return v
	}
	shift := time.Duration(0)
	holder := false
	if cfg.HeadStart > 0 && len(Holders(team.Windows, p)) > 0 {
		shift = cfg.HeadStart.D()
		holder = team.Windows[rep.ID].Contains(p)
	}
	switch ten.Phase {
	case PhaseShadow:
		v.Visible, v.SeeAt = true, p.Add(shift)
		v.Rule = RuleOnboardingShadow
		v.Reason = fmt.Sprintf("onboarding week %d: you may watch the pool but not claim until %s", ten.Week, stamp(ten.NextPhaseAt, rep.Location))
		return v
	case PhaseCohort:
		v.Rule = RuleCohortOnly
		v.Reason = fmt.Sprintf("onboarding week %d: you compete only in your cohort's pool until %s", ten.Week, stamp(ten.NextPhaseAt, rep.Location))
		return v
	}

	access, why := time.Duration(0), "open pool: open to everyone at once"
	v.gateRule = RuleTierDelay
	if team.Mode == ModeTiered {
		v.Tier = cfg.tier(rep.Tier)
		t := cfg.Tiers[v.Tier-1]
		access = t.Delay.D()
		why = fmt.Sprintf("tier %d: opens %s after the lead enters the pool", v.Tier, Duration(access))
		if v.Premium {
			switch {
			case !t.Premium:
				v.Rule = RulePremiumPool
				v.Reason = fmt.Sprintf("tier %d has no access to the premium pool", v.Tier)
				return v
			case v.Blind:
				// Same schedule, neutral words: the refusal must not reveal a blind lead's quality.
				if v.Tier > 1 {
					access = max(access, cfg.PremiumExclusive.D())
					why = fmt.Sprintf("tier %d: opens %s after the lead enters the pool", v.Tier, Duration(access))
				}
			case v.Tier > 1 && cfg.PremiumExclusive.D() >= access && cfg.PremiumExclusive > 0:
				access = cfg.PremiumExclusive.D()
				v.gateRule = RulePremiumWindow
				why = fmt.Sprintf("tier %d: premium lead, opens after tier 1's %s exclusive window", v.Tier, cfg.PremiumExclusive)
			case v.Tier == 1 && cfg.PremiumExclusive > 0:
				why += fmt.Sprintf(", with tier 1's %s exclusive window on premium leads", cfg.PremiumExclusive)
			}
		}
	}
	v.gate = p.Add(access)
	open := v.gate
	switch {
	case holder:
		v.HeadStart = true
		why += fmt.Sprintf("; your priority window gives you a %s head start over everyone else", cfg.HeadStart)
	case shift > 0:
		v.Shifted = true
		open = open.Add(shift)
		why += fmt.Sprintf("; plus %s for the head start of reps in their priority window", cfg.HeadStart)
	}
	if !open.Before(v.ExpiresAt) {
		v.Rule = v.gateRule
		v.Reason = why + "; but the lead leaves the pool before then"
		return v
	}
	v.Visible, v.Claimable, v.SeeAt, v.ClaimAt = true, true, open, open
	v.Reason = why
	return v
}

// stamp formats a time for messages in the rep's time zone.
func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "further notice"
	}
	return t.In(orUTC(loc)).Format("Mon 2 Jan 15:04 MST")
}

package compete_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
)

// TestTierSchedule is S-COMP-2 and S-COMP-6: who sees and may claim what at 0, 5, 15 and 60
// minutes after a lead enters the pool, for tier 1/2/3 reps, premium (hot) and standard (warm)
// leads, with no priority window active, with the rep's own window covering the pool entry, and
// with another rep's window covering it.
func TestTierSchedule(t *testing.T) {
	const (
		none  = "none"  // no priority window contains the pool entry
		own   = "own"   // the rep's own window contains it
		other = "other" // another rep's window contains it
	)
	const never = -1
	cases := []struct {
		tier    int
		band    string
		window  string
		open    int          // minute the rep may see and claim, never = not visible
		before  compete.Rule // rule before the tier alone opens the lead
		hidden  compete.Rule // rule when never visible
		between compete.Rule // rule after the tier opened it but before the rep may claim
	}{
		// Standard leads: tier 1 at once, tier 2 after 15 minutes, tier 3 after an hour.
		{tier: 1, band: "warm", window: none, open: 0},
		{tier: 2, band: "warm", window: none, open: 15, before: compete.RuleTierDelay},
		{tier: 3, band: "warm", window: none, open: 60, before: compete.RuleTierDelay},
		// Premium leads: tier 1 at once with a 15-minute exclusive window, tier 2 after it, tier 3
		// never.
		{tier: 1, band: "hot", window: none, open: 0},
		{tier: 2, band: "hot", window: none, open: 15, before: compete.RulePremiumWindow},
		{tier: 3, band: "hot", window: none, open: never, hidden: compete.RulePremiumPool},
		// The window holder keeps the unshifted schedule...
		{tier: 1, band: "warm", window: own, open: 0},
		{tier: 2, band: "warm", window: own, open: 15, before: compete.RuleTierDelay},
		{tier: 3, band: "warm", window: own, open: 60, before: compete.RuleTierDelay},
		{tier: 1, band: "hot", window: own, open: 0},
		{tier: 2, band: "hot", window: own, open: 15, before: compete.RulePremiumWindow},
		{tier: 3, band: "hot", window: own, open: never, hidden: compete.RulePremiumPool},
		// ...while everyone else waits the 5-minute head start longer.
		{tier: 1, band: "warm", window: other, open: 5, between: compete.RulePriorityWindow},
		{tier: 2, band: "warm", window: other, open: 20, before: compete.RuleTierDelay, between: compete.RulePriorityWindow},
		{tier: 3, band: "warm", window: other, open: 65, before: compete.RuleTierDelay, between: compete.RulePriorityWindow},
		{tier: 1, band: "hot", window: other, open: 5, between: compete.RulePriorityWindow},
		{tier: 2, band: "hot", window: other, open: 20, before: compete.RulePremiumWindow, between: compete.RulePriorityWindow},
		{tier: 3, band: "hot", window: other, open: never, hidden: compete.RulePremiumPool},
	}
	cfg := compete.DefaultConfig()
	for _, c := range cases {
		rep := veteran(7, c.tier)
		team := tiered
		holder := int64(99)
		if c.window == own {
			holder = rep.ID
		}
		if c.window != none {
			team.Windows = map[int64]compete.Window{holder: {Start: at(-10), End: at(20)}}
		}
		l := lead(t, c.band)
		gate := c.open
		if c.window == other {
			gate -= 5
		}
		for _, m := range []int{0, 5, 15, 60} {
			name := fmt.Sprintf("tier%d/%s/window=%s/minute%d", c.tier, c.band, c.window, m)
			t.Run(name, func(t *testing.T) {
				v := compete.See(at(m), team, l, rep, cfg)
				d := compete.Decide(at(m), team, l, rep, compete.History{}, cfg)
				if c.open == never {
					if v.Visible || d.Allowed || d.Rule != c.hidden || d.RetryAt != nil {
						t.Fatalf("want hidden by %s, got visible=%v allowed=%v rule=%s retry=%s", c.hidden, v.Visible, d.Allowed, d.Rule, fmtTime(d.RetryAt))
					}
					return
				}
				if !v.Visible || !v.Claimable || !v.SeeAt.Equal(at(c.open)) || !v.ClaimAt.Equal(at(c.open)) {
					t.Fatalf("visibility %+v, want see and claim at minute %d", v, c.open)
				}
				if v.HeadStart != (c.window == own) || v.Shifted != (c.window == other) {
					t.Fatalf("head start %v shifted %v for window %s", v.HeadStart, v.Shifted, c.window)
				}
				switch {
				case m >= c.open:
					if !d.Allowed {
						t.Fatalf("want allowed, got %s: %s", d.Rule, d.Message)
					}
				default:
					want := c.before
					if m >= gate {
						want = c.between
					}
					if d.Allowed || d.Rule != want || !sameTime(d.RetryAt, ptrTime(at(c.open))) {
						t.Fatalf("want %s until minute %d, got allowed=%v rule=%s retry=%s (%s)", want, c.open, d.Allowed, d.Rule, fmtTime(d.RetryAt), d.Message)
					}
				}
			})
		}
	}
}

// TestHeadStartOnlyForLeadsNewInWindow is S-COMP-6: a lead that entered the pool before the rep's
// window began is not new to the rep, and a window that ended before the lead arrived gives no
// head start either; only the window at pool entry counts.
func TestHeadStartOnlyForLeadsNewInWindow(t *testing.T) {
	cfg := compete.DefaultConfig()
	rep := veteran(7, 2)
	for _, w := range []compete.Window{
		{Start: at(1), End: at(31)},    // begins after the lead arrived
		{Start: at(-30), End: at(0)},   // ended exactly when it arrived (end is exclusive)
		{Start: at(-60), End: at(-30)}, // long over
	} {
		team := tiered
		team.Windows = map[int64]compete.Window{rep.ID: w}
		v := compete.See(at(0), team, lead(t, "warm"), rep, cfg)
		if v.HeadStart || v.Shifted || !v.ClaimAt.Equal(at(15)) {
			t.Errorf("window %s–%s: %+v, want the plain tier-2 schedule", w.Start.Format("15:04"), w.End.Format("15:04"), v)
		}
	}
}

// TestOpenPool is S-COMP-1: in an open pool every rep, whatever its tier, sees every lead,
// premium or not, at the moment it enters the pool; a window holder still gets its head start.
func TestOpenPool(t *testing.T) {
	cfg := compete.DefaultConfig()
	team := compete.Team{Mode: compete.ModeOpenPool}
	for _, tier := range []int{0, 1, 2, 3} {
		for _, band := range []string{"hot", "warm", "cold"} {
			d := compete.Decide(at(0), team, lead(t, band), veteran(7, tier), compete.History{}, cfg)
			if !d.Allowed {
				t.Errorf("tier %d %s: %s %s", tier, band, d.Rule, d.Message)
			}
		}
	}
	team.Windows = map[int64]compete.Window{8: {Start: at(-1), End: at(29)}}
	d := compete.Decide(at(0), team, lead(t, "hot"), veteran(7, 3), compete.History{}, cfg)
	if d.Allowed || d.Rule != compete.RulePriorityWindow || !sameTime(d.RetryAt, ptrTime(at(5))) {
		t.Errorf("non-holder during someone's window: %+v", d)
	}
	if d := compete.Decide(at(0), team, lead(t, "hot"), veteran(8, 3), compete.History{}, cfg); !d.Allowed {
		t.Errorf("holder: %+v", d)
	}
}

// TestUnrankedTier: a rep never ranked (tier 0) gets UnrankedTier (2); a tier beyond the
// configured ones is the last tier.
func TestUnrankedTier(t *testing.T) {
	cfg := compete.DefaultConfig()
	if v := compete.See(at(0), tiered, lead(t, "warm"), veteran(7, 0), cfg); v.Tier != 2 || !v.ClaimAt.Equal(at(15)) {
		t.Errorf("tier 0: %+v", v)
	}
	if v := compete.See(at(0), tiered, lead(t, "hot"), veteran(7, 9), cfg); v.Visible || v.Rule != compete.RulePremiumPool {
		t.Errorf("tier 9 on a premium lead: %+v", v)
	}
}

// TestOnboardingPhases is S-COMP-7 (and S-COMP-6): day 1, week 5, week 9 and week 13 of a rep's
// employment, with the main pool, the rep's cohort pool and another cohort's pool.
func TestOnboardingPhases(t *testing.T) {
	cfg := compete.DefaultConfig()
	// Over every ratio and the cold minimum, but under the daily limit.
	greedy := compete.History{ClaimsToday: 3, ClaimsThisWeek: 9, HotThisWeek: 6, ColdPooledLastWeek: 10}
	midnight := func(daysFromT0 int) *time.Time {
		return ptrTime(time.Date(2026, time.March, 4+daysFromT0, 0, 0, 0, 0, time.UTC))
	}
	cases := []struct {
		name      string
		days      int // days since hire at t0
		phase     compete.Phase
		week      int
		newbie    bool
		auto      int
		main      compete.Rule // rule for a main-pool hot lead ("" = allowed)
		mainSeen  bool         // the main-pool lead is visible (read-only or not)
		mainRetry *time.Time
		own       compete.Rule // rule for a lead of the rep's own cohort pool
	}{
		{name: "day 1", days: 0, phase: compete.PhaseShadow, week: 1, newbie: true, auto: 100,
			main: compete.RuleOnboardingShadow, mainSeen: true, mainRetry: midnight(28), own: compete.RuleCohortReserved},
		{name: "week 4, last shadow day", days: 27, phase: compete.PhaseShadow, week: 4, newbie: true, auto: 100,
			main: compete.RuleOnboardingShadow, mainSeen: true, mainRetry: midnight(1), own: compete.RuleCohortReserved},
		{name: "week 5", days: 28, phase: compete.PhaseCohort, week: 5, newbie: true, auto: 50,
			main: compete.RuleCohortOnly, mainRetry: midnight(28), own: ""},
		{name: "week 9", days: 56, phase: compete.PhaseProtected, week: 9, newbie: true, auto: 0,
			main: "", mainSeen: true, own: compete.RuleCohortReserved},
		// Fully competitive: the ratios apply. The weekly cold minimum does not yet: last week the
		// rep was still protected.
		{name: "week 13", days: 84, phase: compete.PhaseFull, week: 13, newbie: true, auto: 0,
			main: compete.RuleRatioHotWarm, mainSeen: true, own: compete.RuleCohortReserved},
		{name: "day 91", days: 90, phase: compete.PhaseFull, week: 13, newbie: false, auto: 0,
			main: compete.RuleRatioHotWarm, mainSeen: true, own: compete.RuleCohortReserved},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := hiredDaysAgo(7, c.days)
			rep.Tier = 1
			ten := compete.TenureAt(rep.HireDate, at(0), nil, cfg)
			if ten.Phase != c.phase || ten.Week != c.week || ten.Newbie != c.newbie || ten.AutoPercent != c.auto {
				t.Fatalf("tenure %+v, want phase %s week %d newbie %v auto %d%%", ten, c.phase, c.week, c.newbie, c.auto)
			}
			if ten.Guaranteed != (c.newbie || c.phase == compete.PhaseProtected) || ten.Penalties != (c.phase == compete.PhaseFull) {
				t.Fatalf("tenure %+v: guaranteed/penalties wrong", ten)
			}

			main := lead(t, "hot")
			v := compete.See(at(0), tiered, main, rep, cfg)
			d := compete.Decide(at(0), tiered, main, rep, greedy, cfg)
			if v.Visible != c.mainSeen || d.Allowed != (c.main == "") || d.Rule != c.main {
				t.Fatalf("main pool: visible=%v allowed=%v rule=%q (%s), want visible=%v rule=%q", v.Visible, d.Allowed, d.Rule, d.Message, c.mainSeen, c.main)
			}
			if c.main == compete.RuleOnboardingShadow || c.main == compete.RuleCohortOnly {
				if v.Claimable || !sameTime(d.RetryAt, c.mainRetry) {
					t.Fatalf("main pool: claimable=%v retry=%s, want read-only/hidden until %s", v.Claimable, fmtTime(d.RetryAt), fmtTime(c.mainRetry))
				}
			}

			own := compete.PoolLead{ID: main.ID, Band: "hot", PooledAt: t0, Cohort: compete.CohortOf(*rep.HireDate, cfg)}
			if d := compete.Decide(at(0), tiered, own, rep, greedy, cfg); d.Rule != c.own || d.Allowed != (c.own == "") {
				t.Fatalf("own cohort pool: allowed=%v rule=%q (%s), want %q", d.Allowed, d.Rule, d.Message, c.own)
			}
			other := own
			other.Cohort = "1999-01-04"
			if d := compete.Decide(at(0), tiered, other, rep, greedy, cfg); d.Rule != compete.RuleCohortReserved {
				t.Fatalf("other cohort pool: %+v", d)
			}
		})
	}
}

// TestCohortPhaseLimit is S-COMP-6 in the cohort phase: the daily claim limit applies to
// cohort-pool claims too (it is a safeguard, not a penalty), the ratios do not.
func TestCohortPhaseLimit(t *testing.T) {
	cfg := compete.DefaultConfig()
	rep := hiredDaysAgo(7, 30)
	own := compete.PoolLead{ID: leadID(t, false), Band: "hot", PooledAt: t0, Cohort: compete.CohortOf(*rep.HireDate, cfg)}
	d := compete.Decide(at(0), tiered, own, rep, compete.History{ClaimsToday: 10}, cfg)
	if d.Rule != compete.RuleClaimLimitDaily || len(d.Violations) != 1 {
		t.Fatalf("%+v", d)
	}
}

// TestCohortOf: cohorts are CohortDays-day blocks starting on Mondays; with 7 days they are ISO
// weeks.
func TestCohortOf(t *testing.T) {
	cfg := compete.DefaultConfig()
	day := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	for h := day("2026-01-01"); h.Before(day("2026-12-31")); h = h.AddDate(0, 0, 1) {
		start := day(compete.CohortOf(h, cfg))
		if start.Weekday() != time.Monday || h.Before(start) || !h.Before(start.AddDate(0, 0, 28)) {
			t.Fatalf("CohortOf(%s) = %s: not the Monday starting its 28-day block", h.Format(time.DateOnly), start.Format(time.DateOnly))
		}
	}
	if a, b := compete.CohortOf(day("2026-02-23"), cfg), compete.CohortOf(day("2026-03-22"), cfg); a != b {
		t.Errorf("same 28-day block: %s vs %s", a, b)
	}
	if a, b := compete.CohortOf(day("2026-03-22"), cfg), compete.CohortOf(day("2026-03-23"), cfg); a == b {
		t.Errorf("different blocks: both %s", a)
	}
	cfg.CohortDays = 7
	for _, c := range []struct{ hire, want string }{
		{"2026-03-02", "2026-03-02"}, {"2026-03-08", "2026-03-02"}, {"2026-03-09", "2026-03-09"}, {"1999-12-31", "1999-12-27"},
	} {
		if got := compete.CohortOf(day(c.hire), cfg); got != c.want {
			t.Errorf("CohortOf(%s) = %s, want %s", c.hire, got, c.want)
		}
	}
}

// TestTenureEdges: unknown hire dates are established reps; phases change at the rep's
// midnight, not UTC's.
func TestTenureEdges(t *testing.T) {
	cfg := compete.DefaultConfig()
	if ten := compete.TenureAt(nil, t0, nil, cfg); ten.Phase != compete.PhaseFull || ten.Newbie || !ten.Penalties {
		t.Errorf("no hire date: %+v", ten)
	}
	future := t0.AddDate(0, 0, 3)
	if ten := compete.TenureAt(&future, t0, nil, cfg); ten.Phase != compete.PhaseShadow {
		t.Errorf("future hire date: %+v", ten)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no time zone data")
	}
	hire := time.Date(2026, time.February, 4, 0, 0, 0, 0, time.UTC) // 28 days before 4 March
	late := time.Date(2026, time.March, 3, 20, 0, 0, 0, time.UTC)   // 4 March 05:00 in Tokyo
	if ten := compete.TenureAt(&hire, late, nil, cfg); ten.Phase != compete.PhaseShadow {
		t.Errorf("UTC: %+v", ten)
	}
	if ten := compete.TenureAt(&hire, late, tokyo, cfg); ten.Phase != compete.PhaseCohort || ten.Week != 5 {
		t.Errorf("Tokyo: %+v", ten)
	}
}

// TestPauseAndResume is S-COMP-9: while paused nothing is claimable and the team runs
// round-robin; at the end of the pause competition resumes by itself.
func TestPauseAndResume(t *testing.T) {
	cfg := compete.DefaultConfig()
	until := compete.PauseUntil(t0, cfg)
	if want := t0.Add(14 * 24 * time.Hour); !until.Equal(want) {
		t.Fatalf("PauseUntil = %s, want two weeks", until)
	}
	team := compete.Team{Mode: compete.ModeTiered, PausedUntil: until}
	cases := []struct {
		now    time.Time
		paused bool
	}{
		{t0, true},
		{until.Add(-time.Second), true},
		{until, false},
		{until.Add(time.Hour), false},
	}
	for _, c := range cases {
		l := compete.PoolLead{ID: leadID(t, false), Band: "warm", PooledAt: c.now}
		d := compete.Decide(c.now, team, l, veteran(7, 1), compete.History{}, cfg)
		mode := compete.EffectiveMode(team.Mode, c.now, team.PausedUntil)
		if compete.Paused(c.now, until) != c.paused {
			t.Errorf("%s: Paused = %v", c.now, !c.paused)
		}
		if c.paused {
			if mode != compete.ModeRoundRobin || d.Allowed || d.Rule != compete.RulePaused || !sameTime(d.RetryAt, &until) {
				t.Errorf("%s: mode %s, decision %+v, want paused until %s", c.now, mode, d, until)
			}
			continue
		}
		if mode != compete.ModeTiered || !d.Allowed {
			t.Errorf("%s: mode %s, decision %+v, want resumed", c.now, mode, d)
		}
	}
	if compete.Paused(t0, time.Time{}) {
		t.Error("a zero pause end must mean not paused")
	}
}

// TestPoolExpiryAndModes is S-COMP-3 and S-COMP-10: an expired lead is no longer claimable, and
// modes without a pool have nothing to claim.
func TestPoolExpiryAndModes(t *testing.T) {
	cfg := compete.DefaultConfig()
	l := lead(t, "warm")
	if compete.Expired(at(119), l, cfg) || !compete.Expired(at(120), l, cfg) {
		t.Error("expiry must be exactly two hours after pool entry")
	}
	if d := compete.Decide(at(120), tiered, l, veteran(7, 1), compete.History{}, cfg); d.Rule != compete.RulePoolExpired || d.RetryAt != nil {
		t.Errorf("expired: %+v", d)
	}
	for _, m := range []compete.Mode{compete.ModeSpeedToLead, compete.ModeRoundRobin, ""} {
		d := compete.Decide(at(0), compete.Team{Mode: m}, l, veteran(7, 1), compete.History{}, cfg)
		if d.Rule != compete.RulePoolDisabled {
			t.Errorf("mode %q: %+v", m, d)
		}
	}
}

// TestBlindPremiumWording is S-COMP-5: a tier-2 rep waiting for a blind premium lead is told about
// a plain tier delay, at the same time as for a standard lead, never about the premium window.
func TestBlindPremiumWording(t *testing.T) {
	cfg := compete.DefaultConfig()
	l := compete.PoolLead{ID: leadID(t, true), Band: "hot", Blind: true, PooledAt: t0}
	d := compete.Decide(at(5), tiered, l, veteran(7, 2), compete.History{}, cfg)
	if d.Rule != compete.RuleTierDelay || !sameTime(d.RetryAt, ptrTime(at(15))) || strings.Contains(d.Message, "premium") {
		t.Fatalf("%+v", d)
	}
	if d := compete.Decide(at(0), tiered, l, veteran(7, 1), compete.History{}, cfg); !d.Allowed {
		t.Fatalf("tier 1: %+v", d)
	}
}

// TestFromDomain: pool facts from leadflow's lead and rep.
func TestFromDomain(t *testing.T) {
	hire := time.Date(2025, time.May, 5, 0, 0, 0, 0, time.UTC)
	r := compete.RepFrom(&leadflow.Rep{ID: 4, Tier: 2, HireDate: &hire}, time.UTC)
	if r.ID != 4 || r.Tier != 2 || r.HireDate != &hire || r.Location != time.UTC {
		t.Fatalf("%+v", r)
	}
	cfg := compete.DefaultConfig()
	l := compete.PoolLeadFrom(&leadflow.Lead{ID: 9, Score: leadflow.Score{Band: "warm"}}, t0, cfg)
	if l.ID != 9 || l.Band != "warm" || l.Blind != compete.IsBlind(9, cfg) || !l.PooledAt.Equal(t0) || l.Cohort != "" {
		t.Fatalf("%+v", l)
	}
}

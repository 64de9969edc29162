package compete_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/compete"
)

// TestClaimRules is S-COMP-5 and S-COMP-6: every limit and ratio, with the rule and RetryAt.
// The rep is a fully competitive tier-1 rep in New York; t0 (10:00 UTC) is 05:00 there on
// Wednesday 4 March 2026, so its next midnight is 5 March 05:00 UTC.
func TestClaimRules(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data")
	}
	cfg := compete.DefaultConfig()
	tomorrow := time.Date(2026, time.March, 5, 5, 0, 0, 0, time.UTC)
	// ok is a history that satisfies every rule: cold minimum met last week, ratios in balance.
	ok := compete.History{ClaimsToday: 2, ClaimsThisWeek: 4, HotThisWeek: 1, WarmThisWeek: 1, ColdThisWeek: 1,
		ColdLastWeek: 3, ColdPooledLastWeek: 20, AutoAcceptedThisWeek: 0}
	with := func(f func(*compete.History)) compete.History { h := ok; f(&h); return h }
	cases := []struct {
		name  string
		band  string
		blind bool
		h     compete.History
		rule  compete.Rule // "" = allowed
		retry *time.Time
		also  []compete.Rule
		msg   string // part of the message
	}{
		{name: "all in balance", band: "hot", h: ok},

		// Daily limit (S-COMP-6): 10 competitive claims a day, then tomorrow.
		{name: "9 claims today", band: "warm", h: with(func(h *compete.History) { h.ClaimsToday = 9 })},
		{name: "10 claims today", band: "warm", h: with(func(h *compete.History) { h.ClaimsToday = 10 }),
			rule: compete.RuleClaimLimitDaily, retry: &tomorrow, msg: "limit of 10"},

		// Hot/warm (S-COMP-5): after every 2 hot claims one warm claim.
		{name: "2 hot, 0 warm: hot refused", band: "hot", h: with(func(h *compete.History) { h.HotThisWeek, h.WarmThisWeek = 2, 0 }),
			rule: compete.RuleRatioHotWarm, msg: "claim a warm lead first"},
		{name: "2 hot, 0 warm: warm allowed", band: "warm", h: with(func(h *compete.History) { h.HotThisWeek, h.WarmThisWeek = 2, 0 })},
		{name: "2 hot, 1 warm: hot allowed", band: "hot", h: with(func(h *compete.History) { h.HotThisWeek, h.WarmThisWeek = 2, 1 })},
		{name: "3 hot, 1 warm: hot allowed", band: "hot", h: with(func(h *compete.History) { h.HotThisWeek, h.WarmThisWeek = 3, 1 })},
		{name: "4 hot, 1 warm: hot refused", band: "hot", h: with(func(h *compete.History) { h.HotThisWeek, h.WarmThisWeek = 4, 1 }),
			rule: compete.RuleRatioHotWarm},
		{name: "blind hot lead: hot/warm not checked", band: "hot", blind: true, h: with(func(h *compete.History) { h.HotThisWeek, h.WarmThisWeek = 4, 0 })},

		// Competitive/auto (S-COMP-5): after every 5 competitive claims one accepted auto lead.
		{name: "5 claims, 0 auto", band: "warm", h: with(func(h *compete.History) { h.ClaimsThisWeek = 5 }),
			rule: compete.RuleRatioCompetitiveAuto, msg: "accept the next lead assigned to you"},
		{name: "5 claims, 1 auto", band: "warm", h: with(func(h *compete.History) { h.ClaimsThisWeek, h.AutoAcceptedThisWeek = 5, 1 })},
		{name: "10 claims, 1 auto", band: "cold", h: with(func(h *compete.History) { h.ClaimsThisWeek, h.AutoAcceptedThisWeek = 10, 1 }),
			rule: compete.RuleRatioCompetitiveAuto},

		// Weekly cold minimum (S-COMP-5), judged on last week, regained this week.
		{name: "2 cold last week: warm refused", band: "warm", h: with(func(h *compete.History) { h.ColdLastWeek, h.ColdThisWeek = 2, 1 }),
			rule: compete.RuleColdMinimum, msg: "Claim 2 more cold leads this week"},
		{name: "2 cold last week: cold allowed", band: "cold", h: with(func(h *compete.History) { h.ColdLastWeek, h.ColdThisWeek = 2, 1 })},
		{name: "2 cold last week, 3 this week", band: "hot", h: with(func(h *compete.History) { h.ColdLastWeek, h.ColdThisWeek = 2, 3 })},
		{name: "Monday morning: 3 last week, 0 this week", band: "hot", h: with(func(h *compete.History) { h.ColdLastWeek, h.ColdThisWeek = 3, 0 })},
		{name: "only 1 cold lead pooled last week", band: "hot", h: with(func(h *compete.History) { h.ColdLastWeek, h.ColdThisWeek, h.ColdPooledLastWeek = 1, 0, 1 })},
		{name: "no cold lead pooled last week", band: "hot", h: with(func(h *compete.History) { h.ColdLastWeek, h.ColdThisWeek, h.ColdPooledLastWeek = 0, 0, 0 })},
		{name: "short on cold: blind cold lead refused too", band: "cold", blind: true, h: with(func(h *compete.History) { h.ColdLastWeek, h.ColdThisWeek = 0, 0 }),
			rule: compete.RuleColdMinimum, msg: "blind leads are not open to you"},

		// Several at once: all reported; RetryAt nil because the ratios need the rep to act.
		{name: "limit and ratios", band: "hot", h: with(func(h *compete.History) {
			h.ClaimsToday, h.ClaimsThisWeek, h.HotThisWeek, h.WarmThisWeek = 10, 10, 2, 0
		}),
			rule: compete.RuleClaimLimitDaily, also: []compete.Rule{compete.RuleRatioHotWarm, compete.RuleRatioCompetitiveAuto}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := compete.PoolLead{ID: leadID(t, c.blind), Band: c.band, Blind: c.blind, PooledAt: t0}
			rep := veteran(7, 1)
			rep.Location = ny
			d := compete.Decide(at(1), tiered, l, rep, c.h, cfg)
			if d.Allowed != (c.rule == "") || d.Rule != c.rule {
				t.Fatalf("allowed=%v rule=%q (%s), want rule %q", d.Allowed, d.Rule, d.Message, c.rule)
			}
			if !sameTime(d.RetryAt, c.retry) {
				t.Fatalf("RetryAt %s, want %s", fmtTime(d.RetryAt), fmtTime(c.retry))
			}
			if c.msg != "" && !strings.Contains(d.Message, c.msg) {
				t.Fatalf("message %q does not say %q", d.Message, c.msg)
			}
			var rules []compete.Rule
			for _, v := range d.Violations[min(1, len(d.Violations)):] {
				rules = append(rules, v.Rule)
			}
			if !slices.Equal(rules, c.also) {
				t.Fatalf("further violations %v, want %v", rules, c.also)
			}
			if c.blind && (strings.Contains(d.Message, "hot") || strings.Contains(d.Message, "warm")) {
				t.Fatalf("the refusal of a blind lead mentions its quality: %s", d.Message)
			}
		})
	}
}

// TestRetryAtCombines: a rep blocked by its tier delay and its daily limit may claim again when
// both are over — the later of the two.
func TestRetryAtCombines(t *testing.T) {
	cfg := compete.DefaultConfig()
	h := compete.History{ClaimsToday: 10, ColdLastWeek: 3, ColdPooledLastWeek: 3}
	d := compete.Decide(at(0), tiered, lead(t, "warm"), veteran(7, 3), h, cfg)
	tomorrow := time.Date(2026, time.March, 5, 0, 0, 0, 0, time.UTC)
	if d.Rule != compete.RuleTierDelay || len(d.Violations) != 2 || !sameTime(d.Violations[0].RetryAt, ptrTime(at(60))) || !sameTime(d.RetryAt, &tomorrow) {
		t.Fatalf("%+v", d)
	}
}

// TestColdMinimumExemptions is S-COMP-5 with the exemptions where the previous week is not a fair
// measure: the rep became fully competitive during it, the team was paused during it, or the
// team has competed for less than a week.
func TestColdMinimumExemptions(t *testing.T) {
	cfg := compete.DefaultConfig()
	short := compete.History{ColdLastWeek: 0, ColdPooledLastWeek: 10}
	lastMonday := time.Date(2026, time.February, 23, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		team compete.Team
		rep  compete.Rep
		rule compete.Rule
	}{
		{"fully competitive all last week", tiered, veteran(7, 1), compete.RuleColdMinimum},
		{"week 13 started last Tuesday", tiered, hiredDaysAgo(7, 84+8), ""},
		{"week 13 started last Monday", tiered, hiredDaysAgo(7, 84+9), compete.RuleColdMinimum},
		{"paused until last Wednesday", compete.Team{Mode: compete.ModeTiered, PausedUntil: lastMonday.AddDate(0, 0, 2)}, veteran(7, 1), ""},
		{"paused until two weeks ago", compete.Team{Mode: compete.ModeTiered, PausedUntil: lastMonday.AddDate(0, 0, -7)}, veteran(7, 1), compete.RuleColdMinimum},
		{"competitive since last Friday", compete.Team{Mode: compete.ModeTiered, CompetitiveSince: lastMonday.AddDate(0, 0, 4)}, veteran(7, 1), ""},
		{"competitive since last Monday", compete.Team{Mode: compete.ModeTiered, CompetitiveSince: lastMonday}, veteran(7, 1), compete.RuleColdMinimum},
	}
	for _, c := range cases {
		c.rep.Tier = 1
		d := compete.Decide(at(0), c.team, lead(t, "warm"), c.rep, short, cfg)
		if d.Rule != c.rule {
			t.Errorf("%s: rule %q (%s), want %q", c.name, d.Rule, d.Message, c.rule)
		}
	}
}

// TestDisabledRules: a zero limit or ratio disables the rule.
func TestDisabledRules(t *testing.T) {
	cfg := compete.DefaultConfig()
	cfg.DailyClaimLimit, cfg.HotPerWarm, cfg.ClaimsPerAuto, cfg.ColdPerWeek = 0, 0, 0, 0
	h := compete.History{ClaimsToday: 500, ClaimsThisWeek: 900, HotThisWeek: 900, ColdPooledLastWeek: 50}
	if d := compete.Decide(at(0), tiered, lead(t, "hot"), veteran(7, 1), h, cfg); !d.Allowed {
		t.Fatalf("%+v", d)
	}
}

// TestPeriods: days and weeks in the rep's time zone, weeks from Monday, calendar midnights
// across a daylight-saving change.
func TestPeriods(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data")
	}
	// Sunday 8 March 2026 12:00 New York, the day clocks go forward.
	now := time.Date(2026, time.March, 8, 16, 0, 0, 0, time.UTC)
	p := compete.PeriodsAt(now, ny)
	want := compete.Periods{
		Today:    time.Date(2026, time.March, 8, 0, 0, 0, 0, ny),
		Tomorrow: time.Date(2026, time.March, 9, 0, 0, 0, 0, ny),
		LastWeek: time.Date(2026, time.February, 23, 0, 0, 0, 0, ny),
		ThisWeek: time.Date(2026, time.March, 2, 0, 0, 0, 0, ny),
		NextWeek: time.Date(2026, time.March, 9, 0, 0, 0, 0, ny),
	}
	if !p.Today.Equal(want.Today) || !p.Tomorrow.Equal(want.Tomorrow) || !p.LastWeek.Equal(want.LastWeek) || !p.ThisWeek.Equal(want.ThisWeek) || !p.NextWeek.Equal(want.NextWeek) {
		t.Fatalf("%+v, want %+v", p, want)
	}
	if d := p.Tomorrow.Sub(p.Today); d != 23*time.Hour {
		t.Fatalf("the spring-forward day lasts %s", d)
	}
	// Monday 00:00 starts a new week.
	if p := compete.PeriodsAt(time.Date(2026, time.March, 9, 0, 0, 0, 0, time.UTC), nil); !p.ThisWeek.Equal(time.Date(2026, time.March, 9, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("Monday: %+v", p)
	}
}

package compete

import (
	"time"
)

// Phase is a rep's onboarding phase by tenure (S-COMP-7).
type Phase string

// The onboarding phases, in order. With the default configuration they are weeks 1–4, 5–8, 9–12
// and 13 on.
const (
	// PhaseShadow: no competitive claims; all leads auto-assigned; the rep may watch the pool
	// read-only.
	PhaseShadow Phase = "shadow"
	// PhaseCohort: part of the leads auto-assigned (CohortAutoPercent), the rest claimed from the
	// cohort pool, competing only with the rep's onboarding cohort.
	PhaseCohort Phase = "cohort"
	// PhaseProtected: full pool access with a guaranteed minimum allocation; performance is
	// tracked but not penalised (no ratio rules, no weekly cold minimum, not ranked).
	PhaseProtected Phase = "protected"
	// PhaseFull: fully competitive — ranked into tiers and subject to every rule.
	PhaseFull Phase = "full"
)

// Tenure is where a rep stands in onboarding (S-COMP-7) and newbie protection (S-COMP-6) at a
// given time.
type Tenure struct {
	Phase Phase `json:"phase"`
	// Day is the number of whole calendar days since the hire date (0 on the hire date itself);
	// Week is the week of employment, 1 for days 0–6. Both are 0 when the hire date is unknown.
	Day  int `json:"day"`
	Week int `json:"week"`
	// Newbie is true in the first NewbieDays days: the rep gets a protected base allocation
	// outside the pool (S-COMP-6).
	Newbie bool `json:"newbie"`
	// Cohort is the rep's onboarding cohort (CohortOf); "" when the hire date is unknown.
	Cohort string `json:"cohort,omitempty"`
	// AutoPercent is the share of the rep's leads that are auto-assigned in this phase: 100 in
	// the shadow phase, CohortAutoPercent in the cohort phase, 0 later (the pool is open).
	AutoPercent int `json:"auto_percent"`
	// Guaranteed is true while the rep is owed a guaranteed minimum allocation: as a newbie
	// (S-COMP-6) or in the protected phase (S-COMP-7).
	Guaranteed bool `json:"guaranteed"`
	// Penalties is true when the ratio rules and the weekly cold minimum apply (PhaseFull only).
	Penalties bool `json:"penalties"`
	// Ranked is true when performance decides the rep's tier (PhaseFull only).
	Ranked bool `json:"ranked"`
	// NextPhaseAt is when the next phase starts (midnight in the rep's time zone); zero in
	// PhaseFull.
	NextPhaseAt time.Time `json:"next_phase_at,omitzero"`
}

// TenureAt computes a rep's tenure at now (S-COMP-6, S-COMP-7). The hire date is taken as the
// calendar date it carries (in its own location); days are counted on the calendar of loc (nil
// means UTC), so phases change at the rep's midnight. A rep without a hire date is treated as an
// established rep (PhaseFull, not a newbie); a hire date in the future puts the rep in the
// shadow phase.
func TenureAt(hire *time.Time, now time.Time, loc *time.Location, cfg Config) Tenure {
	if hire == nil || hire.IsZero() {
		return Tenure{Phase: PhaseFull, Penalties: true, Ranked: true}
	}
	loc = orUTC(loc)
	hy, hm, hd := hire.Date()
	day := int(civilDay(now.In(loc)) - civilDay(*hire))
	t := Tenure{Day: day, Cohort: CohortOf(*hire, cfg)}
	if day >= 0 {
		t.Week = day/7 + 1
	}
	t.Newbie = day < cfg.NewbieDays
	ends := []struct {
		phase Phase
		weeks int
	}{
		{PhaseShadow, cfg.ShadowWeeks},
		{PhaseCohort, cfg.ShadowWeeks + cfg.CohortWeeks},
		{PhaseProtected, cfg.ShadowWeeks + cfg.CohortWeeks + cfg.ProtectedWeeks},
	}
	t.Phase = PhaseFull
	for _, e := range ends {
		if day < e.weeks*7 {
			t.Phase = e.phase
			t.NextPhaseAt = time.Date(hy, hm, hd+e.weeks*7, 0, 0, 0, 0, loc)
			break
		}
	}
	switch t.Phase {
	case PhaseShadow:
		t.AutoPercent = 100
	case PhaseCohort:
		t.AutoPercent = cfg.CohortAutoPercent
	case PhaseFull:
		t.Penalties, t.Ranked = true, true
	}
	t.Guaranteed = t.Newbie || t.Phase == PhaseProtected
	return t
}

// cohortAnchor is the Monday the cohort blocks are counted from (1 January 2001 was a Monday).
var cohortAnchor = civilDay(time.Date(2001, time.January, 1, 0, 0, 0, 0, time.UTC))

// CohortOf names the onboarding cohort of a rep hired on hire (S-COMP-7): the first day
// ("2006-01-02") of the CohortDays-day block that contains the hire date. Blocks are counted from
// a fixed Monday, so with CohortDays 7 a cohort is an ISO week and with 28 (the default) a block
// of four weeks; the name is stable whatever the current date. Reps of one cohort start their
// cohort phase within CohortDays of each other.
func CohortOf(hire time.Time, cfg Config) string {
	n := int64(max(cfg.CohortDays, 1))
	start := cohortAnchor + floorDiv(civilDay(hire)-cohortAnchor, n)*n
	return time.Unix(start*86400, 0).UTC().Format(time.DateOnly)
}

// civilDay numbers the calendar date of t (in t's own location) as days since 1 January 1970.
func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

// orUTC returns loc, or UTC when loc is nil.
func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// Periods are the day and week boundaries the claim rules count in (S-COMP-5, S-COMP-6), in the
// rep's time zone. Weeks start on Monday at midnight (ISO weeks). The service counts a rep's
// History with these boundaries, so its queries and the rules agree: "today" is [Today,
// Tomorrow), "this week" [ThisWeek, NextWeek), "last week" [LastWeek, ThisWeek).
type Periods struct {
	Today    time.Time `json:"today"`
	Tomorrow time.Time `json:"tomorrow"`
	LastWeek time.Time `json:"last_week"`
	ThisWeek time.Time `json:"this_week"`
	NextWeek time.Time `json:"next_week"`
}

// PeriodsAt returns the periods containing now in loc (nil means UTC). Midnights are calendar
// midnights, so a day across a daylight-saving change is 23 or 25 hours long.
func PeriodsAt(now time.Time, loc *time.Location) Periods {
	now = now.In(orUTC(loc))
	y, m, d := now.Date()
	back := (int(now.Weekday()) + 6) % 7 // days since Monday
	at := func(day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, now.Location()) }
	return Periods{
		Today:    at(d),
		Tomorrow: at(d + 1),
		LastWeek: at(d - back - 7),
		ThisWeek: at(d - back),
		NextWeek: at(d - back + 7),
	}
}

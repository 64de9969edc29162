package compete

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
)

// Duration is a time.Duration that reads and writes as text in configuration files and JSON:
// Go duration syntax ("15m", "1h30m", "2h") or a whole number of days ("14d").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d compactly: "14d" for whole days, otherwise Go syntax without trailing zero
// units ("15m", "2h", "1h30m").
func (d Duration) String() string {
	td := time.Duration(d)
	if td != 0 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	s := td.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it accepts Go duration syntax and "Nd".
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < -maxDays || n > maxDays {
			return fmt.Errorf("invalid duration %q: use Go syntax such as 15m or 2h, or whole days such as 14d", s)
		}
		*d = Duration(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: use Go syntax such as 15m or 2h, or whole days such as 14d", s)
	}
	*d = Duration(v)
	return nil
}

// maxDays bounds configured durations (and day counts) to a year: far above any sensible
// setting, and far from overflowing time arithmetic.
const maxDays = 366

// maxDuration is the largest configured duration Validate accepts.
const maxDuration = maxDays * 24 * time.Hour

// Tier is the access rule of one performance tier (S-COMP-2). Config.Tiers[0] is tier 1, the
// best.
type Tier struct {
	// Percent is the share of ranked reps placed in this tier; the shares add up to 100.
	Percent int `json:"percent" yaml:"percent"`
	// Delay is how long after a lead enters the pool this tier is notified and may claim it.
	Delay Duration `json:"delay" yaml:"delay"`
	// Premium gives the tier access to the premium pool (leads whose band is in PremiumBands).
	Premium bool `json:"premium" yaml:"premium"`
}

// RankWeights weigh the three measures of the weekly tier ranking (S-COMP-2). They are whole
// numbers so that ranking is exact; equal weights (the default) average the three.
type RankWeights struct {
	Conversion int `json:"conversion" yaml:"conversion"`
	Attainment int `json:"attainment" yaml:"attainment"`
	Speed      int `json:"speed" yaml:"speed"`
}

// MixShare is one class of the target quality mix of the competitive pool (S-COMP-5): the
// percentage of released leads that should have the band.
type MixShare struct {
	Band    string `json:"band" yaml:"band"`
	Percent int    `json:"percent" yaml:"percent"`
}

// Config is the competitive pool policy. Every duration, percentage, ratio and limit of S-COMP is
// here; DefaultConfig gives the seed's values. A zero ratio or limit disables that rule.
type Config struct {
	// Tiers are the performance tiers, best first (S-COMP-2). Default: 25% / 50% / 25% with
	// delays 0 / 15m / 1h; tiers 1 and 2 have premium access, tier 3 does not.
	Tiers []Tier `json:"tiers" yaml:"tiers"`
	// PremiumBands are the lead bands of the premium pool (default hot).
	PremiumBands []string `json:"premium_bands" yaml:"premium_bands"`
	// PremiumExclusive is tier 1's exclusive window on premium leads (default 15m): other tiers
	// with premium access may claim a premium lead no earlier than this after it enters the pool.
	PremiumExclusive Duration `json:"premium_exclusive" yaml:"premium_exclusive"`
	// UnrankedTier is the tier of reps that are not ranked — reps still in onboarding and reps
	// without a tier yet (default 2, the neutral middle).
	UnrankedTier int `json:"unranked_tier" yaml:"unranked_tier"`
	// RankWeights weigh conversion, quota attainment and response speed (default 1 / 1 / 1).
	RankWeights RankWeights `json:"rank_weights" yaml:"rank_weights"`

	// PoolExpiry is how long a lead stays in the pool; an unclaimed lead is then assigned by push
	// (S-COMP-3, default 2h).
	PoolExpiry Duration `json:"pool_expiry" yaml:"pool_expiry"`

	// PriorityWindow is the length of each rep's daily priority window (S-COMP-6, default 30m);
	// 0 disables priority windows.
	PriorityWindow Duration `json:"priority_window" yaml:"priority_window"`
	// HeadStart is how much earlier a rep in its priority window sees new leads (default 5m).
	HeadStart Duration `json:"head_start" yaml:"head_start"`
	// WorkdayStart and WorkdayEnd ("HH:MM", team time zone) bound the working day over which the
	// priority windows are spread (default 09:00–17:00).
	WorkdayStart string `json:"workday_start" yaml:"workday_start"`
	WorkdayEnd   string `json:"workday_end" yaml:"workday_end"`

	// DailyClaimLimit is the most competitive claims a rep may make per day (S-COMP-6, default 10).
	DailyClaimLimit int `json:"daily_claim_limit" yaml:"daily_claim_limit"`
	// HotPerWarm: for every HotPerWarm hot claims a rep must claim one warm lead (S-COMP-5,
	// default 2).
	HotPerWarm int `json:"hot_per_warm" yaml:"hot_per_warm"`
	// ClaimsPerAuto: for every ClaimsPerAuto competitive claims a rep must accept one
	// auto-assigned lead (S-COMP-5, default 5).
	ClaimsPerAuto int `json:"claims_per_auto" yaml:"claims_per_auto"`
	// ColdPerWeek is the weekly minimum of cold claims that keeps competitive access (S-COMP-5,
	// default 3).
	ColdPerWeek int `json:"cold_per_week" yaml:"cold_per_week"`

	// NewbieDays is the newbie protection: reps in their first NewbieDays days get a protected
	// base allocation outside the pool (S-COMP-6, default 90).
	NewbieDays int `json:"newbie_days" yaml:"newbie_days"`
	// ShadowWeeks, CohortWeeks and ProtectedWeeks are the onboarding phases (S-COMP-7, default
	// 4 / 4 / 4): shadow the pool read-only, then compete only within the onboarding cohort, then
	// full access with a guaranteed minimum and no penalties.
	ShadowWeeks    int `json:"shadow_weeks" yaml:"shadow_weeks"`
	CohortWeeks    int `json:"cohort_weeks" yaml:"cohort_weeks"`
	ProtectedWeeks int `json:"protected_weeks" yaml:"protected_weeks"`
	// CohortDays is the length of an onboarding cohort: reps whose hire dates fall in the same
	// CohortDays-day block (blocks start on Mondays) form one cohort (default 28).
	CohortDays int `json:"cohort_days" yaml:"cohort_days"`
	// CohortAutoPercent is the share of a cohort-phase rep's leads that are auto-assigned; the
	// rest come from the cohort pool (S-COMP-7, default 50).
	CohortAutoPercent int `json:"cohort_auto_percent" yaml:"cohort_auto_percent"`

	// PauseFor is the default length of a competition pause (S-COMP-9, default 14d).
	PauseFor Duration `json:"pause_for" yaml:"pause_for"`

	// BlindPercent is the share of pool leads offered blind, with quality hidden (S-COMP-5,
	// default 20).
	BlindPercent int `json:"blind_percent" yaml:"blind_percent"`
	// BlindHidesDetails also removes company size and contact title from blind previews, which
	// hint at quality; by default only score and band are hidden (S-NOTIFY-2).
	BlindHidesDetails bool `json:"blind_hides_details,omitempty" yaml:"blind_hides_details,omitempty"`

	// Mix is the target quality mix of the leads released to the pool (S-COMP-5, default warm
	// 70%, cold 20%, hot 10%, i.e. standard / low / high). Empty releases every lead.
	Mix []MixShare `json:"mix" yaml:"mix"`

	// ChurnWindow: a claim released within this time counts as churn (S-COMP-8, default 24h).
	ChurnWindow Duration `json:"churn_window" yaml:"churn_window"`
	// ChurnPercent is the churn rate at which a rep or team is flagged (default 20).
	ChurnPercent int `json:"churn_percent" yaml:"churn_percent"`
	// ChurnMinClaims is the fewest claims for which churn is flagged at all (default 5).
	ChurnMinClaims int `json:"churn_min_claims" yaml:"churn_min_claims"`
}

// DefaultConfig returns the seed's competitive pool policy (S-COMP-2 … S-COMP-9).
func DefaultConfig() Config {
	return Config{
		Tiers: []Tier{
			{Percent: 25, Delay: 0, Premium: true},
			{Percent: 50, Delay: Duration(15 * time.Minute), Premium: true},
			{Percent: 25, Delay: Duration(time.Hour), Premium: false},
		},
		PremiumBands:      []string{score.BandHot},
		PremiumExclusive:  Duration(15 * time.Minute),
		UnrankedTier:      2,
		RankWeights:       RankWeights{Conversion: 1, Attainment: 1, Speed: 1},
		PoolExpiry:        Duration(2 * time.Hour),
		PriorityWindow:    Duration(30 * time.Minute),
		HeadStart:         Duration(5 * time.Minute),
		WorkdayStart:      "09:00",
		WorkdayEnd:        "17:00",
		DailyClaimLimit:   10,
		HotPerWarm:        2,
		ClaimsPerAuto:     5,
		ColdPerWeek:       3,
		NewbieDays:        90,
		ShadowWeeks:       4,
		CohortWeeks:       4,
		ProtectedWeeks:    4,
		CohortDays:        28,
		CohortAutoPercent: 50,
		PauseFor:          Duration(14 * 24 * time.Hour),
		BlindPercent:      20,
		Mix: []MixShare{
			{Band: score.BandWarm, Percent: 70},
			{Band: score.BandCold, Percent: 20},
			{Band: score.BandHot, Percent: 10},
		},
		ChurnWindow:    Duration(24 * time.Hour),
		ChurnPercent:   20,
		ChurnMinClaims: 5,
	}
}

// bands are the lead bands of the scoring model (S-SCORE-5).
var bands = []string{score.BandHot, score.BandWarm, score.BandCold}

// Validate reports every problem of c as field errors under "compete".
func (c Config) Validate() error {
	if fe := c.Check("compete"); len(fe) > 0 {
		msgs := make([]string, len(fe))
		for i, f := range fe {
			msgs[i] = f.Field + ": " + f.Reason
		}
		return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid competition configuration: " + strings.Join(msgs, "; "), Fields: fe}
	}
	return nil
}

// Check returns the problems of c as field errors whose paths start with prefix, e.g.
// "compete.tiers[1].percent" (the JSON and YAML names).
func (c Config) Check(prefix string) []leadflow.FieldError {
	var fe []leadflow.FieldError
	add := func(field, reason string) {
		fe = append(fe, leadflow.FieldError{Field: prefix + "." + field, Reason: reason})
	}
	dur := func(field string, d Duration, positive bool) bool {
		switch {
		case d < 0:
			add(field, "must not be negative")
		case positive && d == 0:
			add(field, "must be positive")
		case d.D() > maxDuration:
			add(field, fmt.Sprintf("must be at most %dd", maxDays))
		default:
			return true
		}
		return false
	}
	percent := func(field string, p int) bool {
		if p < 0 || p > 100 {
			add(field, "must be a percentage from 0 to 100")
			return false
		}
		return true
	}
	count := func(field string, n, max int, zero string) {
		if n < 0 || n > max {
			add(field, fmt.Sprintf("must be from 0 (%s) to %d", zero, max))
		}
	}
	band := func(field, b string) bool {
		if !slices.Contains(bands, b) {
			add(field, fmt.Sprintf("unknown band %q; use one of %s", b, strings.Join(bands, ", ")))
			return false
		}
		return true
	}

	// Tiers (S-COMP-2).
	var longestAccess time.Duration
	if len(c.Tiers) == 0 {
		add("tiers", "must have at least one tier")
	} else {
		sum, ok := 0, true
		for i, t := range c.Tiers {
			at := fmt.Sprintf("tiers[%d]", i)
			if percent(at+".percent", t.Percent) {
				sum += t.Percent
			} else {
				ok = false
			}
			if dur(at+".delay", t.Delay, false) {
				if i > 0 && t.Delay < c.Tiers[i-1].Delay {
					add(at+".delay", fmt.Sprintf("must not be shorter than tier %d's delay (%s)", i, c.Tiers[i-1].Delay))
				}
				access := t.Delay.D()
				if t.Premium && i > 0 {
					access = max(access, c.PremiumExclusive.D())
				}
				longestAccess = max(longestAccess, access)
			}
			if i > 0 && t.Premium && !c.Tiers[i-1].Premium {
				add(at+".premium", fmt.Sprintf("tier %d has premium access but the better tier %d has not", i+1, i))
			}
		}
		if ok && sum != 100 {
			add("tiers", fmt.Sprintf("percentages must add up to 100, not %d", sum))
		}
		if len(c.PremiumBands) > 0 && !c.Tiers[0].Premium {
			add("tiers[0].premium", "tier 1 must have access to the premium pool")
		}
	}
	seen := map[string]bool{}
	for i, b := range c.PremiumBands {
		at := fmt.Sprintf("premium_bands[%d]", i)
		if band(at, b) && seen[b] {
			add(at, fmt.Sprintf("band %q is listed twice", b))
		}
		seen[b] = true
	}
	dur("premium_exclusive", c.PremiumExclusive, false)
	if c.UnrankedTier < 1 || c.UnrankedTier > max(len(c.Tiers), 1) {
		add("unranked_tier", fmt.Sprintf("must be a tier from 1 to %d", max(len(c.Tiers), 1)))
	}
	w := c.RankWeights
	for _, m := range []struct {
		name string
		v    int
	}{{"conversion", w.Conversion}, {"attainment", w.Attainment}, {"speed", w.Speed}} {
		count("rank_weights."+m.name, m.v, 1000, "ignored")
	}
	if w.Conversion >= 0 && w.Attainment >= 0 && w.Speed >= 0 && w.Conversion+w.Attainment+w.Speed == 0 {
		add("rank_weights", "at least one weight must be positive")
	}

	// Pool expiry (S-COMP-3) and priority windows (S-COMP-6).
	dur("head_start", c.HeadStart, false)
	if dur("pool_expiry", c.PoolExpiry, true) {
		if latest := longestAccess + max(c.HeadStart.D(), 0); c.PoolExpiry.D() <= latest {
			add("pool_expiry", fmt.Sprintf("must be longer than the latest tier access plus the head start (%s), or some tiers never get a turn", Duration(latest)))
		}
	}
	if dur("priority_window", c.PriorityWindow, false) && c.PriorityWindow > 0 {
		if c.PriorityWindow.D()%time.Minute != 0 {
			add("priority_window", "must be a whole number of minutes")
		}
		start, err1 := clock(c.WorkdayStart)
		end, err2 := clock(c.WorkdayEnd)
		if err1 != nil {
			add("workday_start", err1.Error())
		}
		if err2 != nil {
			add("workday_end", err2.Error())
		}
		if err1 == nil && err2 == nil {
			if end <= start {
				add("workday_end", "must be later than workday_start")
			} else if time.Duration(end-start)*time.Minute < c.PriorityWindow.D() {
				add("priority_window", "must fit in the working day")
			}
		}
	}

	// Limits and ratios (S-COMP-5, S-COMP-6).
	count("daily_claim_limit", c.DailyClaimLimit, 10000, "no limit")
	count("hot_per_warm", c.HotPerWarm, 10000, "no hot/warm ratio")
	count("claims_per_auto", c.ClaimsPerAuto, 10000, "no claims/auto-assigned ratio")
	count("cold_per_week", c.ColdPerWeek, 10000, "no weekly cold minimum")

	// Newbie protection and onboarding (S-COMP-6, S-COMP-7).
	count("newbie_days", c.NewbieDays, maxDays, "no newbie protection")
	count("shadow_weeks", c.ShadowWeeks, 52, "no shadow phase")
	count("cohort_weeks", c.CohortWeeks, 52, "no cohort phase")
	count("protected_weeks", c.ProtectedWeeks, 52, "no protected phase")
	if c.CohortDays < 1 || c.CohortDays > maxDays {
		add("cohort_days", fmt.Sprintf("must be from 1 to %d days", maxDays))
	}
	percent("cohort_auto_percent", c.CohortAutoPercent)

	// Pause (S-COMP-9), blind claims and quality mix (S-COMP-5), churn (S-COMP-8).
	dur("pause_for", c.PauseFor, true)
	percent("blind_percent", c.BlindPercent)
	if len(c.Mix) > 0 {
		sum, ok := 0, true
		seen := map[string]bool{}
		for i, m := range c.Mix {
			at := fmt.Sprintf("mix[%d]", i)
			if band(at+".band", m.Band) && seen[m.Band] {
				add(at+".band", fmt.Sprintf("band %q is listed twice", m.Band))
			}
			seen[m.Band] = true
			if percent(at+".percent", m.Percent) {
				sum += m.Percent
			} else {
				ok = false
			}
		}
		if ok && sum != 100 {
			add("mix", fmt.Sprintf("percentages must add up to 100, not %d", sum))
		}
	}
	dur("churn_window", c.ChurnWindow, true)
	percent("churn_percent", c.ChurnPercent)
	count("churn_min_claims", c.ChurnMinClaims, 1000000, "always flag")
	return fe
}

// clock parses "HH:MM" into minutes after midnight.
func clock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("%q is not a time of day; use HH:MM, e.g. 09:00", s)
	}
	return hh*60 + mm, nil
}

// tier returns the tier a rep's stored tier number stands for: 0 (never ranked) is UnrankedTier,
// a number beyond the configured tiers is the last tier.
func (c Config) tier(t int) int {
	switch {
	case t < 1:
		t = c.UnrankedTier
	case t > len(c.Tiers):
		t = len(c.Tiers)
	}
	return min(max(t, 1), len(c.Tiers))
}

// Premium reports whether a lead band belongs to the premium pool (S-COMP-2).
func (c Config) Premium(band string) bool { return slices.Contains(c.PremiumBands, band) }

// ratioOK reports whether have < per·(credit+1) without overflow: the rule "for every per debit
// claims, one credit" still allows one more debit claim.
func ratioOK(have, per, credit int) bool {
	if per <= 0 {
		return true
	}
	return int64(max(have, 0)) < int64(per)*(int64(max(credit, 0))+1)
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

package compete

import (
	"fmt"
	"time"
)

// Mode is how a team distributes leads (S-COMP-10). It is per-team configuration; RecommendMode
// gives the seed's advice and Modes the guidance leadflow shows next to the setting.
type Mode string

// The distribution modes.
const (
	// ModeOpenPool releases leads to one shared pool visible to every eligible rep at once; the
	// first to claim wins (S-COMP-1). Tiers do not apply.
	ModeOpenPool Mode = "open_pool"
	// ModeTiered is the claim pool with performance tiers (S-COMP-2).
	ModeTiered Mode = "tiered"
	// ModeSpeedToLead pushes leads normally and ranks response speed instead (S-COMP-4); there is
	// no claim pool.
	ModeSpeedToLead Mode = "speed_to_lead"
	// ModeRoundRobin is push distribution without competition; it is also what a paused team
	// runs (S-COMP-9).
	ModeRoundRobin Mode = "round_robin"
)

// SmallTeam is the team size from which tiers are recommended over an open pool (S-COMP-10).
const SmallTeam = 10

// Pool reports whether the mode distributes leads through the claim pool.
func (m Mode) Pool() bool { return m == ModeOpenPool || m == ModeTiered }

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool {
	for _, i := range Modes() {
		if i.Mode == m {
			return true
		}
	}
	return false
}

// ModeInfo is the guidance for one mode (S-COMP-10): the seed's description, pros and cons and
// when to use it, for display next to the setting in the UI and the API documentation.
type ModeInfo struct {
	Mode     Mode   `json:"mode"`
	Name     string `json:"name"`
	BestFor  string `json:"best_for"`
	Guidance string `json:"guidance"`
}

// GeneralGuidance is the seed's advice on whether to use competition at all (S-COMP-10).
const GeneralGuidance = "Competitive distribution is not good for every team. It works well when the culture " +
	"values individual performance (commission-based pay, recognition of top performers), when speed of " +
	"response drives conversion (inbound leads that cool quickly, demo requests, free-trial sign-ups), when the " +
	"team is experienced and stable with most reps at or above quota, when performance metrics are accurate, " +
	"and when lead volume lets everyone claim something without turning it into a zero-sum death match. It " +
	"causes problems in collaborative cultures (cross-functional or account-based selling, complex deals), in " +
	"struggling or inexperienced teams with high turnover, when lead quality varies so much that cherry-picking " +
	"becomes rational, and when performance cannot be tracked reliably. Know your team, start small, pilot, " +
	"watch closely, and be ready to pause competition when it stops being healthy."

// Modes lists the modes with their guidance, in the order the UI shows them.
func Modes() []ModeInfo {
	return []ModeInfo{
		{
			Mode:    ModeOpenPool,
			Name:    "Open pool with speed-based claims",
			BestFor: fmt.Sprintf("Small teams (under %d reps) with similar skill levels and no territory constraints.", SmallTeam),
			Guidance: "Every qualified lead goes to one shared pool visible to all eligible reps, who are notified at " +
				"the same time; the first to claim gets the lead. Very simple, maximises response speed and gives " +
				"everyone the same chance. But it rewards being glued to the phone rather than skill, reps in " +
				"meetings or with customers miss out, it creates anxiety about stepping away, and it ignores " +
				"expertise fit.",
		},
		{
			Mode:    ModeTiered,
			Name:    "Tiered access by performance",
			BestFor: fmt.Sprintf("Larger teams (%d reps or more) with a clear spread of performance and accurate metrics.", SmallTeam),
			Guidance: "Reps are ranked weekly on conversion rate, quota attainment and response speed. Tier 1 (top " +
				"25%) is notified at once for high-quality leads, has a 15-minute exclusive window and the premium " +
				"pool; Tier 2 (middle 50%) is notified after 15 minutes and may claim premium leads after Tier 1's " +
				"window; Tier 3 (bottom 25%) is notified after an hour, sees only the standard pool and receives " +
				"auto-assigned leads when the pool is not cleared. It rewards performance, not just speed, and " +
				"motivates reps to move up a tier. But it can feel unfair to low performers, may further " +
				"demotivate struggling reps, and needs accurate performance tracking.",
		},
		{
			Mode:    ModeSpeedToLead,
			Name:    "Speed-to-lead leaderboard",
			BestFor: "Teams that want competitive energy without changing how leads are assigned.",
			Guidance: "Leads are assigned by the usual push method (round-robin, territory, weights); every " +
				"assignment starts a timer, each rep's response time is recorded and a live leaderboard ranks the " +
				"fastest, with weekly or monthly recognition. It keeps the existing assignment logic, gamifies " +
				"behaviour without changing distribution and is less zero-sum than a claim race. But it needs " +
				"accurate time tracking, can reward hasty calls over research, and does not allocate leads by " +
				"performance.",
		},
		{
			Mode:    ModeRoundRobin,
			Name:    "Round-robin (no competition)",
			BestFor: "Collaborative teams, and any team while competition is paused.",
			Guidance: "Leads are pushed to reps in turn; everyone is treated the same regardless of performance. " +
				"A paused team runs this mode: when competition turns toxic — reps hoarding leads or knowledge, " +
				"claiming and releasing to boost their numbers, burnout and anxiety about missing leads, " +
				"complaints of unfairness, high turnover among low performers — switch to round-robin for about " +
				"two weeks, let the team reset and address the cause; competition resumes by itself.",
		},
	}
}

// Guidance returns the guidance text of a mode, or "" for an unknown mode (S-COMP-10).
func Guidance(m Mode) string {
	for _, i := range Modes() {
		if i.Mode == m {
			return i.Guidance
		}
	}
	return ""
}

// RecommendMode is the seed's advice for a team of teamSize active reps (S-COMP-10): an open pool
// below SmallTeam reps, tiers from SmallTeam on.
func RecommendMode(teamSize int) Mode {
	if teamSize < SmallTeam {
		return ModeOpenPool
	}
	return ModeTiered
}

// Paused reports whether a team's competition is paused at now (S-COMP-9): pausedUntil is in
// the future. A zero pausedUntil means never paused. The pause ends by itself at pausedUntil.
func Paused(now, pausedUntil time.Time) bool { return now.Before(pausedUntil) }

// PauseUntil is the end of a pause a manager starts at now with the default length (S-COMP-9).
func PauseUntil(now time.Time, cfg Config) time.Time { return now.Add(cfg.PauseFor.D()) }

// EffectiveMode is the mode a team actually runs at now: round-robin while its competition is
// paused (S-COMP-9), its configured mode otherwise — so it switches back by itself.
func EffectiveMode(mode Mode, now, pausedUntil time.Time) Mode {
	if Paused(now, pausedUntil) {
		return ModeRoundRobin
	}
	return mode
}

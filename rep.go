package leadflow

import (
	"encoding/json"
	"strings"
	"time"
)

// Rep levels on the career ladder (S-REP-1, 001).
const (
	LevelSenior   = "senior"
	LevelStandard = "standard"
	LevelMid      = "mid"
	LevelJunior   = "junior"
	LevelNewHire  = "new_hire"
)

// Quota bases: what a rep's quota counts (S-REP-3).
const (
	QuotaDeals   = "deals"   // won deals per month (the default)
	QuotaRevenue = "revenue" // won deal value per month
)

// Attainment is the fraction of the monthly quota reached by won deals and their total value; 0
// without a quota.
func (r *Rep) Attainment(deals int, revenue float64) float64 {
	if r.Quota <= 0 {
		return 0
	}
	if r.QuotaBasis == QuotaRevenue {
		return revenue / r.Quota
	}
	return float64(deals) / r.Quota
}

// Levels lists the rep levels, most senior first.
var Levels = []string{LevelSenior, LevelStandard, LevelMid, LevelJunior, LevelNewHire}

// Rep is a sales rep who receives leads (S-REP-1).
type Rep struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	// Phone receives SMS offers when a push was not seen in time (S-NOTIFY-1), E.164 form.
	Phone  string `json:"phone,omitempty"`
	TeamID int64  `json:"team_id,omitempty"`
	// Role is the rep's function, e.g. sdr or ae.
	Role  string `json:"role,omitempty"`
	Level string `json:"level,omitempty"`
	// HireDate gives the tenure that probation and onboarding phases use.
	HireDate *time.Time `json:"hire_date,omitempty"`
	// WeeklyHours is the contracted time (40 = full time); FTE weights derive from it.
	WeeklyHours float64 `json:"weekly_hours,omitempty"`
	// CapacityThreshold is how many active opportunities the rep can carry (S-DIST-7).
	CapacityThreshold int `json:"capacity_threshold,omitempty"`
	// Quota is the rep's monthly target: won deals, or won deal value when QuotaBasis is
	// "revenue". Attainment is derived from lifecycle data (S-REP-3).
	Quota        float64  `json:"quota,omitempty"`
	QuotaBasis   string   `json:"quota_basis,omitempty"`
	TerritoryIDs []int64  `json:"territory_ids,omitempty"`
	Skills       []string `json:"skills,omitempty"`
	Languages    []string `json:"languages,omitempty"`
	// StaticWeight is the configured weight for static weighting (S-DIST-3).
	StaticWeight float64 `json:"static_weight,omitempty"`
	Tier         int     `json:"tier,omitempty"`
	Active       bool    `json:"active"`
	// Timezone and WorkingHours say when the rep takes leads (S-REP-2).
	Timezone     string        `json:"timezone,omitempty"`
	WorkingHours *WorkingHours `json:"working_hours,omitempty"`
	// DailyCap and WeeklyCap bound the leads a rep receives (S-DIST-9); 0 means no cap.
	DailyCap  int       `json:"daily_cap,omitempty"`
	WeeklyCap int       `json:"weekly_cap,omitempty"`
	Absences  []Absence `json:"absences,omitempty"`
	// CalendarURL is an iCalendar feed of absences, imported periodically (S-REP-2).
	CalendarURL string    `json:"calendar_url,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// WorkingHours are the rep's weekly working times in its own time zone. Days are 0 = Sunday
// through 6 = Saturday; times are "HH:MM".
type WorkingHours struct {
	Days  []int  `json:"days"`
	Start string `json:"start"`
	End   string `json:"end"`
}

// Absence is a time a rep is away: vacation, out of office, or a calendar block (S-REP-2).
type Absence struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Reason string    `json:"reason,omitempty"`
	Source string    `json:"source,omitempty"` // manual or calendar
}

// AwayAt reports whether an absence covers t.
func (r *Rep) AwayAt(t time.Time) (Absence, bool) {
	for _, a := range r.Absences {
		if !t.Before(a.From) && t.Before(a.To) {
			return a, true
		}
	}
	return Absence{}, false
}

// Team groups reps for routing and team competitions (S-REP-4).
type Team struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Mode is how the team distributes pool leads (S-COMP-10): open_pool, tiered, speed_to_lead
	// or round_robin; empty takes the recommendation for the team's size.
	Mode string `json:"mode,omitempty"`
	// PausedUntil pauses the team's competition (S-COMP-9): its pool leads are pushed round-robin
	// until then, and competition resumes by itself.
	PausedUntil *time.Time `json:"paused_until,omitempty"`
	// CompetitiveSince is when the team switched to a pool mode.
	CompetitiveSince *time.Time `json:"competitive_since,omitempty"`
	// Timezone is the team's time zone (priority windows, the working day); empty means UTC.
	Timezone  string    `json:"timezone,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Territory matches leads by country, region/state, industry and company size (S-REP-4). An
// empty list matches anything; a lead matches when every non-empty criterion matches.
type Territory struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Countries  []string  `json:"countries,omitempty"`
	Regions    []string  `json:"regions,omitempty"`
	Industries []string  `json:"industries,omitempty"`
	MinSize    int       `json:"min_company_size,omitempty"`
	MaxSize    int       `json:"max_company_size,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// EntityID returns the rep's id.
func (r *Rep) EntityID() int64 { return r.ID }

// EntityID returns the team's id.
func (t *Team) EntityID() int64 { return t.ID }

// EntityID returns the territory's id.
func (t *Territory) EntityID() int64 { return t.ID }

// Matches reports whether a lead falls in the territory: every non-empty criterion must match
// (case-insensitive), and company size must be within the bounds (0 = unbounded).
func (t *Territory) Matches(l *Lead) bool {
	in := func(list []string, v string) bool {
		if len(list) == 0 {
			return true
		}
		for _, x := range list {
			if strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(v)) {
				return true
			}
		}
		return false
	}
	if !in(t.Countries, l.Country) || !in(t.Regions, l.Region) || !in(t.Industries, l.Industry) {
		return false
	}
	if t.MinSize > 0 && l.CompanySize < t.MinSize || t.MaxSize > 0 && (l.CompanySize == 0 || l.CompanySize > t.MaxSize) {
		return false
	}
	return true
}

// WeightChange records one change of a rep's weight inputs — static weight, tier or level — or of
// a performance-derived weight at a recalculation, with who made it, why and, for computed
// weights, the figures it was computed from (S-DIST-4).
type WeightChange struct {
	ID     int64     `json:"id"`
	RepID  int64     `json:"rep_id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Field  string    `json:"field"`
	Old    string    `json:"old"`
	New    string    `json:"new"`
	Reason string    `json:"reason,omitempty"`
	// Inputs holds the figures a computed weight came from (JSON); empty for typed-in changes.
	Inputs json.RawMessage `json:"inputs,omitempty"`
}

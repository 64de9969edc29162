package config

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/route"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
)

// Section names of the routing configuration.
const (
	SectionTeams       = "teams"
	SectionTerritories = "territories"
	SectionReps        = "reps"
	SectionRouting     = "routing"
	SectionRecalc      = "recalculation"
	SectionCompetition = "competition"
)

// TerritoryConfig is a territory in the file, identified by name (S-REP-4).
type TerritoryConfig struct {
	Name       string   `yaml:"name"`
	Countries  []string `yaml:"countries,omitempty"`
	Regions    []string `yaml:"regions,omitempty"`
	Industries []string `yaml:"industries,omitempty"`
	MinSize    int      `yaml:"min_company_size,omitempty"`
	MaxSize    int      `yaml:"max_company_size,omitempty"`
}

// RepConfig is a rep in the file, identified by email; its team and territories are named
// (S-REP-1, S-REP-2). Absences here are the manual ones; calendar imports are kept apart.
type RepConfig struct {
	Name              string                 `yaml:"name"`
	Email             string                 `yaml:"email"`
	Team              string                 `yaml:"team,omitempty"`
	Role              string                 `yaml:"role,omitempty"`
	Level             string                 `yaml:"level,omitempty"`
	HireDate          string                 `yaml:"hire_date,omitempty"` // YYYY-MM-DD
	WeeklyHours       float64                `yaml:"weekly_hours,omitempty"`
	CapacityThreshold int                    `yaml:"capacity_threshold,omitempty"`
	Quota             float64                `yaml:"quota,omitempty"`
	QuotaBasis        string                 `yaml:"quota_basis,omitempty"`
	Territories       []string               `yaml:"territories,omitempty"`
	Skills            []string               `yaml:"skills,omitempty"`
	Languages         []string               `yaml:"languages,omitempty"`
	StaticWeight      float64                `yaml:"static_weight,omitempty"`
	Tier              int                    `yaml:"tier,omitempty"`
	Active            *bool                  `yaml:"active,omitempty"` // default true
	Timezone          string                 `yaml:"timezone,omitempty"`
	WorkingHours      *leadflow.WorkingHours `yaml:"working_hours,omitempty"`
	DailyCap          int                    `yaml:"daily_cap,omitempty"`
	WeeklyCap         int                    `yaml:"weekly_cap,omitempty"`
	CalendarURL       string                 `yaml:"calendar_url,omitempty"`
	Absences          []AbsenceConfig        `yaml:"absences,omitempty"`
}

// AbsenceConfig is a manual absence in the file.
type AbsenceConfig struct {
	From   time.Time `yaml:"from"`
	To     time.Time `yaml:"to"`
	Reason string    `yaml:"reason,omitempty"`
}

// RuleConfig is a routing rule in the file; the destination is a team name or rep emails (S-DIST).
type RuleConfig struct {
	ID           string            `yaml:"id"`
	Name         string            `yaml:"name,omitempty"`
	When         []score.Condition `yaml:"when,omitempty"`
	Territory    bool              `yaml:"territory,omitempty"`
	Team         string            `yaml:"team,omitempty"`
	Reps         []string          `yaml:"reps,omitempty"`
	Method       string            `yaml:"method"`
	Weights      string            `yaml:"weights,omitempty"`
	Source       *route.Source     `yaml:"source,omitempty"`
	WorkingHours bool              `yaml:"working_hours,omitempty"`
	SLAMinutes   int               `yaml:"sla_minutes,omitempty"`
	OnSLAMiss    string            `yaml:"on_sla_miss,omitempty"`
	CatchUpMax   float64           `yaml:"catch_up_max_leads,omitempty"`
}

// names resolves team, territory and rep names to ids, from the store after the entity sections
// were applied.
type names struct {
	teams, territories, reps map[string]int64 // lower-cased name or email → id
	teamName, terrName       map[int64]string
	repEmail                 map[int64]string
}

func loadNames(ctx context.Context, svc *service.Service) (*names, error) {
	n := &names{teams: map[string]int64{}, territories: map[string]int64{}, reps: map[string]int64{},
		teamName: map[int64]string{}, terrName: map[int64]string{}, repEmail: map[int64]string{}}
	teams, err := service.TeamKind.List(ctx, svc)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		n.teams[strings.ToLower(t.Name)], n.teamName[t.ID] = t.ID, t.Name
	}
	terrs, err := service.TerritoryKind.List(ctx, svc)
	if err != nil {
		return nil, err
	}
	for _, t := range terrs {
		n.territories[strings.ToLower(t.Name)], n.terrName[t.ID] = t.ID, t.Name
	}
	reps, err := service.RepKind.List(ctx, svc)
	if err != nil {
		return nil, err
	}
	for _, r := range reps {
		n.reps[strings.ToLower(r.Email)], n.repEmail[r.ID] = r.ID, r.Email
	}
	return n, nil
}

// applyRouting upserts the file's teams, territories and reps by natural key and replaces the
// routing rules when they differ. Entities absent from the file are left alone.
func applyRouting(ctx context.Context, svc *service.Service, f *File, actor service.Actor) ([]string, error) {
	var changed []string
	n, err := loadNames(ctx, svc)
	if err != nil {
		return nil, err
	}
	for _, tc := range f.Teams {
		want := leadflow.Team{Name: tc.Name, Mode: tc.Mode, Timezone: tc.Timezone}
		did, err := upsert(ctx, svc, service.TeamKind, actor, n.teams[strings.ToLower(tc.Name)], want, func(cur *leadflow.Team) {
			cur.Mode, cur.Timezone = want.Mode, want.Timezone
		})
		if err != nil {
			return nil, prefixed(err, SectionTeams)
		}
		if did {
			changed = appendOnce(changed, SectionTeams)
		}
	}
	if f.Competition != nil {
		same, err := sameJSON(svc.Competition(), *f.Competition)
		if err != nil {
			return nil, err
		}
		if !same {
			if _, err := svc.PutCompetition(ctx, *f.Competition); err != nil {
				return nil, prefixed(err, SectionCompetition)
			}
			changed = append(changed, SectionCompetition)
		}
	}
	for _, tc := range f.Territories {
		want := leadflow.Territory{Name: tc.Name, Countries: tc.Countries, Regions: tc.Regions, Industries: tc.Industries, MinSize: tc.MinSize, MaxSize: tc.MaxSize}
		did, err := upsert(ctx, svc, service.TerritoryKind, actor, n.territories[strings.ToLower(tc.Name)], want, func(cur *leadflow.Territory) {
			cur.Countries, cur.Regions, cur.Industries, cur.MinSize, cur.MaxSize = want.Countries, want.Regions, want.Industries, want.MinSize, want.MaxSize
		})
		if err != nil {
			return nil, prefixed(err, SectionTerritories)
		}
		if did {
			changed = appendOnce(changed, SectionTerritories)
		}
	}
	if n, err = loadNames(ctx, svc); err != nil {
		return nil, err
	}
	for i, rc := range f.Reps {
		want, err := n.rep(rc, fmt.Sprintf("reps[%d]", i))
		if err != nil {
			return nil, err
		}
		did, err := upsert(ctx, svc, service.RepKind, actor, n.reps[strings.ToLower(rc.Email)], want, func(cur *leadflow.Rep) {
			var calendar []leadflow.Absence
			for _, a := range cur.Absences {
				if a.Source == "calendar" {
					calendar = append(calendar, a)
				}
			}
			id, created := cur.ID, cur.CreatedAt
			*cur = want
			cur.ID, cur.CreatedAt, cur.Absences = id, created, append(want.Absences, calendar...)
		})
		if err != nil {
			return nil, prefixed(err, fmt.Sprintf("%s[%d]", SectionReps, i))
		}
		if did {
			changed = appendOnce(changed, SectionReps)
		}
	}
	if f.Routing != nil {
		if n, err = loadNames(ctx, svc); err != nil {
			return nil, err
		}
		rules := make([]service.RoutingRule, 0, len(*f.Routing))
		for i, rc := range *f.Routing {
			r, err := n.rule(rc, fmt.Sprintf("routing[%d]", i))
			if err != nil {
				return nil, err
			}
			rules = append(rules, r)
		}
		same, err := sameJSON(svc.RoutingRules(), rules)
		if err != nil {
			return nil, err
		}
		if !same {
			if _, err := svc.PutRoutingRules(ctx, rules); err != nil {
				return nil, prefixed(err, SectionRouting)
			}
			changed = append(changed, SectionRouting)
		}
	}
	if f.Recalculation != nil && *f.Recalculation != svc.RecalcPolicy() {
		if _, err := svc.PutRecalcPolicy(ctx, *f.Recalculation); err != nil {
			return nil, prefixed(err, SectionRecalc)
		}
		changed = append(changed, SectionRecalc)
	}
	return changed, nil
}

// upsert creates want when id is 0, else patches the stored entity with set when that changes it.
func upsert[T service.Entity](ctx context.Context, svc *service.Service, k service.EntityKind[T], actor service.Actor, id int64, want T, set func(*T)) (bool, error) {
	if id == 0 {
		_, err := k.Create(ctx, svc, want)
		return err == nil, err
	}
	cur, err := k.Get(ctx, svc, id)
	if err != nil {
		return false, err
	}
	next := *cur
	set(&next)
	same, err := sameJSON(stripTimes(cur), stripTimes(&next))
	if err != nil || same {
		return false, err
	}
	_, err = k.Patch(ctx, svc, actor, id, func(v *T) error { set(v); return nil })
	return true, err
}

// stripTimes drops the timestamps so that comparing entities compares what the file sets.
func stripTimes[T service.Entity](v *T) any {
	switch e := any(*v).(type) {
	case leadflow.Rep:
		e.CreatedAt, e.UpdatedAt = time.Time{}, time.Time{}
		return e
	case leadflow.Territory:
		e.CreatedAt, e.UpdatedAt = time.Time{}, time.Time{}
		return e
	case leadflow.Team:
		e.CreatedAt, e.UpdatedAt = time.Time{}, time.Time{}
		return e
	}
	return v
}

func (n *names) rep(rc RepConfig, at string) (leadflow.Rep, error) {
	r := leadflow.Rep{Name: rc.Name, Email: rc.Email, Role: rc.Role, Level: rc.Level, WeeklyHours: rc.WeeklyHours, CapacityThreshold: rc.CapacityThreshold,
		Quota: rc.Quota, QuotaBasis: rc.QuotaBasis, Skills: rc.Skills, Languages: rc.Languages, StaticWeight: rc.StaticWeight, Tier: rc.Tier, Active: rc.Active == nil || *rc.Active,
		Timezone: rc.Timezone, WorkingHours: rc.WorkingHours, DailyCap: rc.DailyCap, WeeklyCap: rc.WeeklyCap, CalendarURL: rc.CalendarURL}
	var err error
	if r.TeamID, err = idOf(n.teams, rc.Team, at+".team", "team"); err != nil {
		return r, err
	}
	if r.TerritoryIDs, err = idsOf(n.territories, rc.Territories, at+".territories", "territory"); err != nil {
		return r, err
	}
	if rc.HireDate != "" {
		d, err := time.Parse("2006-01-02", rc.HireDate)
		if err != nil {
			return r, leadflow.Invalid(at+".hire_date", "must be a date YYYY-MM-DD")
		}
		r.HireDate = &d
	}
	for _, a := range rc.Absences {
		r.Absences = append(r.Absences, leadflow.Absence{From: a.From.UTC(), To: a.To.UTC(), Reason: a.Reason, Source: "manual"})
	}
	return r, nil
}

func (n *names) rule(rc RuleConfig, at string) (service.RoutingRule, error) {
	r := service.RoutingRule{ID: rc.ID, Name: rc.Name, When: rc.When, Territory: rc.Territory, Method: rc.Method, Weights: rc.Weights, Source: rc.Source,
		WorkingHours: rc.WorkingHours, SLAMinutes: rc.SLAMinutes, OnSLAMiss: rc.OnSLAMiss, CatchUpMax: rc.CatchUpMax}
	var err error
	if r.TeamID, err = idOf(n.teams, rc.Team, at+".team", "team"); err != nil {
		return r, err
	}
	r.RepIDs, err = idsOf(n.reps, rc.Reps, at+".reps", "rep")
	return r, err
}

// idOf resolves a name (case-insensitive) to an id; "" is 0. The error names field.
func idOf(ids map[string]int64, name, field, what string) (int64, error) {
	if name == "" {
		return 0, nil
	}
	id, ok := ids[strings.ToLower(name)]
	if !ok {
		return 0, leadflow.Invalid(field, fmt.Sprintf("no %s %q in the file or the database", what, name))
	}
	return id, nil
}

// idsOf resolves a list of names; errors name field[i].
func idsOf(ids map[string]int64, names []string, field, what string) ([]int64, error) {
	var out []int64
	for k, name := range names {
		id, err := idOf(ids, name, fmt.Sprintf("%s[%d]", field, k), what)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// exportRouting writes the live teams, territories, reps and rules with names instead of ids.
func exportRouting(ctx context.Context, svc *service.Service, f *File) error {
	n, err := loadNames(ctx, svc)
	if err != nil {
		return err
	}
	teams, _ := service.TeamKind.List(ctx, svc)
	for _, t := range teams {
		f.Teams = append(f.Teams, TeamConfig{Name: t.Name, Mode: t.Mode, Timezone: t.Timezone})
	}
	terrs, _ := service.TerritoryKind.List(ctx, svc)
	for _, t := range terrs {
		f.Territories = append(f.Territories, TerritoryConfig{Name: t.Name, Countries: t.Countries, Regions: t.Regions, Industries: t.Industries, MinSize: t.MinSize, MaxSize: t.MaxSize})
	}
	reps, err := service.RepKind.List(ctx, svc)
	if err != nil {
		return err
	}
	for _, r := range reps {
		active := r.Active
		rc := RepConfig{Name: r.Name, Email: r.Email, Team: n.teamName[r.TeamID], Role: r.Role, Level: r.Level, WeeklyHours: r.WeeklyHours,
			CapacityThreshold: r.CapacityThreshold, Quota: r.Quota, QuotaBasis: r.QuotaBasis, Skills: r.Skills, Languages: r.Languages, StaticWeight: r.StaticWeight, Tier: r.Tier,
			Active: &active, Timezone: r.Timezone, WorkingHours: r.WorkingHours, DailyCap: r.DailyCap, WeeklyCap: r.WeeklyCap, CalendarURL: r.CalendarURL}
		if r.HireDate != nil {
			rc.HireDate = r.HireDate.Format("2006-01-02")
		}
		for _, id := range r.TerritoryIDs {
			rc.Territories = append(rc.Territories, n.terrName[id])
		}
		for _, a := range r.Absences {
			if a.Source != "calendar" {
				rc.Absences = append(rc.Absences, AbsenceConfig{From: a.From, To: a.To, Reason: a.Reason})
			}
		}
		f.Reps = append(f.Reps, rc)
	}
	rules := []RuleConfig{}
	for _, r := range svc.RoutingRules() {
		rc := RuleConfig{ID: r.ID, Name: r.Name, When: r.When, Territory: r.Territory, Team: n.teamName[r.TeamID], Method: r.Method, Weights: r.Weights, Source: r.Source,
			WorkingHours: r.WorkingHours, SLAMinutes: r.SLAMinutes, OnSLAMiss: r.OnSLAMiss, CatchUpMax: r.CatchUpMax}
		for _, id := range r.RepIDs {
			rc.Reps = append(rc.Reps, n.repEmail[id])
		}
		rules = append(rules, rc)
	}
	f.Routing = &rules
	recalc := svc.RecalcPolicy()
	f.Recalculation = &recalc
	comp := svc.Competition()
	f.Competition = &comp
	return nil
}

// TeamConfig is a team in the file, identified by name.
type TeamConfig struct {
	Name string `yaml:"name"`
	// Mode is the team's distribution mode (S-COMP-10): open_pool, tiered, speed_to_lead or
	// round_robin; empty takes the recommendation for its size.
	Mode     string `yaml:"mode,omitempty"`
	Timezone string `yaml:"timezone,omitempty"`
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// prefixed puts a section path in front of an error's field names.
func prefixed(err error, at string) error {
	if e, ok := err.(*leadflow.Error); ok {
		out := *e
		out.Fields = nil
		for _, f := range e.Fields {
			f.Field = at + "." + f.Field
			out.Fields = append(out.Fields, f)
		}
		return &out
	}
	return err
}

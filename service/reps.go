package service

import (
	"context"
	"fmt"
	"github.com/leadflow/leadflow/compete"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
)

// Entity is a routing configuration object managed through the API and YAML: reps, teams and
// territories (S-REP-1, S-REP-4).
type Entity interface {
	leadflow.Rep | leadflow.Team | leadflow.Territory
}

// EntityKind binds an entity type to its store methods and validation.
type EntityKind[T Entity] struct {
	what     string
	get      func(ctx context.Context, tx leadflow.ReadTx, id int64) (*T, error)
	list     func(ctx context.Context, tx leadflow.ReadTx) ([]T, error)
	insert   func(ctx context.Context, tx leadflow.Tx, v *T) error
	update   func(ctx context.Context, tx leadflow.Tx, v *T) error
	validate func(ctx context.Context, tx leadflow.ReadTx, v *T) []leadflow.FieldError
	stamp    func(v *T, id int64, created, now time.Time) // sets id and times, which clients cannot change
	created  func(v *T) time.Time
	// audit, when set, records what a change did (a rep's weight changes, S-DIST-4).
	audit func(ctx context.Context, tx leadflow.Tx, a Actor, before, after *T, now time.Time) error
}

// RepKind, TeamKind and TerritoryKind are the managed entity kinds.
var (
	RepKind = EntityKind[leadflow.Rep]{what: "rep",
		get:      func(ctx context.Context, tx leadflow.ReadTx, id int64) (*leadflow.Rep, error) { return tx.Rep(ctx, id) },
		list:     func(ctx context.Context, tx leadflow.ReadTx) ([]leadflow.Rep, error) { return tx.Reps(ctx) },
		insert:   func(ctx context.Context, tx leadflow.Tx, v *leadflow.Rep) error { return tx.InsertRep(ctx, v) },
		update:   func(ctx context.Context, tx leadflow.Tx, v *leadflow.Rep) error { return tx.UpdateRep(ctx, v) },
		validate: validateRep,
		stamp: func(v *leadflow.Rep, id int64, created, now time.Time) {
			v.ID, v.CreatedAt, v.UpdatedAt = id, created, now
		},
		created: func(v *leadflow.Rep) time.Time { return v.CreatedAt },
		audit: func(ctx context.Context, tx leadflow.Tx, a Actor, before, after *leadflow.Rep, now time.Time) error {
			return tx.InsertWeightChanges(ctx, weightChanges(before, after, a, "changed on the rep", now)...)
		}}
	TeamKind = EntityKind[leadflow.Team]{what: "team",
		get: func(ctx context.Context, tx leadflow.ReadTx, id int64) (*leadflow.Team, error) {
			return tx.Team(ctx, id)
		},
		list:     func(ctx context.Context, tx leadflow.ReadTx) ([]leadflow.Team, error) { return tx.Teams(ctx) },
		insert:   func(ctx context.Context, tx leadflow.Tx, v *leadflow.Team) error { return tx.InsertTeam(ctx, v) },
		update:   func(ctx context.Context, tx leadflow.Tx, v *leadflow.Team) error { return tx.UpdateTeam(ctx, v) },
		validate: validateTeam,
		stamp: func(v *leadflow.Team, id int64, created, now time.Time) {
			v.ID, v.CreatedAt, v.UpdatedAt = id, created, now
		},
		created: func(v *leadflow.Team) time.Time { return v.CreatedAt }}
	TerritoryKind = EntityKind[leadflow.Territory]{what: "territory",
		get: func(ctx context.Context, tx leadflow.ReadTx, id int64) (*leadflow.Territory, error) {
			return tx.Territory(ctx, id)
		},
		list: func(ctx context.Context, tx leadflow.ReadTx) ([]leadflow.Territory, error) {
			return tx.Territories(ctx)
		},
		insert: func(ctx context.Context, tx leadflow.Tx, v *leadflow.Territory) error {
			return tx.InsertTerritory(ctx, v)
		},
		update: func(ctx context.Context, tx leadflow.Tx, v *leadflow.Territory) error {
			return tx.UpdateTerritory(ctx, v)
		},
		validate: validateTerritory,
		stamp: func(v *leadflow.Territory, id int64, created, now time.Time) {
			v.ID, v.CreatedAt, v.UpdatedAt = id, created, now
		},
		created: func(v *leadflow.Territory) time.Time { return v.CreatedAt }}
)

// List returns every entity of the kind, in id order.
func (k EntityKind[T]) List(ctx context.Context, s *Service) ([]T, error) {
	var out []T
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		out, err = k.list(ctx, tx)
		return err
	})
	if out == nil {
		out = []T{}
	}
	return out, err
}

// Get returns one entity by id.
func (k EntityKind[T]) Get(ctx context.Context, s *Service, id int64) (*T, error) {
	var out *T
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		out, err = k.get(ctx, tx, id)
		return err
	})
	return out, err
}

// Create validates and stores a new entity.
func (k EntityKind[T]) Create(ctx context.Context, s *Service, v T) (*T, error) {
	err := s.store.Write(ctx, func(tx leadflow.Tx) error {
		now := s.clock.Now()
		k.stamp(&v, 0, now, now)
		if fe := k.validate(ctx, tx, &v); len(fe) > 0 {
			return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid " + k.what, Fields: fe}
		}
		return k.insert(ctx, tx, &v)
	})
	s.invalidateConfig()
	return &v, err
}

// Patch changes an entity in one transaction: apply merges the client's changes onto the stored
// entity (a JSON merge in the API), then the result is validated and stored. id and creation
// time cannot be changed.
func (k EntityKind[T]) Patch(ctx context.Context, s *Service, a Actor, id int64, apply func(*T) error) (*T, error) {
	var out *T
	err := s.store.Write(ctx, func(tx leadflow.Tx) error {
		v, err := k.get(ctx, tx, id)
		if err != nil {
			return err
		}
		before := *v
		created := k.created(v)
		if err := apply(v); err != nil {
			return err
		}
		k.stamp(v, id, created, s.clock.Now())
		if fe := k.validate(ctx, tx, v); len(fe) > 0 {
			return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid " + k.what, Fields: fe}
		}
		out = v
		if err := k.update(ctx, tx, v); err != nil {
			return err
		}
		if k.audit != nil {
			return k.audit(ctx, tx, a, &before, v, s.clock.Now())
		}
		return nil
	})
	s.invalidateConfig()
	return out, err
}

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// validateRep checks a rep's fields and that its team and territories exist (S-REP-1, S-REP-2).
func validateRep(ctx context.Context, tx leadflow.ReadTx, r *leadflow.Rep) []leadflow.FieldError {
	var fe []leadflow.FieldError
	bad := func(field, reason string) { fe = append(fe, leadflow.FieldError{Field: field, Reason: reason}) }
	r.Name, r.Email = strings.TrimSpace(r.Name), strings.TrimSpace(r.Email)
	if r.Name == "" || len(r.Name) > 200 {
		bad("name", "is required, at most 200 characters")
	}
	if r.Email == "" {
		bad("email", "is required")
	} else if e := validateLeadInput(&leadflow.LeadInput{Email: &r.Email}, false); len(e) > 0 {
		bad("email", e[0].Reason)
	}
	if r.Level != "" && !slices.Contains(leadflow.Levels, r.Level) {
		bad("level", "must be one of "+strings.Join(leadflow.Levels, ", "))
	}
	if r.WeeklyHours < 0 || r.WeeklyHours > 80 || math.IsNaN(r.WeeklyHours) {
		bad("weekly_hours", "must be between 0 and 80")
	}
	if r.CapacityThreshold < 0 {
		bad("capacity_threshold", "must not be negative")
	}
	if r.Quota < 0 || math.IsNaN(r.Quota) || math.IsInf(r.Quota, 0) {
		bad("quota", "must be a non-negative number")
	}
	if r.QuotaBasis != "" && r.QuotaBasis != leadflow.QuotaDeals && r.QuotaBasis != leadflow.QuotaRevenue {
		bad("quota_basis", "must be deals (won deals a month) or revenue (won deal value a month)")
	}
	if r.StaticWeight < 0 || math.IsNaN(r.StaticWeight) || math.IsInf(r.StaticWeight, 0) {
		bad("static_weight", "must be a non-negative number")
	}
	if r.Tier < 0 || r.Tier > 3 {
		bad("tier", "must be 1, 2 or 3 (0 = not tiered)")
	}
	if r.DailyCap < 0 {
		bad("daily_cap", "must not be negative")
	}
	if r.WeeklyCap < 0 {
		bad("weekly_cap", "must not be negative")
	}
	if r.Timezone != "" && !validTimezone(r.Timezone) {
		bad("timezone", "is not an IANA time zone name such as Europe/Berlin")
	}
	if wh := r.WorkingHours; wh != nil {
		if len(wh.Days) == 0 {
			bad("working_hours.days", "must list at least one day (0 = Sunday … 6 = Saturday)")
		}
		for i, d := range wh.Days {
			if d < 0 || d > 6 {
				bad(fmt.Sprintf("working_hours.days[%d]", i), "must be 0 (Sunday) to 6 (Saturday)")
			}
		}
		if !hhmm.MatchString(wh.Start) {
			bad("working_hours.start", `must be a time "HH:MM"`)
		}
		if !hhmm.MatchString(wh.End) {
			bad("working_hours.end", `must be a time "HH:MM"`)
		}
		if hhmm.MatchString(wh.Start) && hhmm.MatchString(wh.End) && wh.End <= wh.Start {
			bad("working_hours.end", "must be after start")
		}
		if r.Timezone == "" {
			bad("timezone", "is required with working_hours")
		}
	}
	if r.CalendarURL != "" {
		if u, err := url.Parse(r.CalendarURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("calendar_url", "must be an absolute http or https URL of an iCalendar feed")
		}
	}
	for i, ab := range r.Absences {
		if !ab.To.After(ab.From) {
			bad(fmt.Sprintf("absences[%d].to", i), "must be after from")
		}
	}
	if r.TeamID != 0 {
		if _, err := tx.Team(ctx, r.TeamID); err != nil {
			bad("team_id", fmt.Sprintf("no team %d", r.TeamID))
		}
	}
	for i, id := range r.TerritoryIDs {
		if _, err := tx.Territory(ctx, id); err != nil {
			bad(fmt.Sprintf("territory_ids[%d]", i), fmt.Sprintf("no territory %d", id))
		}
	}
	return fe
}

func validateTeam(_ context.Context, _ leadflow.ReadTx, t *leadflow.Team) []leadflow.FieldError {
	var fe []leadflow.FieldError
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || len(t.Name) > 200 {
		fe = append(fe, leadflow.FieldError{Field: "name", Reason: "is required, at most 200 characters"})
	}
	if t.Mode != "" && !compete.Mode(t.Mode).Valid() {
		fe = append(fe, leadflow.FieldError{Field: "mode", Reason: "must be open_pool, tiered, speed_to_lead or round_robin"})
	}
	if t.Timezone != "" && !validTimezone(t.Timezone) {
		fe = append(fe, leadflow.FieldError{Field: "timezone", Reason: "must be an IANA time zone such as Europe/Berlin"})
	}
	return fe
}

func validateTerritory(_ context.Context, _ leadflow.ReadTx, t *leadflow.Territory) []leadflow.FieldError {
	var fe []leadflow.FieldError
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || len(t.Name) > 200 {
		fe = append(fe, leadflow.FieldError{Field: "name", Reason: "is required, at most 200 characters"})
	}
	if t.MinSize < 0 || t.MaxSize < 0 || t.MaxSize != 0 && t.MaxSize < t.MinSize {
		fe = append(fe, leadflow.FieldError{Field: "max_company_size", Reason: "sizes must be non-negative and max at least min (0 = no bound)"})
	}
	if len(t.Countries)+len(t.Regions)+len(t.Industries) == 0 && t.MinSize == 0 && t.MaxSize == 0 {
		fe = append(fe, leadflow.FieldError{Field: "countries", Reason: "a territory needs at least one criterion: countries, regions, industries or a company size bound"})
	}
	return fe
}

// invalidateConfig drops the cached routing configuration after a rep, team or territory write;
// other nodes drop theirs on their periodic Refresh.
func (s *Service) invalidateConfig() {
	s.configMu.Lock()
	s.config = nil
	s.configMu.Unlock()
}

// routingConfigFor returns the cached reps and territories, loading them through tx when the
// cache is empty. Routing decisions read it instead of decoding every rep per lead (a decision
// over 500 reps stays well under a millisecond); the cache is read-only.
func (s *Service) routingConfigFor(ctx context.Context, tx leadflow.ReadTx) (*routingConfig, error) {
	s.configMu.Lock()
	defer s.configMu.Unlock()
	if s.config != nil {
		return s.config, nil
	}
	reps, err := tx.Reps(ctx)
	if err != nil {
		return nil, err
	}
	terrs, err := tx.Territories(ctx)
	if err != nil {
		return nil, err
	}
	teams, err := tx.Teams(ctx)
	if err != nil {
		return nil, err
	}
	c := &routingConfig{reps: reps, byID: make(map[int64]*leadflow.Rep, len(reps)), territories: make(map[int64]*leadflow.Territory, len(terrs)),
		teams: make(map[int64]*leadflow.Team, len(teams)), keys: make(map[int64]string, len(reps))}
	for i := range teams {
		c.teams[teams[i].ID] = &teams[i]
	}
	for i := range reps {
		c.byID[reps[i].ID] = &reps[i]
		c.keys[reps[i].ID] = strconv.FormatInt(reps[i].ID, 10)
	}
	for i := range terrs {
		c.territories[terrs[i].ID] = &terrs[i]
	}
	s.config = c
	return c, nil
}

package score

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"

	"github.com/leadflow/leadflow"
)

// MaxHits is the most hits kept per behaviour rule; it bounds max_count and is the count of a
// rule without one (S-SCORE-4).
const MaxHits = 100

// MaxDays bounds half_life_days and expire_days (100 years).
const MaxDays = 36500

// msPerDay converts days to unix milliseconds.
const msPerDay = 24 * 60 * 60 * 1000

// idPattern is the form of rule and action ids.
var idPattern = regexp.MustCompile(`^[a-z0-9_.-]+$`)

// Compiled is a validated model ready to record events and evaluate leads. It is immutable and
// safe for concurrent use.
type Compiled struct {
	model    Model
	fit      []*rule            // fit rules in model order
	behavior []*rule            // behaviour rules in model order
	byEvent  map[string][]*rule // behaviour rules by event type, in model order
	grades   []Grade            // effective grades, best first
	bands    Bands              // effective bands
}

// rule is a compiled Rule.
type rule struct {
	Rule
	lead       []condition[*leadflow.Lead]  // fit conditions
	event      []condition[*leadflow.Event] // behaviour conditions
	keep       int                          // how many of the newest hits are kept and counted
	expireMs   int64                        // hits older than this are dropped; 0 never
	halfLifeMs float64                      // half-life of a hit's points; 0 no decay
}

// problems collects the field errors of a model.
type problems []leadflow.FieldError

// add records that field is invalid for reason.
func (p *problems) add(field, reason string) {
	*p = append(*p, leadflow.FieldError{Field: field, Reason: reason})
}

// Compile validates every part of m and compiles its conditions (S-SCORE-1 … S-SCORE-6). On
// failure it returns a *leadflow.Error with code EINVALID listing every invalid field by its path,
// e.g. "rules[3].when[0].op".
func (m Model) Compile() (*Compiled, error) {
	var p problems
	if m.Version < 0 {
		p.add("version", "must not be negative")
	}
	c := &Compiled{model: m.clone(), byEvent: map[string][]*rule{}}
	ids := map[string]bool{}
	for i, r := range c.model.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		checkID(&p, path+".id", r.ID, ids)
		cr := compileRule(&p, path, r)
		switch r.Kind {
		case KindFit:
			c.fit = append(c.fit, cr)
		case KindBehavior:
			c.behavior = append(c.behavior, cr)
			for _, e := range r.Events {
				c.byEvent[e] = append(c.byEvent[e], cr)
			}
		}
	}
	c.grades = compileGrades(&p, c.model.Grades)
	c.bands = compileBands(&p, c.model.Bands)
	checkActions(&p, c.model.Actions)
	if len(p) > 0 {
		return nil, &leadflow.Error{Code: leadflow.EINVALID, Message: fmt.Sprintf("invalid scoring model: %d problem(s)", len(p)), Fields: p}
	}
	return c, nil
}

// Model returns a copy of the model c was compiled from.
func (c *Compiled) Model() Model { return c.model.clone() }

// Version is the stored version of the model c was compiled from; it does not copy the model.
func (c *Compiled) Version() int { return c.model.Version }

// CrossedActions returns the model's actions whose threshold a total moving from oldTotal to
// newTotal crosses upwards (S-SCORE-6).
func (c *Compiled) CrossedActions(oldTotal, newTotal float64) []Action {
	var out []Action
	for _, a := range c.model.Actions {
		if CrossedUp(a, oldTotal, newTotal) {
			out = append(out, a)
		}
	}
	return out
}

// checkID checks that id is well formed and not in seen, then adds it.
func checkID(p *problems, field, id string, seen map[string]bool) {
	switch {
	case !idPattern.MatchString(id):
		p.add(field, fmt.Sprintf("%q is not a valid id; use lower-case letters, digits, '_', '.' and '-'", id))
	case seen[id]:
		p.add(field, fmt.Sprintf("duplicate id %q", id))
	}
	seen[id] = true
}

// compileRule validates and compiles the rule at path.
func compileRule(p *problems, path string, r Rule) *rule {
	if !finite(r.Points) {
		p.add(path+".points", "must be a finite number")
	}
	checkLimits(p, path, r)
	cr := &rule{Rule: r, keep: MaxHits, expireMs: int64(math.Round(r.ExpireDays * msPerDay)), halfLifeMs: r.HalfLifeDays * msPerDay}
	if r.MaxCount > 0 {
		cr.keep = r.MaxCount
	}
	switch r.Kind {
	case KindFit:
		if len(r.Events) > 0 {
			p.add(path+".events", `a fit rule must not have events; use kind "behavior"`)
		}
		cr.lead = compileConditions(p, path, r.When, leadGetter, leadFieldsHint)
	case KindBehavior:
		checkEvents(p, path, r.Events)
		cr.event = compileConditions(p, path, r.When, eventGetter, eventFieldsHint)
	default:
		p.add(path+".kind", fmt.Sprintf("unknown kind %q; use %s or %s", r.Kind, KindFit, KindBehavior))
	}
	return cr
}

// checkLimits validates the per-rule limits of the rule at path (S-SCORE-4).
func checkLimits(p *problems, path string, r Rule) {
	limits := []struct {
		name         string
		value, max   float64
		behaviorOnly bool
	}{
		{"max_count", float64(r.MaxCount), MaxHits, true},
		{"max_points", r.MaxPoints, math.MaxFloat64, false},
		{"half_life_days", r.HalfLifeDays, MaxDays, true},
		{"expire_days", r.ExpireDays, MaxDays, true},
	}
	for _, l := range limits {
		switch {
		case !finite(l.value) || l.value < 0 || l.value > l.max:
			reason := "must be a finite number >= 0 (0 means no limit)"
			if l.max < math.MaxFloat64 {
				reason = fmt.Sprintf("must be between 0 and %v (0 means no limit)", l.max)
			}
			p.add(path+"."+l.name, reason)
		case l.behaviorOnly && r.Kind == KindFit && l.value != 0:
			p.add(path+"."+l.name, "applies only to behavior rules")
		}
	}
}

// checkEvents validates the event types of the behaviour rule at path (S-SCORE-2).
func checkEvents(p *problems, path string, events []string) {
	if len(events) == 0 {
		p.add(path+".events", "a behavior rule needs at least one event type")
	}
	seen := map[string]bool{}
	for i, e := range events {
		at := fmt.Sprintf("%s.events[%d]", path, i)
		switch {
		case !leadflow.ValidEventType(e):
			p.add(at, fmt.Sprintf("unknown event type %q; use one of %s, or custom.<name> or intent.<name>", e, strings.Join(leadflow.EventTypes, ", ")))
		case seen[e]:
			p.add(at, fmt.Sprintf("duplicate event type %q", e))
		}
		seen[e] = true
	}
}

// compileGrades validates grades and returns the effective grades (S-SCORE-5).
func compileGrades(p *problems, grades []Grade) []Grade {
	if len(grades) == 0 {
		return DefaultGrades()
	}
	seen := map[string]bool{}
	for i, g := range grades {
		at := fmt.Sprintf("grades[%d]", i)
		switch {
		case strings.TrimSpace(g.Grade) == "":
			p.add(at+".grade", "must not be empty")
		case seen[g.Grade]:
			p.add(at+".grade", fmt.Sprintf("duplicate grade %q", g.Grade))
		}
		seen[g.Grade] = true
		switch {
		case !finite(g.MinFit):
			p.add(at+".min_fit", "must be a finite number")
		case i > 0 && g.MinFit >= grades[i-1].MinFit:
			p.add(at+".min_fit", fmt.Sprintf("must be lower than grades[%d].min_fit (%v): grades are ordered best first", i-1, grades[i-1].MinFit))
		}
	}
	return grades
}

// compileBands validates bands and returns the effective bands (S-SCORE-5).
func compileBands(p *problems, b Bands) Bands {
	if b == (Bands{}) {
		return DefaultBands()
	}
	switch {
	case !finite(b.Hot):
		p.add("bands.hot", "must be a finite number")
	case !finite(b.Warm):
		p.add("bands.warm", "must be a finite number")
	case b.Hot <= b.Warm:
		p.add("bands.hot", fmt.Sprintf("must be greater than bands.warm (%v)", b.Warm))
	}
	return b
}

// checkActions validates the threshold actions (S-SCORE-6).
func checkActions(p *problems, actions []Action) {
	ids := map[string]bool{}
	for i, a := range actions {
		at := fmt.Sprintf("actions[%d]", i)
		checkID(p, at+".id", a.ID, ids)
		if !finite(a.Threshold) {
			p.add(at+".threshold", "must be a finite number")
		}
		if u, err := url.Parse(a.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add(at+".webhook_url", fmt.Sprintf("%q is not an absolute http or https URL", a.WebhookURL))
		}
	}
}

// Package score is the explainable, versioned rule scoring model (S-SCORE-1 … S-SCORE-6,
// S-SCORE-9): fit rules over a lead's fields, behaviour rules over its events, per-rule limits,
// decay and expiry, the letter grade and band, and threshold actions.
//
// It is pure: no I/O and no clock; the time is always passed in. A Model is plain data (loaded
// from YAML or JSON); Compile validates it into a Compiled model that records events into a
// lead's hit state (Record) and evaluates the lead's score with an explanation (Evaluate).
package score

import (
	"math"
	"slices"
)

// Rule kinds (S-SCORE-1, S-SCORE-2).
const (
	KindFit      = "fit"
	KindBehavior = "behavior"
)

// Rule categories used by the default model; any other category is allowed.
const (
	CategoryDemographic  = "demographic"
	CategoryFirmographic = "firmographic"
	CategoryEngagement   = "engagement"
	CategoryIntent       = "intent"
	// CategoryNegative labels rules with negative points (S-SCORE-3).
	CategoryNegative = "negative"
)

// Bands of the total score (S-SCORE-5).
const (
	BandHot  = "hot"
	BandWarm = "warm"
	BandCold = "cold"
)

// Model is a versioned set of scoring rules with its grades, bands and threshold actions.
type Model struct {
	// Version is assigned by the store; 0 for a draft.
	Version int    `json:"version" yaml:"version"`
	Name    string `json:"name,omitempty" yaml:"name,omitempty"`
	Rules   []Rule `json:"rules" yaml:"rules"`
	// Grades are ordered best first; empty means DefaultGrades.
	Grades []Grade `json:"grades,omitempty" yaml:"grades,omitempty"`
	// Bands are the total-score thresholds; the zero value means DefaultBands.
	Bands   Bands    `json:"bands" yaml:"bands"`
	Actions []Action `json:"actions,omitempty" yaml:"actions,omitempty"`
}

// Rule awards points when a lead matches (fit, S-SCORE-1) or for each matching event
// (behaviour, S-SCORE-2). Negative points make a negative rule (S-SCORE-3). The limits
// (S-SCORE-4) apply to behaviour rules; MaxPoints applies to both kinds.
type Rule struct {
	// ID is unique within the model and matches [a-z0-9_.-]+.
	ID   string `json:"id" yaml:"id"`
	Name string `json:"name" yaml:"name"`
	// Kind is KindFit or KindBehavior.
	Kind string `json:"kind" yaml:"kind"`
	// Category labels the rule, e.g. "demographic", "engagement", "negative", "intent".
	Category string  `json:"category,omitempty" yaml:"category,omitempty"`
	Points   float64 `json:"points" yaml:"points"`
	// When lists conditions that must all hold.
	When []Condition `json:"when,omitempty" yaml:"when,omitempty"`
	// Events lists the event types a behaviour rule matches.
	Events []string `json:"events,omitempty" yaml:"events,omitempty"`
	// MaxCount is how many of the most recent hits count; 0 means up to MaxHits.
	MaxCount int `json:"max_count,omitempty" yaml:"max_count,omitempty"`
	// MaxPoints caps the absolute value of the rule's sum; 0 means no cap.
	MaxPoints float64 `json:"max_points,omitempty" yaml:"max_points,omitempty"`
	// HalfLifeDays makes each hit's points decay by half every so many days; 0 means no decay.
	HalfLifeDays float64 `json:"half_life_days,omitempty" yaml:"half_life_days,omitempty"`
	// ExpireDays drops hits older than so many days; 0 means they never expire.
	ExpireDays float64 `json:"expire_days,omitempty" yaml:"expire_days,omitempty"`
}

// Condition is one predicate of a rule (S-SCORE-1, S-SCORE-2).
//
// For a fit rule Field is a lead field by its JSON name (email, company, company_size, industry,
// job_title, seniority, country, region, city, timezone, language, source, campaign, first_name,
// last_name, phone, external_id) or "custom.<key>". For a behaviour rule it is "type",
// "properties.<key>" or just "<key>" (meaning properties.<key>).
//
// Op is one of Operators. Value is a string, number or bool; a list for "in"; [min, max] for
// "between"; nothing or a bool for "exists". A missing or blank field satisfies no condition
// except "exists" false and the negations not_equals and not_matches, which are the exact
// complements of equals and matches (so a click without a url counts as "not a demo link").
type Condition struct {
	Field string `json:"field" yaml:"field"`
	Op    string `json:"op" yaml:"op"`
	Value any    `json:"value,omitempty" yaml:"value,omitempty"`
}

// Grade is a letter grade awarded when the fit score is at least MinFit (S-SCORE-5).
type Grade struct {
	Grade  string  `json:"grade" yaml:"grade"`
	MinFit float64 `json:"min_fit" yaml:"min_fit"`
}

// Bands are the total-score thresholds of the hot and warm bands (S-SCORE-5); below Warm is cold.
type Bands struct {
	Hot  float64 `json:"hot" yaml:"hot"`
	Warm float64 `json:"warm" yaml:"warm"`
}

// Action fires a signed webhook when a lead's total crosses Threshold upwards (S-SCORE-6).
type Action struct {
	ID         string  `json:"id" yaml:"id"`
	Threshold  float64 `json:"threshold" yaml:"threshold"`
	WebhookURL string  `json:"webhook_url" yaml:"webhook_url"`
	Secret     string  `json:"secret,omitempty" yaml:"secret,omitempty"`
}

// CrossedUp reports whether a total moving from oldTotal to newTotal crosses the action's
// threshold upwards: oldTotal < threshold <= newTotal (S-SCORE-6).
func CrossedUp(a Action, oldTotal, newTotal float64) bool {
	return oldTotal < a.Threshold && a.Threshold <= newTotal
}

// DefaultGrades are the seed's grades: A ≥ 40, B ≥ 25, C ≥ 10, otherwise D (S-SCORE-5).
func DefaultGrades() []Grade {
	return []Grade{{"A", 40}, {"B", 25}, {"C", 10}, {"D", 0}}
}

// DefaultBands are the seed's bands: hot ≥ 75, warm ≥ 50, otherwise cold (S-SCORE-5).
func DefaultBands() Bands { return Bands{Hot: 75, Warm: 50} }

// DefaultModel is the seed's scoring model (S-SCORE-1 … S-SCORE-3): a draft (version 0) with the
// default grades and bands and no actions.
func DefaultModel() Model {
	pricing := Condition{Field: "properties.path", Op: OpMatches, Value: `(?i)/pricing`}
	demo := Condition{Field: "properties.url", Op: OpMatches, Value: `(?i)demo`}
	notPricing := Condition{Field: "properties.path", Op: OpNotMatches, Value: `(?i)/pricing`}
	notDemo := Condition{Field: "properties.url", Op: OpNotMatches, Value: `(?i)demo`}
	contentType := func(types ...any) Condition {
		return Condition{Field: "properties.content_type", Op: OpIn, Value: types}
	}
	fit := func(id, name, category string, points float64, c Condition) Rule {
		return Rule{ID: id, Name: name, Kind: KindFit, Category: category, Points: points, When: []Condition{c}}
	}
	// act builds a behaviour rule; when is optional.
	act := func(id, name, category string, points float64, maxCount int, halfLife float64, event string, when ...Condition) Rule {
		return Rule{ID: id, Name: name, Kind: KindBehavior, Category: category, Points: points,
			Events: []string{event}, When: when, MaxCount: maxCount, HalfLifeDays: halfLife}
	}
	eng, neg := CategoryEngagement, CategoryNegative
	pageView := act("page_view", "Page view", eng, 1, 10, 14, "page_view", notPricing)
	pageView.ExpireDays = 90
	return Model{
		Name: "default",
		Rules: []Rule{
			fit("title_exec", "Title: C-level or VP", CategoryDemographic, 20,
				Condition{Field: "seniority", Op: OpIn, Value: []any{"c_level", "vp"}}),
			fit("title_manager", "Title: manager", CategoryDemographic, 10,
				Condition{Field: "seniority", Op: OpEquals, Value: "manager"}),
			fit("industry_technology", "Industry: technology", CategoryFirmographic, 15,
				Condition{Field: "industry", Op: OpIn, Value: []any{"Technology", "Software", "IT", "Information Technology"}}),
			fit("company_size_50_500", "Company size 50–500", CategoryFirmographic, 10,
				Condition{Field: "company_size", Op: OpBetween, Value: []any{50, 500}}),
			fit("location_us_uk_ca", "Location: US, UK or Canada", CategoryDemographic, 5,
				Condition{Field: "country", Op: OpIn, Value: []any{"US", "USA", "United States", "UK", "GB", "United Kingdom", "CA", "Canada"}}),

			act("pricing_page", "Pricing page visit", eng, 15, 2, 30, "pricing_page_view"),
			act("pricing_page_path", "Pricing page visit (page view)", eng, 15, 2, 30, "page_view", pricing),
			act("case_study_download", "Case study download", eng, 10, 3, 60, "content_download",
				contentType("case_study", "case-study", "case study")),
			act("content_download_other", "Whitepaper or ebook download", eng, 5, 4, 60, "content_download",
				contentType("whitepaper", "ebook")),
			act("webinar_attended", "Webinar attended", eng, 20, 2, 60, "webinar_attended"),
			act("webinar_registered", "Webinar registered", eng, 5, 2, 30, "webinar_registered"),
			act("demo_link_click", "Demo link click", eng, 25, 1, 30, "email_click", demo),
			act("email_open", "Email open", eng, 5, 3, 30, "email_open"),
			act("email_click", "Email click (other links)", eng, 3, 5, 30, "email_click", notDemo),
			act("email_reply", "Email reply", eng, 10, 2, 30, "email_reply"),
			act("form_submit", "Form submitted", eng, 10, 3, 60, "form_submit"),
			act("event_attended", "Event attended", eng, 15, 2, 90, "event_attended"),
			act("demo_request", "Demo request", eng, 40, 1, 60, "demo_request"),
			act("quote_request", "Quote request", eng, 40, 1, 60, "quote_request"),
			act("trial_signup", "Trial signup", eng, 30, 1, 60, "trial_signup"),
			act("product_usage", "Product usage", eng, 2, 10, 14, "product_usage"),
			act("social_engagement", "Social engagement", eng, 2, 5, 30, "social_engagement"),
			pageView,
			act("intent_competitor_research", "Intent: competitor research", CategoryIntent, 10, 1, 30, "intent.competitor_research"),

			act("unsubscribe", "Unsubscribed", neg, -10, 1, 0, "unsubscribe"),
			act("careers_page", "Careers page visit", neg, -5, 2, 90, "careers_page_view"),
			act("support_ticket_non_sales", "Support ticket unrelated to sales", neg, -3, 3, 60, "support_ticket",
				Condition{Field: "properties.category", Op: OpNotEquals, Value: "sales"}),
			act("job_change_competitor", "Job change to a competitor", neg, -20, 1, 0, "job_change",
				Condition{Field: "properties.to_competitor", Op: OpEquals, Value: true}),
		},
	}
}

// clone returns a copy of m that shares no slices with it.
func (m Model) clone() Model {
	m.Rules = slices.Clone(m.Rules)
	for i := range m.Rules {
		m.Rules[i].When = slices.Clone(m.Rules[i].When)
		m.Rules[i].Events = slices.Clone(m.Rules[i].Events)
	}
	m.Grades = slices.Clone(m.Grades)
	m.Actions = slices.Clone(m.Actions)
	return m
}

// round2 rounds x to 2 decimals, never returning negative zero.
func round2(x float64) float64 {
	r := math.Round(x*100) / 100
	if r == 0 {
		return 0
	}
	return r
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

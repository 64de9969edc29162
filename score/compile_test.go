package score_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
)

// fieldErrors compiles m and returns its field errors, failing unless Compile returns an EINVALID
// *leadflow.Error.
func fieldErrors(t *testing.T, m score.Model) []leadflow.FieldError {
	t.Helper()
	c, err := m.Compile()
	var e *leadflow.Error
	if !errors.As(err, &e) || e.Code != leadflow.EINVALID || c != nil {
		t.Fatalf("Compile = %v, %v; want nil and an EINVALID *leadflow.Error", c, err)
	}
	return e.Fields
}

// TestDefaultModelCompiles checks the seed model (S-SCORE-1 … S-SCORE-3).
func TestDefaultModelCompiles(t *testing.T) {
	if _, err := score.DefaultModel().Compile(); err != nil {
		t.Fatalf("DefaultModel().Compile() = %v", err)
	}
}

// TestCompileErrors checks that each invalid part of a model is named by its path with a reason
// (S-SCORE-1 … S-SCORE-6).
func TestCompileErrors(t *testing.T) {
	fit := func(c score.Condition) score.Rule {
		return score.Rule{ID: "f", Kind: score.KindFit, Points: 1, When: []score.Condition{c}}
	}
	behavior := func(mod func(*score.Rule)) score.Rule {
		r := score.Rule{ID: "b", Kind: score.KindBehavior, Points: 1, Events: []string{"page_view"}}
		mod(&r)
		return r
	}
	hook := "https://hooks.example.com/x"
	tests := []struct {
		name   string
		model  score.Model
		field  string
		reason string // a part of the reason
	}{
		{"unknown operator", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "email", Op: "eq", Value: "x"})}},
			"rules[0].when[0].op", `unknown operator "eq"; use one of equals, not_equals, in, contains, matches, not_matches, gt, gte, lt, lte, between, exists`},
		{"unknown lead field", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "title", Op: "exists"})}},
			"rules[0].when[0].field", `unknown field "title"; use`},
		{"empty custom key", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "custom.", Op: "exists"})}},
			"rules[0].when[0].field", `unknown field "custom."`},
		{"empty event field", score.Model{Rules: []score.Rule{behavior(func(r *score.Rule) {
			r.When = []score.Condition{{Field: "properties.", Op: "exists"}}
		})}}, "rules[0].when[0].field", `unknown field "properties."`},
		{"bad regex", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "email", Op: "matches", Value: "("})}},
			"rules[0].when[0].value", "invalid regular expression"},
		{"regex not a string", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "email", Op: "not_matches", Value: 3})}},
			"rules[0].when[0].value", "needs a regular expression string"},
		{"between reversed", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "company_size", Op: "between", Value: []any{500, 50}})}},
			"rules[0].when[0].value", "min <= max"},
		{"between one number", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "company_size", Op: "between", Value: []any{50}})}},
			"rules[0].when[0].value", "two numbers"},
		{"between strings", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "company_size", Op: "between", Value: []any{"a", "b"}})}},
			"rules[0].when[0].value", "two numbers"},
		{"in not a list", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "country", Op: "in", Value: "US"})}},
			"rules[0].when[0].value", "non-empty list"},
		{"in empty list", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "country", Op: "in", Value: []any{}})}},
			"rules[0].when[0].value", "non-empty list"},
		{"in bad item", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "country", Op: "in", Value: []any{"US", nil}})}},
			"rules[0].when[0].value[1]", "string, number or bool"},
		{"gt string", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "company_size", Op: "gt", Value: "10"})}},
			"rules[0].when[0].value", "gt needs a number"},
		{"equals nothing", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "country", Op: "equals"})}},
			"rules[0].when[0].value", "equals needs"},
		{"equals blank", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "country", Op: "equals", Value: " "})}},
			"rules[0].when[0].value", "equals needs"},
		{"exists string", score.Model{Rules: []score.Rule{fit(score.Condition{Field: "country", Op: "exists", Value: "yes"})}},
			"rules[0].when[0].value", "true, false or no value"},
		{"bad id", score.Model{Rules: []score.Rule{{ID: "Title Exec", Kind: "fit"}}}, "rules[0].id", "not a valid id"},
		{"empty id", score.Model{Rules: []score.Rule{{Kind: "fit"}}}, "rules[0].id", "not a valid id"},
		{"duplicate id", score.Model{Rules: []score.Rule{{ID: "x", Kind: "fit"}, {ID: "x", Kind: "fit"}}}, "rules[1].id", `duplicate id "x"`},
		{"unknown kind", score.Model{Rules: []score.Rule{{ID: "x", Kind: "behaviour"}}}, "rules[0].kind", `unknown kind "behaviour"; use fit or behavior`},
		{"points NaN", score.Model{Rules: []score.Rule{{ID: "x", Kind: "fit", Points: math.NaN()}}}, "rules[0].points", "finite"},
		{"points infinite", score.Model{Rules: []score.Rule{{ID: "x", Kind: "fit", Points: math.Inf(-1)}}}, "rules[0].points", "finite"},
		{"fit with events", score.Model{Rules: []score.Rule{{ID: "x", Kind: "fit", Events: []string{"page_view"}}}}, "rules[0].events", "must not have events"},
		{"fit with max_count", score.Model{Rules: []score.Rule{{ID: "x", Kind: "fit", MaxCount: 2}}}, "rules[0].max_count", "only to behavior rules"},
		{"fit with half-life", score.Model{Rules: []score.Rule{{ID: "x", Kind: "fit", HalfLifeDays: 2}}}, "rules[0].half_life_days", "only to behavior rules"},
		{"behaviour without events", score.Model{Rules: []score.Rule{behavior(func(r *score.Rule) { r.Events = nil })}}, "rules[0].events", "at least one event type"},
		{"unknown event", score.Model{Rules: []score.Rule{behavior(func(r *score.Rule) { r.Events = []string{"page_veiw"} })}},
			"rules[0].events[0]", `unknown event type "page_veiw"`},
		{"bare custom event", score.Model{Rules: []score.Rule{behavior(func(r *score.Rule) { r.Events = []string{"custom."} })}},
			"rules[0].events[0]", "unknown event type"},
		{"duplicate event", score.Model{Rules: []score.Rule{behavior(func(r *score.Rule) { r.Events = []string{"page_view", "page_view"} })}},
			"rules[0].events[1]", "duplicate event type"},
		{"negative max_count", score.Model{Rules: []score.Rule{behavior(func(r *score.Rule) { r.MaxCount = -1 })}}, "rules[0].max_count", "between 0 and 100"},
		{"max_count over MaxHits", score.Model{Rules: []score.Rule{behavior(func(r *score.Rule) { r.MaxCount = 101 })}}, "rules[0].max_count", "between 0 and 100"},
		{"negative max_points", score.Model{Rules: []score.Rule{behavior(func(r *score.Rule) { r.MaxPoints = -20 })}}, "rules[0].max_points", ">= 0"},
		{"negative half-life", score.Model{Rules: []score.Rule{behavior(func(r *score.Rule) { r.HalfLifeDays = -1 })}}, "rules[0].half_life_days", "between 0 and 36500"},
		{"infinite expiry", score.Model{Rules: []score.Rule{behavior(func(r *score.Rule) { r.ExpireDays = math.Inf(1) })}}, "rules[0].expire_days", "between 0 and 36500"},
		{"grades not descending", score.Model{Grades: []score.Grade{{"A", 40}, {"B", 40}}}, "grades[1].min_fit", "lower than grades[0].min_fit"},
		{"grade empty", score.Model{Grades: []score.Grade{{"A", 40}, {"", 20}}}, "grades[1].grade", "must not be empty"},
		{"grade duplicate", score.Model{Grades: []score.Grade{{"A", 40}, {"A", 20}}}, "grades[1].grade", "duplicate grade"},
		{"bands reversed", score.Model{Bands: score.Bands{Hot: 50, Warm: 60}}, "bands.hot", "greater than bands.warm"},
		{"bands equal", score.Model{Bands: score.Bands{Hot: 50, Warm: 50}}, "bands.hot", "greater than bands.warm"},
		{"action id", score.Model{Actions: []score.Action{{ID: "", Threshold: 75, WebhookURL: hook}}}, "actions[0].id", "not a valid id"},
		{"action duplicate id", score.Model{Actions: []score.Action{{ID: "a", WebhookURL: hook}, {ID: "a", WebhookURL: hook}}}, "actions[1].id", "duplicate id"},
		{"action url scheme", score.Model{Actions: []score.Action{{ID: "a", Threshold: 75, WebhookURL: "ftp://x.io/hook"}}}, "actions[0].webhook_url", "http or https"},
		{"action url relative", score.Model{Actions: []score.Action{{ID: "a", Threshold: 75, WebhookURL: "/hook"}}}, "actions[0].webhook_url", "http or https"},
		{"action threshold", score.Model{Actions: []score.Action{{ID: "a", Threshold: math.NaN(), WebhookURL: hook}}}, "actions[0].threshold", "finite"},
		{"negative version", score.Model{Version: -1}, "version", "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fieldErrors(t, tt.model)
			if len(got) != 1 || got[0].Field != tt.field || !strings.Contains(got[0].Reason, tt.reason) {
				t.Errorf("field errors = %+v, want one on %s containing %q", got, tt.field, tt.reason)
			}
		})
	}
}

// TestCompileCollectsAllErrors checks that Compile reports every invalid field at once, in model
// order.
func TestCompileCollectsAllErrors(t *testing.T) {
	m := score.DefaultModel()
	m.Rules[0].ID = "Bad"
	m.Rules[3].When[0].Op = "eq"
	m.Rules[6].Events = append(m.Rules[6].Events, "nope")
	m.Rules[7].When[0].Value = "case_study"
	m.Grades = []score.Grade{{"A", 10}, {"B", 20}}
	m.Bands = score.Bands{Hot: 10, Warm: 20}
	m.Actions = []score.Action{{ID: "demo_invite", Threshold: 75, WebhookURL: "mailto:sales@example.com"}}

	var got []string
	for _, fe := range fieldErrors(t, m) {
		got = append(got, fe.Field)
	}
	want := []string{"rules[0].id", "rules[3].when[0].op", "rules[6].events[1]", "rules[7].when[0].value",
		"grades[1].min_fit", "bands.hot", "actions[0].webhook_url"}
	if d := diff(want, got); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
}

// TestCompileErrorMessage checks the error text: the field and reason of a single problem, the
// number of problems otherwise.
func TestCompileErrorMessage(t *testing.T) {
	one := score.Model{Rules: []score.Rule{{ID: "x", Kind: "fit", When: []score.Condition{{Field: "email", Op: "eq"}}}}}
	two := score.Model{Rules: []score.Rule{{ID: "x", Kind: "fit", When: []score.Condition{{Field: "mail", Op: "eq"}}}}}
	tests := []struct {
		model score.Model
		want  string
	}{
		{one, `invalid: rules[0].when[0].op: unknown operator "eq"`},
		{two, "invalid: invalid scoring model: 2 problem(s)"},
	}
	for _, tt := range tests {
		if _, err := tt.model.Compile(); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("err = %v, want prefix %q", err, tt.want)
		}
	}
}

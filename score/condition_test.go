package score_test

import (
	"encoding/json"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
)

// fitMatches reports whether a fit rule with the single condition c matches lead.
func fitMatches(t *testing.T, c score.Condition, lead leadflow.Lead) bool {
	t.Helper()
	m := score.Model{Rules: []score.Rule{{ID: "r", Kind: score.KindFit, Points: 1, When: []score.Condition{c}}}}
	return mustCompile(t, m).Evaluate(&lead, nil, now).Fit == 1
}

// eventMatches reports whether a behaviour rule with the single condition c matches ev.
func eventMatches(t *testing.T, c score.Condition, ev leadflow.Event) bool {
	t.Helper()
	m := score.Model{Rules: []score.Rule{{ID: "r", Kind: score.KindBehavior, Points: 1,
		Events: []string{ev.Type}, When: []score.Condition{c}}}}
	_, matched := mustCompile(t, m).Record(nil, &ev, now)
	return len(matched) == 1
}

// TestFitOperators covers every operator over lead fields, missing fields and numeric strings
// (S-SCORE-1).
func TestFitOperators(t *testing.T) {
	lead := leadflow.Lead{
		Email: "Ann@Example.com", Industry: " technology ", JobTitle: "Senior Software Engineer",
		CompanySize: 200, Country: "US", City: "  ",
		Custom: map[string]any{
			"plan": "Pro", "revenue": 2500.0, "employees": "200", "arr": json.Number("1200"),
			"vip": true, "flag": "TRUE", "tags": []any{"Partner", "beta"}, "note": "n/a", "blank": "",
		},
	}
	tests := []struct {
		name  string
		field string
		op    string
		value any
		want  bool
	}{
		{"equals trims and ignores case", "industry", "equals", "Technology", true},
		{"equals other value", "industry", "equals", "Retail", false},
		{"equals missing field", "region", "equals", "EMEA", false},
		{"blank field is missing", "city", "not_equals", "London", true},
		{"equals number on numeric field", "company_size", "equals", 200, true},
		{"equals string on numeric field", "company_size", "equals", "200", true},
		{"equals number on numeric string", "custom.employees", "equals", 200.0, true},
		{"equals bool", "custom.vip", "equals", true, true},
		{"equals bool on string", "custom.flag", "equals", true, true},
		{"equals custom string", "custom.plan", "equals", "pro", true},
		{"equals missing custom key", "custom.nope", "equals", "pro", false},
		{"not_equals other value", "country", "not_equals", "CA", true},
		{"not_equals same value", "country", "not_equals", "us", false},
		{"not_equals missing field is the complement of equals", "region", "not_equals", "EMEA", true},
		{"in matches case-insensitively", "country", "in", []any{"uk", "us"}, true},
		{"in with []string", "country", "in", []string{"UK", "US"}, true},
		{"in no match", "country", "in", []any{"UK", "CA"}, false},
		{"in missing field", "region", "in", []any{"EMEA"}, false},
		{"in numbers", "company_size", "in", []any{100, 200}, true},
		{"contains substring ignoring case", "job_title", "contains", "SOFTWARE", true},
		{"contains no match", "job_title", "contains", "sales", false},
		{"contains missing field", "region", "contains", "a", false},
		{"contains list item", "custom.tags", "contains", "partner", true},
		{"contains not in list", "custom.tags", "contains", "alpha", false},
		{"matches", "email", "matches", `@example\.com$`, false},
		{"matches with (?i)", "email", "matches", `(?i)@example\.com$`, true},
		{"matches missing field", "phone", "matches", `.*`, false},
		{"not_matches when not matching", "email", "not_matches", `@gmail\.com$`, true},
		{"not_matches when matching", "email", "not_matches", `(?i)example`, false},
		{"not_matches missing field is the complement of matches", "phone", "not_matches", `\d`, true},
		{"gt above", "company_size", "gt", 199, true},
		{"gt equal", "company_size", "gt", 200, false},
		{"gte equal", "company_size", "gte", 200, true},
		{"gte below", "company_size", "gte", 201, false},
		{"lt below", "company_size", "lt", 201, true},
		{"lt equal", "company_size", "lt", 200, false},
		{"lte equal", "company_size", "lte", 200, true},
		{"lte above", "company_size", "lte", 199.5, false},
		{"gt float custom", "custom.revenue", "gt", 1000, true},
		{"gt json.Number custom", "custom.arr", "gt", 1000, true},
		{"gt numeric string", "custom.employees", "gt", 150, true},
		{"gt non-numeric string", "custom.note", "gt", 0, false},
		{"gt missing field", "custom.nope", "gt", -1, false},
		{"gte json.Number operand", "company_size", "gte", json.Number("200"), true},
		{"between inclusive min", "company_size", "between", []any{200, 500}, true},
		{"between inclusive max", "company_size", "between", []any{50, 200}, true},
		{"between below", "company_size", "between", []any{201, 500}, false},
		{"between above", "company_size", "between", []float64{50, 199.99}, false},
		{"between numeric string", "custom.employees", "between", []any{50, 500}, true},
		{"between missing field", "custom.nope", "between", []any{0, 1}, false},
		{"exists present", "email", "exists", nil, true},
		{"exists true present", "email", "exists", true, true},
		{"exists missing", "phone", "exists", nil, false},
		{"exists blank string", "custom.blank", "exists", true, false},
		{"exists false missing", "phone", "exists", false, true},
		{"exists false blank", "city", "exists", false, true},
		{"exists false present", "email", "exists", false, false},
		{"exists list", "custom.tags", "exists", nil, true},
		{"seniority derived from job title", "seniority", "equals", "individual", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := score.Condition{Field: tt.field, Op: tt.op, Value: tt.value}
			if got := fitMatches(t, c, lead); got != tt.want {
				t.Errorf("%s %s %v = %v, want %v", tt.field, tt.op, tt.value, got, tt.want)
			}
		})
	}
}

// TestSeniority checks that an explicit seniority wins over the one derived from the job title
// (S-SCORE-1).
func TestSeniority(t *testing.T) {
	exec := score.Condition{Field: "seniority", Op: "in", Value: []any{"c_level", "vp"}}
	tests := []struct {
		lead leadflow.Lead
		want bool
	}{
		{leadflow.Lead{JobTitle: "VP of Sales"}, true},
		{leadflow.Lead{JobTitle: "Chief Executive Officer"}, true},
		{leadflow.Lead{JobTitle: "VP of Sales", Seniority: "manager"}, false},
		{leadflow.Lead{JobTitle: "Engineer", Seniority: "C_Level"}, true},
		{leadflow.Lead{}, false},
	}
	for _, tt := range tests {
		if got := fitMatches(t, exec, tt.lead); got != tt.want {
			t.Errorf("title %q seniority %q: matched %v, want %v", tt.lead.JobTitle, tt.lead.Seniority, got, tt.want)
		}
	}
}

// TestEventOperators covers conditions over event type and properties, with numbers as float64,
// json.Number, int or strings (S-SCORE-2).
func TestEventOperators(t *testing.T) {
	props := func(v any) map[string]any { return map[string]any{"count": v} }
	tests := []struct {
		name string
		cond score.Condition
		ev   leadflow.Event
		want bool
	}{
		{"type", score.Condition{Field: "type", Op: "equals", Value: "custom.signup"}, event("custom.signup", now, nil), true},
		{"bare key float64", score.Condition{Field: "count", Op: "gte", Value: 3}, event("custom.x", now, props(3.0)), true},
		{"properties key json.Number", score.Condition{Field: "properties.count", Op: "gte", Value: 3}, event("custom.x", now, props(json.Number("3"))), true},
		{"numeric string", score.Condition{Field: "count", Op: "gt", Value: 2.5}, event("custom.x", now, props(" 3 ")), true},
		{"int", score.Condition{Field: "count", Op: "lt", Value: 3}, event("custom.x", now, props(3)), false},
		{"between json.Number", score.Condition{Field: "count", Op: "between", Value: []any{1, 3}}, event("custom.x", now, props(json.Number("2.5"))), true},
		{"equals number vs string", score.Condition{Field: "count", Op: "equals", Value: 42}, event("custom.x", now, props("42.0")), true},
		{"missing property", score.Condition{Field: "count", Op: "gte", Value: 0}, event("custom.x", now, nil), false},
		{"nil property", score.Condition{Field: "count", Op: "equals", Value: "x"}, event("custom.x", now, props(nil)), false},
		{"exists false on nil property", score.Condition{Field: "count", Op: "exists", Value: false}, event("custom.x", now, props(nil)), true},
		{"in on property", score.Condition{Field: "properties.count", Op: "in", Value: []any{"a", "B"}}, event("custom.x", now, props("b")), true},
		{"contains list property", score.Condition{Field: "count", Op: "contains", Value: 2}, event("custom.x", now, props([]any{1.0, 2.0})), true},
		{"matches path", score.Condition{Field: "path", Op: "matches", Value: `(?i)/pricing`}, event("page_view", now, map[string]any{"path": "/PRICING"}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eventMatches(t, tt.cond, tt.ev); got != tt.want {
				t.Errorf("matched = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestConditionsAllMustHold checks that a rule needs every condition (S-SCORE-1).
func TestConditionsAllMustHold(t *testing.T) {
	m := score.Model{Rules: []score.Rule{{ID: "r", Kind: score.KindFit, Points: 1, When: []score.Condition{
		{Field: "country", Op: "equals", Value: "US"},
		{Field: "company_size", Op: "gte", Value: 100},
	}}}}
	c := mustCompile(t, m)
	for _, tt := range []struct {
		lead leadflow.Lead
		want float64
	}{
		{leadflow.Lead{Country: "US", CompanySize: 100}, 1},
		{leadflow.Lead{Country: "US", CompanySize: 99}, 0},
		{leadflow.Lead{Country: "CA", CompanySize: 100}, 0},
	} {
		if got := c.Evaluate(&tt.lead, nil, now).Fit; got != tt.want {
			t.Errorf("%+v: fit %v, want %v", tt.lead, got, tt.want)
		}
	}
}

// TestUnknownCompanySize checks that a company size of 0 is unknown, so no comparison matches it
// (S-SCORE-1).
func TestUnknownCompanySize(t *testing.T) {
	for _, c := range []score.Condition{
		{Field: "company_size", Op: "lt", Value: 1000},
		{Field: "company_size", Op: "equals", Value: 0},
		{Field: "company_size", Op: "exists"},
	} {
		if fitMatches(t, c, leadflow.Lead{}) {
			t.Errorf("%s %s %v matched an unknown company size", c.Field, c.Op, c.Value)
		}
	}
	if !fitMatches(t, score.Condition{Field: "company_size", Op: "exists", Value: false}, leadflow.Lead{}) {
		t.Error("exists false did not match an unknown company size")
	}
}

package score_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
)

// now is the fixed evaluation time of the tests.
var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// mustCompile compiles m or fails the test.
func mustCompile(t testing.TB, m score.Model) *score.Compiled {
	t.Helper()
	c, err := m.Compile()
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

// event returns an event of type typ at time at with the given properties.
func event(typ string, at time.Time, props map[string]any) leadflow.Event {
	return leadflow.Event{Type: typ, OccurredAt: at, Properties: props}
}

// diff describes how got differs from want (reflect.DeepEqual), or returns "" when they are equal.
func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("-want %+v\n+got  %+v", want, got)
}

// seedLead is the lead of the seed example (S-SCORE-5).
func seedLead() leadflow.Lead {
	return leadflow.Lead{JobTitle: "CEO", Industry: "Technology", CompanySize: 200, Country: "US"}
}

// pointsByRule is the (rule id, points) view of a result's explanation.
type rulePoints struct {
	ID     string
	Points float64
}

func pointsByRule(r score.Result) []rulePoints {
	var out []rulePoints
	for _, c := range r.Contributions {
		out = append(out, rulePoints{c.RuleID, c.Points})
	}
	return out
}

// TestSeedExample is the seed's golden case (S-SCORE-1, S-SCORE-2, S-SCORE-5, S-SCORE-9).
func TestSeedExample(t *testing.T) {
	c := mustCompile(t, score.DefaultModel())
	lead := seedLead()
	hits := c.HitsFromEvents([]leadflow.Event{
		event("pricing_page_view", now, nil),
		event("webinar_attended", now, nil),
	}, now)

	got := c.Evaluate(&lead, hits, now)

	if got.Fit != 50 || got.Engagement != 35 || got.Total != 85 || got.Grade != "A" || got.Band != score.BandHot {
		t.Errorf("score = fit %v engagement %v total %v grade %s band %s, want 50 35 85 A hot",
			got.Fit, got.Engagement, got.Total, got.Grade, got.Band)
	}
	want := []rulePoints{
		{"title_exec", 20}, {"industry_technology", 15}, {"company_size_50_500", 10},
		{"location_us_uk_ca", 5}, {"pricing_page", 15}, {"webinar_attended", 20},
	}
	if d := diff(want, pointsByRule(got)); d != "" {
		t.Errorf("contributions (-want +got):\n%s", d)
	}
	// Both behaviour rules decay, so the score must be refreshed within DecayResolution.
	if want := now.Add(score.DecayResolution); !got.RescoreAt.Equal(want) {
		t.Errorf("RescoreAt = %v, want %v", got.RescoreAt, want)
	}
}

// TestSeedExampleExplanation checks every explained detail of one behaviour contribution
// (S-SCORE-9).
func TestSeedExampleExplanation(t *testing.T) {
	c := mustCompile(t, score.DefaultModel())
	lead := seedLead()
	hits, _ := c.Record(nil, new(event("webinar_attended", now.Add(-60*day), nil)), now)

	got := c.Evaluate(&lead, hits, now)

	last := now.Add(-60 * day)
	want := score.Contribution{RuleID: "webinar_attended", Name: "Webinar attended", Kind: score.KindBehavior,
		Category: score.CategoryEngagement, BasePoints: 20, Count: 1, Points: 10, Decayed: 10, LastAt: &last}
	if d := diff(want, got.Contributions[len(got.Contributions)-1]); d != "" {
		t.Errorf("contribution (-want +got):\n%s", d)
	}
}

// TestDefaultModelPartitions checks that the paired default rules never count one event twice
// (S-SCORE-2): demo vs other email clicks, pricing vs other page views.
func TestDefaultModelPartitions(t *testing.T) {
	c := mustCompile(t, score.DefaultModel())
	tests := []struct {
		name string
		ev   leadflow.Event
		want []string
	}{
		{"demo click", event("email_click", now, map[string]any{"url": "https://x.io/Book-a-DEMO"}), []string{"demo_link_click"}},
		{"other click", event("email_click", now, map[string]any{"url": "https://x.io/blog"}), []string{"email_click"}},
		{"click without url", event("email_click", now, nil), []string{"email_click"}},
		{"pricing page view", event("page_view", now, map[string]any{"path": "/Pricing/enterprise"}), []string{"pricing_page_path"}},
		{"other page view", event("page_view", now, map[string]any{"path": "/blog"}), []string{"page_view"}},
		{"page view without path", event("page_view", now, nil), []string{"page_view"}},
		{"pricing page event", event("pricing_page_view", now, nil), []string{"pricing_page"}},
		{"case study", event("content_download", now, map[string]any{"content_type": " Case Study "}), []string{"case_study_download"}},
		{"ebook", event("content_download", now, map[string]any{"content_type": "ebook"}), []string{"content_download_other"}},
		{"other download", event("content_download", now, map[string]any{"content_type": "price list"}), nil},
		{"sales ticket", event("support_ticket", now, map[string]any{"category": "Sales"}), nil},
		{"billing ticket", event("support_ticket", now, map[string]any{"category": "billing"}), []string{"support_ticket_non_sales"}},
		{"job change to competitor", event("job_change", now, map[string]any{"to_competitor": true}), []string{"job_change_competitor"}},
		{"job change to competitor as string", event("job_change", now, map[string]any{"to_competitor": "true"}), []string{"job_change_competitor"}},
		{"other job change", event("job_change", now, map[string]any{"to_competitor": false}), nil},
		{"intent", event("intent.competitor_research", now, nil), []string{"intent_competitor_research"}},
		{"unscored custom event", event("custom.anything", now, nil), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := c.Record(nil, &tt.ev, now)
			if d := diff(tt.want, got); d != "" {
				t.Errorf("matched rules (-want +got):\n%s", d)
			}
		})
	}
}

// TestNegativeRules checks that negative rules lower the engagement score (S-SCORE-3).
func TestNegativeRules(t *testing.T) {
	c := mustCompile(t, score.DefaultModel())
	lead := seedLead()
	hits := c.HitsFromEvents([]leadflow.Event{
		event("webinar_attended", now, nil),
		event("unsubscribe", now.Add(-400*day), nil), // no decay: still -10
		event("unsubscribe", now, nil),               // max_count 1
		event("job_change", now, map[string]any{"to_competitor": true}),
	}, now)

	got := c.Evaluate(&lead, hits, now)

	if got.Engagement != -10 || got.Total != 40 || got.Band != score.BandCold {
		t.Errorf("engagement %v total %v band %s, want -10 40 cold", got.Engagement, got.Total, got.Band)
	}
	want := []rulePoints{
		{"title_exec", 20}, {"industry_technology", 15}, {"company_size_50_500", 10}, {"location_us_uk_ca", 5},
		{"webinar_attended", 20}, {"unsubscribe", -10}, {"job_change_competitor", -20},
	}
	if d := diff(want, pointsByRule(got)); d != "" {
		t.Errorf("contributions (-want +got):\n%s", d)
	}
	for _, con := range got.Contributions[5:] {
		if con.Category != score.CategoryNegative {
			t.Errorf("%s category = %q, want negative", con.RuleID, con.Category)
		}
	}
}

// TestGradeAndBand checks the default and configured grades and bands at their boundaries
// (S-SCORE-5).
func TestGradeAndBand(t *testing.T) {
	def := mustCompile(t, score.Model{})
	custom := mustCompile(t, score.Model{
		Grades: []score.Grade{{"Gold", 60}, {"Silver", 30}, {"Bronze", -100}},
		Bands:  score.Bands{Hot: 100, Warm: 20},
	})
	grades := []struct {
		c    *score.Compiled
		fit  float64
		want string
	}{
		{def, 100, "A"}, {def, 40, "A"}, {def, 39.99, "B"}, {def, 25, "B"}, {def, 24.99, "C"},
		{def, 10, "C"}, {def, 9.99, "D"}, {def, 0, "D"}, {def, -30, "D"},
		{custom, 60, "Gold"}, {custom, 59, "Silver"}, {custom, -100, "Bronze"}, {custom, -101, "Bronze"},
	}
	for _, tt := range grades {
		if got := tt.c.Grade(tt.fit); got != tt.want {
			t.Errorf("Grade(%v) = %s, want %s", tt.fit, got, tt.want)
		}
	}
	bands := []struct {
		c     *score.Compiled
		total float64
		want  string
	}{
		{def, 75, "hot"}, {def, 74.99, "warm"}, {def, 50, "warm"}, {def, 49.99, "cold"}, {def, -5, "cold"},
		{custom, 100, "hot"}, {custom, 99, "warm"}, {custom, 20, "warm"}, {custom, 19, "cold"},
	}
	for _, tt := range bands {
		if got := tt.c.Band(tt.total); got != tt.want {
			t.Errorf("Band(%v) = %s, want %s", tt.total, got, tt.want)
		}
	}
}

// TestCrossedUp checks threshold crossing (S-SCORE-6).
func TestCrossedUp(t *testing.T) {
	a := score.Action{ID: "demo_invite", Threshold: 75, WebhookURL: "https://hooks.example.com/demo"}
	tests := []struct {
		old, new float64
		want     bool
	}{
		{74, 75, true}, {0, 90, true}, {74.99, 75, true},
		{75, 80, false}, {75, 75, false}, {80, 74, false}, {60, 74.99, false}, {90, 60, false},
	}
	for _, tt := range tests {
		if got := score.CrossedUp(a, tt.old, tt.new); got != tt.want {
			t.Errorf("CrossedUp(%v → %v) = %v, want %v", tt.old, tt.new, got, tt.want)
		}
	}

	m := score.DefaultModel()
	m.Actions = []score.Action{a, {ID: "alert", Threshold: 50, WebhookURL: "http://localhost:9000/x"}}
	c := mustCompile(t, m)
	got := c.CrossedActions(40, 80)
	if d := diff(m.Actions, got); d != "" {
		t.Errorf("CrossedActions(40, 80) (-want +got):\n%s", d)
	}
	if got := c.CrossedActions(60, 80); len(got) != 1 || got[0].ID != "demo_invite" {
		t.Errorf("CrossedActions(60, 80) = %v, want demo_invite only", got)
	}
}

// TestResultScore checks the stored form of a result (S-SCORE-5).
func TestResultScore(t *testing.T) {
	r := score.Result{Fit: 50, Engagement: 35, Total: 85, Grade: "A", Band: "hot", ModelVersion: 3}
	want := leadflow.Score{Fit: 50, Engagement: 35, Total: 85, Grade: "A", Band: "hot", ModelVersion: 3, ScoredAt: now}
	if d := diff(want, r.Score(now)); d != "" {
		t.Errorf("Score (-want +got):\n%s", d)
	}
}

// TestModelVersionAndCopy checks that the result names the model version (S-SCORE-9) and that
// Model returns a copy.
func TestModelVersionAndCopy(t *testing.T) {
	m := score.DefaultModel()
	m.Version = 7
	c := mustCompile(t, m)
	lead := seedLead()
	if got := c.Evaluate(&lead, nil, now).ModelVersion; got != 7 {
		t.Errorf("ModelVersion = %d, want 7", got)
	}
	got := c.Model()
	if d := diff(m, got); d != "" {
		t.Errorf("Model() (-want +got):\n%s", d)
	}
	got.Rules[0].When[0].Field = "email"
	got.Rules[1].Points = 1000
	if d := diff(m, c.Model()); d != "" {
		t.Errorf("Model() shares memory with the caller (-want +got):\n%s", d)
	}
}

// TestModelJSONRoundTrip checks that a model read back from JSON (numbers as float64, lists as
// []any) compiles and scores the same (S-SCORE-8).
func TestModelJSONRoundTrip(t *testing.T) {
	m := score.DefaultModel()
	m.Rules = append(m.Rules, score.Rule{ID: "no_phone", Kind: score.KindFit, Points: -1,
		When: []score.Condition{{Field: "phone", Op: score.OpExists, Value: false}}})
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back score.Model
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	events := []leadflow.Event{event("pricing_page_view", now, nil), event("webinar_attended", now, nil),
		event("page_view", now.Add(-3*day), map[string]any{"path": "/blog"})}
	lead := seedLead()
	orig, decoded := mustCompile(t, m), mustCompile(t, back)
	want := orig.Evaluate(&lead, orig.HitsFromEvents(events, now), now)
	got := decoded.Evaluate(&lead, decoded.HitsFromEvents(events, now), now)
	if d := diff(want, got); d != "" {
		t.Errorf("after JSON round trip (-want +got):\n%s", d)
	}
	if got.Fit != 49 {
		t.Errorf("Fit = %v, want 49 (exists false on a missing phone)", got.Fit)
	}
}

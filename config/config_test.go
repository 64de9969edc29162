package config_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/config"
	"github.com/leadflow/leadflow/lifecycle"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
	"github.com/leadflow/leadflow/sqlite"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var (
	now   = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	admin = service.Actor{Name: "config-test", Role: leadflow.RoleAdmin}
)

// open opens (or reopens) the SQLite database at path and a service on it.
func open(t *testing.T, path string) (*service.Service, *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, st, service.Options{Clock: fixedClock{now}})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return svc, st
}

func newService(t *testing.T) *service.Service {
	svc, st := open(t, filepath.Join(t.TempDir(), "db"))
	t.Cleanup(func() { st.Close() })
	return svc
}

func mustParse(t *testing.T, s string) *config.File {
	t.Helper()
	f, err := config.Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, s)
	}
	return f
}

func mustApply(t *testing.T, svc *service.Service, f *config.File) config.Changes {
	t.Helper()
	ch, err := config.Apply(context.Background(), svc, f, admin)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return ch
}

// fieldsOf returns the field errors of err, failing unless it is an EINVALID *leadflow.Error.
func fieldsOf(t *testing.T, err error) []leadflow.FieldError {
	t.Helper()
	var le *leadflow.Error
	if !errors.As(err, &le) || le.Code != leadflow.EINVALID {
		t.Fatalf("want an EINVALID *leadflow.Error, got %T %v", err, err)
	}
	return le.Fields
}

const validFile = `# team config
scoring:
  name: lean
  rules:
    - id: title_exec
      name: Executives
      kind: fit
      points: 20
      when:
        - {field: seniority, op: in, value: [c_level, vp]}
    - id: size
      name: Mid-size company
      kind: fit
      points: 10
      when:
        - field: company_size
          op: between
          value: [50, 500]
    - id: demo_request
      name: Demo request
      kind: behavior
      points: 40
      events: [demo_request]
      max_count: 1
lifecycle:
  mql_threshold: 60
webhooks: []
ingest:
  create_leads_from_events: false
`

func TestLoadValid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leadflow.yaml")
	if err := os.WriteFile(path, []byte(validFile), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Scoring == nil || f.Scoring.Name != "lean" || len(f.Scoring.Rules) != 3 {
		t.Fatalf("scoring = %+v", f.Scoring)
	}
	// YAML integers become float64, as they would from JSON.
	if v := f.Scoring.Rules[1].When[0].Value; !reflect.DeepEqual(v, []any{50.0, 500.0}) {
		t.Errorf("between value = %#v", v)
	}
	want := lifecycle.DefaultConfig()
	want.MQLThreshold = 60 // keys left out of the section take their defaults
	if f.Lifecycle == nil || !reflect.DeepEqual(*f.Lifecycle, want) {
		t.Errorf("lifecycle = %+v, want %+v", f.Lifecycle, want)
	}
	if f.Webhooks == nil || len(*f.Webhooks) != 0 {
		t.Errorf("webhooks = %v, want an empty list (clear)", f.Webhooks)
	}
	if f.Ingest == nil || f.Ingest.CreateLeadsFromEvents {
		t.Errorf("ingest = %+v", f.Ingest)
	}

	// Absent sections are nil: they leave the live configuration unchanged.
	f = mustParse(t, "lifecycle:\n  unqualified_below: 10\n")
	if f.Scoring != nil || f.Webhooks != nil || f.Ingest != nil || f.Lifecycle.UnqualifiedBelow != 10 {
		t.Errorf("partial file = %+v", f)
	}
	for _, empty := range []string{"", "# nothing yet\n", "~\n"} {
		if f := mustParse(t, empty); !reflect.DeepEqual(f, &config.File{}) {
			t.Errorf("Parse(%q) = %+v", empty, f)
		}
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestUnknownKey(t *testing.T) {
	_, err := config.Parse([]byte("lifecycle:\n  mql_threshold: 60\n  mql_treshold: 70\n"))
	fe := fieldsOf(t, err)
	if len(fe) != 1 || fe[0].Field != "lifecycle.mql_treshold" || !strings.Contains(fe[0].Reason, `unknown key "mql_treshold"`) || !strings.Contains(fe[0].Reason, "line 3") {
		t.Errorf("fields = %+v", fe)
	}
	if !strings.Contains(err.Error(), "line 3") {
		t.Errorf("error %q does not name the line", err)
	}

	// Deep in the model, and at the top level.
	path := filepath.Join(t.TempDir(), "leadflow.yaml")
	bad := strings.Replace(validFile, "      max_count: 1\n", "      max_count: 1\n      maxcount: 2\n", 1) + "repz: []\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(path)
	fe = fieldsOf(t, err)
	if len(fe) != 2 || fe[0].Field != "scoring.rules[2].maxcount" || !strings.Contains(fe[0].Reason, "line 25") ||
		fe[1].Field != "repz" || !strings.Contains(fe[1].Reason, "line 31") {
		t.Errorf("fields = %+v", fe)
	}

	// A value of the wrong type names its path and line too.
	_, err = config.Parse([]byte("lifecycle:\n  mql_threshold: lots\n"))
	if fe := fieldsOf(t, err); len(fe) != 1 || fe[0].Field != "lifecycle.mql_threshold" || !strings.Contains(fe[0].Reason, "line 2") {
		t.Errorf("fields = %+v", fe)
	}
	// Malformed YAML.
	if _, err := config.Parse([]byte("scoring: [1\n")); leadflow.ErrorCode(err) != leadflow.EINVALID || !strings.Contains(err.Error(), "line") {
		t.Errorf("syntax error: %v", err)
	}
	if _, err := config.Parse([]byte("- scoring\n")); leadflow.ErrorCode(err) != leadflow.EINVALID {
		t.Errorf("not a mapping: %v", err)
	}
}

func TestBadOperator(t *testing.T) {
	bad := strings.Replace(validFile, "op: between", "op: within", 1)
	_, err := config.Parse([]byte(bad))
	fe := fieldsOf(t, err)
	if len(fe) != 1 || fe[0].Field != "scoring.rules[1].when[0].op" || !strings.Contains(fe[0].Reason, `unknown operator "within"`) || !strings.Contains(fe[0].Reason, "line 17") {
		t.Errorf("fields = %+v", fe)
	}
	if !strings.Contains(err.Error(), "scoring.rules[1].when[0].op: unknown operator") {
		t.Errorf("error = %q", err)
	}

	// Several problems in several sections are all reported, with lifecycle paths not doubled.
	bad = strings.Replace(validFile, "kind: behavior", "kind: event", 1)
	bad = strings.Replace(bad, "mql_threshold: 60", "mql_threshold: 10\n  sql_grades: [A, Z]", 1)
	bad = strings.Replace(bad, "webhooks: []", "webhooks:\n  - url: crm.example.com/hook", 1)
	_, err = config.Parse([]byte(bad))
	var got []string
	for _, f := range fieldsOf(t, err) {
		got = append(got, f.Field)
	}
	want := []string{"scoring.rules[2].kind", "lifecycle.mql_threshold", "lifecycle.sql_grades[1]", "webhooks[0].url"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v, want %v (%v)", got, want, err)
	}

	// A condition value YAML cannot give a scalar meaning is rejected at its path.
	bad = strings.Replace(validFile, "value: [c_level, vp]", "value: {a: 1}", 1)
	_, err = config.Parse([]byte(bad))
	if fe := fieldsOf(t, err); len(fe) != 1 || !strings.HasPrefix(fe[0].Field, "scoring.rules[0].when[0].value") {
		t.Errorf("fields = %+v", fe)
	}
	if _, err := config.Parse([]byte("scoring:\n")); leadflow.ErrorCode(err) != leadflow.EINVALID {
		t.Errorf("empty scoring: %v", err)
	}
}

func TestApplySameFileTwice(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	f := mustParse(t, validFile)

	ch := mustApply(t, svc, f)
	if !ch.ModelChanged || ch.ModelVersion != 2 || !ch.SettingsChanged || ch.Rescore == nil {
		t.Fatalf("first apply = %+v", ch)
	}
	if !reflect.DeepEqual(ch.Sections, []string{"scoring", "lifecycle", "ingest"}) {
		t.Errorf("sections = %v", ch.Sections)
	}
	// At the next start the same file (parsed again) changes nothing.
	ch = mustApply(t, svc, mustParse(t, validFile))
	if ch.ModelChanged || ch.SettingsChanged || ch.ModelVersion != 2 || len(ch.Sections) != 0 {
		t.Errorf("second apply = %+v", ch)
	}
	models, err := svc.Models(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(models) != 2 {
		t.Errorf("%d model versions, want 2 (default + one from the file)", len(models))
	}
	if s := ch.String(); !strings.Contains(s, "unchanged") {
		t.Errorf("String() = %q", s)
	}
}

func TestApplyChangedPoints(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	// Applying the export of a fresh database changes nothing.
	if ch := mustApply(t, svc, config.Export(svc, false)); ch.ModelChanged || ch.SettingsChanged || ch.ModelVersion != 1 {
		t.Fatalf("apply export = %+v", ch)
	}
	b, err := config.Marshal(config.Export(svc, false), now)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), "points: 20", "points: 25", 1) // title_exec
	if edited == string(b) {
		t.Fatal("points: 20 not found in the export")
	}
	ch := mustApply(t, svc, mustParse(t, edited))
	if !ch.ModelChanged || ch.SettingsChanged || ch.ModelVersion != 2 || !reflect.DeepEqual(ch.Sections, []string{"scoring"}) {
		t.Fatalf("apply = %+v", ch)
	}
	if r := svc.Model().Rules[0]; r.ID != "title_exec" || r.Points != 25 {
		t.Errorf("active rule = %+v", r)
	}
	jobs, err := svc.RescoreJobs(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) == 0 || jobs[0].ModelVersion != 2 || jobs[0].Status != "running" || ch.Rescore == nil || ch.Rescore.ID != jobs[0].ID {
		t.Fatalf("rescore jobs = %+v, changes = %+v", jobs, ch)
	}
	if err := svc.RescoreAll(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := svc.RescoreJobs(ctx, 1); jobs[0].Status != "done" {
		t.Errorf("job after RescoreAll = %+v", jobs[0])
	}
	// The version is informational: the edited file applied again creates nothing.
	if ch := mustApply(t, svc, mustParse(t, edited)); ch.ModelChanged {
		t.Errorf("re-apply = %+v", ch)
	}
}

func TestLifecyclePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	svc, st := open(t, path)
	ch := mustApply(t, svc, mustParse(t, "lifecycle:\n  mql_threshold: 65\n  criteria: [budget, need]\n"))
	if ch.ModelChanged || !ch.SettingsChanged || !reflect.DeepEqual(ch.Sections, []string{"lifecycle"}) {
		t.Errorf("apply = %+v", ch)
	}
	st.Close()

	svc, st = open(t, path)
	defer st.Close()
	life := svc.Lifecycle()
	if life.MQLThreshold != 65 || life.UnqualifiedBelow != 25 || !reflect.DeepEqual(life.Criteria, []string{"budget", "need"}) {
		t.Errorf("lifecycle after restart = %+v", life)
	}
	if ch := mustApply(t, svc, mustParse(t, "lifecycle:\n  mql_threshold: 65\n  criteria: [budget, need]\n")); ch.SettingsChanged {
		t.Errorf("re-apply after restart = %+v", ch)
	}
	// An invalid lifecycle in a programmatically built File is rejected before anything is stored.
	bad := lifecycle.DefaultConfig()
	bad.MQLThreshold = 5
	m := score.DefaultModel()
	m.Name = "other"
	if _, err := config.Apply(context.Background(), svc, &config.File{Scoring: &m, Lifecycle: &bad}, admin); leadflow.ErrorCode(err) != leadflow.EINVALID {
		t.Errorf("invalid lifecycle: %v", err)
	}
	if svc.Model().Version != 1 || svc.Lifecycle().MQLThreshold != 65 {
		t.Errorf("a rejected file changed the live configuration")
	}
}

func TestWebhooksSection(t *testing.T) {
	svc := newService(t)
	mustApply(t, svc, mustParse(t, "webhooks:\n  - url: https://hooks.example.com/a\n    secret: s3cret\n    events: [lead.created]\n"))
	if subs := svc.Subscriptions(); len(subs) != 1 || subs[0].Secret != "s3cret" {
		t.Fatalf("subscriptions = %+v", subs)
	}
	// Absent: unchanged.
	if ch := mustApply(t, svc, mustParse(t, "ingest:\n  create_leads_from_events: true\n")); ch.SettingsChanged || len(svc.Subscriptions()) != 1 {
		t.Errorf("absent webhooks changed something: %+v", ch)
	}
	// Empty list: cleared.
	if ch := mustApply(t, svc, mustParse(t, "webhooks: []\n")); !ch.SettingsChanged || len(svc.Subscriptions()) != 0 {
		t.Errorf("webhooks: [] = %+v, %v", ch, svc.Subscriptions())
	}
}

func TestExportRoundTrip(t *testing.T) {
	svc := newService(t)
	mustApply(t, svc, mustParse(t, "webhooks:\n  - url: https://hooks.example.com/a\n    events: [lead.scored]\nlifecycle:\n  sql_grades: []\n"))
	exported := config.Export(svc, false)
	b, err := config.Marshal(exported, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "# leadflow configuration — exported 2025-03-14T09:30:00Z; apply with: leadflow serve --config <file>\n") {
		t.Errorf("header:\n%s", b[:200])
	}
	parsed := mustParse(t, string(b))
	if !reflect.DeepEqual(parsed, exported) {
		t.Errorf("round trip differs:\nexported %+v\nparsed   %+v", exported, parsed)
	}
	if !reflect.DeepEqual(parsed.Scoring.Rules, svc.Model().Rules) {
		t.Errorf("rules differ after the round trip")
	}
	if ch := mustApply(t, svc, parsed); len(ch.Sections) != 0 {
		t.Errorf("applying the export changed %v", ch.Sections)
	}

	// The re-parsed model scores the seed lead like the default model: fit 50, engagement 35.
	c, err := parsed.Scoring.Compile()
	if err != nil {
		t.Fatal(err)
	}
	lead := &leadflow.Lead{JobTitle: "CEO", Industry: "Technology", CompanySize: 200, Country: "US"}
	events := []leadflow.Event{
		{Type: "pricing_page_view", OccurredAt: now},
		{Type: "webinar_attended", OccurredAt: now},
	}
	r := c.Evaluate(lead, c.HitsFromEvents(events, now), now)
	if r.Fit != 50 || r.Engagement != 35 || r.Total != 85 {
		t.Errorf("seed lead scores %v/%v/%v, want 50/35/85", r.Fit, r.Engagement, r.Total)
	}
}

func TestExample(t *testing.T) {
	ex := config.Example()
	f, err := config.Parse(ex)
	if err != nil {
		t.Fatalf("Example does not parse: %v\n%s", err, ex)
	}
	want := score.DefaultModel()
	if f.Scoring == nil || !reflect.DeepEqual(ruleIDs(f.Scoring.Rules), ruleIDs(want.Rules)) {
		t.Errorf("example rules differ from the default model")
	}
	if len(f.Scoring.Actions) != 1 || f.Scoring.Actions[0].Threshold != 75 || f.Scoring.Actions[0].WebhookURL != "https://crm.example.com/hooks/demo-invite" {
		t.Errorf("actions = %+v", f.Scoring.Actions)
	}
	if !reflect.DeepEqual(*f.Lifecycle, lifecycle.DefaultConfig()) || f.Webhooks == nil || len(*f.Webhooks) != 1 || !f.Ingest.CreateLeadsFromEvents {
		t.Errorf("example settings = %+v %+v %+v", f.Lifecycle, f.Webhooks, f.Ingest)
	}
	if !strings.Contains(string(ex), "# ") {
		t.Error("example has no comments")
	}

	svc := newService(t)
	ch := mustApply(t, svc, f)
	if !ch.ModelChanged || !ch.SettingsChanged || ch.ModelVersion != 2 {
		t.Errorf("apply example = %+v", ch)
	}
	if a := svc.Model().Actions; len(a) != 1 || a[0].ID != "demo_invite" {
		t.Errorf("active actions = %+v", a)
	}
	if ch := mustApply(t, svc, mustParse(t, string(config.Example()))); len(ch.Sections) != 0 {
		t.Errorf("example applied twice changed %v", ch.Sections)
	}
}

func ruleIDs(rules []score.Rule) []string {
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
	}
	return ids
}

func TestConditionValues(t *testing.T) {
	// Numbers, booleans, dates and lists as YAML writes them compile and match like JSON values.
	f := mustParse(t, `scoring:
  rules:
    - {id: big, name: Big, kind: fit, points: 5, when: [{field: company_size, op: gte, value: 1000}]}
    - {id: launch, name: Launch, kind: fit, points: 1, when: [{field: custom.since, op: equals, value: 2024-01-01}]}
    - {id: partner, name: Partner, kind: behavior, points: 2, events: [form_submit], when: [{field: partner, op: equals, value: true}]}
`)
	if v := f.Scoring.Rules[0].When[0].Value; v != 1000.0 {
		t.Errorf("gte value = %#v", v)
	}
	if v := f.Scoring.Rules[1].When[0].Value; v != "2024-01-01" {
		t.Errorf("date value = %#v", v)
	}
	c, err := f.Scoring.Compile()
	if err != nil {
		t.Fatal(err)
	}
	lead := &leadflow.Lead{CompanySize: 5000, Custom: map[string]any{"since": "2024-01-01"}}
	ev := []leadflow.Event{{Type: "form_submit", OccurredAt: now, Properties: map[string]any{"partner": true}}}
	if r := c.Evaluate(lead, c.HitsFromEvents(ev, now), now); r.Total != 8 {
		t.Errorf("total = %v, want 8", r.Total)
	}
}

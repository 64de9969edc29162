package config_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/config"
	"github.com/leadflow/leadflow/service"
)

const routingFile = `
teams:
  - name: East
  - name: West
territories:
  - name: DACH
    countries: [DE, AT, CH]
reps:
  - name: Alice
    email: alice@sales.example
    team: West
    level: senior
    territories: [DACH]
    hire_date: 2024-02-01
    timezone: Europe/Berlin
    working_hours: {days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00"}
    absences:
      - {from: 2026-08-01T00:00:00Z, to: 2026-08-15T00:00:00Z, reason: vacation}
  - name: Bob
    email: bob@sales.example
    team: East
    static_weight: 2
routing:
  - id: dach
    when: [{field: country, op: in, value: [DE, AT, CH]}]
    territory: true
    team: West
    method: round_robin
  - id: everyone
    reps: [alice@sales.example, bob@sales.example]
    method: weighted
    weights: static
    sla_minutes: 30
`

// TestRoutingSections proves S-CLI-2 for the routing configuration: teams, territories, reps and
// rules are applied from YAML with names instead of ids, a second apply changes nothing, the
// export round-trips, and unknown references name their path.
func TestRoutingSections(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	ch := mustApply(t, svc, mustParse(t, routingFile))
	if !reflect.DeepEqual(ch.Sections, []string{"teams", "territories", "reps", "routing"}) {
		t.Fatalf("sections: %v", ch.Sections)
	}
	reps, _ := service.RepKind.List(ctx, svc)
	if len(reps) != 2 || reps[0].Email != "alice@sales.example" || len(reps[0].TerritoryIDs) != 1 || reps[0].HireDate == nil ||
		len(reps[0].Absences) != 1 || reps[0].Absences[0].Source != "manual" || !reps[1].Active || reps[1].StaticWeight != 2 {
		t.Fatalf("reps: %+v", reps)
	}
	rules := svc.RoutingRules()
	if len(rules) != 2 || rules[0].TeamID == 0 || len(rules[1].RepIDs) != 2 || rules[1].SLAMinutes != 30 {
		t.Fatalf("rules: %+v", rules)
	}
	if ch := mustApply(t, svc, mustParse(t, routingFile)); len(ch.Sections) != 0 {
		t.Fatalf("second apply changed %v", ch.Sections)
	}
	out, err := config.Marshal(config.Export(svc, false), reps[0].CreatedAt)
	if err != nil {
		t.Fatal(err)
	}
	if ch := mustApply(t, svc, mustParse(t, string(out))); len(ch.Sections) != 0 {
		t.Fatalf("applying the export changed %v\n%s", ch.Sections, out)
	}
	// A change in the file reaches the live rep; the weight change is logged.
	changed := mustParse(t, routingFile)
	changed.Reps[1].StaticWeight = 3
	if ch := mustApply(t, svc, changed); !reflect.DeepEqual(ch.Sections, []string{"reps"}) {
		t.Fatalf("sections: %v", ch.Sections)
	}
	log, _ := svc.WeightChanges(ctx, reps[1].ID, 10)
	if len(log) != 1 || log[0].New != "3" || log[0].Actor != "config-test" {
		t.Fatalf("weight log: %+v", log)
	}
	bad := mustParse(t, routingFile)
	bad.Reps[0].Team = "North"
	_, err = config.Apply(ctx, svc, bad, service.Actor{Name: "config", Role: leadflow.RoleAdmin})
	if e, ok := err.(*leadflow.Error); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "reps[0].team" {
		t.Fatalf("unknown team: %v", err)
	}
}

package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/leadflow/leadflow"
)

// TestRepsTeamsTerritories covers S-REP-1, S-REP-2 and S-REP-4 through the API: create with
// validation that names the field, JSON-merge PATCH that keeps untouched fields, and conflicts
// on duplicate natural keys.
func TestRepsTeamsTerritories(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var team leadflow.Team
	e.must(http.StatusCreated, e.do("POST", "/api/v1/teams", leadflow.RoleAdmin, map[string]any{"name": "East"})).json(t, &team)
	e.must(http.StatusConflict, e.do("POST", "/api/v1/teams", leadflow.RoleAdmin, map[string]any{"name": "EAST"}))
	p := e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/territories", leadflow.RoleAdmin, map[string]any{"name": "Everything"})).problem(t)
	fieldNamed(t, p, "countries")
	var terr leadflow.Territory
	e.must(http.StatusCreated, e.do("POST", "/api/v1/territories", leadflow.RoleAdmin, map[string]any{"name": "DACH", "countries": []string{"DE", "AT", "CH"}})).json(t, &terr)

	p = e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/reps", leadflow.RoleAdmin, map[string]any{
		"name": "Alice", "email": "alice@sales", "level": "guru", "team_id": 99, "territory_ids": []int64{terr.ID, 77},
		"working_hours": map[string]any{"days": []int{1, 9}, "start": "9am", "end": "17:00"}})).problem(t)
	for _, f := range []string{"email", "level", "team_id", "territory_ids[1]", "working_hours.days[1]", "working_hours.start", "timezone"} {
		fieldNamed(t, p, f)
	}
	var rep leadflow.Rep
	r := e.must(http.StatusCreated, e.do("POST", "/api/v1/reps", leadflow.RoleAdmin, map[string]any{
		"name": "Alice", "email": "alice@sales.example", "level": "senior", "team_id": team.ID, "territory_ids": []int64{terr.ID},
		"weekly_hours": 40, "capacity_threshold": 20, "active": true, "timezone": "Europe/Berlin",
		"working_hours": map[string]any{"days": []int{1, 2, 3, 4, 5}, "start": "09:00", "end": "17:30"}}))
	r.json(t, &rep)
	if r.header.Get("Location") != "/api/v1/reps/"+itoa(rep.ID) {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	var patched leadflow.Rep
	e.must(http.StatusOK, e.do("PATCH", "/api/v1/reps/"+itoa(rep.ID), leadflow.RoleAdmin, map[string]any{
		"weekly_hours": 20, "absences": []map[string]any{{"from": "2026-06-01T00:00:00Z", "to": "2026-06-15T00:00:00Z", "reason": "vacation"}}})).json(t, &patched)
	if patched.WeeklyHours != 20 || patched.Name != "Alice" || patched.TeamID != team.ID || patched.WorkingHours == nil || len(patched.Absences) != 1 || !patched.CreatedAt.Equal(rep.CreatedAt) {
		t.Fatalf("merge patch: %+v", patched)
	}
	p = e.must(http.StatusUnprocessableEntity, e.do("PATCH", "/api/v1/reps/"+itoa(rep.ID), leadflow.RoleAdmin, map[string]any{"absences": []map[string]any{{"from": "2026-06-15T00:00:00Z", "to": "2026-06-01T00:00:00Z"}}})).problem(t)
	fieldNamed(t, p, "absences[0].to")
	e.must(http.StatusUnprocessableEntity, e.do("PATCH", "/api/v1/reps/"+itoa(rep.ID), leadflow.RoleAdmin, map[string]any{"wekly_hours": 10}))
	e.must(http.StatusNotFound, e.do("PATCH", "/api/v1/reps/999", leadflow.RoleAdmin, map[string]any{"name": "x"}))
	e.must(http.StatusCreated, e.do("POST", "/api/v1/reps", leadflow.RoleAdmin, map[string]any{"name": "Bob", "email": "bob@sales.example"}))
	p = e.must(http.StatusConflict, e.do("PATCH", "/api/v1/reps/"+itoa(rep.ID), leadflow.RoleAdmin, map[string]any{"email": "BOB@sales.example"})).problem(t)
	fieldNamed(t, p, "email")
	var list struct{ Items []leadflow.Rep }
	e.must(http.StatusOK, e.do("GET", "/api/v1/reps", leadflow.RoleManager, nil)).json(t, &list)
	if len(list.Items) != 2 || list.Items[0].WeeklyHours != 20 {
		t.Fatalf("list: %+v", list.Items)
	}
	e.must(http.StatusForbidden, e.do("POST", "/api/v1/reps", leadflow.RoleManager, map[string]any{"name": "C", "email": "c@sales.example"}))
}

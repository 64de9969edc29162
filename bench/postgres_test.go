package bench

import (
	"slices"
	"strings"
	"testing"
)

// TestRedactArg keeps a database URL's password out of the report's command line.
func TestRedactArg(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"--db=postgresql://u:secret@h/db":               "--db=postgresql://u:xxxxx@h/db",
		"-only":                                         "-only",
		"/tmp/leadflow.db":                              "/tmp/leadflow.db",
		"postgres://h/db":                               "postgres://h/db",
	} {
		if got := redactArg(in); got != want || strings.Contains(got, "secret") {
			t.Errorf("redactArg(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPGQuery checks the raw queries' translation to PostgreSQL placeholders and COPY columns.
func TestPGQuery(t *testing.T) {
	q := pgQuery(rawInsertEvent)
	if strings.Contains(q, "?") || !strings.Contains(q, "VALUES ($1, $2, $3, $4, $5, $6)") {
		t.Errorf("pgQuery(events) = %s", q)
	}
	table, cols := insertTable(rawInsertLead)
	if table != "leads" || len(cols) != 19 || cols[0] != "external_id" || cols[18] != "updated_at" {
		t.Errorf("insertTable(leads) = %s %v", table, cols)
	}
	if _, cols := insertTable(rawInsertEvent); !slices.Equal(cols, []string{"event_id", "lead_id", "type", "occurred_at", "received_at", "properties"}) {
		t.Errorf("insertTable(events) columns %v", cols)
	}
}

package httpapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// TestUpsertDedupes proves S-LEAD-2 and S-LEAD-5: the same external_id, or the same email in
// another case, updates the existing lead and records each changed field in its history.
func TestUpsertDedupes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	first := e.createLead(map[string]any{"external_id": "crm-1", "email": "Ana@Acme.example", "company": "Acme", "job_title": "Marketing Manager"})
	if first.Seniority != leadflow.SeniorityManager || first.Stage != leadflow.StageNew {
		t.Fatalf("derived seniority %q stage %s", first.Seniority, first.Stage)
	}
	var res service.LeadResult
	e.must(http.StatusOK, e.do("POST", "/api/v1/leads", leadflow.RoleIntegration, map[string]any{"email": "ana@ACME.example", "company": "Acme Corp"})).json(t, &res)
	if res.Created || res.Lead.ID != first.ID || res.Lead.Company != "Acme Corp" || res.Lead.ExternalID != "crm-1" {
		t.Fatalf("email dedupe: %+v", res)
	}
	e.must(http.StatusOK, e.do("POST", "/api/v1/leads", leadflow.RoleIntegration, map[string]any{"external_id": "crm-1", "job_title": "VP Marketing"})).json(t, &res)
	if res.Lead.ID != first.ID || res.Lead.Seniority != leadflow.SeniorityVP || res.Lead.Score.Fit != first.Score.Fit+10 {
		t.Fatalf("external_id dedupe + rescoring: %+v", res.Lead)
	}
	if n := e.leadCount(); n != 1 {
		t.Fatalf("%d leads, want 1", n)
	}
	var hist struct{ Items []leadflow.HistoryEntry }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(first.ID)+"/history", leadflow.RoleManager, nil)).json(t, &hist)
	changed := map[string]string{}
	for _, h := range hist.Items {
		if h.Kind == leadflow.HistoryField {
			changed[h.Field] = h.Old + "→" + h.New
			if h.Actor == "" || h.At.IsZero() {
				t.Fatalf("history entry without actor or time: %+v", h)
			}
		}
	}
	if changed["company"] != "Acme→Acme Corp" || changed["job_title"] != "Marketing Manager→VP Marketing" || changed["seniority"] != "manager→vp" {
		t.Fatalf("field history: %v", changed)
	}
	// external_id of one lead with the email of another is a conflict, not a silent merge.
	e.createLead(map[string]any{"email": "bo@acme.example"})
	p := e.must(http.StatusConflict, e.do("POST", "/api/v1/leads", leadflow.RoleIntegration, map[string]any{"external_id": "crm-1", "email": "bo@acme.example"})).problem(t)
	fieldNamed(t, p, "email")
}

// TestIdempotencyKey proves S-LEAD-2/S-REL-2: a retried request returns the first answer and
// changes nothing; the same key with another body is rejected.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := setup(t)
	body := map[string]any{"email": "retry@example.org", "company": "Retry Inc"}
	first := e.must(http.StatusCreated, e.do("POST", "/api/v1/leads", leadflow.RoleIntegration, body, "Idempotency-Key", "k-1"))
	again := e.must(http.StatusCreated, e.do("POST", "/api/v1/leads", leadflow.RoleIntegration, body, "Idempotency-Key", "k-1"))
	if string(first.body) != string(again.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay differs:\n%s\n%s", first.body, again.body)
	}
	var hist struct{ Items []leadflow.HistoryEntry }
	var res service.LeadResult
	first.json(t, &res)
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(res.Lead.ID)+"/history", leadflow.RoleManager, nil)).json(t, &hist)
	if n := e.leadCount(); n != 1 || len(hist.Items) != 1 {
		t.Fatalf("retry changed state: %d leads, %d history entries", n, len(hist.Items))
	}
	p := e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/leads", leadflow.RoleIntegration, map[string]any{"email": "other@example.org"}, "Idempotency-Key", "k-1")).problem(t)
	fieldNamed(t, p, "Idempotency-Key")
	// Events are idempotent by key too: a retried batch adds no event.
	evs := []map[string]any{{"email": "retry@example.org", "type": "email_open"}}
	e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, evs, "Idempotency-Key", "ev-1"))
	e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, evs, "Idempotency-Key", "ev-1"))
	var ex service.LeadExport
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(res.Lead.ID)+"/export", leadflow.RoleAdmin, nil)).json(t, &ex)
	if len(ex.Events) != 1 {
		t.Fatalf("retried event batch stored %d events", len(ex.Events))
	}
}

// TestConcurrentUpsertSameEmail: 50 goroutines upserting one email create exactly one lead.
func TestConcurrentUpsertSameEmail(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/api/v1/leads", leadflow.RoleIntegration, map[string]any{"email": "SAME@race.example", "company": "Race " + itoa(int64(i))})
			statuses[i] = r.status
		}()
	}
	wg.Wait()
	created, updated := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusOK:
			updated++
		default:
			t.Fatalf("unexpected status %d", s)
		}
	}
	if n := e.leadCount(); n != 1 || created != 1 || updated != 49 {
		t.Fatalf("leads=%d created=%d updated=%d; want 1, 1, 49", n, created, updated)
	}
}

// TestBatchAndCSV proves S-LEAD-3: bad rows are reported with their number and reason, good rows
// are kept — for JSON arrays and CSV files.
func TestBatchAndCSV(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var res service.BatchResult
	e.must(http.StatusOK, e.do("POST", "/api/v1/leads/batch", leadflow.RoleIntegration, `[
		{"email": "one@batch.example", "company": "One"},
		{"email": "not-an-email"},
		{"email": "two@batch.example", "company_size": "large"},
		{"email": "three@batch.example", "seniority": "boss"},
		{"external_id": "b-4", "company": "Four"}
	]`)).json(t, &res)
	if res.Created != 2 || res.Rejected != 3 || len(res.Rows) != 5 {
		t.Fatalf("batch: %+v", res)
	}
	wantField := map[int]string{2: "email", 3: "company_size", 4: "seniority"}
	for _, r := range res.Rows {
		if f, bad := wantField[r.Row]; bad {
			if len(r.Errors) == 0 || r.Errors[0].Field != f || r.Errors[0].Row != r.Row {
				t.Fatalf("row %d: %+v, want error on %s", r.Row, r.Errors, f)
			}
		} else if len(r.Errors) > 0 || r.ID == 0 {
			t.Fatalf("good row %d rejected: %+v", r.Row, r.Errors)
		}
	}
	csv := "email,first_name,company,employees,title,country,consent_email,plan\n" +
		"ceo@csv.example,Ina,Csv GmbH,120,CEO,DE,true,pro\n" +
		"broken@csv.example,only,three\n" +
		"bad-size@csv.example,Bo,Csv AG,lots,CTO,DE,true,free\n" +
		"\"quoted@csv.example\",\"Jo, Jr\",Csv Ltd,40,Analyst,GB,false,free\n"
	r := e.do("POST", "/api/v1/leads/batch", leadflow.RoleIntegration, csv, "Content-Type", "text/csv")
	e.must(http.StatusOK, r).json(t, &res)
	if res.Created != 2 || res.Rejected != 2 {
		t.Fatalf("csv: %+v", res)
	}
	if res.Rows[1].Row != 3 || res.Rows[2].Row != 4 || res.Rows[2].Errors[0].Field != "company_size" {
		t.Fatalf("csv row errors: %+v", res.Rows)
	}
	var page struct{ Items []leadflow.Lead }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads?q=quoted%40csv", leadflow.RoleManager, nil)).json(t, &page)
	if len(page.Items) != 1 || page.Items[0].FirstName != "Jo, Jr" || page.Items[0].Consent["email"] || page.Items[0].Custom["plan"] != "free" {
		t.Fatalf("csv fields: %+v", page.Items)
	}
	if n := e.leadCount(); n != 4 {
		t.Fatalf("%d leads stored, want 4", n)
	}
	p := e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/leads/batch", leadflow.RoleIntegration, "name,phone\nx,1\n", "Content-Type", "text/csv")).problem(t)
	if !strings.Contains(fieldNamed(t, p, "file"), "email or external_id") {
		t.Fatalf("csv without key column: %v", p)
	}
}

// TestEvents proves S-LEAD-4: references by id, external_id and email; unknown emails create the
// lead; duplicates by event_id are ignored; unknown types are rejected by name; unsubscribe is
// honoured (S-LEAD-6).
func TestEvents(t *testing.T) {
	t.Parallel()
	e := setup(t)
	l := e.createLead(map[string]any{"external_id": "ev-1", "email": "events@example.org"})
	var res service.EventsResult
	e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, []map[string]any{
		{"event_id": "e1", "lead_id": l.ID, "type": "email_open"},
		{"event_id": "e2", "external_id": "ev-1", "type": "content_download", "properties": map[string]any{"content_type": "case_study"}},
		{"event_id": "e1", "lead_id": l.ID, "type": "email_open"},
		{"event_id": "e3", "email": "newcomer@example.org", "type": "form_submit", "lead": map[string]any{"company": "Newco", "job_title": "CTO"}},
		{"event_id": "e4", "lead_id": l.ID, "type": "custom.podcast_listened"},
		{"event_id": "e5", "lead_id": l.ID, "type": "pricing_view"},
		{"event_id": "e6", "lead_id": 999999, "type": "email_open"},
		{"event_id": "e7", "email": "events@example.org", "type": "unsubscribe"},
	})).json(t, &res)
	if res.Accepted != 5 || res.Duplicates != 1 || res.Rejected != 2 {
		t.Fatalf("events: %+v", res)
	}
	if !res.Results[3].LeadNew || res.Results[3].LeadID == 0 {
		t.Fatalf("unknown email did not create a lead: %+v", res.Results[3])
	}
	if res.Results[5].Errors[0].Field != "type" || !strings.Contains(res.Results[5].Errors[0].Reason, "pricing_view") {
		t.Fatalf("unknown type: %+v", res.Results[5])
	}
	if res.Results[6].Errors[0].Field != "lead_id" {
		t.Fatalf("unknown lead id: %+v", res.Results[6])
	}
	var got leadflow.Lead
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(l.ID), leadflow.RoleManager, nil)).json(t, &got)
	if got.Score.Engagement != 5+10-10 || got.Consent["email"] {
		t.Fatalf("engagement %v consent %v; want 5 (open 5 + case study 10 - unsubscribe 10) and unsubscribed", got.Score.Engagement, got.Consent)
	}
	var created leadflow.Lead
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(res.Results[3].LeadID), leadflow.RoleManager, nil)).json(t, &created)
	if created.Company != "Newco" || created.Seniority != leadflow.SeniorityCLevel || created.Score.Engagement != 10 {
		t.Fatalf("lead from event: %+v", created)
	}
	// A single invalid event is a plain 422 naming the field.
	p := e.must(http.StatusUnprocessableEntity, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, map[string]any{"lead_id": l.ID, "type": "telepathy"})).problem(t)
	fieldNamed(t, p, "type")
}

package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
	"github.com/leadflow/leadflow/webhook"
)

// TestModelVersionsAndPreview proves S-SCORE-8: a proposed model is previewed without effect; a
// stored one becomes a new version, every lead is rescored in the background with visible
// progress, and history keeps which version produced which score.
func TestModelVersionsAndPreview(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var ids []int64
	for i := 0; i < 30; i++ {
		l := e.createLead(seedLead("v" + itoa(int64(i)) + "@example.org"))
		ids = append(ids, l.ID)
	}
	e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, map[string]any{"lead_id": ids[0], "type": "webinar_attended"}))
	proposed := score.DefaultModel()
	for i := range proposed.Rules {
		if proposed.Rules[i].ID == "industry_technology" {
			proposed.Rules[i].Points = 40 // 50 → 75: every seed lead becomes hot
		}
	}
	var p service.Preview
	e.must(http.StatusOK, e.do("POST", "/api/v1/scoring/preview", leadflow.RoleManager, proposed)).json(t, &p)
	if p.Leads != 30 || p.ProposedBands["hot"] != 30 || p.CurrentBands["warm"] != 30 || p.BandChanges["warm→hot"] != 30 || p.ProposedMean != p.CurrentMean+25 {
		t.Fatalf("preview: %+v", p)
	}
	var cur leadflow.Lead
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(ids[1]), leadflow.RoleManager, nil)).json(t, &cur)
	if cur.Score.Total != 50 {
		t.Fatalf("preview changed a stored score: %v", cur.Score.Total)
	}
	var put struct {
		Model score.Model
		Job   leadflow.RescoreJob `json:"rescore_job"`
	}
	e.must(http.StatusOK, e.do("PUT", "/api/v1/scoring/model", leadflow.RoleAdmin, proposed)).json(t, &put)
	if put.Model.Version != 2 || put.Job.ModelVersion != 2 || put.Job.Total != 30 {
		t.Fatalf("put model: %+v", put)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var jobs struct{ Items []leadflow.RescoreJob }
		e.must(http.StatusOK, e.do("GET", "/api/v1/scoring/jobs", leadflow.RoleManager, nil)).json(t, &jobs)
		if j := jobs.Items[0]; j.Status == "done" {
			if j.Done != 30 || j.Changed != 30 {
				t.Fatalf("job: %+v", j)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rescoring did not finish: %+v", jobs.Items[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(ids[1]), leadflow.RoleManager, nil)).json(t, &cur)
	if cur.Score.Total != 75 || cur.Score.ModelVersion != 2 || cur.Score.Band != "hot" {
		t.Fatalf("after rescoring: %+v", cur.Score)
	}
	var hist struct{ Items []leadflow.HistoryEntry }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(ids[0])+"/history", leadflow.RoleManager, nil)).json(t, &hist)
	last := hist.Items[len(hist.Items)-1]
	if last.Kind != leadflow.HistoryScore || last.ModelVersion != 2 || last.Old != "70" || last.New != "95" || !strings.Contains(last.Reason, "v2") {
		t.Fatalf("history after rescoring: %+v", last)
	}
	var models struct{ Items []leadflow.ModelRecord }
	e.must(http.StatusOK, e.do("GET", "/api/v1/scoring/models", leadflow.RoleManager, nil)).json(t, &models)
	if len(models.Items) != 2 || !models.Items[0].Active || models.Items[1].Active {
		t.Fatalf("versions: %+v", models.Items)
	}
}

// TestThresholdWebhook proves S-SCORE-6: crossing the configured score fires a signed webhook,
// delivered after commit and retried when the receiver fails.
func TestThresholdWebhook(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var mu sync.Mutex
	var bodies [][]byte
	calls := 0
	secret := "whsec_demo_invite"
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the first attempt fails; the retry must succeed
			return
		}
		if err := webhook.Verify([]byte(secret), r.Header.Get(webhook.HeaderSignature), body, e.clock.Now(), 0); err != nil {
			t.Errorf("signature: %v", err)
		}
		bodies = append(bodies, body)
	}))
	defer recv.Close()
	m := score.DefaultModel()
	m.Actions = []score.Action{{ID: "demo_invite", Threshold: 75, WebhookURL: recv.URL + "/demo-invite", Secret: secret}}
	e.must(http.StatusOK, e.do("PUT", "/api/v1/scoring/model", leadflow.RoleAdmin, m))
	l := e.createLead(seedLead("hook@example.org")) // 50: below the threshold, no webhook
	e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, map[string]any{"lead_id": l.ID, "type": "pricing_page_view"}))
	e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, map[string]any{"lead_id": l.ID, "type": "webinar_attended"})) // 85: crosses 75
	e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, map[string]any{"lead_id": l.ID, "type": "email_open"}))       // 90: already above
	// The failed first attempt is retried after a backoff of about 5 s; move the injected clock.
	deadline := time.Now().Add(20 * time.Second)
	for {
		e.clock.Advance(10 * time.Second)
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook not delivered; calls=%d", calls)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 {
		t.Fatalf("%d deliveries, want exactly 1 (the crossing)", len(bodies))
	}
	var msg struct {
		Type string
		Data struct {
			Action        string
			Lead          leadflow.Lead
			PreviousTotal float64 `json:"previous_total"`
		}
	}
	if err := json.Unmarshal(bodies[0], &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Type != "lead.threshold_crossed" || msg.Data.Action != "demo_invite" || msg.Data.Lead.ID != l.ID || msg.Data.Lead.Score.Total != 85 || msg.Data.PreviousTotal != 65 {
		t.Fatalf("webhook body: %s", bodies[0])
	}
	var log struct{ Items []leadflow.WebhookDelivery }
	e.must(http.StatusOK, e.do("GET", "/api/v1/webhooks/deliveries", leadflow.RoleAdmin, nil)).json(t, &log)
	if len(log.Items) != 1 || log.Items[0].Status != leadflow.WebhookDelivered || log.Items[0].Attempts != 2 {
		t.Fatalf("delivery log: %+v", log.Items)
	}
}

// TestGDPR proves S-LEAD-6: export holds everything on a lead; erasure removes the lead, its
// events and history, and leaves only anonymous aggregates (the funnel still counts it).
func TestGDPR(t *testing.T) {
	t.Parallel()
	e := setup(t)
	l := e.createLead(seedLead("erase.me@example.org"))
	e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, map[string]any{"lead_id": l.ID, "type": "webinar_attended", "event_id": "gdpr-1"}))
	var ex service.LeadExport
	r := e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/export", leadflow.RoleAdmin, nil))
	r.json(t, &ex)
	if ex.Lead.Email != "erase.me@example.org" || len(ex.Events) != 1 || len(ex.History) < 3 || ex.Score.Total != 70 || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: lead %v events %d history %d score %v", ex.Lead.Email, len(ex.Events), len(ex.History), ex.Score.Total)
	}
	e.must(http.StatusNoContent, e.do("DELETE", "/api/v1/leads/"+itoa(l.ID)+"?reason=art17+request", leadflow.RoleAdmin, nil))
	e.must(http.StatusNotFound, e.do("GET", "/api/v1/leads/"+itoa(l.ID), leadflow.RoleAdmin, nil))
	e.must(http.StatusNotFound, e.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/history", leadflow.RoleAdmin, nil))
	var page struct{ Items []leadflow.Lead }
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads?q=erase.me", leadflow.RoleAdmin, nil)).json(t, &page)
	if len(page.Items) != 0 {
		t.Fatal("erased lead still searchable")
	}
	var f service.FunnelReport
	e.must(http.StatusOK, e.do("GET", "/api/v1/analytics/funnel?from=2026-01-01&to=2026-12-31", leadflow.RoleManager, nil)).json(t, &f)
	if f.Entered[leadflow.StageMQL] != 1 {
		t.Fatalf("anonymous aggregate lost: %+v", f.Entered)
	}
	// The same event id can be used again: nothing of the erased lead remains to collide with.
	l2 := e.createLead(map[string]any{"email": "erase.me@example.org"})
	var res service.EventsResult
	e.must(http.StatusAccepted, e.do("POST", "/api/v1/events", leadflow.RoleIntegration, map[string]any{"lead_id": l2.ID, "type": "email_open", "event_id": "gdpr-1"})).json(t, &res)
	if res.Accepted != 1 || l2.ID == l.ID {
		t.Fatalf("after erasure: %+v", res)
	}
}

// TestOperationalEndpoints covers /healthz, /readyz and /metrics (S-API-1).
func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.must(http.StatusOK, e.do("GET", "/healthz", "", nil))
	r := e.must(http.StatusOK, e.do("GET", "/readyz", "", nil))
	if !strings.Contains(string(r.body), e.m.Store.Dialect()) {
		t.Fatalf("readyz: %s", r.body)
	}
	e.createLead(map[string]any{"email": "m@example.org"})
	r = e.must(http.StatusOK, e.do("GET", "/metrics", "", nil))
	if !strings.Contains(string(r.body), `leadflow_http_requests_total{code="201",route="POST /api/v1/leads"} 1`) {
		t.Fatalf("metrics lack the request counter:\n%.2000s", r.body)
	}
	e.must(http.StatusNotFound, e.do("GET", "/api/v1/nope", leadflow.RoleAdmin, nil))
}

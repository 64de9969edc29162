package httpapi_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
)

// TestConcurrentEventsLoseNoHit proves that events for one lead arriving in many concurrent
// requests are each counted exactly once (S-SCORE-7, S-REL-2): event requests are planned outside
// the write transaction, and a plan whose lead changed meanwhile must be redone, never applied.
func TestConcurrentEventsLoseNoHit(t *testing.T) {
	t.Parallel()
	e := setup(t)
	m := score.DefaultModel()
	m.Rules = append(m.Rules, score.Rule{ID: "ping", Name: "Ping", Kind: "behavior", Points: 1, Events: []string{"custom.ping"}})
	e.must(http.StatusOK, e.do("PUT", "/api/v1/scoring/model", leadflow.RoleAdmin, m))
	l := e.createLead(map[string]any{"email": "busy@example.org"})
	const workers, perWorker = 25, 4
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < perWorker; k++ {
				// Batches are planned outside the transaction: ten events per request, each request
				// also touching nine leads of its own.
				evs := []map[string]any{{"email": "busy@example.org", "type": "custom.ping", "event_id": fmt.Sprintf("p-%d-%d", w, k)}}
				for j := 0; j < 9; j++ {
					evs = append(evs, map[string]any{"email": fmt.Sprintf("side-%d-%d@example.org", w, j), "type": "email_open"})
				}
				r := e.do("POST", "/api/v1/events", leadflow.RoleIntegration, evs)
				if r.status != http.StatusAccepted {
					t.Errorf("status %d: %s", r.status, r.body)
				}
			}
		}()
	}
	wg.Wait()
	var ex service.Explanation
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/score", leadflow.RoleAdmin, nil)).json(t, &ex)
	var stored leadflow.Lead
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(l.ID), leadflow.RoleAdmin, nil)).json(t, &stored)
	var export service.LeadExport
	e.must(http.StatusOK, e.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/export", leadflow.RoleAdmin, nil)).json(t, &export)
	if want := float64(workers * perWorker); contribution(ex, "ping") != want || stored.Score.Engagement != want || len(export.Events) != workers*perWorker {
		t.Fatalf("ping points %v, stored engagement %v, events %d; want %v each", contribution(ex, "ping"), stored.Score.Engagement, len(export.Events), want)
	}
}

package score_test

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
)

// benchEvents is a typical engaged lead's history over the last 90 days.
func benchEvents() []leadflow.Event {
	kinds := []leadflow.Event{
		event("page_view", now, map[string]any{"path": "/blog/post"}),
		event("page_view", now, map[string]any{"path": "/pricing"}),
		event("email_open", now, nil),
		event("email_click", now, map[string]any{"url": "https://x.io/demo"}),
		event("content_download", now, map[string]any{"content_type": "case_study"}),
		event("webinar_attended", now, nil),
		event("support_ticket", now, map[string]any{"category": "billing"}),
	}
	var events []leadflow.Event
	for i := range 60 {
		ev := kinds[i%len(kinds)]
		ev.OccurredAt = now.Add(-time.Duration(i) * 36 * time.Hour)
		events = append(events, ev)
	}
	return events
}

// BenchmarkEvaluate measures scoring one lead with the default model (S-PERF-1).
func BenchmarkEvaluate(b *testing.B) {
	c := mustCompile(b, score.DefaultModel())
	lead := seedLead()
	hits := c.HitsFromEvents(benchEvents(), now)
	b.ReportAllocs()
	for b.Loop() {
		c.Evaluate(&lead, hits, now)
	}
}

// BenchmarkRecord measures applying one event to a lead's hit state (S-PERF-1).
func BenchmarkRecord(b *testing.B) {
	c := mustCompile(b, score.DefaultModel())
	hits := c.HitsFromEvents(benchEvents(), now)
	ev := event("page_view", now, map[string]any{"path": "/docs"})
	b.ReportAllocs()
	for b.Loop() {
		hits, _ = c.Record(hits, &ev, now)
	}
}

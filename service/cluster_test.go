package service

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/notify"
)

// TestSplitAudience: a live event for thousands of reps with long ids crosses the nodes as bus
// messages that each fit the bus (PostgreSQL NOTIFY), together naming every rep exactly once and
// in order, with the audience's other members in the first message only (S-STORE-2, S-NOTIFY-1).
func TestSplitAudience(t *testing.T) {
	data := json.RawMessage(`{"lead_id":42,"title":"` + strings.Repeat("x", 300) + `"}`)
	to := notify.Audience{Managers: true, TeamIDs: []int64{3}}
	for i := range int64(5000) {
		to.RepIDs = append(to.RepIDs, 100_000_000_000+i*7919)
	}
	parts, err := splitAudience(EventOffer, data, to, leadflow.BusMaxPayload)
	if err != nil {
		t.Fatal(err)
	}
	var all []int64
	for i, p := range parts {
		msg, _ := json.Marshal(liveEvent{Type: EventOffer, Data: data, To: p})
		if len(msg) > leadflow.BusMaxPayload {
			t.Fatalf("part %d: %d bytes", i, len(msg))
		}
		if len(msg) < leadflow.BusMaxPayload-100 && i < len(parts)-1 {
			t.Errorf("part %d: only %d bytes: the parts are not filled", i, len(msg))
		}
		if (i == 0) != (p.Managers && slices.Equal(p.TeamIDs, []int64{3})) || p.Everyone {
			t.Fatalf("part %d: %+v", i, p)
		}
		all = append(all, p.RepIDs...)
	}
	if !slices.Equal(all, to.RepIDs) {
		t.Fatalf("the parts name %d reps, want the %d in order", len(all), len(to.RepIDs))
	}
	small := notify.ToReps(1, 2, 3)
	if parts, err := splitAudience(EventOffer, data, small, leadflow.BusMaxPayload); err != nil || len(parts) != 1 || !slices.Equal(parts[0].RepIDs, small.RepIDs) {
		t.Fatalf("a small audience: %+v %v", parts, err)
	}
	huge := json.RawMessage(`"` + strings.Repeat("x", leadflow.BusMaxPayload) + `"`)
	if _, err := splitAudience(EventOffer, huge, small, leadflow.BusMaxPayload); err == nil {
		t.Fatal("an event larger than the bus was split")
	}
}

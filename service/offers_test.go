package service

import (
	"testing"
	"time"
)

// TestOfferBookkeeping: who was sent a lead's offer is kept in groups by moment (8 bytes a rep),
// and a queued offer taken for a rep who saw it leaves the rest of its group queued.
func TestOfferBookkeeping(t *testing.T) {
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	so := sentOffers{{at: t0, reps: []int64{1, 2, 3}}, {at: t0.Add(15 * time.Minute), reps: []int64{7}}}
	if at, ok := so.sentAt(7); !ok || !at.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("sentAt(7) = %v %v", at, ok)
	}
	if _, ok := so.sentAt(9); ok {
		t.Fatal("rep 9 was never sent the offer")
	}
	if set := so.set(); len(set) != 4 || !set[2] || set[9] {
		t.Fatalf("set: %v", set)
	}
	if (sentOffers{}).set() != nil {
		t.Fatal("no offers, no set")
	}

	b := &offerBoard{offered: map[int64]sentOffers{}}
	b.pending = []pendingOffers{{leadID: 5, sentAt: t0, reps: []int64{1, 2, 3}, queued: 1}, {leadID: 6, sentAt: t0, reps: []int64{2}, queued: 2}}
	o, ok := b.take(5, 2)
	if !ok || o.LeadID != 5 || o.RepID != 2 || !o.SentAt.Equal(t0) || o.Channel != "stream" {
		t.Fatalf("take: %+v %v", o, ok)
	}
	if _, ok := b.take(5, 2); ok {
		t.Fatal("taken twice")
	}
	if got := b.pending[0].reps; len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("the rest of the group: %v", got)
	}
	b.requeue(o)
	if p := b.pending[0]; p.leadID != 5 || len(p.reps) != 1 || p.reps[0] != 2 || len(b.pending) != 3 {
		t.Fatalf("requeued: %+v", b.pending)
	}
}

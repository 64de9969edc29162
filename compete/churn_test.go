package compete_test

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/compete"
)

// TestChurn is S-COMP-8: the share of claims released within the churn window, flagged at the
// threshold once there are enough claims.
func TestChurn(t *testing.T) {
	cfg := compete.DefaultConfig() // 24h window, 20%, at least 5 claims
	claim := func(rep int64, releasedAfter time.Duration) compete.ClaimRecord {
		c := compete.ClaimRecord{RepID: rep, ClaimedAt: t0}
		if releasedAfter >= 0 {
			c.ReleasedAt = t0.Add(releasedAfter)
		}
		return c
	}
	const kept = -1
	claims := []compete.ClaimRecord{
		// Rep 1: 5 claims, 1 released within 24h (exactly at 24h), 1 after two days: 20% → flagged.
		claim(1, 24*time.Hour), claim(1, 48*time.Hour), claim(1, kept), claim(1, kept), claim(1, kept),
		// Rep 2: 4 claims, all released at once: 100%, but too few claims to flag.
		claim(2, time.Minute), claim(2, time.Minute), claim(2, time.Minute), claim(2, time.Minute),
		// Rep 3: 6 claims, 1 churned: 16.7% → not flagged.
		claim(3, time.Hour), claim(3, kept), claim(3, kept), claim(3, kept), claim(3, kept), claim(3, kept),
	}
	want := []struct {
		rep                       int64
		claims, released, churned int
		flagged                   bool
	}{
		{1, 5, 2, 1, true},
		{2, 4, 4, 4, false},
		{3, 6, 1, 1, false},
	}
	got := compete.ChurnByRep(claims, cfg)
	if len(got) != len(want) {
		t.Fatalf("%d reports", len(got))
	}
	for i, w := range want {
		g := got[i]
		if g.RepID != w.rep || g.Claims != w.claims || g.Released != w.released || g.Churned != w.churned || g.Flagged != w.flagged || g.Reason == "" {
			t.Errorf("rep %d: %+v, want %+v", w.rep, g, w)
		}
	}
	team := compete.Churn(claims, cfg)
	if team.Claims != 15 || team.Churned != 6 || !team.Flagged || team.RepID != 0 {
		t.Errorf("team: %+v", team)
	}
	if empty := compete.Churn(nil, cfg); empty.Flagged || empty.Rate != 0 {
		t.Errorf("no claims: %+v", empty)
	}
}

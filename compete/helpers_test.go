package compete_test

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/compete"
)

// t0 is Wednesday 4 March 2026, 10:00 UTC: the moment test leads enter the pool.
var t0 = time.Date(2026, time.March, 4, 10, 0, 0, 0, time.UTC)

// at returns t0 plus m minutes.
func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

// lead returns a pool lead of the band, not blind, that entered the pool at t0.
func lead(t *testing.T, band string) compete.PoolLead {
	t.Helper()
	return compete.PoolLead{ID: leadID(t, false), Band: band, PooledAt: t0}
}

// leadID returns the smallest positive lead id that IsBlind makes (or does not make) blind under
// the defaults.
func leadID(t *testing.T, blind bool) int64 {
	t.Helper()
	cfg := compete.DefaultConfig()
	for id := int64(1); id < 1000; id++ {
		if compete.IsBlind(id, cfg) == blind {
			return id
		}
	}
	t.Fatal("no lead id found")
	return 0
}

// veteran returns an established, fully competitive rep of the tier.
func veteran(id int64, tier int) compete.Rep {
	hire := time.Date(2020, time.January, 6, 0, 0, 0, 0, time.UTC)
	return compete.Rep{ID: id, Tier: tier, HireDate: &hire}
}

// hiredDaysAgo returns a rep hired the given number of calendar days before t0.
func hiredDaysAgo(id int64, days int) compete.Rep {
	hire := time.Date(2026, time.March, 4-days, 0, 0, 0, 0, time.UTC)
	return compete.Rep{ID: id, Tier: 0, HireDate: &hire}
}

// tiered is a tiered team without priority windows or pauses.
var tiered = compete.Team{Mode: compete.ModeTiered}

// ptrTime returns a pointer to t.
func ptrTime(t time.Time) *time.Time { return &t }

// sameTime compares optional times.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// fmtTime formats an optional time for failure messages.
func fmtTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.UTC().Format(time.RFC3339)
}

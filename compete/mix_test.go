package compete_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/leadflow/leadflow/compete"
)

// checkMix fails when any band of the target is a full lead or more away from its exact share of
// the released leads (S-COMP-5). Exact in integers: |100·c − p·N| < 100.
func checkMix(t *testing.T, released map[string]int, cfg compete.Config, when string) {
	t.Helper()
	n := 0
	for _, m := range cfg.Mix {
		n += released[m.Band]
	}
	for _, m := range cfg.Mix {
		if d := 100*released[m.Band] - m.Percent*n; d <= -100 || d >= 100 {
			t.Fatalf("%s: %s has %d of %d released leads, exact share %.2f", when, m.Band, released[m.Band], n, float64(m.Percent*n)/100)
		}
	}
}

// TestShapeReleaseConverges is S-COMP-5: 1,000 leads arrive with a natural mix far from the target
// (hot 30%, warm 45%, cold 25% against 10/70/20); after every batch the released leads are within
// one lead of the target per class, the pool grows as fast as the scarce warm leads allow, and no
// lead is released twice or lost.
func TestShapeReleaseConverges(t *testing.T) {
	cfg := compete.DefaultConfig()
	for _, supply := range [][3]int{{30, 45, 25}, {10, 70, 20}, {5, 90, 5}, {60, 20, 20}} {
		t.Run(fmt.Sprint(supply), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(supply[0]), 99))
			released := map[string]int{}
			var queue []compete.Candidate
			total, out := 0, map[int64]bool{}
			for id := int64(1); id <= 1000; id++ {
				band := "cold"
				switch r := rng.IntN(100); {
				case r < supply[0]:
					band = "hot"
				case r < supply[0]+supply[1]:
					band = "warm"
				}
				queue = append(queue, compete.Candidate{LeadID: id, Band: band})
				rel, hold := compete.ShapeRelease(queue, released, 0, cfg)
				if len(rel)+len(hold) != len(queue) {
					t.Fatalf("lead %d: %d released + %d held != %d queued", id, len(rel), len(hold), len(queue))
				}
				for _, c := range rel {
					if out[c.LeadID] {
						t.Fatalf("lead %d released twice", c.LeadID)
					}
					out[c.LeadID] = true
					released[c.Band]++
					total++
				}
				checkMix(t, released, cfg, fmt.Sprintf("after lead %d", id))
				queue = hold
			}
			// Nothing held could be released now, and the pool is as large as the supply allows
			// (within one lead): the largest N for which counts within one lead of the target
			// exist with the leads supplied per band.
			avail := map[string]int{}
			for _, c := range queue {
				avail[c.Band]++
			}
			if b, ok := compete.NextBand(avail, released, cfg); ok {
				t.Fatalf("a %s lead is held although it could be released", b)
			}
			supplied := map[string]int{}
			for _, m := range cfg.Mix {
				supplied[m.Band] = avail[m.Band] + released[m.Band]
			}
			if best := largestFeasible(supplied, cfg); total < best-1 {
				t.Fatalf("released %d, but the supply allows %d", total, best)
			}
			t.Logf("supply %v: released %d (hot %d, warm %d, cold %d), held %d", supply, total, released["hot"], released["warm"], released["cold"], len(queue))
		})
	}
}

// TestShapeReleaseFullSupply: with every band always available, each step releases exactly one
// lead and the mix stays within one lead of the target after every release (the quota property).
func TestShapeReleaseFullSupply(t *testing.T) {
	cfg := compete.DefaultConfig()
	cfg.Mix = []compete.MixShare{{Band: "warm", Percent: 55}, {Band: "hot", Percent: 33}, {Band: "cold", Percent: 12}}
	released := map[string]int{}
	avail := map[string]int{"hot": 1, "warm": 1, "cold": 1}
	for i := range 1000 {
		b, ok := compete.NextBand(avail, released, cfg)
		if !ok {
			t.Fatalf("step %d: nothing released with full supply", i)
		}
		released[b]++
		checkMix(t, released, cfg, fmt.Sprintf("after release %d", i+1))
	}
	if released["warm"] != 550 || released["hot"] != 330 || released["cold"] != 120 {
		t.Fatalf("after 1000: %v", released)
	}
}

// TestAdmitToPoolOnline: the online form — each lead admitted or pushed on arrival — also keeps
// the mix within one lead of the target; bands outside the mix are never admitted; an empty mix
// admits everything.
func TestAdmitToPoolOnline(t *testing.T) {
	cfg := compete.DefaultConfig()
	rng := rand.New(rand.NewPCG(3, 4))
	released := map[string]int{}
	bands := []string{"hot", "warm", "cold", "warm", "warm"}
	for i := range 1000 {
		b := bands[rng.IntN(len(bands))]
		if compete.AdmitToPool(b, released, cfg) {
			released[b]++
		}
		checkMix(t, released, cfg, fmt.Sprintf("after lead %d", i+1))
	}
	if compete.AdmitToPool("unscored", released, cfg) {
		t.Fatal("a band outside the mix was admitted")
	}
	cfg.Mix = nil
	if !compete.AdmitToPool("unscored", released, cfg) {
		t.Fatal("an empty mix must admit everything")
	}
	rel, hold := compete.ShapeRelease([]compete.Candidate{{1, "hot"}, {2, "hot"}, {3, "cold"}}, nil, 2, cfg)
	if len(rel) != 2 || rel[0].LeadID != 1 || rel[1].LeadID != 2 || len(hold) != 1 {
		t.Fatalf("no mix, limit 2: release %v hold %v", rel, hold)
	}
}

// TestShapeReleaseOrder: oldest lead of the chosen band first, ties between bands in mix order,
// and the limit respected.
func TestShapeReleaseOrder(t *testing.T) {
	cfg := compete.DefaultConfig() // warm 70, cold 20, hot 10
	queue := []compete.Candidate{{1, "hot"}, {2, "cold"}, {3, "warm"}, {4, "warm"}, {5, "hot"}}
	rel, hold := compete.ShapeRelease(queue, map[string]int{}, 3, cfg)
	got := fmt.Sprint(rel, hold)
	// Deadlines from zero: warm 1/70 first, then warm 2/70 vs cold 1/20 → warm, then cold.
	if want := "[{3 warm} {4 warm} {2 cold}] [{1 hot} {5 hot}]"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// largestFeasible is the largest pool size N ≤ Σ supply for which released counts within one lead
// of the target exist with the given supply per band.
func largestFeasible(supply map[string]int, cfg compete.Config) int {
	total := 0
	for _, n := range supply {
		total += n
	}
	best := 0
	for n := 0; n <= total; n++ {
		ok, room := true, 0
		for _, m := range cfg.Mix {
			lo, hi := m.Percent*n/100, (m.Percent*n+99)/100
			if lo > supply[m.Band] {
				ok = false
			}
			room += min(hi, supply[m.Band])
		}
		if ok && room >= n {
			best = n
		}
	}
	return best
}

package compete_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/compete"
)

// TestTierCounts is the S-COMP-2 split 25/50/25 on small and larger teams.
func TestTierCounts(t *testing.T) {
	cfg := compete.DefaultConfig()
	cases := []struct {
		n    int
		want []int
	}{
		{0, []int{0, 0, 0}},
		{1, []int{1, 0, 0}},
		{2, []int{1, 1, 0}},
		{3, []int{1, 1, 1}},
		{4, []int{1, 2, 1}},
		{5, []int{1, 3, 1}},
		{6, []int{2, 3, 1}},
		{7, []int{2, 3, 2}},
		{8, []int{2, 4, 2}},
		{10, []int{3, 5, 2}},
		{12, []int{3, 6, 3}},
		{40, []int{10, 20, 10}},
		{41, []int{10, 21, 10}},
	}
	for _, c := range cases {
		if got := compete.TierCounts(c.n, cfg); !slices.Equal(got, c.want) {
			t.Errorf("%d reps: %v, want %v", c.n, got, c.want)
		}
	}
}

// TestRankTiers is S-COMP-2: ranked on conversion, quota attainment and response speed (faster
// is better), averaged as percentile ranks; ties by rep id; onboarding reps not ranked.
func TestRankTiers(t *testing.T) {
	cfg := compete.DefaultConfig()
	stats := []compete.RepStats{
		// Best on everything.
		{RepID: 5, Conversion: 0.40, Attainment: 1.20, ResponseTime: 2 * time.Minute},
		// Worst on everything (no response data ranks slowest).
		{RepID: 1, Conversion: 0.05, Attainment: 0.30, ResponseTime: 0},
		// 2 and 3 are mirror images: a real tie, broken by id.
		{RepID: 3, Conversion: 0.30, Attainment: 0.50, ResponseTime: 10 * time.Minute},
		{RepID: 2, Conversion: 0.10, Attainment: 0.90, ResponseTime: 10 * time.Minute},
		// Onboarding: not ranked, tier 2, does not count for the split.
		{RepID: 9, Conversion: 0.90, Attainment: 3.00, ResponseTime: time.Second, Onboarding: true},
		// Duplicate id: ignored.
		{RepID: 5, Conversion: 0, Attainment: 0, ResponseTime: time.Hour},
	}
	ps := compete.RankTiers(stats, cfg)
	var order []int64
	for _, p := range ps {
		order = append(order, p.RepID)
	}
	if want := []int64{5, 2, 3, 1, 9}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if got, want := compete.TierMap(ps), map[int64]int{5: 1, 2: 2, 3: 2, 1: 3, 9: 2}; !mapsEqual(got, want) {
		t.Fatalf("tiers %v, want %v", got, want)
	}
	if ps[0].Score != 1 || ps[3].Score != 0 || ps[1].Score != ps[2].Score || ps[0].Rank != 1 || ps[4].Ranked || ps[4].Rank != 0 {
		t.Fatalf("placements %+v", ps)
	}
	if ps[0].Reason == "" || ps[4].Reason == "" {
		t.Fatal("every placement needs a reason")
	}
	// Speed: 2 minutes is best, no data is worst.
	if ps[0].Speed != 1 || ps[3].Speed != 0 {
		t.Fatalf("speed percentiles %v %v", ps[0].Speed, ps[3].Speed)
	}

	// A single rep is tier 1; a rep alone in onboarding is the unranked tier.
	if got := compete.TierMap(compete.RankTiers([]compete.RepStats{{RepID: 4}}, cfg)); got[4] != 1 {
		t.Fatalf("single rep: %v", got)
	}
	if got := compete.TierMap(compete.RankTiers([]compete.RepStats{{RepID: 4, Onboarding: true}}, cfg)); got[4] != 2 {
		t.Fatalf("single onboarding rep: %v", got)
	}
	// NaN and negative rates rank worst rather than breaking the sort.
	nan := compete.RankTiers([]compete.RepStats{{RepID: 1, Conversion: math.NaN()}, {RepID: 2, Conversion: 0}, {RepID: 3, Conversion: -1}}, cfg)
	if nan[0].RepID != 2 {
		t.Fatalf("NaN ranking %+v", nan)
	}
}

// TestRankTiersLargerTeam: 20 reps with distinct, consistent measures are split 5/10/5 in order.
func TestRankTiersLargerTeam(t *testing.T) {
	cfg := compete.DefaultConfig()
	var stats []compete.RepStats
	for i := range 20 {
		stats = append(stats, compete.RepStats{RepID: int64(100 + i), Conversion: float64(i) / 100,
			Attainment: float64(i) / 10, ResponseTime: time.Duration(60-i) * time.Minute})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(stats), func(i, j int) { stats[i], stats[j] = stats[j], stats[i] })
	tiers := compete.TierMap(compete.RankTiers(stats, cfg))
	for i := range 20 {
		want := 3
		switch {
		case i >= 15:
			want = 1
		case i >= 5:
			want = 2
		}
		if tiers[int64(100+i)] != want {
			t.Errorf("rep %d: tier %d, want %d", 100+i, tiers[int64(100+i)], want)
		}
	}
}

// TestTierSplitProperty: for random team sizes and tier percentages, the counts add up to the
// team, every tier is within one rep of its exact share, tier 1 is never empty when it has a
// share, and RankTiers fills tiers in rank order.
func TestTierSplitProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for range 5000 {
		p1 := rng.IntN(101)
		p2 := rng.IntN(101 - p1)
		checkSplit(t, rng.IntN(300), []int{p1, p2, 100 - p1 - p2})
	}
}

// FuzzTierSplit is the property of TestTierSplitProperty for fuzzed sizes and percentages.
func FuzzTierSplit(f *testing.F) {
	f.Add(uint16(5), uint8(25), uint8(50))
	f.Add(uint16(1), uint8(1), uint8(98))
	f.Add(uint16(10), uint8(25), uint8(50))
	f.Fuzz(func(t *testing.T, n uint16, a, b uint8) {
		p1 := int(a) % 101
		p2 := int(b) % (101 - p1)
		checkSplit(t, int(n)%2000, []int{p1, p2, 100 - p1 - p2})
	})
}

func checkSplit(t *testing.T, n int, percents []int) {
	t.Helper()
	cfg := compete.DefaultConfig()
	cfg.Tiers = nil
	for _, p := range percents {
		cfg.Tiers = append(cfg.Tiers, compete.Tier{Percent: p})
	}
	counts := compete.TierCounts(n, cfg)
	sum := 0
	for i, c := range counts {
		sum += c
		if diff := c*100 - n*percents[i]; diff <= -100 || diff >= 100 {
			t.Fatalf("n=%d %v: tier %d has %d reps, exact %.2f", n, percents, i+1, c, float64(n*percents[i])/100)
		}
	}
	if sum != n {
		t.Fatalf("n=%d %v: counts %v add up to %d", n, percents, counts, sum)
	}
	if n > 0 && percents[0] > 0 && counts[0] == 0 {
		t.Fatalf("n=%d %v: tier 1 empty", n, percents)
	}
	if n > 60 {
		return // RankTiers below is the slower check
	}
	stats := make([]compete.RepStats, n)
	for i := range stats {
		stats[i] = compete.RepStats{RepID: int64(i + 1), Conversion: float64((i * 7919) % 13), Attainment: float64((i * 31) % 5), ResponseTime: time.Duration(i%4+1) * time.Minute}
	}
	ps := compete.RankTiers(stats, cfg)
	got := make([]int, len(percents))
	for i, p := range ps {
		got[p.Tier-1]++
		if i > 0 && p.Tier < ps[i-1].Tier {
			t.Fatalf("n=%d %v: tiers not in rank order at rank %d", n, percents, p.Rank)
		}
		if i > 0 && p.Score > ps[i-1].Score {
			t.Fatalf("n=%d: composite not descending at rank %d", n, p.Rank)
		}
	}
	if !slices.Equal(got, counts) {
		t.Fatalf("n=%d %v: RankTiers placed %v, TierCounts says %v", n, percents, got, counts)
	}
}

func mapsEqual(a, b map[int64]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

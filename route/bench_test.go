package route_test

import (
	"fmt"
	"testing"

	"github.com/leadflow/leadflow/route"
)

// BenchmarkNext500Reps measures one Rotation.Next decision over 500 reps with mixed weights and an
// eligibility check per rep (the S-PERF target is p99 < 1 ms per decision).
func BenchmarkNext500Reps(b *testing.B) {
	weights := make(map[string]float64, 500)
	for i := range 500 {
		weights[fmt.Sprintf("rep-%03d", i)] = []float64{0.5, 1, 1.5, 2, 2.5, 3}[i%6]
	}
	away := map[string]bool{"rep-007": true, "rep-123": true}
	eligible := func(id string) bool { return !away[id] }
	var r route.Rotation
	for range 1000 {
		if _, _, err := r.Next(weights, eligible); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.Next(weights, eligible); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNext500RepsRebase measures the worst case: the eligible set changes on every decision,
// so every call settles the epoch and starts a new one (S-DIST-2a).
func BenchmarkNext500RepsRebase(b *testing.B) {
	weights := make(map[string]float64, 500)
	ids := make([]string, 500)
	for i := range 500 {
		ids[i] = fmt.Sprintf("rep-%03d", i)
		weights[ids[i]] = []float64{0.5, 1, 1.5, 2, 2.5, 3}[i%6]
	}
	var r route.Rotation
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		skip := ids[i%500]
		i++
		if _, _, err := r.Next(weights, func(id string) bool { return id != skip }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApportion measures the S-SIM-1 apportionment of 10,000 leads over 500 reps.
func BenchmarkApportion(b *testing.B) {
	w := make([]float64, 500)
	for i := range w {
		w[i] = float64(1+i%7) / 3
	}
	b.ReportAllocs()
	for b.Loop() {
		route.Apportion(10000, w)
	}
}

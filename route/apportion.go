package route

import (
	"math"
	"math/bits"
	"slices"
)

// Apportion divides total leads among reps in proportion to weights by the largest-remainder
// (Hamilton) method (S-SIM-1, S-DIST-2): every rep first gets the whole part of its exact share
// total·w_i/Σw, and the leads left over go one each to the largest fractional parts (ties: the
// larger weight, then the earlier rep). Each result is therefore the floor or the ceiling of the
// exact share, and the results add up to total.
//
// The arithmetic is exact: weights are taken in millionths, so 1.6/5.1 is exactly 16/51. Weights
// that are negative, NaN or infinite count as 0; if no weight is positive the leads are split
// equally (round-robin). total ≤ 0 gives zeros.
func Apportion(total int, weights []float64) []int {
	out := make([]int, len(weights))
	if total <= 0 || len(weights) == 0 {
		return out
	}
	micro, sum := exactWeightsSum(weights)
	rem := make([]uint64, len(micro))
	left := total
	for i, w := range micro {
		hi, lo := bits.Mul64(uint64(total), w)
		q, r := bits.Div64(hi, lo, sum)
		out[i] = int(q)
		rem[i] = r
		left -= int(q)
	}
	order := make([]int, len(micro))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rem[a] != rem[b]:
			if rem[a] > rem[b] {
				return -1
			}
			return 1
		case micro[a] != micro[b]:
			if micro[a] > micro[b] {
				return -1
			}
			return 1
		}
		return a - b
	})
	for _, i := range order[:left] {
		out[i]++
	}
	return out
}

// ExactShares returns total·w_i/Σw for every weight, the targets Apportion rounds (S-SIM-1), with
// the same treatment of invalid and all-zero weights.
func ExactShares(total int, weights []float64) []float64 {
	out := make([]float64, len(weights))
	if total <= 0 || len(weights) == 0 {
		return out
	}
	micro, sum := exactWeightsSum(weights)
	for i, w := range micro {
		out[i] = float64(total) * float64(w) / float64(sum)
	}
	return out
}

// exactWeightsSum returns exactWeights and their sum.
func exactWeightsSum(weights []float64) ([]uint64, uint64) {
	micro := exactWeights(weights)
	var sum uint64
	for _, w := range micro {
		sum += w
	}
	return micro, sum
}

// exactWeights converts weights to positive-or-zero integers in millionths, scaled down when the
// largest exceeds MaxWeight; all zero becomes all one.
func exactWeights(weights []float64) []uint64 {
	max := 0.0
	for _, w := range weights {
		if w > max && !math.IsInf(w, 1) {
			max = w
		}
	}
	f := float64(weightUnit)
	if max > MaxWeight {
		f = float64(weightUnit) * MaxWeight / max
	}
	micro := make([]uint64, len(weights))
	var any bool
	for i, w := range weights {
		if w > 0 && !math.IsInf(w, 1) {
			micro[i] = uint64(math.Round(w * f))
			any = any || micro[i] > 0
		}
	}
	if !any {
		for i := range micro {
			micro[i] = 1
		}
	}
	return micro
}

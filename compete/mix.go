package compete

import (
	"maps"
	"slices"
)

// Candidate is a lead waiting to be released to the pool.
//
// Quality-mix shaping (S-COMP-5): the competitive pool can be held to a target mix of lead
// quality — by default 70% standard (warm), 20% low (cold) and 10% high (hot) — so that reps
// have to claim volume instead of hunting only the best leads. Leads that would push the mix off
// target are held back from the pool and assigned by push instead (or released later, when the
// mix has room for them).
//
// Reps must not learn which pool leads are which: the service must not expose the target, the
// released counts or whether a lead was held back, and blind leads (PoolLead.Blind) hide even
// the band.
//
// The mix is kept with the Balinski–Young quota method over the released counts c_b (per band,
// N = Σ c_b, target share q_b = Percent_b/100): a lead of band b may be released when
//
//   - b stays within its upper quota: c_b < q_b·(N+1), and
//   - no other band falls below its lower quota: c_a ≥ ⌊q_a·(N+1)⌋ for every a ≠ b;
//
// among the releasable bands that have a lead waiting, the one with the earliest deadline
// (c_b+1)/q_b goes first (the band furthest behind its share), ties in the order of cfg.Mix.
// Because of both conditions, after every release every band is strictly within one lead of
// its exact share q_b·N — however uneven the supply is. When a scarce band holds everything
// up, nothing is released until a lead of that band arrives; the pool's volume follows the
// scarcest band. Arithmetic is exact (integers).
type Candidate struct {
	LeadID int64  `json:"lead_id"`
	Band   string `json:"band"`
}

// AdmitToPool reports whether a lead of band may be released to the pool now, given the leads
// released so far in the current mix period (released, per band) (S-COMP-5). With an empty
// cfg.Mix every lead is admitted; a band absent from the mix (or with 0%) never is. The caller
// increments released[band] when it releases the lead. It is the online form of ShapeRelease: a
// lead that is not admitted is held back or assigned by push.
func AdmitToPool(band string, released map[string]int, cfg Config) bool {
	if len(cfg.Mix) == 0 {
		return true
	}
	return releasable(band, released, cfg)
}

// NextBand returns the band whose lead should be released next, given the leads waiting per band
// (available) and those released so far (S-COMP-5); ok is false when no waiting lead may be
// released now. With an empty cfg.Mix it returns any waiting band (in name order).
func NextBand(available, released map[string]int, cfg Config) (band string, ok bool) {
	if len(cfg.Mix) == 0 {
		for _, b := range slices.Sorted(maps.Keys(available)) {
			if available[b] > 0 {
				return b, true
			}
		}
		return "", false
	}
	best := -1
	for i, m := range cfg.Mix {
		if available[m.Band] <= 0 || !releasable(m.Band, released, cfg) {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		// Earlier deadline: (c_i+1)/p_i < (c_best+1)/p_best.
		bm := cfg.Mix[best]
		if int64(released[m.Band]+1)*int64(bm.Percent) < int64(released[bm.Band]+1)*int64(m.Percent) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	return cfg.Mix[best].Band, true
}

// ShapeRelease picks which waiting leads to release to the pool now (S-COMP-5): repeatedly the
// band NextBand names, oldest lead of that band first (queue is in waiting order), up to limit
// leads (limit ≤ 0: as many as the mix allows). With an empty cfg.Mix it releases the queue in
// order. It returns the leads to release, in release
// order, and the leads to keep holding, in queue order. released is not modified; the caller
// adds the released leads to its counts. Held leads stay out of the pool; the service assigns
// them by push once they have waited too long.
func ShapeRelease(queue []Candidate, released map[string]int, limit int, cfg Config) (release, hold []Candidate) {
	if len(cfg.Mix) == 0 {
		n := len(queue)
		if limit > 0 {
			n = min(n, limit)
		}
		return slices.Clone(queue[:n]), slices.Clone(queue[n:])
	}
	counts := make(map[string]int, len(released))
	for b, n := range released {
		counts[b] = n
	}
	byBand := map[string][]int{}
	available := map[string]int{}
	for i, c := range queue {
		byBand[c.Band] = append(byBand[c.Band], i)
		available[c.Band]++
	}
	taken := make([]bool, len(queue))
	for limit <= 0 || len(release) < limit {
		b, ok := NextBand(available, counts, cfg)
		if !ok {
			break
		}
		i := byBand[b][0]
		byBand[b] = byBand[b][1:]
		available[b]--
		counts[b]++
		taken[i] = true
		release = append(release, queue[i])
	}
	for i, c := range queue {
		if !taken[i] {
			hold = append(hold, c)
		}
	}
	return release, hold
}

// releasable applies the two quota conditions to one more lead of band.
func releasable(band string, released map[string]int, cfg Config) bool {
	n, pb := int64(0), int64(-1)
	for _, m := range cfg.Mix {
		n += int64(max(released[m.Band], 0))
		if m.Band == band {
			pb = int64(m.Percent)
		}
	}
	if pb <= 0 {
		return false
	}
	if 100*int64(max(released[band], 0)) >= pb*(n+1) {
		return false // upper quota
	}
	for _, m := range cfg.Mix {
		if m.Band != band && int64(max(released[m.Band], 0)) < int64(m.Percent)*(n+1)/100 {
			return false // m would fall below its lower quota
		}
	}
	return true
}

package route

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/leadflow/leadflow"
)

// Limits of the weighted rotation (S-DIST-2). Weights are held as exact integers in millionths
// (micro-weights), so decimal weights such as 1.6 and 0.5 keep their exact ratios and every
// decision within an epoch is made in integer arithmetic, without rounding.
const (
	// MaxWeight is the largest weight Next accepts; far above any sensible routing weight.
	MaxWeight = 10000
	// MaxBoost is the largest catch-up (or hold-back) Boost accepts, in leads.
	MaxBoost = 1000
	// weightUnit is the number of micro-weights in a weight of 1.
	weightUnit = 1_000_000
	// nano is the number of held-deficit units in one lead.
	nano = 1_000_000_000
	// maxScale bounds the sum of micro-weights so that deficit numerators fit in 64 bits.
	maxScale = 1 << 50
)

// ErrNoEligibleRep is returned by Next when no rep is eligible with a positive weight (S-DIST-2).
var ErrNoEligibleRep = &leadflow.Error{Code: leadflow.ECONFLICT, Message: "no eligible rep with a positive weight"}

// Rotation is the persistent state of one weighted rotation (S-DIST-1, S-DIST-2, S-DIST-2a): a
// plain value that lives in the database (JSON) and is read, advanced with Next and written back
// in one transaction, so that two leads routed at the same instant never see the same state.
//
// # Algorithm
//
// Next is the Balinski–Young quota method, run as earliest-deadline-first. Let n leads have been
// assigned with fixed weights w, rep i's share q_i = w_i/Σw and its count c_i. Rep i's deficit
// d_i = n·q_i − c_i says how far it is behind its exact share. For lead n+1, rep i is released
// when c_i < (n+1)·q_i — taking the lead keeps it within its upper quota ⌈(n+1)·q_i⌉ — and its
// deadline is (c_i+1)/q_i, the lead number by which it must have had its next lead to stay within
// its lower quota ⌊m·q_i⌋. Among released reps the earliest deadline wins (equivalently the
// largest w_i/(c_i+1), d'Hondt among released reps). Balinski and Young proved that this keeps
// ⌊n·q_i⌋ ≤ c_i ≤ ⌈n·q_i⌉ for every rep after every lead: upper quota by construction, lower
// quota because unit jobs with release times and deadlines are scheduled feasibly by EDF whenever
// any schedule exists, and the quota conditions admit one. So |c_i − n·q_i| < 1 at every n, which
// smooth weighted round-robin (nginx) does not guarantee. TestRotationQuotaProperty checks it
// after every one of 10,000 leads for hundreds of random (and skewed) weight vectors.
//
// Weights are compared as exact integers (micro-weights), so boundaries such as a share of
// exactly 3 of 8 leads are decided exactly.
//
// # Ties
//
// Equal deadlines (common: equal weights) go to the rep whose latest lead is oldest
// (least-recently assigned, so equal weights give a classic round-robin); reps that never had a
// lead are ordered by a hash of (rep id, lead number), and finally by id. Creation order never
// matters, and the result does not depend on map iteration order.
//
// # Changing weights, away reps, new reps (S-DIST-2a)
//
// The reps that take part in a decision are those with a positive weight for which eligible
// returns true. While that set and its weights stay the same, the rotation runs in one epoch with
// the exact guarantee above. When they change — a weight is recalculated, a rep is added or
// removed, a rep goes away or reaches a cap, or comes back — the epoch is settled: every rep's
// current deficit (in leads) is kept, and a new epoch starts from those deficits. Therefore:
//
//   - a rep that is ineligible or has weight 0 is skipped without losing its place: its deficit
//     (or surplus) is frozen, neither growing while it is away nor being forgiven, and it resumes
//     from exactly there — it is not flooded with catch-up leads on return;
//   - a new rep starts with deficit 0, exactly on its share, so it is neither owed catch-up leads
//     nor made to wait behind everyone;
//   - adding or removing a rep does not reset the others: their deficits carry over. Deficits of
//     the participants are re-centred to sum to zero (the departing or returning rep's deficit is
//     spread over the others in proportion to their weights), so the shares stay meaningful;
//   - a catch-up boost is explicit (Boost).
//
// At an epoch change the carried deficits are rounded (to 10⁻⁹ lead while held, and to 1/Scale
// lead in the new epoch, well under 10⁻⁶ lead); within an epoch everything is exact. The one-lead
// bound is proven for a fixed set of weights. Across changes it is not a theorem, but the carried
// deficits keep every rep's place: in TestRotationDynamicBounded, with random absences, returns
// and recalculated weights, no participant's deficit has reached one lead (only Boost, on purpose,
// goes beyond).
//
// Counts and Assigned count every lead the rotation has picked, over all epochs. The zero value is
// an empty rotation ready to use. A Rotation is not safe for concurrent use: the caller reads,
// advances and writes it inside one transaction.
type Rotation struct {
	// Assigned is the number of leads this rotation has assigned.
	Assigned int64 `json:"assigned"`
	// Counts holds the number of leads each rep has been assigned.
	Counts map[string]int64 `json:"counts,omitempty"`
	// Last holds, per rep, the value of Assigned right after its latest lead (for tie-breaks).
	Last map[string]int64 `json:"last,omitempty"`
	// Held holds the frozen deficits of reps outside the current epoch, in 10⁻⁹ lead.
	Held map[string]int64 `json:"held,omitempty"`
	// Epoch is the current run of decisions with one set of participants and weights.
	Epoch Epoch `json:"epoch"`

	// ids caches the sorted union of the reps in the maps above for MarshalBinary; nil when a
	// rep was added or removed since. Decisions of a steady team leave it valid, so encoding a
	// 500-rep state does not collect and sort 500 ids every time.
	ids []string
}

// Epoch is the part of a Rotation that belongs to the current participants and weights (S-DIST-2).
// A member's deficit is (Carry + n·Weight − Count·Scale) / Scale leads, where n is the number of
// leads assigned since the epoch began.
type Epoch struct {
	// Since is the value of Rotation.Assigned when the epoch began.
	Since int64 `json:"since"`
	// Scale is the sum of the members' micro-weights.
	Scale int64 `json:"scale"`
	// Members holds the participants of the epoch.
	Members map[string]Member `json:"members,omitempty"`
}

// Member is one rep's part of an Epoch (S-DIST-2).
type Member struct {
	Weight int64 `json:"weight"` // micro-weight: the weight × 10⁶
	Carry  int64 `json:"carry"`  // deficit brought into the epoch, in 1/Scale lead
	Count  int64 `json:"count"`  // leads assigned in this epoch
}

// Reasons a Pick gives for its winner (S-DIST-11).
const (
	// ReasonOnlyCandidate: only one rep was eligible with a positive weight.
	ReasonOnlyCandidate = "only_candidate"
	// ReasonEarliestDeadline: the winner was furthest behind its share relative to its weight — it
	// would have fallen a full lead behind soonest.
	ReasonEarliestDeadline = "earliest_deadline"
	// ReasonUpperQuota: the runner-up had already had its upper quota; one more lead would have put
	// it a full lead over its share.
	ReasonUpperQuota = "runner_up_at_upper_quota"
	// ReasonLeastRecent: the winner tied with the runner-up and had waited longer since its last lead.
	ReasonLeastRecent = "tie_least_recently_assigned"
	// ReasonTieHash: neither tied rep had had a lead yet; a hash of (rep id, lead number) decided.
	ReasonTieHash = "tie_hash"
	// ReasonNoneReleased: every rep was at its upper quota (possible only after a Boost or a change of
	// participants); the one furthest behind won.
	ReasonNoneReleased = "none_within_quota"
)

// Candidate describes one rep at the moment of a decision (S-DIST-11).
type Candidate struct {
	ID       string  `json:"id"`
	Weight   float64 `json:"weight"`
	Eligible bool    `json:"eligible"`        // eligible with a positive weight: took part
	Share    float64 `json:"share,omitempty"` // weight / sum of the participants' weights
	Count    int64   `json:"count"`           // leads assigned before this one
	// Deficit is how many leads the rep was behind its exact share before this lead (negative:
	// ahead). For a rep that did not take part it is its frozen deficit.
	Deficit float64 `json:"deficit"`
	// Due is Deficit + Share: how far behind the rep would be if this lead went to someone else.
	Due float64 `json:"due,omitempty"`
	// Deadline is the number of further leads after which the rep would be a full lead behind.
	Deadline float64 `json:"deadline,omitempty"`
	// Released reports whether the rep could take this lead without going a full lead over its share.
	Released bool  `json:"released,omitempty"`
	LastLead int64 `json:"last_lead,omitempty"` // Assigned right after its latest lead; 0 = never
}

// Pick explains one decision of Next (S-DIST-11): the winner, the runner-up and why.
type Pick struct {
	Rep        string    `json:"rep"`
	Lead       int64     `json:"lead"`   // the rotation's lead number: Assigned after this lead
	Reason     string    `json:"reason"` // one of the Reason constants
	Winner     Candidate `json:"winner"`
	RunnerUp   Candidate `json:"runner_up"`  // zero when the winner was the only candidate
	Candidates int       `json:"candidates"` // reps that took part
	Skipped    int       `json:"skipped"`    // reps with a positive weight that were not eligible
	Rebased    bool      `json:"rebased"`    // the participants or weights changed: a new epoch began
	// Scale is the sum of the participants' micro-weights and EpochLeads the leads of the epoch
	// before this one: with them a compact decision record restores the participants' figures
	// (see MemberCandidate). They are not part of the JSON form.
	Scale      int64 `json:"-"`
	EpochLeads int64 `json:"-"`
}

// cand is a participant during selection; s is its due numerator (deficit + share) × Scale.
type cand struct {
	id   string
	w, s int64
	last int64 // -1 until looked up
	m    Member
}

// Next assigns the next lead (S-DIST-2): it picks the participating rep as described on Rotation,
// records the assignment and explains it. weights maps rep ids to weights (0 to MaxWeight; reps
// with weight 0 or missing do not take part); eligible reports whether a rep may take a lead now
// (nil means everyone) and must answer the same for a rep throughout the call. Next allocates
// nothing in the steady state and runs in O(len(weights)).
func (r *Rotation) Next(weights map[string]float64, eligible func(id string) bool) (string, Pick, error) {
	return r.next(weights, eligible, nil)
}

// NextExplained is Next that also appends a Candidate for every rep in weights to dst, sorted by
// id, for the decision record (S-DIST-11). Reusing dst keeps it allocation-free.
func (r *Rotation) NextExplained(weights map[string]float64, eligible func(id string) bool, dst []Candidate) (string, Pick, []Candidate, error) {
	id, p, err := r.next(weights, eligible, &dst)
	return id, p, dst, err
}

// Explain returns the decision Next would make and every rep's Candidate, without changing r.
func (r *Rotation) Explain(weights map[string]float64, eligible func(id string) bool) (Pick, []Candidate, error) {
	c := r.Clone()
	var dst []Candidate
	_, p, err := c.next(weights, eligible, &dst)
	return p, dst, err
}

func (r *Rotation) next(weights map[string]float64, eligible func(id string) bool, collect *[]Candidate) (string, Pick, error) {
	if r.Epoch.Members == nil {
		r.Epoch.Members = make(map[string]Member, len(weights))
	}
	n := r.Assigned - r.Epoch.Since
	match := true
	var participants, skipped int
	var scale int64
	var best, second cand
	for id, wf := range weights {
		w, ok := MicroWeight(wf)
		if !ok {
			return "", Pick{}, leadflow.Invalid("weights."+id, fmt.Sprintf("must be a number from 0 to %d", MaxWeight))
		}
		if w == 0 {
			continue
		}
		if eligible != nil && !eligible(id) {
			skipped++
			continue
		}
		participants++
		scale += w
		if !match {
			continue
		}
		m, ok := r.Epoch.Members[id]
		if !ok || m.Weight != w {
			match = false
			continue
		}
		r.consider(&best, &second, cand{id: id, w: w, s: m.Carry + (n+1)*w - m.Count*r.Epoch.Scale, last: -1, m: m})
	}
	if participants == 0 {
		return "", Pick{}, ErrNoEligibleRep
	}
	if scale > maxScale {
		return "", Pick{}, leadflow.Invalid("weights", fmt.Sprintf("the weights add up to more than %d", maxScale/weightUnit))
	}
	rebased := false
	if !match || participants != len(r.Epoch.Members) || scale != r.Epoch.Scale {
		r.rebase(weights, eligible)
		rebased = true
		n = 0
		best, second = cand{}, cand{}
		for id, m := range r.Epoch.Members {
			r.consider(&best, &second, cand{id: id, w: m.Weight, s: m.Carry + m.Weight, last: -1, m: m})
		}
	}

	p := Pick{Rep: best.id, Lead: r.Assigned + 1, Candidates: participants, Skipped: skipped, Rebased: rebased, Scale: r.Epoch.Scale, EpochLeads: n}
	p.Winner = r.describe(best, weights[best.id], n)
	switch {
	case second.id == "":
		p.Reason = ReasonOnlyCandidate
	default:
		p.RunnerUp = r.describe(second, weights[second.id], n)
		_, p.Reason = r.better(&best, &second)
	}
	if collect != nil {
		r.collect(collect, weights, eligible, n)
	}

	// Record the assignment.
	m := best.m
	m.Count++
	r.Epoch.Members[best.id] = m
	if r.Counts == nil {
		r.Counts = make(map[string]int64, len(weights))
	}
	if r.Last == nil {
		r.Last = make(map[string]int64, len(weights))
	}
	r.Assigned++
	if _, known := r.Counts[best.id]; !known {
		r.ids = nil
	}
	r.Counts[best.id]++
	r.Last[best.id] = r.Assigned
	return best.id, p, nil
}

// consider updates the best and second-best candidates with c.
func (r *Rotation) consider(best, second *cand, c cand) {
	switch {
	case best.id == "":
		*best = c
	case r.wins(&c, best):
		*second = *best
		*best = c
	case second.id == "" || r.wins(&c, second):
		*second = c
	}
}

// wins reports whether a beats b.
func (r *Rotation) wins(a, b *cand) bool {
	w, _ := r.better(a, b)
	return w
}

// better reports whether a beats b and the criterion that decided: released before not released,
// then the earlier deadline (Scale − s)/w, then the older last lead, then the hash, then the id.
func (r *Rotation) better(a, b *cand) (bool, string) {
	ra, rb := a.s > 0, b.s > 0
	if ra != rb {
		return ra, ReasonUpperQuota
	}
	reason := ReasonEarliestDeadline
	if !ra {
		reason = ReasonNoneReleased
	}
	// Deadline of a: (Scale − s_a)/w_a; compare (Scale − s_a)·w_b with (Scale − s_b)·w_a.
	if c := cmpMul(r.Epoch.Scale-a.s, b.w, r.Epoch.Scale-b.s, a.w); c != 0 {
		return c < 0, reason
	}
	if a.last < 0 {
		a.last = r.Last[a.id]
	}
	if b.last < 0 {
		b.last = r.Last[b.id]
	}
	if a.last != b.last {
		return a.last < b.last, ReasonLeastRecent
	}
	ha, hb := tieHash(a.id, r.Assigned), tieHash(b.id, r.Assigned)
	if ha != hb {
		return ha < hb, ReasonTieHash
	}
	return a.id < b.id, ReasonTieHash
}

// describe turns a candidate into its explanation; n is the number of leads of the epoch so far.
func (r *Rotation) describe(c cand, weight float64, n int64) Candidate {
	last := c.last
	if last < 0 {
		last = r.Last[c.id]
	}
	return r.memberCandidate(c.id, weight, c.m, n, last)
}

// memberCandidate describes an epoch member before lead n+1 of the epoch.
func (r *Rotation) memberCandidate(id string, weight float64, m Member, n, last int64) Candidate {
	return MemberCandidate(id, weight, m.Weight, r.Counts[id], m.Carry+n*m.Weight-m.Count*r.Epoch.Scale, r.Epoch.Scale, last)
}

// MemberCandidate describes a participant of a decision from the integers a rotation keeps: its
// weight and micro-weight mw, the leads it had before (count), its deficit numerator x (in 1/scale
// lead), the sum of the participants' micro-weights (scale) and its last lead. Every Candidate of
// a participant is made by it, so a decision record that keeps these integers restores the
// Candidate exactly.
func MemberCandidate(id string, weight float64, mw, count, x, scale, last int64) Candidate {
	due := x + mw
	return Candidate{
		ID: id, Weight: weight, Eligible: true,
		Share:    float64(mw) / float64(scale),
		Count:    count,
		Deficit:  float64(x) / float64(scale),
		Due:      float64(due) / float64(scale),
		Deadline: float64(scale-due) / float64(mw),
		Released: due > 0,
		LastLead: last,
	}
}

// collect appends a Candidate for every rep of weights to *dst, sorted by id.
func (r *Rotation) collect(dst *[]Candidate, weights map[string]float64, eligible func(string) bool, n int64) {
	if r.ids == nil {
		r.ids = r.unionIDs()
	}
	ids := r.ids // a steady team's reps are exactly the rotation's: no sort needed
	if len(ids) != len(weights) || !allIn(ids, weights) {
		ids = make([]string, 0, len(weights)) // sort the ids, not the (much larger) candidates
		for id := range weights {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	if cap(*dst)-len(*dst) < len(ids) {
		*dst = slices.Grow(*dst, len(ids))
	}
	for _, id := range ids {
		wf := weights[id]
		if m, ok := r.Epoch.Members[id]; ok {
			*dst = append(*dst, r.memberCandidate(id, wf, m, n, r.Last[id]))
			continue
		}
		*dst = append(*dst, Candidate{ID: id, Weight: wf, Count: r.Counts[id],
			Deficit: float64(r.Held[id]) / nano, LastLead: r.Last[id]})
	}
}

// allIn reports whether every id is a key of weights.
func allIn(ids []string, weights map[string]float64) bool {
	for _, id := range ids {
		if _, ok := weights[id]; !ok {
			return false
		}
	}
	return true
}

// settle ends the current epoch: every member's deficit moves to Held, in 10⁻⁹ lead.
func (r *Rotation) settle() {
	r.ids = nil
	if len(r.Epoch.Members) > 0 {
		if r.Held == nil {
			r.Held = make(map[string]int64, len(r.Epoch.Members))
		}
		n := r.Assigned - r.Epoch.Since
		for id, m := range r.Epoch.Members {
			d := mulDivRound(m.Carry+n*m.Weight-m.Count*r.Epoch.Scale, nano, r.Epoch.Scale)
			if d != 0 {
				r.Held[id] = d
			} else {
				delete(r.Held, id)
			}
		}
	}
	clear(r.Epoch.Members)
	r.Epoch.Scale = 0
	r.Epoch.Since = r.Assigned
}

// rebase settles the epoch and starts a new one with the current participants, their deficits
// taken from Held and re-centred to sum to zero in proportion to their weights.
func (r *Rotation) rebase(weights map[string]float64, eligible func(string) bool) {
	r.settle()
	var scale, sum int64
	for id, wf := range weights {
		w, _ := MicroWeight(wf)
		if w == 0 || (eligible != nil && !eligible(id)) {
			continue
		}
		d := r.Held[id]
		delete(r.Held, id)
		r.Epoch.Members[id] = Member{Weight: w, Carry: d}
		scale += w
		sum += d
	}
	for id, m := range r.Epoch.Members {
		d := m.Carry - mulDivRound(sum, m.Weight, scale)
		m.Carry = mulDivRound(d, scale, nano)
		r.Epoch.Members[id] = m
	}
	r.Epoch.Scale = scale
	r.Epoch.Since = r.Assigned
}

// Boost moves a rep leads further behind its share (S-REP-2 catch-up boost after a vacation, or a
// manual correction; negative leads hold it back). Like every deficit it is measured against the
// other participants: at the next decision the deficits are re-centred, so the rep's deficit rises
// by leads × (1 − share) and every other participant's falls by leads × its share, and over the
// following leads the rep receives that many leads more than its share would give it. A rep
// behind by a full lead or more is picked ahead of its share until it is back within one lead.
func (r *Rotation) Boost(id string, leads float64) error {
	if math.IsNaN(leads) || math.Abs(leads) > MaxBoost {
		return leadflow.Invalid("leads", fmt.Sprintf("must be a number from -%d to %d", MaxBoost, MaxBoost))
	}
	r.ids = nil
	r.settle()
	if r.Held == nil {
		r.Held = make(map[string]int64)
	}
	r.Held[id] += int64(math.Round(leads * nano))
	if r.Held[id] == 0 {
		delete(r.Held, id)
	}
	return nil
}

// Forget drops everything the rotation knows about a rep that has left (S-DIST-2a). The other
// reps keep their deficits; a departing rep's deficit is spread over them at the next decision.
func (r *Rotation) Forget(id string) {
	r.ids = nil
	if _, ok := r.Epoch.Members[id]; ok {
		r.settle()
	}
	delete(r.Held, id)
	delete(r.Counts, id)
	delete(r.Last, id)
}

// Deficit returns how many leads the rep is behind its exact share at this moment (negative:
// ahead), as Next would see it before the next lead (S-DIST-12).
func (r *Rotation) Deficit(id string) float64 {
	if m, ok := r.Epoch.Members[id]; ok {
		n := r.Assigned - r.Epoch.Since
		return float64(m.Carry+n*m.Weight-m.Count*r.Epoch.Scale) / float64(r.Epoch.Scale)
	}
	return float64(r.Held[id]) / nano
}

// Clone returns a deep copy of r.
func (r *Rotation) Clone() *Rotation {
	c := *r
	c.Counts = cloneMap(r.Counts)
	c.Last = cloneMap(r.Last)
	c.Held = cloneMap(r.Held)
	c.Epoch.Members = cloneMap(r.Epoch.Members)
	return &c
}

func cloneMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return nil
	}
	c := make(map[string]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// MicroWeight converts a weight to the millionths a rotation works in; ok is false for NaN, negative or too large weights.
func MicroWeight(w float64) (int64, bool) {
	if math.IsNaN(w) || w < 0 || w > MaxWeight {
		return 0, false
	}
	return int64(math.Round(w * weightUnit)), true
}

// tieHash mixes a rep id with the lead number (FNV-1a, then a SplitMix64 finaliser), so that
// ties between never-assigned reps are broken differently from lead to lead.
func tieHash(id string, n int64) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	h ^= uint64(n) + 0x9e3779b97f4a7c15
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// mul128 returns a·b as a signed 128-bit number (hi, lo).
func mul128(a, b int64) (int64, uint64) {
	hi, lo := bits.Mul64(abs64(a), abs64(b))
	if (a < 0) != (b < 0) {
		lo = ^lo + 1
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	return int64(hi), lo
}

// cmpMul compares a·b with c·d exactly: -1, 0 or +1.
func cmpMul(a, b, c, d int64) int {
	h1, l1 := mul128(a, b)
	h2, l2 := mul128(c, d)
	switch {
	case h1 < h2:
		return -1
	case h1 > h2:
		return 1
	case l1 < l2:
		return -1
	case l1 > l2:
		return 1
	}
	return 0
}

// mulDivRound returns x·m/d rounded half away from zero, for m ≥ 0 and d > 0, saturating when the
// result does not fit in 64 bits.
func mulDivRound(x, m, d int64) int64 {
	if d <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(abs64(x), uint64(m))
	if hi >= uint64(d) {
		if x < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	q, rem := bits.Div64(hi, lo, uint64(d))
	if rem >= uint64(d)-rem {
		q++
	}
	if q > math.MaxInt64 {
		q = math.MaxInt64
	}
	if x < 0 {
		return -int64(q)
	}
	return int64(q)
}

func abs64(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

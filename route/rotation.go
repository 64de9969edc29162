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
// value that lives in the database (MarshalBinary; JSON for people) and is read, advanced with
// Next and written back in one transaction, so that two leads routed at the same instant never see
// the same state.
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
	Assigned int64
	// since is the value of Assigned when the current epoch began, and scale the sum of its
	// members' micro-weights.
	since, scale int64
	nMembers     int // reps taking part in the current epoch
	// reps holds what the rotation knows of each rep: one record per rep, so that a decision
	// looks each rep up once.
	reps map[string]*repState

	// ids and states cache the reps in id order (for the encoding and the explanation); nil when
	// a rep was added or removed since. Decisions of a steady team leave them valid, so a 500-rep
	// state is not collected and sorted every time.
	ids    []string
	states []*repState
}

// repState is everything a Rotation keeps about one rep.
type repState struct {
	count  int64  // leads assigned to the rep over all epochs
	last   int64  // Assigned right after its latest lead; 0 = never
	held   int64  // its frozen deficit while outside the epoch, in 10⁻⁹ lead
	member bool   // it takes part in the current epoch
	m      Member // its part of the epoch, while a member
}

// known reports whether the rotation holds anything about the rep.
func (s *repState) known() bool { return s.count != 0 || s.last != 0 || s.held != 0 || s.member }

// Epoch is the part of a Rotation that belongs to the current participants and weights (S-DIST-2),
// as the JSON form of a Rotation shows it. A member's deficit is (Carry + n·Weight − Count·Scale) /
// Scale leads, where n is the number of leads assigned since the epoch began.
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
	st   *repState
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
	n := r.Assigned - r.since
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
		st := r.reps[id]
		if st == nil || !st.member || st.m.Weight != w {
			match = false
			continue
		}
		r.consider(&best, &second, cand{id: id, w: w, s: st.m.Carry + (n+1)*w - st.m.Count*r.scale, st: st})
	}
	if participants == 0 {
		return "", Pick{}, ErrNoEligibleRep
	}
	if scale > maxScale {
		return "", Pick{}, leadflow.Invalid("weights", fmt.Sprintf("the weights add up to more than %d", maxScale/weightUnit))
	}
	rebased := false
	if !match || participants != r.nMembers || scale != r.scale {
		r.rebase(weights, eligible)
		rebased = true
		n = 0
		best, second = cand{}, cand{}
		for id, st := range r.reps {
			if st.member {
				r.consider(&best, &second, cand{id: id, w: st.m.Weight, s: st.m.Carry + st.m.Weight, st: st})
			}
		}
	}

	p := Pick{Rep: best.id, Lead: r.Assigned + 1, Candidates: participants, Skipped: skipped, Rebased: rebased, Scale: r.scale, EpochLeads: n}
	p.Winner = r.describe(best, weights[best.id], n)
	switch {
	case second.id == "":
		p.Reason = ReasonOnlyCandidate
	default:
		p.RunnerUp = r.describe(second, weights[second.id], n)
		_, p.Reason = r.better(&best, &second)
	}
	if collect != nil {
		r.collect(collect, weights, n)
	}

	// Record the assignment.
	st := best.st
	st.m.Count++
	r.Assigned++
	st.count++
	st.last = r.Assigned
	return best.id, p, nil
}

// state returns the rep's record, adding an empty one (which invalidates the id cache).
func (r *Rotation) state(id string) *repState {
	if st, ok := r.reps[id]; ok {
		return st
	}
	if r.reps == nil {
		r.reps = make(map[string]*repState)
	}
	st := &repState{}
	r.reps[id] = st
	r.ids, r.states = nil, nil
	return st
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
	if c := cmpMul(r.scale-a.s, b.w, r.scale-b.s, a.w); c != 0 {
		return c < 0, reason
	}
	if a.st.last != b.st.last {
		return a.st.last < b.st.last, ReasonLeastRecent
	}
	ha, hb := tieHash(a.id, r.Assigned), tieHash(b.id, r.Assigned)
	if ha != hb {
		return ha < hb, ReasonTieHash
	}
	return a.id < b.id, ReasonTieHash
}

// describe turns a candidate into its explanation; n is the number of leads of the epoch so far.
func (r *Rotation) describe(c cand, weight float64, n int64) Candidate {
	return r.memberCandidate(c.id, weight, c.st, n)
}

// memberCandidate describes an epoch member before lead n+1 of the epoch.
func (r *Rotation) memberCandidate(id string, weight float64, st *repState, n int64) Candidate {
	m := st.m
	return MemberCandidate(id, weight, m.Weight, st.count, m.Carry+n*m.Weight-m.Count*r.scale, r.scale, st.last)
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
func (r *Rotation) collect(dst *[]Candidate, weights map[string]float64, n int64) {
	r.sorted()
	if cap(*dst)-len(*dst) < len(weights) {
		*dst = slices.Grow(*dst, len(weights))
	}
	start := len(*dst)
	if len(r.ids) == len(weights) { // a steady team's reps are exactly the rotation's: no sort needed
		for i, id := range r.ids {
			wf, ok := weights[id]
			if !ok {
				*dst = (*dst)[:start]
				break
			}
			*dst = append(*dst, r.candidate(id, wf, r.states[i], n))
		}
		if len(*dst)-start == len(weights) {
			return
		}
	}
	ids := make([]string, 0, len(weights)) // sort the ids, not the (much larger) candidates
	for id := range weights {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		*dst = append(*dst, r.candidate(id, weights[id], r.reps[id], n))
	}
}

// candidate describes a rep of a decision: a member with its standing, any other with its frozen
// deficit. st is nil for a rep the rotation does not know.
func (r *Rotation) candidate(id string, wf float64, st *repState, n int64) Candidate {
	switch {
	case st == nil:
		return Candidate{ID: id, Weight: wf}
	case st.member:
		return r.memberCandidate(id, wf, st, n)
	}
	return Candidate{ID: id, Weight: wf, Count: st.count, Deficit: float64(st.held) / nano, LastLead: st.last}
}

// sorted fills the id-ordered cache of the reps the rotation knows.
func (r *Rotation) sorted() {
	if r.ids != nil {
		return
	}
	r.ids = make([]string, 0, len(r.reps))
	for id, st := range r.reps {
		if st.known() {
			r.ids = append(r.ids, id)
		}
	}
	slices.Sort(r.ids)
	r.states = make([]*repState, len(r.ids))
	for i, id := range r.ids {
		r.states[i] = r.reps[id]
	}
}

// settle ends the current epoch: every member's deficit moves to its held deficit, in 10⁻⁹ lead.
func (r *Rotation) settle() {
	n := r.Assigned - r.since
	for _, st := range r.reps {
		if st.member {
			st.held = mulDivRound(st.m.Carry+n*st.m.Weight-st.m.Count*r.scale, nano, r.scale)
			st.member, st.m = false, Member{}
		}
	}
	r.nMembers, r.scale, r.since = 0, 0, r.Assigned
	r.ids, r.states = nil, nil // reps may have become unknown
}

// rebase settles the epoch and starts a new one with the current participants, their deficits
// taken from their held deficits and re-centred to sum to zero in proportion to their weights.
func (r *Rotation) rebase(weights map[string]float64, eligible func(string) bool) {
	r.settle()
	var scale, sum int64
	for id, wf := range weights {
		w, _ := MicroWeight(wf)
		if w == 0 || (eligible != nil && !eligible(id)) {
			continue
		}
		st := r.state(id)
		st.member, st.m = true, Member{Weight: w, Carry: st.held}
		sum += st.held
		st.held = 0
		scale += w
		r.nMembers++
	}
	for _, st := range r.reps {
		if st.member {
			d := st.m.Carry - mulDivRound(sum, st.m.Weight, scale)
			st.m.Carry = mulDivRound(d, scale, nano)
		}
	}
	r.scale = scale
	r.since = r.Assigned
	r.ids, r.states = nil, nil
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
	r.settle()
	r.state(id).held += int64(math.Round(leads * nano))
	r.ids, r.states = nil, nil
	return nil
}

// Forget drops everything the rotation knows about a rep that has left (S-DIST-2a). The other
// reps keep their deficits; a departing rep's deficit is spread over them at the next decision.
func (r *Rotation) Forget(id string) {
	if st, ok := r.reps[id]; ok && st.member {
		r.settle()
	}
	delete(r.reps, id)
	r.ids, r.states = nil, nil
}

// Deficit returns how many leads the rep is behind its exact share at this moment (negative:
// ahead), as Next would see it before the next lead (S-DIST-12).
func (r *Rotation) Deficit(id string) float64 {
	st := r.reps[id]
	switch {
	case st == nil:
		return 0
	case st.member:
		n := r.Assigned - r.since
		return float64(st.m.Carry+n*st.m.Weight-st.m.Count*r.scale) / float64(r.scale)
	}
	return float64(st.held) / nano
}

// Count returns the number of leads the rotation has given the rep.
func (r *Rotation) Count(id string) int64 {
	if st := r.reps[id]; st != nil {
		return st.count
	}
	return 0
}

// Counts returns the number of leads the rotation has given each rep that had one.
func (r *Rotation) Counts() map[string]int64 {
	out := make(map[string]int64, len(r.reps))
	for id, st := range r.reps {
		if st.count != 0 {
			out[id] = st.count
		}
	}
	return out
}

// Clone returns a deep copy of r.
func (r *Rotation) Clone() *Rotation {
	c := *r
	c.ids, c.states = nil, nil
	if r.reps != nil {
		c.reps = make(map[string]*repState, len(r.reps))
		for id, st := range r.reps {
			cp := *st
			c.reps[id] = &cp
		}
	}
	return &c
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

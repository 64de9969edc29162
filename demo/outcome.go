package demo

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/leadflow/leadflow"
)

// outcomePlan is one funnel outcome: its share of all leads, how old a lead must be to have
// reached it, how strongly it prefers good leads, and how long the way there takes.
type outcomePlan struct {
	stage   leadflow.Stage
	share   float64
	minAge  float64 // days since creation before a lead can have this outcome
	weight  func(p *profile) float64
	median  float64 // days from creation to the outcome
	minDays float64
}

var outcomePlans = []outcomePlan{
	{leadflow.StageCustomer, 0.08, 21, func(p *profile) float64 { return math.Exp(5 * p.pct) }, 55, 14},
	{leadflow.StageOpportunity, 0.08, 10, func(p *profile) float64 { return math.Exp(4 * p.pct) }, 28, 5},
	{leadflow.StageSQL, 0.10, 3, func(p *profile) float64 { return math.Exp(3 * p.pct) }, 9, 1},
	{leadflow.StageDisqualified, 0.10, 0.1, func(p *profile) float64 {
		w := math.Exp(-4 * p.pct)
		if p.student {
			w *= 8
		}
		if p.co.size <= 3 {
			w *= 2
		}
		return w
	}, 2.5, 0.05},
	{leadflow.StageLost, 0.10, 14, func(p *profile) float64 { return math.Exp(-1.5 * p.pct) }, 40, 10},
	{leadflow.StageNurture, 0.05, 14, func(p *profile) float64 { return math.Exp(-2.5 * p.pct) }, 35, 10},
}

// assignOutcomes ranks leads by quality (fit, engagement and source plus noise) and draws each
// outcome's quota by weighted sampling without replacement, so that strong leads mostly become
// customers, opportunities and SQLs and weak ones are lost, disqualified or nurtured, while the
// overall shares stay close to the plan.
func (w *world) assignOutcomes(ps []*profile) {
	r := newRand(w.o.Seed, streamOutcome)
	n := len(ps)
	if n == 0 {
		return
	}
	q := make([]float64, n)
	for i, p := range ps {
		q[i] = 0.65*(p.fit-0.55)/0.18 + 0.45*p.eng - 0.4*b2f(p.quiet) + 0.5*b2f(p.super) +
			sourceByName(p.source).quality + 0.45*r.NormFloat64()
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case q[a] < q[b]:
			return -1
		case q[a] > q[b]:
			return 1
		}
		return 0
	})
	for rank, i := range order {
		ps[i].pct = (float64(rank) + 0.5) / float64(n)
	}

	age := func(p *profile) float64 { return w.now.Sub(p.created).Hours() / 24 }
	taken := make([]bool, n)
	disqualified := 0

	// Spam is disqualified as soon as someone looks at it.
	for i, p := range ps {
		if p.spam && age(p) >= 0.1 {
			taken[i] = true
			disqualified++
			w.setOutcome(r, p, outcomePlans[3], "spam")
		}
	}

	type cand struct {
		i   int
		key float64
	}
	cands := make([]cand, 0, n)
	for _, plan := range outcomePlans {
		want := int(math.Round(float64(n) * plan.share * (1 + 0.16*(r.Float64()-0.5))))
		if plan.stage == leadflow.StageDisqualified {
			want -= disqualified
		}
		cands = cands[:0]
		for i, p := range ps {
			if taken[i] || age(p) < plan.minAge {
				continue
			}
			// Efraimidis–Spirakis: the largest log(u)/weight are a weighted sample.
			cands = append(cands, cand{i, math.Log(r.Float64()) / plan.weight(p)})
		}
		slices.SortStableFunc(cands, func(a, b cand) int {
			switch {
			case a.key > b.key:
				return -1
			case a.key < b.key:
				return 1
			}
			return 0
		})
		for k := 0; k < want && k < len(cands); k++ {
			i := cands[k].i
			taken[i] = true
			w.setOutcome(r, ps[i], plan, w.reasonFor(r, ps[i], plan.stage))
		}
	}
}

// reasonFor picks why a lead was lost, disqualified or nurtured.
func (w *world) reasonFor(r *rand.Rand, p *profile, stage leadflow.Stage) string {
	pickReason := func(rs []reason, ok func(string) bool) string {
		total := 0.0
		for _, x := range rs {
			if ok(x.text) {
				total += x.weight
			}
		}
		u := r.Float64() * total
		for _, x := range rs {
			if !ok(x.text) {
				continue
			}
			u -= x.weight
			if u < 0 {
				return x.text
			}
		}
		return rs[0].text
	}
	switch stage {
	case leadflow.StageDisqualified:
		switch {
		case p.spam:
			return "spam"
		case p.student:
			return "student"
		case p.co.size <= 3 && r.Float64() < 0.7:
			return "too small"
		}
		return pickReason(disqualifyReasons, func(s string) bool { return s != "job seeker" || p.level <= 1 })
	case leadflow.StageLost:
		return pickReason(lostReasons, func(string) bool { return true })
	case leadflow.StageNurture:
		return pick(r, nurtureReasons)
	}
	return ""
}

// setOutcome records the outcome and when it happened: a typical sales cycle after creation,
// during working hours, strictly before now.
func (w *world) setOutcome(r *rand.Rand, p *profile, plan outcomePlan, reason string) {
	p.outcome, p.reason = plan.stage, reason
	ageDays := w.now.Sub(p.created).Hours() / 24
	d := plan.median * math.Exp(0.6*r.NormFloat64())
	d = clamp(d, plan.minDays, ageDays*0.97)
	at := p.created.Add(days(d)).Truncate(time.Second)
	// Reps record outcomes in working hours.
	lo := p.created.Add(days(math.Min(plan.minDays, ageDays*0.97) * 0.5))
	hi := w.now.Add(-time.Minute)
	if cand := localAt(localDay(at, p.city.offset), p.city.offset, 9+9*r.Float64()); !cand.Before(lo) && !cand.After(hi) {
		at = cand
	}
	if !at.Before(w.now) {
		at = w.now.Add(-time.Second)
	}
	if !at.After(p.created) {
		at = p.created.Add(time.Second)
	}
	p.outcomeAt = at
}

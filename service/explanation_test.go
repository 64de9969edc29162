package service

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/leadflow/leadflow/route"
)

// TestExplanationRoundTrip: the compact stored form of a routing explanation reads back as exactly
// the JSON encoding/json writes for the full explanation (S-DIST-11), for every kind of decision:
// weighted with exclusions and details, capacity with spare counts, skipped rules, a truncated
// 500-rep team, a claim's own summary, and names and details that need escaping.
func TestExplanationRoundTrip(t *testing.T) {
	names := map[int64]string{}
	name := func(id int64) string { return names[id] }
	rng := rand.New(rand.NewPCG(1, 2))
	cand := func(id int64) RepDecision {
		names[id] = fmt.Sprintf("Rep %d", id)
		d := RepDecision{RepID: id, Name: names[id], Eligible: true, Weight: float64(1 + rng.IntN(3)), Share: rng.Float64() / 3,
			Count: int64(rng.IntN(500)), Deficit: rng.Float64()*2 - 1}
		switch rng.IntN(6) {
		case 0:
			d = RepDecision{RepID: id, Name: names[id], Excluded: "away", Detail: "vacation until 2026-12-24T00:00:00Z"}
		case 1:
			d = RepDecision{RepID: id, Name: names[id], Excluded: "at daily cap", Detail: "10 of 10 leads today"}
		case 2:
			spare := rng.IntN(9) - 2
			d.Spare = &spare
		}
		return d
	}
	pick := &route.Pick{Rep: "3", Lead: 1234, Reason: route.ReasonEarliestDeadline, Candidates: 17, Skipped: 3, Rebased: true,
		Winner:   route.Candidate{ID: "3", Weight: 2, Eligible: true, Share: 0.1176470588235294, Count: 145, Deficit: 0.17647, Due: 0.2941, Deadline: 4.5, Released: true, LastLead: 1201},
		RunnerUp: route.Candidate{ID: "9", Weight: 1, Eligible: true, Count: 71, Deficit: -0.5}}

	var cases []*RoutingExplanation
	for _, n := range []int{1, 20, 500} {
		ex := &RoutingExplanation{RuleID: "all", RuleName: "everyone", Method: MethodWeighted, Weights: WeightsStatic, Pick: pick}
		for i := range n {
			ex.Candidates = append(ex.Candidates, cand(int64(i+1)))
		}
		ex.Candidates[0].Eligible, ex.Candidates[0].Excluded = true, ""
		ex.Summary, ex.derived = summarize(ex, 1), true
		compactCandidates(ex, 1)
		cases = append(cases, ex)
	}
	tricky := &RoutingExplanation{RuleID: "emea \"premium\"", Method: MethodCapacity, Summary: "", Candidates: []RepDecision{cand(9007), cand(9008)},
		Skipped: []RuleTry{{RuleID: "dach", Candidates: []RepDecision{{RepID: 9008, Excluded: "outside territory", Detail: "no territory of the rep matches the lead"}}}}}
	names[9007], names[9008] = `Zoë "Z" <Ångström> & Co`, "Jürgen\tMüller"
	tricky.Candidates[0].Name, tricky.Candidates[1].Name = names[9007], names[9008]
	tricky.Skipped[0].Candidates[0].Name = names[9008]
	tricky.Candidates[0].Detail = "line\nbreak \\ and \u2028"
	tricky.Candidates[0].Eligible, tricky.Candidates[0].Excluded = true, ""
	tricky.Summary, tricky.derived = summarize(tricky, 9007), true
	compactCandidates(tricky, 9007)
	cases = append(cases, tricky)
	claim := &RoutingExplanation{RuleID: "pool", Method: MethodClaim, Summary: "Rep 4 claimed the lead from the pool 12s after it was pooled",
		Candidates: []RepDecision{{RepID: 4, Name: names[4], Eligible: true}}}
	claim.Totals = candidateTotals(claim.Candidates)
	cases = append(cases, claim)

	for i, ex := range cases {
		winner := ex.Candidates[0].RepID
		if ex.Totals == nil { // what the API shows: a decision counts only a list it shortens
			ex.Totals = candidateTotals(ex.Candidates)
		}
		want, err := json.Marshal(ex)
		if err != nil {
			t.Fatal(err)
		}
		stored := encodeExplanation(nil, ex, !ex.derived)
		if !json.Valid(stored) {
			t.Fatalf("case %d: stored form is not JSON: %s", i, stored)
		}
		got, err := decodeExplanation(stored, winner, name)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if string(got) != string(want) {
			t.Fatalf("case %d: read back\n%s\nwant\n%s", i, got, want)
		}
		if len(ex.Candidates) == 20 && len(stored)*2 > len(want) {
			t.Errorf("20 reps: stored %d bytes, the full JSON %d: want at most half", len(stored), len(want))
		}
	}
	// An explanation stored before the compact form reads back as it was stored.
	old := []byte(`{"summary":"Ann got this lead","rule_id":"all","method":"round_robin","candidates":[]}`)
	if got, err := decodeExplanation(old, 1, name); err != nil || string(got) != string(old) {
		t.Fatalf("legacy explanation: %s %v", got, err)
	}
}

// TestAppendFloat: the explanation encoder's numbers read back as the same float64, and are written
// as encoding/json or strconv write them (six-decimal figures on the fast path, the rest exactly).
func TestAppendFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 0.05, 0.000001, -0.000001, 0.100001, 123456.789012, 1e-7, 3.14159265, 1e20, -0.25, 2.5e-5, 10, 100.1}
	for range 100000 {
		v := (r.Float64()*2 - 1) * math.Pow(10, float64(r.IntN(8)-3))
		vals = append(vals, v, round6(v))
	}
	for _, v := range vals {
		got := string(appendFloat(nil, v))
		var back float64
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != v || math.Signbit(back) != math.Signbit(v) {
			t.Fatalf("%v → %s → %v %v", v, got, back, err)
		}
		if want, _ := json.Marshal(v); got != string(want) && got != strconv.FormatFloat(v, 'g', -1, 64) {
			t.Fatalf("%v: wrote %s, encoding/json writes %s", v, got, want)
		}
	}
}

// BenchmarkExplanationEncode20 is the write-side cost of one routed lead's explanation.
func BenchmarkExplanationEncode20(b *testing.B) {
	ex := &RoutingExplanation{RuleID: "all", RuleName: "everyone", Method: MethodWeighted, Weights: WeightsStatic,
		Pick: &route.Pick{Rep: "3", Lead: 1234, Reason: route.ReasonEarliestDeadline, Candidates: 20}}
	for i := range 20 {
		ex.Candidates = append(ex.Candidates, RepDecision{RepID: int64(i + 1), Name: fmt.Sprint("Rep ", i), Eligible: true, Weight: 2, Share: 0.05, Count: 512, Deficit: 0.25})
	}
	compactCandidates(ex, 3)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = encodeExplanation(buf[:0], ex, false)
	}
	b.ReportMetric(float64(len(buf)), "bytes")
}

// TestExplanationFromRotation: explanations of real weighted decisions — a steady team, reps
// leaving and coming back (new epochs with carried deficits), a weight change — read back exactly
// as encoding/json writes them, and a steady 20-rep team's is stored in the short forms, at most a
// third of the full JSON (S-DIST-11).
func TestExplanationFromRotation(t *testing.T) {
	names := map[int64]string{}
	name := func(id int64) string { return names[id] }
	rot := &route.Rotation{}
	weights := map[string]float64{}
	for i := int64(1); i <= 20; i++ {
		names[i] = fmt.Sprintf("Rep %d", i)
		weights[strconv.FormatInt(i, 10)] = float64(1 + i%3)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var steadyStored, steadyFull int
	for lead := range 3000 {
		away := map[int64]bool{}
		if lead >= 1000 && lead%7 == 0 { // reps away now and then: the participants change
			away[int64(1+rng.IntN(20))] = true
		}
		if lead == 2000 {
			weights["4"] = 2.5
		}
		eligible := func(id string) bool { n, _ := strconv.ParseInt(id, 10, 64); return !away[n] }
		id, pick, cands, err := rot.NextExplained(weights, eligible, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The decision record as Service.pick writes it; from lead 2500 on as a capacity rule's
		// (spare capacity on every rep, a detail on some) and a quota rule's (a detail on every rep).
		method := MethodWeighted
		switch {
		case lead >= 2750:
			method = MethodQuota
		case lead >= 2500:
			method = MethodCapacity
		}
		ex := &RoutingExplanation{RuleID: "all", RuleName: "everyone", Method: method, Weights: WeightsStatic, Pick: &pick, derived: true}
		for _, c := range cands {
			n, _ := strconv.ParseInt(c.ID, 10, 64)
			d := RepDecision{RepID: n, Name: names[n]}
			if away[n] {
				d.Excluded, d.Detail = "away", "vacation until 2026-12-24T00:00:00Z"
			} else {
				d.Eligible, d.Weight, d.Share, d.Count, d.Deficit = true, c.Weight, round6(c.Share), c.Count, round6(c.Deficit)
			}
			switch {
			case method == MethodCapacity && d.Eligible:
				spare := int(n % 4)
				d.Spare = &spare
				if n%3 == 0 {
					d.Detail = "less spare capacity than the best (3)"
				}
			case method == MethodQuota && d.Eligible:
				d.Detail = fmt.Sprintf("allocation %d leads a week, %d used", 10+n%3*5, n%7)
			}
			ex.Candidates = append(ex.Candidates, d)
		}
		winner, _ := strconv.ParseInt(id, 10, 64)
		want := *ex
		want.Summary, want.Totals = summarize(ex, winner), candidateTotals(ex.Candidates)
		full, err := json.Marshal(&want)
		if err != nil {
			t.Fatal(err)
		}
		stored := encodeExplanation(nil, ex, false)
		got, err := decodeExplanation(stored, winner, name)
		if err != nil {
			t.Fatalf("lead %d: %v", lead, err)
		}
		if string(got) != string(full) {
			t.Fatalf("lead %d: read back\n%s\nwant\n%s\nstored\n%s", lead, got, full, stored)
		}
		if lead < 1000 {
			steadyStored, steadyFull = steadyStored+len(stored), steadyFull+len(full)
		}
	}
	if steadyStored*3 > steadyFull {
		t.Errorf("steady 20-rep team: stored %d bytes a decision, the full JSON %d: want at most a third", steadyStored/1000, steadyFull/1000)
	}
}

package score_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
)

// ago returns the time the given number of days before now.
func ago(days float64) time.Time { return now.Add(-time.Duration(days * float64(day))) }

// oneRule returns a model whose only rule is r, a behaviour rule "r" on custom.x events unless r
// says otherwise.
func oneRule(r score.Rule) score.Model {
	if r.ID == "" {
		r.ID = "r"
	}
	if r.Kind == "" {
		r.Kind = score.KindBehavior
	}
	if r.Kind == score.KindBehavior && len(r.Events) == 0 {
		r.Events = []string{"custom.x"}
	}
	return score.Model{Rules: []score.Rule{r}}
}

// record records a custom.x event at each time, in the given order.
func record(c *score.Compiled, times ...time.Time) leadflow.RuleHits {
	var hits leadflow.RuleHits
	for _, at := range times {
		hits, _ = c.Record(hits, new(event("custom.x", at, nil)), now)
	}
	return hits
}

// only returns the single contribution of r, failing the test when there is not exactly one.
func only(t *testing.T, r score.Result) score.Contribution {
	t.Helper()
	if len(r.Contributions) != 1 {
		t.Fatalf("contributions = %+v, want exactly one", r.Contributions)
	}
	return r.Contributions[0]
}

// TestMaxCountKeepsNewest checks that max_count counts the most recent hits, whatever the order
// in which events arrive (S-SCORE-4).
func TestMaxCountKeepsNewest(t *testing.T) {
	c := mustCompile(t, oneRule(score.Rule{Points: 10, MaxCount: 2}))
	hits := record(c, ago(3), ago(1), ago(5), ago(2), ago(4))

	want := []int64{ago(2).UnixMilli(), ago(1).UnixMilli()}
	if d := diff(want, hits["r"]); d != "" {
		t.Errorf("hits (-want +got):\n%s", d)
	}
	con := only(t, c.Evaluate(&leadflow.Lead{}, hits, now))
	if con.Count != 2 || con.Points != 20 || !con.LastAt.Equal(ago(1)) {
		t.Errorf("count %d points %v last %v, want 2 20 %v", con.Count, con.Points, con.LastAt, ago(1))
	}
}

// TestHitsWithoutMaxCount checks that a rule without max_count keeps the newest MaxHits hits.
func TestHitsWithoutMaxCount(t *testing.T) {
	c := mustCompile(t, oneRule(score.Rule{Points: 1}))
	var times []time.Time
	for i := range score.MaxHits + 50 {
		times = append(times, ago(float64(i)))
	}
	hits := record(c, times...)

	got := hits["r"]
	if len(got) != score.MaxHits || got[0] != ago(score.MaxHits-1).UnixMilli() || got[len(got)-1] != now.UnixMilli() {
		t.Errorf("kept %d hits from %v to %v, want the newest %d", len(got), got[0], got[len(got)-1], score.MaxHits)
	}
	if con := only(t, c.Evaluate(&leadflow.Lead{}, hits, now)); con.Points != score.MaxHits {
		t.Errorf("points = %v, want %d", con.Points, score.MaxHits)
	}
}

// TestMaxPoints checks that max_points caps the absolute value of a rule's sum, for positive,
// negative and fit rules (S-SCORE-3, S-SCORE-4).
func TestMaxPoints(t *testing.T) {
	tests := []struct {
		name       string
		rule       score.Rule
		hits       int
		wantPoints float64
		wantCapped bool
	}{
		{"under the cap", score.Rule{Points: 10, MaxPoints: 25}, 2, 20, false},
		{"at the cap", score.Rule{Points: 10, MaxPoints: 20}, 2, 20, false},
		{"over the cap", score.Rule{Points: 10, MaxPoints: 25}, 3, 25, true},
		{"negative over the cap", score.Rule{Points: -10, MaxPoints: 15, Category: "negative"}, 3, -15, true},
		{"negative under the cap", score.Rule{Points: -10, MaxPoints: 15}, 1, -10, false},
		{"fit over the cap", score.Rule{Kind: score.KindFit, Points: 30, MaxPoints: 20}, 0, 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, oneRule(tt.rule))
			var times []time.Time
			for i := range tt.hits {
				times = append(times, ago(float64(i)))
			}
			res := c.Evaluate(&leadflow.Lead{}, record(c, times...), now)
			con := only(t, res)
			if con.Points != tt.wantPoints || con.Capped != tt.wantCapped {
				t.Errorf("points %v capped %v, want %v %v", con.Points, con.Capped, tt.wantPoints, tt.wantCapped)
			}
			if res.Total != tt.wantPoints {
				t.Errorf("total = %v, want %v", res.Total, tt.wantPoints)
			}
		})
	}
}

// TestExpiry checks that a hit counts up to exactly expire_days old and vanishes 1 ms later
// (S-SCORE-4).
func TestExpiry(t *testing.T) {
	c := mustCompile(t, oneRule(score.Rule{Points: 7, ExpireDays: 90}))
	hit := ago(10)
	hits := record(c, hit)
	expiry := hit.Add(90 * day)

	tests := []struct {
		name      string
		at        time.Time
		wantTotal float64
		wantNext  time.Time
	}{
		{"fresh", now, 7, expiry.Add(time.Millisecond)},
		{"exactly expire_days old", expiry, 7, expiry.Add(time.Millisecond)},
		{"1 ms after", expiry.Add(time.Millisecond), 0, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Evaluate(&leadflow.Lead{}, hits, tt.at)
			if got.Total != tt.wantTotal || !got.RescoreAt.Equal(tt.wantNext) {
				t.Errorf("total %v rescore at %v, want %v %v", got.Total, got.RescoreAt, tt.wantTotal, tt.wantNext)
			}
		})
	}

	// Recording drops hits that have already expired but still reports the match.
	hits, matched := c.Record(nil, new(event("custom.x", ago(90).Add(-time.Millisecond), nil)), now)
	if len(hits["r"]) != 0 || !slices.Equal(matched, []string{"r"}) {
		t.Errorf("expired event: hits %v matched %v, want none and [r]", hits["r"], matched)
	}
	hits, _ = c.Record(nil, new(event("custom.x", ago(90), nil)), now)
	if len(hits["r"]) != 1 {
		t.Errorf("event exactly expire_days old: hits %v, want it kept", hits["r"])
	}
}

// TestExpiryPrunesOnRecord checks that recording a new hit drops the expired ones.
func TestExpiryPrunesOnRecord(t *testing.T) {
	c := mustCompile(t, oneRule(score.Rule{Points: 1, ExpireDays: 30}))
	hits := record(c, ago(20))
	hits, _ = c.Record(hits, new(event("custom.x", now.Add(15*day), nil)), now.Add(15*day))
	if want := []int64{now.Add(15 * day).UnixMilli()}; !slices.Equal(hits["r"], want) {
		t.Errorf("hits = %v, want %v", hits["r"], want)
	}
}

// TestHalfLife checks that points halve at each half-life and that a future hit does not decay
// (S-SCORE-4).
func TestHalfLife(t *testing.T) {
	c := mustCompile(t, oneRule(score.Rule{Points: 20, HalfLifeDays: 60}))
	tests := []struct {
		name        string
		hit         time.Time
		wantPoints  float64
		wantDecayed float64
	}{
		{"fresh", now, 20, 0},
		{"one half-life", ago(60), 10, 10},
		{"two half-lives", ago(120), 5, 15},
		{"half a half-life", ago(30), 14.14, 5.86},
		{"in the future", now.Add(5 * day), 20, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			con := only(t, c.Evaluate(&leadflow.Lead{}, record(c, tt.hit), now))
			if con.Points != tt.wantPoints || con.Decayed != tt.wantDecayed || con.Count != 1 {
				t.Errorf("points %v decayed %v count %d, want %v %v 1", con.Points, con.Decayed, con.Count, tt.wantPoints, tt.wantDecayed)
			}
		})
	}
}

// TestDecayThenCap checks that max_points applies to the decayed sum (S-SCORE-4).
func TestDecayThenCap(t *testing.T) {
	c := mustCompile(t, oneRule(score.Rule{Points: 20, HalfLifeDays: 10, MaxPoints: 25}))
	fresh := only(t, c.Evaluate(&leadflow.Lead{}, record(c, now, now), now))
	old := only(t, c.Evaluate(&leadflow.Lead{}, record(c, ago(10), ago(10)), now))
	if fresh.Points != 25 || !fresh.Capped || old.Points != 20 || old.Capped || old.Decayed != 20 {
		t.Errorf("fresh %+v, old %+v; want 25 capped, then 20 not capped with 20 decayed", fresh, old)
	}
}

// TestRescoreAt checks when a score next changes by itself (S-SCORE-4, S-SCORE-7).
func TestRescoreAt(t *testing.T) {
	tests := []struct {
		name string
		rule score.Rule
		hit  time.Time
		want time.Time
	}{
		{"no decay, no expiry", score.Rule{Points: 5}, ago(1), time.Time{}},
		{"fit only", score.Rule{Kind: score.KindFit, Points: 5}, time.Time{}, time.Time{}},
		{"decay", score.Rule{Points: 5, HalfLifeDays: 30}, ago(1), now.Add(score.DecayResolution)},
		{"expiry only", score.Rule{Points: 5, ExpireDays: 30}, ago(1), ago(1).Add(30*day + time.Millisecond)},
		{"expiry before the next decay step", score.Rule{Points: 5, HalfLifeDays: 30, ExpireDays: 30},
			ago(30).Add(30 * time.Minute), now.Add(30*time.Minute + time.Millisecond)},
		{"decay step before expiry", score.Rule{Points: 5, HalfLifeDays: 30, ExpireDays: 30}, ago(1), now.Add(score.DecayResolution)},
		{"decayed to nothing", score.Rule{Points: 5, HalfLifeDays: 14}, ago(3650), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, oneRule(tt.rule))
			var hits leadflow.RuleHits
			if !tt.hit.IsZero() {
				hits = record(c, tt.hit)
			}
			got := c.Evaluate(&leadflow.Lead{}, hits, now)
			if !got.RescoreAt.Equal(tt.want) {
				t.Errorf("RescoreAt = %v, want %v", got.RescoreAt, tt.want)
			}
			if len(got.Contributions) != 1 {
				t.Errorf("contributions = %+v, want the rule listed", got.Contributions)
			}
		})
	}
}

// TestUnknownRuleHitsIgnored checks that hits of rules no longer in the model do not score.
func TestUnknownRuleHitsIgnored(t *testing.T) {
	c := mustCompile(t, oneRule(score.Rule{Points: 5}))
	got := c.Evaluate(&leadflow.Lead{}, leadflow.RuleHits{"gone": {now.UnixMilli()}, "r": {}}, now)
	if got.Total != 0 || len(got.Contributions) != 0 || !got.RescoreAt.IsZero() {
		t.Errorf("got %+v, want an empty score", got)
	}
}

// propertyModel mixes every limit over overlapping event types.
func propertyModel() score.Model {
	return score.Model{Rules: []score.Rule{
		{ID: "a", Kind: score.KindBehavior, Points: 5, Events: []string{"custom.a"}, MaxCount: 3, ExpireDays: 30, HalfLifeDays: 10},
		{ID: "b", Kind: score.KindBehavior, Points: 1, Events: []string{"custom.a", "custom.b"}},
		{ID: "c", Kind: score.KindBehavior, Points: -3, Events: []string{"custom.b"}, MaxCount: 2, MaxPoints: 4,
			When: []score.Condition{{Field: "v", Op: "gt", Value: 5}}},
		{ID: "d", Kind: score.KindBehavior, Points: 2, Events: []string{"custom.c"}, MaxCount: 5, ExpireDays: 7},
	}}
}

// randomEvents returns n events of random types, times (ms resolution, some in the future) and
// properties.
func randomEvents(r *rand.Rand, n int) []leadflow.Event {
	types := []string{"custom.a", "custom.b", "custom.c", "custom.d"}
	events := make([]leadflow.Event, n)
	for i := range events {
		at := now.Add(-time.Duration(r.Int64N(int64(60*day))) + day).Truncate(time.Millisecond)
		events[i] = event(types[r.IntN(len(types))], at, map[string]any{"v": r.IntN(11)})
	}
	return events
}

// TestRecordMatchesHitsFromEvents is a property test: recording events one by one, in any order,
// gives the same hit state and score as rebuilding it from the event list (S-SCORE-4, S-SCORE-8).
func TestRecordMatchesHitsFromEvents(t *testing.T) {
	c := mustCompile(t, propertyModel())
	lead := &leadflow.Lead{}
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 42))
		events := randomEvents(r, r.IntN(250))
		want := c.HitsFromEvents(events, now)

		shuffled := slices.Clone(events)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		var got leadflow.RuleHits
		for i := range shuffled {
			got, _ = c.Record(got, &shuffled[i], now)
		}

		if d := diff(want, got); d != "" {
			t.Fatalf("seed %d: hits differ (-HitsFromEvents +Record):\n%s", seed, d)
		}
		if d := diff(c.Evaluate(lead, want, now), c.Evaluate(lead, got, now)); d != "" {
			t.Fatalf("seed %d: results differ (-HitsFromEvents +Record):\n%s", seed, d)
		}
		for id, ts := range got {
			if !slices.IsSorted(ts) || len(ts) > score.MaxHits {
				t.Fatalf("seed %d: hits of %s not sorted or too many: %v", seed, id, ts)
			}
		}
	}
}

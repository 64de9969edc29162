package bench

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
	"github.com/leadflow/leadflow/sqlite"
)

// Targets of the push-distribution issue.
const (
	TargetRoutingOverhead   = 0.20             // routing adds < 20% to single-lead ingest
	TargetDecisionP99       = time.Millisecond // a decision over 500 reps
	decisionReps            = 500
	routingTeamReps         = 20
	routingIngestMQLTrigger = 0.0 // every lead is an MQL at creation in both runs, so only routing differs
)

// routing measures what push routing costs (S-DIST, S-PERF): single-lead ingest with and without
// routing rules in the same run, and the latency of one routing decision over 500 reps.
func (r *runner) routing(ctx context.Context) ([]Result, error) {
	const name = "routing"
	n, conc := r.sz.routingLeads, r.sz.singleConc
	dir, err := r.scenarioDir("routing")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bodies := make([][]byte, n)
	for i := range n {
		bodies[i] = r.corpus.lead("r", i).body()
	}
	ingest := func(label string, withRules bool) (loadStats, error) {
		path := filepath.Join(dir, label+".db")
		nd, err := r.openNode(ctx, path, true)
		if err != nil {
			return loadStats{}, err
		}
		defer func() { _ = sqlite.Remove(path) }() // after the node is closed: the next round starts on an empty disk cache
		defer nd.close()
		if err := everyLeadAnMQL(ctx, nd.Service); err != nil {
			return loadStats{}, err
		}
		if withRules {
			if _, err := seedRoutingTeam(ctx, nd.Service, routingTeamReps); err != nil {
				return loadStats{}, err
			}
		}
		cl := newClient(nd.URL(), nd.secret, conc)
		defer cl.close()
		ls, err := runLoad(ctx, n, conc, r.sz.budget, func(ctx context.Context, _, i int) (time.Duration, error) {
			return timed(func() error { return cl.post(ctx, "/api/v1/leads", bodies[i], http.StatusCreated, nil) })
		})
		if err != nil {
			return ls, err
		}
		if err := nd.expectLeads(ctx, name, ls.n); err != nil {
			return ls, err
		}
		if withRules { // every lead routed exactly once
			total, err := countAssignments(ctx, nd.Store)
			if err != nil {
				return ls, err
			}
			if total != int64(ls.n) {
				return ls, fmt.Errorf("%s: %d assignments for %d leads", name, total, ls.n)
			}
		}
		return ls, nil
	}
	// The two runs alternate over several rounds, each on a fresh database: a single pair of runs
	// of a few seconds each moves by ±5 points from one run to the next on a shared machine. Each
	// round runs the two back to back, so its ratio compares them under the same conditions; the
	// verdict is the median of the rounds' ratios (the machine's speed drifts between rounds, so
	// the median plain run and the median routed run may come from different rounds).
	var bases, routeds []loadStats
	for round := range r.sz.routingRounds {
		r.progress("%s, round %d of %d: %s leads, one per POST, %d clients, every lead an MQL — without routing rules…", name, round+1, r.sz.routingRounds, fmtInt(float64(n)), conc)
		base, err := ingest(fmt.Sprintf("plain%d", round), false)
		if err != nil {
			return nil, err
		}
		r.progress("  %s leads/s, p99 %s; now with a weighted rule over %d reps…", fmtInt(base.rate(base.n)), fmtDur(base.pct(0.99)), routingTeamReps)
		routed, err := ingest(fmt.Sprintf("routed%d", round), true)
		if err != nil {
			return nil, err
		}
		r.progress("  %s leads/s with routing: +%.1f%% cost per lead", fmtInt(routed.rate(routed.n)), (base.rate(base.n)/routed.rate(routed.n)-1)*100)
		bases, routeds = append(bases, base), append(routeds, routed)
	}
	base, routed := medianRun(bases), medianRun(routeds)
	added := medianOverhead(bases, routeds)
	over := Result{Name: fmt.Sprintf("Single-lead ingest with routing (%d reps, weighted)", routingTeamReps), Value: routed.rate(routed.n), Unit: "leads/s",
		P50: routed.pct(0.50), P99: routed.pct(0.99), Ceiling: base.rate(base.n), Target: "routing adds < 20% to ingest cost"}
	judge(&over, criterion{"overhead", added, TargetRoutingOverhead, false})
	over.Note = fmt.Sprintf("Same %s leads and %d clients, without and with routing rules in %d rounds, each round the two runs back to back, each run on a fresh database. Routing adds %.1f%% to the cost per lead: the median of the rounds' own overheads (%s). The median runs: without routing rules %s leads/s (p99 %s), with a weighted rule over %d reps %s leads/s (p99 %s); the ceiling column here is the run without routing. Every lead becomes an MQL in both runs, so only the routing decision, the rotation update and the assignment row differ; every lead was assigned exactly once.",
		fmtInt(float64(min(base.n, routed.n))), conc, len(bases), added*100, roundOverheads(bases, routeds), fmtInt(base.rate(base.n)), fmtDur(base.pct(0.99)), routingTeamReps, fmtInt(routed.rate(routed.n)), fmtDur(routed.pct(0.99)))
	r.progress("  median of %d rounds: %s leads/s with routing: +%.1f%% cost per lead", len(bases), fmtInt(over.Value), added*100)

	r.progress("%s: %d routing decisions over %d reps, one transaction each…", name, r.sz.decisions, decisionReps)
	nd, err := r.openNode(ctx, filepath.Join(dir, "decisions.db"), false)
	if err != nil {
		return nil, err
	}
	defer nd.close()
	if _, err := seedRoutingTeam(ctx, nd.Service, decisionReps); err != nil {
		return nil, err
	}
	inputs := make([]leadflow.LeadInput, r.sz.decisions)
	for i := range inputs {
		email := fmt.Sprintf("decide%d@bench.example", i)
		inputs[i] = leadflow.LeadInput{Email: &email} // scores 0: stays unowned until routed below
	}
	admin := service.Actor{Name: "bench", Role: leadflow.RoleAdmin}
	var ids []int64
	for s := 0; s < len(inputs); s += service.MaxBatch {
		res, _, err := nd.Service.UpsertLeads(ctx, admin, inputs[s:min(s+service.MaxBatch, len(inputs))], nil, nil)
		if err != nil {
			return nil, err
		}
		for _, row := range res.Rows {
			ids = append(ids, row.ID)
		}
	}
	lat := make([]time.Duration, len(ids))
	for i, id := range ids {
		t0 := time.Now()
		l, err := nd.Service.RouteLead(ctx, admin, id)
		lat[i] = time.Since(t0)
		if err != nil || l.OwnerID == 0 {
			return nil, fmt.Errorf("%s: decision %d: owner %v, %v", name, i, l, err)
		}
	}
	slices.Sort(lat)
	ds := loadStats{n: len(lat), lat: lat}
	dec := Result{Name: fmt.Sprintf("Routing decision over %d reps (in process)", decisionReps), Value: float64(len(lat)) / sum(lat).Seconds(), Unit: "decisions/s",
		P50: ds.pct(0.5), P99: ds.pct(0.99), Target: "p99 < 1 ms"}
	judge(&dec, criterion{"p99", float64(dec.P99), float64(TargetDecisionP99), false})
	dec.Note = fmt.Sprintf("%d decisions, each Service.RouteLead in its own write transaction: eligibility of %d reps (active, away, caps, capacity, each in its time zone), the weighted rotation (quota method) advanced and its state written with the commit, the lead's owner and an assignment row with its explanation written, and the commit. Every lead got an owner.", len(lat), decisionReps)
	r.progress("  p50 %s, p99 %s per decision", fmtDur(dec.P50), fmtDur(dec.P99))
	return []Result{over, dec}, nil
}

// medianRun is the run with the median rate.
func medianRun(runs []loadStats) loadStats {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b loadStats) int { return cmp.Compare(a.rate(a.n), b.rate(b.n)) })
	return sorted[len(sorted)/2]
}

// medianOverhead is the median of the rounds' overheads: each round's routed run against the
// plain run just before it.
func medianOverhead(bases, routeds []loadStats) float64 {
	o := make([]float64, len(bases))
	for i := range bases {
		o[i] = bases[i].rate(bases[i].n)/routeds[i].rate(routeds[i].n) - 1
	}
	slices.Sort(o)
	if n := len(o); n%2 == 0 {
		return (o[n/2-1] + o[n/2]) / 2
	}
	return o[len(o)/2]
}

// roundOverheads lists each round's overhead, e.g. "+21.0%, +18.4%, +24.9%".
func roundOverheads(bases, routeds []loadStats) string {
	out := make([]string, len(bases))
	for i := range bases {
		out[i] = fmt.Sprintf("%+.1f%%", (bases[i].rate(bases[i].n)/routeds[i].rate(routeds[i].n)-1)*100)
	}
	return strings.Join(out, ", ")
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return max(t, time.Nanosecond)
}

// benchZones are the time zones of the bench's reps, as a team spread over regions has them.
var benchZones = []string{"America/New_York", "Europe/Berlin", "Asia/Jakarta", "America/Los_Angeles"}

// everyLeadAnMQL sets the lifecycle thresholds so that every new lead is an MQL as it is created
// (and so routed, where a rule matches it).
func everyLeadAnMQL(ctx context.Context, svc *service.Service) error {
	st := svc.Settings()
	st.Lifecycle.MQLThreshold, st.Lifecycle.UnqualifiedBelow = routingIngestMQLTrigger, -1
	return svc.PutSettings(ctx, st)
}

// countAssignments counts every assignment the store holds.
func countAssignments(ctx context.Context, st leadflow.Store) (int64, error) {
	var total int64
	err := st.Read(ctx, func(tx leadflow.ReadTx) error {
		counts, err := tx.AssignmentCounts(ctx, time.Time{})
		for _, n := range counts {
			total += n
		}
		return err
	})
	return total, err
}

// seedRoutingTeam creates n active reps with static weights 1–3, each in one of benchZones, and one
// weighted catch-all rule.
func seedRoutingTeam(ctx context.Context, svc *service.Service, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	for i := range n {
		rep, err := service.RepKind.Create(ctx, svc, leadflow.Rep{Name: fmt.Sprintf("Rep %d", i), Email: fmt.Sprintf("rep%d@bench.example", i), Active: true,
			StaticWeight: float64(1 + i%3), Timezone: benchZones[i%len(benchZones)]})
		if err != nil {
			return nil, err
		}
		ids = append(ids, rep.ID)
	}
	_, err := svc.PutRoutingRules(ctx, []service.RoutingRule{{ID: "all", Name: "everyone", RepIDs: ids, Method: service.MethodWeighted, Weights: service.WeightsStatic}})
	return ids, err
}

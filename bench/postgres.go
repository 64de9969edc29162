package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadflow/leadflow/notify"
	"github.com/leadflow/leadflow/postgres"
	"github.com/leadflow/leadflow/service"
)

// The PostgreSQL scenario (`leadflow bench --db postgres://…`): the same measurements as the
// SQLite scenarios — single-lead ingest, batched events, sustained claims, offer fan-out — on the
// PostgreSQL store, with one node and with several nodes sharing one database (they coordinate
// through it: the background lease, LISTEN/NOTIFY), each beside the raw PostgreSQL ceiling for the
// same rows measured with pgx on the same server in the same run. Every phase runs on a fresh
// schema that is dropped when it ends, and checks its own work as the SQLite scenarios do.

// pgSizes are the sizes of the PostgreSQL scenario.
type pgSizes struct {
	singleLeads, singleConc, perTxRows        int
	batchLeads, events, batchSize, batchCl    int
	sharedEvents, sharedSize                  int
	claimLeads, claimWave, claimReps, claimCl int
	fanoutClients, fanoutRounds               int
	// nodes is the size of the multi-node phases.
	nodes int
	// budget caps each load phase, so that the scenario adds about two minutes to a full run;
	// sharedBudget caps the shared-lead event phase, whose requests may each take seconds.
	budget, sharedBudget time.Duration
	// rawDSN is the schema of the raw ceilings, migrated once per run (set by postgres).
	rawDSN string
}

func pgSizesFor(o Options) pgSizes {
	s := pgSizes{
		singleLeads: 30_000, singleConc: 32, perTxRows: 20_000,
		batchLeads: 50_000, events: 200_000, batchSize: 1000, batchCl: 4,
		sharedEvents: 40_000, sharedSize: 1000,
		claimLeads: 4_000, claimWave: 2_000, claimReps: 200, claimCl: 32,
		fanoutClients: TargetFanoutClients, fanoutRounds: 20,
		nodes:  3,
		budget: 8 * time.Second, sharedBudget: 4 * time.Second,
	}
	if o.Quick {
		s.singleLeads, s.perTxRows = 200, 200
		s.batchLeads, s.events = 2_000, 2_000
		s.sharedEvents, s.sharedSize = 200, 50
		s.claimLeads, s.claimWave, s.claimReps = 40, 40, 10
		s.fanoutClients, s.fanoutRounds = 100, 3
	}
	return s
}

// postgres runs the PostgreSQL phases in order.
func (r *runner) postgres(ctx context.Context) ([]Result, error) {
	sz := pgSizesFor(r.o)
	var drop func()
	var err error
	if sz.rawDSN, drop, err = r.pgRawSchema(ctx); err != nil {
		return nil, err
	}
	defer drop()
	var out []Result
	for _, phase := range []func(context.Context, pgSizes) ([]Result, error){r.pgSingle, r.pgEvents, r.pgClaims, r.pgFanout} {
		res, err := phase(ctx, sz)
		out = append(out, res...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// pgMachine says what shares the machine, for the notes.
func pgMachine() string {
	return fmt.Sprintf("The PostgreSQL server, every leadflow node and the load generator share this machine's %d CPUs.", runtime.NumCPU())
}

// pgNode starts a full node on the schema of dsn.
func (r *runner) pgNode(ctx context.Context, dsn string) (*node, error) {
	m, secret, err := startNode(ctx, dsn, true)
	if err != nil {
		return nil, fmt.Errorf("start leadflow on PostgreSQL %s: %w", pgServer(dsn), err)
	}
	return &node{Main: m, path: dsn, secret: secret}, nil
}

// pgPoolNode starts a node on the schema of dsn and seeds it as a competitive pool (see
// openPoolNode).
func (r *runner) pgPoolNode(ctx context.Context, dsn string, reps int) (*poolNode, error) {
	nd, err := r.pgNode(ctx, dsn)
	if err != nil {
		return nil, err
	}
	p := &poolNode{node: nd}
	if err := p.seed(ctx, reps); err != nil {
		nd.close()
		return nil, fmt.Errorf("seed the claim pool: %w", err)
	}
	return p, nil
}

// addNodes starts count more nodes on the schema of dsn. Without nodes the first is started alone
// (it migrates the schema and takes the background lease), the others then at once.
func (r *runner) addNodes(ctx context.Context, dsn string, nodes []*node, count int) ([]*node, error) {
	if count > 0 && len(nodes) == 0 {
		nd, err := r.pgNode(ctx, dsn)
		if err != nil {
			return nil, err
		}
		nodes, count = append(nodes, nd), count-1
	}
	started := make([]*node, count)
	errs := make([]error, count)
	var wg sync.WaitGroup
	for i := range count {
		wg.Go(func() { started[i], errs[i] = r.pgNode(ctx, dsn) })
	}
	wg.Wait()
	for _, nd := range started {
		if nd != nil {
			nodes = append(nodes, nd)
		}
	}
	return nodes, errors.Join(errs...)
}

// closeNodes closes the nodes, the last started first.
func closeNodes(nodes []*node) error {
	var errs []error
	for i := len(nodes) - 1; i >= 0; i-- {
		errs = append(errs, nodes[i].close())
	}
	return errors.Join(errs...)
}

// waitLeader waits until exactly one of the nodes holds the background lease (it runs the offer
// board) and returns its index.
func waitLeader(ctx context.Context, nodes []*node) (int, error) {
	const limit = 30 * time.Second
	deadline := time.Now().Add(limit)
	for {
		leader, leaders := -1, 0
		for i, nd := range nodes {
			if nd.Service.Leader() {
				leader, leaders = i, leaders+1
			}
		}
		if leaders == 1 {
			return leader, nil
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("%d of %d nodes hold the background lease after %s, want 1", leaders, len(nodes), fmtDur(limit))
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func nodesLabel(k int) string { return plural(k, "node") }

// plural is "1 wave", "3 waves".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// spreadOver says how requests were spread over k nodes.
func spreadOver(k int, what string) string {
	if k == 1 {
		return "every " + what + " to the one node"
	}
	return fmt.Sprintf("%s k sent to node k mod %d", what, k)
}

// pgSingle is single-lead HTTP ingest on one node and on several nodes sharing the database,
// beside the raw ceilings for the same rows.
func (r *runner) pgSingle(ctx context.Context, sz pgSizes) ([]Result, error) {
	n, conc := sz.singleLeads, sz.singleConc
	leads := make([]genLead, n)
	bodies := make([][]byte, n)
	for i := range n {
		leads[i] = r.corpus.lead("s", i)
		bodies[i] = leads[i].body()
	}
	counts := []int{1, sz.nodes}
	stats := make([]loadStats, len(counts))
	deadlocks := make([]string, len(counts))
	for j, k := range counts {
		r.progress("postgres single-lead ingest on %s: up to %s leads, one per POST /api/v1/leads, %d concurrent clients spread round-robin over the nodes…", nodesLabel(k), fmtInt(float64(n)), conc)
		before := r.pgDeadlocks(ctx, false)
		st, err := r.pgIngest(ctx, k, bodies, conc, sz.budget)
		if err != nil {
			return nil, err
		}
		stats[j], deadlocks[j] = st, deadlockNote(before, r.pgDeadlocks(ctx, true))
		r.progress("  %s leads/s, p50 %s, p99 %s; all %d answers 201 and %d leads stored", fmtInt(st.rate(st.n)), fmtDur(st.pct(0.50)), fmtDur(st.pct(0.99)), st.n, st.n)
	}
	rows := min(max(stats[0].n, stats[1].n), n)
	r.progress("  measuring the raw PostgreSQL ceilings for the same lead rows…")
	raw, err := openPGRaw(ctx, sz.rawDSN, conc)
	if err != nil {
		return nil, err
	}
	defer raw.close()
	now := time.Now().UnixMilli()
	leadRows := buildRows(rows, func(i int) []any { return leadArgs(leads[i], now) })
	per, err := raw.perRow(ctx, rawInsertLead, leadRows[:min(rows, sz.perTxRows)], conc, sz.budget)
	if err != nil {
		return nil, fmt.Errorf("postgres raw ceiling (1 row/txn): %w", err)
	}
	if err := raw.truncate(ctx, "leads"); err != nil {
		return nil, err
	}
	batchRate, err := raw.batches(ctx, rawInsertLead, leadRows, 1000, sz.batchCl)
	if err != nil {
		return nil, fmt.Errorf("postgres raw ceiling (pgx.Batch): %w", err)
	}
	if err := raw.truncate(ctx, "leads"); err != nil {
		return nil, err
	}
	copyRate, err := raw.copies(ctx, rawInsertLead, leadRows, 1000, sz.batchCl)
	if err != nil {
		return nil, fmt.Errorf("postgres raw ceiling (COPY): %w", err)
	}
	raw.close()
	ceiling := per.rate(per.n)
	r.progress("  raw ceilings: %s rows/s (1 row/txn, %d connections), %s rows/s (1,000-row pgx.Batch/txn, %d connections), %s rows/s (COPY of 1,000 rows)",
		fmtInt(ceiling), conc, fmtInt(batchRate), sz.batchCl, fmtInt(copyRate))

	var out []Result
	for j, k := range counts {
		st := stats[j]
		res := Result{Name: fmt.Sprintf("PostgreSQL: single-lead HTTP ingest, %s (%d clients)", nodesLabel(k), conc), Value: st.rate(st.n), Unit: "leads/s",
			P50: st.pct(0.50), P99: st.pct(0.99), Ceiling: ceiling, Target: "≥ 5,000 leads/s, p99 < 20 ms"}
		judge(&res, criterion{"rate", res.Value, TargetSingleLeadRate, true},
			criterion{"p99", float64(res.P99), float64(TargetSingleLeadP99), false})
		res.Note = fmt.Sprintf("%s leads on a fresh schema, every answer 201 and the lead count verified.%s Closed loop: %d clients, %s. Each request runs in its own PostgreSQL transaction (the store has no group commit of its own) on a node's pool of at most 16 connections.%s Ceiling: the same rows inserted raw one per transaction from %d connections. %s",
			fmtInt(float64(st.n)), pgBudgetNote(st.n, n, sz.budget, "leads"), conc, spreadOver(k, "request"), deadlocks[j], conc, pgMachine())
		if k > 1 {
			one := out[0]
			res.Note += fmt.Sprintf(" Change from 1 to %d nodes: %.2f× the throughput (%s → %s leads/s), p99 %s → %s. The %d nodes are app.Main instances in this process on loopback sharing one schema; on these cores more nodes add no CPU, only coordination (each node's own connection pool, lease renewals, configuration refresh, LISTEN connections), so this shows what the cluster costs here, not how it scales on separate machines.",
				k, res.Value/one.Value, fmtInt(one.Value), fmtInt(res.Value), fmtDur(one.P99), fmtDur(res.P99), k)
		}
		out = append(out, res)
	}
	perRes := Result{Name: fmt.Sprintf("Raw PostgreSQL, 1 row per transaction (the single-lead rows, %d connections)", conc), Value: ceiling, Unit: "rows/s",
		P50: per.pct(0.50), P99: per.pct(0.99),
		Note: fmt.Sprintf("%s of the rows above, each one INSERT in its own transaction (autocommit) from %d connections at once, into the leads table of a schema the store migrated: the honest ceiling of one-commit-per-request ingest with %d clients, and the ceiling of the single-lead rows. p50/p99 are per INSERT + COMMIT.",
			fmtInt(float64(per.n)), conc, conc)}
	batchRes := Result{Name: fmt.Sprintf("Raw PostgreSQL, 1,000-row pgx.Batch per transaction (the single-lead rows, %d connections)", sz.batchCl), Value: batchRate, Unit: "rows/s",
		Note: fmt.Sprintf("the same %s rows as 1,000 INSERTs pipelined in one round trip per transaction (pgx.Batch) from %d connections: the batch ceiling. COPY of the same rows, 1,000 per COPY, reached %s rows/s.",
			fmtInt(float64(rows)), sz.batchCl, fmtInt(copyRate))}
	return append(out, perRes, batchRes), nil
}

// pgBudgetNote says when a load phase stopped at its time budget before its planned size.
func pgBudgetNote(done, planned int, budget time.Duration, unit string) string {
	if done >= planned {
		return ""
	}
	return fmt.Sprintf(" REDUCED: stopped at the %s time budget after %s of the planned %s %s, to keep the whole run short.",
		fmtDur(budget), fmtInt(float64(done)), fmtInt(float64(planned)), unit)
}

// pgIngest runs single-lead ingest on k nodes sharing a fresh schema and verifies the lead count.
func (r *runner) pgIngest(ctx context.Context, k int, bodies [][]byte, conc int, budget time.Duration) (loadStats, error) {
	name := "postgres single-lead ingest on " + nodesLabel(k)
	dsn, drop, err := r.pgSchema(ctx, "single"+strconv.Itoa(k))
	if err != nil {
		return loadStats{}, err
	}
	defer drop()
	nodes, err := r.addNodes(ctx, dsn, nil, k)
	defer closeNodes(nodes)
	if err != nil {
		return loadStats{}, err
	}
	if _, err := waitLeader(ctx, nodes); err != nil {
		return loadStats{}, fmt.Errorf("%s: %w", name, err)
	}
	cls := make([]*client, k)
	for j, nd := range nodes {
		cls[j] = newClient(nd.URL(), nd.secret, conc)
	}
	st, err := runLoad(ctx, len(bodies), conc, budget, func(ctx context.Context, _, i int) (time.Duration, error) {
		return timed(func() error { return cls[i%k].post(ctx, "/api/v1/leads", bodies[i], http.StatusCreated, nil) })
	})
	for _, c := range cls {
		c.close()
	}
	if err != nil {
		return loadStats{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := nodes[0].expectLeads(ctx, name, st.n); err != nil {
		return loadStats{}, err
	}
	if err := closeNodes(nodes); err != nil {
		return loadStats{}, fmt.Errorf("%s: close: %w", name, err)
	}
	return st, nil
}

// appendLeadBatch appends the JSON array of leads [lo, hi) of the set tag.
func appendLeadBatch(buf []byte, c *corpus, tag string, lo, hi int) []byte {
	buf = append(buf, '[')
	for i := lo; i < hi; i++ {
		if i > lo {
			buf = append(buf, ',')
		}
		buf = c.lead(tag, i).appendBody(buf)
	}
	return append(buf, ']')
}

// appendEventBatch appends the JSON array of events [lo, hi) of the set tag, on the first leads
// leads of the lead set leadTag.
func appendEventBatch(buf []byte, c *corpus, tag string, lo, hi int, leadTag string, leads int) []byte {
	buf = append(buf, '[')
	for k := lo; k < hi; k++ {
		if k > lo {
			buf = append(buf, ',')
		}
		buf = c.event(tag, k, leadTag, leads).appendBody(buf)
	}
	return append(buf, ']')
}

// eventIn is event k of the set tag, referencing a pseudo-random lead among the first leads leads
// of the lead set leadTag that fall in partition part of parts (lead index ≡ part mod parts), so
// that requests of different partitions never touch the same lead.
func (c *corpus) eventIn(tag string, k int, leadTag string, leads, part, parts int) genEvent {
	h := mix(uint64(k) ^ 0x5bd1e995)
	span := max((leads-part+parts-1)/parts, 1)
	idx := part + parts*int(h%uint64(span))
	t := &c.events[int((h>>32)%uint64(len(c.events)))]
	return genEvent{t: t, id: "bench-" + tag + "-" + strconv.Itoa(k), leadIdx: idx, email: c.lead(leadTag, idx).email}
}

// postStatus posts body and returns the answer's status; out, when not nil, receives the decoded
// answer of a 2xx.
func (c *client) postStatus(ctx context.Context, path string, body []byte, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", c.auth)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("POST %s: decode answer: %w", path, err)
		}
	}
	return resp.StatusCode, nil
}

// pgEvents is batched lead ingest and then batched event ingest on those leads, on one node, as
// the SQLite batch scenario, beside the raw pgx.Batch ceilings for the same rows; then the same
// event requests with leads shared between concurrent requests, for the store's behaviour under
// row-lock contention.
func (r *runner) pgEvents(ctx context.Context, sz pgSizes) ([]Result, error) {
	before := r.pgDeadlocks(ctx, false)
	dsn, drop, err := r.pgSchema(ctx, "events")
	if err != nil {
		return nil, err
	}
	defer drop()
	nd, err := r.pgNode(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer nd.close()
	cl := newClient(nd.URL(), nd.secret, sz.batchCl)
	defer cl.close()

	const bname = "postgres batch ingest"
	nLeads, size := sz.batchLeads, sz.batchSize
	r.progress("%s: up to %s leads in batches of %s to POST /api/v1/leads/batch, %d concurrent clients, 1 node…", bname, fmtInt(float64(nLeads)), fmtInt(float64(size)), sz.batchCl)
	bufs := make([][]byte, sz.batchCl)
	st, err := runLoad(ctx, (nLeads+size-1)/size, sz.batchCl, sz.budget, func(ctx context.Context, w, b int) (time.Duration, error) {
		lo, hi := b*size, min((b+1)*size, nLeads)
		bufs[w] = appendLeadBatch(bufs[w][:0], r.corpus, "b", lo, hi)
		var got batchCounts
		d, err := timed(func() error { return cl.post(ctx, "/api/v1/leads/batch", bufs[w], http.StatusOK, &got) })
		if err == nil && (got.Created != hi-lo || got.Updated != 0 || got.Rejected != 0) {
			err = fmt.Errorf("batch %d: created %d, updated %d, rejected %d of %d new leads", b+1, got.Created, got.Updated, got.Rejected, hi-lo)
		}
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bname, err)
	}
	planned := nLeads
	nLeads = min(st.n*size, nLeads)
	if err := nd.expectLeads(ctx, bname, nLeads); err != nil {
		return nil, err
	}
	batch := Result{Name: fmt.Sprintf("PostgreSQL: batch lead ingest over HTTP (%s/request, %d clients)", fmtInt(float64(size)), sz.batchCl),
		Value: st.rate(nLeads), Unit: "leads/s", P50: st.pct(0.50), P99: st.pct(0.99), Target: "≥ 30,000 leads/s"}
	judge(&batch, criterion{"", batch.Value, TargetBatchLeadRate, true})
	r.progress("  %s leads/s, p50 %s, p99 %s per batch; %d leads stored", fmtInt(batch.Value), fmtDur(batch.P50), fmtDur(batch.P99), nLeads)
	batch.Note = fmt.Sprintf("%s leads in %d requests on 1 node, every row created and the lead count verified; p50/p99 are per batch request.%s Ceiling: the same rows as 1,000-INSERT pgx.Batch transactions from %d connections. %s",
		fmtInt(float64(nLeads)), st.n, pgBudgetNote(nLeads, planned, sz.budget, "leads"), sz.batchCl, pgMachine())

	// Batched events. Client w sends events on the leads of partition w only: requests in flight
	// at the same time never share a lead (see the shared-lead phase below for why).
	const ename = "postgres batched event ingest"
	nEvents, esize := sz.events, sz.batchSize
	ebatches := (nEvents + esize - 1) / esize
	parts := sz.batchCl
	r.progress("%s: up to %s events in arrays of %s to POST /api/v1/events on the %s leads, %d concurrent clients each on its own quarter of the leads, 1 node…", ename, fmtInt(float64(nEvents)), fmtInt(float64(esize)), fmtInt(float64(nLeads)), sz.batchCl)
	part := make([]int, ebatches) // the partition (client) of each request
	st, err = runLoad(ctx, ebatches, sz.batchCl, sz.budget, func(ctx context.Context, w, b int) (time.Duration, error) {
		lo, hi := b*esize, min((b+1)*esize, nEvents)
		part[b] = w
		buf := append(bufs[w][:0], '[')
		for k := lo; k < hi; k++ {
			if k > lo {
				buf = append(buf, ',')
			}
			buf = r.corpus.eventIn("e", k, "b", nLeads, w, parts).appendBody(buf)
		}
		bufs[w] = append(buf, ']')
		var got eventCounts
		d, err := timed(func() error { return cl.post(ctx, "/api/v1/events", bufs[w], http.StatusAccepted, &got) })
		if err == nil && (got.Accepted != hi-lo || got.Duplicates != 0 || got.Rejected != 0) {
			err = fmt.Errorf("event batch %d: accepted %d, duplicates %d, rejected %d of %d new events", b+1, got.Accepted, got.Duplicates, got.Rejected, hi-lo)
		}
		return d, err
	})
	if err != nil {
		return []Result{batch}, fmt.Errorf("%s: %w", ename, err)
	}
	planned = nEvents
	nEvents = min(st.n*esize, nEvents)
	if err := expectPGRows(ctx, dsn, ename, "events", nEvents); err != nil {
		return []Result{batch}, err
	}
	if err := nd.expectLeads(ctx, ename+" (no lead may be created)", nLeads); err != nil {
		return []Result{batch}, err
	}
	events := Result{Name: fmt.Sprintf("PostgreSQL: batched event ingest over HTTP (%s/request, %d clients)", fmtInt(float64(esize)), sz.batchCl),
		Value: st.rate(nEvents), Unit: "events/s", P50: st.pct(0.50), P99: st.pct(0.99), Target: "≥ 30,000 events/s"}
	judge(&events, criterion{"", events.Value, TargetBatchEventRate, true})
	r.progress("  %s events/s, p50 %s, p99 %s per request; %d events stored", fmtInt(events.Value), fmtDur(events.P50), fmtDur(events.P99), nEvents)
	if err := nd.close(); err != nil {
		return []Result{batch, events}, fmt.Errorf("%s: close: %w", ename, err)
	}
	mid := r.pgDeadlocks(ctx, true)

	shared, err := r.pgSharedEvents(ctx, sz, dsn, nLeads, nEvents)
	if err != nil {
		return []Result{batch, events}, err
	}
	drop()

	r.progress("  measuring the raw PostgreSQL ceilings for the same leads and events…")
	raw, err := openPGRaw(ctx, sz.rawDSN, sz.batchCl)
	if err != nil {
		return []Result{batch, events, shared}, err
	}
	defer raw.close()
	now := time.Now().UnixMilli()
	leadRows := buildRows(nLeads, func(i int) []any { return leadArgs(r.corpus.lead("b", i), now) })
	if batch.Ceiling, err = raw.batches(ctx, rawInsertLead, leadRows, 1000, sz.batchCl); err != nil {
		return []Result{batch, events, shared}, fmt.Errorf("%s raw ceiling: %w", bname, err)
	}
	leadRows = nil
	evRows := buildRows(nEvents, func(k int) []any {
		return eventArgs(r.corpus.eventIn("e", k, "b", nLeads, part[k/esize], parts), now)
	})
	if events.Ceiling, err = raw.batches(ctx, rawInsertEvent, evRows, 1000, sz.batchCl); err != nil {
		return []Result{batch, events, shared}, fmt.Errorf("%s raw ceiling: %w", ename, err)
	}
	shared.Ceiling = events.Ceiling
	if err := raw.truncate(ctx, "events"); err != nil {
		return []Result{batch, events, shared}, err
	}
	copyRate, err := raw.copies(ctx, rawInsertEvent, evRows, 1000, sz.batchCl)
	if err != nil {
		return []Result{batch, events, shared}, fmt.Errorf("%s raw ceiling (COPY): %w", ename, err)
	}
	events.Note = fmt.Sprintf("%s events referencing leads by email on 1 node, every event accepted and the event count verified.%s Each request carries events on leads picked at random among its client's quarter of the %s leads (each touched lead is loaded, rescored and written back with a score-history row), so requests in flight at the same time never share a lead; the SQLite scenario picks among all leads, a shape the next row measures on PostgreSQL. Each request is one transaction: one INSERT per event, then one UPDATE per touched lead.%s Ceiling: the same event rows as 1,000-INSERT pgx.Batch transactions from %d connections (COPY of 1,000 rows: %s rows/s). %s",
		fmtInt(float64(nEvents)), pgBudgetNote(nEvents, planned, sz.budget, "events"), fmtInt(float64(nLeads)), deadlockNote(before, mid), sz.batchCl, fmtInt(copyRate), pgMachine())
	r.progress("  raw ceilings (pgx.Batch): leads %s rows/s, events %s rows/s; events by COPY %s rows/s", fmtInt(batch.Ceiling), fmtInt(events.Ceiling), fmtInt(copyRate))
	return []Result{batch, events, shared}, nil
}

// pgSharedEvents sends event requests exactly as the SQLite scenario does — each event on a lead
// picked at random among all leads, so concurrent requests share leads — on a new node on the
// schema of dsn that holds nLeads leads and stored events. Requests the API refuses (a 5xx) are
// counted, not fatal: they are what this phase shows. It still fails on a lost write: the stored
// events must be exactly those of the accepted requests.
func (r *runner) pgSharedEvents(ctx context.Context, sz pgSizes, dsn string, nLeads, stored int) (Result, error) {
	const name = "postgres batched event ingest, shared leads"
	n, size, conc := sz.sharedEvents, sz.sharedSize, sz.batchCl
	reqs := (n + size - 1) / size
	r.progress("%s: up to %s events in arrays of %s on leads picked among all %s, %d concurrent clients (as the SQLite scenario), 1 node…", name, fmtInt(float64(n)), fmtInt(float64(size)), fmtInt(float64(nLeads)), conc)
	before := r.pgDeadlocks(ctx, false)
	nd, err := r.pgNode(ctx, dsn)
	if err != nil {
		return Result{}, err
	}
	defer nd.close()
	cl := newClient(nd.URL(), nd.secret, conc)
	defer cl.close()
	bufs := make([][]byte, conc)
	var accepted, refused atomic.Int64
	var firstRefusal atomic.Value
	st, err := runLoad(ctx, reqs, conc, sz.sharedBudget, func(ctx context.Context, w, b int) (time.Duration, error) {
		lo, hi := b*size, min((b+1)*size, n)
		bufs[w] = appendEventBatch(bufs[w][:0], r.corpus, "es", lo, hi, "b", nLeads)
		var got eventCounts
		var code int
		d, err := timed(func() error {
			var err error
			code, err = cl.postStatus(ctx, "/api/v1/events", bufs[w], &got)
			return err
		})
		switch {
		case err != nil:
		case code == http.StatusAccepted:
			if got.Accepted != hi-lo || got.Duplicates != 0 || got.Rejected != 0 {
				err = fmt.Errorf("event batch %d: accepted %d, duplicates %d, rejected %d of %d new events", b+1, got.Accepted, got.Duplicates, got.Rejected, hi-lo)
			}
			accepted.Add(int64(got.Accepted))
		case code >= 500:
			refused.Add(1)
			firstRefusal.CompareAndSwap(nil, code)
		default:
			err = fmt.Errorf("event batch %d: status %d, want 202", b+1, code)
		}
		return d, err
	})
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", name, err)
	}
	ok := int(accepted.Load())
	if err := expectPGRows(ctx, dsn, name+" (the accepted events only)", "events", stored+ok); err != nil {
		return Result{}, err
	}
	if err := nd.expectLeads(ctx, name+" (no lead may be created)", nLeads); err != nil {
		return Result{}, err
	}
	if err := nd.close(); err != nil {
		return Result{}, fmt.Errorf("%s: close: %w", name, err)
	}
	res := Result{Name: fmt.Sprintf("PostgreSQL: batched event ingest, leads shared by concurrent requests (%s/request, %d clients)", fmtInt(float64(size)), conc),
		Value: st.rate(ok), Unit: "events/s", P50: st.pct(0.50), P99: st.pct(0.99), Target: "≥ 30,000 events/s"}
	judge(&res, criterion{"", res.Value, TargetBatchEventRate, true})
	k := int(refused.Load())
	if k > 0 {
		res.Pass = false
		res.Verdict = fmt.Sprintf("REFUSED %d of %d requests (status %v)", k, st.n, firstRefusal.Load())
	}
	res.Note = fmt.Sprintf("The SQLite scenario's request shape: each event on a lead picked at random among all %s leads, so requests in flight at the same time share leads; %d requests sent, %d accepted (%s events, all stored: the event count verified) and %d answered with a server error. The rate counts accepted events only; p50/p99 are over every request.%s%s Each request updates its leads in the order they first appear in it, so two requests sharing two leads can lock them in opposite orders: PostgreSQL breaks such a deadlock only after deadlock_timeout by aborting one transaction, the store runs the whole request again (at most 8 attempts), and a request that keeps meeting deadlocks is answered 500. A refused request stored nothing (its transaction rolled back), so nothing was lost, but a client must resend it. %s",
		fmtInt(float64(nLeads)), st.n, st.n-k, fmtInt(float64(ok)), k, pgBudgetNote(min(st.n*size, n), n, sz.sharedBudget, "events"), deadlockNote(before, r.pgDeadlocks(ctx, true)), pgMachine())
	r.progress("  %s events/s accepted, p50 %s, p99 %s per request; %d of %d requests refused", fmtInt(res.Value), fmtDur(res.P50), fmtDur(res.P99), k, st.n)
	return res, nil
}

// claimRun is the outcome of sustained claims on some nodes.
type claimRun struct {
	nodes, leader   int
	st              loadStats
	waves, pooled   int
	rates           []float64
	pooledIn, recIn time.Duration
	planned         int
	deadlocksBefore int64
	deadlocks       string // deadlockNote of the run
}

// pgClaims is sustained claims over HTTP on one node and on several, beside the raw conditional
// UPDATE ceiling.
func (r *runner) pgClaims(ctx context.Context, sz pgSizes) ([]Result, error) {
	var runs []claimRun
	for _, k := range []int{1, sz.nodes} {
		run, err := r.pgClaimRun(ctx, sz, k)
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	n := max(runs[0].st.n, runs[1].st.n)
	r.progress("  measuring the raw PostgreSQL claim ceiling (%s conditional UPDATEs, 1 per transaction, %d connections)…", fmtInt(float64(n)), sz.claimCl)
	raw, err := pgRawClaims(ctx, sz.rawDSN, n, sz.claimCl)
	if err != nil {
		return nil, fmt.Errorf("postgres raw claim ceiling: %w", err)
	}
	ceiling := raw.rate(raw.n)
	r.progress("  raw ceiling %s claims/s, p99 %s", fmtInt(ceiling), fmtDur(raw.pct(0.99)))
	var out []Result
	for _, run := range runs {
		st := run.st
		res := Result{Name: fmt.Sprintf("PostgreSQL: sustained claims over HTTP, %s (%d clients, %d reps)", nodesLabel(run.nodes), sz.claimCl, sz.claimReps),
			Value: st.rate(st.n), Unit: "claims/s", P50: st.pct(0.50), P99: st.pct(0.99), Ceiling: ceiling, Target: "≥ 2,000 claims/s"}
		judge(&res, criterion{"", res.Value, TargetClaimRate, true})
		res.Note = fmt.Sprintf("%s leads claimed once each over HTTP by %d clients, closed loop, no contention, claim k by rep k mod %d, %s; every answer 200, and the store verified to hold one won claim and one assignment per lead and no lead left open.%s As the SQLite scenario: leads created through the service on node 0 in %s of up to %s, released to the open pool of one team of %d reps and offered to all of them by the offer board of node %d (the lease holder; pool changes reach it by NOTIFY) — %s leads/s, and the bench waited %s in all for the offers to be recorded — each wave claimed before the next; rate and percentiles over the claim phases only (%s). Claims/s by wave: %s.%s Ceiling: the store's conditional claim UPDATE … RETURNING alone, one per transaction from %d connections, on the pool table of a migrated schema holding %s open rows (p99 %s). %s",
			fmtInt(float64(st.n)), sz.claimCl, sz.claimReps, spreadOver(run.nodes, "claim"), pgBudgetNote(st.n, run.planned, sz.budget, "claims"), plural(run.waves, "wave"), fmtInt(float64(sz.claimWave)), sz.claimReps,
			run.leader, fmtInt(rate(run.pooled, run.pooledIn)), fmtDur(run.recIn), fmtDur(st.wall), fmtRates(run.rates), run.deadlocks, sz.claimCl, fmtInt(float64(raw.n)), fmtDur(raw.pct(0.99)), pgMachine())
		if run.nodes > 1 {
			one := out[0]
			res.Note += fmt.Sprintf(" Change from 1 to %d nodes: %.2f× the throughput (%s → %s claims/s), p99 %s → %s.", run.nodes, res.Value/one.Value, fmtInt(one.Value), fmtInt(res.Value), fmtDur(one.P99), fmtDur(res.P99))
		}
		out = append(out, res)
	}
	return out, nil
}

// pgClaimRun is sustained claims on k nodes sharing a fresh schema (see sustainedClaims).
func (r *runner) pgClaimRun(ctx context.Context, sz pgSizes, k int) (claimRun, error) {
	name := "postgres sustained claims on " + nodesLabel(k)
	n, nReps, conc, wave := sz.claimLeads, sz.claimReps, sz.claimCl, sz.claimWave
	r.progress("%s: up to %s leads claimed once each by %d clients as %d reps, pooled in waves of %s, claims spread round-robin over the nodes…", name, fmtInt(float64(n)), conc, nReps, fmtInt(float64(wave)))
	dsn, drop, err := r.pgSchema(ctx, "claims"+strconv.Itoa(k))
	if err != nil {
		return claimRun{}, err
	}
	defer drop()
	pn, err := r.pgPoolNode(ctx, dsn, nReps)
	if err != nil {
		return claimRun{}, fmt.Errorf("%s: %w", name, err)
	}
	nodes := []*node{pn.node}
	defer func() { closeNodes(nodes) }()
	if nodes, err = r.addNodes(ctx, dsn, nodes, k-1); err != nil {
		return claimRun{}, fmt.Errorf("%s: %w", name, err)
	}
	run := claimRun{nodes: k, planned: n, deadlocksBefore: r.pgDeadlocks(ctx, false)}
	if run.leader, err = waitLeader(ctx, nodes); err != nil {
		return claimRun{}, fmt.Errorf("%s: %w", name, err)
	}
	hc, tr := claimTransport(conc)
	defer tr.CloseIdleConnections()
	urls := make([]string, k)
	for i, nd := range nodes {
		urls[i] = nd.URL() + "/api/v1/pool/"
	}
	var (
		lat     []time.Duration
		claimed []int64
		wall    time.Duration
	)
	for run.pooled < n && wall < sz.budget {
		ids, took, err := pn.poolLeads(ctx, r.corpus, run.pooled, min(run.pooled+wave, n))
		if err != nil {
			return claimRun{}, fmt.Errorf("%s: %w", name, err)
		}
		run.pooled += len(ids)
		run.pooledIn += took
		rec, err := waitPGRows(ctx, dsn, "offers", int64(run.pooled)*int64(nReps), 2*time.Minute)
		if err != nil {
			return claimRun{}, fmt.Errorf("%s: %w", name, err)
		}
		run.recIn += rec
		st, err := runLoad(ctx, len(ids), conc, sz.budget-wall, func(ctx context.Context, _, i int) (time.Duration, error) {
			c := len(claimed) + i // the claim's number in the whole run
			rep := c % nReps
			var code int
			var detail string
			d, err := timed(func() error {
				var err error
				code, detail, err = claimOnce(ctx, hc, urls[c%k]+strconv.FormatInt(ids[i], 10)+"/claim", pn.auths[rep])
				return err
			})
			if err == nil && code != http.StatusOK {
				err = fmt.Errorf("claim of lead %d by rep %d on node %d: status %d, want 200: %s", ids[i], pn.reps[rep], c%k, code, detail)
			}
			return d, err
		})
		if err != nil {
			return claimRun{}, fmt.Errorf("%s: %w", name, err)
		}
		run.waves++
		lat = append(lat, st.lat...)
		claimed = append(claimed, ids[:st.n]...)
		wall += st.wall
		run.rates = append(run.rates, st.rate(st.n))
		r.progress("  wave %d: %s leads pooled in %s, offers recorded %s later; %s claims/s, p99 %s", run.waves, fmtInt(float64(len(ids))), fmtDur(took), fmtDur(rec), fmtInt(st.rate(st.n)), fmtDur(st.pct(0.99)))
		if st.n < len(ids) {
			break // the budget ran out
		}
	}
	if err := pn.expectClaimed(ctx, claimed, run.pooled); err != nil {
		return claimRun{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := closeNodes(nodes); err != nil {
		return claimRun{}, fmt.Errorf("%s: close: %w", name, err)
	}
	run.deadlocks = deadlockNote(run.deadlocksBefore, r.pgDeadlocks(ctx, true))
	slices.Sort(lat)
	run.st = loadStats{n: len(lat), wall: wall, lat: lat}
	r.progress("  %s claims/s over %s, p50 %s, p99 %s; every lead claimed once", fmtInt(run.st.rate(run.st.n)), plural(run.waves, "wave"), fmtDur(run.st.pct(0.50)), fmtDur(run.st.pct(0.99)))
	return run, nil
}

// offerPayload describes the size of the bus message that carries an offer to the other nodes:
// the event's data and its audience, which lists every rep offered the lead.
func offerPayload(data []byte, reps []int64) string {
	if len(data) == 0 {
		return ""
	}
	msg, err := json.Marshal(struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
		To   notify.Audience `json:"to"`
	}{service.EventOffer, data, notify.ToReps(reps...)})
	if err != nil {
		return ""
	}
	ids, _ := json.Marshal(reps)
	return fmt.Sprintf(" Each offer crossed the nodes as about %s bytes of NOTIFY (the event's %s bytes of data and the list of the %s reps offered, %s bytes with ids up to %d); an offer whose message would pass the store's limit of %s bytes goes as several messages, each naming part of the reps.",
		fmtInt(float64(len(msg))), fmtInt(float64(len(data))), fmtInt(float64(len(reps))), fmtInt(float64(len(ids))), slices.Max(reps), fmtInt(postgres.MaxPayload))
}

// pgFanout is the offer fan-out to reps' live streams spread over several nodes: the lead is
// created through node 0 and its offer reaches the other nodes' streams through the database
// (NOTIFY to the lease holder's offer board, whose offer event every node LISTENs for).
func (r *runner) pgFanout(ctx context.Context, sz pgSizes) ([]Result, error) {
	clients, rounds, k := sz.fanoutClients, sz.fanoutRounds, sz.nodes
	name := "postgres offer fan-out"
	r.progress("%s: %s reps in one open-pool team, each with its own SSE stream, spread over %d nodes; %d leads created one at a time through node 0, each offered to all of them…", name, fmtInt(float64(clients)), k, rounds)
	dsn, drop, err := r.pgSchema(ctx, "fanout")
	if err != nil {
		return nil, err
	}
	defer drop()
	pn, err := r.pgPoolNode(ctx, dsn, clients)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	nodes := []*node{pn.node}
	defer func() { closeNodes(nodes) }()
	if nodes, err = r.addNodes(ctx, dsn, nodes, k-1); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	leader, err := waitLeader(ctx, nodes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	urls := make([]string, k)
	for i, nd := range nodes {
		urls[i] = nd.URL()
	}
	probe, connected, err := connectStreams(ctx, urls, pn.auths, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer probe.close()
	r.progress("  %s streams connected in %s (%d per node)", fmtInt(float64(clients)), fmtDur(connected), clients/k)
	ingest := newClient(nodes[0].URL(), nodes[0].secret, 1)
	defer ingest.close()
	viewer := notify.Viewer{RepID: pn.reps[0], Role: notify.RoleRep, TeamID: pn.team}
	var (
		lat, spreads, creates []time.Duration
		perNode               = make([][]time.Duration, k)
		published             = make([][]time.Duration, k) // send → the offer's publish on node i's hub
	)
	for round := range rounds {
		lasts := make([]uint64, k)
		for i, nd := range nodes {
			lasts[i] = nd.Service.Hub().LastID()
		}
		var created time.Duration
		res, err := probe.round(ctx, 30*time.Second, func() (int64, error) {
			t0 := time.Now()
			id, err := pn.createPoolLead(ctx, ingest, r.corpus.lead("pf", round).body())
			created = time.Since(t0)
			return id, err
		})
		if err != nil {
			return nil, fmt.Errorf("%s round %d: %w", name, round+1, err)
		}
		for i, nd := range nodes {
			for _, e := range nd.Service.Hub().Since(viewer, lasts[i]).Events {
				if e.Type == service.EventOffer {
					published[i] = append(published[i], e.Time.Sub(res.sent))
					break
				}
			}
		}
		time.Sleep(fanoutGap) // this round's deliveries are in; duplicates would arrive now
		if x := probe.extras(); x != 0 {
			return nil, fmt.Errorf("%s round %d: %d offers beyond one per stream (duplicates or strays)", name, round+1, x)
		}
		lat = append(lat, res.lat...)
		for i, d := range probe.byNode(res.lat, k) {
			perNode[i] = append(perNode[i], d...)
		}
		spreads = append(spreads, res.spread)
		creates = append(creates, created)
	}
	if open := probe.streams(); open != clients {
		return nil, fmt.Errorf("%s: %d of %d streams still open", name, open, clients)
	}
	for i, nd := range nodes {
		if hs := nd.Service.Hub().Stats(); hs.Dropped != 0 {
			return nil, fmt.Errorf("%s: node %d's hub dropped %d slow subscribers", name, i, hs.Dropped)
		}
	}
	payload := offerPayload(probe.offerData(), pn.reps)
	probe.close()
	slices.Sort(lat)
	slices.Sort(spreads)
	st := loadStats{n: len(lat), lat: lat}
	maxLat := lat[len(lat)-1]
	worst := spreads[len(spreads)-1]
	byNode := make([]string, k)
	pubs := make([]string, k)
	for i := range k {
		slices.Sort(perNode[i])
		role := ""
		if i == 0 {
			role = ", the create's"
		}
		if i == leader {
			role += ", lease holder"
		}
		byNode[i] = fmt.Sprintf("node %d%s: p50 %s, p99 %s", i, role, fmtDur(loadStats{lat: perNode[i]}.pct(0.50)), fmtDur(loadStats{lat: perNode[i]}.pct(0.99)))
		pubs[i] = fmt.Sprintf("node %d %s", i, fmtDur(median(published[i])))
	}
	latRes := Result{Name: fmt.Sprintf("PostgreSQL: pool offer fan-out to %s SSE clients on %d nodes (delivery latency)", fmtInt(float64(clients)), k),
		Value: float64(len(lat)), Unit: "deliveries", Detail: fmt.Sprintf("%d rounds, max %s", rounds, fmtDur(maxLat)),
		P50: st.pct(0.50), P99: st.pct(0.99), Target: "p99 < 50 ms"}
	judge(&latRes, criterion{"p99", float64(latRes.P99), float64(TargetFanoutP99), false})
	latRes.Note = fmt.Sprintf("%d rounds: each creates one lead with POST /api/v1/leads on node 0; it enters the open pool of the team of %s reps; the commit sends the pool change by NOTIFY to the offer board of the lease holder (node %d), which reads the team and sends one pool.offer event by NOTIFY; every node's LISTEN connection receives it and its hub publishes it to its own streams. The %s reps' streams (GET /api/v1/stream, each with the rep's token) are spread round-robin over the %d nodes, connected in %s. Latency is per client and round, from the moment the create request was SENT until the client had parsed the offer; it includes the whole create request (%s at the median round) and both NOTIFY hops. By node: %s. The offer was published on the hubs at the median round this long after the send (hub stamp minus send, wall clock): %s. Every stream received each lead's offer exactly once, none was dropped; rounds %s apart.%s %s",
		rounds, fmtInt(float64(clients)), leader, fmtInt(float64(clients)), k, fmtDur(connected), fmtDur(median(creates)), strings.Join(byNode, "; "), strings.Join(pubs, ", "), fmtDur(fanoutGap), payload, pgMachine())
	spread := Result{Name: fmt.Sprintf("PostgreSQL: pool offer fan-out to %s SSE clients on %d nodes (first-to-last spread)", fmtInt(float64(clients)), k),
		Value: float64(rounds), Unit: "rounds", Detail: "worst " + fmtDur(worst), P50: median(spreads), P99: worst, Target: "spread < 25 ms"}
	judge(&spread, criterion{"worst round", float64(worst), float64(TargetFanoutSpread), false})
	spread.Note = fmt.Sprintf("Per round, the time from the first to the last of the %s clients, on all %d nodes, parsing the same offer; p50 is the median round, p99 the worst of the %d rounds (the verdict uses the worst). It includes the difference between the nodes' LISTEN connections receiving the NOTIFY, then each hub's pass over its subscribers and the stream writers and readers on the same cores.",
		fmtInt(float64(clients)), k, rounds)
	for _, res := range []*Result{&latRes, &spread} {
		if clients != TargetFanoutClients {
			res.Note += fmt.Sprintf(" QUICK: %s clients instead of %s.", fmtInt(float64(clients)), fmtInt(TargetFanoutClients))
		}
	}
	r.progress("  delivery p50 %s, p99 %s, max %s; spread p50 %s, worst %s; %s", fmtDur(latRes.P50), fmtDur(latRes.P99), fmtDur(maxLat), fmtDur(spread.P50), fmtDur(worst), strings.Join(byNode, "; "))
	if err := closeNodes(nodes); err != nil {
		return []Result{latRes, spread}, fmt.Errorf("%s: close: %w", name, err)
	}
	return []Result{latRes, spread}, nil
}

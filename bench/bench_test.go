package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// TestQuickRun runs the whole bench at small sizes: every scenario must run, verify its row
// counts (Run fails on a lost or refused write) and appear in the table.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every benchmark scenario (about 20 s)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The PostgreSQL scenario runs when a server is named, as the store's own tests do.
	pg := os.Getenv("LEADFLOW_TEST_POSTGRES")
	if pg == "" {
		t.Log("PostgreSQL scenario skipped: set LEADFLOW_TEST_POSTGRES=postgres://user:pass@host/db to run it")
	}
	var buf bytes.Buffer
	if err := Run(ctx, Options{Quick: true, RescoreLeads: 5000, Dir: t.TempDir(), Postgres: pg}, &buf); err != nil {
		t.Fatalf("Run: %v\n%s", err, buf.String())
	}
	out := buf.String()
	t.Log("\n" + out)
	sz := sizesFor(Options{Quick: true})
	header := "| scenario | measured | p50 | p99 | raw SQLite ceiling | ratio | target | verdict |"
	if pg != "" {
		header = "| scenario | measured | p50 | p99 | raw ceiling | ratio | target | verdict |"
	}
	for _, row := range []string{
		fmt.Sprintf("| Single-lead HTTP ingest (%d clients) |", sz.singleConc),
		"| Raw SQLite, 1 row per transaction (the single-lead rows) |",
		"| Batch lead ingest over HTTP (1,000/request, 4 clients) |",
		"| Batched event ingest over HTTP (1,000/request, 4 clients) |",
		fmt.Sprintf("| Single-event HTTP ingest (%d clients) |", sz.singleEventCl),
		"| Rescoring 5,000 leads after a model change |",
		"| Bulk load through the store (10,000 leads/txn, +1 event per 4 leads) |",
		fmt.Sprintf("| Claim race over HTTP (%d reps on one lead) |", sz.raceReps),
		fmt.Sprintf("| Sustained claims over HTTP (%d clients, %d reps) |", sz.claimCl, sz.claimReps),
		fmt.Sprintf("| Pool offer fan-out to %d SSE clients (delivery latency) |", sz.fanoutReps),
		fmt.Sprintf("| Pool offer fan-out to %d SSE clients (first-to-last spread) |", sz.fanoutReps),
		"| Peak RSS (whole process) |",
		header,
		"- machine: ",
		"- command: `",
	} {
		if !strings.Contains(out, row) {
			t.Errorf("report lacks %q", row)
		}
	}
	if strings.Contains(out, "FAILED") {
		t.Errorf("report says FAILED")
	}
	// Every measured row has a ceiling (all but the reference rows and RSS).
	pgCeiled := 0
	for line := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(line, "| Single-lead") || strings.HasPrefix(line, "| Batch") || strings.HasPrefix(line, "| Rescoring") {
			if strings.Count(line, " rows/s |") != 1 || !strings.Contains(line, "×") {
				t.Errorf("row without a raw ceiling and ratio: %s", line)
			}
		}
		for _, p := range []string{"| PostgreSQL: single-lead", "| PostgreSQL: batch", "| PostgreSQL: sustained claims"} {
			if strings.HasPrefix(line, p) {
				pgCeiled++
				if strings.Count(line, " rows/s |") != 1 || !strings.Contains(line, "×") {
					t.Errorf("PostgreSQL row without a raw ceiling and ratio: %s", line)
				}
			}
		}
	}
	if pg == "" {
		if strings.Contains(out, "PostgreSQL") {
			t.Errorf("report has PostgreSQL rows without a PostgreSQL server")
		}
		return
	}
	if pgCeiled != 7 {
		t.Errorf("%d PostgreSQL rows with a ceiling, want 7 (single-lead ×2, batch leads, batched events ×2, claims ×2)", pgCeiled)
	}
	pz := pgSizesFor(Options{Quick: true})
	for _, row := range []string{
		fmt.Sprintf("| PostgreSQL: single-lead HTTP ingest, 1 node (%d clients) |", pz.singleConc),
		fmt.Sprintf("| PostgreSQL: single-lead HTTP ingest, %d nodes (%d clients) |", pz.nodes, pz.singleConc),
		fmt.Sprintf("| Raw PostgreSQL, 1 row per transaction (the single-lead rows, %d connections) |", pz.singleConc),
		fmt.Sprintf("| Raw PostgreSQL, 1,000-row pgx.Batch per transaction (the single-lead rows, %d connections) |", pz.batchCl),
		fmt.Sprintf("| PostgreSQL: batch lead ingest over HTTP (1,000/request, %d clients) |", pz.batchCl),
		fmt.Sprintf("| PostgreSQL: batched event ingest over HTTP (1,000/request, %d clients) |", pz.batchCl),
		fmt.Sprintf("| PostgreSQL: batched event ingest, leads shared by concurrent requests (%d/request, %d clients) |", pz.sharedSize, pz.batchCl),
		fmt.Sprintf("| PostgreSQL: sustained claims over HTTP, 1 node (%d clients, %d reps) |", pz.claimCl, pz.claimReps),
		fmt.Sprintf("| PostgreSQL: sustained claims over HTTP, %d nodes (%d clients, %d reps) |", pz.nodes, pz.claimCl, pz.claimReps),
		fmt.Sprintf("| PostgreSQL: pool offer fan-out to %d SSE clients on %d nodes (delivery latency) |", pz.fanoutClients, pz.nodes),
		fmt.Sprintf("| PostgreSQL: pool offer fan-out to %d SSE clients on %d nodes (first-to-last spread) |", pz.fanoutClients, pz.nodes),
		"- PostgreSQL rows: PostgreSQL ",
	} {
		if !strings.Contains(out, row) {
			t.Errorf("report lacks %q", row)
		}
	}
	if strings.Contains(out, pg) && strings.Contains(pg, "@") {
		t.Errorf("report shows the database URL with its credentials")
	}
}

// TestStoreSchema checks that the raw ceiling gets the store's leads and events tables.
func TestStoreSchema(t *testing.T) {
	schema, err := storeSchema(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CREATE TABLE leads", "CREATE TABLE events", "email_norm", "CREATE INDEX events_lead"} {
		if !strings.Contains(schema, want) {
			t.Errorf("schema lacks %q:\n%s", want, schema)
		}
	}
	if strings.Contains(schema, "lead_history") {
		t.Errorf("schema has more than the leads and events tables:\n%s", schema)
	}
}

func TestCorpusBodiesAreUnique(t *testing.T) {
	c := newCorpus()
	seen := map[string]bool{}
	for i := range 5000 {
		g := c.lead("t", i)
		if seen[g.email] || seen[g.ext] {
			t.Fatalf("duplicate identity at %d: %s %s", i, g.email, g.ext)
		}
		seen[g.email], seen[g.ext] = true, true
	}
}

// BenchmarkSingleLeadHTTP is S-PERF-1 as a Go benchmark: b.N distinct leads, one per POST
// /api/v1/leads, from 32×GOMAXPROCS parallel clients against a node on a fresh database.
func BenchmarkSingleLeadHTTP(b *testing.B) {
	ctx := context.Background()
	c := newCorpus()
	m, secret, err := startNode(ctx, filepath.Join(b.TempDir(), "leadflow.db"), true)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	cl := newClient(m.URL(), secret, 256)
	defer cl.close()
	var next atomic.Int64
	var mu sync.Mutex
	var lats []time.Duration
	tag := fmt.Sprintf("g%d", time.Now().UnixNano()%1_000_000)
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		var body []byte
		for pb.Next() {
			i := int(next.Add(1))
			body = c.lead(tag, i).appendBody(body[:0])
			d, err := timed(func() error { return cl.post(ctx, "/api/v1/leads", body, http.StatusCreated, nil) })
			if err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, d)
		}
		mu.Lock()
		lats = append(lats, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if n, err := countLeads(ctx, m.Store); err != nil || n != int64(next.Load()) {
		b.Fatalf("stored %d leads, sent %d (%v)", n, next.Load(), err)
	}
	st := loadStats{lat: lats}
	slices.Sort(st.lat)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leads/s")
	b.ReportMetric(float64(st.pct(0.99))/1e6, "p99-ms")
}

// BenchmarkRawInsert is the raw SQLite ceiling as a Go benchmark: one row per iteration, the
// same lead rows as BenchmarkSingleLeadHTTP, in transactions of 1,000 rows and of 1 row.
func BenchmarkRawInsert(b *testing.B) {
	c := newCorpus()
	schema, err := storeSchema(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for _, perTx := range []int{1000, 1} {
		b.Run(fmt.Sprintf("rows-per-tx=%d", perTx), func(b *testing.B) {
			ctx := context.Background()
			db, err := openRaw(ctx, filepath.Join(b.TempDir(), "raw.db"), schema)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			now := time.Now().UnixMilli()
			st, err := db.PrepareContext(ctx, rawInsertLead)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			b.ResetTimer()
			i := 0
			for i < b.N {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				ts := tx.StmtContext(ctx, st)
				for end := min(i+perTx, b.N); i < end; i++ {
					if _, err := ts.ExecContext(ctx, leadArgs(c.lead("r", i), now)...); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkUpsertLeadRouting is the routing-overhead target as a Go benchmark: b.N new leads, each
// an MQL at creation, through Service.UpsertLead from 32×GOMAXPROCS goroutines (so the store
// group-commits as it does under HTTP load), without routing rules and with a weighted rule over
// 20 reps. Compare the two leads/s figures of one run: routing must cost < 20% more per lead.
func BenchmarkUpsertLeadRouting(b *testing.B) {
	c := newCorpus()
	for _, routed := range []bool{false, true} {
		name := "plain"
		if routed {
			name = "routed"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			m, _, err := startNode(ctx, filepath.Join(b.TempDir(), "leadflow.db"), false)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			if err := everyLeadAnMQL(ctx, m.Service); err != nil {
				b.Fatal(err)
			}
			if routed {
				if _, err := seedRoutingTeam(ctx, m.Service, routingTeamReps); err != nil {
					b.Fatal(err)
				}
			}
			admin := service.Actor{Name: "bench", Role: leadflow.RoleIntegration}
			var next atomic.Int64
			tag := fmt.Sprintf("u%d", time.Now().UnixNano()%1_000_000)
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					in := c.lead(tag, int(next.Add(1))).input()
					if _, _, err := m.Service.UpsertLead(ctx, admin, in, nil); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if n, err := countLeads(ctx, m.Store); err != nil || n != next.Load() {
				b.Fatalf("stored %d leads, sent %d (%v)", n, next.Load(), err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leads/s")
		})
	}
}

// BenchmarkRouteLeadCapped is a routed lead's cost under a rule whose 20 reps have weekly caps
// (S-DIST-9), on a fresh database and after 50,000 leads were routed this week: the reps' counts
// since the week began are kept by the store's writer, so the cost does not grow with the week's
// assignments (it did while each decision counted them).
func BenchmarkRouteLeadCapped(b *testing.B) {
	c := newCorpus()
	for _, before := range []int{0, 50_000} {
		b.Run(fmt.Sprintf("assigned=%d", before), func(b *testing.B) {
			ctx := context.Background()
			m, _, err := startNode(ctx, filepath.Join(b.TempDir(), "leadflow.db"), false)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			if err := everyLeadAnMQL(ctx, m.Service); err != nil {
				b.Fatal(err)
			}
			ids, err := seedRoutingTeam(ctx, m.Service, routingTeamReps)
			if err != nil {
				b.Fatal(err)
			}
			admin := service.Actor{Name: "bench", Role: leadflow.RoleAdmin}
			for _, id := range ids {
				if _, err := service.RepKind.Patch(ctx, m.Service, admin, id, func(r *leadflow.Rep) error { r.WeeklyCap = 1_000_000; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			upsert := func(from, n int) {
				in := make([]leadflow.LeadInput, n)
				for i := range in {
					in[i] = c.lead("capped", from+i).input()
				}
				if _, _, err := m.Service.UpsertLeads(ctx, admin, in, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
			for s := 0; s < before; s += service.MaxBatch {
				upsert(s, min(service.MaxBatch, before-s))
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				t0 := time.Now()
				upsert(before+i, 1)
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			if n, err := countLeads(ctx, m.Store); err != nil || n != int64(before+b.N) {
				b.Fatalf("stored %d leads, sent %d (%v)", n, before+b.N, err)
			}
			if assigned, err := countAssignments(ctx, m.Store); err != nil || assigned != int64(before+b.N) {
				b.Fatalf("%d assignments for %d leads (%v)", assigned, before+b.N, err)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(loadStats{lat: lat}.pct(0.50))/1e3, "p50-µs")
		})
	}
}

// BenchmarkRouteLead500 is the decision target as a Go benchmark: Service.RouteLead of one lead
// over a weighted team of 500 reps, each in its own write transaction, with the p99 reported.
func BenchmarkRouteLead500(b *testing.B) {
	ctx := context.Background()
	m, _, err := startNode(ctx, filepath.Join(b.TempDir(), "leadflow.db"), false)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if _, err := seedRoutingTeam(ctx, m.Service, decisionReps); err != nil {
		b.Fatal(err)
	}
	admin := service.Actor{Name: "bench", Role: leadflow.RoleAdmin}
	ids := make([]int64, 0, b.N)
	for s := 0; s < b.N; s += service.MaxBatch {
		in := make([]leadflow.LeadInput, min(service.MaxBatch, b.N-s))
		for i := range in {
			email := fmt.Sprintf("decide%d@bench.example", s+i)
			in[i].Email = &email // scores 0: stays unowned until routed below
		}
		res, _, err := m.Service.UpsertLeads(ctx, admin, in, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, row := range res.Rows {
			ids = append(ids, row.ID)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for _, id := range ids {
		t0 := time.Now()
		l, err := m.Service.RouteLead(ctx, admin, id)
		lat = append(lat, time.Since(t0))
		if err != nil || l.OwnerID == 0 {
			b.Fatalf("lead %d: owner %v, %v", id, l, err)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	st := loadStats{lat: lat}
	b.ReportMetric(float64(st.pct(0.50))/1e3, "p50-µs")
	b.ReportMetric(float64(st.pct(0.99))/1e3, "p99-µs")
	if os.Getenv("XPCT") != "" {
		b.Logf("p90 %v p95 %v p98 %v p99 %v p99.5 %v max %v", st.pct(0.9), st.pct(0.95), st.pct(0.98), st.pct(0.99), st.pct(0.995), lat[len(lat)-1])
	}
}

// Package bench is `leadflow bench` (S-PERF-1, S-PERF-2, S-PERF-3, S-PERF-6): one run measures
// single-lead and batched ingest over HTTP, batched and single event ingest, rescoring after a
// model change and the peak memory of the process, each beside the raw SQLite insert ceiling for
// the same rows measured in the same run, and prints a markdown table that can be pasted into
// BENCHMARKS.md.
//
// Every scenario runs the real node (app.Main: the same wiring as `leadflow serve`) on a fresh
// database file, and checks its own work: every answer must have the expected status and the
// stored row counts must match what was sent. A lost or rejected write is an error; a missed
// target is not (it is reported as MISSED in the table).
package bench

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/app"
	"github.com/leadflow/leadflow/service"
)

// Options configure a run.
type Options struct {
	// Quick runs small sizes (a smoke run of well under 30 s); its figures are not comparable
	// with the targets.
	Quick bool
	// RescoreLeads is the number of leads in the rescoring scenario (default 1,000,000). Quick
	// caps it at 20,000.
	RescoreLeads int
	// Dir holds the benchmark databases (default: a new temporary directory). Every scenario
	// removes its files when it ends.
	Dir string
	// Only runs the named scenarios (see Scenarios); empty runs them all.
	Only []string
	// Postgres, a postgres:// URL, adds the PostgreSQL scenario (see postgres.go): its rows are
	// reported beside the SQLite rows. Each phase runs in a fresh schema of that database, dropped
	// when the phase ends. Empty skips the scenario.
	Postgres string
}

// Scenarios names the scenarios of a run, in the order they run.
// "postgres" runs only when Options.Postgres is set.
var Scenarios = []string{"single", "batch", "rescore", "routing", "claims", "fanout", "postgres"}

// Result is one row of the report.
type Result struct {
	Name  string
	Value float64
	Unit  string
	// Detail is shown after the value (e.g. the total time of a run).
	Detail   string
	P50, P99 time.Duration
	// Ceiling is the raw rate (rows/s) of the same store for the same rows, measured in the same
	// run: raw SQLite for the SQLite rows, raw PostgreSQL (pgx) for the PostgreSQL rows; 0 when not
	// applicable.
	Ceiling float64
	Target  string
	Pass    bool
	// Verdict is "PASS", "MISSED by N% (…)" or "—" for a row without a target.
	Verdict string
	Note    string
}

// Ratio is Value / Ceiling, or 0 without a ceiling.
func (r Result) Ratio() float64 {
	if r.Ceiling <= 0 {
		return 0
	}
	return r.Value / r.Ceiling
}

// Targets (S-PERF-1, S-PERF-2, S-PERF-3, S-PERF-6).
const (
	TargetSingleLeadRate  = 5000.0
	TargetSingleLeadP99   = 20 * time.Millisecond
	TargetBatchLeadRate   = 30000.0
	TargetBatchEventRate  = 30000.0
	TargetSingleEventP99  = 5 * time.Millisecond
	TargetRescoreLeads    = 1_000_000
	TargetRescoreDuration = 60 * time.Second
	TargetPeakRSSMB       = 300.0
)

// sizes are the scenario sizes of a run.
type sizes struct {
	singleLeads, singleConc        int
	batchLeads, batchSize, batchCl int
	events, eventBatch, eventCl    int
	singleEvents, singleEventCl    int
	rescoreLeads                   int
	// routingLeads, routingRounds and decisions size the routing scenario.
	routingLeads, routingRounds, decisions int
	// raceReps race raceRounds times for one lead each; claimLeads pool leads, pooled in waves of
	// claimWave, are claimed once each by claimCl clients acting as claimReps reps; fanoutReps
	// streams receive fanoutRounds offers.
	raceReps, raceRounds                      int
	claimLeads, claimWave, claimReps, claimCl int
	fanoutReps, fanoutRounds                  int
	// budget caps the time of each HTTP load phase so that a full run stays under about four
	// minutes on two cores even when leadflow is far below its targets; a phase that hits it
	// reports the smaller count it reached.
	budget time.Duration
	// rawSample caps the rows of the rescoring scenario's raw ceilings, perTxSample the rows of
	// the one-row-per-transaction ceiling.
	rawSample, perTxSample int
}

func sizesFor(o Options) sizes {
	s := sizes{
		singleLeads: 50_000, singleConc: 32,
		batchLeads: 200_000, batchSize: 1000, batchCl: 4,
		events: 300_000, eventBatch: 1000, eventCl: 4,
		singleEvents: 10_000, singleEventCl: 8,
		rescoreLeads: o.RescoreLeads,
		routingLeads: 20_000, routingRounds: 7, decisions: 5_000,
		raceReps: TargetClaimRaceReps, raceRounds: 5,
		claimLeads: 20_000, claimWave: 2_000, claimReps: 200, claimCl: 32,
		fanoutReps: TargetFanoutClients, fanoutRounds: 20,
		budget:      20 * time.Second,
		rawSample:   150_000,
		perTxSample: 20_000,
	}
	if s.rescoreLeads <= 0 {
		s.rescoreLeads = TargetRescoreLeads
	}
	if o.Quick {
		s.singleLeads, s.batchLeads, s.events, s.singleEvents = 3000, 10_000, 10_000, 1000
		s.rescoreLeads = min(s.rescoreLeads, 20_000)
		s.routingLeads, s.routingRounds, s.decisions = 2_000, 1, 500
		s.raceReps, s.raceRounds = 200, 2
		s.claimLeads, s.claimWave, s.claimReps = 400, 200, 20
		s.fanoutReps, s.fanoutRounds = 200, 3
	}
	return s
}

// runner carries what the scenarios share.
type runner struct {
	o      Options
	sz     sizes
	w      io.Writer
	dir    string
	corpus *corpus
	schema string // the store's leads and events tables, for the raw ceilings

	// pgVersion describes the PostgreSQL server when the postgres scenario runs.
	pgVersion string
}

// Run runs every scenario and prints progress lines and then the report table to w. It returns
// an error only when leadflow lost or refused a write (or the run itself failed), never for a
// missed target.
func Run(ctx context.Context, o Options, w io.Writer) error {
	started := time.Now()
	r := &runner{o: o, sz: sizesFor(o), w: w}
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return err
		}
		r.dir = o.Dir
	} else {
		d, err := os.MkdirTemp("", "leadflow-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		r.dir = d
	}
	r.progress("preparing realistic lead and event templates (demo generator) and the store's table shape…")
	var err error
	if r.schema, err = storeSchema(ctx, r.dir); err != nil {
		return err
	}
	r.corpus = newCorpus()
	if len(r.corpus.leads) == 0 || len(r.corpus.events) == 0 {
		return errors.New("bench: the demo generator produced no usable templates")
	}
	var results []Result
	var runErr error
	scenarios := map[string]func(context.Context) ([]Result, error){"single": r.singleLead, "batch": r.batchAndEvents, "rescore": r.rescoring, "routing": r.routing,
		"claims": r.claims, "fanout": r.fanout, "postgres": r.postgres}
	for _, name := range o.Only {
		if scenarios[name] == nil {
			return fmt.Errorf("bench: unknown scenario %q (have %s)", name, strings.Join(Scenarios, ", "))
		}
		if name == "postgres" && o.Postgres == "" {
			return errors.New("bench: the postgres scenario needs a PostgreSQL database: pass --db postgres://user:pass@host/db")
		}
	}
	if r.pgActive() {
		if r.pgVersion, err = pgCheck(ctx, o.Postgres); err != nil {
			return err
		}
	}
	for _, name := range Scenarios {
		if len(o.Only) > 0 && !slices.Contains(o.Only, name) {
			continue
		}
		if name == "postgres" && o.Postgres == "" {
			continue
		}
		res, err := scenarios[name](ctx)
		// The scenarios are independent (each on its own database, closed when it ends): hand
		// back what the finished one freed, as a process of its own would, so that the peak RSS
		// measures the largest scenario and not one scenario's garbage under the next one's.
		debug.FreeOSMemory()
		results = append(results, res...)
		if err != nil {
			runErr = err
			break
		}
	}
	results = append(results, peakRSS())
	r.report(results, time.Since(started), runErr)
	return runErr
}

func (r *runner) progress(format string, args ...any) {
	fmt.Fprintf(r.w, format+"\n", args...)
}

// scenarioDir makes a fresh directory for one scenario's databases; the caller removes it.
func (r *runner) scenarioDir(name string) (string, error) {
	return os.MkdirTemp(r.dir, name+"-")
}

// startNode opens a leadflow node on a fresh database and creates an integration token. With
// listen it is the full node (HTTP API and background work); without, only the service, as
// `leadflow rescore` runs it.
func startNode(ctx context.Context, path string, listen bool) (*app.Main, string, error) {
	m := &app.Main{Addr: "127.0.0.1:0", DB: path, Logger: slog.New(slog.DiscardHandler)}
	var err error
	if listen {
		err = m.Open(ctx)
	} else {
		err = m.OpenService(ctx)
	}
	if err != nil {
		m.Close()
		return nil, "", err
	}
	tok, err := m.Service.CreateToken(ctx, service.TokenRequest{Name: "bench", Role: leadflow.RoleIntegration}, "")
	if err != nil {
		m.Close()
		return nil, "", err
	}
	return m, tok.Secret, nil
}

// countLeads counts the stored leads through the store.
func countLeads(ctx context.Context, st leadflow.Store) (int64, error) {
	var n int64
	err := st.Read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		n, err = tx.CountLeads(ctx)
		return err
	})
	return n, err
}

// countRows counts a table's rows with a separate read-only connection to the database file.
func countRows(ctx context.Context, path, table string) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n)
	return n, err
}

// criterion is one part of a target.
type criterion struct {
	label  string
	got    float64
	limit  float64
	higher bool // higher is better (got ≥ limit), else got < limit
}

// judge sets res.Pass and res.Verdict from the criteria.
func judge(res *Result, cs ...criterion) {
	res.Pass = true
	var missed []string
	for _, c := range cs {
		ok := c.got >= c.limit
		miss := (c.limit - c.got) / c.limit
		if !c.higher {
			ok = c.got < c.limit
			miss = (c.got - c.limit) / c.limit
		}
		if !ok {
			res.Pass = false
			m := fmt.Sprintf("by %.0f%%", math.Max(miss*100, 1))
			if c.label != "" {
				m += " (" + c.label + ")"
			}
			missed = append(missed, m)
		}
	}
	if res.Pass {
		res.Verdict = "PASS"
	} else {
		res.Verdict = "MISSED " + strings.Join(missed, ", ")
	}
}

// peakRSS reports the process's peak resident set size (VmHWM).
func peakRSS() Result {
	res := Result{Name: "Peak RSS (whole process)", Unit: "MB", Target: fmt.Sprintf("< %.0f MB", TargetPeakRSSMB),
		Note: "VmHWM of the bench process, which holds the leadflow server, its SQLite page caches, the HTTP load generator and the raw-ceiling connections: an upper bound for a server alone. Memory a finished scenario freed is handed back to the system before the next one starts."}
	kb, err := vmHWM()
	if err != nil {
		res.Verdict, res.Note = "n/a", "cannot read peak RSS: "+err.Error()
		return res
	}
	res.Value = float64(kb) / 1024
	judge(&res, criterion{"", res.Value, TargetPeakRSSMB, false})
	return res
}

func vmHWM() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// report prints the machine, the command line and the table.
func (r *runner) report(results []Result, took time.Duration, runErr error) {
	w := r.w
	fmt.Fprintln(w)
	fmt.Fprintf(w, "### leadflow bench — %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- machine: %d CPUs%s, %s/%s, %s\n", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "- command: `%s`\n", commandLine())
	mode := "full size"
	if r.o.Quick {
		mode = "QUICK (small sizes: figures are not comparable with the targets)"
	}
	fmt.Fprintf(w, "- mode: %s; total run time %s\n", mode, fmtDur(took))
	fmt.Fprintf(w, "- the load generator runs in the same process and on the same cores as the server\n")
	header := "raw SQLite ceiling"
	if r.pgVersion != "" {
		header = "raw ceiling"
		fmt.Fprintf(w, "- PostgreSQL rows: PostgreSQL %s at %s, on the same machine as the leadflow nodes and the load generator; their raw ceiling is raw PostgreSQL (pgx) on that server, the SQLite rows' raw SQLite\n", r.pgVersion, pgServer(r.o.Postgres))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| scenario | measured | p50 | p99 | %s | ratio | target | verdict |\n", header)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---|---|")
	for _, res := range results {
		measured := fmtValue(res.Value, res.Unit)
		if res.Detail != "" {
			measured += " (" + res.Detail + ")"
		}
		ceiling, ratio := "—", "—"
		if res.Ceiling > 0 {
			ceiling = fmtInt(res.Ceiling) + " rows/s"
			ratio = fmt.Sprintf("%.2f×", res.Ratio())
		}
		target, verdict := res.Target, res.Verdict
		if target == "" {
			target = "—"
		}
		if verdict == "" {
			verdict = "—"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", res.Name, measured, fmtLat(res.P50), fmtLat(res.P99), ceiling, ratio, target, verdict)
	}
	fmt.Fprintln(w)
	for _, res := range results {
		if res.Note != "" {
			fmt.Fprintf(w, "- **%s**: %s\n", res.Name, res.Note)
		}
	}
	if runErr != nil {
		fmt.Fprintf(w, "\n**FAILED**: %v\n", runErr)
	}
}

func commandLine() string {
	if len(os.Args) == 0 {
		return "leadflow bench"
	}
	args := append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...)
	for i, a := range args { // a database URL's password stays out of the report
		args[i] = redactArg(a)
	}
	return strings.Join(args, " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return " (" + strings.TrimSpace(v) + ")"
		}
	}
	return ""
}

// fmtInt formats a number with thousands separators.
func fmtInt(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func fmtValue(v float64, unit string) string {
	if unit == "MB" {
		return fmt.Sprintf("%.0f MB", v)
	}
	return fmtInt(v) + " " + unit
}

func fmtLat(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return fmtDur(d)
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
}

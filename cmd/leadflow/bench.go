package main

import (
	"context"
	"flag"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/leadflow/leadflow/bench"
)

// runBench measures leadflow against the raw SQLite ceiling in one run (S-PERF-1..3, 6), and with
// --db the PostgreSQL store against the raw PostgreSQL ceiling beside it.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.Options
	fs.BoolVar(&o.Quick, "quick", false, "small sizes for a smoke run (figures are not comparable with the targets)")
	fs.IntVar(&o.RescoreLeads, "rescore-leads", 1_000_000, "leads in the rescoring benchmark")
	fs.StringVar(&o.Dir, "dir", "", "directory for the benchmark databases (default: a temporary directory)")
	fs.StringVar(&o.Postgres, "db", "", "also measure the PostgreSQL store on this postgres:// URL, beside SQLite (scenario postgres; each phase uses a fresh schema, dropped afterwards)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (for go tool pprof)")
	only := fs.String("only", "", "comma-separated scenarios to run: "+strings.Join(bench.Scenarios, ", ")+" (default: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	return bench.Run(ctx, o, stdout)
}

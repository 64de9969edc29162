package main

import (
	"context"
	"flag"
	"io"

	"github.com/leadflow/leadflow/bench"
)

// runBench measures leadflow against the raw SQLite ceiling in one run (S-PERF-1..3, 6).
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.Options
	fs.BoolVar(&o.Quick, "quick", false, "small sizes for a smoke run (figures are not comparable with the targets)")
	fs.IntVar(&o.RescoreLeads, "rescore-leads", 1_000_000, "leads in the rescoring benchmark")
	fs.StringVar(&o.Dir, "dir", "", "directory for the benchmark databases (default: a temporary directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return bench.Run(ctx, o, stdout)
}

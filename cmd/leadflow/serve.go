package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/leadflow/leadflow/app"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	m := &app.Main{Logger: newLogger(stderr)}
	commonFlags(fs, m, true)
	fs.DurationVar(&m.SweepEvery, "sweep-every", envDuration("LEADFLOW_SWEEP_EVERY", time.Minute), "interval of the decay sweep; pool expiry and SLA checks run at least every 15 s (env LEADFLOW_SWEEP_EVERY)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil {
		if m.Store != nil {
			m.Store.Close()
		}
		return err
	}
	fmt.Fprintf(stdout, "leadflow listening on %s (database %s)\n", m.URL(), m.DB)
	<-ctx.Done()
	fmt.Fprintln(stdout, "shutting down")
	return m.Close()
}

// envDuration reads a duration from the environment, or returns def.
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/leadflow/leadflow/app"
)

// runRescore rescores every lead with the active model in the foreground (S-SCORE-8).
func runRescore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rescore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	m := &app.Main{Logger: newLogger(stderr)}
	commonFlags(fs, m, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := m.OpenService(ctx); err != nil {
		return err
	}
	defer m.Close()
	job, err := m.Service.StartRescore(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	last, finished := time.Time{}, false
	err = m.Service.RescoreAll(ctx, func(done, total int64) {
		if finished {
			return
		}
		finished = done >= total
		if time.Since(last) > time.Second || finished {
			last = time.Now()
			pct := 100.0
			if total > 0 {
				pct = float64(done) * 100 / float64(total)
			}
			fmt.Fprintf(stdout, "rescoring with model v%d: %d / %d leads (%.0f%%)\n", job.ModelVersion, done, total, pct)
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

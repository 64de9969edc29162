package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/leadflow/leadflow/app"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	m := &app.Main{Logger: newLogger(stderr)}
	commonFlags(fs, m, true)
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

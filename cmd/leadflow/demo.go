package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/app"
	"github.com/leadflow/leadflow/demo"
	"github.com/leadflow/leadflow/service"
	"github.com/leadflow/leadflow/sqlite"
)

// runDemo creates a fresh database with generated leads and months of activity, serves it and
// prints the URL and an admin token.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clock := &app.SettableClock{}
	m := &app.Main{Logger: newLogger(io.Discard), Clock: clock}
	commonFlags(fs, m, true)
	fs.Lookup("db").DefValue = "leadflow-demo.db"
	m.DB = envOr("LEADFLOW_DB", "leadflow-demo.db")
	leads := fs.Int("leads", 3000, "number of generated leads")
	months := fs.Int("months", 6, "months of generated activity")
	seed := fs.Uint64("seed", 1, "random seed (the same seed gives the same data)")
	noServe := fs.Bool("no-serve", false, "load the data and exit instead of serving it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := sqlite.Remove(m.DB); err != nil {
		return err
	}
	start := time.Now()
	fmt.Fprintf(stdout, "creating demo database %s with %d leads and %d months of activity…\n", m.DB, *leads, *months)
	if err := m.OpenService(ctx); err != nil {
		return err
	}
	st, err := app.LoadDemo(ctx, m.Service, clock, demo.Options{Leads: *leads, Months: *months, Seed: *seed, Now: time.Now().UTC()})
	if err != nil {
		m.Close()
		return err
	}
	clock.Release()
	for { // bring stored scores up to date with decay since the generated activity
		n, err := m.Service.DecaySweep(ctx)
		if err != nil {
			m.Close()
			return err
		}
		if n < service.SweepChunk {
			break
		}
	}
	fmt.Fprintf(stdout, "loaded %d leads, %d events, %d stage changes and %d cost entries in %s\n",
		st.Leads, st.Events, st.StageChanges, st.Costs, time.Since(start).Round(time.Millisecond))
	pool, err := app.LoadDemoPool(ctx, m.Service)
	if err != nil {
		m.Close()
		return err
	}
	repTok, err := m.Service.CreateToken(ctx, service.TokenRequest{Name: "demo rep Ivy Chen", Role: leadflow.RoleRep, RepID: pool.RepIDs[0]}, "")
	if err != nil {
		m.Close()
		return err
	}
	fmt.Fprintf(stdout, "opened a live claim pool: %d leads waiting for team Inbound (%d held back by the pool's quality mix and assigned by round-robin)\n", len(pool.Leads), pool.Pushed)
	secret := m.AdminToken
	if secret == "" {
		t, err := m.Service.CreateToken(ctx, service.TokenRequest{Name: "demo admin", Role: leadflow.RoleAdmin}, "")
		if err != nil {
			m.Close()
			return err
		}
		secret = t.Secret
	}
	if *noServe {
		fmt.Fprintf(stdout, "admin token: %s\nrep token (Ivy Chen, team Inbound): %s\n", secret, repTok.Secret)
		return m.Close()
	}
	m.Logger = newLogger(stderr)
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	fmt.Fprintf(stdout, `
leadflow demo is running at %[1]s
admin token: %[2]s
rep token (Ivy Chen, team Inbound): %[3]s

Try:
  curl -s -H "Authorization: Bearer %[2]s" '%[1]s/api/v1/leads?band=hot&limit=5'
  curl -s -H "Authorization: Bearer %[2]s" %[1]s/api/v1/leads/1/score
  curl -s -H "Authorization: Bearer %[2]s" '%[1]s/api/v1/analytics/funnel?from=2000-01-01'
  curl -s -H "Authorization: Bearer %[3]s" %[1]s/api/v1/pool              # Ivy's claim pool
  curl -s -X POST -H "Authorization: Bearer %[3]s" %[1]s/api/v1/pool/%[4]d/claim
  curl -sN -H "Authorization: Bearer %[3]s" %[1]s/api/v1/stream           # live offers
  curl -s %[1]s/api/v1/openapi.json

Press Ctrl-C to stop.
`, m.URL(), secret, repTok.Secret, pool.Leads[0])
	<-ctx.Done()
	fmt.Fprintln(stdout, "shutting down")
	return m.Close()
}

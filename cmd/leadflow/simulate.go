package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leadflow/leadflow/app"
	"github.com/leadflow/leadflow/route"
	"github.com/leadflow/leadflow/service"
)

// strategyFlags collects repeated --strategy kind[:floor] flags.
type strategyFlags []service.SimStrategy

func (s *strategyFlags) String() string { return fmt.Sprint(*s) }

func (s *strategyFlags) Set(v string) error {
	kind, arg, _ := strings.Cut(v, ":")
	st := service.SimStrategy{Kind: kind}
	if arg != "" {
		switch kind {
		case "normalized":
			f, err := strconv.ParseFloat(arg, 64)
			if err != nil {
				return fmt.Errorf("normalized:FLOOR needs a number, not %q", arg)
			}
			st.Floor, st.Name = f, "normalized floor "+arg
		case "static":
			for _, w := range strings.Split(arg, ",") {
				f, err := strconv.ParseFloat(w, 64)
				if err != nil {
					return fmt.Errorf("static:W1,W2,… needs numbers, not %q", w)
				}
				st.Weights = append(st.Weights, f)
			}
			st.Name = "static " + arg
		}
	}
	*s = append(*s, st)
	return nil
}

// runSimulate replays leads through alternative strategies (S-SIM-1) and prints the comparison.
func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	m := &app.Main{Logger: newLogger(stderr)}
	dbFlag(fs, m)
	repsFile := fs.String("reps", "", "reps as JSON [{id, conversion, deal_value}] or CSV id,conversion,deal_value (default: the database's active reps and their 90-day figures)")
	leads := fs.Int("leads", 0, "leads to distribute")
	from := fs.String("from", "", "with --to: distribute the leads that became MQLs in this period of the database (YYYY-MM-DD)")
	to := fs.String("to", "", "end of the period")
	replay := fs.String("replay", "", "replay individual leads instead of apportioning a count: database (the MQLs of --from/--to), csv (--leads-csv), generated (--leads demo leads)")
	leadsCSV := fs.String("leads-csv", "", "with --replay csv: a CSV file with a header naming any of id, email, score, deal_value")
	seed := fs.Uint64("seed", 1, "with --replay generated: the generator's seed")
	var strategies strategyFlags
	fs.Var(&strategies, "strategy", "round_robin | normalized[:FLOOR] | proportional | static:W1,W2,… (repeatable; default round_robin and normalized:0.5)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	req := service.SimRequest{Leads: *leads, Strategies: strategies, Replay: *replay, Seed: *seed}
	if *repsFile != "" {
		data, err := os.ReadFile(*repsFile)
		if err != nil {
			return err
		}
		if req.Reps, err = parseSimReps(data); err != nil {
			return fmt.Errorf("%s: %w", *repsFile, err)
		}
	}
	if *leadsCSV != "" {
		data, err := os.ReadFile(*leadsCSV)
		if err != nil {
			return err
		}
		req.LeadsCSV = string(data)
	}
	if *from != "" || *to != "" {
		f, err1 := time.Parse("2006-01-02", *from)
		t, err2 := time.Parse("2006-01-02", *to)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("--from and --to must both be dates YYYY-MM-DD")
		}
		req.Period = &service.Period{From: f, To: t}
	}
	if err := m.OpenService(ctx); err != nil {
		return err
	}
	defer m.Close()
	rep, err := m.Service.Simulate(ctx, req)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "strategy\t%s\texpected opps\texpected revenue\tspread\tgini\t\n", strings.Join(rep.Reps, "\t"))
	for _, r := range rep.Results {
		cells := make([]string, len(r.Leads))
		for i, n := range r.Leads {
			cells[i] = strconv.Itoa(n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.2f\t%d\t%.3f\t\n", r.Strategy, strings.Join(cells, "\t"), r.ExpectedOpportunities, r.ExpectedRevenue, r.Spread, r.Gini)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d leads; best by expected opportunities: %s\n%s\n", rep.Leads, rep.Best, rep.Note)
	return nil
}

// parseSimReps reads reps from JSON or from CSV with a header id,conversion[,deal_value].
func parseSimReps(data []byte) ([]route.SimRep, error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' {
		var reps []route.SimRep
		return reps, json.Unmarshal(t, &reps)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, err
	}
	var reps []route.SimRep
	for i, row := range rows {
		if i == 0 && strings.EqualFold(strings.TrimSpace(row[0]), "id") {
			continue
		}
		if len(row) < 2 {
			return nil, fmt.Errorf("line %d: want id,conversion[,deal_value]", i+1)
		}
		r := route.SimRep{ID: strings.TrimSpace(row[0])}
		if r.Conversion, err = strconv.ParseFloat(strings.TrimSpace(row[1]), 64); err != nil {
			return nil, fmt.Errorf("line %d: conversion %q is not a number", i+1, row[1])
		}
		if len(row) > 2 && strings.TrimSpace(row[2]) != "" {
			if r.DealValue, err = strconv.ParseFloat(strings.TrimSpace(row[2]), 64); err != nil {
				return nil, fmt.Errorf("line %d: deal_value %q is not a number", i+1, row[2])
			}
		}
		reps = append(reps, r)
	}
	return reps, nil
}

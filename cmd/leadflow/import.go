package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/app"
	"github.com/leadflow/leadflow/service"
)

// runImport loads leads from CSV or JSON, or events from JSON, through the same service path as
// the API (S-LEAD-3): bad rows are reported with their row number and good rows are kept.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	m := &app.Main{Logger: newLogger(stderr)}
	commonFlags(fs, m, false)
	events := fs.Bool("events", false, "the file holds events (a JSON array or one JSON object per line)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: leadflow import [--db FILE] [--events] FILE.csv|FILE.json")
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := m.OpenService(ctx); err != nil {
		return err
	}
	defer m.Close()
	actor := service.Actor{Name: "import:" + filepath.Base(path), Role: leadflow.RoleAdmin}
	if *events {
		var in []leadflow.EventInput
		if err := decodeList(data, &in); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		accepted, dups, rejected := 0, 0, 0
		for start := 0; start < len(in); start += service.MaxBatch {
			res, _, err := m.Service.RecordEvents(ctx, actor, in[start:min(start+service.MaxBatch, len(in))], nil)
			if err != nil {
				return err
			}
			accepted, dups, rejected = accepted+res.Accepted, dups+res.Duplicates, rejected+res.Rejected
			for _, r := range res.Results {
				for _, e := range r.Errors {
					fmt.Fprintf(stderr, "event %d: %s: %s\n", start+r.Index+1, e.Field, e.Reason)
				}
			}
		}
		fmt.Fprintf(stdout, "events: %d accepted, %d duplicates, %d rejected\n", accepted, dups, rejected)
		return rejectedErr(rejected)
	}
	var res service.BatchResult
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		res, err = m.Service.ImportCSV(ctx, actor, bytes.NewReader(data))
	} else {
		var in []leadflow.LeadInput
		if err := decodeList(data, &in); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		res = service.BatchResult{}
		for start := 0; start < len(in); start += service.MaxBatch {
			end := min(start+service.MaxBatch, len(in))
			rows := make([]int, end-start)
			for i := range rows {
				rows[i] = start + i + 1
			}
			part, _, err := m.Service.UpsertLeads(ctx, actor, in[start:end], rows, nil)
			if err != nil {
				return err
			}
			res.Created, res.Updated, res.Rejected = res.Created+part.Created, res.Updated+part.Updated, res.Rejected+part.Rejected
			res.Rows = append(res.Rows, part.Rows...)
		}
	}
	if err != nil {
		return err
	}
	for _, r := range res.Rows {
		for _, e := range r.Errors {
			fmt.Fprintf(stderr, "row %d: %s: %s\n", r.Row, e.Field, e.Reason)
		}
	}
	fmt.Fprintf(stdout, "leads: %d created, %d updated, %d rejected\n", res.Created, res.Updated, res.Rejected)
	return rejectedErr(res.Rejected)
}

func rejectedErr(n int) error {
	if n > 0 {
		return fmt.Errorf("%d rows rejected (the other rows were imported)", n)
	}
	return nil
}

// decodeList reads a JSON array, or one JSON object per line.
func decodeList[T any](data []byte, out *[]T) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return json.Unmarshal(trimmed, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(trimmed))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		*out = append(*out, v)
	}
	return sc.Err()
}

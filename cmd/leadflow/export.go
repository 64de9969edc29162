package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/app"
	"github.com/leadflow/leadflow/config"
)

// runExport writes the live configuration as YAML (S-CLI-2) or all leads as CSV or JSON lines.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	m := &app.Main{Logger: newLogger(stderr)}
	dbFlag(fs, m)
	cfg := fs.Bool("config", false, "export the live configuration as YAML (secrets masked)")
	secrets := fs.Bool("secrets", false, "with --config: write the secrets themselves instead of masking them")
	format := fs.String("format", "csv", "lead export format: csv or json (one object per line)")
	out := fs.String("out", "", "write to this file instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := m.OpenService(ctx); err != nil {
		return err
	}
	defer m.Close()
	if *cfg {
		b, err := config.Marshal(config.Export(m.Service, *secrets), time.Now().UTC())
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	switch *format {
	case "csv", "json":
	default:
		return fmt.Errorf("--format must be csv or json")
	}
	return exportLeads(ctx, m, w, *format)
}

var leadCSVHeader = []string{"id", "external_id", "email", "first_name", "last_name", "phone", "company", "company_size", "industry",
	"job_title", "seniority", "country", "region", "city", "timezone", "language", "source", "campaign", "stage", "owner_id",
	"fit", "engagement", "total", "grade", "band", "model_version", "created_at", "updated_at"}

func exportLeads(ctx context.Context, m *app.Main, w io.Writer, format string) error {
	cw := csv.NewWriter(w)
	enc := json.NewEncoder(w)
	if format == "csv" {
		if err := cw.Write(leadCSVHeader); err != nil {
			return err
		}
	}
	var after int64
	for {
		var page []leadflow.Lead
		if err := m.Store.Read(ctx, func(tx leadflow.ReadTx) error {
			var err error
			page, err = tx.LeadsAfter(ctx, after, 1000)
			return err
		}); err != nil {
			return err
		}
		if len(page) == 0 {
			cw.Flush()
			return cw.Error()
		}
		for _, l := range page {
			if format == "json" {
				if err := enc.Encode(l); err != nil {
					return err
				}
				continue
			}
			f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
			if err := cw.Write([]string{strconv.FormatInt(l.ID, 10), l.ExternalID, l.Email, l.FirstName, l.LastName, l.Phone, l.Company,
				strconv.Itoa(l.CompanySize), l.Industry, l.JobTitle, l.Seniority, l.Country, l.Region, l.City, l.Timezone, l.Language,
				l.Source, l.Campaign, string(l.Stage), strconv.FormatInt(l.OwnerID, 10), f(l.Score.Fit), f(l.Score.Engagement),
				f(l.Score.Total), l.Score.Grade, l.Score.Band, strconv.Itoa(l.Score.ModelVersion),
				l.CreatedAt.Format(time.RFC3339), l.UpdatedAt.Format(time.RFC3339)}); err != nil {
				return err
			}
		}
		after = page[len(page)-1].ID
	}
}

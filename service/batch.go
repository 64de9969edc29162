package service

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow"
)

// RowResult is the outcome of one row of a bulk request (S-LEAD-3). Row is 1-based: the index in
// a JSON array plus one, or the CSV line number of the record.
type RowResult struct {
	Row     int                   `json:"row"`
	ID      int64                 `json:"id,omitempty"`
	Created bool                  `json:"created,omitempty"`
	Errors  []leadflow.FieldError `json:"errors,omitempty"`
}

// BatchResult is the answer to a bulk lead request: good rows are kept, bad rows reported.
type BatchResult struct {
	Created  int         `json:"created"`
	Updated  int         `json:"updated"`
	Rejected int         `json:"rejected"`
	Rows     []RowResult `json:"rows"`
}

// UpsertLeads upserts many leads in one transaction. Rows that fail validation or conflict are
// reported and skipped; every other row is stored.
func (s *Service) UpsertLeads(ctx context.Context, a Actor, in []leadflow.LeadInput, rows []int, idem *Idempotency) (BatchResult, *Replay, error) {
	if len(in) > MaxBatch {
		return BatchResult{}, nil, leadflow.Invalid("leads", fmt.Sprintf("at most %d leads per request; split the file or array", MaxBatch))
	}
	res := BatchResult{Rows: make([]RowResult, len(in))}
	for i := range in {
		res.Rows[i].Row = i + 1
		if rows != nil {
			res.Rows[i].Row = rows[i]
		}
		res.Rows[i].Errors = validateLeadInput(&in[i], true)
	}
	var replay *Replay
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		var err error
		if replay, err = checkIdempotency(ctx, tx, idem); err != nil || replay != nil {
			return err
		}
		res.Created, res.Updated, res.Rejected = 0, 0, 0
		exts, emails := inputKeys(in)
		ix, err := prefetchLeads(ctx, tx, nil, exts, emails)
		if err != nil {
			return err
		}
		for i := range in {
			r := &res.Rows[i]
			if len(r.Errors) == 0 {
				l, created, err := s.upsertInTx(ctx, tx, fx, ix, a, &in[i])
				var e *leadflow.Error
				switch {
				case err == nil:
					r.ID, r.Created = l.ID, created
				case errors.As(err, &e) && (e.Code == leadflow.ECONFLICT || e.Code == leadflow.EINVALID):
					// The row failed before its first write, so skipping it leaves nothing behind.
					r.Errors = fieldErrors(e, "row")
				default:
					return err
				}
			}
			switch {
			case len(r.Errors) > 0:
				res.Rejected++
				for k := range r.Errors {
					r.Errors[k].Row = r.Row
				}
			case r.Created:
				res.Created++
			default:
				res.Updated++
			}
		}
		return storeIdempotency(ctx, tx, idem, 200, res, 0, s.clock.Now())
	})
	return res, replay, err
}

// csvColumns maps accepted CSV header names to lead fields.
var csvColumns = map[string]string{
	"external_id": "external_id", "id": "external_id", "email": "email", "e-mail": "email", "first_name": "first_name", "firstname": "first_name",
	"last_name": "last_name", "lastname": "last_name", "phone": "phone", "company": "company", "company_size": "company_size",
	"employees": "company_size", "industry": "industry", "job_title": "job_title", "title": "job_title", "seniority": "seniority",
	"country": "country", "region": "region", "state": "region", "city": "city", "timezone": "timezone", "language": "language",
	"source": "source", "campaign": "campaign",
}

// MaxCSVRows is the most data rows one CSV import may hold.
const MaxCSVRows = 100_000

// ParseLeadsCSV reads a CSV file with a header row into lead inputs (S-LEAD-3). Columns it does
// not know become custom attributes; "consent_<name>" columns become consent flags. Rows that
// cannot be parsed are returned as row results with errors, and the rest are parsed.
func ParseLeadsCSV(r io.Reader) (inputs []leadflow.LeadInput, rows []int, bad []RowResult, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, nil, leadflow.Invalid("file", "is empty; the first line must be a header such as email,first_name,company")
	}
	if err != nil {
		return nil, nil, nil, leadflow.Invalid("file", "header row: "+err.Error())
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff")))
	}
	known := false
	for _, h := range header {
		if f := csvColumns[h]; f == "email" || f == "external_id" {
			known = true
		}
	}
	if !known {
		return nil, nil, nil, leadflow.Invalid("file", "the header needs an email or external_id column")
	}
	err = eachCSVRecord(cr, func(line int, rec []string) error {
		if len(inputs)+len(bad) >= MaxCSVRows {
			return leadflow.Invalid("file", fmt.Sprintf("has more than %d rows; split it", MaxCSVRows))
		}
		if len(rec) != len(header) {
			bad = append(bad, RowResult{Row: line, Errors: []leadflow.FieldError{{Field: "row", Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(header)), Row: line}}})
			return nil
		}
		in, fe := csvRecord(header, rec)
		if len(fe) > 0 {
			for k := range fe {
				fe[k].Row = line
			}
			bad = append(bad, RowResult{Row: line, Errors: fe})
			return nil
		}
		inputs = append(inputs, in)
		rows = append(rows, line)
		return nil
	}, func(r RowResult) { bad = append(bad, r) })
	if err != nil {
		return nil, nil, nil, err
	}
	return inputs, rows, bad, nil
}

// eachCSVRecord calls fn with every record and its line number. A record that cannot be parsed
// (e.g. a stray quote) goes to bad as a row error and reading goes on; fn's error stops it.
func eachCSVRecord(cr *csv.Reader, fn func(line int, rec []string) error, bad func(RowResult)) error {
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			bad(RowResult{Row: pe.Line, Errors: []leadflow.FieldError{{Field: "row", Reason: pe.Err.Error(), Row: pe.Line}}})
			continue
		}
		if err != nil {
			return err
		}
		line, _ := cr.FieldPos(0)
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

func csvRecord(header, rec []string) (leadflow.LeadInput, []leadflow.FieldError) {
	var in leadflow.LeadInput
	var fe []leadflow.FieldError
	for i, h := range header {
		v := strings.TrimSpace(rec[i])
		if v == "" {
			continue
		}
		p := &v
		switch csvColumns[h] {
		case "external_id":
			in.ExternalID = p
		case "email":
			in.Email = p
		case "first_name":
			in.FirstName = p
		case "last_name":
			in.LastName = p
		case "phone":
			in.Phone = p
		case "company":
			in.Company = p
		case "company_size":
			n, err := strconv.Atoi(strings.ReplaceAll(v, ",", ""))
			if err != nil {
				fe = append(fe, leadflow.FieldError{Field: "company_size", Reason: fmt.Sprintf("%q is not a whole number", v)})
				continue
			}
			in.CompanySize = &n
		case "industry":
			in.Industry = p
		case "job_title":
			in.JobTitle = p
		case "seniority":
			in.Seniority = p
		case "country":
			in.Country = p
		case "region":
			in.Region = p
		case "city":
			in.City = p
		case "timezone":
			in.Timezone = p
		case "language":
			in.Language = p
		case "source":
			in.Source = p
		case "campaign":
			in.Campaign = p
		default:
			if name, ok := strings.CutPrefix(h, "consent_"); ok && name != "" {
				b, err := strconv.ParseBool(v)
				if err != nil {
					fe = append(fe, leadflow.FieldError{Field: h, Reason: fmt.Sprintf("%q is not true or false", v)})
					continue
				}
				if in.Consent == nil {
					in.Consent = map[string]bool{}
				}
				in.Consent[name] = b
				continue
			}
			if in.Custom == nil {
				in.Custom = map[string]any{}
			}
			in.Custom[h] = v
		}
	}
	return in, fe
}

// ImportCSV parses a CSV file and upserts its rows in batches, merging parse and store errors
// into one report ordered by row.
func (s *Service) ImportCSV(ctx context.Context, a Actor, r io.Reader) (BatchResult, error) {
	inputs, rows, bad, err := ParseLeadsCSV(r)
	if err != nil {
		return BatchResult{}, err
	}
	total := BatchResult{Rows: []RowResult{}}
	for start := 0; start < len(inputs); start += MaxBatch {
		end := min(start+MaxBatch, len(inputs))
		res, _, err := s.UpsertLeads(ctx, a, inputs[start:end], rows[start:end], nil)
		if err != nil {
			return total, err
		}
		total.Created += res.Created
		total.Updated += res.Updated
		total.Rejected += res.Rejected
		total.Rows = append(total.Rows, res.Rows...)
	}
	total.Rejected += len(bad)
	total.Rows = append(total.Rows, bad...)
	sortRows(total.Rows)
	return total, nil
}

func sortRows(rows []RowResult) {
	for i := 1; i < len(rows); i++ { // insertion sort: rows are almost sorted already
		for j := i; j > 0 && rows[j].Row < rows[j-1].Row; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

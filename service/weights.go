package service

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
)

// RepWeight is one row of the weights table (S-DIST-4): a rep, found by id or email, and the
// weight inputs to set. Absent inputs stay as they are.
type RepWeight struct {
	RepID        int64    `json:"rep_id,omitempty"`
	Email        string   `json:"email,omitempty"`
	Name         string   `json:"name,omitempty"` // read-only, for people reading an export
	StaticWeight *float64 `json:"static_weight,omitempty"`
	Tier         *int     `json:"tier,omitempty"`
	Level        *string  `json:"level,omitempty"`
	Reason       string   `json:"reason,omitempty"` // recorded with the change
}

// WeightsResult is the answer to a bulk weight update: good rows are applied, bad rows reported.
type WeightsResult struct {
	Updated   int         `json:"updated"`
	Unchanged int         `json:"unchanged"`
	Rejected  int         `json:"rejected"`
	Rows      []RowResult `json:"rows"`
}

// Weights lists every rep's weight inputs.
func (s *Service) Weights(ctx context.Context) ([]RepWeight, error) {
	reps, err := RepKind.List(ctx, s)
	if err != nil {
		return nil, err
	}
	out := make([]RepWeight, len(reps))
	for i, r := range reps {
		w, tier, level := r.StaticWeight, r.Tier, r.Level
		out[i] = RepWeight{RepID: r.ID, Email: r.Email, Name: r.Name, StaticWeight: &w, Tier: &tier, Level: &level}
	}
	return out, nil
}

// PutWeights applies weight rows in one transaction (effective immediately) and records every
// change with its actor and reason (S-DIST-4). rows holds the 1-based row numbers for the report.
func (s *Service) PutWeights(ctx context.Context, a Actor, in []RepWeight, rows []int) (WeightsResult, error) {
	res := WeightsResult{Rows: make([]RowResult, len(in))}
	err := s.store.Write(ctx, func(tx leadflow.Tx) error {
		res.Updated, res.Unchanged, res.Rejected = 0, 0, 0
		now := s.clock.Now()
		for i, w := range in {
			r := &res.Rows[i]
			*r = RowResult{Row: i + 1}
			if rows != nil {
				r.Row = rows[i]
			}
			rep, fe := s.findRep(ctx, tx, w)
			if fe == nil {
				fe = validateWeight(w)
			}
			if fe != nil {
				fe.Row = r.Row
				r.Errors = []leadflow.FieldError{*fe}
				res.Rejected++
				continue
			}
			before := *rep
			if w.StaticWeight != nil {
				rep.StaticWeight = *w.StaticWeight
			}
			if w.Tier != nil {
				rep.Tier = *w.Tier
			}
			if w.Level != nil {
				rep.Level = *w.Level
			}
			changes := weightChanges(&before, rep, a, w.Reason, now)
			r.ID = rep.ID
			if len(changes) == 0 {
				res.Unchanged++
				continue
			}
			rep.UpdatedAt = now
			if err := tx.UpdateRep(ctx, rep); err != nil {
				return err
			}
			if err := tx.InsertWeightChanges(ctx, changes...); err != nil {
				return err
			}
			res.Updated++
		}
		return nil
	})
	if err == nil {
		s.invalidateConfig()
	}
	return res, err
}

func (s *Service) findRep(ctx context.Context, tx leadflow.ReadTx, w RepWeight) (*leadflow.Rep, *leadflow.FieldError) {
	if w.RepID != 0 {
		rep, err := tx.Rep(ctx, w.RepID)
		if err != nil {
			return nil, &leadflow.FieldError{Field: "rep_id", Reason: fmt.Sprintf("no rep %d", w.RepID)}
		}
		return rep, nil
	}
	if strings.TrimSpace(w.Email) == "" {
		return nil, &leadflow.FieldError{Field: "email", Reason: "a row needs rep_id or email"}
	}
	reps, err := tx.Reps(ctx)
	if err == nil {
		for i := range reps {
			if strings.EqualFold(reps[i].Email, strings.TrimSpace(w.Email)) {
				return &reps[i], nil
			}
		}
	}
	return nil, &leadflow.FieldError{Field: "email", Reason: fmt.Sprintf("no rep with email %q", w.Email)}
}

func validateWeight(w RepWeight) *leadflow.FieldError {
	switch {
	case w.StaticWeight != nil && (*w.StaticWeight < 0 || math.IsNaN(*w.StaticWeight) || math.IsInf(*w.StaticWeight, 0) || *w.StaticWeight > 10000):
		return &leadflow.FieldError{Field: "static_weight", Reason: "must be a number from 0 to 10000"}
	case w.Tier != nil && (*w.Tier < 0 || *w.Tier > 3):
		return &leadflow.FieldError{Field: "tier", Reason: "must be 1, 2 or 3 (0 = not tiered)"}
	case w.Level != nil && *w.Level != "" && !slices.Contains(leadflow.Levels, *w.Level):
		return &leadflow.FieldError{Field: "level", Reason: "must be one of " + strings.Join(leadflow.Levels, ", ")}
	case len(w.Reason) > maxTextLen:
		return &leadflow.FieldError{Field: "reason", Reason: "must be at most 500 characters"}
	}
	return nil
}

// weightChanges lists the weight inputs that differ between before and after (S-DIST-4).
func weightChanges(before, after *leadflow.Rep, a Actor, reason string, now time.Time) []leadflow.WeightChange {
	var out []leadflow.WeightChange
	add := func(field, old, new string) {
		if old != new {
			out = append(out, leadflow.WeightChange{RepID: after.ID, At: now, Actor: a.Name, Field: field, Old: old, New: new, Reason: reason})
		}
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	add("static_weight", f(before.StaticWeight), f(after.StaticWeight))
	add("tier", strconv.Itoa(before.Tier), strconv.Itoa(after.Tier))
	add("level", before.Level, after.Level)
	return out
}

// WeightChanges returns the weight change log, newest first (all reps when repID is 0).
func (s *Service) WeightChanges(ctx context.Context, repID int64, limit int) ([]leadflow.WeightChange, error) {
	var out []leadflow.WeightChange
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		out, err = tx.WeightChanges(ctx, repID, limit)
		return err
	})
	if out == nil {
		out = []leadflow.WeightChange{}
	}
	return out, err
}

// WeightsCSVHeader is the column order of a weights export; imports accept any order.
var WeightsCSVHeader = []string{"rep_id", "email", "name", "static_weight", "tier", "level", "reason"}

// WriteWeightsCSV writes the weights table as CSV for editing in a spreadsheet.
func WriteWeightsCSV(w io.Writer, rows []RepWeight) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(WeightsCSVHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{strconv.FormatInt(r.RepID, 10), r.Email, r.Name, strconv.FormatFloat(*r.StaticWeight, 'f', -1, 64),
			strconv.Itoa(*r.Tier), *r.Level, ""}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ParseWeightsCSV reads a weights CSV (header required; rep_id or email identifies the rep; empty
// cells leave an input unchanged). Unparseable rows are returned as row results with errors.
func ParseWeightsCSV(r io.Reader) ([]RepWeight, []int, []RowResult, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, nil, leadflow.Invalid("file", "needs a header row such as email,static_weight")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	if _, ok := col["rep_id"]; !ok {
		if _, ok := col["email"]; !ok {
			return nil, nil, nil, leadflow.Invalid("file", "the header needs a rep_id or email column")
		}
	}
	var out []RepWeight
	var rows []int
	var bad []RowResult
	err = eachCSVRecord(cr, func(line int, rec []string) error {
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		w, fe := weightRow(cell)
		if fe != nil {
			fe.Row = line
			bad = append(bad, RowResult{Row: line, Errors: []leadflow.FieldError{*fe}})
			return nil
		}
		out, rows = append(out, w), append(rows, line)
		return nil
	}, func(r RowResult) { bad = append(bad, r) })
	if err != nil {
		return nil, nil, nil, err
	}
	return out, rows, bad, nil
}

// weightRow parses one weights CSV row from its cells by column name.
func weightRow(cell func(string) string) (RepWeight, *leadflow.FieldError) {
	var w RepWeight
	if v := cell("rep_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return w, &leadflow.FieldError{Field: "rep_id", Reason: fmt.Sprintf("%q is not a number", v)}
		}
		w.RepID = id
	}
	w.Email, w.Reason = cell("email"), cell("reason")
	if v := cell("static_weight"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return w, &leadflow.FieldError{Field: "static_weight", Reason: fmt.Sprintf("%q is not a number", v)}
		}
		w.StaticWeight = &f
	}
	if v := cell("tier"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return w, &leadflow.FieldError{Field: "tier", Reason: fmt.Sprintf("%q is not a whole number", v)}
		}
		w.Tier = &n
	}
	if v := cell("level"); v != "" {
		w.Level = &v
	}
	return w, nil
}

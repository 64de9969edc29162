package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/lifecycle"
	"github.com/leadflow/leadflow/service"
)

// upsertLead handles POST /api/v1/leads (S-LEAD-2).
func (s *Server) upsertLead(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	body, err := readBody(w, r, MaxBody)
	if err != nil {
		return err
	}
	idem, err := idempotency(r, a, body)
	if err != nil {
		return err
	}
	var in leadflow.LeadInput
	if err := decodeJSON(bytes.NewReader(body), &in); err != nil {
		return err
	}
	res, replay, err := s.svc.UpsertLead(r.Context(), a, in, idem)
	if err != nil {
		return err
	}
	if replay != nil {
		return writeReplay(w, replay)
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/leads/%d", res.Lead.ID))
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, res)
}

// batchLeads handles POST /api/v1/leads/batch: a JSON array of leads, or a CSV file with
// Content-Type text/csv (S-LEAD-3).
func (s *Server) batchLeads(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	body, err := readBody(w, r, MaxBulkBody)
	if err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "text/csv" {
		res, err := s.svc.ImportCSV(r.Context(), a, bytes.NewReader(body))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, res)
	}
	idem, err := idempotency(r, a, body)
	if err != nil {
		return err
	}
	var raw []json.RawMessage
	if err := decodeJSON(bytes.NewReader(body), &raw); err != nil {
		return err
	}
	if len(raw) == 0 {
		return leadflow.Invalid("body", "must be a non-empty JSON array of leads")
	}
	if len(raw) > service.MaxBatch {
		return leadflow.Invalid("body", fmt.Sprintf("at most %d leads per batch", service.MaxBatch))
	}
	// Decode row by row so one malformed row is reported with its number and the rest are kept.
	inputs := make([]leadflow.LeadInput, 0, len(raw))
	rows := make([]int, 0, len(raw))
	var bad []service.RowResult
	for i, m := range raw {
		var in leadflow.LeadInput
		if err := decodeJSON(bytes.NewReader(m), &in); err != nil {
			fe := rowErrors(err, i+1)
			bad = append(bad, service.RowResult{Row: i + 1, Errors: fe})
			continue
		}
		inputs = append(inputs, in)
		rows = append(rows, i+1)
	}
	res, replay, err := s.svc.UpsertLeads(r.Context(), a, inputs, rows, idem)
	if err != nil {
		return err
	}
	if replay != nil {
		return writeReplay(w, replay)
	}
	if len(bad) > 0 {
		res.Rejected += len(bad)
		res.Rows = mergeRows(res.Rows, bad)
	}
	return writeJSON(w, http.StatusOK, res)
}

func rowErrors(err error, row int) []leadflow.FieldError {
	var fe []leadflow.FieldError
	var e *leadflow.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		fe = append(fe, e.Fields...)
	} else {
		fe = []leadflow.FieldError{{Field: "row", Reason: leadflow.ErrorMessage(err)}}
	}
	for i := range fe {
		fe[i].Row = row
	}
	return fe
}

func mergeRows(a, b []service.RowResult) []service.RowResult {
	out := make([]service.RowResult, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j >= len(b) || i < len(a) && a[i].Row < b[j].Row {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}

// LeadPage is a page of leads with the cursor of the next page.
type LeadPage struct {
	Items      []leadflow.Lead `json:"items"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

func (s *Server) listLeads(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	q := r.URL.Query()
	f := leadflow.LeadFilter{Stage: leadflow.Stage(q.Get("stage")), Band: q.Get("band"), Source: q.Get("source"), Query: q.Get("q")}
	if f.Stage != "" && !lifecycle.ValidStage(f.Stage) {
		return leadflow.Invalid("stage", "unknown stage")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return leadflow.Invalid("limit", "must be an integer from 1 to 500")
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return leadflow.Invalid("cursor", "is not a cursor returned by this API")
		}
		f.Before = n
	}
	if v := q.Get("owner_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return leadflow.Invalid("owner_id", "must be a positive integer")
		}
		f.OwnerID = n
	}
	leads, err := s.svc.ListLeads(r.Context(), a, f)
	if err != nil {
		return err
	}
	page := LeadPage{Items: leads}
	if page.Items == nil {
		page.Items = []leadflow.Lead{}
	}
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	if len(leads) == limit {
		page.NextCursor = strconv.FormatInt(leads[len(leads)-1].ID, 10)
	}
	return writeJSON(w, http.StatusOK, page)
}

func (s *Server) getLead(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	l, err := s.svc.Lead(r.Context(), a, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) patchLead(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in leadflow.LeadInput
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &in); err != nil {
		return err
	}
	l, err := s.svc.PatchLead(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) eraseLead(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.EraseLead(r.Context(), a, id, strings.TrimSpace(r.URL.Query().Get("reason"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) leadScore(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ex, err := s.svc.Explain(r.Context(), a, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ex)
}

// HistoryPage is a page of a lead's history.
type HistoryPage struct {
	Items      []leadflow.HistoryEntry `json:"items"`
	NextCursor string                  `json:"next_cursor,omitempty"`
}

func (s *Server) leadHistory(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var after int64
	if v := r.URL.Query().Get("cursor"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return leadflow.Invalid("cursor", "is not a cursor returned by this API")
		}
	}
	const limit = 200
	items, err := s.svc.History(r.Context(), a, id, after, limit)
	if err != nil {
		return err
	}
	page := HistoryPage{Items: items}
	if page.Items == nil {
		page.Items = []leadflow.HistoryEntry{}
	}
	if len(items) == limit {
		page.NextCursor = strconv.FormatInt(items[len(items)-1].ID, 10)
	}
	return writeJSON(w, http.StatusOK, page)
}

func (s *Server) changeStage(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req lifecycle.Request
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &req); err != nil {
		return err
	}
	if req.To == "" {
		return leadflow.Invalid("stage", "is required")
	}
	l, err := s.svc.ChangeStage(r.Context(), a, id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) exportLead(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ex, err := s.svc.ExportLead(r.Context(), a, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="lead-%d.json"`, id))
	return writeJSON(w, http.StatusOK, ex)
}

// postEvents handles POST /api/v1/events: one event object or an array (S-LEAD-4).
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	body, err := readBody(w, r, MaxBulkBody)
	if err != nil {
		return err
	}
	idem, err := idempotency(r, a, body)
	if err != nil {
		return err
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	var inputs []leadflow.EventInput
	single := len(trimmed) > 0 && trimmed[0] == '{'
	if single {
		var in leadflow.EventInput
		if err := decodeJSON(bytes.NewReader(body), &in); err != nil {
			return err
		}
		inputs = []leadflow.EventInput{in}
	} else {
		if err := decodeJSON(bytes.NewReader(body), &inputs); err != nil {
			return err
		}
		if len(inputs) == 0 {
			return leadflow.Invalid("body", "must be an event object or a non-empty array of events")
		}
	}
	res, replay, err := s.svc.RecordEvents(r.Context(), a, inputs, idem)
	if err != nil {
		return err
	}
	if replay != nil {
		return writeReplay(w, replay)
	}
	if single && res.Rejected == 1 {
		// A single bad event is a plain validation problem, not a bulk report.
		return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid event", Fields: res.Results[0].Errors}
	}
	return writeJSON(w, res.Status(), res)
}

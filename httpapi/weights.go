package httpapi

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// WeightsBody is the JSON form of GET and PUT /api/v1/reps/weights.
type WeightsBody struct {
	Items []service.RepWeight `json:"items"`
}

// getWeights exports every rep's weight inputs as JSON, or as CSV for a spreadsheet when the
// client asks for text/csv (Accept header or ?format=csv) (S-DIST-4).
func (s *Server) getWeights(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	rows, err := s.svc.Weights(r.Context())
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "csv" || strings.Contains(r.Header.Get("Accept"), "text/csv") {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="rep-weights.csv"`)
		return service.WriteWeightsCSV(w, rows)
	}
	return writeJSON(w, http.StatusOK, WeightsBody{Items: rows})
}

// putWeights applies a JSON or CSV weights table: good rows take effect at once, bad rows are
// reported with their row number, and every change is logged with its inputs (S-DIST-4).
func (s *Server) putWeights(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	body, err := readBody(w, r, MaxBulkBody)
	if err != nil {
		return err
	}
	var items []service.RepWeight
	var rows []int
	var bad []service.RowResult
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "text/csv" {
		if items, rows, bad, err = service.ParseWeightsCSV(bytes.NewReader(body)); err != nil {
			return err
		}
	} else {
		var wb WeightsBody
		if err := decodeJSON(bytes.NewReader(body), &wb); err != nil {
			return err
		}
		items = wb.Items
	}
	if len(items)+len(bad) == 0 {
		return leadflow.Invalid("items", "no weight rows")
	}
	res, err := s.svc.PutWeights(r.Context(), a, items, rows)
	if err != nil {
		return err
	}
	res.Rejected += len(bad)
	res.Rows = mergeRows(res.Rows, bad)
	return writeJSON(w, http.StatusOK, res)
}

// weightChanges returns the weight change log, optionally for one rep.
func (s *Server) weightChanges(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	var repID int64
	if v := r.URL.Query().Get("rep_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return leadflow.Invalid("rep_id", "must be a positive integer")
		}
		repID = id
	}
	items, err := s.svc.WeightChanges(r.Context(), repID, 500)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// performance returns every rep's derived figures over a rolling window (S-REP-3).
func (s *Server) performance(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	days := 90
	if v := r.URL.Query().Get("window_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 730 {
			return leadflow.Invalid("window_days", "must be 1 to 730")
		}
		days = n
	}
	items, err := s.svc.Performance(r.Context(), time.Duration(days)*24*time.Hour)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"window_days": days, "items": items})
}

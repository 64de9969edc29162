package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
	"github.com/leadflow/leadflow/service"
)

// ModelResponse is the active scoring model with the progress of its rescoring.
type ModelResponse struct {
	Model score.Model          `json:"model"`
	Job   *leadflow.RescoreJob `json:"rescore_job,omitempty"`
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	resp := ModelResponse{Model: service.RedactedModel(s.svc.Model())}
	jobs, err := s.svc.RescoreJobs(r.Context(), 1)
	if err != nil {
		return err
	}
	if len(jobs) > 0 {
		resp.Job = &jobs[0]
	}
	return writeJSON(w, http.StatusOK, resp)
}

// putModel stores a new model version and starts background rescoring (S-SCORE-8).
func (s *Server) putModel(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	var m score.Model
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &m); err != nil {
		return err
	}
	model, job, err := s.svc.PutModel(r.Context(), a, m)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ModelResponse{Model: service.RedactedModel(model), Job: job})
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	recs, err := s.svc.Models(r.Context())
	if err != nil {
		return err
	}
	if recs == nil {
		recs = []leadflow.ModelRecord{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": recs})
}

// previewModel scores the current leads with a proposed model without storing it.
func (s *Server) previewModel(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	var m score.Model
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &m); err != nil {
		return err
	}
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return leadflow.Invalid("limit", "must be a positive integer")
		}
		limit = n
	}
	p, err := s.svc.PreviewModel(r.Context(), m, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) rescoreJobs(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	jobs, err := s.svc.RescoreJobs(r.Context(), 20)
	if err != nil {
		return err
	}
	if jobs == nil {
		jobs = []leadflow.RescoreJob{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": jobs})
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	return writeJSON(w, http.StatusOK, s.svc.Settings().Redacted()) // secrets are write-only
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	var st service.Settings
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &st); err != nil {
		return err
	}
	if err := s.svc.PutSettings(r.Context(), st); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.svc.Settings().Redacted())
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	var out []leadflow.WebhookDelivery
	err := s.svc.Store().Read(r.Context(), func(tx leadflow.ReadTx) error {
		var err error
		out, err = tx.Webhooks(r.Context(), 200)
		return err
	})
	if err != nil {
		return err
	}
	if out == nil {
		out = []leadflow.WebhookDelivery{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *Server) addCost(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	var c leadflow.Cost
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &c); err != nil {
		return err
	}
	out, err := s.svc.AddCost(r.Context(), c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// period reads from/to query parameters (RFC 3339 or YYYY-MM-DD); the default is the last 30 days.
func (s *Server) period(r *http.Request) (time.Time, time.Time, error) {
	now := s.svc.Clock().Now()
	from, to := now.AddDate(0, 0, -30), now
	parse := func(name string, dst *time.Time) error {
		v := r.URL.Query().Get(name)
		if v == "" {
			return nil
		}
		for _, layout := range []string{time.RFC3339, "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				*dst = t.UTC()
				return nil
			}
		}
		return leadflow.Invalid(name, "must be an RFC 3339 time or a YYYY-MM-DD date")
	}
	if err := parse("from", &from); err != nil {
		return from, to, err
	}
	if err := parse("to", &to); err != nil {
		return from, to, err
	}
	if !to.After(from) {
		return from, to, leadflow.Invalid("to", "must be after from")
	}
	return from, to, nil
}

func (s *Server) listCosts(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	from, to, err := s.period(r)
	if err != nil {
		return err
	}
	var out []leadflow.Cost
	err = s.svc.Store().Read(r.Context(), func(tx leadflow.ReadTx) error {
		var err error
		out, err = tx.Costs(r.Context(), from, to)
		return err
	})
	if err != nil {
		return err
	}
	if out == nil {
		out = []leadflow.Cost{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *Server) cpsql(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	from, to, err := s.period(r)
	if err != nil {
		return err
	}
	rep, err := s.svc.CPSQL(r.Context(), from, to, r.URL.Query().Get("group_by"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (s *Server) funnel(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	from, to, err := s.period(r)
	if err != nil {
		return err
	}
	f, err := s.svc.Funnel(r.Context(), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	toks, err := s.svc.Tokens(r.Context())
	if err != nil {
		return err
	}
	if toks == nil {
		toks = []leadflow.Token{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": toks})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	var req service.TokenRequest
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &req); err != nil {
		return err
	}
	t, err := s.svc.CreateToken(r.Context(), req, "")
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if id == a.TokenID {
		return leadflow.Invalid("id", "a token cannot revoke itself; use another admin token")
	}
	if err := s.svc.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

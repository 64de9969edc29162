package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
)

// RoutingRulesBody is the body of GET and PUT /api/v1/routing/rules.
type RoutingRulesBody struct {
	Rules []service.RoutingRule `json:"rules"`
}

func (s *Server) getRoutingRules(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	return writeJSON(w, http.StatusOK, RoutingRulesBody{Rules: s.svc.RoutingRules()})
}

// putRoutingRules replaces the ordered routing rules (S-DIST); the last must be a catch-all.
func (s *Server) putRoutingRules(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	var body RoutingRulesBody
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &body); err != nil {
		return err
	}
	rules, err := s.svc.PutRoutingRules(r.Context(), body.Rules)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, RoutingRulesBody{Rules: rules})
}

// RecalculationBody is the body of GET /api/v1/routing/recalculation: the policy and the figures
// performance-derived weights use until the next recalculation.
type RecalculationBody struct {
	Policy   service.RecalcPolicy         `json:"policy"`
	Snapshot *service.PerformanceSnapshot `json:"snapshot"`
}

func (s *Server) getRecalculation(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	return writeJSON(w, http.StatusOK, RecalculationBody{Policy: s.svc.RecalcPolicy(), Snapshot: s.svc.PerformanceSnapshot()})
}

// putRecalculation replaces the weight recalculation policy (S-DIST-4).
func (s *Server) putRecalculation(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	var body service.RecalcPolicy
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &body); err != nil {
		return err
	}
	p, err := s.svc.PutRecalcPolicy(r.Context(), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// recalculate recalculates performance-derived weights now and returns the recorded changes.
func (s *Server) recalculate(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	res, err := s.svc.RecalculateWeights(r.Context(), a, true)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// leadAssignments returns a lead's routing decisions with explanations (S-DIST-11).
func (s *Server) leadAssignments(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	items, err := s.svc.Assignments(r.Context(), a, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// simulate runs a what-if simulation of distribution strategies (S-SIM-1).
func (s *Server) simulate(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	var req service.SimRequest
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &req); err != nil {
		return err
	}
	rep, err := s.svc.Simulate(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// importCalendar replaces a rep's calendar absences with an uploaded iCalendar file (S-REP-2).
func (s *Server) importCalendar(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rep, n, err := s.svc.ImportCalendar(r.Context(), id, http.MaxBytesReader(w, r.Body, MaxBulkBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return jsonError(err)
		}
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"imported": n, "rep": rep})
}

// ContactBody is the optional body of POST /api/v1/leads/{id}/contact.
type ContactBody struct {
	Note string `json:"note,omitempty"`
}

// logContact records the owning rep's first contact and stops the SLA timer (S-DIST-10).
func (s *Server) logContact(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var body ContactBody
	if r.ContentLength != 0 {
		if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &body); err != nil {
			return err
		}
	}
	res, err := s.svc.LogContact(r.Context(), a, id, body.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// routeLead routes an unowned lead now.
func (s *Server) routeLead(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	l, err := s.svc.RouteLead(r.Context(), a, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

// AssignBody is the body of POST /api/v1/leads/{id}/assign.
type AssignBody struct {
	RepID  int64  `json:"rep_id"`
	Reason string `json:"reason,omitempty"`
}

// assignLead gives a lead to a chosen rep by hand (a manager's reassignment).
func (s *Server) assignLead(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var body AssignBody
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &body); err != nil {
		return err
	}
	if body.RepID <= 0 {
		return leadflow.Invalid("rep_id", "is required: the id of the rep to give the lead to")
	}
	l, err := s.svc.Assign(r.Context(), a, id, body.RepID, body.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

// distribution reports a routing rule's distribution KPIs over a period (S-DIST-12).
func (s *Server) distribution(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	from, to, err := s.period(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var bf, bt *time.Time
	if q.Get("baseline_from") != "" || q.Get("baseline_to") != "" {
		f, err1 := parseDay(q.Get("baseline_from"))
		t, err2 := parseDay(q.Get("baseline_to"))
		if err1 != nil || err2 != nil || !t.After(f) {
			return leadflow.Invalid("baseline_to", "baseline_from and baseline_to must both be dates (RFC 3339 or YYYY-MM-DD), to after from")
		}
		bf, bt = &f, &t
	}
	rep, err := s.svc.Distribution(r.Context(), q.Get("rule_id"), from, to, bf, bt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func parseDay(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	return time.Parse("2006-01-02", v)
}

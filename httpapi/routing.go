package httpapi

import (
	"errors"
	"net/http"

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

package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/leadflow/leadflow"
)

// MaxBatch is the most leads or events one batch request may carry.
const MaxBatch = 5000

// EventResult is the outcome of one event of a request, in request order.
type EventResult struct {
	Index     int                   `json:"index"`
	ID        int64                 `json:"id,omitempty"`
	LeadID    int64                 `json:"lead_id,omitempty"`
	Duplicate bool                  `json:"duplicate,omitempty"` // an event with this event_id was already stored
	LeadNew   bool                  `json:"lead_created,omitempty"`
	Errors    []leadflow.FieldError `json:"errors,omitempty"`
}

// EventsResult is the answer to an event ingestion request.
type EventsResult struct {
	Accepted   int           `json:"accepted"`
	Duplicates int           `json:"duplicates"`
	Rejected   int           `json:"rejected"`
	Results    []EventResult `json:"results"`
}

// Status is the HTTP status of the answer: 202 when any event was accepted, else 200.
func (r EventsResult) Status() int {
	if r.Accepted > 0 {
		return 202
	}
	return 200
}

// RecordEvents stores activity events (S-LEAD-4) and rescores each touched lead once, in one
// transaction (S-SCORE-7). Invalid events are reported per row and the valid ones are kept;
// events referencing an unknown email create the lead when ingest settings allow it.
func (s *Service) RecordEvents(ctx context.Context, a Actor, in []leadflow.EventInput, idem *Idempotency) (EventsResult, *Replay, error) {
	if len(in) > MaxBatch {
		return EventsResult{}, nil, leadflow.Invalid("events", fmt.Sprintf("at most %d events per request", MaxBatch))
	}
	now := s.clock.Now()
	res := EventsResult{Results: make([]EventResult, len(in))}
	for i := range in {
		res.Results[i].Index = i
		res.Results[i].Errors = validateEventInput(&in[i], now)
	}
	var replay *Replay
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		var err error
		if replay, err = checkIdempotency(ctx, tx, idem); err != nil || replay != nil {
			return err
		}
		if err := s.recordEventsInTx(ctx, tx, fx, a, in, res.Results); err != nil {
			return err
		}
		res.Accepted, res.Duplicates, res.Rejected = 0, 0, 0
		for _, r := range res.Results {
			switch {
			case len(r.Errors) > 0:
				res.Rejected++
			case r.Duplicate:
				res.Duplicates++
			default:
				res.Accepted++
			}
		}
		return storeIdempotency(ctx, tx, idem, res.Status(), res, 0, now)
	})
	return res, replay, err
}

// touchedLead is a lead an event request changed, with the events that changed it.
type touchedLead struct {
	lead    *leadflow.Lead
	types   []string
	rebuild bool // scored by an older model: rebuild hits from all events
	consent bool
	stage   leadflow.Stage
}

func (s *Service) recordEventsInTx(ctx context.Context, tx leadflow.Tx, fx *effects, a Actor, in []leadflow.EventInput, results []EventResult) error {
	m, _, _, ingest := s.snapshot()
	version := m.Version()
	now := s.clock.Now()
	var ids []int64
	var exts, emails []string
	for i := range in {
		switch ev := &in[i]; {
		case len(results[i].Errors) > 0:
		case ev.LeadID != 0:
			ids = append(ids, ev.LeadID)
		case strings.TrimSpace(ev.ExternalID) != "":
			exts = append(exts, strings.TrimSpace(ev.ExternalID))
		default:
			emails = append(emails, ev.Email)
		}
	}
	ix, err := prefetchLeads(ctx, tx, ids, exts, emails)
	if err != nil {
		return err
	}
	touched := map[int64]*touchedLead{}
	var order []*touchedLead
	for i := range in {
		ev, r := &in[i], &results[i]
		if len(r.Errors) > 0 {
			continue
		}
		l, created, err := s.resolveLead(ctx, tx, fx, ix, a, ev, ingest)
		if err != nil {
			if e, ok := asError(err); ok && e.Code != leadflow.EINTERNAL {
				r.Errors = append(r.Errors, fieldErrors(e, "lead_id")...)
				continue
			}
			return err
		}
		t := touched[l.ID]
		if t == nil {
			t = &touchedLead{lead: l, rebuild: l.Score.ModelVersion != version, stage: l.Stage}
			touched[l.ID] = t
			order = append(order, t)
		}
		e := &leadflow.Event{EventID: strings.TrimSpace(ev.EventID), LeadID: l.ID, Type: ev.Type, Properties: ev.Properties, ReceivedAt: now, OccurredAt: now}
		if ev.OccurredAt != nil {
			e.OccurredAt = ev.OccurredAt.UTC()
		}
		inserted, err := tx.InsertEvent(ctx, e)
		if err != nil {
			return err
		}
		r.LeadID, r.LeadNew = l.ID, created
		if !inserted {
			r.Duplicate = true
			continue
		}
		r.ID = e.ID
		t.types = append(t.types, e.Type)
		if !t.rebuild {
			l.Hits, _ = m.Record(l.Hits, e, now)
		}
		if e.Type == "unsubscribe" && (l.Consent == nil || l.Consent["email"]) {
			if l.Consent == nil {
				l.Consent = map[string]bool{}
			}
			l.Consent["email"] = false // honour unsubscribe (S-LEAD-6)
			t.consent = true
		}
	}
	var narrow []leadflow.Lead
	for _, t := range order {
		if len(t.types) == 0 {
			continue
		}
		l := t.lead
		if t.rebuild {
			evs, err := tx.EventsByLead(ctx, l.ID)
			if err != nil {
				return err
			}
			l.Hits = m.HitsFromEvents(evs, now)
		}
		sc := s.score(l, now, true)
		// Most events change only the score: a narrow update leaves the indexed identity columns
		// alone. Consent and stage changes rewrite the whole lead.
		if t.consent || l.Stage != t.stage {
			l.UpdatedAt = now
			if err := tx.UpdateLead(ctx, l); err != nil {
				return err
			}
		} else {
			narrow = append(narrow, *l)
		}
		if t.consent {
			fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryConsent, Field: "consent.email", Old: "true", New: "false", Reason: "unsubscribe event"})
		}
		if err := s.recordScore(ctx, tx, fx, l, sc, a, eventReason(t.types)); err != nil {
			return err
		}
	}
	return tx.UpdateScores(ctx, narrow)
}

func eventReason(types []string) string {
	if len(types) == 1 {
		return "event " + types[0]
	}
	return fmt.Sprintf("%d events (%s …)", len(types), types[0])
}

// resolveLead finds the lead an event refers to, creating it for an unknown email when allowed.
func (s *Service) resolveLead(ctx context.Context, tx leadflow.Tx, fx *effects, ix *leadIndex, a Actor, ev *leadflow.EventInput, ingest IngestSettings) (*leadflow.Lead, bool, error) {
	var l *leadflow.Lead
	var err error
	ext := strings.TrimSpace(ev.ExternalID)
	switch {
	case ev.LeadID != 0:
		l, err = ix.byIDLookup(ctx, tx, ev.LeadID)
	case ext != "":
		l, err = ix.byExtLookup(ctx, tx, ext)
	default:
		l, err = ix.byEmailLookup(ctx, tx, ev.Email)
	}
	if err != nil || l != nil {
		return l, false, err
	}
	if ev.LeadID != 0 || ext != "" && strings.TrimSpace(ev.Email) == "" {
		return nil, false, &leadflow.Error{Code: leadflow.ENOTFOUND, Message: "lead not found",
			Fields: []leadflow.FieldError{{Field: refField(ev), Reason: "no lead with this " + refField(ev)}}}
	}
	if !ingest.CreateLeadsFromEvents {
		return nil, false, &leadflow.Error{Code: leadflow.ENOTFOUND, Message: "lead not found",
			Fields: []leadflow.FieldError{{Field: "email", Reason: "no lead with this email and creating leads from events is disabled"}}}
	}
	li := leadflow.LeadInput{}
	if ev.Lead != nil {
		li = *ev.Lead
	}
	email := strings.TrimSpace(ev.Email)
	li.Email = &email
	if ext != "" {
		li.ExternalID = &ext
	}
	if fe := validateLeadInput(&li, true); len(fe) > 0 {
		return nil, false, &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid lead", Fields: fe}
	}
	nl, _, err := s.upsertInTx(ctx, tx, fx, ix, a, &li)
	if err != nil {
		return nil, false, err
	}
	return nl, true, nil
}

func refField(ev *leadflow.EventInput) string {
	switch {
	case ev.LeadID != 0:
		return "lead_id"
	case strings.TrimSpace(ev.ExternalID) != "":
		return "external_id"
	default:
		return "email"
	}
}

// fieldErrors returns an error's field errors, or one naming field with the message.
func fieldErrors(e *leadflow.Error, field string) []leadflow.FieldError {
	if len(e.Fields) > 0 {
		return e.Fields
	}
	return []leadflow.FieldError{{Field: field, Reason: e.Message}}
}

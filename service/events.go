package service

import (
	"context"
	"fmt"
	"strings"
	"time"

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

// RecordEvents stores activity events (S-LEAD-4) and rescores each touched lead once (S-SCORE-7).
// Invalid events are reported per row and the valid ones are kept; events referencing an unknown
// email create the lead when ingest settings allow it.
//
// For batches, the pure work — reading the leads, matching rules, scoring — is planned on the
// reader pool before the write transaction, which keeps the single writer's transaction short;
// inside it, each planned lead is written only if its revision is unchanged and every one of its
// events was new, otherwise it is recomputed in the transaction.
func (s *Service) RecordEvents(ctx context.Context, a Actor, in []leadflow.EventInput, idem *Idempotency) (EventsResult, *Replay, error) {
	if len(in) > MaxBatch {
		return EventsResult{}, nil, leadflow.Invalid("events", fmt.Sprintf("at most %d events per request", MaxBatch))
	}
	now := s.clock.Now() // the request's receive time: default occurred_at and the scoring time
	res := EventsResult{Results: make([]EventResult, len(in))}
	for i := range in {
		res.Results[i].Index = i
		res.Results[i].Errors = validateEventInput(&in[i], now)
	}
	plan, err := s.planEvents(ctx, in, res.Results, now)
	if err != nil {
		return EventsResult{}, nil, err
	}
	var replay *Replay
	err = s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		var err error
		if replay, err = checkIdempotency(ctx, tx, idem); err != nil || replay != nil {
			return err
		}
		for i := range res.Results { // a retried transaction starts from the validation results
			r := &res.Results[i]
			*r = EventResult{Index: i, Errors: validateEventInput(&in[i], now)}
		}
		if err := s.applyEvents(ctx, tx, fx, a, in, res.Results, plan, now); err != nil {
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

// eventPlan is an event request's work done before its write transaction.
type eventPlan struct {
	leadOf map[int]int64          // input index → the lead it was resolved to (absent: resolve in the transaction)
	leads  map[int64]*plannedLead // by lead id
}

// plannedLead is one lead as read, and rescored as if all its events in the request are new.
type plannedLead struct {
	scored leadflow.Lead // Rev is the revision read
	sc     scoreChange
	events int  // how many of the request's events belong to it
	usable bool // false when only the transaction can do it right (old model, consent, stage)
}

// newEvent builds the stored event for input ev received at now.
func newEvent(ev *leadflow.EventInput, leadID int64, now time.Time) *leadflow.Event {
	e := &leadflow.Event{EventID: strings.TrimSpace(ev.EventID), LeadID: leadID, Type: ev.Type, Properties: ev.Properties, ReceivedAt: now, OccurredAt: now}
	if ev.OccurredAt != nil {
		e.OccurredAt = ev.OccurredAt.UTC()
	}
	return e
}

// planEvents reads the referenced leads on the reader pool and rescores them with the request's
// events. Nothing is written.
func (s *Service) planEvents(ctx context.Context, in []leadflow.EventInput, results []EventResult, now time.Time) (*eventPlan, error) {
	m, life, _, _ := s.snapshot()
	plan := &eventPlan{leadOf: map[int]int64{}, leads: map[int64]*plannedLead{}}
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
	if len(ids)+len(exts)+len(emails) < prefetchMin {
		return plan, nil // a small request is cheaper done whole inside the transaction
	}
	var leads []leadflow.Lead
	if err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		leads, err = tx.LeadsByKeys(ctx, ids, exts, emails)
		return err
	}); err != nil {
		return nil, err
	}
	ix := newLeadIndex()
	for i := range leads {
		ix.put(&leads[i])
	}
	for i := range in {
		ev := &in[i]
		if len(results[i].Errors) > 0 {
			continue
		}
		var l *leadflow.Lead
		switch ext := strings.TrimSpace(ev.ExternalID); {
		case ev.LeadID != 0:
			l = ix.byID[ev.LeadID]
		case ext != "":
			l = ix.byExt[ext]
		default:
			l = ix.byEmail[leadflow.NormalizeEmail(ev.Email)]
		}
		if l == nil {
			continue // unknown now: the transaction resolves (and may create) it
		}
		plan.leadOf[i] = l.ID
		p := plan.leads[l.ID]
		if p == nil {
			p = &plannedLead{scored: *cloneLead(l), usable: l.Score.ModelVersion == m.Version()}
			plan.leads[l.ID] = p
		}
		p.events++
		if ev.Type == "unsubscribe" {
			p.usable = false
		}
		if p.usable {
			p.scored.Hits, _ = m.Record(p.scored.Hits, newEvent(ev, l.ID, now), now)
		}
	}
	for _, p := range plan.leads {
		if p.usable {
			p.sc = applyScore(m, life, &p.scored, now, true)
			p.usable = p.sc.stageTo == ""
		}
	}
	return plan, nil
}

// applyEvents stores the events and writes each touched lead once, inside the transaction.
func (s *Service) applyEvents(ctx context.Context, tx leadflow.Tx, fx *effects, a Actor, in []leadflow.EventInput, results []EventResult, plan *eventPlan, now time.Time) error {
	_, _, _, ingest := s.snapshot()
	ix := newLeadIndex() // leads read inside the transaction
	stored := map[int64][]*leadflow.Event{}
	var order []int64
	for i := range in {
		ev, r := &in[i], &results[i]
		if len(r.Errors) > 0 {
			continue
		}
		id, created := plan.leadOf[i], false
		if id == 0 {
			l, isNew, err := s.resolveLead(ctx, tx, fx, ix, a, ev, ingest)
			if err != nil {
				if e, ok := asError(err); ok && e.Code != leadflow.EINTERNAL {
					r.Errors = append(r.Errors, fieldErrors(e, "lead_id")...)
					continue
				}
				return err
			}
			id, created = l.ID, isNew
		}
		e := newEvent(ev, id, now)
		inserted, err := tx.InsertEvent(ctx, e)
		if err != nil {
			return err
		}
		r.LeadID, r.LeadNew = id, created
		if !inserted {
			r.Duplicate = true
			continue
		}
		r.ID = e.ID
		if stored[id] == nil {
			order = append(order, id)
		}
		stored[id] = append(stored[id], e)
	}
	// Planned leads whose every event was new take the precomputed score with a revision check.
	var narrow []leadflow.Lead
	var fallback []int64
	for _, id := range order {
		if p := plan.leads[id]; p != nil && p.usable && p.events == len(stored[id]) && ix.byID[id] == nil {
			narrow = append(narrow, p.scored)
			continue
		}
		fallback = append(fallback, id)
	}
	skipped, err := tx.UpdateScoresIfCurrent(ctx, narrow)
	if err != nil {
		return err
	}
	stale := idSet(skipped)
	for i := range narrow {
		l := &narrow[i]
		if stale[l.ID] {
			fallback = append(fallback, l.ID)
			continue
		}
		if err := s.recordScore(ctx, tx, fx, l, plan.leads[l.ID].sc, a, eventReason(stored[l.ID])); err != nil {
			return err
		}
	}
	for _, id := range fallback {
		if err := s.rescoreWithEvents(ctx, tx, fx, ix, a, id, stored[id], now); err != nil {
			return err
		}
	}
	return nil
}

// rescoreWithEvents applies newly stored events to a lead inside the transaction: hits, consent,
// score, lifecycle, history.
func (s *Service) rescoreWithEvents(ctx context.Context, tx leadflow.Tx, fx *effects, ix *leadIndex, a Actor, id int64, evs []*leadflow.Event, now time.Time) error {
	m, _, _, _ := s.snapshot()
	l, err := ix.byIDLookup(ctx, tx, id)
	if err != nil {
		return err
	}
	if l == nil {
		return leadflow.Errorf(leadflow.ENOTFOUND, "lead %d not found", id)
	}
	stage := l.Stage
	if l.Score.ModelVersion != m.Version() { // scored by an older model: rebuild from every event
		all, err := tx.EventsByLead(ctx, l.ID)
		if err != nil {
			return err
		}
		l.Hits = m.HitsFromEvents(all, now)
	} else {
		for _, e := range evs {
			l.Hits, _ = m.Record(l.Hits, e, now)
		}
	}
	consent := false
	for _, e := range evs {
		if e.Type == "unsubscribe" && (l.Consent == nil || l.Consent["email"]) {
			if l.Consent == nil {
				l.Consent = map[string]bool{}
			}
			l.Consent["email"] = false // honour unsubscribe (S-LEAD-6)
			consent = true
		}
	}
	sc := s.score(l, now, true)
	if consent || l.Stage != stage {
		// Consent and stage changes rewrite the whole lead; most events change only the score.
		l.UpdatedAt = now
		err = tx.UpdateLead(ctx, l)
	} else {
		err = tx.UpdateScores(ctx, []leadflow.Lead{*l})
	}
	if err != nil {
		return err
	}
	if consent {
		fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryConsent, Field: "consent.email", Old: "true", New: "false", Reason: "unsubscribe event"})
	}
	return s.recordScore(ctx, tx, fx, l, sc, a, eventReason(evs))
}

func eventReason(evs []*leadflow.Event) string {
	if len(evs) == 1 {
		return "event " + evs[0].Type
	}
	return fmt.Sprintf("%d events (%s …)", len(evs), evs[0].Type)
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

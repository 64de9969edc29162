package service

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/score"
)

// LeadResult is the answer to an upsert.
type LeadResult struct {
	Lead    *leadflow.Lead `json:"lead"`
	Created bool           `json:"created"`
}

// fieldChange is one changed lead field.
type fieldChange struct{ field, old, new string }

// applyInput copies the set fields of in onto l and returns what changed (S-LEAD-2, S-LEAD-5).
func applyInput(l *leadflow.Lead, in *leadflow.LeadInput) []fieldChange {
	var ch []fieldChange
	set := func(field string, dst *string, src *string) {
		if src != nil && *dst != *src {
			ch = append(ch, fieldChange{field, *dst, *src})
			*dst = *src
		}
	}
	set("external_id", &l.ExternalID, in.ExternalID)
	set("email", &l.Email, in.Email)
	set("first_name", &l.FirstName, in.FirstName)
	set("last_name", &l.LastName, in.LastName)
	set("phone", &l.Phone, in.Phone)
	set("company", &l.Company, in.Company)
	set("industry", &l.Industry, in.Industry)
	set("job_title", &l.JobTitle, in.JobTitle)
	set("country", &l.Country, in.Country)
	set("region", &l.Region, in.Region)
	set("city", &l.City, in.City)
	set("timezone", &l.Timezone, in.Timezone)
	set("language", &l.Language, in.Language)
	set("source", &l.Source, in.Source)
	set("campaign", &l.Campaign, in.Campaign)
	if in.CompanySize != nil && l.CompanySize != *in.CompanySize {
		ch = append(ch, fieldChange{"company_size", strconv.Itoa(l.CompanySize), strconv.Itoa(*in.CompanySize)})
		l.CompanySize = *in.CompanySize
	}
	// Seniority is derived from the title unless given (S-LEAD-1).
	seniority := in.Seniority
	if (seniority == nil || *seniority == "") && in.JobTitle != nil {
		d := leadflow.DeriveSeniority(*in.JobTitle)
		seniority = &d
	}
	set("seniority", &l.Seniority, seniority)
	for k, v := range in.Custom {
		old, had := l.Custom[k]
		if v == nil {
			if had {
				delete(l.Custom, k)
				ch = append(ch, fieldChange{"custom." + k, fmt.Sprint(old), ""})
			}
			continue
		}
		if !had || fmt.Sprint(old) != fmt.Sprint(v) {
			if l.Custom == nil {
				l.Custom = map[string]any{}
			}
			l.Custom[k] = v
			ch = append(ch, fieldChange{"custom." + k, fmt.Sprint(old), fmt.Sprint(v)})
		}
	}
	for k, v := range in.Consent {
		if old, had := l.Consent[k]; !had || old != v {
			if l.Consent == nil {
				l.Consent = map[string]bool{}
			}
			l.Consent[k] = v
			ch = append(ch, fieldChange{"consent." + k, strconv.FormatBool(old), strconv.FormatBool(v)})
		}
	}
	return ch
}

// UpsertLead creates a lead or updates the one with the same external_id, else the same email
// (S-LEAD-2), and rescores it in the same transaction (S-SCORE-7).
func (s *Service) UpsertLead(ctx context.Context, a Actor, in leadflow.LeadInput, idem *Idempotency) (LeadResult, *Replay, error) {
	if fe := validateLeadInput(&in, true); len(fe) > 0 {
		return LeadResult{}, nil, &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid lead", Fields: fe}
	}
	var res LeadResult
	var replay *Replay
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		var err error
		if replay, err = checkIdempotency(ctx, tx, idem); err != nil || replay != nil {
			return err
		}
		exts, emails := inputKeys([]leadflow.LeadInput{in})
		ix, err := prefetchLeads(ctx, tx, nil, exts, emails)
		if err != nil {
			return err
		}
		res.Lead, res.Created, err = s.upsertInTx(ctx, tx, fx, ix, a, &in)
		if err != nil {
			return err
		}
		return storeIdempotency(ctx, tx, idem, statusFor(res.Created), res, res.Lead.ID, s.clock.Now())
	})
	return res, replay, err
}

func createdReason(l *leadflow.Lead) string {
	if l.Source == "" {
		return "created"
	}
	return "created from source " + l.Source
}

func statusFor(created bool) int {
	if created {
		return 201
	}
	return 200
}

// findExisting returns the lead an input refers to by external_id, then email; nil when new. An
// input whose external_id and email point at two different leads is a conflict.
func findExisting(ctx context.Context, tx leadflow.ReadTx, ix *leadIndex, in *leadflow.LeadInput) (*leadflow.Lead, error) {
	var byExt, byEmail *leadflow.Lead
	var err error
	if !empty(in.ExternalID) {
		if byExt, err = ix.byExtLookup(ctx, tx, *in.ExternalID); err != nil {
			return nil, err
		}
	}
	if !empty(in.Email) {
		if byEmail, err = ix.byEmailLookup(ctx, tx, *in.Email); err != nil {
			return nil, err
		}
	}
	switch {
	case byExt != nil && byEmail != nil && byExt.ID != byEmail.ID:
		return nil, &leadflow.Error{Code: leadflow.ECONFLICT, Message: "external_id and email belong to two different leads",
			Fields: []leadflow.FieldError{{Field: "email", Reason: fmt.Sprintf("already used by lead %d while external_id is lead %d", byEmail.ID, byExt.ID)}}}
	case byExt != nil:
		return byExt, nil
	default:
		return byEmail, nil
	}
}

// upsertInTx is the shared create-or-update path of single, batch, CSV and event-created leads.
// The lead index ix is updated with the result; a row that fails leaves it unchanged.
func (s *Service) upsertInTx(ctx context.Context, tx leadflow.Tx, fx *effects, ix *leadIndex, a Actor, in *leadflow.LeadInput) (*leadflow.Lead, bool, error) {
	now := s.clock.Now()
	existing, err := findExisting(ctx, tx, ix, in)
	if err != nil {
		return nil, false, err
	}
	if existing == nil {
		l := &leadflow.Lead{Stage: leadflow.StageNew, CreatedAt: now, UpdatedAt: now}
		applyInput(l, in)
		sc := s.score(l, now, true)
		var routed *preRouted
		if sc.stageTo == leadflow.StageMQL { // routed now, so that the row is written once, with its owner
			if routed, err = s.routeNewLead(ctx, tx, l, now); err != nil {
				return nil, false, err
			}
		}
		if err := tx.InsertLead(ctx, l); err != nil {
			if routed != nil {
				// The rotation already moved for this lead: the whole write must fail, not
				// only this row of a batch (which would skip a conflicting row and go on).
				return nil, false, fmt.Errorf("store a lead routed to rep %d: %v", routed.repID, err)
			}
			return nil, false, err
		}
		ix.put(l)
		// The created entry carries the first score; no separate score entry is written.
		fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryCreated, Field: "total",
			New: fmtPoints(l.Score.Total), Reason: createdReason(l), ModelVersion: l.Score.ModelVersion})
		if err := s.publish(ctx, tx, fx, s.subscriptions(), "lead.created", l); err != nil {
			return nil, false, err
		}
		if err := s.recordScore(ctx, tx, fx, l, sc, a, "created"); err != nil {
			return nil, false, err
		}
		if routed != nil {
			return l, true, s.recordAssignment(ctx, tx, fx, l, 0, routed.repID, routed.rule, routed.ex, a, "became an MQL", now)
		}
		return l, true, nil
	}
	l := cloneLead(existing)
	changes := applyInput(l, in)
	if len(changes) == 0 {
		return existing, false, nil
	}
	l.UpdatedAt = now
	sc := s.score(l, now, true)
	if err := tx.UpdateLead(ctx, l); err != nil {
		return nil, false, err
	}
	prev := *existing
	*existing = *l // the index keeps pointing at the lead's current state
	ix.replace(&prev, existing)
	entries := make([]leadflow.HistoryEntry, 0, len(changes))
	for _, c := range changes {
		kind := leadflow.HistoryField
		if len(c.field) > 8 && c.field[:8] == "consent." {
			kind = leadflow.HistoryConsent
		}
		entries = append(entries, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: kind, Field: c.field, Old: c.old, New: c.new})
	}
	fx.history = append(fx.history, entries...)
	return l, false, s.recordScore(ctx, tx, fx, l, sc, a, "fields changed")
}

// PatchLead updates fields of the lead with the given id.
func (s *Service) PatchLead(ctx context.Context, a Actor, id int64, in leadflow.LeadInput) (*leadflow.Lead, error) {
	if fe := validateLeadInput(&in, false); len(fe) > 0 {
		return nil, &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid lead", Fields: fe}
	}
	if in.Email != nil && *in.Email == "" && empty(in.ExternalID) {
		return nil, leadflow.Invalid("email", "cannot be cleared; a lead needs an email or an external_id")
	}
	return s.writeLead(ctx, a, id, func(tx leadflow.Tx, fx *effects, l *leadflow.Lead) error {
		if l.Email == "" && l.ExternalID == "" {
			return leadflow.Invalid("email", "a lead needs an email or an external_id")
		}
		if in.Email != nil && *in.Email != "" && leadflow.NormalizeEmail(*in.Email) != leadflow.NormalizeEmail(l.Email) {
			if other, err := tx.LeadByEmail(ctx, *in.Email); err == nil && other.ID != l.ID {
				return &leadflow.Error{Code: leadflow.ECONFLICT, Message: "email already used", Fields: []leadflow.FieldError{{Field: "email", Reason: fmt.Sprintf("already used by lead %d", other.ID)}}}
			}
		}
		changes := applyInput(l, &in)
		if len(changes) == 0 {
			return nil
		}
		now := s.clock.Now()
		l.UpdatedAt = now
		sc := s.score(l, now, true)
		if err := tx.UpdateLead(ctx, l); err != nil {
			return err
		}
		entries := make([]leadflow.HistoryEntry, 0, len(changes))
		for _, c := range changes {
			entries = append(entries, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryField, Field: c.field, Old: c.old, New: c.new})
		}
		fx.history = append(fx.history, entries...)
		return s.recordScore(ctx, tx, fx, l, sc, a, "fields changed")
	})
}

// visibleLead loads a lead the actor may see: a rep only its own (S-SEC-2).
func (s *Service) visibleLead(ctx context.Context, tx leadflow.ReadTx, a Actor, id int64) (*leadflow.Lead, error) {
	l, err := tx.LeadByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Role == leadflow.RoleRep && l.OwnerID != a.RepID {
		return nil, leadflow.Errorf(leadflow.ENOTFOUND, "lead not found")
	}
	return l, nil
}

// writeLead runs fn in one write transaction on the lead with the given id, as the actor may see
// it (a rep only its own leads), and returns the lead as fn leaves it.
func (s *Service) writeLead(ctx context.Context, a Actor, id int64, fn func(tx leadflow.Tx, fx *effects, l *leadflow.Lead) error) (*leadflow.Lead, error) {
	var out *leadflow.Lead
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		l, err := s.visibleLead(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := fn(tx, fx, l); err != nil {
			return err
		}
		out = l
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Lead returns one lead with its score decayed to now (S-SCORE-7: decay applied on read).
func (s *Service) Lead(ctx context.Context, a Actor, id int64) (*leadflow.Lead, error) {
	var l *leadflow.Lead
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		l, err = s.visibleLead(ctx, tx, a, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.liveScore(l)
	return l, nil
}

// ListLeads lists leads newest first; a rep sees only its own.
func (s *Service) ListLeads(ctx context.Context, a Actor, f leadflow.LeadFilter) ([]leadflow.Lead, error) {
	if a.Role == leadflow.RoleRep {
		if a.RepID == 0 {
			return nil, nil
		}
		f.OwnerID = a.RepID
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var out []leadflow.Lead
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		out, err = tx.ListLeads(ctx, f)
		return err
	})
	for i := range out {
		s.liveScore(&out[i])
	}
	return out, err
}

// liveScore recomputes a stored score at the current time when decay or expiry changed it.
func (s *Service) liveScore(l *leadflow.Lead) {
	now := s.clock.Now()
	if l.RescoreAt.IsZero() || now.Before(l.RescoreAt) {
		return
	}
	m, _, _, _ := s.snapshot()
	if m.Version() != l.Score.ModelVersion {
		return // the background rescoring job owns leads scored by an older model
	}
	l.Score = m.Evaluate(l, l.Hits, now).Score(now)
}

// History returns a lead's change history (S-LEAD-5).
func (s *Service) History(ctx context.Context, a Actor, id, after int64, limit int) ([]leadflow.HistoryEntry, error) {
	var out []leadflow.HistoryEntry
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		if _, err := s.visibleLead(ctx, tx, a, id); err != nil {
			return err
		}
		var err error
		if out, err = tx.History(ctx, id, after, limit); err != nil {
			return err
		}
		return s.withAssignmentReasons(ctx, tx, id, out)
	})
	return out, err
}

// EraseLead deletes a lead and everything personal about it (S-LEAD-6, GDPR Art. 17).
func (s *Service) EraseLead(ctx context.Context, a Actor, id int64, reason string) error {
	return s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		if err := tx.EraseLead(ctx, id); err != nil {
			return err
		}
		return s.publish(ctx, tx, fx, s.subscriptions(), "lead.erased", map[string]any{"id": id, "by": a.Name, "reason": reason})
	})
}

// LeadExport is everything held on a lead (S-LEAD-6, GDPR Art. 15/20).
type LeadExport struct {
	Lead       *leadflow.Lead          `json:"lead"`
	Score      *Explanation            `json:"score"`
	Events     []leadflow.Event        `json:"events"`
	History    []leadflow.HistoryEntry `json:"history"`
	ExportedAt time.Time               `json:"exported_at"`
}

// ExportLead gathers a lead, its score explanation, events and full history.
func (s *Service) ExportLead(ctx context.Context, a Actor, id int64) (*LeadExport, error) {
	out := &LeadExport{ExportedAt: s.clock.Now()}
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		if out.Lead, err = s.visibleLead(ctx, tx, a, id); err != nil {
			return err
		}
		if out.Events, err = tx.EventsByLead(ctx, id); err != nil {
			return err
		}
		for after := int64(0); ; {
			page, err := tx.History(ctx, id, after, 1000)
			if err != nil {
				return err
			}
			out.History = append(out.History, page...)
			if len(page) < 1000 {
				return s.withAssignmentReasons(ctx, tx, id, out.History)
			}
			after = page[len(page)-1].ID
		}
	})
	if err != nil {
		return nil, err
	}
	out.Score = s.explain(out.Lead)
	if out.Events == nil {
		out.Events = []leadflow.Event{}
	}
	return out, nil
}

// cloneLead copies a lead deeply enough for before/after comparison.
func cloneLead(l *leadflow.Lead) *leadflow.Lead {
	c := *l
	c.Custom = maps.Clone(l.Custom)
	c.Consent = maps.Clone(l.Consent)
	c.Criteria = maps.Clone(l.Criteria)
	c.Hits = maps.Clone(l.Hits)
	return &c
}

var _ = score.DecayResolution

package service

import (
	"context"
	"fmt"
	"time"

	"github.com/leadflow/leadflow"
)

// ContactResult is the answer to a logged first contact.
type ContactResult struct {
	Lead *leadflow.Lead `json:"lead"`
	// ResponseSeconds is the time from assignment to first contact, when a timer was running.
	ResponseSeconds *float64 `json:"response_seconds,omitempty"`
	// WithinSLA is false when the contact came after the deadline (the lead may have moved on).
	WithinSLA *bool `json:"within_sla,omitempty"`
}

// LogContact records the owning rep's first contact with a lead and stops its SLA timer
// (S-DIST-10). Logging again changes nothing and returns the first contact.
func (s *Service) LogContact(ctx context.Context, a Actor, leadID int64, note string) (*ContactResult, error) {
	if err := checkText("note", note); err != nil {
		return nil, err
	}
	res := &ContactResult{}
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		l, err := s.visibleLead(ctx, tx, a, leadID)
		if err != nil {
			return err
		}
		res.Lead = l
		if l.FirstContactAt != nil {
			return nil
		}
		if a.Role == leadflow.RoleRep && l.OwnerID != a.RepID {
			return leadflow.Errorf(leadflow.EFORBIDDEN, "only the owning rep logs the first contact")
		}
		now := s.clock.Now()
		timer, err := tx.SLATimer(ctx, l.ID)
		if err != nil {
			return err
		}
		reason := "first contact"
		if timer != nil {
			secs := now.Sub(timer.AssignedAt).Seconds()
			within := !now.After(timer.DueAt)
			res.ResponseSeconds, res.WithinSLA = &secs, &within
			reason = fmt.Sprintf("first contact %s after assignment", now.Sub(timer.AssignedAt).Round(time.Second))
			if err := tx.DeleteSLATimer(ctx, l.ID); err != nil {
				return err
			}
		}
		if note != "" {
			reason += ": " + note
		}
		l.FirstContactAt, l.UpdatedAt = &now, now
		if err := tx.UpdateLead(ctx, l); err != nil {
			return err
		}
		fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryContact, Field: "first_contact_at", New: now.Format(time.RFC3339), Reason: reason})
		return s.publish(ctx, tx, fx, s.subscriptions(), "lead.contacted", map[string]any{"lead_id": l.ID, "rep_id": l.OwnerID, "response_seconds": res.ResponseSeconds})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// SLAChunk is how many due timers one sweep transaction handles.
const SLAChunk = 200

// SLASweep handles response timers that ran out (S-DIST-10): the miss is recorded in the lead's
// history and sent as a lead.sla_missed event, and the lead is reassigned to another rep (never the
// one who missed) or unassigned, as its routing rule says. Timers live in the database, so a
// restart loses none. It returns how many misses it handled.
func (s *Service) SLASweep(ctx context.Context) (int, error) {
	n := 0
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		n = 0
		now := s.clock.Now()
		timers, err := tx.DueSLATimers(ctx, now, SLAChunk)
		if err != nil {
			return err
		}
		for _, t := range timers {
			if err := tx.DeleteSLATimer(ctx, t.LeadID); err != nil {
				return err
			}
			l, err := tx.LeadByID(ctx, t.LeadID)
			if isNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if l.OwnerID != t.RepID || l.FirstContactAt != nil {
				continue // reassigned by hand or contacted meanwhile
			}
			n++
			rule := s.ruleOfAssignment(ctx, tx, t)
			late := now.Sub(t.DueAt).Round(time.Second)
			fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: System.Name, Kind: leadflow.HistorySLA, Field: "owner",
				Old: fmt.Sprint(t.RepID), Reason: fmt.Sprintf("rep %d missed the response SLA (due %s, %s ago)", t.RepID, t.DueAt.Format(time.RFC3339), late)})
			if err := s.publish(ctx, tx, fx, s.subscriptions(), "lead.sla_missed", map[string]any{"lead_id": l.ID, "rep_id": t.RepID, "due_at": t.DueAt, "rule_id": rule.ID}); err != nil {
				return err
			}
			if err := tx.SetLeadOwner(ctx, l.ID, 0, now); err != nil {
				return err
			}
			l.OwnerID, l.UpdatedAt = 0, now
			if rule.OnSLAMiss == "unassign" {
				fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: System.Name, Kind: leadflow.HistoryOwner, Field: "owner",
					Old: fmt.Sprint(t.RepID), Reason: "unassigned after a missed SLA"})
				continue
			}
			if err := s.routeInTx(ctx, tx, fx, l, System, "reassigned after a missed SLA", now, map[int64]string{t.RepID: "missed the SLA on this lead"}); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// ruleOfAssignment finds the routing rule that made the timed assignment (zero when gone).
func (s *Service) ruleOfAssignment(ctx context.Context, tx leadflow.ReadTx, t leadflow.SLATimer) RoutingRule {
	as, err := tx.Assignments(ctx, t.LeadID)
	if err != nil {
		return RoutingRule{}
	}
	for _, a := range as {
		if a.ID == t.AssignmentID {
			for _, r := range s.RoutingRules() {
				if r.ID == a.RuleID {
					return r
				}
			}
		}
	}
	return RoutingRule{}
}

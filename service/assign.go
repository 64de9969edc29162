package service

import (
	"context"
	"fmt"

	"github.com/leadflow/leadflow"
)

// Assign gives a lead to a rep by hand: a manager's reassignment of an owned lead, or the
// assignment of an unowned one to a chosen rep (S-DIST-10, S-DIST-11). In one transaction it sets
// the owner, records an assignment with method "manual", the manager and the reason (its summary
// is the lead's history entry) and sends lead.assigned. An open pool entry of the lead is
// withdrawn, so nobody claims a lead that now has an owner, and the previous owner's response
// timer is dropped. No rotation moves: the next routed lead goes where it would have gone.
func (s *Service) Assign(ctx context.Context, a Actor, leadID, repID int64, reason string) (*leadflow.Lead, error) {
	if err := checkText("reason", reason); err != nil {
		return nil, err
	}
	return s.writeLead(ctx, a, leadID, func(tx leadflow.Tx, fx *effects, l *leadflow.Lead) error {
		cfg, err := s.routingConfigFor(ctx, tx)
		if err != nil {
			return err
		}
		rep := cfg.rep(repID)
		switch {
		case rep == nil:
			return leadflow.Invalid("rep_id", fmt.Sprintf("no rep has id %d", repID))
		case !rep.Active:
			return leadflow.Invalid("rep_id", fmt.Sprintf("rep %d (%s) is inactive", repID, rep.Name))
		case l.OwnerID == repID:
			return leadflow.Errorf(leadflow.ECONFLICT, "lead %d is already owned by rep %d", l.ID, repID)
		}
		if e, err := tx.PoolEntry(ctx, l.ID); err == nil && e.Status == leadflow.PoolOpen {
			if _, err := tx.SetPoolStatus(ctx, l.ID, leadflow.PoolWithdrawn); err != nil {
				return err
			}
			entry := *e
			fx.after = append(fx.after, func() { s.poolChanged(poolMsg{Kind: "closed", Entry: entry, Why: "withdrawn"}) })
		} else if err != nil && !isNotFound(err) {
			return err
		}
		if err := tx.DeleteSLATimer(ctx, l.ID); err != nil {
			return err
		}
		now := s.clock.Now()
		summary := fmt.Sprintf("%s was assigned this lead by hand by %s", rep.Name, a.Name)
		if reason != "" {
			summary += ": " + reason
		}
		ex := &RoutingExplanation{RuleID: MethodManual, Method: MethodManual, Summary: summary,
			Candidates: []RepDecision{{RepID: rep.ID, Name: rep.Name, Eligible: true}}}
		ex.Totals = candidateTotals(ex.Candidates)
		rule := compiledRule{RoutingRule: RoutingRule{ID: MethodManual, Method: MethodManual}}
		if err := s.assign(ctx, tx, fx, l, repID, rule, ex, a, reason, now); err != nil {
			return err
		}
		return nil
	})
}

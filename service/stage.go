package service

import (
	"context"
	"math"
	"strings"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/lifecycle"
)

// ChangeStage moves a lead to another lifecycle stage after checking that the transition is
// valid and, for SQL, that the qualification criteria are confirmed (S-LIFE-1, S-LIFE-2).
func (s *Service) ChangeStage(ctx context.Context, a Actor, id int64, req lifecycle.Request) (*leadflow.Lead, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	if err := checkText("reason", req.Reason); err != nil {
		return nil, err
	}
	if v := req.DealValue; v != nil && (*v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0) || *v > 1e15) {
		return nil, leadflow.Invalid("deal_value", "must be a non-negative amount")
	}
	return s.writeLead(ctx, a, id, func(tx leadflow.Tx, fx *effects, l *leadflow.Lead) error {
		criteria, err := s.Lifecycle().Check(l, req)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		from := l.Stage
		l.Stage, l.StageReason, l.Criteria, l.UpdatedAt = req.To, req.Reason, criteria, now
		if req.DealValue != nil {
			l.DealValue = *req.DealValue
		}
		if err := tx.UpdateLead(ctx, l); err != nil {
			return err
		}
		return s.recordStage(ctx, tx, fx, l, from, req.To, a, req.Reason, now)
	})
}

package service

import (
	"context"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/lifecycle"
)

// FunnelReport counts the leads that entered each stage in a period and the conversion between
// the main funnel steps (S-SCORE-12, S-LIFE-3). It reads the anonymous stage log, so erased leads
// still count.
type FunnelReport struct {
	From        time.Time                 `json:"from"`
	To          time.Time                 `json:"to"`
	Entered     map[leadflow.Stage]int    `json:"entered"`
	Conversions map[string]*float64       `json:"conversions"` // "mql→sql": share, null when the first step is empty
	BySource    map[string]map[string]int `json:"by_source"`   // source → stage → entries
}

// Funnel builds the funnel report for a period.
func (s *Service) Funnel(ctx context.Context, from, to time.Time) (*FunnelReport, error) {
	rep := &FunnelReport{From: from, To: to, Entered: map[leadflow.Stage]int{}, Conversions: map[string]*float64{}, BySource: map[string]map[string]int{}}
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		for _, st := range lifecycle.Stages() {
			if st == leadflow.StageNew {
				continue
			}
			changes, err := tx.StageChanges(ctx, st, from, to)
			if err != nil {
				return err
			}
			rep.Entered[st] = len(changes)
			for _, c := range changes {
				src := c.Source
				if src == "" {
					src = "(none)"
				}
				if rep.BySource[src] == nil {
					rep.BySource[src] = map[string]int{}
				}
				rep.BySource[src][string(st)]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	steps := [][2]leadflow.Stage{{leadflow.StageMQL, leadflow.StageSQL}, {leadflow.StageSQL, leadflow.StageOpportunity}, {leadflow.StageOpportunity, leadflow.StageCustomer}, {leadflow.StageMQL, leadflow.StageCustomer}}
	for _, st := range steps {
		key := string(st[0]) + "→" + string(st[1])
		if n := rep.Entered[st[0]]; n > 0 {
			v := round2(float64(rep.Entered[st[1]]) / float64(n))
			rep.Conversions[key] = &v
		} else {
			rep.Conversions[key] = nil
		}
	}
	return rep, nil
}

package service

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/route"
)

// catchUpHorizon is how long after an absence ends its catch-up may still be granted.
const catchUpHorizon = 14 * 24 * time.Hour

// catchUp moves reps back from an absence up the rule's rotation (S-REP-2 "optional catch-up boost
// after an absence"): by the leads the rule assigned while the rep was away times the rep's share
// now, capped at the rule's CatchUpMax. Each absence is boosted once per rule: the end of the last
// boosted absence is stored under its own key in the same transaction, and the boost is recorded
// in the weight change log and in the decision's explanation.
func (s *Service) catchUp(ctx context.Context, tx leadflow.Tx, r compiledRule, rot *route.Rotation, decisions []RepDecision, weights map[string]float64, now time.Time) error {
	cfg, err := s.routingConfigFor(ctx, tx)
	if err != nil {
		return err
	}
	total := 0.0
	for _, w := range weights {
		total += w
	}
	for i := range decisions {
		d := &decisions[i]
		id := strconv.FormatInt(d.RepID, 10)
		if !d.Eligible || weights[id] <= 0 || total <= 0 {
			continue
		}
		rep := cfg.rep(d.RepID)
		if rep == nil {
			continue
		}
		ab, ok := lastEndedAbsence(rep, now)
		if !ok {
			continue
		}
		key := fmt.Sprintf("catchup:%s:%d", r.ID, d.RepID)
		mark, err := tx.Rotation(ctx, key)
		if err != nil {
			return err
		}
		if len(mark) == 8 && int64(binary.BigEndian.Uint64(mark)) >= ab.To.UnixMilli() {
			continue // this absence was caught up already
		}
		away, err := tx.AssignmentsBetween(ctx, ab.From, ab.To)
		if err != nil {
			return err
		}
		missed := 0
		for _, a := range away {
			if a.RuleID == r.ID {
				missed++
			}
		}
		share := weights[id] / total
		// Rotation.Boost(x) nets the rep x·(1−share) leads once deficits are re-centred, so the
		// boost that yields `extra` more leads is extra/(1−share). A rep alone needs none.
		extra := math.Min(r.CatchUpMax, round6(float64(missed)*share))
		boost := 0.0
		if share < 1 {
			boost = math.Min(extra/(1-share), route.MaxBoost)
		}
		if err := tx.PutRotation(ctx, key, binary.BigEndian.AppendUint64(nil, uint64(ab.To.UnixMilli()))); err != nil {
			return err
		}
		if boost <= 0 {
			continue
		}
		if err := rot.Boost(id, boost); err != nil {
			return err
		}
		inputs, _ := json.Marshal(map[string]any{"rule": r.ID, "absence_from": ab.From, "absence_to": ab.To, "leads_while_away": missed, "share": round6(share), "cap": r.CatchUpMax, "rotation_boost": round6(boost)})
		why := ab.Reason
		if why == "" {
			why = "absence"
		}
		if err := tx.InsertWeightChanges(ctx, leadflow.WeightChange{RepID: d.RepID, At: now, Actor: "routing", Field: "catch_up:" + r.ID,
			New: fmt.Sprintf("+%g leads", extra), Reason: fmt.Sprintf("back from %s (%s – %s)", why, ab.From.Format(time.DateOnly), ab.To.Format(time.DateOnly)), Inputs: inputs}); err != nil {
			return err
		}
		d.Detail = fmt.Sprintf("catch-up of %g leads after %s: the rule assigned %d leads while away", extra, why, missed)
	}
	return nil
}

// lastEndedAbsence is the rep's most recent absence that ended within the catch-up horizon.
func lastEndedAbsence(rep *leadflow.Rep, now time.Time) (leadflow.Absence, bool) {
	var best leadflow.Absence
	found := false
	for _, a := range rep.Absences {
		if a.To.After(now) || now.Sub(a.To) > catchUpHorizon || !a.To.After(a.From) {
			continue
		}
		if !found || a.To.After(best.To) {
			best, found = a, true
		}
	}
	return best, found
}

package service

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/demo"
	"github.com/leadflow/leadflow/route"
)

// maxReplay bounds the leads one replay sends through the strategies.
const maxReplay = 200_000

// liveSimReps are the active reps as simulation input (S-SIM-1): conversion is their lead →
// opportunity rate of the last 90 days, deal value their average won deal × win rate.
func (s *Service) liveSimReps(ctx context.Context) ([]route.SimRep, error) {
	perf, err := s.Performance(ctx, DefaultPerformanceWindow)
	if err != nil {
		return nil, err
	}
	reps, err := RepKind.List(ctx, s)
	if err != nil {
		return nil, err
	}
	active := map[int64]bool{}
	for _, r := range reps {
		active[r.ID] = r.Active
	}
	var out []route.SimRep
	for _, p := range perf {
		if !active[p.RepID] {
			continue
		}
		value := 0.0
		if p.Won > 0 {
			value = round6(p.Revenue / float64(p.Won) * p.Rates.OpportunityToClose)
		}
		out = append(out, route.SimRep{ID: p.Name, Conversion: p.Rates.LeadToOpportunity, DealValue: value})
	}
	return out, nil
}

// replayLeads loads the leads of a replay (S-SIM-1) with their qualities: score over the mean
// score of the set (1 each when no lead has a score).
func (s *Service) replayLeads(ctx context.Context, req SimRequest) ([]route.ReplayLead, error) {
	var leads []route.ReplayLead
	var scores []float64
	switch req.Replay {
	case ReplayDatabase:
		err := s.read(ctx, func(tx leadflow.ReadTx) error {
			mqls, err := tx.StageChanges(ctx, leadflow.StageMQL, req.Period.From, req.Period.To)
			if err != nil {
				return err
			}
			if len(mqls) > maxReplay {
				return leadflow.Invalid("period", fmt.Sprintf("holds %d MQLs; a replay takes at most %d", len(mqls), maxReplay))
			}
			ids := make([]int64, 0, len(mqls))
			for _, c := range mqls {
				if c.LeadID != 0 {
					ids = append(ids, c.LeadID)
				}
			}
			found, err := tx.LeadsByKeys(ctx, ids, nil, nil)
			if err != nil {
				return err
			}
			byID := make(map[int64]*leadflow.Lead, len(found))
			for i := range found {
				byID[found[i].ID] = &found[i]
			}
			for _, id := range ids { // in the order they became MQLs
				if l := byID[id]; l != nil {
					leads = append(leads, route.ReplayLead{ID: strconv.FormatInt(id, 10), DealValue: l.DealValue})
					scores = append(scores, l.Score.Total)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	case ReplayCSV:
		var err error
		if leads, scores, err = csvReplay(req.LeadsCSV); err != nil {
			return nil, err
		}
	case ReplayGenerated:
		model, _, _, _ := s.snapshot()
		now := s.clock.Now()
		for i, g := range demo.Generate(demo.Options{Leads: req.Leads, Seed: req.Seed, Now: now}).Leads {
			l := &leadflow.Lead{}
			applyInput(l, &g.Input)
			leads = append(leads, route.ReplayLead{ID: "generated-" + strconv.Itoa(i+1)})
			scores = append(scores, model.Evaluate(l, nil, now).Total)
		}
	}
	mean := route.Mean(scores)
	for i := range leads {
		leads[i].Quality = 1
		if mean > 0 {
			leads[i].Quality = scores[i] / mean
		}
	}
	return leads, nil
}

// csvReplay reads replay leads from CSV: a header naming any of id, email, score, deal_value.
func csvReplay(text string) ([]route.ReplayLead, []float64, error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, leadflow.Invalid("leads_csv", "needs a header row: "+err.Error())
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var leads []route.ReplayLead
	var scores []float64
	var fe []leadflow.FieldError
	err = eachCSVRecord(cr, func(line int, rec []string) error {
		id := field(rec, "id")
		if id == "" {
			id = field(rec, "email")
		}
		if id == "" {
			id = "row " + strconv.Itoa(line)
		}
		num := func(name string) float64 {
			v := field(rec, name)
			if v == "" {
				return 0
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				fe = append(fe, leadflow.FieldError{Field: "leads_csv." + name, Reason: "must be a non-negative number", Row: line})
			}
			return f
		}
		score, value := num("score"), num("deal_value")
		leads = append(leads, route.ReplayLead{ID: id, DealValue: value})
		scores = append(scores, score)
		if len(leads) > maxReplay {
			return leadflow.Invalid("leads_csv", fmt.Sprintf("a replay takes at most %d leads", maxReplay))
		}
		return nil
	}, func(r RowResult) { fe = append(fe, r.Errors...) })
	if err != nil {
		return nil, nil, err
	}
	if len(fe) > 0 {
		return nil, nil, &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid replay CSV", Fields: fe}
	}
	if len(leads) == 0 {
		return nil, nil, leadflow.Invalid("leads_csv", "holds no leads")
	}
	return leads, scores, nil
}

package service

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
)

// AddCost records marketing or sales spend for a source/campaign and period (S-LIFE-3).
func (s *Service) AddCost(ctx context.Context, c leadflow.Cost) (*leadflow.Cost, error) {
	var fe []leadflow.FieldError
	c.Source, c.Campaign, c.Currency = strings.TrimSpace(c.Source), strings.TrimSpace(c.Campaign), strings.ToUpper(strings.TrimSpace(c.Currency))
	if c.From.IsZero() {
		fe = append(fe, leadflow.FieldError{Field: "from", Reason: "is required (RFC 3339 time)"})
	}
	if c.To.IsZero() || !c.To.After(c.From) {
		fe = append(fe, leadflow.FieldError{Field: "to", Reason: "is required and must be after from"})
	}
	if math.IsNaN(c.Amount) || math.IsInf(c.Amount, 0) || c.Amount < 0 {
		fe = append(fe, leadflow.FieldError{Field: "amount", Reason: "must be a non-negative number"})
	}
	if c.Currency != "" && len(c.Currency) != 3 {
		fe = append(fe, leadflow.FieldError{Field: "currency", Reason: "must be an ISO 4217 code such as EUR"})
	}
	if len(fe) > 0 {
		return nil, &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid cost", Fields: fe}
	}
	err := s.store.Write(ctx, func(tx leadflow.Tx) error { return tx.InsertCost(ctx, &c) })
	return &c, err
}

// CPSQLRow is cost per SQL for one group over a period.
type CPSQLRow struct {
	Group string   `json:"group"`
	Cost  float64  `json:"cost"`
	SQLs  int      `json:"sqls"`
	CPSQL *float64 `json:"cpsql"` // null when there were no SQLs
}

// CPSQLReport is cost per SQL (S-LIFE-3): total cost / number of SQLs, for a period, overall and
// per source or campaign. A cost entry overlapping the period counts pro rata by time.
type CPSQLReport struct {
	From    time.Time  `json:"from"`
	To      time.Time  `json:"to"`
	GroupBy string     `json:"group_by"`
	Total   CPSQLRow   `json:"total"`
	Rows    []CPSQLRow `json:"rows"`
}

// CPSQL computes the cost-per-SQL report; groupBy is "source", "campaign" or "".
func (s *Service) CPSQL(ctx context.Context, from, to time.Time, groupBy string) (*CPSQLReport, error) {
	if groupBy != "" && groupBy != "source" && groupBy != "campaign" {
		return nil, leadflow.Invalid("group_by", "must be source or campaign")
	}
	if !to.After(from) {
		return nil, leadflow.Invalid("to", "must be after from")
	}
	var costs []leadflow.Cost
	var sqls []leadflow.StageChange
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		if costs, err = tx.Costs(ctx, from, to); err != nil {
			return err
		}
		sqls, err = tx.StageChanges(ctx, leadflow.StageSQL, from, to)
		return err
	})
	if err != nil {
		return nil, err
	}
	rows := map[string]*CPSQLRow{}
	row := func(g string) *CPSQLRow {
		if rows[g] == nil {
			rows[g] = &CPSQLRow{Group: g}
		}
		return rows[g]
	}
	rep := &CPSQLReport{From: from, To: to, GroupBy: groupBy, Total: CPSQLRow{Group: "total"}}
	seen := map[int64]bool{} // a lead that becomes an SQL twice in the period counts once
	for _, c := range sqls {
		if c.LeadID != 0 {
			if seen[c.LeadID] {
				continue
			}
			seen[c.LeadID] = true
		}
		rep.Total.SQLs++
		if groupBy != "" {
			row(groupKey(groupBy, c.Source, c.Campaign)).SQLs++
		}
	}
	for _, c := range costs {
		share := overlap(c.From, c.To, from, to) / c.To.Sub(c.From).Seconds()
		amount := c.Amount * share
		rep.Total.Cost += amount
		if groupBy != "" {
			row(groupKey(groupBy, c.Source, c.Campaign)).Cost += amount
		}
	}
	finish := func(r *CPSQLRow) {
		r.Cost = round2(r.Cost)
		if r.SQLs > 0 {
			v := round2(r.Cost / float64(r.SQLs))
			r.CPSQL = &v
		}
	}
	finish(&rep.Total)
	for _, r := range rows {
		finish(r)
		rep.Rows = append(rep.Rows, *r)
	}
	sort.Slice(rep.Rows, func(i, j int) bool { return rep.Rows[i].Group < rep.Rows[j].Group })
	if rep.Rows == nil {
		rep.Rows = []CPSQLRow{}
	}
	return rep, nil
}

func groupKey(by, source, campaign string) string {
	v := source
	if by == "campaign" {
		v = campaign
	}
	if v == "" {
		return "(none)"
	}
	return v
}

func overlap(a0, a1, b0, b1 time.Time) float64 {
	start, end := a0, a1
	if b0.After(start) {
		start = b0
	}
	if b1.Before(end) {
		end = b1
	}
	if !end.After(start) {
		return 0
	}
	return end.Sub(start).Seconds()
}

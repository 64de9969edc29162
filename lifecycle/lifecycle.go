// Package lifecycle is the qualification state machine (S-LIFE-1, S-LIFE-2, S-SCORE-6): which
// stage transitions are valid, what a transition to SQL requires, and when a score moves a lead to
// MQL automatically. It is pure: no I/O, no clock.
package lifecycle

import (
	"fmt"
	"slices"
	"strings"

	"github.com/leadflow/leadflow"
)

// Config holds the lifecycle thresholds and qualification criteria (S-CLI-2 "lifecycle").
type Config struct {
	// MQLThreshold is the total score at which a new or nurtured lead becomes an MQL (default 50).
	MQLThreshold float64 `json:"mql_threshold" yaml:"mql_threshold"`
	// UnqualifiedBelow marks leads under this total as unqualified (default 25).
	UnqualifiedBelow float64 `json:"unqualified_below" yaml:"unqualified_below"`
	// Criteria a rep must confirm before a lead becomes an SQL (default BANT).
	Criteria []string `json:"criteria" yaml:"criteria"`
	// SQLGrades are the fit grades that match the ideal customer profile; an SQL needs one of them
	// (default A, B, C). Empty allows any grade.
	SQLGrades []string `json:"sql_grades" yaml:"sql_grades"`
}

// DefaultConfig is the seed's lifecycle: MQL at 50, unqualified below 25, BANT, grades A–C.
func DefaultConfig() Config {
	return Config{
		MQLThreshold:     50,
		UnqualifiedBelow: 25,
		Criteria:         []string{"budget", "authority", "need", "timeline"},
		SQLGrades:        []string{"A", "B", "C"},
	}
}

// Validate reports the first problems of c as field errors.
func (c Config) Validate() error {
	var fe []leadflow.FieldError
	if c.MQLThreshold <= c.UnqualifiedBelow {
		fe = append(fe, leadflow.FieldError{Field: "lifecycle.mql_threshold", Reason: "must be greater than unqualified_below"})
	}
	for i, k := range c.Criteria {
		if strings.TrimSpace(k) == "" {
			fe = append(fe, leadflow.FieldError{Field: fmt.Sprintf("lifecycle.criteria[%d]", i), Reason: "must not be empty"})
		}
	}
	for i, g := range c.SQLGrades {
		if !slices.Contains([]string{"A", "B", "C", "D"}, g) {
			fe = append(fe, leadflow.FieldError{Field: fmt.Sprintf("lifecycle.sql_grades[%d]", i), Reason: "must be one of A, B, C, D"})
		}
	}
	if len(fe) > 0 {
		return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid lifecycle configuration", Fields: fe}
	}
	return nil
}

// transitions lists the valid moves from each stage (S-LIFE-1). Terminal customer has none.
var transitions = map[leadflow.Stage][]leadflow.Stage{
	leadflow.StageNew:          {leadflow.StageMQL, leadflow.StageSAL, leadflow.StageSQL, leadflow.StageDisqualified, leadflow.StageNurture},
	leadflow.StageMQL:          {leadflow.StageSAL, leadflow.StageSQL, leadflow.StageDisqualified, leadflow.StageNurture},
	leadflow.StageSAL:          {leadflow.StageSQL, leadflow.StageDisqualified, leadflow.StageNurture},
	leadflow.StageSQL:          {leadflow.StageOpportunity, leadflow.StageLost, leadflow.StageDisqualified, leadflow.StageNurture},
	leadflow.StageOpportunity:  {leadflow.StageCustomer, leadflow.StageLost},
	leadflow.StageCustomer:     {},
	leadflow.StageLost:         {leadflow.StageNurture},
	leadflow.StageDisqualified: {leadflow.StageNurture},
	leadflow.StageNurture:      {leadflow.StageMQL, leadflow.StageSAL, leadflow.StageDisqualified},
}

// Stages lists every stage in funnel order.
func Stages() []leadflow.Stage {
	return []leadflow.Stage{leadflow.StageNew, leadflow.StageMQL, leadflow.StageSAL, leadflow.StageSQL,
		leadflow.StageOpportunity, leadflow.StageCustomer, leadflow.StageLost, leadflow.StageDisqualified, leadflow.StageNurture}
}

// ValidStage reports whether s is a known stage.
func ValidStage(s leadflow.Stage) bool {
	_, ok := transitions[s]
	return ok
}

// Next lists the stages a lead in stage s may move to.
func Next(s leadflow.Stage) []leadflow.Stage { return slices.Clone(transitions[s]) }

// Request is a stage change asked for by a person or a system.
type Request struct {
	To       leadflow.Stage  `json:"stage"`
	Reason   string          `json:"reason,omitempty"`
	Criteria map[string]bool `json:"criteria,omitempty"` // confirmed qualification criteria (for sql)
	// DealValue sets the lead's deal amount, typically on opportunity or customer.
	DealValue *float64 `json:"deal_value,omitempty"`
}

// Check validates moving lead to r.To under c and returns the criteria to store on the lead.
// Errors name the field and reason: an invalid transition, a disqualification or loss without a
// reason, or an SQL without every configured criterion confirmed or outside the ideal profile.
func (c Config) Check(lead *leadflow.Lead, r Request) (map[string]bool, error) {
	if !ValidStage(r.To) {
		return nil, leadflow.Invalid("stage", fmt.Sprintf("unknown stage %q; use one of %s", r.To, join(Stages())))
	}
	if r.To == lead.Stage {
		return nil, leadflow.Invalid("stage", fmt.Sprintf("lead is already %s", r.To))
	}
	if !slices.Contains(transitions[lead.Stage], r.To) {
		return nil, &leadflow.Error{Code: leadflow.ECONFLICT,
			Message: fmt.Sprintf("a lead cannot move from %s to %s; allowed: %s", lead.Stage, r.To, join(transitions[lead.Stage])),
			Fields:  []leadflow.FieldError{{Field: "stage", Reason: fmt.Sprintf("invalid transition %s → %s", lead.Stage, r.To)}}}
	}
	if (r.To == leadflow.StageDisqualified || r.To == leadflow.StageLost) && strings.TrimSpace(r.Reason) == "" {
		return nil, leadflow.Invalid("reason", fmt.Sprintf("a reason is required to mark a lead %s", r.To))
	}
	criteria := mergeCriteria(lead.Criteria, r.Criteria)
	if r.To == leadflow.StageSQL {
		var fe []leadflow.FieldError
		for _, k := range c.Criteria {
			if !criteria[k] {
				fe = append(fe, leadflow.FieldError{Field: "criteria." + k, Reason: "must be confirmed (true) before a lead becomes an SQL"})
			}
		}
		if len(c.SQLGrades) > 0 && !slices.Contains(c.SQLGrades, lead.Score.Grade) {
			fe = append(fe, leadflow.FieldError{Field: "score.grade", Reason: fmt.Sprintf("fit grade %s is outside the ideal customer profile (%s)", lead.Score.Grade, strings.Join(c.SQLGrades, ", "))})
		}
		if len(fe) > 0 {
			return nil, &leadflow.Error{Code: leadflow.EINVALID, Message: "qualification criteria not met for sql", Fields: fe}
		}
	}
	return criteria, nil
}

// AutoStage returns the stage a lead moves to by itself after its score changed (S-LIFE-2): a new
// or nurtured lead at or above the MQL threshold becomes an MQL. ok is false when nothing moves.
func (c Config) AutoStage(lead *leadflow.Lead) (leadflow.Stage, bool) {
	if (lead.Stage == leadflow.StageNew || lead.Stage == leadflow.StageNurture) && lead.Score.Total >= c.MQLThreshold {
		return leadflow.StageMQL, true
	}
	return "", false
}

// Unqualified reports whether the lead's total is below the unqualified threshold (S-SCORE-6).
func (c Config) Unqualified(lead *leadflow.Lead) bool { return lead.Score.Total < c.UnqualifiedBelow }

func mergeCriteria(have, add map[string]bool) map[string]bool {
	if len(have) == 0 && len(add) == 0 {
		return nil
	}
	out := make(map[string]bool, len(have)+len(add))
	for k, v := range have {
		out[k] = v
	}
	for k, v := range add {
		out[k] = v
	}
	return out
}

func join(s []leadflow.Stage) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = string(x)
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ", ")
}

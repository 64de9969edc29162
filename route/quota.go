package route

import (
	"fmt"
	"math"

	"github.com/leadflow/leadflow"
)

// QuotaStep is one rung of a quota-progressive allocation (S-DIST-8): a rep whose quota
// attainment has reached From gets LeadsPerWeek leads a week.
type QuotaStep struct {
	From         float64 `json:"from" yaml:"from"` // attainment as a fraction, 0.5 = 50% of quota
	LeadsPerWeek int     `json:"leads_per_week" yaml:"leads_per_week"`
}

// QuotaLadder is a quota-progressive allocation (S-DIST-8): steps in ascending order of From, the
// first from 0.
type QuotaLadder []QuotaStep

// DefaultQuotaLadder is 000's ladder (S-DIST-8): 0–50% of quota → 10 leads a week (base), 50–75%
// → 12 (+25%), 75–100% → 15 (+50%), 100% and more → 20 (+100%). It is recalculated monthly by the
// caller.
var DefaultQuotaLadder = QuotaLadder{{0, 10}, {0.50, 12}, {0.75, 15}, {1.00, 20}}

// quotaEpsilon absorbs floating-point noise at the boundaries: 0.1+0.4 counts as 50%.
const quotaEpsilon = 1e-9

// Weekly returns the weekly allocation for a quota attainment (S-DIST-8). Each boundary belongs to
// the higher step — reaching a milestone earns its allocation, as 000's "100%+ → 20" says — so
// exactly 50% gives 12, exactly 75% gives 15 and exactly 100% gives 20; 49.9% gives 10.
// Attainment below the first step (negative, NaN) gets the first step.
func (l QuotaLadder) Weekly(attainment float64) int {
	if len(l) == 0 {
		return 0
	}
	leads := l[0].LeadsPerWeek
	if math.IsNaN(attainment) {
		return leads
	}
	for _, s := range l[1:] {
		if attainment+quotaEpsilon >= s.From {
			leads = s.LeadsPerWeek
		}
	}
	return leads
}

// WeeklyAllocation is DefaultQuotaLadder.Weekly (S-DIST-8).
func WeeklyAllocation(attainment float64) int { return DefaultQuotaLadder.Weekly(attainment) }

// Validate reports the problems of l as field errors under "quota_ladder" (S-DIST-8).
func (l QuotaLadder) Validate() error {
	var fe []leadflow.FieldError
	if len(l) == 0 {
		fe = append(fe, leadflow.FieldError{Field: "quota_ladder", Reason: "must have at least one step"})
	}
	for i, s := range l {
		switch {
		case i == 0 && s.From != 0:
			fe = append(fe, leadflow.FieldError{Field: "quota_ladder[0].from", Reason: "the first step must start at 0"})
		case i > 0 && !(s.From > l[i-1].From):
			fe = append(fe, leadflow.FieldError{Field: fmt.Sprintf("quota_ladder[%d].from", i), Reason: "steps must be in ascending order of from"})
		}
		if s.LeadsPerWeek < 0 {
			fe = append(fe, leadflow.FieldError{Field: fmt.Sprintf("quota_ladder[%d].leads_per_week", i), Reason: "must not be negative"})
		}
	}
	if len(fe) > 0 {
		return &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid quota ladder", Fields: fe}
	}
	return nil
}

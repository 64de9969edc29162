package route_test

import (
	"errors"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/route"
)

// TestWeeklyAllocation checks 000's quota-progressive ladder and its boundaries: each milestone
// earns its allocation when reached (S-DIST-8).
func TestWeeklyAllocation(t *testing.T) {
	for _, c := range []struct {
		attainment float64
		want       int
	}{
		{-0.1, 10}, {0, 10}, {0.25, 10}, {0.4999, 10},
		{0.50, 12}, {0.1 + 0.4, 12}, {0.60, 12}, {0.7499, 12},
		{0.75, 15}, {0.90, 15}, {0.9999, 15},
		{1.00, 20}, {1.20, 20}, {3, 20},
	} {
		if got := route.WeeklyAllocation(c.attainment); got != c.want {
			t.Errorf("attainment %v → %d leads/week, want %d", c.attainment, got, c.want)
		}
	}
}

// TestQuotaLadderValidate checks ladder configuration errors carry field paths (S-DIST-8).
func TestQuotaLadderValidate(t *testing.T) {
	if err := route.DefaultQuotaLadder.Validate(); err != nil {
		t.Fatal(err)
	}
	err := route.QuotaLadder{{0.1, 10}, {0.05, -1}}.Validate()
	var e *leadflow.Error
	if !errors.As(err, &e) || len(e.Fields) != 3 || e.Fields[0].Field != "quota_ladder[0].from" ||
		e.Fields[1].Field != "quota_ladder[1].from" || e.Fields[2].Field != "quota_ladder[1].leads_per_week" {
		t.Fatalf("%v", err)
	}
	if route.QuotaLadder(nil).Validate() == nil || route.QuotaLadder(nil).Weekly(1) != 0 {
		t.Fatal("empty ladder")
	}
}

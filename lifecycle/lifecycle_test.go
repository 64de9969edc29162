package lifecycle

import (
	"testing"

	"github.com/leadflow/leadflow"
)

var bant = map[string]bool{"budget": true, "authority": true, "need": true, "timeline": true}

// TestTransitions walks S-LIFE-1's state machine: every pair of stages is either allowed by the
// table or rejected as a conflict naming the stage field.
func TestTransitions(t *testing.T) {
	c := DefaultConfig()
	allowed := map[[2]leadflow.Stage]bool{}
	for from, tos := range transitions {
		for _, to := range tos {
			allowed[[2]leadflow.Stage{from, to}] = true
		}
	}
	for _, from := range Stages() {
		for _, to := range Stages() {
			if from == to {
				continue
			}
			l := &leadflow.Lead{Stage: from, Score: leadflow.Score{Grade: "A"}}
			_, err := c.Check(l, Request{To: to, Reason: "because", Criteria: bant})
			switch {
			case allowed[[2]leadflow.Stage{from, to}] && err != nil:
				t.Errorf("%s → %s rejected: %v", from, to, err)
			case !allowed[[2]leadflow.Stage{from, to}] && leadflow.ErrorCode(err) != leadflow.ECONFLICT:
				t.Errorf("%s → %s: got %v, want a conflict", from, to, err)
			}
		}
	}
	if len(Next(leadflow.StageCustomer)) != 0 {
		t.Error("customer must be terminal")
	}
}

// TestSQLRequiresCriteriaAndProfile proves S-LIFE-2: BANT must be confirmed (criteria merge with
// those confirmed earlier) and the fit grade must be inside the ideal customer profile.
func TestSQLRequiresCriteriaAndProfile(t *testing.T) {
	c := DefaultConfig()
	l := &leadflow.Lead{Stage: leadflow.StageSAL, Score: leadflow.Score{Grade: "B"}, Criteria: map[string]bool{"budget": true, "need": true}}
	_, err := c.Check(l, Request{To: leadflow.StageSQL, Criteria: map[string]bool{"authority": true}})
	e, ok := err.(*leadflow.Error)
	if !ok || len(e.Fields) != 1 || e.Fields[0].Field != "criteria.timeline" {
		t.Fatalf("missing timeline: %v", err)
	}
	got, err := c.Check(l, Request{To: leadflow.StageSQL, Criteria: map[string]bool{"authority": true, "timeline": true}})
	if err != nil || len(got) != 4 {
		t.Fatalf("all four confirmed across two requests: %v %v", got, err)
	}
	l.Score.Grade = "D"
	if _, err := c.Check(l, Request{To: leadflow.StageSQL, Criteria: bant}); err == nil {
		t.Fatal("grade D became an SQL")
	}
	c.SQLGrades = nil
	if _, err := c.Check(l, Request{To: leadflow.StageSQL, Criteria: bant}); err != nil {
		t.Fatalf("with no profile restriction: %v", err)
	}
	c.Criteria = []string{"champion"}
	if _, err := c.Check(l, Request{To: leadflow.StageSQL, Criteria: bant}); err == nil {
		t.Fatal("configured criterion champion was not required")
	}
}

// TestReasonsAndAutoStage: disqualification and loss need a reason; the MQL threshold moves new
// and nurtured leads only (S-SCORE-6).
func TestReasonsAndAutoStage(t *testing.T) {
	c := DefaultConfig()
	if _, err := c.Check(&leadflow.Lead{Stage: leadflow.StageMQL}, Request{To: leadflow.StageDisqualified}); leadflow.ErrorCode(err) != leadflow.EINVALID {
		t.Fatalf("disqualify without reason: %v", err)
	}
	for stage, want := range map[leadflow.Stage]bool{leadflow.StageNew: true, leadflow.StageNurture: true, leadflow.StageSQL: false, leadflow.StageMQL: false} {
		_, moved := c.AutoStage(&leadflow.Lead{Stage: stage, Score: leadflow.Score{Total: 50}})
		if moved != want {
			t.Errorf("%s at 50: moved=%v, want %v", stage, moved, want)
		}
	}
	if _, moved := c.AutoStage(&leadflow.Lead{Stage: leadflow.StageNew, Score: leadflow.Score{Total: 49.99}}); moved {
		t.Error("49.99 reached the MQL threshold of 50")
	}
	if !c.Unqualified(&leadflow.Lead{Score: leadflow.Score{Total: 24}}) || c.Unqualified(&leadflow.Lead{Score: leadflow.Score{Total: 25}}) {
		t.Error("unqualified threshold is below 25")
	}
	bad := Config{MQLThreshold: 20, UnqualifiedBelow: 25, Criteria: []string{""}, SQLGrades: []string{"E"}}
	if e, ok := bad.Validate().(*leadflow.Error); !ok || len(e.Fields) != 3 {
		t.Fatalf("validate: %v", bad.Validate())
	}
}

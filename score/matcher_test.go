package score

import (
	"testing"

	"github.com/leadflow/leadflow"
)

func TestLeadMatcher(t *testing.T) {
	m, fe := CompileLeadMatcher("rules[0]", []Condition{
		{Field: "band", Op: OpEquals, Value: "hot"},
		{Field: "score", Op: OpGte, Value: 80},
		{Field: "country", Op: OpIn, Value: []any{"DE", "AT"}},
	})
	if fe != nil {
		t.Fatal(fe)
	}
	l := &leadflow.Lead{Country: "de", Score: leadflow.Score{Total: 85, Band: "hot"}}
	if !m.Match(l) {
		t.Fatal("hot DE lead at 85 did not match")
	}
	l.Score.Total = 79
	if m.Match(l) {
		t.Fatal("79 matched score >= 80")
	}
	if _, fe := CompileLeadMatcher("rules[3]", []Condition{{Field: "bandd", Op: OpEquals, Value: "hot"}, {Field: "band", Op: "eq", Value: "x"}}); len(fe) != 2 ||
		fe[0].Field != "rules[3].when[0].field" || fe[1].Field != "rules[3].when[1].op" {
		t.Fatalf("errors: %+v", fe)
	}
	all, _ := CompileLeadMatcher("fallback", nil)
	if !all.Match(&leadflow.Lead{}) {
		t.Fatal("no conditions must match every lead")
	}
}

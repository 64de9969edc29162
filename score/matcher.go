package score

import (
	"maps"
	"slices"
	"strings"

	"github.com/leadflow/leadflow"
)

// LeadMatcher is a compiled list of conditions over a lead, all of which must hold. Rules outside
// scoring use it — routing rules (S-DIST) match on the lead's fields like fit rules do, and also
// on its score, band, grade, stage and owner, which fit rules must not read (they produce them).
type LeadMatcher struct {
	conds []condition[*leadflow.Lead]
}

// scoredLeadFields are the fields a LeadMatcher reads besides the fit-rule fields.
var scoredLeadFields = map[string]func(*leadflow.Lead) any{
	"score":            func(l *leadflow.Lead) any { return l.Score.Total },
	"score.total":      func(l *leadflow.Lead) any { return l.Score.Total },
	"score.fit":        func(l *leadflow.Lead) any { return l.Score.Fit },
	"score.engagement": func(l *leadflow.Lead) any { return l.Score.Engagement },
	"band":             func(l *leadflow.Lead) any { return l.Score.Band },
	"grade":            func(l *leadflow.Lead) any { return l.Score.Grade },
	"stage":            func(l *leadflow.Lead) any { return string(l.Stage) },
}

// CompileLeadMatcher compiles conditions found at path (e.g. "rules[2]") in a configuration. Its
// field errors name the condition, e.g. "rules[2].when[0].op".
func CompileLeadMatcher(path string, when []Condition) (*LeadMatcher, []leadflow.FieldError) {
	var p problems
	hint := leadFieldsHint + ", " + strings.Join(slices.Sorted(maps.Keys(scoredLeadFields)), ", ")
	getter := func(field string) (func(*leadflow.Lead) any, bool) {
		if get, ok := scoredLeadFields[field]; ok {
			return get, true
		}
		return leadGetter(field)
	}
	conds := compileConditions(&p, path, when, getter, hint)
	if len(p) > 0 {
		return nil, p
	}
	return &LeadMatcher{conds: conds}, nil
}

// Match reports whether every condition holds for l; a matcher without conditions matches all.
func (m *LeadMatcher) Match(l *leadflow.Lead) bool { return allHold(m.conds, l) }

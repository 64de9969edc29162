package score

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow"
)

// Condition operators (S-SCORE-1). String comparisons are trimmed and case-insensitive; regular
// expressions are Go regexp syntax applied to the trimmed value as written (use (?i) to ignore
// case).
const (
	OpEquals     = "equals"
	OpNotEquals  = "not_equals"
	OpIn         = "in"
	OpContains   = "contains"
	OpMatches    = "matches"
	OpNotMatches = "not_matches"
	OpGt         = "gt"
	OpGte        = "gte"
	OpLt         = "lt"
	OpLte        = "lte"
	OpBetween    = "between"
	OpExists     = "exists"
)

// Operators lists every condition operator.
var Operators = []string{OpEquals, OpNotEquals, OpIn, OpContains, OpMatches, OpNotMatches,
	OpGt, OpGte, OpLt, OpLte, OpBetween, OpExists}

// predicate tests one field value; the value is nil when the field is missing or empty.
//
// A missing field never satisfies a positive operator. The negated operators not_equals and
// not_matches are the exact complements of equals and matches, so they do hold for a missing
// field: this keeps rule pairs such as demo_link_click / email_click a partition of all events.
type predicate func(v any) bool

// condition is a compiled Condition over a lead (fit) or an event (behaviour).
type condition[T any] struct {
	get  func(T) any
	test predicate
}

// allHold reports whether every condition holds for x.
func allHold[T any](conds []condition[T], x T) bool {
	for _, c := range conds {
		v := c.get(x)
		if !present(v) {
			v = nil
		}
		if !c.test(v) {
			return false
		}
	}
	return true
}

// compileConditions compiles the conditions of the rule at path, resolving fields with getter.
func compileConditions[T any](p *problems, path string, when []Condition, getter func(string) (func(T) any, bool), fields string) []condition[T] {
	out := make([]condition[T], 0, len(when))
	for i, w := range when {
		at := fmt.Sprintf("%s.when[%d]", path, i)
		get, ok := getter(w.Field)
		if !ok {
			p.add(at+".field", fmt.Sprintf("unknown field %q; use %s", w.Field, fields))
		}
		test, sub, reason := compilePredicate(w)
		if reason != "" {
			p.add(at+"."+sub, reason)
		}
		if ok && reason == "" {
			out = append(out, condition[T]{get: get, test: test})
		}
	}
	return out
}

// compilePredicate builds the test of c. When c is invalid it returns the faulty part of the
// condition ("op" or "value...") and the reason.
func compilePredicate(c Condition) (test predicate, field, reason string) {
	switch c.Op {
	case OpEquals, OpNotEquals, OpContains:
		s, ok := toScalar(c.Value)
		if !ok {
			return nil, "value", fmt.Sprintf("%s needs a non-empty string, number or bool", c.Op)
		}
		switch c.Op {
		case OpEquals:
			return s.equal, "", ""
		case OpNotEquals:
			return func(v any) bool { return !s.equal(v) }, "", ""
		}
		return s.containedIn, "", ""
	case OpIn:
		return compileIn(c.Value)
	case OpMatches, OpNotMatches:
		pattern, ok := c.Value.(string)
		if !ok || pattern == "" {
			return nil, "value", fmt.Sprintf("%s needs a regular expression string", c.Op)
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil, "value", "invalid regular expression: " + err.Error()
		}
		match := func(v any) bool {
			s, ok := toString(v)
			return ok && re.MatchString(s)
		}
		if c.Op == OpMatches {
			return match, "", ""
		}
		return func(v any) bool { return !match(v) }, "", ""
	case OpGt, OpGte, OpLt, OpLte:
		x, ok := number(c.Value)
		if !ok {
			return nil, "value", fmt.Sprintf("%s needs a number", c.Op)
		}
		return compare(c.Op, x), "", ""
	case OpBetween:
		return compileBetween(c.Value)
	case OpExists:
		want, ok := true, true
		if c.Value != nil {
			want, ok = c.Value.(bool)
		}
		if !ok {
			return nil, "value", "exists needs true, false or no value"
		}
		return func(v any) bool { return (v != nil) == want }, "", ""
	}
	return nil, "op", fmt.Sprintf("unknown operator %q; use one of %s", c.Op, strings.Join(Operators, ", "))
}

// compileIn builds the test of an "in" condition: the value equals one of the list's items.
func compileIn(value any) (predicate, string, string) {
	list, ok := asList(value)
	if !ok || len(list) == 0 {
		return nil, "value", "in needs a non-empty list"
	}
	items := make([]scalar, len(list))
	for i, item := range list {
		if items[i], ok = toScalar(item); !ok {
			return nil, fmt.Sprintf("value[%d]", i), "must be a non-empty string, number or bool"
		}
	}
	return func(v any) bool {
		return slices.ContainsFunc(items, func(s scalar) bool { return s.equal(v) })
	}, "", ""
}

// compileBetween builds the test of a "between" condition: min <= value <= max.
func compileBetween(value any) (predicate, string, string) {
	list, ok := asList(value)
	if !ok || len(list) != 2 {
		return nil, "value", "between needs a list of two numbers [min, max]"
	}
	lo, okLo := number(list[0])
	hi, okHi := number(list[1])
	switch {
	case !okLo || !okHi:
		return nil, "value", "between needs a list of two numbers [min, max]"
	case lo > hi:
		return nil, "value", fmt.Sprintf("between needs min <= max, got [%v, %v]", lo, hi)
	}
	return func(v any) bool {
		n, ok := toNumber(v)
		return ok && lo <= n && n <= hi
	}, "", ""
}

// compare builds the test of a numeric comparison of a value against x.
func compare(op string, x float64) predicate {
	var cmp func(n float64) bool
	switch op {
	case OpGt:
		cmp = func(n float64) bool { return n > x }
	case OpGte:
		cmp = func(n float64) bool { return n >= x }
	case OpLt:
		cmp = func(n float64) bool { return n < x }
	default:
		cmp = func(n float64) bool { return n <= x }
	}
	return func(v any) bool {
		n, ok := toNumber(v)
		return ok && cmp(n)
	}
}

// scalar is a string, number or bool operand of a condition.
type scalar struct {
	str   string  // trimmed; compared case-insensitively (a number's decimal form)
	num   float64 // the operand when isNum
	isNum bool    // the operand was a number: values are compared numerically
}

// toScalar converts a condition value into an operand; empty strings are rejected.
func toScalar(v any) (scalar, bool) {
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		return scalar{str: s}, s != ""
	case bool:
		return scalar{str: strconv.FormatBool(x)}, true
	}
	n, ok := number(v)
	return scalar{str: strconv.FormatFloat(n, 'f', -1, 64), num: n, isNum: true}, ok
}

// equal reports whether v equals the operand: numerically for a number operand, otherwise as
// trimmed case-insensitive strings.
func (s scalar) equal(v any) bool {
	if s.isNum {
		n, ok := toNumber(v)
		return ok && n == s.num
	}
	str, ok := toString(v)
	return ok && strings.EqualFold(str, s.str)
}

// containedIn reports whether v contains the operand: a case-insensitive substring of a string
// value, or an item of a list value.
func (s scalar) containedIn(v any) bool {
	if list, ok := v.([]any); ok {
		return slices.ContainsFunc(list, s.equal)
	}
	str, ok := toString(v)
	return ok && strings.Contains(strings.ToLower(str), strings.ToLower(s.str))
}

// present reports whether v holds something: not nil, not a blank string, not an empty list.
func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(x) != ""
	case bool, float64, int, json.Number:
		return true
	}
	if list, ok := asList(v); ok {
		return len(list) > 0
	}
	return true
}

// number converts a numeric Go value (not a string) to a finite float64.
func number(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	default:
		rv := reflect.ValueOf(v)
		switch {
		case rv.CanInt():
			f = float64(rv.Int())
		case rv.CanUint():
			f = float64(rv.Uint())
		case rv.CanFloat():
			f = rv.Float()
		default:
			return 0, false
		}
	}
	return f, finite(f)
}

// toNumber converts a field value to a number: numeric values and strings of digits.
func toNumber(v any) (float64, bool) {
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil && finite(f)
	}
	return number(v)
}

// toString converts a scalar field value to a trimmed string.
func toString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return string(x), true
	}
	if n, ok := number(v); ok {
		return strconv.FormatFloat(n, 'f', -1, 64), true
	}
	return "", false
}

// asList returns the items of a slice or array value.
func asList(v any) ([]any, bool) {
	if list, ok := v.([]any); ok {
		return list, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	list := make([]any, rv.Len())
	for i := range list {
		list[i] = rv.Index(i).Interface()
	}
	return list, true
}

// leadFields reads a lead field by its JSON name. An unknown company size (0) reads as missing
// and an empty seniority is derived from the job title.
var leadFields = map[string]func(*leadflow.Lead) any{
	"email":       func(l *leadflow.Lead) any { return l.Email },
	"company":     func(l *leadflow.Lead) any { return l.Company },
	"industry":    func(l *leadflow.Lead) any { return l.Industry },
	"job_title":   func(l *leadflow.Lead) any { return l.JobTitle },
	"country":     func(l *leadflow.Lead) any { return l.Country },
	"region":      func(l *leadflow.Lead) any { return l.Region },
	"city":        func(l *leadflow.Lead) any { return l.City },
	"timezone":    func(l *leadflow.Lead) any { return l.Timezone },
	"language":    func(l *leadflow.Lead) any { return l.Language },
	"source":      func(l *leadflow.Lead) any { return l.Source },
	"campaign":    func(l *leadflow.Lead) any { return l.Campaign },
	"first_name":  func(l *leadflow.Lead) any { return l.FirstName },
	"last_name":   func(l *leadflow.Lead) any { return l.LastName },
	"phone":       func(l *leadflow.Lead) any { return l.Phone },
	"external_id": func(l *leadflow.Lead) any { return l.ExternalID },
	"company_size": func(l *leadflow.Lead) any {
		if l.CompanySize == 0 {
			return nil
		}
		return l.CompanySize
	},
	"seniority": func(l *leadflow.Lead) any {
		if l.Seniority != "" {
			return l.Seniority
		}
		return leadflow.DeriveSeniority(l.JobTitle)
	},
}

// leadFieldsHint names the valid fit-condition fields in error messages.
var leadFieldsHint = strings.Join(slices.Sorted(maps.Keys(leadFields)), ", ") + " or custom.<key>"

// leadGetter resolves a fit-condition field.
func leadGetter(field string) (func(*leadflow.Lead) any, bool) {
	if key, ok := strings.CutPrefix(field, "custom."); ok {
		return func(l *leadflow.Lead) any { return l.Custom[key] }, key != ""
	}
	get, ok := leadFields[field]
	return get, ok
}

// eventFieldsHint names the valid behaviour-condition fields in error messages.
const eventFieldsHint = "type, properties.<key> or <key>"

// eventGetter resolves a behaviour-condition field: "type", "properties.<key>" or "<key>".
func eventGetter(field string) (func(*leadflow.Event) any, bool) {
	if field == "type" {
		return func(e *leadflow.Event) any { return e.Type }, true
	}
	key := strings.TrimPrefix(field, "properties.")
	return func(e *leadflow.Event) any { return e.Properties[key] }, strings.TrimSpace(key) != ""
}

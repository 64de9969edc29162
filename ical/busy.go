package ical

import (
	"slices"
	"strings"
	"time"
)

// maxBusyInstances bounds the instances one Busy call collects across all events.
const maxBusyInstances = 1_000_000

// Interval is one absence of a rep (S-REP-2): [Start, End) in UTC and the summaries of the
// events merged into it, joined with "; ".
type Interval struct {
	Start, End time.Time
	Summary    string
}

// Busy returns the rep's absences that overlap [from, to) (S-REP-2), sorted by start, with
// overlapping or touching intervals merged. Recurring events are expanded (RRULE and RDATE),
// EXDATEs removed and RECURRENCE-ID overrides applied: an override replaces the instance it
// names, and a cancelled or transparent override simply removes it. Cancelled and transparent
// events and zero-length events are skipped. Intervals are not clipped to the window.
//
// Work is bounded so that a hostile calendar cannot make Busy run long: each event expands at
// most MaxInstances instances, one call collects at most a million, and the expansions of one
// call examine at most 2^25 candidate days (2^20 per event); past that, rules stop expanding.
func (c *Calendar) Busy(from, to time.Time) []Interval {
	if c == nil || !from.Before(to) {
		return nil
	}
	hasMaster := map[string]bool{}
	overrides := map[string][]*Event{}
	for i := range c.Events {
		e := &c.Events[i]
		if e.UID == "" {
			continue
		}
		if e.RecurrenceID == nil {
			hasMaster[e.UID] = true
		} else {
			overrides[e.UID] = append(overrides[e.UID], e)
		}
	}
	col := &collector{from: from, to: to, scanBudget: maxBusyScanDays}
	for i := range c.Events {
		e := &c.Events[i]
		if !e.busy() {
			continue
		}
		var ov []*Event
		if e.RecurrenceID == nil && e.UID != "" {
			ov = overrides[e.UID]
		}
		if !e.occurrences(col, ov) {
			break
		}
	}
	return merge(col.out)
}

// busy reports whether the event makes the rep unavailable.
func (e *Event) busy() bool { return e.Status != "CANCELLED" && !e.Transparent }

// collector gathers the instances that overlap the window.
type collector struct {
	from, to   time.Time
	out        []Interval
	n          int
	scanBudget int // candidate days the expansions may still examine
}

// add records [s, e) if it is non-empty and overlaps the window; it returns false once the
// per-call budget is spent.
func (c *collector) add(s, e time.Time, summary string) bool {
	if e.After(s) && s.Before(c.to) && e.After(c.from) {
		c.out = append(c.out, Interval{Start: s.UTC(), End: e.UTC(), Summary: summary})
		c.n++
	}
	return c.n < maxBusyInstances
}

// span is the length of each instance of e.
func (e *Event) span() span {
	if e.hasDur {
		return e.dur
	}
	return span{exact: max(e.End.Sub(e.Start), 0)}
}

// occurrences adds the instances of e (minus EXDATEs and the instances its overrides replace)
// to col; it returns false once col's budget is spent.
func (e *Event) occurrences(col *collector, overrides []*Event) bool {
	zone := e.zone
	if zone == nil {
		zone = time.UTC
	}
	sp := e.span()
	var exInstants map[int64]bool
	var exDays map[int]bool
	exclude := func(t time.Time) {
		if exInstants == nil {
			exInstants = map[int64]bool{}
		}
		exInstants[t.Unix()] = true
	}
	excludeDay := func(d int) {
		if exDays == nil {
			exDays = map[int]bool{}
		}
		exDays[d] = true
	}
	for _, t := range e.ExDates {
		exclude(t)
	}
	for _, d := range e.exDays {
		excludeDay(d)
	}
	for _, o := range overrides {
		if o.recurIsDate && !e.AllDay {
			excludeDay(o.recurDay)
		} else {
			exclude(*o.RecurrenceID)
		}
	}
	excluded := func(t time.Time) bool {
		if exInstants[t.Unix()] {
			return true
		}
		if exDays != nil {
			d, _ := civilOf(t, zone)
			return exDays[d]
		}
		return false
	}
	ok := true
	emit := func(s, end time.Time) bool {
		if !excluded(s) {
			ok = col.add(s, end, e.Summary)
		}
		return ok
	}
	if e.RRule != nil && e.RRule.expandable() {
		x := newExpansion(e.RRule, e.Start, zone, e.AllDay)
		x.expand(col.from.Add(-sp.maxLength()-25*time.Hour), col.to, &col.scanBudget, func(t time.Time) bool {
			return emit(t, sp.addTo(t, zone))
		})
	} else {
		emit(e.Start, sp.addTo(e.Start, zone))
	}
	for i, rd := range e.RDates {
		if !ok {
			break
		}
		end := time.Time{}
		if i < len(e.rdateEnds) {
			end = e.rdateEnds[i]
		}
		if end.IsZero() {
			end = sp.addTo(rd, zone)
		}
		emit(rd, end)
	}
	return ok
}

// merge sorts intervals and merges those that overlap or touch.
func merge(in []Interval) []Interval {
	if len(in) == 0 {
		return nil
	}
	slices.SortFunc(in, func(a, b Interval) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.End.Compare(b.End)
	})
	var out []Interval
	var names []string
	flush := func() {
		out[len(out)-1].Summary = strings.Join(names, "; ")
	}
	for _, iv := range in {
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			if iv.Summary != "" && !slices.Contains(names, iv.Summary) {
				names = append(names, iv.Summary)
			}
			continue
		}
		if len(out) > 0 {
			flush()
		}
		out = append(out, iv)
		names = names[:0]
		if iv.Summary != "" {
			names = append(names, iv.Summary)
		}
	}
	flush()
	return out
}

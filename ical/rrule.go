package ical

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxInstances is the most instances expanded for one event (S-REP-2): for a rule with COUNT,
// the first MaxInstances of the series; for a rule without COUNT, the first MaxInstances from
// the start of the window asked for (earlier instances are skipped, not counted). Parse ignores
// RDATEs beyond MaxInstances.
const MaxInstances = 10000

// maxScanDays bounds the candidate days one expansion may examine, so that a rule that rarely
// or never matches (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) cannot make Busy loop for long, and
// maxBusyScanDays bounds them over all the events of one Busy call.
const (
	maxScanDays     = 1 << 20
	maxBusyScanDays = 1 << 25
)

// maxPeriodInstances bounds the candidate instants of one period (BYHOUR × BYMINUTE ×
// BYSECOND on every day of a year would otherwise be millions).
const maxPeriodInstances = 1 << 16

// maxInterval bounds INTERVAL.
const maxInterval = 100_000

// maxYear ends every expansion.
const maxYear = 9999

// Frequency is the FREQ of a recurrence rule (S-REP-2).
type Frequency string

// The frequencies of RFC 5545 §3.3.10. Busy expands DAILY, WEEKLY, MONTHLY and YEARLY; an event
// with a finer FREQ contributes its DTSTART and RDATEs only (Parse records a Warning).
const (
	Secondly Frequency = "SECONDLY"
	Minutely Frequency = "MINUTELY"
	Hourly   Frequency = "HOURLY"
	Daily    Frequency = "DAILY"
	Weekly   Frequency = "WEEKLY"
	Monthly  Frequency = "MONTHLY"
	Yearly   Frequency = "YEARLY"
)

// WeekdayNum is one BYDAY entry (S-REP-2): a weekday with an optional ordinal, e.g. 1MO (the
// first Monday) or -1FR (the last Friday) within the month or year; N is 0 for plain "FR".
type WeekdayNum struct {
	N       int
	Weekday time.Weekday
}

// RRule is a parsed RRULE (RFC 5545 §3.3.10, S-REP-2). Lists are sorted and free of duplicates.
type RRule struct {
	Freq     Frequency
	Interval int // ≥ 1
	Count    int // 0: no COUNT
	// Until is the UNTIL bound (inclusive) as an instant in UTC, zero when absent. A DATE
	// UNTIL is midnight of that date in the event's zone and UntilIsDate is set; for a timed
	// event it then includes the whole day.
	Until       time.Time
	UntilIsDate bool
	ByDay       []WeekdayNum
	ByMonthDay  []int // 1..31 or -31..-1 (from the end of the month)
	ByMonth     []int // 1..12
	ByYearDay   []int
	ByWeekNo    []int // YEARLY only
	ByHour      []int
	ByMinute    []int
	BySecond    []int
	BySetPos    []int
	WKST        time.Weekday // week start, Monday by default
}

var dayCodes = map[string]time.Weekday{
	"SU": time.Sunday, "MO": time.Monday, "TU": time.Tuesday, "WE": time.Wednesday,
	"TH": time.Thursday, "FR": time.Friday, "SA": time.Saturday,
}

// expandable reports whether Busy expands rules of this frequency.
func (r *RRule) expandable() bool {
	switch r.Freq {
	case Daily, Weekly, Monthly, Yearly:
		return true
	}
	return false
}

// parseRRule parses an RRULE value. zone reads a floating or DATE UNTIL (the DTSTART's zone).
func parseRRule(value string, zone *time.Location) (*RRule, []string, error) {
	r := &RRule{Interval: 1, WKST: time.Monday}
	var warns []string
	seen := map[string]bool{}
	for _, part := range strings.Split(value, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, nil, fmt.Errorf("part %s has no '='", quoteShort(part))
		}
		k, v = strings.ToUpper(strings.TrimSpace(k)), strings.ToUpper(strings.TrimSpace(v))
		if seen[k] {
			return nil, nil, fmt.Errorf("%s given twice", k)
		}
		seen[k] = true
		var err error
		switch k {
		case "FREQ":
			switch f := Frequency(v); f {
			case Secondly, Minutely, Hourly, Daily, Weekly, Monthly, Yearly:
				r.Freq = f
			default:
				return nil, nil, fmt.Errorf("unknown FREQ %s", quoteShort(v))
			}
		case "INTERVAL":
			r.Interval, err = intIn(v, 1, maxInterval)
		case "COUNT":
			r.Count, err = intIn(v, 1, math.MaxInt32)
		case "UNTIL":
			var u dtValue
			u, err = parseDT(v, "", zone)
			r.Until, r.UntilIsDate = u.t.UTC(), u.date
		case "BYDAY":
			r.ByDay, err = parseByDay(v)
		case "BYMONTHDAY":
			r.ByMonthDay, err = intList(v, -31, 31, true)
		case "BYYEARDAY":
			r.ByYearDay, err = intList(v, -366, 366, true)
		case "BYWEEKNO":
			r.ByWeekNo, err = intList(v, -53, 53, true)
		case "BYMONTH":
			r.ByMonth, err = intList(v, 1, 12, false)
		case "BYSETPOS":
			r.BySetPos, err = intList(v, -366, 366, true)
		case "BYHOUR":
			r.ByHour, err = intList(v, 0, 23, false)
		case "BYMINUTE":
			r.ByMinute, err = intList(v, 0, 59, false)
		case "BYSECOND":
			r.BySecond, err = intList(v, 0, 60, false)
		case "WKST":
			d, ok := dayCodes[v]
			if !ok {
				err = fmt.Errorf("invalid weekday %s", quoteShort(v))
			}
			r.WKST = d
		default:
			warns = append(warns, fmt.Sprintf("part %s is not supported; ignored", k))
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", k, err)
		}
	}
	if r.Freq == "" {
		return nil, nil, fmt.Errorf("no FREQ")
	}
	if !r.expandable() {
		warns = append(warns, fmt.Sprintf("FREQ=%s is not supported; only DTSTART and RDATEs are used", r.Freq))
	}
	if r.Count > 0 && !r.Until.IsZero() {
		warns = append(warns, "both COUNT and UNTIL; the first bound reached ends the series")
	}
	if r.Count > MaxInstances {
		warns = append(warns, fmt.Sprintf("COUNT=%d exceeds the limit; only the first %d instances are used", r.Count, MaxInstances))
	}
	if len(r.ByWeekNo) > 0 && r.Freq != Yearly {
		warns = append(warns, "BYWEEKNO is only valid with FREQ=YEARLY; ignored")
	}
	return r, warns, nil
}

func intIn(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s is not a number in %d..%d", quoteShort(s), lo, hi)
	}
	return n, nil
}

// intList parses a comma-separated list of integers in lo..hi (0 excluded when nonZero).
func intList(s string, lo, hi int, nonZero bool) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := intIn(strings.TrimSpace(f), lo, hi)
		if err == nil && nonZero && n == 0 {
			err = fmt.Errorf("0 is not allowed")
		}
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// parseByDay parses e.g. "MO,WE,FR" or "1MO,-1FR" or "+2TU".
func parseByDay(s string) ([]WeekdayNum, error) {
	var out []WeekdayNum
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if len(f) < 2 {
			return nil, fmt.Errorf("invalid weekday %s", quoteShort(f))
		}
		d, ok := dayCodes[f[len(f)-2:]]
		if !ok {
			return nil, fmt.Errorf("invalid weekday %s", quoteShort(f))
		}
		w := WeekdayNum{Weekday: d}
		if num := f[:len(f)-2]; num != "" {
			n, err := intIn(num, -53, 53)
			if err != nil || n == 0 {
				return nil, fmt.Errorf("invalid ordinal in %s", quoteShort(f))
			}
			w.N = n
		}
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b WeekdayNum) int {
		if a.N != b.N {
			return a.N - b.N
		}
		return int(a.Weekday) - int(b.Weekday)
	})
	return slices.Compact(out), nil
}

// ordinalScope says what a BYDAY ordinal counts within.
type ordinalScope int

const (
	scopeNone  ordinalScope = iota // ordinals ignored (DAILY, WEEKLY, YEARLY with BYWEEKNO)
	scopeMonth                     // MONTHLY, or YEARLY with BYMONTH
	scopeYear                      // YEARLY without BYMONTH
)

// expansion is a rule prepared for one event: the rule's lists with RFC 5545's defaults taken
// from DTSTART filled in.
type expansion struct {
	r          *RRule
	zone       *time.Location
	start      time.Time // DTSTART
	day0       int       // its civil day in zone
	y0, m0     int
	interval   int
	byDay      []WeekdayNum
	byMonthDay []int
	byMonth    [13]bool
	hasByMonth bool
	byYearDay  []int
	byWeekNo   []int
	scope      ordinalScope
	times      []int     // seconds past midnight of each instance within a day, sorted
	until      time.Time // inclusive bound, zero when none
}

func newExpansion(r *RRule, start time.Time, zone *time.Location, allDay bool) *expansion {
	x := &expansion{r: r, zone: zone, start: start, interval: max(r.Interval, 1)}
	day0, sec0 := civilOf(start, zone)
	x.day0 = day0
	y0, m0, d0 := civilFromDays(day0)
	x.y0, x.m0 = y0, m0
	x.byDay, x.byMonthDay, x.byYearDay = r.ByDay, r.ByMonthDay, r.ByYearDay
	if r.Freq == Yearly {
		x.byWeekNo = r.ByWeekNo
	}
	byMonth := r.ByMonth
	if len(x.byWeekNo) == 0 && len(x.byYearDay) == 0 && len(x.byMonthDay) == 0 && len(x.byDay) == 0 {
		switch r.Freq {
		case Yearly:
			if len(byMonth) == 0 {
				byMonth = []int{m0}
			}
			x.byMonthDay = []int{d0}
		case Monthly:
			x.byMonthDay = []int{d0}
		case Weekly:
			x.byDay = []WeekdayNum{{Weekday: weekdayOf(day0)}}
		}
	}
	for _, m := range byMonth {
		x.byMonth[m] = true
		x.hasByMonth = true
	}
	switch {
	case r.Freq == Monthly:
		x.scope = scopeMonth
	case r.Freq == Yearly && len(x.byWeekNo) == 0 && len(r.ByMonth) > 0:
		x.scope = scopeMonth
	case r.Freq == Yearly && len(x.byWeekNo) == 0:
		x.scope = scopeYear
	}
	if allDay {
		x.times = []int{0}
	} else {
		hs, ms, ss := r.ByHour, r.ByMinute, r.BySecond
		if len(hs) == 0 {
			hs = []int{sec0 / 3600}
		}
		if len(ms) == 0 {
			ms = []int{sec0 / 60 % 60}
		}
		if len(ss) == 0 {
			ss = []int{sec0 % 60}
		}
		for _, h := range hs {
			for _, m := range ms {
				for _, s := range ss {
					x.times = append(x.times, h*3600+m*60+min(s, 59))
				}
			}
		}
		slices.Sort(x.times)
		x.times = slices.Compact(x.times)
	}
	if !r.Until.IsZero() {
		x.until = r.Until
		if r.UntilIsDate && !allDay {
			ud, _ := civilOf(r.Until, zone)
			x.until = wallToInstant(ud+1, 0, zone).Add(-time.Second)
		}
	}
	return x
}

// matches reports whether a candidate day passes the BYxxx filters.
func (x *expansion) matches(day int) bool {
	y, m, d := civilFromDays(day)
	if x.hasByMonth && !x.byMonth[m] {
		return false
	}
	dim := daysInMonth(y, m)
	if len(x.byMonthDay) > 0 {
		ok := false
		for _, v := range x.byMonthDay {
			if v == d || v < 0 && dim+v+1 == d {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	yd, diy := 0, 0
	if len(x.byYearDay) > 0 || x.scope == scopeYear {
		yd, diy = day-daysFromCivil(y, 1, 1)+1, daysInYear(y)
	}
	if len(x.byYearDay) > 0 {
		ok := false
		for _, v := range x.byYearDay {
			if v == yd || v < 0 && diy+v+1 == yd {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(x.byDay) > 0 {
		wd := weekdayOf(day)
		ok := false
		for _, w := range x.byDay {
			if w.Weekday != wd {
				continue
			}
			switch {
			case w.N == 0 || x.scope == scopeNone:
				ok = true
			case x.scope == scopeMonth:
				ok = w.N == (d-1)/7+1 || w.N == -((dim-d)/7+1)
			default:
				ok = w.N == (yd-1)/7+1 || w.N == -((diy-yd)/7+1)
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// weekOne is the first day of week 1 of year y: the first week, starting on wkst, with at
// least four days in the year.
func weekOne(y int, wkst time.Weekday) int {
	jan1 := daysFromCivil(y, 1, 1)
	off := mod(int(wkst)-int(weekdayOf(jan1)), 7)
	if off >= 4 {
		return jan1 + off - 7
	}
	return jan1 + off
}

// periodDays appends the candidate days of period k to days and returns them with the first
// day the period can produce; ok is false past year 9999.
func (x *expansion) periodDays(k int, days []int) (out []int, first int, ok bool) {
	switch x.r.Freq {
	case Daily:
		d := x.day0 + k*x.interval
		return append(days, d), d, true
	case Weekly:
		w := x.day0 - mod(int(weekdayOf(x.day0))-int(x.r.WKST), 7) + 7*k*x.interval
		for i := range 7 {
			days = append(days, w+i)
		}
		return days, w, true
	case Monthly:
		mi := x.m0 - 1 + k*x.interval
		y, m := x.y0+floorDiv(mi, 12), mod(mi, 12)+1
		if y > maxYear {
			return days, 0, false
		}
		d1 := daysFromCivil(y, m, 1)
		for i := range daysInMonth(y, m) {
			days = append(days, d1+i)
		}
		return days, d1, true
	}
	// Yearly
	y := x.y0 + k*x.interval
	if y > maxYear {
		return days, 0, false
	}
	if len(x.byWeekNo) > 0 {
		w1 := weekOne(y, x.r.WKST)
		weeks := (weekOne(y+1, x.r.WKST) - w1) / 7
		for _, n := range x.byWeekNo {
			if n < 0 {
				n = weeks + n + 1
			}
			if n < 1 || n > weeks {
				continue
			}
			for i := range 7 {
				days = append(days, w1+7*(n-1)+i)
			}
		}
		return days, w1, true
	}
	jan1 := daysFromCivil(y, 1, 1)
	for m := 1; m <= 12; m++ {
		if x.hasByMonth && !x.byMonth[m] {
			continue
		}
		md := daysFromCivil(y, m, 1)
		for i := range daysInMonth(y, m) {
			days = append(days, md+i)
		}
	}
	return days, jan1, true
}

// firstPeriod is the index of the period to start expanding at so that no instance starting at
// or after notBefore is missed. Only rules without COUNT may skip periods. Every day a period
// produces lies before the start of the next period, except that the weeks of a YEARLY
// BYWEEKNO period reach at most three days into the next year: a week's margin covers that.
func (x *expansion) firstPeriod(notBefore time.Time) int {
	if x.r.Count > 0 || !notBefore.After(x.start) {
		return 0
	}
	nday, _ := civilOf(notBefore, x.zone)
	nday -= 7
	if nday <= x.day0 {
		return 0
	}
	ny, nm, _ := civilFromDays(nday)
	var k int
	switch x.r.Freq {
	case Daily:
		k = (nday - x.day0) / x.interval
	case Weekly:
		w0 := x.day0 - mod(int(weekdayOf(x.day0))-int(x.r.WKST), 7)
		k = (nday - w0) / (7 * x.interval)
	case Monthly:
		k = ((ny-x.y0)*12 + nm - x.m0) / x.interval
	case Yearly:
		k = (ny - x.y0) / x.interval
	}
	return max(k, 0)
}

// expand calls yield with the instance starts of the rule in order: DTSTART first (it always
// counts as the first instance), then every instance after it, until COUNT, UNTIL,
// MaxInstances or an instance at or after to ends the series. Periods wholly before notBefore
// are skipped when the rule has no COUNT. budget is what remains of the Busy call's
// maxBusyScanDays; expand spends from it. yield returns false to stop.
func (x *expansion) expand(notBefore, to time.Time, budget *int, yield func(time.Time) bool) {
	if !yield(x.start) {
		return
	}
	emitted := 1
	limit := MaxInstances
	if x.r.Count > 0 {
		limit = min(limit, x.r.Count)
	}
	if emitted >= limit {
		return
	}
	stopDay, _ := civilOf(to, x.zone)
	stopDay++
	var days []int
	var insts []time.Time
	scanned := 0
	for k := x.firstPeriod(notBefore); ; k++ {
		var first int
		var ok bool
		days, first, ok = x.periodDays(k, days[:0])
		if !ok || first > stopDay {
			return
		}
		scanned += len(days)
		*budget -= len(days)
		if scanned > maxScanDays || *budget < 0 {
			return
		}
		insts = insts[:0]
		for _, d := range days {
			if !x.matches(d) {
				continue
			}
			if len(insts)+len(x.times) > maxPeriodInstances {
				return
			}
			for _, sec := range x.times {
				insts = append(insts, wallToInstant(d, sec, x.zone))
			}
		}
		slices.SortFunc(insts, time.Time.Compare)
		if len(x.r.BySetPos) > 0 {
			insts = setPos(insts, x.r.BySetPos)
		}
		for _, t := range insts {
			if !t.After(x.start) {
				continue
			}
			if !x.until.IsZero() && t.After(x.until) {
				return
			}
			if !t.Before(to) {
				return
			}
			if x.r.Count == 0 && t.Before(notBefore) {
				continue // not needed, and without COUNT not counted either
			}
			if !yield(t) {
				return
			}
			if emitted++; emitted >= limit {
				return
			}
		}
	}
}

// setPos keeps the instants at the BYSETPOS positions (1-based, negative from the end).
func setPos(insts []time.Time, pos []int) []time.Time {
	n := len(insts)
	var idx []int
	for _, p := range pos {
		i := p - 1
		if p < 0 {
			i = n + p
		}
		if i >= 0 && i < n {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	out := make([]time.Time, 0, len(idx))
	for _, i := range idx {
		out = append(out, insts[i])
	}
	return out
}

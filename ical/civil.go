package ical

import "time"

// Civil (wall-clock) date arithmetic. Recurrence rules are expanded on local calendar dates and
// wall-clock times, never by adding fixed durations to instants, so that a 09:00 weekly event
// stays at 09:00 local time across daylight-saving changes (S-REP-2). A civil date is a day
// number: days since 1970-01-01 in the proleptic Gregorian calendar.

const secondsPerDay = 86400

// floorDiv is a/b rounded towards negative infinity (b > 0).
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// mod is a modulo b in [0, b) (b > 0).
func mod(a, b int) int {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func daysInYear(y int) int {
	if isLeap(y) {
		return 366
	}
	return 365
}

// daysFromCivil is the day number of y-m-d (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int) (y, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// weekdayOf is the day of the week of a day number (1970-01-01 was a Thursday).
func weekdayOf(day int) time.Weekday { return time.Weekday(mod(day+4, 7)) }

// civilOf is the day number and the seconds since midnight of t on the wall clock of zone.
func civilOf(t time.Time, zone *time.Location) (day, sec int) {
	l := t.In(zone)
	y, m, d := l.Date()
	h, mi, s := l.Clock()
	return daysFromCivil(y, int(m), d), h*3600 + mi*60 + s
}

// wallToInstant is the instant at which the wall clock of zone shows day at sec seconds past
// midnight, resolved as RFC 5545 §3.3.5 asks: a wall time that occurs twice (the autumn change)
// is the first of the two, and a wall time that does not exist (the spring gap) is read with
// the UTC offset in force before the gap, which moves it forward by the length of the gap
// (02:30 on the day New York springs forward is 03:30 EDT). time.Date leaves both cases
// unspecified, so the offsets on either side are tried explicitly.
func wallToInstant(day, sec int, zone *time.Location) time.Time {
	naive := int64(day)*secondsPerDay + int64(sec)
	if zone == nil || zone == time.UTC {
		return time.Unix(naive, 0).UTC()
	}
	_, offBefore := time.Unix(naive-secondsPerDay, 0).In(zone).Zone()
	_, offAfter := time.Unix(naive+secondsPerDay, 0).In(zone).Zone()
	tA := time.Unix(naive-int64(offBefore), 0).In(zone)
	_, oA := tA.Zone()
	okA := oA == offBefore
	if offBefore == offAfter {
		if okA {
			return tA
		}
		// Two transitions within two days: let the time package choose.
		y, m, d := civilFromDays(day)
		return time.Date(y, time.Month(m), d, 0, 0, sec, 0, zone)
	}
	tB := time.Unix(naive-int64(offAfter), 0).In(zone)
	_, oB := tB.Zone()
	okB := oB == offAfter
	switch {
	case okA && okB: // ambiguous: the first occurrence
		if tB.Before(tA) {
			return tB
		}
		return tA
	case okA:
		return tA
	case okB:
		return tB
	}
	return tA // in the gap: the offset before the gap
}

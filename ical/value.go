package ical

import (
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zone data for TZIDs even where the host has none (S-REP-2)
)

// Property values: DATE and DATE-TIME (§3.3.4, §3.3.5), DURATION (§3.3.6), PERIOD (§3.3.9) and
// the resolution of TZID parameters to Go locations.

// dtValue is a parsed DATE or DATE-TIME.
type dtValue struct {
	t    time.Time      // the instant (for a DATE: midnight in zone)
	date bool           // a DATE, not a DATE-TIME
	day  int            // civil day number of the written date
	zone *time.Location // the zone the value is read in (UTC for "Z" forms)
}

// digits parses a string of ASCII digits.
func digits(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseDate parses YYYYMMDD; reason is empty on success.
func parseDate(s string) (y, m, d int, reason string) {
	if len(s) != 8 {
		return 0, 0, 0, "want YYYYMMDD"
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[4:6])
	d, ok3 := digits(s[6:])
	switch {
	case !ok1 || !ok2 || !ok3:
		return 0, 0, 0, "want YYYYMMDD"
	case m < 1 || m > 12:
		return 0, 0, 0, fmt.Sprintf("month %d out of range", m)
	case d < 1 || d > daysInMonth(y, m):
		return 0, 0, 0, fmt.Sprintf("day %d out of range", d)
	}
	return y, m, d, ""
}

// parseDT parses a DATE or DATE-TIME value. valueType is the VALUE parameter (upper case, ""
// when absent; an eight-digit value without one is taken as a DATE). Dates and floating or
// TZID-qualified date-times are read in zone; a trailing "Z" means UTC.
func parseDT(s, valueType string, zone *time.Location) (dtValue, error) {
	s = strings.TrimSpace(s)
	switch valueType {
	case "DATE":
		y, m, d, why := parseDate(s)
		if why != "" {
			return dtValue{}, fmt.Errorf("invalid date %s: %s", quoteShort(s), why)
		}
		day := daysFromCivil(y, m, d)
		return dtValue{t: wallToInstant(day, 0, zone), date: true, day: day, zone: zone}, nil
	case "", "DATE-TIME":
		if valueType == "" && len(s) == 8 {
			return parseDT(s, "DATE", zone)
		}
	default:
		return dtValue{}, fmt.Errorf("unsupported VALUE=%s", valueType)
	}
	const want = "want YYYYMMDDTHHMMSS, optionally followed by Z"
	if len(s) < 15 || s[8] != 'T' && s[8] != 't' {
		return dtValue{}, fmt.Errorf("invalid date-time %s: %s", quoteShort(s), want)
	}
	y, m, d, why := parseDate(s[:8])
	if why != "" {
		return dtValue{}, fmt.Errorf("invalid date-time %s: %s", quoteShort(s), why)
	}
	rest := s[9:]
	if len(rest) == 7 && (rest[6] == 'Z' || rest[6] == 'z') {
		zone, rest = time.UTC, rest[:6]
	}
	if len(rest) != 6 {
		return dtValue{}, fmt.Errorf("invalid date-time %s: %s", quoteShort(s), want)
	}
	h, ok1 := digits(rest[:2])
	mi, ok2 := digits(rest[2:4])
	sec, ok3 := digits(rest[4:])
	switch {
	case !ok1 || !ok2 || !ok3:
		return dtValue{}, fmt.Errorf("invalid date-time %s: %s", quoteShort(s), want)
	case h > 23 || mi > 59 || sec > 60:
		return dtValue{}, fmt.Errorf("invalid date-time %s: time of day out of range", quoteShort(s))
	}
	if sec == 60 { // a leap second: Go has none
		sec = 59
	}
	day := daysFromCivil(y, m, d)
	return dtValue{t: wallToInstant(day, h*3600+mi*60+sec, zone), day: day, zone: zone}, nil
}

// span is a duration as RFC 5545 §3.3.6 defines it: a nominal part in days (weeks are seven
// days), which keeps the wall-clock time across DST changes, and an exact part.
type span struct {
	days  int
	exact time.Duration
}

// addTo adds s to t, counting days on the wall clock of zone.
func (s span) addTo(t time.Time, zone *time.Location) time.Time {
	if s.days != 0 {
		day, sec := civilOf(t, zone)
		t = wallToInstant(day+s.days, sec, zone)
	}
	return t.Add(s.exact)
}

// maxLength bounds the real length of s (a nominal day lasts at most 25 hours).
func (s span) maxLength() time.Duration {
	return time.Duration(s.days)*25*time.Hour + s.exact
}

// maxDurationUnits bounds each number in a DURATION (a million weeks is ~19,000 years).
const maxDurationUnits = 1_000_000

// parseDuration parses [+/-]P(nW | nD[T...] | T nH nM nS). Weeks and days may be combined,
// which RFC 2445 producers sometimes do.
func parseDuration(s string) (sp span, neg bool, err error) {
	bad := func(why string) (span, bool, error) {
		return span{}, false, fmt.Errorf("invalid duration %s: %s", quoteShort(s), why)
	}
	v := strings.ToUpper(strings.TrimSpace(s))
	if v != "" && (v[0] == '+' || v[0] == '-') {
		neg = v[0] == '-'
		v = v[1:]
	}
	if v == "" || v[0] != 'P' {
		return bad("want P followed by W, D, H, M or S components")
	}
	v = v[1:]
	inTime, any := false, false
	for v != "" {
		if v[0] == 'T' {
			if inTime {
				return bad("T twice")
			}
			inTime = true
			v = v[1:]
			continue
		}
		i := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == 0 || i == len(v) {
			return bad("expected a number followed by a unit")
		}
		n, ok := digits(v[:i])
		if !ok || n > maxDurationUnits {
			return bad("number too large")
		}
		unit := v[i]
		v = v[i+1:]
		switch {
		case unit == 'W' && !inTime:
			sp.days += 7 * n
		case unit == 'D' && !inTime:
			sp.days += n
		case unit == 'H' && inTime:
			sp.exact += time.Duration(n) * time.Hour
		case unit == 'M' && inTime:
			sp.exact += time.Duration(n) * time.Minute
		case unit == 'S' && inTime:
			sp.exact += time.Duration(n) * time.Second
		default:
			return bad(fmt.Sprintf("unexpected unit %q", unit))
		}
		any = true
	}
	if !any {
		return bad("no components")
	}
	return sp, neg, nil
}

// windowsZones maps the Windows time zone names that Outlook and Exchange write as TZIDs to IANA
// zones (after CLDR's windowsZones.xml, "001" territory; SE Asia follows leadflow's Jakarta
// customers).
var windowsZones = map[string]string{
	"afghanistan standard time":       "Asia/Kabul",
	"alaskan standard time":           "America/Anchorage",
	"arab standard time":              "Asia/Riyadh",
	"arabian standard time":           "Asia/Dubai",
	"argentina standard time":         "America/Argentina/Buenos_Aires",
	"atlantic standard time":          "America/Halifax",
	"aus central standard time":       "Australia/Darwin",
	"aus eastern standard time":       "Australia/Sydney",
	"bangladesh standard time":        "Asia/Dhaka",
	"canada central standard time":    "America/Regina",
	"cen. australia standard time":    "Australia/Adelaide",
	"central america standard time":   "America/Guatemala",
	"central europe standard time":    "Europe/Budapest",
	"central european standard time":  "Europe/Warsaw",
	"central standard time":           "America/Chicago",
	"central standard time (mexico)":  "America/Mexico_City",
	"china standard time":             "Asia/Shanghai",
	"e. africa standard time":         "Africa/Nairobi",
	"e. australia standard time":      "Australia/Brisbane",
	"e. europe standard time":         "Europe/Chisinau",
	"e. south america standard time":  "America/Sao_Paulo",
	"eastern standard time":           "America/New_York",
	"egypt standard time":             "Africa/Cairo",
	"fle standard time":               "Europe/Kiev",
	"gmt standard time":               "Europe/London",
	"greenwich standard time":         "Atlantic/Reykjavik",
	"gtb standard time":               "Europe/Bucharest",
	"hawaiian standard time":          "Pacific/Honolulu",
	"india standard time":             "Asia/Kolkata",
	"iran standard time":              "Asia/Tehran",
	"israel standard time":            "Asia/Jerusalem",
	"korea standard time":             "Asia/Seoul",
	"mountain standard time":          "America/Denver",
	"nepal standard time":             "Asia/Kathmandu",
	"new zealand standard time":       "Pacific/Auckland",
	"newfoundland standard time":      "America/St_Johns",
	"pacific sa standard time":        "America/Santiago",
	"pacific standard time":           "America/Los_Angeles",
	"pakistan standard time":          "Asia/Karachi",
	"romance standard time":           "Europe/Paris",
	"russian standard time":           "Europe/Moscow",
	"sa pacific standard time":        "America/Bogota",
	"se asia standard time":           "Asia/Jakarta",
	"singapore standard time":         "Asia/Singapore",
	"south africa standard time":      "Africa/Johannesburg",
	"taipei standard time":            "Asia/Taipei",
	"tokyo standard time":             "Asia/Tokyo",
	"turkey standard time":            "Europe/Istanbul",
	"us eastern standard time":        "America/Indianapolis",
	"us mountain standard time":       "America/Phoenix",
	"utc":                             "UTC",
	"w. australia standard time":      "Australia/Perth",
	"w. central africa standard time": "Africa/Lagos",
	"w. europe standard time":         "Europe/Berlin",
	"coordinated universal time":      "UTC",
}

// zoneCache holds the locations loaded so far, across documents (only successful loads, so its
// size is bounded by the zone database).
var zoneCache sync.Map // string → *time.Location

// loadZone loads an IANA zone by name. "Local" and "" are refused: a calendar must not depend
// on the server's own zone.
func loadZone(name string) *time.Location {
	if name == "" || strings.EqualFold(name, "Local") {
		return nil
	}
	if v, ok := zoneCache.Load(name); ok {
		return v.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	zoneCache.Store(name, l)
	return l
}

// resolveTZID finds the Go location of a TZID: a Windows zone name, an IANA name, the
// X-LIC-LOCATION of the document's VTIMEZONE for it, or an IANA name at the end of a
// "/vendor/version/Region/City" style identifier. It returns nil when nothing fits.
func resolveTZID(tzid, licLocation string) *time.Location {
	t := strings.Trim(strings.TrimSpace(tzid), `"`)
	if iana, ok := windowsZones[strings.ToLower(t)]; ok {
		if l := loadZone(iana); l != nil {
			return l
		}
	}
	if l := loadZone(t); l != nil {
		return l
	}
	if l := loadZone(strings.TrimSpace(licLocation)); l != nil {
		return l
	}
	if strings.Contains(t, "/") {
		parts := strings.Split(strings.Trim(t, "/"), "/")
		for n := 3; n >= 2; n-- {
			if len(parts) > n {
				if l := loadZone(strings.Join(parts[len(parts)-n:], "/")); l != nil {
					return l
				}
			}
		}
	}
	return nil
}

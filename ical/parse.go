package ical

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxDocumentSize is the largest iCalendar document Parse accepts, 10 MiB (S-REP-2).
const MaxDocumentSize = 10 << 20

// maxDepth bounds the nesting of components (VCALENDAR > VEVENT > VALARM is depth 3).
const maxDepth = 16

// maxZoneLookups bounds the distinct TZIDs one document may make Parse look up.
const maxZoneLookups = 256

// ErrTooLarge is returned by Parse for a document larger than MaxDocumentSize (S-REP-2).
var ErrTooLarge = errors.New("ical: document larger than 10 MiB")

// ParseError is a malformed iCalendar document (S-REP-2): the 1-based line where the problem
// is (for a component that is never closed, its BEGIN line; 0 when no line applies) and the
// reason.
type ParseError struct {
	Line int
	Msg  string
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("ical: line %d: %s", e.Line, e.Msg)
	}
	return "ical: " + e.Msg
}

// Warning is something Parse tolerated but that may make the absences read from a calendar
// incomplete or shifted (S-REP-2), such as an unknown TZID read in the rep's own zone.
type Warning struct {
	Line int
	Msg  string
}

// String formats the warning as "line N: message".
func (w Warning) String() string { return fmt.Sprintf("line %d: %s", w.Line, w.Msg) }

// Calendar is a parsed VCALENDAR (S-REP-2): a rep's calendar export from which leadflow reads
// vacations and out-of-office blocks. Several VCALENDAR objects in one stream are merged. A
// Calendar is not modified by Busy and may be used by several goroutines at once.
type Calendar struct {
	// ProdID is the PRODID of the (first) VCALENDAR, e.g. "-//Google Inc//Google Calendar 70.9054//EN".
	ProdID string
	// Name is the X-WR-CALNAME display name, if any.
	Name string
	// Events are the VEVENTs in document order, overridden instances (RECURRENCE-ID) included.
	Events []Event
	// Warnings lists what was tolerated (unknown TZID, unsupported rule parts...).
	Warnings []Warning
}

// Event is one VEVENT of a Calendar (S-REP-2). Times are absolute instants in UTC; the zone
// they were written in is kept internally for recurrence expansion.
type Event struct {
	// UID identifies the event; an override shares the UID of the series it modifies.
	UID string
	// Summary is the unescaped SUMMARY ("Vacation", "OOO – dentist").
	Summary string
	// Start and End delimit the event (the first instance of a recurring event). For all-day
	// (VALUE=DATE) events they are midnights in the location given to Parse. Without DTEND or
	// DURATION an all-day event lasts one day and a timed event has zero length.
	Start, End time.Time
	// AllDay is set for DATE-valued DTSTART.
	AllDay bool
	// Transparent is set for TRANSP:TRANSPARENT: the event does not make the rep busy.
	Transparent bool
	// Status is the upper-case STATUS (TENTATIVE, CONFIRMED, CANCELLED) or "". Cancelled
	// events are ignored by Busy.
	Status string
	// RRule is the recurrence rule, nil for a single event.
	RRule *RRule
	// RDates are extra instance starts (RDATE).
	RDates []time.Time
	// ExDates are excluded instance starts (EXDATE).
	ExDates []time.Time
	// RecurrenceID is set on an override: the original start of the instance it replaces.
	RecurrenceID *time.Time
	// Categories are the CATEGORIES values.
	Categories []string
	// Line is the line of the event's BEGIN:VEVENT.
	Line int

	zone        *time.Location // zone of DTSTART (the location given to Parse for dates and floating times)
	dur         span           // nominal or exact length of each instance
	hasDur      bool           // dur was set by Parse
	rdateEnds   []time.Time    // parallel to RDates; non-zero for RDATE;VALUE=PERIOD
	exDays      []int          // EXDATE;VALUE=DATE on a timed event: whole local days excluded
	recurIsDate bool           // RECURRENCE-ID was a DATE
	recurDay    int            // its civil day
}

// component is a BEGIN/END block. Only the properties of VCALENDAR, VEVENT and VTIMEZONE are
// kept; other components (VALARM, STANDARD/DAYLIGHT, VTODO...) are checked and skipped.
type component struct {
	name     string
	line     int
	keep     bool
	props    []contentLine
	children []*component
}

// parser holds the state of one Parse call.
type parser struct {
	loc     *time.Location
	cal     *Calendar
	licLoc  map[string]string         // VTIMEZONE TZID → X-LIC-LOCATION
	zones   map[string]*time.Location // TZID → location (nil: unknown, read in loc)
	lookups int
}

// Parse reads an iCalendar document (RFC 5545) and returns its events (S-REP-2). loc is the
// rep's time zone: floating date-times and all-day dates are read in it, and so are
// date-times whose TZID is unknown (with a Warning). A nil loc means UTC. Malformed input
// yields a *ParseError naming the line; a document larger than MaxDocumentSize yields
// ErrTooLarge.
func Parse(r io.Reader, loc *time.Location) (*Calendar, error) {
	if loc == nil {
		loc = time.UTC
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("ical: reading calendar: %w", err)
	}
	if len(data) > MaxDocumentSize {
		return nil, ErrTooLarge
	}
	p := &parser{
		loc:    loc,
		cal:    &Calendar{},
		licLoc: map[string]string{},
		zones:  map[string]*time.Location{},
	}
	cals, err := p.structure(string(data))
	if err != nil {
		return nil, err
	}
	for _, vcal := range cals {
		for _, c := range vcal.children {
			if c.name == "VTIMEZONE" {
				p.vtimezone(c)
			}
		}
	}
	for i, vcal := range cals {
		for _, cl := range vcal.props {
			switch cl.name {
			case "PRODID":
				if i == 0 {
					p.cal.ProdID = strings.TrimSpace(unescapeText(cl.value))
				}
			case "X-WR-CALNAME":
				if p.cal.Name == "" {
					p.cal.Name = strings.TrimSpace(unescapeText(cl.value))
				}
			}
		}
		for _, c := range vcal.children {
			if c.name != "VEVENT" {
				continue
			}
			ev, err := p.event(c)
			if err != nil {
				return nil, err
			}
			p.cal.Events = append(p.cal.Events, ev)
		}
	}
	return p.cal, nil
}

func (p *parser) warn(line int, format string, args ...any) {
	p.cal.Warnings = append(p.cal.Warnings, Warning{Line: line, Msg: fmt.Sprintf(format, args...)})
}

func errAt(line int, format string, args ...any) error {
	return &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// structure checks the BEGIN/END nesting and returns the VCALENDAR components.
func (p *parser) structure(doc string) ([]*component, error) {
	var cals, stack []*component
	err := unfold(doc, func(ln int, s string) error {
		cl, err := parseContentLine(s, ln)
		if err != nil {
			return err
		}
		switch cl.name {
		case "BEGIN":
			name := strings.ToUpper(strings.TrimSpace(cl.value))
			if !isTokenName(name) {
				return errAt(ln, "BEGIN: invalid component name %s", quoteShort(cl.value))
			}
			if len(stack) == 0 && name != "VCALENDAR" {
				return errAt(ln, "expected BEGIN:VCALENDAR, found BEGIN:%s", name)
			}
			for _, open := range stack {
				if open.name == name {
					return errAt(ln, "BEGIN:%s inside the %s begun at line %d (missing END:%s?)", name, name, open.line, name)
				}
			}
			if len(stack) >= maxDepth {
				return errAt(ln, "components nested too deeply")
			}
			c := &component{name: name, line: ln}
			switch {
			case len(stack) == 0:
				c.keep = true
				cals = append(cals, c)
			case len(stack) == 1 && (name == "VEVENT" || name == "VTIMEZONE"):
				c.keep = true
				c.props = make([]contentLine, 0, 16)
				stack[0].children = append(stack[0].children, c)
			}
			stack = append(stack, c)
		case "END":
			name := strings.ToUpper(strings.TrimSpace(cl.value))
			if len(stack) == 0 {
				return errAt(ln, "END:%s without BEGIN:%s", name, name)
			}
			top := stack[len(stack)-1]
			if top.name != name {
				for _, open := range stack[:len(stack)-1] {
					if open.name == name {
						return errAt(ln, "END:%s, but the %s begun at line %d is still open (missing END:%s)", name, top.name, top.line, top.name)
					}
				}
				return errAt(ln, "END:%s without BEGIN:%s", name, name)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 0 {
				return errAt(ln, "%s outside BEGIN:VCALENDAR … END:VCALENDAR", cl.name)
			}
			if top := stack[len(stack)-1]; top.keep {
				top.props = append(top.props, cl)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		return nil, errAt(top.line, "BEGIN:%s is never closed (missing END:%s)", top.name, top.name)
	}
	if len(cals) == 0 {
		return nil, errAt(0, "no VCALENDAR in the document")
	}
	return cals, nil
}

// vtimezone records the X-LIC-LOCATION (an IANA name Google and Lotus add) of a VTIMEZONE.
// The STANDARD/DAYLIGHT rules themselves are not interpreted; Go's zone database is used.
func (p *parser) vtimezone(c *component) {
	var tzid, lic string
	for _, cl := range c.props {
		switch cl.name {
		case "TZID":
			tzid = strings.TrimSpace(cl.value)
		case "X-LIC-LOCATION":
			lic = strings.TrimSpace(cl.value)
		}
	}
	if tzid != "" && lic != "" {
		p.licLoc[tzid] = lic
	}
}

// zone resolves a TZID parameter; an unknown TZID is read in p.loc with a warning (once).
func (p *parser) zone(tzid string, line int) *time.Location {
	if l, ok := p.zones[tzid]; ok {
		if l == nil {
			return p.loc
		}
		return l
	}
	var l *time.Location
	if p.lookups < maxZoneLookups {
		p.lookups++
		l = resolveTZID(tzid, p.licLoc[tzid])
	}
	p.zones[tzid] = l
	if l == nil {
		p.warn(line, "unknown TZID %s: times read in %s", quoteShort(tzid), p.loc)
		return p.loc
	}
	return l
}

// dateTime parses a single DATE or DATE-TIME property value with its VALUE and TZID.
func (p *parser) dateTime(cl *contentLine) (dtValue, error) {
	v, err := p.dateTimeValue(cl, cl.value, strings.ToUpper(cl.param("VALUE")))
	if err != nil {
		return v, errAt(cl.line, "%s: %v", cl.name, err)
	}
	return v, nil
}

func (p *parser) dateTimeValue(cl *contentLine, s, valueType string) (dtValue, error) {
	zone := p.loc
	s = strings.TrimSpace(s)
	if tzid := cl.param("TZID"); tzid != "" && valueType != "DATE" && len(s) != 8 && !strings.HasSuffix(strings.ToUpper(s), "Z") {
		zone = p.zone(tzid, cl.line)
	}
	return parseDT(s, valueType, zone)
}

// event builds an Event from a VEVENT component.
func (p *parser) event(c *component) (Event, error) {
	ev := Event{Line: c.line}
	var dtstart, dtend, duration, recurID *contentLine
	var rrules, rdates, exdates []*contentLine
	single := func(slot **contentLine, cl *contentLine) error {
		if *slot != nil {
			return errAt(cl.line, "second %s in the VEVENT begun at line %d", cl.name, c.line)
		}
		*slot = cl
		return nil
	}
	for i := range c.props {
		cl := &c.props[i]
		var err error
		switch cl.name {
		case "UID":
			ev.UID = strings.TrimSpace(unescapeText(cl.value))
		case "SUMMARY":
			ev.Summary = unescapeText(cl.value)
		case "DTSTART":
			err = single(&dtstart, cl)
		case "DTEND":
			err = single(&dtend, cl)
		case "DURATION":
			err = single(&duration, cl)
		case "RECURRENCE-ID":
			err = single(&recurID, cl)
		case "TRANSP":
			ev.Transparent = strings.EqualFold(strings.TrimSpace(cl.value), "TRANSPARENT")
		case "STATUS":
			ev.Status = strings.ToUpper(strings.TrimSpace(cl.value))
		case "RRULE":
			rrules = append(rrules, cl)
		case "RDATE":
			rdates = append(rdates, cl)
		case "EXDATE":
			exdates = append(exdates, cl)
		case "EXRULE":
			p.warn(cl.line, "EXRULE (deprecated) is not supported; ignored")
		case "CATEGORIES":
			ev.Categories = append(ev.Categories, splitText(cl.value)...)
		}
		if err != nil {
			return ev, err
		}
	}
	if dtstart == nil {
		return ev, errAt(c.line, "VEVENT has no DTSTART")
	}
	start, err := p.dateTime(dtstart)
	if err != nil {
		return ev, err
	}
	ev.AllDay, ev.zone, ev.Start = start.date, start.zone, start.t.UTC()

	switch {
	case dtend != nil:
		if duration != nil {
			p.warn(duration.line, "VEVENT has both DTEND and DURATION; DURATION ignored")
		}
		end, err := p.dateTime(dtend)
		if err != nil {
			return ev, err
		}
		if start.date && end.date {
			days := end.day - start.day
			if days <= 0 {
				p.warn(dtend.line, "DTEND is not after DTSTART; taken as a one-day event")
				days = 1
			}
			ev.dur = span{days: days}
		} else {
			d := end.t.Sub(start.t)
			if d < 0 {
				p.warn(dtend.line, "DTEND is before DTSTART; taken as zero length")
				d = 0
			}
			ev.dur = span{exact: d}
		}
	case duration != nil:
		sp, neg, err := parseDuration(duration.value)
		if err != nil {
			return ev, errAt(duration.line, "DURATION: %v", err)
		}
		if neg {
			return ev, errAt(duration.line, "DURATION: negative duration %s", quoteShort(duration.value))
		}
		ev.dur = sp
	case start.date:
		ev.dur = span{days: 1}
	}
	ev.hasDur = true
	ev.End = ev.dur.addTo(start.t, ev.zone).UTC()

	if recurID != nil {
		rid, err := p.dateTime(recurID)
		if err != nil {
			return ev, err
		}
		t := rid.t.UTC()
		ev.RecurrenceID, ev.recurIsDate, ev.recurDay = &t, rid.date, rid.day
		if strings.EqualFold(recurID.param("RANGE"), "THISANDFUTURE") {
			p.warn(recurID.line, "RANGE=THISANDFUTURE is not supported; only the one instance is overridden")
		}
	}

	if len(rrules) > 0 {
		if len(rrules) > 1 {
			p.warn(rrules[1].line, "more than one RRULE; only the first is used")
		}
		r, warns, err := parseRRule(rrules[0].value, start.zone)
		if err != nil {
			return ev, errAt(rrules[0].line, "RRULE: %v", err)
		}
		for _, w := range warns {
			p.warn(rrules[0].line, "RRULE: %s", w)
		}
		ev.RRule = r
	}

	for _, cl := range exdates {
		vt := strings.ToUpper(cl.param("VALUE"))
		for _, s := range strings.Split(cl.value, ",") {
			if strings.TrimSpace(s) == "" {
				continue
			}
			v, err := p.dateTimeValue(cl, s, vt)
			if err != nil {
				return ev, errAt(cl.line, "EXDATE: %v", err)
			}
			ev.ExDates = append(ev.ExDates, v.t.UTC())
			if v.date && !ev.AllDay {
				ev.exDays = append(ev.exDays, v.day)
			}
		}
	}

	tooMany := false
	for _, cl := range rdates {
		vt := strings.ToUpper(cl.param("VALUE"))
		for _, s := range strings.Split(cl.value, ",") {
			if strings.TrimSpace(s) == "" {
				continue
			}
			if len(ev.RDates) >= MaxInstances {
				if !tooMany {
					p.warn(cl.line, "more than %d RDATEs; the rest are ignored", MaxInstances)
					tooMany = true
				}
				break
			}
			var startT, endT time.Time
			if vt == "PERIOD" || strings.Contains(s, "/") {
				a, b, _ := strings.Cut(s, "/")
				sv, err := p.dateTimeValue(cl, a, "DATE-TIME")
				if err != nil {
					return ev, errAt(cl.line, "RDATE: %v", err)
				}
				startT = sv.t
				if bt := strings.TrimSpace(b); strings.HasPrefix(bt, "P") || strings.HasPrefix(bt, "+P") {
					sp, neg, err := parseDuration(bt)
					if err != nil || neg {
						return ev, errAt(cl.line, "RDATE: invalid period %s", quoteShort(s))
					}
					endT = sp.addTo(sv.t, sv.zone)
				} else {
					evv, err := p.dateTimeValue(cl, bt, "DATE-TIME")
					if err != nil {
						return ev, errAt(cl.line, "RDATE: %v", err)
					}
					if evv.t.Before(sv.t) {
						return ev, errAt(cl.line, "RDATE: period %s ends before it starts", quoteShort(s))
					}
					endT = evv.t
				}
				endT = endT.UTC()
			} else {
				v, err := p.dateTimeValue(cl, s, vt)
				if err != nil {
					return ev, errAt(cl.line, "RDATE: %v", err)
				}
				startT = v.t
			}
			ev.RDates = append(ev.RDates, startT.UTC())
			ev.rdateEnds = append(ev.rdateEnds, endT)
		}
	}
	return ev, nil
}

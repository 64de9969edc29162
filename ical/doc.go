// Package ical reads sales reps' absences — vacations and out-of-office blocks — from their
// calendar exports in iCalendar format (RFC 5545), as Google Calendar and Outlook/Exchange
// produce them (S-REP-2).
//
// Parse reads a document: content lines are unfolded, parameters (quoted values included) and
// escaped text decoded, DATE and DATE-TIME values resolved to instants (UTC "Z" forms,
// TZID-qualified forms through Go's zone database with common Windows zone names mapped,
// floating times and all-day dates in the rep's own zone), DTEND or DURATION turned into the
// events' length, and components other than VEVENT (VTIMEZONE, VALARM, VTODO...) skipped.
// Calendar.Busy then lists the absences in a window, with recurrence rules expanded on the
// wall clock so that instances keep their local time across daylight-saving changes.
//
// Not supported: FREQ=SECONDLY/MINUTELY/HOURLY (the event counts once, with a Warning), EXRULE,
// RECURRENCE-ID;RANGE=THISANDFUTURE (treated as a single-instance override), the
// STANDARD/DAYLIGHT rules inside VTIMEZONE (the TZID, or its X-LIC-LOCATION, is looked up in
// Go's zone database instead), and VTODO/VJOURNAL/VFREEBUSY components.
package ical

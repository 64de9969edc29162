package ical_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/ical"
)

// S-REP-2: reps' absences read from iCalendar exports.

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// crlf turns a test document written with LF line ends into the CRLF form exporters write.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// wrap puts VEVENTs into a Google-Calendar-style VCALENDAR.
func wrap(events string) string {
	return crlf("BEGIN:VCALENDAR\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\nVERSION:2.0\n" +
		"CALSCALE:GREGORIAN\nMETHOD:PUBLISH\n" + strings.TrimLeft(events, "\n") + "END:VCALENDAR\n")
}

// show renders intervals on loc's wall clock: "2024-07-22 00:00 +0200 → 2024-08-05 00:00 +0200 Urlaub".
func show(ivs []ical.Interval, loc *time.Location) []string {
	out := []string{}
	for _, iv := range ivs {
		const f = "2006-01-02 15:04 -0700"
		out = append(out, fmt.Sprintf("%s → %s %s", iv.Start.In(loc).Format(f), iv.End.In(loc).Format(f), iv.Summary))
	}
	return out
}

func day(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

const googleVacation = `BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:anna.schmidt@example.com
X-WR-TIMEZONE:Europe/Berlin
BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;VALUE=DATE:20240722
DTEND;VALUE=DATE:20240805
DTSTAMP:20240601T120000Z
UID:5qk1n2b3c4d5e6f7g8h9@google.com
CREATED:20240601T115900Z
DESCRIPTION:Vertretung: Jonas (jonas.weber@example.com)
LAST-MODIFIED:20240601T115900Z
LOCATION:
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Urlaub
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20240710T140000
DTEND;TZID=Europe/Berlin:20240710T150000
DTSTAMP:20240601T120000Z
UID:7abc@google.com
SUMMARY:Pipeline review
TRANSP:OPAQUE
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:This is an event reminder
TRIGGER:-P0DT0H10M0S
END:VALARM
END:VEVENT
END:VCALENDAR
`

const outlookFridays = `BEGIN:VCALENDAR
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
VERSION:2.0
METHOD:PUBLISH
X-MS-OLK-FORCEINSPECTOROPEN:TRUE
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
CLASS:PUBLIC
CREATED:20231220T091500Z
DESCRIPTION:Part-time: Friday afternoons off.\n
DTEND;TZID="W. Europe Standard Time":20240105T180000
DTSTAMP:20231220T091500Z
DTSTART;TZID="W. Europe Standard Time":20240105T130000
EXDATE;TZID="W. Europe Standard Time":20240119T130000
LAST-MODIFIED:20231220T091500Z
PRIORITY:5
RRULE:FREQ=WEEKLY;COUNT=8;BYDAY=FR
SEQUENCE:0
SUMMARY;LANGUAGE=en-us:Out of office
TRANSP:OPAQUE
UID:040000008200E00074C5B7101A82E00800000000D0F1A2B3C4D5DA0100000000000000001
 0000000A1B2C3D4E5F60718293A4B5C6D7E8F
X-MICROSOFT-CDO-BUSYSTATUS:OOF
X-MICROSOFT-CDO-IMPORTANCE:1
X-MICROSOFT-DISALLOW-COUNTER:FALSE
X-MS-OLK-AUTOFILLLOCATION:FALSE
X-MS-OLK-CONFTYPE:0
BEGIN:VALARM
TRIGGER:-PT15M
ACTION:DISPLAY
DESCRIPTION:Reminder
END:VALARM
END:VEVENT
BEGIN:VEVENT
CLASS:PUBLIC
DTEND;TZID="W. Europe Standard Time":20240201T180000
DTSTAMP:20240120T080000Z
DTSTART;TZID="W. Europe Standard Time":20240201T130000
RECURRENCE-ID;TZID="W. Europe Standard Time":20240202T130000
SEQUENCE:1
SUMMARY;LANGUAGE=en-us:Out of office (moved to Thursday)
TRANSP:OPAQUE
UID:040000008200E00074C5B7101A82E00800000000D0F1A2B3C4D5DA0100000000000000001
 0000000A1B2C3D4E5F60718293A4B5C6D7E8F
X-MICROSOFT-CDO-BUSYSTATUS:OOF
END:VEVENT
END:VCALENDAR
`

// busyCase is one calendar, one window and the absences expected in it.
type busyCase struct {
	name     string
	ics      string
	zone     string // the rep's zone given to Parse
	from, to string // dates "2006-01-02" in zone
	want     []string
}

func runBusy(t *testing.T, cases []busyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			loc := mustZone(t, tc.zone)
			cal, err := ical.Parse(strings.NewReader(tc.ics), loc)
			if err != nil {
				t.Fatal(err)
			}
			from, err1 := time.ParseInLocation("2006-01-02", tc.from, loc)
			to, err2 := time.ParseInLocation("2006-01-02", tc.to, loc)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			got := show(cal.Busy(from, to), loc)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Busy:\n got %q\nwant %q", got, tc.want)
			}
			if len(cal.Warnings) > 0 {
				t.Errorf("unexpected warnings %v", cal.Warnings)
			}
		})
	}
}

func TestBusy(t *testing.T) {
	runBusy(t, []busyCase{
		{
			name: "two-week vacation, all day (Google)",
			ics:  crlf(googleVacation), zone: "Europe/Berlin", from: "2024-07-01", to: "2024-09-01",
			want: []string{
				"2024-07-10 14:00 +0200 → 2024-07-10 15:00 +0200 Pipeline review",
				"2024-07-22 00:00 +0200 → 2024-08-05 00:00 +0200 Urlaub",
			},
		},
		{
			name: "weekly Friday afternoon out of office with EXDATE and a moved instance (Outlook)",
			ics:  crlf(outlookFridays), zone: "Europe/Berlin", from: "2024-01-01", to: "2024-04-01",
			want: []string{
				"2024-01-05 13:00 +0100 → 2024-01-05 18:00 +0100 Out of office",
				"2024-01-12 13:00 +0100 → 2024-01-12 18:00 +0100 Out of office",
				// 19 January is excluded (EXDATE) but still counts towards COUNT=8.
				"2024-01-26 13:00 +0100 → 2024-01-26 18:00 +0100 Out of office",
				"2024-02-01 13:00 +0100 → 2024-02-01 18:00 +0100 Out of office (moved to Thursday)",
				"2024-02-09 13:00 +0100 → 2024-02-09 18:00 +0100 Out of office",
				"2024-02-16 13:00 +0100 → 2024-02-16 18:00 +0100 Out of office",
				"2024-02-23 13:00 +0100 → 2024-02-23 18:00 +0100 Out of office",
			},
		},
		{
			name: "the rep's zone does not move timed events",
			ics:  crlf(outlookFridays), zone: "America/New_York", from: "2024-02-01", to: "2024-02-03",
			want: []string{"2024-02-01 07:00 -0500 → 2024-02-01 12:00 -0500 Out of office (moved to Thursday)"},
		},
		{
			name: "COUNT",
			ics: wrap(`BEGIN:VEVENT
UID:count@x
DTSTART;TZID=Europe/Berlin:20240304T080000
DTEND;TZID=Europe/Berlin:20240304T120000
RRULE:FREQ=DAILY;COUNT=3
SUMMARY:Physio
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-03-01", to: "2024-04-01",
			want: []string{
				"2024-03-04 08:00 +0100 → 2024-03-04 12:00 +0100 Physio",
				"2024-03-05 08:00 +0100 → 2024-03-05 12:00 +0100 Physio",
				"2024-03-06 08:00 +0100 → 2024-03-06 12:00 +0100 Physio",
			},
		},
		{
			name: "UNTIL is inclusive",
			ics: wrap(`BEGIN:VEVENT
UID:until@x
DTSTART;TZID=Europe/Berlin:20240304T080000
DTEND;TZID=Europe/Berlin:20240304T120000
RRULE:FREQ=DAILY;UNTIL=20240306T070000Z
SUMMARY:Physio
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-03-01", to: "2024-04-01",
			want: []string{
				"2024-03-04 08:00 +0100 → 2024-03-04 12:00 +0100 Physio",
				"2024-03-05 08:00 +0100 → 2024-03-05 12:00 +0100 Physio",
				"2024-03-06 08:00 +0100 → 2024-03-06 12:00 +0100 Physio",
			},
		},
		{
			name: "UNTIL one second before the last instance",
			ics: wrap(`BEGIN:VEVENT
UID:until2@x
DTSTART;TZID=Europe/Berlin:20240304T080000
DTEND;TZID=Europe/Berlin:20240304T120000
RRULE:FREQ=DAILY;UNTIL=20240306T065959Z
SUMMARY:Physio
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-03-01", to: "2024-04-01",
			want: []string{
				"2024-03-04 08:00 +0100 → 2024-03-04 12:00 +0100 Physio",
				"2024-03-05 08:00 +0100 → 2024-03-05 12:00 +0100 Physio",
			},
		},
		{
			name: "UNTIL as a DATE on a timed event includes that day",
			ics: wrap(`BEGIN:VEVENT
UID:until3@x
DTSTART;TZID=Europe/Berlin:20240304T080000
DTEND;TZID=Europe/Berlin:20240304T120000
RRULE:FREQ=DAILY;UNTIL=20240305
SUMMARY:Physio
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-03-01", to: "2024-04-01",
			want: []string{
				"2024-03-04 08:00 +0100 → 2024-03-04 12:00 +0100 Physio",
				"2024-03-05 08:00 +0100 → 2024-03-05 12:00 +0100 Physio",
			},
		},
		{
			name: "daily all-day instances until a date merge into one absence",
			ics: wrap(`BEGIN:VEVENT
UID:sick@x
DTSTART;VALUE=DATE:20240304
DTEND;VALUE=DATE:20240305
RRULE:FREQ=DAILY;UNTIL=20240306
SUMMARY:Sick
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-03-01", to: "2024-04-01",
			want: []string{"2024-03-04 00:00 +0100 → 2024-03-07 00:00 +0100 Sick"},
		},
		{
			name: "monthly on the last Friday (BYDAY=-1FR) across the US DST change",
			ics: wrap(`BEGIN:VEVENT
UID:lastfri@x
DTSTART;TZID=America/New_York:20240126T150000
DTEND;TZID=America/New_York:20240126T170000
RRULE:FREQ=MONTHLY;BYDAY=-1FR
SUMMARY:Month-end close
END:VEVENT
`), zone: "America/New_York", from: "2024-01-01", to: "2024-05-01",
			want: []string{
				"2024-01-26 15:00 -0500 → 2024-01-26 17:00 -0500 Month-end close",
				"2024-02-23 15:00 -0500 → 2024-02-23 17:00 -0500 Month-end close",
				"2024-03-29 15:00 -0400 → 2024-03-29 17:00 -0400 Month-end close",
				"2024-04-26 15:00 -0400 → 2024-04-26 17:00 -0400 Month-end close",
			},
		},
		{
			name: "monthly on the last weekday (BYSETPOS=-1)",
			ics: wrap(`BEGIN:VEVENT
UID:lastwd@x
DTSTART;TZID=America/New_York:20240131T090000
DURATION:PT8H
RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=4
SUMMARY:Reporting day
END:VEVENT
`), zone: "America/New_York", from: "2024-01-01", to: "2025-01-01",
			want: []string{
				"2024-01-31 09:00 -0500 → 2024-01-31 17:00 -0500 Reporting day",
				"2024-02-29 09:00 -0500 → 2024-02-29 17:00 -0500 Reporting day",
				"2024-03-29 09:00 -0400 → 2024-03-29 17:00 -0400 Reporting day",
				"2024-04-30 09:00 -0400 → 2024-04-30 17:00 -0400 Reporting day",
			},
		},
		{
			name: "monthly on the last day (BYMONTHDAY=-1), all day",
			ics: wrap(`BEGIN:VEVENT
UID:lastday@x
DTSTART;VALUE=DATE:20240131
RRULE:FREQ=MONTHLY;BYMONTHDAY=-1
SUMMARY:Quota reset
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-02-01", to: "2024-05-01",
			want: []string{
				"2024-02-29 00:00 +0100 → 2024-03-01 00:00 +0100 Quota reset",
				"2024-03-31 00:00 +0100 → 2024-04-01 00:00 +0200 Quota reset",
				"2024-04-30 00:00 +0200 → 2024-05-01 00:00 +0200 Quota reset",
			},
		},
		{
			name: "yearly, all day, started years before the window",
			ics: wrap(`BEGIN:VEVENT
UID:xmas@x
DTSTART;VALUE=DATE:20181224
DTEND;VALUE=DATE:20181227
RRULE:FREQ=YEARLY
SUMMARY:Christmas shutdown
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-01-01", to: "2026-01-01",
			want: []string{
				"2024-12-24 00:00 +0100 → 2024-12-27 00:00 +0100 Christmas shutdown",
				"2025-12-24 00:00 +0100 → 2025-12-27 00:00 +0100 Christmas shutdown",
			},
		},
		{
			name: "yearly on the fourth Thursday of November",
			ics: wrap(`BEGIN:VEVENT
UID:thanks@x
DTSTART;VALUE=DATE:20231123
DTEND;VALUE=DATE:20231125
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH
SUMMARY:Thanksgiving
END:VEVENT
`), zone: "America/New_York", from: "2024-01-01", to: "2026-01-01",
			want: []string{
				"2024-11-28 00:00 -0500 → 2024-11-30 00:00 -0500 Thanksgiving",
				"2025-11-27 00:00 -0500 → 2025-11-29 00:00 -0500 Thanksgiving",
			},
		},
		{
			name: "weekly 09:00 Europe/Berlin stays at 09:00 across the March switch",
			ics: wrap(`BEGIN:VEVENT
UID:dst-berlin@x
DTSTART;TZID=Europe/Berlin:20240325T090000
DTEND;TZID=Europe/Berlin:20240325T100000
RRULE:FREQ=WEEKLY;COUNT=3
SUMMARY:Team offsite prep
END:VEVENT
`), zone: "UTC", from: "2024-03-01", to: "2024-05-01",
			want: []string{
				// Europe switches on 31 March 2024: 09:00 is 08:00 UTC before, 07:00 UTC after.
				"2024-03-25 08:00 +0000 → 2024-03-25 09:00 +0000 Team offsite prep",
				"2024-04-01 07:00 +0000 → 2024-04-01 08:00 +0000 Team offsite prep",
				"2024-04-08 07:00 +0000 → 2024-04-08 08:00 +0000 Team offsite prep",
			},
		},
		{
			name: "weekly 09:00 Europe/Berlin across the October switch",
			ics: wrap(`BEGIN:VEVENT
UID:dst-berlin2@x
DTSTART;TZID=Europe/Berlin:20241021T090000
DTEND;TZID=Europe/Berlin:20241021T100000
RRULE:FREQ=WEEKLY;UNTIL=20241104T235959Z
SUMMARY:Blocked
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-10-01", to: "2024-12-01",
			want: []string{
				"2024-10-21 09:00 +0200 → 2024-10-21 10:00 +0200 Blocked",
				"2024-10-28 09:00 +0100 → 2024-10-28 10:00 +0100 Blocked",
				"2024-11-04 09:00 +0100 → 2024-11-04 10:00 +0100 Blocked",
			},
		},
		{
			name: "daily 09:00 America/New_York across the November switch",
			ics: wrap(`BEGIN:VEVENT
UID:dst-ny@x
DTSTART;TZID=America/New_York:20241101T090000
DTEND;TZID=America/New_York:20241101T093000
RRULE:FREQ=DAILY;COUNT=4
SUMMARY:School run
END:VEVENT
`), zone: "UTC", from: "2024-10-01", to: "2024-12-01",
			want: []string{
				"2024-11-01 13:00 +0000 → 2024-11-01 13:30 +0000 School run",
				"2024-11-02 13:00 +0000 → 2024-11-02 13:30 +0000 School run",
				"2024-11-03 14:00 +0000 → 2024-11-03 14:30 +0000 School run",
				"2024-11-04 14:00 +0000 → 2024-11-04 14:30 +0000 School run",
			},
		},
		{
			name: "an all-day event on the day New York falls back lasts 25 hours",
			ics: wrap(`BEGIN:VEVENT
UID:fallback@x
DTSTART;VALUE=DATE:20241103
SUMMARY:Day off
END:VEVENT
`), zone: "America/New_York", from: "2024-11-01", to: "2024-11-10",
			want: []string{"2024-11-03 00:00 -0400 → 2024-11-04 00:00 -0500 Day off"},
		},
		{
			name: "a time in the spring gap moves forward (RFC 5545 §3.3.5)",
			ics: wrap(`BEGIN:VEVENT
UID:gap@x
DTSTART;TZID=America/New_York:20240310T023000
DURATION:PT1H
SUMMARY:Early flight
END:VEVENT
`), zone: "America/New_York", from: "2024-03-01", to: "2024-04-01",
			want: []string{"2024-03-10 03:30 -0400 → 2024-03-10 04:30 -0400 Early flight"},
		},
		{
			name: "a time in the autumn fold is its first occurrence (RFC 5545 §3.3.5)",
			ics: wrap(`BEGIN:VEVENT
UID:fold@x
DTSTART;TZID=Europe/Berlin:20241027T023000
DURATION:PT45M
SUMMARY:Night shift handover
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-10-27", to: "2024-10-28",
			want: []string{"2024-10-27 02:30 +0200 → 2024-10-27 02:15 +0100 Night shift handover"},
		},
		{
			name: "folded lines and escaped text",
			ics: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:fold@x\r\n" +
				"DTSTART;TZID=Europe/Be\r\n rlin:20240610T090000\r\nDTEND;TZID=Europe/Berlin:2024061\r\n\t0T170000\r\n" +
				"SUMMARY:Offsite\\, Q3 planning\\; travel to Li\r\n sbon\\nback Monday \\\\o/ Gr\xc3\r\n \xbc\xc3\x9fe\r\n" +
				"END:VEVENT\r\nEND:VCALENDAR\r\n",
			zone: "Europe/Berlin", from: "2024-06-01", to: "2024-07-01",
			want: []string{"2024-06-10 09:00 +0200 → 2024-06-10 17:00 +0200 Offsite, Q3 planning; travel to Lisbon\nback Monday \\o/ Grüße"},
		},
		{
			name: "transparent and cancelled events, and a cancelled instance, are not absences",
			ics: wrap(`BEGIN:VEVENT
UID:sick@x
DTSTART;VALUE=DATE:20240603
SUMMARY:Sick leave
STATUS:CONFIRMED
END:VEVENT
BEGIN:VEVENT
UID:wfh@x
DTSTART;VALUE=DATE:20240604
SUMMARY:Working from home
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:conf@x
DTSTART;VALUE=DATE:20240605
DTEND;VALUE=DATE:20240607
SUMMARY:SaaStr Europa
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:gym@x
DTSTART;TZID=Europe/Berlin:20240610T070000
DTEND;TZID=Europe/Berlin:20240610T080000
RRULE:FREQ=DAILY;COUNT=3
SUMMARY:Gym
END:VEVENT
BEGIN:VEVENT
UID:gym@x
RECURRENCE-ID;TZID=Europe/Berlin:20240611T070000
DTSTART;TZID=Europe/Berlin:20240611T070000
DTEND;TZID=Europe/Berlin:20240611T080000
SUMMARY:Gym
STATUS:CANCELLED
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-06-01", to: "2024-07-01",
			want: []string{
				"2024-06-03 00:00 +0200 → 2024-06-04 00:00 +0200 Sick leave",
				"2024-06-10 07:00 +0200 → 2024-06-10 08:00 +0200 Gym",
				"2024-06-12 07:00 +0200 → 2024-06-12 08:00 +0200 Gym",
			},
		},
		{
			name: "DURATION instead of DTEND",
			ics: wrap(`BEGIN:VEVENT
UID:dur1@x
DTSTART;TZID=Europe/Berlin:20240610T090000
DURATION:PT1H30M
SUMMARY:Dentist
END:VEVENT
BEGIN:VEVENT
UID:dur2@x
DTSTART;VALUE=DATE:20240617
DURATION:P1W
SUMMARY:Parental leave
END:VEVENT
BEGIN:VEVENT
UID:dur3@x
DTSTART;TZID=Europe/Berlin:20240626T230000
DURATION:P1DT2H
SUMMARY:Travel
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-06-01", to: "2024-07-01",
			want: []string{
				"2024-06-10 09:00 +0200 → 2024-06-10 10:30 +0200 Dentist",
				"2024-06-17 00:00 +0200 → 2024-06-24 00:00 +0200 Parental leave",
				"2024-06-26 23:00 +0200 → 2024-06-28 01:00 +0200 Travel",
			},
		},
		{
			name: "neither DTEND nor DURATION: all-day lasts a day, timed has no length",
			ics: wrap(`BEGIN:VEVENT
UID:n1@x
DTSTART;VALUE=DATE:20240610
SUMMARY:Bank holiday
END:VEVENT
BEGIN:VEVENT
UID:n2@x
DTSTART;TZID=Europe/Berlin:20240611T090000
SUMMARY:Reminder: call back
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-06-01", to: "2024-07-01",
			want: []string{"2024-06-10 00:00 +0200 → 2024-06-11 00:00 +0200 Bank holiday"},
		},
		{
			name: "overlapping and touching absences are merged",
			ics: wrap(`BEGIN:VEVENT
UID:m1@x
DTSTART;VALUE=DATE:20240701
DTEND;VALUE=DATE:20240706
SUMMARY:Vacation
END:VEVENT
BEGIN:VEVENT
UID:m2@x
DTSTART:20240705T040000Z
DTEND:20240705T080000Z
SUMMARY:Flight
END:VEVENT
BEGIN:VEVENT
UID:m3@x
DTSTART;VALUE=DATE:20240706
DTEND;VALUE=DATE:20240709
SUMMARY:Conference
END:VEVENT
BEGIN:VEVENT
UID:m4@x
DTSTART;VALUE=DATE:20240708
SUMMARY:Vacation
END:VEVENT
BEGIN:VEVENT
UID:m5@x
DTSTART;VALUE=DATE:20240715
SUMMARY:Vacation
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-07-01", to: "2024-08-01",
			want: []string{
				"2024-07-01 00:00 +0200 → 2024-07-09 00:00 +0200 Vacation; Flight; Conference",
				"2024-07-15 00:00 +0200 → 2024-07-16 00:00 +0200 Vacation",
			},
		},
		{
			name: "window bounds: an absence ending at from or starting at to is outside; intervals are not clipped",
			ics: wrap(`BEGIN:VEVENT
UID:w1@x
DTSTART;VALUE=DATE:20240601
DTEND;VALUE=DATE:20240603
SUMMARY:Before
END:VEVENT
BEGIN:VEVENT
UID:w2@x
DTSTART;VALUE=DATE:20240605
SUMMARY:After
END:VEVENT
BEGIN:VEVENT
UID:w3@x
DTSTART;VALUE=DATE:20240602
DTEND;VALUE=DATE:20240604
SUMMARY:Straddling
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-06-03", to: "2024-06-05",
			want: []string{"2024-06-02 00:00 +0200 → 2024-06-04 00:00 +0200 Straddling"},
		},
		{
			name: "floating times and UTC times",
			ics: wrap(`BEGIN:VEVENT
UID:f1@x
DTSTART:20240610T090000
DTEND:20240610T100000
SUMMARY:Floating
END:VEVENT
BEGIN:VEVENT
UID:f2@x
DTSTART:20240610T090000Z
DTEND:20240610T100000Z
SUMMARY:UTC
END:VEVENT
`), zone: "Asia/Tokyo", from: "2024-06-10", to: "2024-06-11",
			want: []string{
				"2024-06-10 09:00 +0900 → 2024-06-10 10:00 +0900 Floating",
				"2024-06-10 18:00 +0900 → 2024-06-10 19:00 +0900 UTC",
			},
		},
		{
			name: "RDATE (date-times and periods) and EXDATE lists",
			ics: wrap(`BEGIN:VEVENT
UID:rd@x
DTSTART;TZID=Europe/Berlin:20240603T090000
DTEND;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=DAILY;COUNT=5
EXDATE;TZID=Europe/Berlin:20240604T090000,20240605T090000
EXDATE;TZID=Europe/Berlin:20240607T090000
RDATE;TZID=Europe/Berlin:20240610T090000
RDATE;VALUE=PERIOD:20240611T120000Z/PT2H,20240612T120000Z/20240612T123000Z
SUMMARY:Training
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-06-01", to: "2024-07-01",
			want: []string{
				"2024-06-03 09:00 +0200 → 2024-06-03 10:00 +0200 Training",
				"2024-06-06 09:00 +0200 → 2024-06-06 10:00 +0200 Training",
				"2024-06-10 09:00 +0200 → 2024-06-10 10:00 +0200 Training",
				"2024-06-11 14:00 +0200 → 2024-06-11 16:00 +0200 Training",
				"2024-06-12 14:00 +0200 → 2024-06-12 14:30 +0200 Training",
			},
		},
		{
			name: "all-day weekly series with an all-day override and a date EXDATE",
			ics: wrap(`BEGIN:VEVENT
UID:ad@x
DTSTART;VALUE=DATE:20240607
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;VALUE=DATE:20240614
SUMMARY:Day off
END:VEVENT
BEGIN:VEVENT
UID:ad@x
RECURRENCE-ID;VALUE=DATE:20240621
DTSTART;VALUE=DATE:20240624
SUMMARY:Day off (moved)
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-06-01", to: "2024-07-01",
			want: []string{
				"2024-06-07 00:00 +0200 → 2024-06-08 00:00 +0200 Day off",
				"2024-06-24 00:00 +0200 → 2024-06-25 00:00 +0200 Day off (moved)",
				"2024-06-28 00:00 +0200 → 2024-06-29 00:00 +0200 Day off",
			},
		},
		{
			name: "an override moving an instance into the window from outside it",
			ics: wrap(`BEGIN:VEVENT
UID:mv@x
DTSTART;TZID=Europe/Berlin:20240603T090000
DTEND;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=WEEKLY
SUMMARY:1:1
END:VEVENT
BEGIN:VEVENT
UID:mv@x
RECURRENCE-ID;TZID=Europe/Berlin:20240617T090000
DTSTART;TZID=Europe/Berlin:20240612T090000
DTEND;TZID=Europe/Berlin:20240612T100000
SUMMARY:1:1 (moved)
END:VEVENT
`), zone: "Europe/Berlin", from: "2024-06-10", to: "2024-06-17",
			want: []string{
				"2024-06-10 09:00 +0200 → 2024-06-10 10:00 +0200 1:1",
				"2024-06-12 09:00 +0200 → 2024-06-12 10:00 +0200 1:1 (moved)",
			},
		},
		{
			name: "a daily series begun decades ago still expands in the window (periods are skipped, not counted)",
			ics: wrap(`BEGIN:VEVENT
UID:old@x
DTSTART;TZID=Europe/Berlin:19900101T120000
DTEND;TZID=Europe/Berlin:19900101T130000
RRULE:FREQ=DAILY
SUMMARY:Lunch
END:VEVENT
`), zone: "Europe/Berlin", from: "2026-03-02", to: "2026-03-04",
			want: []string{
				"2026-03-02 12:00 +0100 → 2026-03-02 13:00 +0100 Lunch",
				"2026-03-03 12:00 +0100 → 2026-03-03 13:00 +0100 Lunch",
			},
		},
		{
			name: "several VCALENDAR objects in one stream",
			ics: wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART;VALUE=DATE:20240610\nSUMMARY:A\nEND:VEVENT\n") +
				wrap("BEGIN:VEVENT\nUID:b@x\nDTSTART;VALUE=DATE:20240612\nSUMMARY:B\nEND:VEVENT\n"),
			zone: "Europe/Berlin", from: "2024-06-01", to: "2024-07-01",
			want: []string{
				"2024-06-10 00:00 +0200 → 2024-06-11 00:00 +0200 A",
				"2024-06-12 00:00 +0200 → 2024-06-13 00:00 +0200 B",
			},
		},
	})
}

// TestParseEvents checks the fields Parse fills in.
func TestParseEvents(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	cal, err := ical.Parse(strings.NewReader(crlf(googleVacation)), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if cal.ProdID != "-//Google Inc//Google Calendar 70.9054//EN" || cal.Name != "anna.schmidt@example.com" {
		t.Errorf("ProdID %q, Name %q", cal.ProdID, cal.Name)
	}
	if len(cal.Events) != 2 {
		t.Fatalf("%d events, want 2 (the VALARM and VTIMEZONE must be skipped)", len(cal.Events))
	}
	v := cal.Events[0]
	if !v.AllDay || v.Summary != "Urlaub" || v.UID != "5qk1n2b3c4d5e6f7g8h9@google.com" || v.Status != "CONFIRMED" || v.Transparent {
		t.Errorf("vacation = %+v", v)
	}
	if want := time.Date(2024, 7, 21, 22, 0, 0, 0, time.UTC); !v.Start.Equal(want) || v.Start.Location() != time.UTC {
		t.Errorf("Start = %v, want %v in UTC", v.Start, want)
	}
	if want := time.Date(2024, 8, 4, 22, 0, 0, 0, time.UTC); !v.End.Equal(want) {
		t.Errorf("End = %v, want %v", v.End, want)
	}
	if v.Line != 26 {
		t.Errorf("Line = %d, want 26", v.Line)
	}

	cal, err = ical.Parse(strings.NewReader(crlf(outlookFridays)), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if len(cal.Events) != 2 || len(cal.Warnings) != 0 {
		t.Fatalf("%d events, warnings %v", len(cal.Events), cal.Warnings)
	}
	series, moved := cal.Events[0], cal.Events[1]
	if series.UID != moved.UID || !strings.HasSuffix(series.UID, "0000000A1B2C3D4E5F60718293A4B5C6D7E8F") {
		t.Errorf("folded UIDs: %q / %q", series.UID, moved.UID)
	}
	r := series.RRule
	if r == nil || r.Freq != ical.Weekly || r.Count != 8 || r.Interval != 1 ||
		!slices.Equal(r.ByDay, []ical.WeekdayNum{{Weekday: time.Friday}}) || r.WKST != time.Monday {
		t.Errorf("RRule = %+v", r)
	}
	if len(series.ExDates) != 1 || !series.ExDates[0].Equal(time.Date(2024, 1, 19, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("ExDates = %v", series.ExDates)
	}
	if moved.RecurrenceID == nil || !moved.RecurrenceID.Equal(time.Date(2024, 2, 2, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("RecurrenceID = %v", moved.RecurrenceID)
	}

	cal, err = ical.Parse(strings.NewReader(wrap(`BEGIN:VEVENT
UID:cat@x
DTSTART;VALUE=DATE:20240610
SUMMARY:Out
CATEGORIES:Vacation,Out of office\, personal
CATEGORIES:HR
RRULE:FREQ=monthly;interval=2;BYDAY=1MO,-1FR;BYMONTH=1,7;UNTIL=20251231;WKST=SU;BYSETPOS=1,-1
END:VEVENT
`)), berlin)
	if err != nil {
		t.Fatal(err)
	}
	e := cal.Events[0]
	if !slices.Equal(e.Categories, []string{"Vacation", "Out of office, personal", "HR"}) {
		t.Errorf("Categories = %q", e.Categories)
	}
	r = e.RRule
	wantDays := []ical.WeekdayNum{{N: -1, Weekday: time.Friday}, {N: 1, Weekday: time.Monday}}
	if r.Freq != ical.Monthly || r.Interval != 2 || !slices.Equal(r.ByDay, wantDays) || !slices.Equal(r.ByMonth, []int{1, 7}) ||
		!r.UntilIsDate || !r.Until.Equal(time.Date(2025, 12, 30, 23, 0, 0, 0, time.UTC)) || r.WKST != time.Sunday ||
		!slices.Equal(r.BySetPos, []int{-1, 1}) {
		t.Errorf("RRule = %+v", r)
	}
}

// TestTZID covers Windows zone names, IANA names hidden in vendor prefixes or X-LIC-LOCATION,
// and the fallback for unknown TZIDs.
func TestTZID(t *testing.T) {
	for _, tc := range []struct {
		tzid, want string
	}{
		{"W. Europe Standard Time", "2024-06-10 09:00 +0200"},
		{"Eastern Standard Time", "2024-06-10 09:00 -0400"},
		{"SE Asia Standard Time", "2024-06-10 09:00 +0700"},
		{"GMT Standard Time", "2024-06-10 09:00 +0100"},
		{"Pacific Standard Time", "2024-06-10 09:00 -0700"},
		{"pacific standard time", "2024-06-10 09:00 -0700"},
		{"America/Sao_Paulo", "2024-06-10 09:00 -0300"},
		{"/mozilla.org/20050126_1/Asia/Kolkata", "2024-06-10 09:00 +0530"},
		{"/citadel.org/20190914_1/America/Argentina/Buenos_Aires", "2024-06-10 09:00 -0300"},
	} {
		t.Run(tc.tzid, func(t *testing.T) {
			ics := wrap(fmt.Sprintf("BEGIN:VEVENT\nUID:z@x\nDTSTART;TZID=\"%s\":20240610T090000\nDURATION:PT1H\nEND:VEVENT\n", tc.tzid))
			cal, err := ical.Parse(strings.NewReader(ics), time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if len(cal.Warnings) != 0 {
				t.Errorf("warnings: %v", cal.Warnings)
			}
			// Show the start in the zone the TZID names.
			_, off := cal.Events[0].Start.Zone()
			start := cal.Events[0].Start
			got := ""
			for _, name := range []string{"Europe/Berlin", "America/New_York", "Asia/Jakarta", "Europe/London", "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata", "America/Argentina/Buenos_Aires"} {
				l := mustZone(t, name)
				if s := start.In(l).Format("2006-01-02 15:04 -0700"); s == tc.want {
					got = s
				}
			}
			if got == "" || off != 0 {
				t.Errorf("start %v matches no zone for %q (want %s)", start, tc.tzid, tc.want)
			}
		})
	}

	t.Run("X-LIC-LOCATION names the zone of a custom TZID", func(t *testing.T) {
		ics := wrap("BEGIN:VTIMEZONE\nTZID:Custom Berlin\nX-LIC-LOCATION:Europe/Berlin\nEND:VTIMEZONE\n" +
			"BEGIN:VEVENT\nUID:z@x\nDTSTART;TZID=Custom Berlin:20240610T090000\nEND:VEVENT\n")
		cal, err := ical.Parse(strings.NewReader(ics), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2024, 6, 10, 7, 0, 0, 0, time.UTC); !cal.Events[0].Start.Equal(want) || len(cal.Warnings) != 0 {
			t.Errorf("Start %v (want %v), warnings %v", cal.Events[0].Start, want, cal.Warnings)
		}
	})

	t.Run("unknown TZID falls back to the rep's zone with a warning", func(t *testing.T) {
		ics := wrap("BEGIN:VEVENT\nUID:z@x\nDTSTART;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20240610T090000\n" +
			"DTEND;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20240610T100000\nEND:VEVENT\n")
		chicago := mustZone(t, "America/Chicago")
		cal, err := ical.Parse(strings.NewReader(ics), chicago)
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2024, 6, 10, 9, 0, 0, 0, chicago); !cal.Events[0].Start.Equal(want) {
			t.Errorf("Start %v, want %v", cal.Events[0].Start, want)
		}
		if len(cal.Warnings) != 1 || cal.Warnings[0].Line != 8 || !strings.Contains(cal.Warnings[0].Msg, "unknown TZID") ||
			!strings.Contains(cal.Warnings[0].String(), "line 8: ") {
			t.Errorf("warnings %v", cal.Warnings)
		}
	})
}

// TestRFC5545Examples expands the recurrence examples of RFC 5545 §3.8.5.3 (times in
// America/New_York).
func TestRFC5545Examples(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	for _, tc := range []struct {
		name, dtstart, rule, exdate, to string
		want                            []string // "YYYYMMDD" or "YYYYMMDDTHHMM"; the time defaults to 09:00
		count                           int      // when want is too long to list
	}{
		{name: "daily for 10", dtstart: "19970902T090000", rule: "FREQ=DAILY;COUNT=10",
			want: []string{"19970902", "19970903", "19970904", "19970905", "19970906", "19970907", "19970908", "19970909", "19970910", "19970911"}},
		{name: "every 10 days, 5 times", dtstart: "19970902T090000", rule: "FREQ=DAILY;INTERVAL=10;COUNT=5",
			want: []string{"19970902", "19970912", "19970922", "19971002", "19971012"}},
		{name: "every day in January for 3 years", dtstart: "19980101T090000",
			rule: "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA", count: 93},
		{name: "same, daily with BYMONTH", dtstart: "19980101T090000",
			rule: "FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1", count: 93},
		{name: "weekly for 10", dtstart: "19970902T090000", rule: "FREQ=WEEKLY;COUNT=10",
			want: []string{"19970902", "19970909", "19970916", "19970923", "19970930", "19971007", "19971014", "19971021", "19971028", "19971104"}},
		{name: "weekly on Tuesday and Thursday for five weeks", dtstart: "19970902T090000", rule: "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH",
			want: []string{"19970902", "19970904", "19970909", "19970911", "19970916", "19970918", "19970923", "19970925", "19970930", "19971002"}},
		{name: "every other week on Mon, Wed, Fri until Dec 24", dtstart: "19970901T090000",
			rule: "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
			want: []string{"19970901", "19970903", "19970905", "19970915", "19970917", "19970919", "19970929", "19971001", "19971003",
				"19971013", "19971015", "19971017", "19971027", "19971029", "19971031", "19971110", "19971112", "19971114",
				"19971124", "19971126", "19971128", "19971208", "19971210", "19971212", "19971222"}},
		{name: "WKST=MO", dtstart: "19970805T090000", rule: "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
			want: []string{"19970805", "19970810", "19970819", "19970824"}},
		{name: "WKST=SU", dtstart: "19970805T090000", rule: "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
			want: []string{"19970805", "19970817", "19970819", "19970831"}},
		{name: "monthly on the first Friday for 10", dtstart: "19970905T090000", rule: "FREQ=MONTHLY;COUNT=10;BYDAY=1FR",
			want: []string{"19970905", "19971003", "19971107", "19971205", "19980102", "19980206", "19980306", "19980403", "19980501", "19980605"}},
		{name: "every other month on the first and last Sunday", dtstart: "19970907T090000", rule: "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU",
			want: []string{"19970907", "19970928", "19971102", "19971130", "19980104", "19980125", "19980301", "19980329", "19980503", "19980531"}},
		{name: "monthly on the second-to-last Monday for 6 months", dtstart: "19970922T090000", rule: "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO",
			want: []string{"19970922", "19971020", "19971117", "19971222", "19980119", "19980216"}},
		{name: "monthly on the third-to-last day", dtstart: "19970928T090000", rule: "FREQ=MONTHLY;BYMONTHDAY=-3", to: "19980301",
			want: []string{"19970928", "19971029", "19971128", "19971229", "19980129", "19980226"}},
		{name: "monthly on the first and last day for 10", dtstart: "19970930T090000", rule: "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1",
			want: []string{"19970930", "19971001", "19971031", "19971101", "19971130", "19971201", "19971231", "19980101", "19980131", "19980201"}},
		{name: "every 18 months on the 10th to 15th for 10", dtstart: "19970910T090000", rule: "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15",
			want: []string{"19970910", "19970911", "19970912", "19970913", "19970914", "19970915", "19990310", "19990311", "19990312", "19990313"}},
		{name: "every Tuesday, every other month", dtstart: "19970902T090000", rule: "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU", to: "19971201",
			want: []string{"19970902", "19970909", "19970916", "19970923", "19970930", "19971104", "19971111", "19971118", "19971125"}},
		{name: "yearly in June and July for 10", dtstart: "19970610T090000", rule: "FREQ=YEARLY;COUNT=10;BYMONTH=6,7",
			want: []string{"19970610", "19970710", "19980610", "19980710", "19990610", "19990710", "20000610", "20000710", "20010610", "20010710"}},
		{name: "every third year on the 1st, 100th and 200th day", dtstart: "19970101T090000", rule: "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200",
			want: []string{"19970101", "19970410", "19970719", "20000101", "20000409", "20000718", "20030101", "20030410", "20030719", "20060101"}},
		{name: "every 20th Monday of the year", dtstart: "19970519T090000", rule: "FREQ=YEARLY;BYDAY=20MO", to: "20000101",
			want: []string{"19970519", "19980518", "19990517"}},
		{name: "Monday of week 20", dtstart: "19970512T090000", rule: "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", to: "20000101",
			want: []string{"19970512", "19980511", "19990517"}},
		{name: "every Thursday in March", dtstart: "19970313T090000", rule: "FREQ=YEARLY;BYMONTH=3;BYDAY=TH", to: "20000101",
			want: []string{"19970313", "19970320", "19970327", "19980305", "19980312", "19980319", "19980326", "19990304", "19990311", "19990318", "19990325"}},
		{name: "every Friday the 13th", dtstart: "19970902T090000", exdate: "19970902T090000", rule: "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", to: "20010101",
			want: []string{"19980213", "19980313", "19981113", "19990813", "20001013"}},
		{name: "the first Saturday after the first Sunday", dtstart: "19970913T090000", rule: "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13", to: "19980701",
			want: []string{"19970913", "19971011", "19971108", "19971213", "19980110", "19980207", "19980307", "19980411", "19980509", "19980613"}},
		{name: "US presidential election day", dtstart: "19961105T090000", rule: "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8", to: "20050101",
			want: []string{"19961105", "20001107", "20041102"}},
		{name: "third of Tue/Wed/Thu for 3 months", dtstart: "19970904T090000", rule: "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
			want: []string{"19970904", "19971007", "19971106"}},
		{name: "second-to-last weekday", dtstart: "19970929T090000", rule: "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", to: "19980401",
			want: []string{"19970929", "19971030", "19971127", "19971230", "19980129", "19980226", "19980330"}},
		{name: "every 20 minutes from 9:00 to 16:40", dtstart: "19970902T090000", rule: "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40", to: "19970904",
			count: 48},
		{name: "invalid dates are skipped", dtstart: "20070115T090000", rule: "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
			want: []string{"20070115", "20070130", "20070215", "20070315", "20070330"}},
		{name: "every other year in January to March, every Sunday at 8:30 and 9:30", dtstart: "19970105T083000",
			rule: "FREQ=YEARLY;INTERVAL=2;BYMONTH=1;BYDAY=SU;BYHOUR=8,9;BYMINUTE=30", to: "19970201",
			want: []string{"19970105T0830", "19970105T0930", "19970112T0830", "19970112T0930", "19970119T0830", "19970119T0930", "19970126T0830", "19970126T0930"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := "BEGIN:VEVENT\nUID:rfc@x\nDTSTART;TZID=America/New_York:" + tc.dtstart + "\nDURATION:PT1M\nRRULE:" + tc.rule + "\n"
			if tc.exdate != "" {
				ev += "EXDATE;TZID=America/New_York:" + tc.exdate + "\n"
			}
			cal, err := ical.Parse(strings.NewReader(wrap(ev+"END:VEVENT\n")), time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			to := day(2010, 1, 1, ny)
			if tc.to != "" {
				to, _ = time.ParseInLocation("20060102", tc.to, ny)
			}
			var got []string
			for _, iv := range cal.Busy(day(1990, 1, 1, ny), to) {
				l := iv.Start.In(ny)
				s := l.Format("20060102")
				if l.Hour() != 9 || l.Minute() != 0 {
					s = l.Format("20060102T1504")
				}
				got = append(got, s)
				if iv.End.Sub(iv.Start) != time.Minute {
					t.Errorf("instance %v lasts %v", iv.Start, iv.End.Sub(iv.Start))
				}
			}
			if tc.count > 0 {
				if len(got) != tc.count {
					t.Errorf("%d instances, want %d: %v", len(got), tc.count, got)
				}
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

// TestMalformed checks that broken input is an error naming the line and the reason.
func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, ics string
		line      string // the line the error must name (first line starting with it); "" for none
		nth       int    // which such line, when not the first
		reason    string
	}{
		{name: "missing END:VEVENT before END:VCALENDAR",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART;VALUE=DATE:20240610\n"),
			line: "END:VCALENDAR", reason: "VEVENT begun at line 6 is still open (missing END:VEVENT)"},
		{name: "missing END:VEVENT before the next VEVENT",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART;VALUE=DATE:20240610\nBEGIN:VEVENT\nUID:b@x\nDTSTART;VALUE=DATE:20240611\nEND:VEVENT\n"),
			line: "BEGIN:VEVENT", nth: 2, reason: "BEGIN:VEVENT inside the VEVENT begun at line 6 (missing END:VEVENT?)"},
		{name: "document cut off inside a VEVENT",
			ics:  crlf("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:a@x\nDTSTART;VALUE=DATE:20240610\n"),
			line: "BEGIN:VEVENT", reason: "BEGIN:VEVENT is never closed (missing END:VEVENT)"},
		{name: "bad date",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART;TZID=Europe/Berlin:20240230T090000\nEND:VEVENT\n"),
			line: "DTSTART", reason: `DTSTART: invalid date-time "20240230T090000": day 30 out of range`},
		{name: "bad date format",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART;VALUE=DATE:20240610\nDTEND;VALUE=DATE:2024-06-11\nEND:VEVENT\n"),
			line: "DTEND", reason: `DTEND: invalid date "2024-06-11": want YYYYMMDD`},
		{name: "bad time of day",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART:20240610T250000Z\nEND:VEVENT\n"),
			line: "DTSTART", reason: "time of day out of range"},
		{name: "bad line number after folded lines",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nSUMMARY:a long\n  folded\n  summary\nDESCRIPTION:x\n y\nDTSTART:2024061\n 0T09000\nEND:VEVENT\n"),
			line: "DTSTART", reason: "want YYYYMMDDTHHMMSS"},
		{name: "bad EXDATE in a list",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART:20240610T090000Z\nRRULE:FREQ=DAILY\nEXDATE:20240611T090000Z,20240612\nEXDATE:20240613T090000Z,2024\nEND:VEVENT\n"),
			line: "EXDATE:20240613", reason: "EXDATE: invalid date-time"},
		{name: "bad DURATION",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART:20240610T090000Z\nDURATION:1H\nEND:VEVENT\n"),
			line: "DURATION", reason: "DURATION: invalid duration"},
		{name: "negative DURATION",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART:20240610T090000Z\nDURATION:-PT1H\nEND:VEVENT\n"),
			line: "DURATION", reason: "negative duration"},
		{name: "bad RRULE",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART:20240610T090000Z\nRRULE:FREQ=FORTNIGHTLY\nEND:VEVENT\n"),
			line: "RRULE", reason: `RRULE: unknown FREQ "FORTNIGHTLY"`},
		{name: "bad BYDAY",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART:20240610T090000Z\nRRULE:FREQ=MONTHLY;BYDAY=0MO\nEND:VEVENT\n"),
			line: "RRULE", reason: "BYDAY: invalid ordinal"},
		{name: "RRULE without FREQ",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART:20240610T090000Z\nRRULE:COUNT=3\nEND:VEVENT\n"),
			line: "RRULE", reason: "RRULE: no FREQ"},
		{name: "no DTSTART",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nSUMMARY:x\nEND:VEVENT\n"),
			line: "BEGIN:VEVENT", reason: "VEVENT has no DTSTART"},
		{name: "two DTSTARTs",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART:20240610T090000Z\nDTSTART:20240611T090000Z\nEND:VEVENT\n"),
			line: "DTSTART:20240611", reason: "second DTSTART in the VEVENT begun at line 6"},
		{name: "line without colon",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART:20240610T090000Z\nSUMMARY Vacation\nEND:VEVENT\n"),
			line: "SUMMARY", reason: "unexpected ' '"},
		{name: "unterminated quoted parameter",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART;TZID=\"Europe/Berlin:20240610T090000\nEND:VEVENT\n"),
			line: "DTSTART", reason: "unterminated quoted value of parameter TZID"},
		{name: "parameter without value",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART;TZID:20240610T090000\nEND:VEVENT\n"),
			line: "DTSTART", reason: "parameter TZID has no value"},
		{name: "END without BEGIN",
			ics:  wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART:20240610T090000Z\nEND:VEVENT\nEND:VALARM\n"),
			line: "END:VALARM", reason: "END:VALARM without BEGIN:VALARM"},
		{name: "not a calendar",
			ics:  "<!DOCTYPE html>\n<html><body>Sign in</body></html>\n",
			line: "<!DOCTYPE", reason: "expected a property name"},
		{name: "a vCard, not a calendar",
			ics:  "BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n",
			line: "BEGIN:VCARD", reason: "expected BEGIN:VCALENDAR, found BEGIN:VCARD"},
		{name: "property after END:VCALENDAR",
			ics:  wrap("") + "X-TRAILER:1\r\n",
			line: "X-TRAILER", reason: "X-TRAILER outside BEGIN:VCALENDAR"},
		{name: "continuation with nothing to continue",
			ics:  " BEGIN:VCALENDAR\n",
			line: " BEGIN", reason: "continuation line"},
		{name: "empty document", ics: "\r\n\r\n", reason: "no VCALENDAR in the document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cal, err := ical.Parse(strings.NewReader(tc.ics), time.UTC)
			var pe *ical.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %v, %v; want a *ParseError", cal, err)
			}
			if cal != nil {
				t.Errorf("calendar returned with an error")
			}
			want := 0
			if tc.line != "" {
				seen := 0
				for i, l := range strings.Split(strings.ReplaceAll(tc.ics, "\r\n", "\n"), "\n") {
					if strings.HasPrefix(l, tc.line) {
						if seen++; seen == max(tc.nth, 1) {
							want = i + 1
							break
						}
					}
				}
				if want == 0 {
					t.Fatalf("test bug: no line starts with %q", tc.line)
				}
			}
			if pe.Line != want || !strings.Contains(pe.Msg, tc.reason) {
				t.Errorf("error %q (line %d), want line %d and %q", err, pe.Line, want, tc.reason)
			}
			if want > 0 && !strings.Contains(err.Error(), fmt.Sprintf("line %d: ", want)) {
				t.Errorf("error text %q does not name line %d", err, want)
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	doc := wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART;VALUE=DATE:20240610\nDESCRIPTION:" + strings.Repeat("x", ical.MaxDocumentSize) + "\nEND:VEVENT\n")
	if _, err := ical.Parse(strings.NewReader(doc), nil); !errors.Is(err, ical.ErrTooLarge) {
		t.Fatalf("Parse = %v, want ErrTooLarge", err)
	}
	// Just under the limit is fine, however long the line.
	pad := ical.MaxDocumentSize - len(wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART;VALUE=DATE:20240610\nDESCRIPTION:\nEND:VEVENT\n"))
	doc = wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART;VALUE=DATE:20240610\nDESCRIPTION:" + strings.Repeat("x", pad) + "\nEND:VEVENT\n")
	if len(doc) != ical.MaxDocumentSize {
		t.Fatalf("test bug: %d bytes", len(doc))
	}
	if cal, err := ical.Parse(strings.NewReader(doc), nil); err != nil || len(cal.Events) != 1 {
		t.Fatalf("Parse at the limit = %v", err)
	}
}

// TestLimits checks the instance limit and the warnings for unsupported rules.
func TestLimits(t *testing.T) {
	cal, err := ical.Parse(strings.NewReader(wrap(`BEGIN:VEVENT
UID:many@x
DTSTART:20000101T090000Z
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=20000
END:VEVENT
BEGIN:VEVENT
UID:hourly@x
DTSTART:20240610T090000Z
DURATION:PT10M
RRULE:FREQ=HOURLY;COUNT=5;BYEASTER=0
EXRULE:FREQ=DAILY
END:VEVENT
BEGIN:VEVENT
UID:never@x
DTSTART:20240610T090000Z
DURATION:PT10M
RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30
END:VEVENT
`)), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, w := range cal.Warnings {
		msgs = append(msgs, w.Msg)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"COUNT=20000 exceeds the limit", "FREQ=HOURLY is not supported", "BYEASTER is not supported", "EXRULE"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings %q lack %q", msgs, want)
		}
	}
	// The 10,000th daily instance from 2000-01-01 is 2027-05-18.
	last := cal.Busy(time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(last) != 18 || !last[17].Start.Equal(time.Date(2027, 5, 18, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %d instances in 2027: %v", len(last), show(last, time.UTC))
	}
	// HOURLY counts once; the never-matching yearly rule ends without looping forever.
	cal.Events = cal.Events[1:]
	got := cal.Busy(time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if want := []string{
		"2024-06-10 09:00 +0000 → 2024-06-10 09:10 +0000 ",
	}; !slices.Equal(show(got, time.UTC), want) {
		t.Errorf("got %q, want %q", show(got, time.UTC), want)
	}
	if cal.Busy(time.Date(2024, 6, 11, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC)) != nil {
		t.Error("an empty window has absences")
	}
	var nilCal *ical.Calendar
	if nilCal.Busy(time.Time{}, time.Now()) != nil {
		t.Error("nil calendar has absences")
	}
}

// TestTolerated checks inputs real exporters produce that Parse must accept.
func TestTolerated(t *testing.T) {
	doc := "\ufeffBEGIN:VCALENDAR\nVERSION:2.0\n\nBEGIN:VTODO\nUID:t@x\nSUMMARY:Send quote\nEND:VTODO\n" +
		"begin:vevent\nuid:lower@x\ndtstart;value=date:20240610\nsummary;language=de;x-param=\"a;b:c\",d:Frei\\:tag\n" +
		"X-ALT-DESC;FMTTYPE=text/html:<html><body><p>Out</p></body></html>\nDESCRIPTION:" + strings.Repeat("long line ", 500) + "\n" +
		"DTEND;VALUE=DATE:20240610\nend:vevent\nEND:VCALENDAR"
	cal, err := ical.Parse(strings.NewReader(doc), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(cal.Events) != 1 || cal.Events[0].Summary != "Frei:tag" || !cal.Events[0].AllDay {
		t.Fatalf("events %+v", cal.Events)
	}
	// DTEND equal to DTSTART on an all-day event: a one-day event, with a warning.
	if got := cal.Events[0].End.Sub(cal.Events[0].Start); got != 24*time.Hour || len(cal.Warnings) != 1 {
		t.Errorf("length %v, warnings %v", got, cal.Warnings)
	}
}

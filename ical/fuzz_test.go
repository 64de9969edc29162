package ical_test

import (
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/ical"
)

// FuzzParse checks that no input makes Parse or Busy panic or hang (S-REP-2), and that Busy's
// result is sorted, merged and made of non-empty intervals overlapping the window.
// Run: go test -run '^$' -fuzz FuzzParse -fuzztime 20s ./ical/
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		googleVacation,
		crlf(outlookFridays),
		wrap("BEGIN:VEVENT\nUID:a@x\nDTSTART;TZID=America/New_York:20240126T150000\nDURATION:PT2H\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;BYSETPOS=1\nEXDATE;VALUE=DATE:20240223\nEND:VEVENT\n"),
		wrap("BEGIN:VEVENT\nUID:b@x\nDTSTART;VALUE=DATE:20231123\nRRULE:FREQ=YEARLY;BYWEEKNO=-1,20;BYDAY=MO;WKST=SU;UNTIL=20300101\nRDATE;VALUE=PERIOD:20240611T120000Z/PT2H\nEND:VEVENT\n"),
		wrap("BEGIN:VEVENT\nUID:c@x\nDTSTART:20240610T090000\nRRULE:FREQ=DAILY;BYHOUR=9,10;BYMINUTE=0,30;BYSECOND=0;BYMONTH=6;BYYEARDAY=-200,162;COUNT=50\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:c@x\nRECURRENCE-ID:20240611T090000\nDTSTART:20240611T100000\nSUMMARY:x\\, y\\n\nEND:VEVENT\n"),
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=\"W. Europe Standard Time\":2024\r\n 0610T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	} {
		f.Add([]byte(s))
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	from := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		cal, err := ical.Parse(strings.NewReader(string(data)), berlin)
		if err != nil {
			if cal != nil {
				t.Fatal("calendar and error")
			}
			return
		}
		for _, e := range cal.Events {
			if e.End.Before(e.Start) {
				t.Fatalf("event %q ends before it starts", e.UID)
			}
		}
		ivs := cal.Busy(from, to)
		for i, iv := range ivs {
			if !iv.End.After(iv.Start) || !iv.Start.Before(to) || !iv.End.After(from) {
				t.Fatalf("interval %d %v–%v empty or outside the window", i, iv.Start, iv.End)
			}
			if i > 0 && !iv.Start.After(ivs[i-1].End) {
				t.Fatalf("intervals %d and %d overlap or touch", i-1, i)
			}
		}
	})
}

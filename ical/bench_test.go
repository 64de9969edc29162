package ical_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/ical"
)

// calendar500 is a Google-Calendar-style export with 500 events: single meetings, all-day
// absences and weekly/monthly series (S-REP-2).
func calendar500() string {
	var b strings.Builder
	b.WriteString(googleVacation[:strings.Index(googleVacation, "BEGIN:VEVENT")])
	for i := range 500 {
		d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%365)
		fmt.Fprintf(&b, "BEGIN:VEVENT\nDTSTAMP:20240601T120000Z\nUID:%08x-bench@google.com\nCREATED:20231201T100000Z\n", i)
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "DTSTART;VALUE=DATE:%s\nDTEND;VALUE=DATE:%s\nSUMMARY:Urlaub\n", d.Format("20060102"), d.AddDate(0, 0, 3).Format("20060102"))
		case 1:
			fmt.Fprintf(&b, "DTSTART;TZID=Europe/Berlin:%sT130000\nDTEND;TZID=Europe/Berlin:%sT180000\nRRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20251231T225959Z\nEXDATE;TZID=Europe/Berlin:%sT130000\nSUMMARY:Out of office\n",
				d.Format("20060102"), d.Format("20060102"), d.AddDate(0, 0, 7).Format("20060102"))
		case 2:
			fmt.Fprintf(&b, "DTSTART:%sT080000Z\nDURATION:PT1H30M\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=12\nSUMMARY:Month-end review\n", d.Format("20060102"))
		default:
			fmt.Fprintf(&b, "DTSTART;TZID=Europe/Berlin:%sT%02d0000\nDTEND;TZID=Europe/Berlin:%sT%02d3000\nSUMMARY:Customer call – ACME\\, Inc.\n", d.Format("20060102"), 8+i%9, d.Format("20060102"), 8+i%9)
		}
		b.WriteString("DESCRIPTION:Agenda:\\n1. Pipeline\\n2. Forecast\\nJoin: https://meet.google.com/abc-defg-hij\n" +
			"LAST-MODIFIED:20240601T115900Z\nSEQUENCE:0\nSTATUS:CONFIRMED\nTRANSP:OPAQUE\n" +
			"BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:This is an event reminder\nTRIGGER:-P0DT0H10M0S\nEND:VALARM\nEND:VEVENT\n")
	}
	b.WriteString("END:VCALENDAR\n")
	return crlf(b.String())
}

func BenchmarkParse500(b *testing.B) {
	doc := calendar500()
	berlin := mustZone(b, "Europe/Berlin")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		cal, err := ical.Parse(strings.NewReader(doc), berlin)
		if err != nil || len(cal.Events) != 500 {
			b.Fatal(err)
		}
	}
}

func BenchmarkBusy500Quarter(b *testing.B) {
	berlin := mustZone(b, "Europe/Berlin")
	cal, err := ical.Parse(strings.NewReader(calendar500()), berlin)
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, berlin)
	to := from.AddDate(0, 3, 0)
	b.ReportAllocs()
	for b.Loop() {
		if len(cal.Busy(from, to)) == 0 {
			b.Fatal("no absences")
		}
	}
}

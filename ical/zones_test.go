package ical

import (
	"testing"
	"time"
)

// TestWindowsZonesLoad checks that every Windows zone name maps to a zone Go knows (S-REP-2).
func TestWindowsZonesLoad(t *testing.T) {
	for win, iana := range windowsZones {
		if loadZone(iana) == nil {
			t.Errorf("%q → %q: no such zone", win, iana)
		}
	}
}

// TestWallToInstant checks the RFC 5545 §3.3.5 rules for wall times in DST gaps and folds.
func TestWallToInstant(t *testing.T) {
	for _, tc := range []struct {
		zone          string
		y, m, d, h, i int
		want          string // UTC
	}{
		{"America/New_York", 2024, 3, 10, 2, 30, "2024-03-10T07:30:00Z"}, // gap: 03:30 EDT
		{"America/New_York", 2024, 11, 3, 1, 30, "2024-11-03T05:30:00Z"}, // fold: 01:30 EDT, the first
		{"Europe/Berlin", 2024, 3, 31, 2, 30, "2024-03-31T01:30:00Z"},    // gap: 03:30 CEST
		{"Europe/Berlin", 2024, 10, 27, 2, 30, "2024-10-27T00:30:00Z"},   // fold: 02:30 CEST, the first
		{"Europe/Berlin", 2024, 6, 10, 9, 0, "2024-06-10T07:00:00Z"},     // ordinary
		{"Australia/Sydney", 2024, 4, 7, 2, 30, "2024-04-06T15:30:00Z"},  // fold: 02:30 AEDT, the first
		{"Australia/Sydney", 2024, 10, 6, 2, 30, "2024-10-05T16:30:00Z"}, // gap: 03:30 AEDT
		{"UTC", 1, 1, 1, 0, 0, "0001-01-01T00:00:00Z"},
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		got := wallToInstant(daysFromCivil(tc.y, tc.m, tc.d), tc.h*3600+tc.i*60, loc).UTC().Format(time.RFC3339)
		if got != tc.want {
			t.Errorf("%s %d-%02d-%02d %02d:%02d = %s, want %s", tc.zone, tc.y, tc.m, tc.d, tc.h, tc.i, got, tc.want)
		}
	}
}

// TestCivilDays checks the day-number conversions against the time package.
func TestCivilDays(t *testing.T) {
	for d := daysFromCivil(1600, 1, 1); d < daysFromCivil(2400, 1, 1); d += 13 {
		y, m, dd := civilFromDays(d)
		tm := time.Unix(int64(d)*secondsPerDay, 0).UTC()
		if ty, tmo, td := tm.Date(); ty != y || int(tmo) != m || td != dd || tm.Weekday() != weekdayOf(d) {
			t.Fatalf("day %d: %d-%d-%d %v, time says %v", d, y, m, dd, weekdayOf(d), tm)
		}
		if daysFromCivil(y, m, dd) != d {
			t.Fatalf("round trip of day %d", d)
		}
	}
}

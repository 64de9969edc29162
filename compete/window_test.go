package compete_test

import (
	"maps"
	"testing"
	"time"

	"github.com/leadflow/leadflow/compete"
)

// TestPriorityWindowsSpreadAndRotate is S-COMP-6: one 30-minute window a day per rep inside the
// working day, spread evenly over the day, and rotating so that over 16 days (the 16 slots of
// 09:00–17:00) every rep has every slot exactly once.
func TestPriorityWindowsSpreadAndRotate(t *testing.T) {
	cfg := compete.DefaultConfig()
	for _, n := range []int{1, 4, 7, 16, 40} {
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = int64(1000 - 13*i) // unsorted on purpose
		}
		slotsSeen := map[int64]map[int]int{}
		for day := range 16 {
			date := time.Date(2026, time.March, 2+day, 12, 0, 0, 0, time.UTC)
			ws := compete.PriorityWindows(ids, date, nil, cfg)
			if len(ws) != n {
				t.Fatalf("n=%d: %d windows", n, len(ws))
			}
			perSlot := map[int]int{}
			for id, w := range ws {
				if w.End.Sub(w.Start) != 30*time.Minute || w.Start.Day() != date.Day() {
					t.Fatalf("n=%d: window %+v", n, w)
				}
				slot := (w.Start.Hour()*60 + w.Start.Minute() - 9*60) / 30
				if slot < 0 || slot >= 16 || w.Start.Minute()%30 != 0 {
					t.Fatalf("n=%d: window at %s outside the working day", n, w.Start.Format("15:04"))
				}
				perSlot[slot]++
				if slotsSeen[id] == nil {
					slotsSeen[id] = map[int]int{}
				}
				slotsSeen[id][slot]++
			}
			// Even spread: with n ≤ 16 no two reps share a slot; with more, every slot holds
			// ⌊n/16⌋ or ⌈n/16⌉ reps.
			for s := range 16 {
				c := perSlot[s]
				if c < n/16 || c > (n+15)/16 {
					t.Fatalf("n=%d day %d: slot %d holds %d reps", n, day, s, c)
				}
			}
		}
		for id, seen := range slotsSeen {
			if len(seen) != 16 {
				t.Fatalf("n=%d: rep %d had %d distinct slots in 16 days, want all 16", n, id, len(seen))
			}
		}
	}
}

// TestPriorityWindowsDeterministic: the same reps and date give the same windows whatever the
// order of the ids or the time of day asked; duplicates are ignored.
func TestPriorityWindowsDeterministic(t *testing.T) {
	cfg := compete.DefaultConfig()
	a := compete.PriorityWindows([]int64{3, 1, 2}, time.Date(2026, time.March, 4, 1, 0, 0, 0, time.UTC), nil, cfg)
	b := compete.PriorityWindows([]int64{2, 3, 1, 3}, time.Date(2026, time.March, 4, 23, 0, 0, 0, time.UTC), nil, cfg)
	if !maps.EqualFunc(a, b, func(x, y compete.Window) bool { return x.Start.Equal(y.Start) && x.End.Equal(y.End) }) {
		t.Fatalf("%v vs %v", a, b)
	}
	holders := compete.Holders(a, a[2].Start)
	if len(holders) != 1 || holders[0] != 2 {
		t.Fatalf("holders at rep 2's window: %v", holders)
	}
	cfg.PriorityWindow = 0
	if w := compete.PriorityWindows([]int64{1}, t0, nil, cfg); w != nil {
		t.Fatalf("disabled windows: %v", w)
	}
}

// TestPriorityWindowsTimeZone: windows are wall-clock times of the team's zone, also on the day
// clocks change.
func TestPriorityWindowsTimeZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data")
	}
	cfg := compete.DefaultConfig()
	ids := make([]int64, 16)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	// Sunday 8 March 2026: clocks go forward at 02:00.
	ws := compete.PriorityWindows(ids, time.Date(2026, time.March, 8, 15, 0, 0, 0, time.UTC), ny, cfg)
	first, last := time.Time{}, time.Time{}
	for _, w := range ws {
		local := w.Start.In(ny)
		if local.Day() != 8 || local.Hour() < 9 || local.Hour() >= 17 {
			t.Fatalf("window at %s", local)
		}
		if first.IsZero() || w.Start.Before(first) {
			first = w.Start
		}
		if w.End.After(last) {
			last = w.End
		}
	}
	if !first.Equal(time.Date(2026, time.March, 8, 9, 0, 0, 0, ny)) || !last.Equal(time.Date(2026, time.March, 8, 17, 0, 0, 0, ny)) {
		t.Fatalf("windows span %s–%s", first.In(ny), last.In(ny))
	}
}

package compete

import (
	"slices"
	"time"
)

// Window is a rep's priority window of one day (S-COMP-6): [Start, End). The zero Window is no
// window.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Contains reports whether t falls in the window.
func (w Window) Contains(t time.Time) bool {
	return !w.Start.IsZero() && !t.Before(w.Start) && t.Before(w.End)
}

// PriorityWindows assigns each rep its priority window on the calendar day of day in loc (the
// team's time zone; nil means UTC) (S-COMP-6): one window of cfg.PriorityWindow a day, during
// which the rep sees new pool leads cfg.HeadStart before everyone else (see See).
//
// The working day [WorkdayStart, WorkdayEnd) is cut into S = ⌊length / PriorityWindow⌋ slots.
// The n distinct rep ids, sorted ascending, are spread evenly over the slots — rep i (0-based)
// starts from slot ⌊i·S/n⌋ — and every day all reps move on by one slot, wrapping around:
// slot(i, d) = (⌊i·S/n⌋ + d) mod S, where d numbers the calendar date. So on any day the windows
// are spread as evenly as possible over the working day (when n > S, every slot holds ⌊n/S⌋ or
// ⌈n/S⌉ reps, whose windows coincide), and over S consecutive days every rep has had every slot
// exactly once: nobody keeps the quiet early-morning or the busy late-morning slot. The result is
// deterministic in (rep ids, date); a rep joining or leaving shifts the others' spread from the
// next computation on.
//
// It returns nil when priority windows are disabled (PriorityWindow or HeadStart is 0) or the
// working day is not valid.
func PriorityWindows(repIDs []int64, day time.Time, loc *time.Location, cfg Config) map[int64]Window {
	length := cfg.PriorityWindow.D()
	if length <= 0 || cfg.HeadStart <= 0 || len(repIDs) == 0 {
		return nil
	}
	start, err1 := clock(cfg.WorkdayStart)
	end, err2 := clock(cfg.WorkdayEnd)
	step := int(length / time.Minute)
	if err1 != nil || err2 != nil || step <= 0 || end-start < step {
		return nil
	}
	slots := int64((end - start) / step)
	ids := slices.Clone(repIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	n := int64(len(ids))
	local := day.In(orUTC(loc))
	y, m, d := local.Date()
	dayNo := civilDay(local)
	out := make(map[int64]Window, n)
	for i, id := range ids {
		slot := (int64(i)*slots/n + dayNo) % slots
		if slot < 0 {
			slot += slots
		}
		from := start + int(slot)*step
		ws := time.Date(y, m, d, 0, from, 0, 0, local.Location())
		we := time.Date(y, m, d, 0, from+step, 0, 0, local.Location())
		out[id] = Window{Start: ws, End: we}
	}
	return out
}

// Holders returns the ids of the reps whose window contains t, ascending.
func Holders(windows map[int64]Window, t time.Time) []int64 {
	var ids []int64
	for id, w := range windows {
		if w.Contains(t) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

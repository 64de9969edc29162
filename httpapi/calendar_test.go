package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
)

// vacationICS is a Google-style export: a two-week vacation (busy all-day event) starting the
// day of t0, and a weekly Friday-afternoon out-of-office.
const vacationICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n" +
	"BEGIN:VEVENT\r\nUID:vac-1@example\r\nDTSTART;VALUE=DATE:20260504\r\nDTEND;VALUE=DATE:20260518\r\nSUMMARY:Vacation\\, Lisbon\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:ooo-1@example\r\nDTSTART;TZID=Europe/Berlin:20260522T140000\r\nDTEND;TZID=Europe/Berlin:20260522T180000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Out of office\r\nEND:VEVENT\r\n" +
	"END:VCALENDAR\r\n"

// TestCalendarAbsences proves S-REP-2's calendar integration: an uploaded iCalendar file becomes
// the rep's calendar absences (recurrences expanded, manual absences kept), routing skips the rep
// as away while they last, a calendar_url feed syncs the same way, and a broken file names its line.
func TestCalendarAbsences(t *testing.T) {
	t.Parallel()
	e := setup(t) // t0: Monday 2026-05-04 10:00 UTC
	manual := map[string]any{"from": "2026-07-01T00:00:00Z", "to": "2026-07-02T00:00:00Z", "reason": "training", "source": "manual"}
	vera := e.createRep(map[string]any{"name": "Vera", "email": "vera@s.example", "timezone": "Europe/Berlin", "absences": []map[string]any{manual}})
	bo := e.createRep(map[string]any{"name": "Bo", "email": "bo@s.example"})
	req, _ := http.NewRequest("PUT", e.url+"/api/v1/reps/"+itoa(vera.ID)+"/calendar", strings.NewReader(vacationICS))
	req.Header.Set("Authorization", "Bearer "+e.tokens[leadflow.RoleAdmin])
	req.Header.Set("Content-Type", "text/calendar")
	res, err := e.client.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("import: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	var got leadflow.Rep
	e.must(http.StatusOK, e.do("GET", "/api/v1/reps/"+itoa(vera.ID), leadflow.RoleManager, nil)).json(t, &got)
	if len(got.Absences) != 6 { // manual + vacation + 4 Fridays
		t.Fatalf("absences: %+v", got.Absences)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	var sawVacation, sawFriday, sawManual bool
	for _, a := range got.Absences {
		sawManual = sawManual || a.Source == "manual" && a.Reason == "training"
		sawVacation = sawVacation || a.Source == "calendar" && a.Reason == "Vacation, Lisbon" && a.From.Equal(time.Date(2026, 5, 4, 0, 0, 0, 0, berlin)) && a.To.Equal(time.Date(2026, 5, 18, 0, 0, 0, 0, berlin))
		sawFriday = sawFriday || a.Reason == "Out of office" && a.From.Equal(time.Date(2026, 5, 29, 14, 0, 0, 0, berlin))
	}
	if !sawManual || !sawVacation || !sawFriday {
		t.Fatalf("absences: %+v", got.Absences)
	}
	e.putRules(map[string]any{"id": "all", "rep_ids": []int64{vera.ID, bo.ID}, "method": "round_robin"})
	for i := 0; i < 3; i++ {
		l := e.createLead(seedLead("cal" + itoa(int64(i)) + "@x.example"))
		if l.OwnerID != bo.ID {
			t.Fatalf("lead went to %d while Vera is on vacation", l.OwnerID)
		}
		if _, ex := e.explanation(l.ID); !strings.Contains(ex.Summary, "Vera (away: Vacation, Lisbon until") {
			t.Fatalf("summary: %s", ex.Summary)
		}
	}
	// A calendar_url feed is imported by the sync; re-importing replaces, never duplicates.
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/calendar")
		w.Write([]byte(vacationICS))
	}))
	defer feed.Close()
	e.must(http.StatusOK, e.do("PATCH", "/api/v1/reps/"+itoa(bo.ID), leadflow.RoleAdmin, map[string]any{"calendar_url": feed.URL + "/bo.ics"}))
	for i := 0; i < 2; i++ {
		if n, err := e.m.Service.SyncCalendars(t.Context(), feed.Client()); err != nil || n != 1 {
			t.Fatalf("sync: %d %v", n, err)
		}
	}
	e.must(http.StatusOK, e.do("GET", "/api/v1/reps/"+itoa(bo.ID), leadflow.RoleManager, nil)).json(t, &got)
	if len(got.Absences) != 5 {
		t.Fatalf("after two syncs Bo has %d absences, want 5", len(got.Absences))
	}
	broken := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026-05-04\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	req, _ = http.NewRequest("PUT", e.url+"/api/v1/reps/"+itoa(vera.ID)+"/calendar", strings.NewReader(broken))
	req.Header.Set("Authorization", "Bearer "+e.tokens[leadflow.RoleAdmin])
	res, err = e.client.Do(req)
	if err != nil || res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("broken calendar: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	e.must(http.StatusOK, e.do("GET", "/api/v1/reps/"+itoa(vera.ID), leadflow.RoleManager, nil)).json(t, &got)
	if len(got.Absences) != 6 {
		t.Fatal("a rejected calendar changed the rep's absences")
	}
}

package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/ical"
)

// Calendar import window: absences are taken from a day ago to this far ahead.
const calendarHorizon = 180 * 24 * time.Hour

// ImportCalendar replaces a rep's calendar absences with the busy times of an iCalendar document
// (S-REP-2): recurring events expanded, cancelled and free events skipped, in the rep's time zone.
// Absences entered by hand are kept. It returns the rep and how many absences were imported.
func (s *Service) ImportCalendar(ctx context.Context, repID int64, r io.Reader) (*leadflow.Rep, int, error) {
	var loc *time.Location
	if rep, err := RepKind.Get(ctx, s, repID); err != nil {
		return nil, 0, err
	} else if rep.Timezone != "" {
		loc, _ = time.LoadLocation(rep.Timezone)
	}
	cal, err := ical.Parse(r, loc)
	if err != nil {
		var pe *ical.ParseError
		if errors.As(err, &pe) {
			return nil, 0, &leadflow.Error{Code: leadflow.EINVALID, Message: "invalid calendar",
				Fields: []leadflow.FieldError{{Field: "calendar", Reason: pe.Error(), Row: pe.Line}}}
		}
		if errors.Is(err, ical.ErrTooLarge) {
			return nil, 0, leadflow.Errorf(leadflow.ETOOLARGE, "calendar larger than %d bytes", ical.MaxDocumentSize)
		}
		return nil, 0, leadflow.Invalid("calendar", err.Error())
	}
	now := s.clock.Now()
	busy := cal.Busy(now.Add(-24*time.Hour), now.Add(calendarHorizon))
	rep, err := RepKind.Patch(ctx, s, System, repID, func(rep *leadflow.Rep) error {
		kept := rep.Absences[:0]
		for _, a := range rep.Absences {
			if a.Source != "calendar" {
				kept = append(kept, a)
			}
		}
		for _, b := range busy {
			kept = append(kept, leadflow.Absence{From: b.Start.UTC(), To: b.End.UTC(), Reason: b.Summary, Source: "calendar"})
		}
		rep.Absences = kept
		return nil
	})
	return rep, len(busy), err
}

// SyncCalendars fetches every rep's calendar_url and imports it. A failing feed is logged and
// skipped; it never blocks the others. Fetching happens outside any transaction.
func (s *Service) SyncCalendars(ctx context.Context, client *http.Client) (imported int, err error) {
	reps, err := RepKind.List(ctx, s)
	if err != nil {
		return 0, err
	}
	for _, rep := range reps {
		if rep.CalendarURL == "" || !rep.Active {
			continue
		}
		if err := s.syncCalendar(ctx, client, rep); err != nil {
			s.log.Warn("calendar sync", slog.Int64("rep", rep.ID), slog.String("url", rep.CalendarURL), slog.Any("err", err))
			continue
		}
		imported++
	}
	return imported, nil
}

func (s *Service) syncCalendar(ctx context.Context, client *http.Client, rep leadflow.Rep) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rep.CalendarURL, nil)
	if err != nil {
		return err
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("calendar feed answered %s", res.Status)
	}
	_, _, err = s.ImportCalendar(ctx, rep.ID, io.LimitReader(res.Body, ical.MaxDocumentSize+1))
	return err
}

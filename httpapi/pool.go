package httpapi

import (
	"net/http"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
	"github.com/leadflow/leadflow/notify"
	"github.com/leadflow/leadflow/notify/webpush"
	"github.com/leadflow/leadflow/service"
)

// streamPath is the live stream; it is long-lived, so it does not count against load shedding.
const streamPath = "/api/v1/stream"

// streamHeartbeat is the interval of keep-alive comments on idle streams.
var streamHeartbeat = 15 * time.Second

// getPool lists what the caller may see of the claim pool right now (S-COMP-1).
func (s *Server) getPool(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	v, err := s.svc.Pool(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// claim claims a pool lead for the calling rep: 200 with the lead for the winner, 409 naming the
// winner for everyone else, 403 naming the pool rule that refused it (S-COMP-1, S-COMP-5..7).
func (s *Server) claim(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathIDNamed(r, "lead_id")
	if err != nil {
		return err
	}
	res, err := s.svc.Claim(r.Context(), a, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// seen records that the calling rep saw a pool offer (S-NOTIFY-3).
func (s *Server) seen(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathIDNamed(r, "lead_id")
	if err != nil {
		return err
	}
	if err := s.svc.MarkSeen(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ReleaseBody is the optional body of POST /api/v1/leads/{id}/release.
type ReleaseBody struct {
	Reason string `json:"reason,omitempty"`
}

// release hands a claimed lead back to the pool (S-COMP-8).
func (s *Server) release(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var body ReleaseBody
	if r.ContentLength != 0 {
		if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &body); err != nil {
			return err
		}
	}
	l, err := s.svc.Release(r.Context(), a, id, body.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

// leadClaims returns a lead's pool entry, claim attempts and offers.
func (s *Server) leadClaims(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	log, err := s.svc.Claims(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, log)
}

// CompetitionBody is the body of GET /api/v1/competition: the policy and, beside it, the
// guidance on which mode suits which team (S-COMP-10).
type CompetitionBody struct {
	Config   compete.Config     `json:"config"`
	Modes    []compete.ModeInfo `json:"modes"`
	Guidance string             `json:"guidance"`
}

func (s *Server) getCompetition(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	return writeJSON(w, http.StatusOK, CompetitionBody{Config: s.svc.Competition(), Modes: compete.Modes(), Guidance: compete.GeneralGuidance})
}

// putCompetition replaces the competitive pool policy.
func (s *Server) putCompetition(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	var cfg compete.Config
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &cfg); err != nil {
		return err
	}
	out, err := s.svc.PutCompetition(r.Context(), cfg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// rankTiers ranks every team's reps into tiers now (S-COMP-2).
func (s *Server) rankTiers(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	out, err := s.svc.RankTiers(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// PauseBody is the optional body of POST /api/v1/teams/{id}/pause.
type PauseBody struct {
	Until *time.Time `json:"until,omitempty"`
}

// pause switches a team's competition to round-robin until a time (S-COMP-9).
func (s *Server) pause(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var body PauseBody
	if r.ContentLength != 0 {
		if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &body); err != nil {
			return err
		}
	}
	var until time.Time
	if body.Until != nil {
		until = *body.Until
	}
	t, err := s.svc.PauseCompetition(r.Context(), a, id, until)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

// resume ends a team's pause now (S-COMP-9).
func (s *Server) resume(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := s.svc.ResumeCompetition(r.Context(), a, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

// stream serves the live event stream, filtered by the caller's role (S-NOTIFY-1): reps get
// their offers and "claimed by someone else" events, managers the pool's activity.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	v, err := s.svc.Viewer(r.Context(), a)
	if err != nil {
		return err
	}
	err = s.svc.Hub().ServeStream(w, r, v, notify.StreamOptions{Heartbeat: streamHeartbeat})
	if err != nil && !notify.IsStreamEnd(err) {
		return leadflow.Errorf(leadflow.EUNAVAILABLE, "live stream unavailable: %v", err)
	}
	return nil
}

func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	return writeJSON(w, http.StatusOK, s.svc.NotifySettings().Redacted()) // secrets are write-only
}

// putNotifications replaces the notification channel settings (S-NOTIFY-1).
func (s *Server) putNotifications(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	var n service.NotifySettings
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &n); err != nil {
		return err
	}
	out, err := s.svc.PutNotifySettings(r.Context(), n)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out.Redacted())
}

// vapidKey returns the application server key browsers subscribe with (S-NOTIFY-1).
func (s *Server) vapidKey(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	return writeJSON(w, http.StatusOK, map[string]string{"public_key": s.svc.VAPIDPublicKey()})
}

// subscribePush stores the calling rep's browser push subscription.
func (s *Server) subscribePush(w http.ResponseWriter, r *http.Request, a service.Actor) error {
	var sub webpush.Subscription
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &sub); err != nil {
		return err
	}
	if err := s.svc.SubscribePush(r.Context(), a, sub); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// poolAnalytics reports claim churn and claim speed per rep (S-COMP-8, S-NOTIFY-3).
func (s *Server) poolAnalytics(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	from, to, err := s.period(r)
	if err != nil {
		return err
	}
	rep, err := s.svc.PoolAnalytics(r.Context(), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// speedToLead ranks reps by response speed (S-COMP-4).
func (s *Server) speedToLead(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	items, err := s.svc.SpeedToLead(r.Context(), service.DefaultPerformanceWindow)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

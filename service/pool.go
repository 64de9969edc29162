package service

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
	"github.com/leadflow/leadflow/route"
)

// settingCompetition is the store key of the competitive pool policy.
const settingCompetition = "competition"

// Competition returns the active competitive pool policy (S-COMP).
func (s *Service) Competition() compete.Config {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.compete
}

// PutCompetition validates and stores the competitive pool policy; it applies at once.
func (s *Service) PutCompetition(ctx context.Context, cfg compete.Config) (compete.Config, error) {
	if err := cfg.Validate(); err != nil {
		return compete.Config{}, err
	}
	body, err := json.Marshal(cfg)
	if err != nil {
		return compete.Config{}, err
	}
	if err := s.store.Write(ctx, func(tx leadflow.Tx) error { return tx.PutSetting(ctx, settingCompetition, body) }); err != nil {
		return compete.Config{}, err
	}
	s.mu.Lock()
	s.compete = cfg
	s.mu.Unlock()
	s.invalidateConfig() // priority windows depend on the policy
	return cfg, nil
}

// poolTeam is what pool decisions need about a team at one moment.
type poolTeam struct {
	team    *leadflow.Team
	members []*leadflow.Rep // active reps of the team, in id order
	loc     *time.Location
	state   compete.Team
	mode    compete.Mode // configured (or recommended) mode
}

// loadPoolTeam reads a team and its active members. The priority windows are those of the day of
// at, in the team's time zone (S-COMP-6).
// The team comes from the routing configuration cache (refreshed on every team write and every
// few seconds), not from a read of its row: in a write transaction on PostgreSQL that read would
// lock the row and serialise every claim of the team, across nodes.
func (s *Service) loadPoolTeam(ctx context.Context, tx leadflow.ReadTx, teamID int64, at time.Time) (*poolTeam, error) {
	cfg, err := s.routingConfigFor(ctx, tx)
	if err != nil {
		return nil, err
	}
	cached, ok := cfg.teams[teamID]
	if !ok {
		return nil, leadflow.Errorf(leadflow.ENOTFOUND, "team %d not found", teamID)
	}
	team := *cached
	pt := &poolTeam{team: &team, loc: s.location(team.Timezone)}
	var windows map[int64]compete.Window
	pt.members, windows = cfg.teamDay(teamID, at, pt.loc, s.Competition())
	pt.mode = compete.Mode(team.Mode)
	if pt.mode == "" {
		pt.mode = compete.RecommendMode(len(pt.members))
	}
	pt.state = compete.Team{Mode: pt.mode, Windows: windows}
	if team.PausedUntil != nil {
		pt.state.PausedUntil = *team.PausedUntil
	}
	if team.CompetitiveSince != nil {
		pt.state.CompetitiveSince = *team.CompetitiveSince
	}
	return pt, nil
}

// competeRep describes a rep to the pool policy, in its own time zone.
func (s *Service) competeRep(r *leadflow.Rep) compete.Rep {
	return compete.RepFrom(r, s.location(r.Timezone))
}

// poolLead describes a pool entry to the pool policy.
func poolLead(e *leadflow.PoolEntry) compete.PoolLead {
	return compete.PoolLead{ID: e.LeadID, Band: e.Band, Blind: e.Blind, PooledAt: e.PooledAt, Cohort: e.Cohort}
}

// poolInTx releases l to the claim pool of rule r's team inside the caller's transaction
// (S-COMP-1). It returns pooled = false, with the rule to push by instead, when the team's
// competition is paused or off (S-COMP-9, S-COMP-10), when the quality mix holds the lead back
// (S-COMP-5), or when the lead is due to an onboarding rep's protected allocation (S-COMP-6/7).
func (s *Service) poolInTx(ctx context.Context, tx leadflow.Tx, fx *effects, l *leadflow.Lead, r compiledRule, a Actor, reason string, now time.Time) (bool, compiledRule, error) {
	push := r
	push.Method, push.candidates = MethodRoundRobin, nil // pushed round-robin: not the pool rule's candidates
	cfg := s.Competition()
	pt, err := s.loadPoolTeam(ctx, tx, r.TeamID, now)
	if err != nil {
		return false, push, err
	}
	if eff := compete.EffectiveMode(pt.mode, now, pt.state.PausedUntil); !eff.Pool() {
		return false, push, nil
	}
	target, err := s.poolTarget(ctx, tx, r, pt, now)
	if err != nil {
		return false, push, err
	}
	if id, ok := strings.CutPrefix(target, "rep:"); ok { // an onboarding rep's auto-assigned share
		repID, _ := strconv.ParseInt(id, 10, 64)
		push.repSet = map[int64]bool{repID: true}
		return false, push, nil
	}
	entry := &leadflow.PoolEntry{LeadID: l.ID, RuleID: r.ID, TeamID: r.TeamID, Band: l.Score.Band, Blind: compete.IsBlind(l.ID, cfg),
		PooledAt: now, Status: leadflow.PoolOpen}
	entry.ExpiresAt = now.Add(cfg.PoolExpiry.D())
	if cohort, ok := strings.CutPrefix(target, "cohort:"); ok {
		entry.Cohort = cohort
	} else if len(cfg.Mix) > 0 {
		released, err := s.releasedThisWeek(ctx, tx, r.TeamID, pt.loc, now, cfg)
		if err != nil {
			return false, push, err
		}
		if !compete.AdmitToPool(entry.Band, released, cfg) {
			return false, push, nil // held back by the quality mix: pushed (reps are not told)
		}
	}
	if err := tx.PutPoolEntry(ctx, entry); err != nil {
		return false, push, err
	}
	where := "the team's claim pool"
	if entry.Cohort != "" {
		where = "the onboarding cohort pool " + entry.Cohort
	}
	fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryOwner, Field: "pool",
		New: "open", Reason: fmt.Sprintf("released to %s by rule %s (%s); claimable until %s", where, r.ID, reason, entry.ExpiresAt.Format(time.RFC3339))})
	if err := s.publish(ctx, tx, fx, s.subscriptions(), "lead.pooled", map[string]any{"lead_id": l.ID, "team_id": r.TeamID, "rule_id": r.ID, "expires_at": entry.ExpiresAt}); err != nil {
		return false, push, err
	}
	preview := compete.PreviewOf(l)
	fx.after = append(fx.after, func() { s.poolChanged(poolMsg{Kind: "entered", Entry: *entry, Preview: preview}) })
	return true, push, nil
}

// poolTarget decides where a pool rule's lead goes (S-COMP-6, S-COMP-7): the main pool, an
// onboarding cohort's pool, or straight to an onboarding rep as part of its auto-assigned share.
// A rotation (the routing rotation, persisted per rule) keeps the split exact: the main pool
// weighs one per fully or partly competitive rep, every shadow-phase rep 1 as "rep:<id>" (all its
// leads are auto-assigned), and every cohort-phase rep AutoPercent% as "rep:<id>" and the rest
// as "cohort:<name>".
func (s *Service) poolTarget(ctx context.Context, tx leadflow.Tx, r compiledRule, pt *poolTeam, now time.Time) (string, error) {
	cfg := s.Competition()
	weights := map[string]float64{}
	var guaranteed []*leadflow.Rep
	for _, rep := range pt.members {
		if _, away := rep.AwayAt(now); away {
			continue
		}
		t := compete.TenureAt(rep.HireDate, now, s.location(rep.Timezone), cfg)
		if t.Guaranteed && (t.Phase == compete.PhaseProtected || t.Phase == compete.PhaseFull) {
			guaranteed = append(guaranteed, rep)
		}
		switch t.Phase {
		case compete.PhaseShadow:
			weights["rep:"+strconv.FormatInt(rep.ID, 10)] = 1
		case compete.PhaseCohort:
			auto := float64(t.AutoPercent) / 100
			if auto > 0 {
				weights["rep:"+strconv.FormatInt(rep.ID, 10)] = auto
			}
			if auto < 1 {
				weights["cohort:"+t.Cohort] += 1 - auto
			}
		default:
			weights["pool"]++
		}
	}
	if id, err := s.owedMinimum(ctx, tx, pt, guaranteed, now); err != nil || id != 0 {
		return "rep:" + strconv.FormatInt(id, 10), err
	}
	if len(weights) <= 1 { // everyone competes in the main pool (or nobody is there)
		return "pool", nil
	}
	key := "pool:" + r.ID
	state, err := tx.Rotation(ctx, key)
	if err != nil {
		return "", err
	}
	rot := &route.Rotation{}
	if state != nil {
		if err := rot.UnmarshalBinary(state); err != nil {
			return "", fmt.Errorf("pool split %s: %w", key, err)
		}
	}
	target, _, err := rot.Next(weights, nil)
	if err != nil {
		return "", err
	}
	if state, err = rot.MarshalBinary(); err != nil {
		return "", err
	}
	return target, tx.PutRotation(ctx, key, state)
}

// owedMinimum returns the guaranteed rep furthest below its minimum allocation this week, or 0
// (S-COMP-6 newbie protection, S-COMP-7 weeks 9–12): a rep with a guarantee that has had fewer
// leads this week — claimed or pushed — than half the average of the team's reps gets the next
// pool lead pushed to it, so a new rep never starves while it learns to compete.
func (s *Service) owedMinimum(ctx context.Context, tx leadflow.ReadTx, pt *poolTeam, guaranteed []*leadflow.Rep, now time.Time) (int64, error) {
	if len(guaranteed) == 0 || len(pt.members) < 2 {
		return 0, nil
	}
	week := compete.PeriodsAt(now, pt.loc).ThisWeek
	counts, err := tx.AssignmentCounts(ctx, week)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, m := range pt.members {
		total += counts[m.ID]
	}
	minimum := float64(total) / float64(len(pt.members)) / 2
	var owed int64
	lowest := minimum
	for _, rep := range guaranteed {
		if c := float64(counts[rep.ID]); c < lowest {
			owed, lowest = rep.ID, c
		}
	}
	return owed, nil
}

// releasedThisWeek counts the team's main-pool leads of each band pooled this week (team time
// zone): the released counts of the quality mix (S-COMP-5).
func (s *Service) releasedThisWeek(ctx context.Context, tx leadflow.ReadTx, teamID int64, loc *time.Location, now time.Time, cfg compete.Config) (map[string]int, error) {
	p := compete.PeriodsAt(now, loc)
	out := map[string]int{}
	for _, m := range cfg.Mix {
		n, err := tx.PoolCount(ctx, teamID, m.Band, p.ThisWeek, p.NextWeek)
		if err != nil {
			return nil, err
		}
		out[m.Band] = n
	}
	return out, nil
}

// ClaimResult is the answer to a successful claim (S-COMP-1).
type ClaimResult struct {
	Lead *leadflow.Lead `json:"lead"`
	At   time.Time      `json:"claimed_at"`
	// OfferedAt and ClaimSpeedSeconds: when the rep was offered the lead and how fast it claimed
	// (S-NOTIFY-3).
	OfferedAt         *time.Time `json:"offered_at,omitempty"`
	ClaimSpeedSeconds *float64   `json:"claim_speed_seconds,omitempty"`
}

// Claim lets a rep claim a pool lead (S-COMP-1). Exactly one claim wins, decided by one
// conditional write in the store; every attempt is recorded with its time and outcome. A loser
// gets ECONFLICT naming who won and when; a claim a pool rule refuses gets EFORBIDDEN naming the
// rule and when the rep may claim again (S-COMP-5/6/7).
func (s *Service) Claim(ctx context.Context, a Actor, leadID int64) (*ClaimResult, error) {
	if a.RepID == 0 {
		return nil, leadflow.Errorf(leadflow.EFORBIDDEN, "only a rep claims leads from the pool; use a token bound to a rep")
	}
	var res *ClaimResult
	var refusal error
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		res, refusal = nil, nil
		now := s.clock.Now()
		e, err := tx.PoolEntry(ctx, leadID)
		if err != nil {
			return err
		}
		cfg, err := s.routingConfigFor(ctx, tx)
		if err != nil {
			return err
		}
		rep := cfg.rep(a.RepID)
		if rep == nil || !rep.Active || !inPool(e, rep) {
			return leadflow.Errorf(leadflow.ENOTFOUND, "lead %d is not in your pool", leadID)
		}
		attempt := &leadflow.ClaimAttempt{LeadID: leadID, RepID: rep.ID, At: now, Band: e.Band}
		if e.Status != leadflow.PoolOpen { // the cheap path of a race: someone already won
			refusal = s.lost(ctx, tx, e, cfg)
			attempt.Outcome, attempt.WinnerID = leadflow.ClaimLost, e.ClaimedBy
			return tx.InsertClaimAttempt(ctx, attempt)
		}
		pt, err := s.loadPoolTeam(ctx, tx, e.TeamID, e.PooledAt)
		if err != nil {
			return err
		}
		crep := s.competeRep(rep)
		h, err := s.claimHistory(ctx, tx, rep, crep.Location, e.TeamID, now)
		if err != nil {
			return err
		}
		if d := compete.Decide(now, pt.state, poolLead(e), crep, h, s.Competition()); !d.Allowed {
			attempt.Outcome, attempt.Rule = leadflow.ClaimDenied, string(d.Rule)
			refusal = denied(d, now)
			return tx.InsertClaimAttempt(ctx, attempt)
		}
		won, cur, err := tx.ClaimPoolEntry(ctx, leadID, rep.ID, now)
		if err != nil {
			return err
		}
		if !won {
			refusal = s.lost(ctx, tx, cur, cfg)
			attempt.Outcome, attempt.WinnerID = leadflow.ClaimLost, cur.ClaimedBy
			return tx.InsertClaimAttempt(ctx, attempt)
		}
		attempt.Outcome, attempt.WinnerID = leadflow.ClaimWon, rep.ID
		if t, ok := s.offers.sentAt(leadID, rep.ID); ok { // sent by this node (maybe not recorded yet)
			attempt.OfferedAt = &t
		} else if o, err := tx.OfferTo(ctx, leadID, rep.ID); err == nil && !o.SentAt.After(now) && !o.SentAt.Before(e.PooledAt) {
			attempt.OfferedAt = &o.SentAt
		} else if err != nil && leadflow.ErrorCode(err) != leadflow.ENOTFOUND {
			return err
		}
		summary := fmt.Sprintf("%s claimed the lead from the pool %s after it was pooled", rep.Name, now.Sub(e.PooledAt).Round(time.Second))
		res = &ClaimResult{At: now, OfferedAt: attempt.OfferedAt}
		if attempt.OfferedAt != nil {
			speed := round6(now.Sub(*attempt.OfferedAt).Seconds())
			res.ClaimSpeedSeconds = &speed
			summary += fmt.Sprintf(", %gs after the offer", speed)
		}
		rule := s.ruleByID(e.RuleID)
		rule.Method, rule.pool = MethodClaim, true
		ex := &RoutingExplanation{RuleID: e.RuleID, Method: MethodClaim, Summary: summary,
			Candidates: []RepDecision{{RepID: rep.ID, Name: rep.Name, Eligible: true}}}
		as, done := newAssignment(leadID, rep.ID, rule, ex, a, "claimed from the pool", now)
		defer done()
		// A pool lead has no owner: the attempt, the owner and the assignment are one step. One
		// that got an owner some other way while its entry stayed open is reassigned, as before.
		l, err := tx.ClaimWon(ctx, attempt, as)
		if err != nil {
			return err
		}
		old := int64(0)
		if l == nil {
			if l, err = tx.LeadByID(ctx, leadID); err != nil {
				return err
			}
			if old = l.OwnerID; old != rep.ID {
				if err := setOwner(ctx, tx, l, rep.ID, now); err != nil {
					return err
				}
			}
			if err := tx.InsertAssignment(ctx, as); err != nil {
				return err
			}
		}
		if err := s.assigned(ctx, tx, fx, l, old, as, rule, ex, a, now); err != nil {
			return err
		}
		res.Lead = l
		if err := s.publish(ctx, tx, fx, s.subscriptions(), "lead.claimed", map[string]any{"lead_id": l.ID, "rep_id": rep.ID, "claimed_at": now, "claim_speed_seconds": res.ClaimSpeedSeconds}); err != nil {
			return err
		}
		winner := *e
		fx.after = append(fx.after, func() {
			s.poolChanged(poolMsg{Kind: "claimed", Entry: winner, Winner: rep.ID, WinnerName: rep.Name, At: now})
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	return res, nil
}

// inPool reports whether the pool entry belongs to a pool the rep takes part in: its team's, or
// a pool of named reps that includes it.
func inPool(e *leadflow.PoolEntry, rep *leadflow.Rep) bool {
	if len(e.RepIDs) > 0 {
		return slices.Contains(e.RepIDs, rep.ID)
	}
	return e.TeamID == rep.TeamID
}

// lost is the loser's answer: who won the lead and when (S-COMP-1).
func (s *Service) lost(ctx context.Context, tx leadflow.ReadTx, e *leadflow.PoolEntry, cfg *routingConfig) error {
	if e.Status != leadflow.PoolClaimed {
		return &leadflow.Error{Code: leadflow.ECONFLICT, Message: fmt.Sprintf("lead %d is no longer in the pool (%s)", e.LeadID, e.Status),
			Extra: map[string]any{"status": e.Status}}
	}
	name := "another rep"
	if w := cfg.rep(e.ClaimedBy); w != nil {
		name = w.Name
	}
	at := time.Time{}
	if e.ClaimedAt != nil {
		at = *e.ClaimedAt
	}
	return &leadflow.Error{Code: leadflow.ECONFLICT, Message: fmt.Sprintf("already claimed by %s at %s", name, at.Format(time.RFC3339Nano)),
		Extra: map[string]any{"claimed_by": e.ClaimedBy, "claimed_by_name": name, "claimed_at": at}}
}

// denied is a refused claim's answer: the rule, its message and when the rep may claim again —
// as a time and, for the Retry-After header, in seconds from now on the service's clock.
func denied(d compete.Decision, now time.Time) error {
	extra := map[string]any{"rule": string(d.Rule), "violations": d.Violations}
	if d.RetryAt != nil {
		extra["retry_at"] = *d.RetryAt
		extra["retry_after_seconds"] = max(1, int(math.Ceil(d.RetryAt.Sub(now).Seconds())))
	}
	return &leadflow.Error{Code: leadflow.EFORBIDDEN, Message: d.Message, Extra: extra}
}

// claimHistory counts what the claim rules need about a rep's past claims (compete.History), in
// the rep's days and weeks.
func (s *Service) claimHistory(ctx context.Context, tx leadflow.ReadTx, rep *leadflow.Rep, loc *time.Location, teamID int64, now time.Time) (compete.History, error) {
	var h compete.History
	cfg := s.Competition()
	if cfg.DailyClaimLimit == 0 && cfg.HotPerWarm == 0 && cfg.ClaimsPerAuto == 0 && cfg.ColdPerWeek == 0 {
		return h, nil // no rule counts claims
	}
	p := compete.PeriodsAt(now, loc)
	c, err := tx.ClaimCounts(ctx, leadflow.ClaimCountsQuery{RepID: rep.ID, TeamID: teamID, LastWeek: p.LastWeek, ThisWeek: p.ThisWeek, Today: p.Today,
		ColdPooled: cfg.ColdPerWeek > 0, AutoAccepted: cfg.ClaimsPerAuto > 0})
	return compete.History{ClaimsToday: c.Today, ClaimsThisWeek: c.ThisWeek, HotThisWeek: c.HotThisWeek, WarmThisWeek: c.WarmKeptThisWeek,
		ColdThisWeek: c.ColdKeptThisWeek, ColdLastWeek: c.ColdKeptLastWeek, ColdPooledLastWeek: c.ColdPooledLastWeek, AutoAcceptedThisWeek: c.AutoAccepted}, err
}

// ruleByID returns the active routing rule with the id, or a bare rule when it is gone.
func (s *Service) ruleByID(id string) compiledRule {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, r := range s.routing {
		if r.ID == id {
			return r
		}
	}
	return compiledRule{RoutingRule: RoutingRule{ID: id}}
}

// Release hands a claimed lead back to the pool (S-COMP-8): allowed, but recorded on the claim
// and in the lead's history, because claim-then-release churn is a gaming signal. The lead
// re-enters the pool as new, with a fresh expiry.
func (s *Service) Release(ctx context.Context, a Actor, leadID int64, reason string) (*leadflow.Lead, error) {
	if err := checkText("reason", reason); err != nil {
		return nil, err
	}
	return s.writeLead(ctx, a, leadID, func(tx leadflow.Tx, fx *effects, l *leadflow.Lead) error {
		e, err := tx.PoolEntry(ctx, leadID)
		if leadflow.ErrorCode(err) == leadflow.ENOTFOUND || err == nil && (e.Status != leadflow.PoolClaimed || e.ClaimedBy != l.OwnerID || l.OwnerID == 0) {
			return leadflow.Errorf(leadflow.ECONFLICT, "only a lead claimed from the pool (and still held by the rep who claimed it) can be released; a manager reassigns other leads (POST /api/v1/leads/{id}/assign)")
		}
		if err != nil {
			return err
		}
		now := s.clock.Now()
		owner := l.OwnerID
		if err := tx.SetLeadOwner(ctx, l.ID, 0, now); err != nil {
			return err
		}
		if err := tx.DeleteSLATimer(ctx, l.ID); err != nil {
			return err
		}
		if err := tx.MarkReleased(ctx, l.ID, owner, now); err != nil {
			return err
		}
		cfg := s.Competition()
		e.Status, e.ClaimedBy, e.ClaimedAt, e.Releases = leadflow.PoolOpen, 0, nil, e.Releases+1
		e.PooledAt, e.ExpiresAt = now, now.Add(cfg.PoolExpiry.D())
		if err := tx.PutPoolEntry(ctx, e); err != nil {
			return err
		}
		l.OwnerID, l.UpdatedAt = 0, now
		why := "released back to the pool"
		if reason != "" {
			why += ": " + reason
		}
		fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryOwner, Field: "owner",
			Old: strconv.FormatInt(owner, 10), Reason: why})
		if err := s.publish(ctx, tx, fx, s.subscriptions(), "lead.released", map[string]any{"lead_id": l.ID, "rep_id": owner, "reason": reason}); err != nil {
			return err
		}
		entry, preview := *e, compete.PreviewOf(l)
		fx.after = append(fx.after, func() { s.poolChanged(poolMsg{Kind: "entered", Entry: entry, Preview: preview}) })
		return nil
	})
}

// PoolItem is one lead of the pool as the caller may see it (S-COMP-1, S-NOTIFY-2). Reps get
// the redacted preview of blind leads and no quality hints; managers see everything.
type PoolItem struct {
	compete.Offer
	PooledAt  time.Time `json:"pooled_at"`
	Claimable bool      `json:"claimable"`
	// ClaimAt is when the rep may claim it; Rule and Reason say why not yet (or why read-only).
	ClaimAt time.Time `json:"claim_at,omitzero"`
	Rule    string    `json:"rule,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	// Manager-only fields (managers also see the band in the preview, blind or not).
	TeamID   int64  `json:"team_id,omitempty"`
	Premium  bool   `json:"premium,omitempty"`
	Cohort   string `json:"cohort,omitempty"`
	Releases int    `json:"releases,omitempty"`
}

// PoolStats are the manager's figures of the open pool (S-HEALTH-1).
type PoolStats struct {
	Size              int            `json:"size"`
	AverageAgeSeconds float64        `json:"average_age_seconds"`
	OldestAgeSeconds  float64        `json:"oldest_age_seconds"`
	ByBand            map[string]int `json:"by_band"`
	Blind             int            `json:"blind"`
	ByTeam            map[string]int `json:"by_team"`
}

// PoolView is the answer to GET /pool.
type PoolView struct {
	Items []PoolItem `json:"items"`
	// Stats are for managers; Me is the calling rep's standing.
	Stats *PoolStats `json:"stats,omitempty"`
	Me    *RepStand  `json:"me,omitempty"`
}

// RepStand is a rep's standing in the pool (S-HEALTH-1 personal card): tier, onboarding phase,
// whether its team's competition is paused, and its claims against the daily limit.
type RepStand struct {
	RepID       int64           `json:"rep_id"`
	Tier        int             `json:"tier"`
	Tenure      compete.Tenure  `json:"tenure"`
	Mode        compete.Mode    `json:"mode"`
	PausedUntil *time.Time      `json:"paused_until,omitempty"`
	History     compete.History `json:"history"`
	DailyLimit  int             `json:"daily_limit"`
}

// Pool lists what the caller may see of the pool right now (S-COMP-1, S-COMP-2): a rep the leads
// visible to it at this moment (tiers, delays, windows, onboarding, blind previews), managers the
// whole open pool with its stats.
func (s *Service) Pool(ctx context.Context, a Actor) (*PoolView, error) {
	view := &PoolView{Items: []PoolItem{}}
	cfg := s.Competition()
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		now := s.clock.Now()
		open, err := tx.OpenPool(ctx)
		if err != nil {
			return err
		}
		rc, err := s.routingConfigFor(ctx, tx)
		if err != nil {
			return err
		}
		var rep *leadflow.Rep
		if a.Role == leadflow.RoleRep {
			if rep = rc.rep(a.RepID); rep == nil {
				return nil // a token of a rep that is gone sees an empty pool
			}
			if view.Me, err = s.stand(ctx, tx, rep, now); err != nil {
				return err
			}
		} else {
			view.Stats = &PoolStats{ByBand: map[string]int{}, ByTeam: map[string]int{}}
		}
		ids := make([]int64, 0, len(open))
		for _, e := range open {
			if rep == nil || inPool(&e, rep) {
				ids = append(ids, e.LeadID)
			}
		}
		leads, err := tx.LeadsByKeys(ctx, ids, nil, nil)
		if err != nil {
			return err
		}
		byID := make(map[int64]*leadflow.Lead, len(leads))
		for i := range leads {
			byID[leads[i].ID] = &leads[i]
		}
		for i := range open {
			e := &open[i]
			l := byID[e.LeadID]
			if l == nil {
				continue
			}
			item := PoolItem{Offer: compete.OfferContent(now, poolLead(e), compete.PreviewOf(l), cfg), PooledAt: e.PooledAt}
			item.ExpiresAt, item.TimeLeftSeconds = e.ExpiresAt, int64(max(e.ExpiresAt.Sub(now), 0)/time.Second)
			if rep == nil {
				item.Offer.LeadPreview = compete.PreviewOf(l) // managers see quality, blind or not
				item.Offer.LeadPreview.Blind = e.Blind
				item.TeamID, item.Premium, item.Cohort, item.Releases = e.TeamID, cfg.Premium(e.Band), e.Cohort, e.Releases
				view.Items = append(view.Items, item)
				st := view.Stats
				st.Size++
				age := now.Sub(e.PooledAt).Seconds()
				st.AverageAgeSeconds += age
				st.OldestAgeSeconds = max(st.OldestAgeSeconds, age)
				st.ByBand[e.Band]++
				if e.Blind {
					st.Blind++
				}
				st.ByTeam[strconv.FormatInt(e.TeamID, 10)]++
				continue
			}
			pt, err := s.loadPoolTeam(ctx, tx, e.TeamID, e.PooledAt) // members and windows are cached per day
			if err != nil {
				return err
			}
			v := compete.See(now, pt.state, poolLead(e), s.competeRep(rep), cfg)
			if !v.Visible || now.Before(v.SeeAt) {
				continue
			}
			item.Claimable = v.Claimable && !now.Before(v.ClaimAt)
			item.ClaimAt = v.ClaimAt
			if !item.Claimable {
				item.Rule, item.Reason = string(v.Rule), v.Reason
			}
			view.Items = append(view.Items, item)
		}
		if st := view.Stats; st != nil && st.Size > 0 {
			st.AverageAgeSeconds = round6(st.AverageAgeSeconds / float64(st.Size))
		}
		return nil
	})
	return view, err
}

// stand computes a rep's standing in the pool.
func (s *Service) stand(ctx context.Context, tx leadflow.ReadTx, rep *leadflow.Rep, now time.Time) (*RepStand, error) {
	cfg := s.Competition()
	loc := s.location(rep.Timezone)
	st := &RepStand{RepID: rep.ID, Tier: rep.Tier, Tenure: compete.TenureAt(rep.HireDate, now, loc, cfg), DailyLimit: cfg.DailyClaimLimit}
	if rep.TeamID != 0 {
		pt, err := s.loadPoolTeam(ctx, tx, rep.TeamID, now)
		if err != nil {
			return nil, err
		}
		st.Mode = compete.EffectiveMode(pt.mode, now, pt.state.PausedUntil)
		if compete.Paused(now, pt.state.PausedUntil) {
			st.PausedUntil = pt.team.PausedUntil
		}
	}
	h, err := s.claimHistory(ctx, tx, rep, loc, rep.TeamID, now)
	st.History = h
	return st, err
}

// MarkSeen records that a rep saw a pool offer (S-NOTIFY-3); the SMS fallback is then not sent.
func (s *Service) MarkSeen(ctx context.Context, a Actor, leadID int64) error {
	if a.RepID == 0 {
		return leadflow.Errorf(leadflow.EFORBIDDEN, "only a rep marks offers seen")
	}
	var found bool
	// An offer sent moments ago may still wait to be recorded (see offerRecordDelay): it is
	// recorded now, in the same write that marks it seen.
	queued, wasQueued := s.offers.take(leadID, a.RepID)
	err := s.store.Write(ctx, func(tx leadflow.Tx) error {
		if wasQueued {
			if err := tx.PutOffers(ctx, queued); err != nil {
				return err
			}
		}
		var err error
		found, err = tx.MarkOfferSeen(ctx, leadID, a.RepID, s.clock.Now())
		return err
	})
	if err != nil && wasQueued {
		s.offers.requeue(queued)
	}
	if err == nil && !found {
		return leadflow.Errorf(leadflow.ENOTFOUND, "no offer of lead %d was sent to you", leadID)
	}
	return err
}

// ClaimLog is a lead's claim attempts and offers (S-COMP-1, S-NOTIFY-3).
type ClaimLog struct {
	Entry    *leadflow.PoolEntry     `json:"pool"`
	Attempts []leadflow.ClaimAttempt `json:"attempts"`
	Offers   []leadflow.Offer        `json:"offers"`
}

// Claims returns a lead's pool entry, every claim attempt and every offer, for managers.
func (s *Service) Claims(ctx context.Context, leadID int64) (*ClaimLog, error) {
	out := &ClaimLog{}
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		if out.Entry, err = tx.PoolEntry(ctx, leadID); err != nil {
			return err
		}
		if out.Attempts, err = tx.ClaimAttempts(ctx, leadID); err != nil {
			return err
		}
		out.Offers, err = tx.Offers(ctx, leadID)
		return err
	})
	if out.Attempts == nil {
		out.Attempts = []leadflow.ClaimAttempt{}
	}
	if out.Offers == nil {
		out.Offers = []leadflow.Offer{}
	}
	return out, err
}

// PoolSweepChunk bounds the expired pool leads one sweep transaction assigns.
const PoolSweepChunk = 200

// PoolSweep assigns the pool leads whose time ran out by push (S-COMP-3): round-robin among the
// team's tier-3 reps first (S-COMP-2: tier 3 receives the auto-assigned leads the pool did not
// clear), then among the whole team when no tier-3 rep can take it. It returns how many leads it
// handled.
func (s *Service) PoolSweep(ctx context.Context) (int, error) {
	now := s.clock.Now()
	var due []leadflow.PoolEntry
	if err := s.read(ctx, func(tx leadflow.ReadTx) error {
		open, err := tx.OpenPool(ctx)
		for _, e := range open {
			if !now.Before(e.ExpiresAt) && len(due) < PoolSweepChunk {
				due = append(due, e)
			}
		}
		return err
	}); err != nil || len(due) == 0 {
		return 0, err
	}
	sys := Actor{Name: "pool expiry", Role: leadflow.RoleAdmin}
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		for _, e := range due {
			if ok, err := tx.SetPoolStatus(ctx, e.LeadID, leadflow.PoolExpired); err != nil || !ok {
				if err != nil {
					return err
				}
				continue // claimed meanwhile
			}
			if err := s.pushExpired(ctx, tx, fx, e, sys, "the pool did not claim it in time", now); err != nil {
				return err
			}
			entry := e
			fx.after = append(fx.after, func() { s.poolChanged(poolMsg{Kind: "closed", Entry: entry, Why: "expired"}) })
		}
		return nil
	})
	return len(due), err
}

// pushExpired assigns a lead leaving the pool unclaimed: tier 3 first, then the whole team.
func (s *Service) pushExpired(ctx context.Context, tx leadflow.Tx, fx *effects, e leadflow.PoolEntry, a Actor, reason string, now time.Time) error {
	l, err := tx.LeadByID(ctx, e.LeadID)
	if err != nil || l.OwnerID != 0 {
		return err
	}
	env, err := s.newRoutingEnv(ctx, tx, now, nil)
	if err != nil {
		return err
	}
	base := s.ruleByID(e.RuleID)
	base.Method, base.TeamID, base.Source, base.Weights, base.pool = MethodRoundRobin, e.TeamID, nil, "", true
	lastTier := len(s.Competition().Tiers)
	var tier3 map[int64]bool
	for _, r := range env.reps {
		if r.Active && r.TeamID == e.TeamID && r.Tier == lastTier {
			if tier3 == nil {
				tier3 = map[int64]bool{}
			}
			tier3[r.ID] = true
		}
	}
	var tried []RuleTry
	if tier3 != nil {
		first := base
		first.repSet = tier3
		if done, err := s.pushByRule(env, fx, l, first, &tried, a, reason+" (tier 3 first)"); err != nil || done {
			return err
		}
	}
	if done, err := s.pushByRule(env, fx, l, base, &tried, a, reason); err != nil || done {
		return err
	}
	fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryOwner, Field: "owner",
		Reason: "left the pool unclaimed and no rep of the team could take it"})
	return nil
}

// PauseCompetition switches a team's pool to round-robin until until (S-COMP-9); a zero until
// takes the configured default (two weeks). Leads waiting in the team's pool are pushed at once.
// Competition resumes by itself when the pause ends.
func (s *Service) PauseCompetition(ctx context.Context, a Actor, teamID int64, until time.Time) (*leadflow.Team, error) {
	now := s.clock.Now()
	if until.IsZero() {
		until = compete.PauseUntil(now, s.Competition())
	}
	if !until.After(now) || until.After(now.AddDate(1, 0, 0)) {
		return nil, leadflow.Invalid("until", "must be in the future, at most a year ahead")
	}
	return s.setPause(ctx, a, teamID, &until, fmt.Sprintf("competition paused until %s", until.Format(time.RFC3339)))
}

// ResumeCompetition ends a team's pause now (S-COMP-9).
func (s *Service) ResumeCompetition(ctx context.Context, a Actor, teamID int64) (*leadflow.Team, error) {
	now := s.clock.Now()
	return s.setPause(ctx, a, teamID, &now, "competition resumed")
}

func (s *Service) setPause(ctx context.Context, a Actor, teamID int64, until *time.Time, why string) (*leadflow.Team, error) {
	var out *leadflow.Team
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		t, err := tx.Team(ctx, teamID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		t.PausedUntil, t.UpdatedAt = until, now
		if err := tx.UpdateTeam(ctx, t); err != nil {
			return err
		}
		out = t
		if !until.After(now) {
			return nil
		}
		open, err := tx.OpenPool(ctx)
		if err != nil {
			return err
		}
		for _, e := range open {
			if e.TeamID != teamID {
				continue
			}
			if _, err := tx.SetPoolStatus(ctx, e.LeadID, leadflow.PoolWithdrawn); err != nil {
				return err
			}
			if err := s.pushExpired(ctx, tx, fx, e, a, why, now); err != nil {
				return err
			}
			entry := e
			fx.after = append(fx.after, func() { s.poolChanged(poolMsg{Kind: "closed", Entry: entry, Why: "withdrawn"}) })
		}
		return nil
	})
	if err == nil {
		s.invalidateConfig()
		s.log.Info(why)
	}
	return out, err
}

// TierRanking is the result of a weekly tier ranking of one team (S-COMP-2).
type TierRanking struct {
	TeamID     int64               `json:"team_id"`
	At         time.Time           `json:"at"`
	Placements []compete.Placement `json:"placements"`
	Changed    int                 `json:"changed"`
}

// settingTiersRankedAt remembers when the tiers were last ranked.
const settingTiersRankedAt = "competition.tiers_ranked_at"

// RankTiers ranks every pool team's reps into tiers from conversion, quota attainment and
// response speed over the performance window (S-COMP-2) and stores the new tiers, logging each
// change with the figures behind it. The background loop runs it weekly.
func (s *Service) RankTiers(ctx context.Context, a Actor) ([]TierRanking, error) {
	perf, err := s.Performance(ctx, time.Duration(s.RecalcPolicy().WindowDays)*24*time.Hour)
	if err != nil {
		return nil, err
	}
	byRep := map[int64]RepPerformance{}
	for _, p := range perf {
		byRep[p.RepID] = p
	}
	cfg := s.Competition()
	var out []TierRanking
	err = s.store.Write(ctx, func(tx leadflow.Tx) error {
		out = nil
		now := s.clock.Now()
		reps, err := tx.Reps(ctx)
		if err != nil {
			return err
		}
		byTeam := map[int64][]*leadflow.Rep{}
		for i := range reps {
			if r := &reps[i]; r.Active && r.TeamID != 0 {
				byTeam[r.TeamID] = append(byTeam[r.TeamID], r)
			}
		}
		teams := slices.Sorted(func(yield func(int64) bool) {
			for id := range byTeam {
				if !yield(id) {
					return
				}
			}
		})
		for _, teamID := range teams {
			members := byTeam[teamID]
			stats := make([]compete.RepStats, len(members))
			for i, r := range members {
				p := byRep[r.ID]
				stats[i] = compete.RepStats{RepID: r.ID, Conversion: p.Rates.LeadToOpportunity, Attainment: p.Rates.QuotaAttainment,
					ResponseTime: time.Duration(p.MedianResponseMinutes * float64(time.Minute)),
					Onboarding:   !compete.TenureAt(r.HireDate, now, s.location(r.Timezone), cfg).Ranked}
			}
			placements := compete.RankTiers(stats, cfg)
			ranking := TierRanking{TeamID: teamID, At: now, Placements: placements}
			tiers := compete.TierMap(placements)
			for _, r := range members {
				tier, ok := tiers[r.ID]
				if !ok || tier == r.Tier {
					continue
				}
				before := *r
				r.Tier, r.UpdatedAt = tier, now
				if err := tx.UpdateRep(ctx, r); err != nil {
					return err
				}
				var why string
				var inputs []byte
				for _, p := range placements {
					if p.RepID == r.ID {
						why = p.Reason
						inputs, _ = json.Marshal(p)
					}
				}
				changes := weightChanges(&before, r, a, "weekly tier ranking: "+why, now)
				for i := range changes {
					changes[i].Inputs = inputs
				}
				if err := tx.InsertWeightChanges(ctx, changes...); err != nil {
					return err
				}
				ranking.Changed++
			}
			out = append(out, ranking)
		}
		stamp, _ := json.Marshal(now)
		return tx.PutSetting(ctx, settingTiersRankedAt, stamp)
	})
	if err == nil {
		s.invalidateConfig()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TeamID < out[j].TeamID })
	return out, err
}

// rankTiersIfDue runs RankTiers when a week has passed since the last ranking.
func (s *Service) rankTiersIfDue(ctx context.Context) error {
	var last time.Time
	if err := s.read(ctx, func(tx leadflow.ReadTx) error {
		b, err := tx.Setting(ctx, settingTiersRankedAt)
		if err == nil && b != nil {
			err = json.Unmarshal(b, &last)
		}
		return err
	}); err != nil {
		return err
	}
	if !last.IsZero() && s.clock.Now().Sub(last) < 7*24*time.Hour {
		return nil
	}
	_, err := s.RankTiers(ctx, Actor{Name: "weekly tier ranking", Role: leadflow.RoleAdmin})
	return err
}

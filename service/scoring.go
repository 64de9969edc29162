package service

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/lifecycle"
	"github.com/leadflow/leadflow/score"
)

// scoreChange is what rescoring a lead changed, recorded after the lead row is written.
type scoreChange struct {
	old       leadflow.Score
	stageFrom leadflow.Stage
	stageTo   leadflow.Stage
	crossed   []score.Action
	decayOnly bool
}

// score recomputes l's score at now with the active model and applies the automatic MQL
// transition (S-SCORE-6, S-LIFE-2). fireActions is false for decay sweeps and model rescoring,
// which must not send demo invitations for changes the lead did not cause.
func (s *Service) score(l *leadflow.Lead, now time.Time, fireActions bool) scoreChange {
	m, life, _, _ := s.snapshot()
	return applyScore(m, life, l, now, fireActions)
}

func applyScore(m *score.Compiled, life lifecycle.Config, l *leadflow.Lead, now time.Time, fireActions bool) scoreChange {
	sc := scoreChange{old: l.Score}
	r := m.Evaluate(l, l.Hits, now)
	l.Score, l.RescoreAt = r.Score(now), r.RescoreAt
	if to, ok := life.AutoStage(l); ok {
		sc.stageFrom, sc.stageTo = l.Stage, to
		l.Stage = to
		l.StageReason = fmt.Sprintf("score %s reached the MQL threshold %s", fmtPoints(l.Score.Total), fmtPoints(life.MQLThreshold))
	}
	if fireActions {
		sc.crossed = m.CrossedActions(sc.old.Total, l.Score.Total)
	}
	return sc
}

func fmtPoints(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// recordScore writes the history, stage change, domain events and threshold actions of a score
// change; the lead row itself is already written.
func (s *Service) recordScore(ctx context.Context, tx leadflow.Tx, fx *effects, l *leadflow.Lead, sc scoreChange, a Actor, reason string) error {
	now := l.Score.ScoredAt
	_, _, subs, _ := s.snapshot()
	// A new lead's first score is in its "created" entry; a rescoring that changed nothing but
	// the model version is visible on the lead and needs no entry.
	moved := sc.old.ModelVersion != 0 && (sc.old.Total != l.Score.Total || sc.old.Band != l.Score.Band || sc.old.Grade != l.Score.Grade)
	if sc.decayOnly && math.Abs(sc.old.Total-l.Score.Total) < 1 && sc.old.Band == l.Score.Band && sc.old.Grade == l.Score.Grade {
		moved = false // small decay steps are not history-worthy; the live score shows them
	}
	if moved {
		fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryScore, Field: "total",
			Old: fmtPoints(sc.old.Total), New: fmtPoints(l.Score.Total), Reason: reason, ModelVersion: l.Score.ModelVersion})
		if err := s.publish(ctx, tx, fx, subs, "lead.scored", map[string]any{"lead_id": l.ID, "old": sc.old, "new": l.Score, "reason": reason}); err != nil {
			return err
		}
	}
	if sc.stageTo != "" {
		if err := s.recordStage(ctx, tx, fx, l, sc.stageFrom, sc.stageTo, System, l.StageReason, now); err != nil {
			return err
		}
	}
	for _, act := range sc.crossed {
		body, err := eventBody("lead.threshold_crossed", now, map[string]any{"action": act.ID, "threshold": act.Threshold, "lead": l, "previous_total": sc.old.Total})
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, fx, act.WebhookURL, act.Secret, "lead.threshold_crossed", body); err != nil {
			return err
		}
	}
	return nil
}

// recordStage writes a stage transition to history, the anonymous funnel log and the outbox.
func (s *Service) recordStage(ctx context.Context, tx leadflow.Tx, fx *effects, l *leadflow.Lead, from, to leadflow.Stage, a Actor, reason string, now time.Time) error {
	fx.history = append(fx.history, leadflow.HistoryEntry{LeadID: l.ID, At: now, Actor: a.Name, Kind: leadflow.HistoryStage, Field: "stage", Old: string(from), New: string(to), Reason: reason})
	if err := tx.InsertStageChange(ctx, leadflow.StageChange{LeadID: l.ID, From: from, To: to, At: now, Source: l.Source, Campaign: l.Campaign}); err != nil {
		return err
	}
	_, _, subs, _ := s.snapshot()
	if err := s.publish(ctx, tx, fx, subs, "lead.stage_changed", map[string]any{"lead_id": l.ID, "from": from, "to": to, "reason": reason, "by": a.Name}); err != nil {
		return err
	}
	if to == leadflow.StageMQL && l.OwnerID == 0 { // hand-off to sales (S-SCORE-6): route in this transaction
		return s.routeInTx(ctx, tx, fx, l, a, "became an MQL", now, nil)
	}
	return nil
}

// Explanation is why a lead has its score (S-SCORE-9): the live score with every contributing
// rule (decay applied up to now), the lifecycle thresholds it is judged against, and the score
// last stored.
type Explanation struct {
	LeadID int64 `json:"lead_id"`
	score.Result
	At           time.Time `json:"at"`
	Unqualified  bool      `json:"unqualified"`
	MQLThreshold float64   `json:"mql_threshold"`
	// Stored is the score last written to the database; it differs from the live figures only by
	// decay or expiry since then.
	Stored leadflow.Score `json:"stored"`
}

// Explain returns the live score of a lead with every contributing rule.
func (s *Service) Explain(ctx context.Context, a Actor, id int64) (*Explanation, error) {
	var l *leadflow.Lead
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		if l, err = s.visibleLead(ctx, tx, a, id); err != nil {
			return err
		}
		m, _, _, _ := s.snapshot()
		if l.Score.ModelVersion != m.Version() { // not yet rescored by the background job
			evs, err := tx.EventsByLead(ctx, id)
			if err != nil {
				return err
			}
			l.Hits = m.HitsFromEvents(evs, s.clock.Now())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.explain(l), nil
}

func (s *Service) explain(l *leadflow.Lead) *Explanation {
	m, life, _, _ := s.snapshot()
	now := s.clock.Now()
	r := m.Evaluate(l, l.Hits, now)
	if r.Contributions == nil {
		r.Contributions = []score.Contribution{}
	}
	return &Explanation{LeadID: l.ID, Result: r, At: now, Unqualified: r.Total < life.UnqualifiedBelow, MQLThreshold: life.MQLThreshold, Stored: l.Score}
}

// PutModel stores a new model version, makes it active and starts rescoring every lead in the
// background (S-SCORE-8).
func (s *Service) PutModel(ctx context.Context, a Actor, m score.Model) (score.Model, *leadflow.RescoreJob, error) {
	m.Version = 0
	m, err := s.ResolveModelSecrets(m)
	if err != nil {
		return score.Model{}, nil, err
	}
	if _, err := m.Compile(); err != nil {
		return score.Model{}, nil, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return score.Model{}, nil, fmt.Errorf("encode model: %w", err)
	}
	rec := &leadflow.ModelRecord{Body: body, CreatedAt: s.clock.Now(), CreatedBy: a.Name}
	job := &leadflow.RescoreJob{Status: "running", StartedAt: s.clock.Now()}
	err = s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		if err := tx.InsertModel(ctx, rec); err != nil {
			return err
		}
		running, err := tx.RescoreJobs(ctx, 20)
		if err != nil {
			return err
		}
		for _, j := range running {
			if j.Status == "running" {
				j.Status = "superseded"
				now := s.clock.Now()
				j.FinishedAt = &now
				if err := tx.UpdateRescoreJob(ctx, &j); err != nil {
					return err
				}
			}
		}
		if job.Total, err = tx.CountLeads(ctx); err != nil {
			return err
		}
		job.ModelVersion = rec.Version
		return tx.InsertRescoreJob(ctx, job)
	})
	if err != nil {
		return score.Model{}, nil, err
	}
	if err := s.reload(ctx); err != nil {
		return score.Model{}, nil, err
	}
	s.KickRescore()
	return s.Model(), job, nil
}

// KickRescore wakes the background rescoring worker.
func (s *Service) KickRescore() {
	select {
	case s.kickRS <- struct{}{}:
	default:
	}
}

// RescoreJobs lists recent rescoring jobs, newest first, with their progress.
func (s *Service) RescoreJobs(ctx context.Context, limit int) ([]leadflow.RescoreJob, error) {
	var out []leadflow.RescoreJob
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		out, err = tx.RescoreJobs(ctx, limit)
		return err
	})
	return out, err
}

// Models lists stored model versions, newest first.
func (s *Service) Models(ctx context.Context) ([]leadflow.ModelRecord, error) {
	var out []leadflow.ModelRecord
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		out, err = tx.Models(ctx)
		return err
	})
	return out, err
}

// RescoreChunk is how many leads one rescoring transaction handles.
const RescoreChunk = 1000

// rescoreChunk is a chunk of leads read and scored outside the write transaction.
type rescoreChunk struct {
	after, last int64           // the chunk covers the ids after < id <= last
	leads       []leadflow.Lead // rescored; Rev is the revision read
	changes     []scoreChange
	err         error
}

// prepareChunk reads the leads with after < id <= upto and their events on the reader pool and
// scores them with model m. Nothing is written.
func (s *Service) prepareChunk(ctx context.Context, m *score.Compiled, life lifecycle.Config, after, upto int64) *rescoreChunk {
	c := &rescoreChunk{after: after, last: upto}
	var events map[int64][]leadflow.Event
	c.err = s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		if c.leads, err = tx.LeadsAfter(ctx, after, int(upto-after)); err != nil {
			return err
		}
		for len(c.leads) > 0 && c.leads[len(c.leads)-1].ID > upto {
			c.leads = c.leads[:len(c.leads)-1]
		}
		if len(c.leads) == 0 {
			return nil
		}
		events, err = tx.EventsForLeads(ctx, after+1, upto)
		return err
	})
	if c.err != nil || len(c.leads) == 0 {
		return c
	}
	now := s.clock.Now()
	c.changes = make([]scoreChange, len(c.leads))
	for i := range c.leads {
		l := &c.leads[i]
		l.Hits = m.HitsFromEvents(events[l.ID], now)
		c.changes[i] = applyScore(m, life, l, now, false)
	}
	return c
}

// RescoreAll runs the newest rescoring job to completion (S-SCORE-8). The next chunk is read and
// scored on the reader pool while the writer stores the current one. Each chunk commits together
// with the job's progress, so a restart resumes where the last commit stopped; a lead that changed
// between read and write is rescored again inside the transaction.
func (s *Service) RescoreAll(ctx context.Context, progress func(done, total int64)) error {
	var job *leadflow.RescoreJob
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		jobs, err := tx.RescoreJobs(ctx, 1)
		if err == nil && len(jobs) == 1 && jobs[0].Status == "running" {
			job = &jobs[0]
		}
		return err
	})
	if err != nil || job == nil {
		return err
	}
	m, life, _, _ := s.snapshot()
	if m.Version() != job.ModelVersion {
		var rec *leadflow.ModelRecord
		if err := s.read(ctx, func(tx leadflow.ReadTx) error {
			var err error
			rec, err = tx.Model(ctx, job.ModelVersion)
			return err
		}); err != nil {
			return err
		}
		if m, err = compileRecord(rec); err != nil {
			return err
		}
	}
	// Leads created after the job started are scored by its model already; the job covers the ids
	// up to the newest one now. Chunks are fixed id ranges, so two can be read and scored at once
	// (on the reader pool) while the writer applies the previous one, in order.
	var newest []leadflow.Lead
	if err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		newest, err = tx.ListLeads(ctx, leadflow.LeadFilter{Limit: 1})
		return err
	}); err != nil {
		return err
	}
	var maxID int64
	if len(newest) > 0 {
		maxID = newest[0].ID
	}
	const inFlight = 2
	var queue []<-chan *rescoreChunk
	next := job.LastLeadID
	launch := func() {
		after := next
		upto := min(after+RescoreChunk, max(maxID, after))
		next = upto
		ch := make(chan *rescoreChunk, 1)
		go func() { ch <- s.prepareChunk(ctx, m, life, after, upto) }() // owned by RescoreAll, which drains the queue
		queue = append(queue, ch)
	}
	defer func() {
		for _, ch := range queue {
			<-ch
		}
	}()
	for len(queue) < inFlight && next < maxID {
		launch()
	}
	for {
		if len(queue) == 0 { // every range applied: close the job
			_, err := s.applyChunk(ctx, job.ID, m, life, &rescoreChunk{after: next, last: next})
			return err
		}
		c := <-queue[0]
		queue = queue[1:]
		if c.err != nil {
			return c.err
		}
		if next < maxID {
			launch()
		}
		ok, err := s.applyChunk(ctx, job.ID, m, life, c)
		if err != nil || !ok {
			return err
		}
		job.Done += int64(len(c.leads))
		if progress != nil {
			progress(job.Done, max(job.Total, job.Done))
		}
	}
}

// applyChunk stores a prepared chunk and the job's progress in one transaction. It returns false
// when the job is no longer running or another worker already advanced it.
func (s *Service) applyChunk(ctx context.Context, jobID int64, m *score.Compiled, life lifecycle.Config, c *rescoreChunk) (bool, error) {
	ok := false
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		ok = false
		job, err := tx.RescoreJob(ctx, jobID)
		if err != nil || job.Status != "running" || job.LastLeadID != c.after {
			return err
		}
		ok = true
		now := s.clock.Now()
		if c.last == c.after { // the final, empty range: the job is complete
			job.Status, job.FinishedAt = "done", &now
			return tx.UpdateRescoreJob(ctx, job)
		}
		reason := fmt.Sprintf("rescored with model v%d", job.ModelVersion)
		// Leads whose stage moves are written whole; the rest get a narrow, conditional update.
		var narrow []leadflow.Lead
		var narrowChanges []scoreChange
		var redo []int64
		for i := range c.leads {
			if c.changes[i].stageTo != "" {
				redo = append(redo, c.leads[i].ID)
				continue
			}
			narrow, narrowChanges = append(narrow, c.leads[i]), append(narrowChanges, c.changes[i])
		}
		skipped, err := tx.UpdateScoresIfCurrent(ctx, narrow)
		if err != nil {
			return err
		}
		stale := idSet(skipped)
		for i := range narrow {
			if stale[narrow[i].ID] {
				continue
			}
			if narrowChanges[i].old.Total != narrow[i].Score.Total {
				job.Changed++
			}
			if err := s.recordScore(ctx, tx, fx, &narrow[i], narrowChanges[i], System, reason); err != nil {
				return err
			}
		}
		for _, id := range append(redo, skipped...) {
			changed, err := s.rescoreInTx(ctx, tx, fx, m, life, id, now, reason)
			if err != nil {
				return err
			}
			if changed {
				job.Changed++
			}
		}
		job.Done += int64(len(c.leads))
		job.LastLeadID = c.last
		if job.Done > job.Total {
			job.Total = job.Done // leads created during the job
		}
		return tx.UpdateRescoreJob(ctx, job)
	})
	return ok, err
}

// rescoreInTx rescores one lead from its events inside the transaction.
func (s *Service) rescoreInTx(ctx context.Context, tx leadflow.Tx, fx *effects, m *score.Compiled, life lifecycle.Config, id int64, now time.Time, reason string) (bool, error) {
	l, err := tx.LeadByID(ctx, id)
	if isNotFound(err) {
		return false, nil // erased meanwhile
	}
	if err != nil {
		return false, err
	}
	evs, err := tx.EventsByLead(ctx, id)
	if err != nil {
		return false, err
	}
	l.Hits = m.HitsFromEvents(evs, now)
	sc := applyScore(m, life, l, now, false)
	if err := tx.UpdateLead(ctx, l); err != nil {
		return false, err
	}
	return sc.old.Total != l.Score.Total || sc.stageTo != "", s.recordScore(ctx, tx, fx, l, sc, System, reason)
}

// StartRescore creates a job that rescores every lead with the active model (leadflow rescore).
func (s *Service) StartRescore(ctx context.Context) (*leadflow.RescoreJob, error) {
	job := &leadflow.RescoreJob{Status: "running", StartedAt: s.clock.Now(), ModelVersion: s.Model().Version}
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		var err error
		if job.Total, err = tx.CountLeads(ctx); err != nil {
			return err
		}
		return tx.InsertRescoreJob(ctx, job)
	})
	return job, err
}

// SweepChunk is how many due leads one decay sweep transaction handles.
const SweepChunk = 500

// DecaySweep rewrites the stored scores of leads whose decay or expiry time has come, so stored
// scores are never staler than score.DecayResolution (S-SCORE-7). It returns how many leads it
// rescored.
func (s *Service) DecaySweep(ctx context.Context) (int, error) {
	n := 0
	err := s.write(ctx, func(tx leadflow.Tx, fx *effects) error {
		now := s.clock.Now()
		leads, err := tx.LeadsDue(ctx, now, SweepChunk)
		if err != nil {
			return err
		}
		m, _, _, _ := s.snapshot()
		for i := range leads {
			l := &leads[i]
			if l.Score.ModelVersion != m.Version() {
				evs, err := tx.EventsByLead(ctx, l.ID)
				if err != nil {
					return err
				}
				l.Hits = m.HitsFromEvents(evs, now)
			}
			sc := s.score(l, now, false)
			sc.decayOnly = true
			if err := tx.UpdateLead(ctx, l); err != nil {
				return err
			}
			if err := s.recordScore(ctx, tx, fx, l, sc, System, "decay"); err != nil {
				return err
			}
		}
		n = len(leads)
		return nil
	})
	return n, err
}

// Preview is the effect a proposed model would have on the current leads (S-SCORE-8).
type Preview struct {
	Leads          int            `json:"leads"`
	CurrentMean    float64        `json:"current_mean"`
	ProposedMean   float64        `json:"proposed_mean"`
	CurrentBands   map[string]int `json:"current_bands"`
	ProposedBands  map[string]int `json:"proposed_bands"`
	CurrentGrades  map[string]int `json:"current_grades"`
	ProposedGrades map[string]int `json:"proposed_grades"`
	// Histograms count leads per 10-point bucket of the total ("-10", "0", "10", … "100+").
	CurrentHistogram  map[string]int `json:"current_histogram"`
	ProposedHistogram map[string]int `json:"proposed_histogram"`
	BandChanges       map[string]int `json:"band_changes"` // "warm→hot": n
	NewMQLs           int            `json:"new_mqls"`     // new or nurture leads that would become MQLs
	BelowMQL          int            `json:"below_mql"`    // MQLs whose score would fall under the threshold
	Unqualified       int            `json:"unqualified"`  // leads that would score under the unqualified threshold
	BiggestChanges    []LeadDelta    `json:"biggest_changes"`
}

// LeadDelta is one lead's score under the current and the proposed model.
type LeadDelta struct {
	LeadID   int64   `json:"lead_id"`
	Company  string  `json:"company,omitempty"`
	Current  float64 `json:"current"`
	Proposed float64 `json:"proposed"`
}

// PreviewModel scores every current lead (or the newest limit leads when limit > 0) with a
// proposed model without storing anything.
func (s *Service) PreviewModel(ctx context.Context, proposed score.Model, limit int) (*Preview, error) {
	pm, err := proposed.Compile()
	if err != nil {
		return nil, err
	}
	cur, life, _, _ := s.snapshot()
	now := s.clock.Now()
	p := &Preview{CurrentBands: map[string]int{}, ProposedBands: map[string]int{}, CurrentGrades: map[string]int{}, ProposedGrades: map[string]int{},
		CurrentHistogram: map[string]int{}, ProposedHistogram: map[string]int{}, BandChanges: map[string]int{}, BiggestChanges: []LeadDelta{}}
	var sumCur, sumNew float64
	var after int64
	for limit <= 0 || p.Leads < limit {
		var leads []leadflow.Lead
		var events map[int64][]leadflow.Event
		err := s.read(ctx, func(tx leadflow.ReadTx) error {
			var err error
			if leads, err = tx.LeadsAfter(ctx, after, RescoreChunk); err != nil || len(leads) == 0 {
				return err
			}
			events, err = tx.EventsForLeads(ctx, leads[0].ID, leads[len(leads)-1].ID)
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(leads) == 0 {
			break
		}
		after = leads[len(leads)-1].ID
		for i := range leads {
			if limit > 0 && p.Leads >= limit {
				break
			}
			l := &leads[i]
			c := cur.Evaluate(l, cur.HitsFromEvents(events[l.ID], now), now)
			n := pm.Evaluate(l, pm.HitsFromEvents(events[l.ID], now), now)
			p.Leads++
			sumCur += c.Total
			sumNew += n.Total
			p.CurrentBands[c.Band]++
			p.ProposedBands[n.Band]++
			p.CurrentGrades[c.Grade]++
			p.ProposedGrades[n.Grade]++
			p.CurrentHistogram[bucket(c.Total)]++
			p.ProposedHistogram[bucket(n.Total)]++
			if c.Band != n.Band {
				p.BandChanges[c.Band+"→"+n.Band]++
			}
			if (l.Stage == leadflow.StageNew || l.Stage == leadflow.StageNurture) && n.Total >= life.MQLThreshold {
				p.NewMQLs++
			}
			if l.Stage == leadflow.StageMQL && n.Total < life.MQLThreshold {
				p.BelowMQL++
			}
			if n.Total < life.UnqualifiedBelow {
				p.Unqualified++
			}
			p.BiggestChanges = keepBiggest(p.BiggestChanges, LeadDelta{LeadID: l.ID, Company: l.Company, Current: c.Total, Proposed: n.Total}, 10)
		}
	}
	if p.Leads > 0 {
		p.CurrentMean, p.ProposedMean = round2(sumCur/float64(p.Leads)), round2(sumNew/float64(p.Leads))
	}
	return p, nil
}

func bucket(total float64) string {
	if total >= 100 {
		return "100+"
	}
	return strconv.Itoa(int(math.Floor(total/10)) * 10)
}

func keepBiggest(list []LeadDelta, d LeadDelta, n int) []LeadDelta {
	if d.Current == d.Proposed {
		return list
	}
	list = append(list, d)
	sort.SliceStable(list, func(i, j int) bool {
		return math.Abs(list[i].Proposed-list[i].Current) > math.Abs(list[j].Proposed-list[j].Current)
	})
	if len(list) > n {
		list = list[:n]
	}
	return list
}

// idSet turns a list of ids into a set.
func idSet(ids []int64) map[int64]bool {
	set := make(map[int64]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
}

package service

import (
	"cmp"
	"container/heap"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
	"github.com/leadflow/leadflow/notify"
)

// Live event types on the stream (S-NOTIFY-1).
const (
	EventOffer   = "pool.offer"   // a pool lead is now visible to the rep (and maybe claimable)
	EventClaimed = "pool.claimed" // a lead the rep was offered was claimed by someone else
	EventClosed  = "pool.closed"  // a lead the rep was offered left the pool unclaimed
	EventPooled  = "pool.entered" // managers: a lead entered a pool
)

// offerBoard publishes pool offers to the live hub at the moment each rep becomes eligible
// (S-NOTIFY-1, S-NOTIFY-4): reps whose offer opens at the same moment get it in one Publish, so
// they receive it at the same time; reps whose tier delay or head start makes them wait get it
// when the wait ends, not before. It tracks who was offered what (also recorded as offers in the
// store, S-NOTIFY-3) so that "claimed by someone else" reaches exactly those reps.
//
// Goroutine ownership: run owns the timer loop; entered, claimed and closed are called after
// commits from any goroutine. Offers are recorded in the store by run's batches, never inside
// the transaction that pooled the lead.
type offerBoard struct {
	s *Service

	mu      sync.Mutex
	jobs    offerJobs
	offered map[int64]sentOffers // lead → who was sent its offer, and when
	pending []pendingOffers      // sent offers waiting to be recorded, in the order sent
	kick    chan struct{}
}

func newOfferBoard(s *Service) *offerBoard {
	return &offerBoard{s: s, offered: map[int64]sentOffers{}, kick: make(chan struct{}, 1)}
}

// sentOffers is who was sent a lead's offer, in groups by the moment: a lead is offered to a
// team in a few publishes (one per moment its reps' offers open), so a group's reps share one
// time stamp — 8 bytes a rep instead of a map entry. A wave of 2,000 pool leads offered to 200
// reps each is 400,000 offers to track until the leads are claimed.
type sentOffers []offerGroup

type offerGroup struct {
	at   time.Time
	reps []int64
}

// sentAt returns when the rep was sent the offer, if it was.
func (so sentOffers) sentAt(rep int64) (time.Time, bool) {
	for _, g := range so {
		if slices.Contains(g.reps, rep) {
			return g.at, true
		}
	}
	return time.Time{}, false
}

// set returns the reps sent the offer as a set (nil when none).
func (so sentOffers) set() map[int64]bool {
	if len(so) == 0 {
		return nil
	}
	out := map[int64]bool{}
	for _, g := range so {
		for _, id := range g.reps {
			out[id] = true
		}
	}
	return out
}

// pendingOffers are offers of one lead sent at one moment, not yet recorded, with the moment
// they were queued (nanoseconds on the wall clock).
type pendingOffers struct {
	leadID int64
	sentAt time.Time
	reps   []int64
	queued int64
}

// Sent offers are recorded once they are offerRecordDelay old, offerRecordChunk to a write: the
// write then comes after the burst of stream writes that delivered them instead of competing with
// it for the CPU, and claims racing for the same lead commit between the chunks instead of waiting
// behind one write of a thousand rows (S-PERF-4, S-PERF-5).
const (
	offerRecordDelay = 50 * time.Millisecond
	offerRecordChunk = 100
)

// offerJob is a moment at which some rep's offer of a lead opens, or, with sms, at which reps
// that have not seen their offer get the SMS backup.
type offerJob struct {
	at     time.Time
	leadID int64
	sms    []int64
}

type offerJobs []offerJob

func (h offerJobs) Len() int           { return len(h) }
func (h offerJobs) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h offerJobs) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *offerJobs) Push(x any)        { *h = append(*h, x.(offerJob)) }
func (h *offerJobs) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// handle applies a committed pool change (see poolChanged).
func (b *offerBoard) handle(m poolMsg) {
	switch m.Kind {
	case "entered":
		b.entered(m.Entry, m.Preview)
	case "claimed":
		b.claimed(m.Entry, m.Winner, m.WinnerName, m.At)
	case "closed":
		b.closed(m.Entry, m.Why)
	}
}

// entered offers a lead that entered (or re-entered) the pool: managers at once, every rep whose
// offer is open now at once, and the others at their moment.
func (b *offerBoard) entered(e leadflow.PoolEntry, preview compete.LeadPreview) {
	b.mu.Lock()
	b.offered[e.LeadID] = nil
	b.mu.Unlock()
	cfg := b.s.Competition()
	full := preview
	full.Blind = e.Blind
	b.s.emit(EventPooled, map[string]any{"lead_id": e.LeadID, "team_id": e.TeamID, "band": e.Band, "blind": e.Blind,
		"cohort": e.Cohort, "pooled_at": e.PooledAt, "expires_at": e.ExpiresAt, "preview": full, "premium": cfg.Premium(e.Band)}, notify.ToManagers())
	b.offer(e, preview)
	o := compete.OfferContent(b.s.clock.Now(), poolLead(&e), preview, cfg)
	o.ExpiresAt = e.ExpiresAt
	b.s.announce(o)
}

// sentAt returns when the rep was sent the offer of a lead, if this node sent it.
func (b *offerBoard) sentAt(leadID, repID int64) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.offered[leadID].sentAt(repID)
}

// smsLater schedules the SMS backup of an offer for reps (S-NOTIFY-1).
func (b *offerBoard) smsLater(leadID int64, reps []int64, at time.Time) {
	b.mu.Lock()
	heap.Push(&b.jobs, offerJob{at: at, leadID: leadID, sms: slices.Clone(reps)})
	b.mu.Unlock()
}

// offer publishes the lead to every rep whose offer has opened and who was not offered it yet,
// and schedules the next opening.
func (b *offerBoard) offer(e leadflow.PoolEntry, preview compete.LeadPreview) {
	ctx := context.Background()
	now := b.s.clock.Now()
	cfg := b.s.Competition()
	var pt *poolTeam
	if err := b.s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		pt, err = b.s.loadPoolTeam(ctx, tx, e.TeamID, e.PooledAt)
		return err
	}); err != nil {
		b.s.log.Error("pool offer", slog.Int64("lead_id", e.LeadID), slog.Any("err", err))
		return
	}
	type group struct {
		claimAt   time.Time
		claimable bool
	}
	groups := map[group][]int64{}
	var next time.Time
	b.mu.Lock()
	done := b.offered[e.LeadID].set()
	for _, rep := range pt.members {
		if done[rep.ID] || (len(e.RepIDs) > 0 && !slices.Contains(e.RepIDs, rep.ID)) {
			continue
		}
		v := compete.See(now, pt.state, poolLead(&e), b.s.competeRep(rep), cfg)
		if !v.Visible && v.SeeAt.IsZero() {
			continue
		}
		if now.Before(v.SeeAt) {
			if next.IsZero() || v.SeeAt.Before(next) {
				next = v.SeeAt
			}
			continue
		}
		if !v.Visible {
			continue
		}
		g := group{claimAt: v.ClaimAt, claimable: v.Claimable}
		groups[g] = append(groups[g], rep.ID)
	}
	if len(groups) > 0 {
		var reps []int64
		for _, ids := range groups {
			reps = append(reps, ids...)
		}
		b.offered[e.LeadID] = append(b.offered[e.LeadID], offerGroup{at: now, reps: reps})
	}
	if !next.IsZero() && next.Before(e.ExpiresAt) {
		heap.Push(&b.jobs, offerJob{at: next, leadID: e.LeadID})
	}
	b.mu.Unlock()
	if !next.IsZero() {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	offer := compete.OfferContent(now, poolLead(&e), preview, cfg)
	offer.ExpiresAt, offer.TimeLeftSeconds = e.ExpiresAt, int64(max(e.ExpiresAt.Sub(now), 0)/time.Second)
	for g, reps := range groups {
		// Queued before it is streamed: a rep may mark it seen the moment it arrives.
		b.mu.Lock()
		b.pending = append(b.pending, pendingOffers{leadID: e.LeadID, sentAt: now, reps: slices.Clone(reps), queued: time.Now().UnixNano()})
		b.mu.Unlock()
		b.s.emit(EventOffer, map[string]any{"offer": offer, "claimable": g.claimable, "claim_at": g.claimAt}, notify.ToReps(reps...))
		b.s.notifyOffer(e, offer, reps)
	}
}

// claimed tells every other rep offered the lead that it is gone, and managers who won it.
func (b *offerBoard) claimed(e leadflow.PoolEntry, winner int64, name string, at time.Time) {
	reps := b.forget(e.LeadID, winner)
	payload := map[string]any{"lead_id": e.LeadID, "claimed_by": winner, "claimed_by_name": name, "claimed_at": at}
	if len(reps) > 0 {
		b.s.emit(EventClaimed, payload, notify.ToReps(reps...))
	}
	b.s.emit(EventClaimed, payload, notify.ToManagers())
}

// closed tells the reps offered a lead that it left the pool unclaimed (expired or withdrawn).
func (b *offerBoard) closed(e leadflow.PoolEntry, why string) {
	reps := b.forget(e.LeadID, 0)
	payload := map[string]any{"lead_id": e.LeadID, "status": why}
	if len(reps) > 0 {
		b.s.emit(EventClosed, payload, notify.ToReps(reps...))
	}
	b.s.emit(EventClosed, payload, notify.ToManagers())
}

// forget drops a lead's offer tracking and returns the reps it was offered to, except skip.
func (b *offerBoard) forget(leadID, skip int64) []int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []int64
	for _, g := range b.offered[leadID] {
		for _, id := range g.reps {
			if id != skip {
				out = append(out, id)
			}
		}
	}
	delete(b.offered, leadID)
	slices.Sort(out)
	return out
}

// offerTick is how often the board checks for offers that opened; a tier-2 rep gets its offer
// at most this late after its delay ends.
const offerTick = 50 * time.Millisecond

// run publishes delayed offers when they open and records sent offers in batches, until ctx
// ends. Only the leading node schedules offers; see lead.
func (b *offerBoard) run(ctx context.Context) {
	t := time.NewTicker(offerTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			b.flush(context.WithoutCancel(ctx), 0)
			return
		case <-t.C:
		case <-b.kick:
		}
		if !b.s.leader.Load() {
			continue
		}
		now := b.s.clock.Now()
		var due []int64
		var sms []offerJob
		b.mu.Lock()
		for b.jobs.Len() > 0 && !now.Before(b.jobs[0].at) {
			j := heap.Pop(&b.jobs).(offerJob)
			switch {
			case j.sms != nil:
				sms = append(sms, j)
			case !slices.Contains(due, j.leadID):
				due = append(due, j.leadID)
			}
		}
		b.mu.Unlock()
		for _, id := range due {
			b.reoffer(ctx, id)
		}
		b.flush(ctx, time.Now().Add(-offerRecordDelay).UnixNano())
		for _, j := range sms {
			b.s.smsBackup(ctx, j.leadID, j.sms)
		}
	}
}

// reoffer offers an open lead to the reps whose offer opened since.
func (b *offerBoard) reoffer(ctx context.Context, leadID int64) {
	var e *leadflow.PoolEntry
	var l *leadflow.Lead
	err := b.s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		if e, err = tx.PoolEntry(ctx, leadID); err != nil {
			return err
		}
		l, err = tx.LeadByID(ctx, leadID)
		return err
	})
	if err != nil || e.Status != leadflow.PoolOpen {
		return
	}
	b.offer(*e, compete.PreviewOf(l))
}

// lead starts scheduling when this node becomes the leader (at start, or when the previous
// leader died): it rebuilds the tracking of the open pool from the store — offers already
// recorded count as sent — and checks every open lead at once for offers that opened meanwhile.
func (b *offerBoard) lead(ctx context.Context) {
	b.mu.Lock()
	b.jobs, b.offered = nil, map[int64]sentOffers{}
	b.mu.Unlock()
	b.restore(ctx)
}

func (b *offerBoard) restore(ctx context.Context) {
	var open []leadflow.PoolEntry
	sent := map[int64][]leadflow.Offer{}
	err := b.s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		if open, err = tx.OpenPool(ctx); err != nil {
			return err
		}
		for _, e := range open {
			if sent[e.LeadID], err = tx.Offers(ctx, e.LeadID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.s.log.Error("restore pool offers", slog.Any("err", err))
		return
	}
	now := b.s.clock.Now()
	b.mu.Lock()
	for _, e := range open {
		var done sentOffers // the store lists offers by the time sent
		for _, o := range sent[e.LeadID] {
			switch {
			case o.SentAt.Before(e.PooledAt): // sent before the lead last entered the pool
			case len(done) > 0 && done[len(done)-1].at.Equal(o.SentAt):
				done[len(done)-1].reps = append(done[len(done)-1].reps, o.RepID)
			default:
				done = append(done, offerGroup{at: o.SentAt, reps: []int64{o.RepID}})
			}
		}
		b.offered[e.LeadID] = done
		heap.Push(&b.jobs, offerJob{at: now, leadID: e.LeadID})
	}
	b.mu.Unlock()
}

// flush records the sent offers (S-NOTIFY-3) queued before cutoff (all of them for a zero cutoff),
// offerRecordChunk to a write.
func (b *offerBoard) flush(ctx context.Context, cutoff int64) {
	b.mu.Lock()
	n := len(b.pending)
	if cutoff != 0 { // pending is in queue order
		n, _ = slices.BinarySearchFunc(b.pending, cutoff, func(p pendingOffers, t int64) int { return cmp.Compare(p.queued, t) })
	}
	batch := slices.Clone(b.pending[:n])
	b.pending = slices.Delete(b.pending, 0, n)
	b.mu.Unlock()
	chunk := make([]leadflow.Offer, 0, offerRecordChunk)
	write := func() {
		if err := b.s.store.Write(ctx, func(tx leadflow.Tx) error { return tx.PutOffers(ctx, chunk...) }); err != nil && ctx.Err() == nil {
			b.s.log.Error("record offers", slog.Int("offers", len(chunk)), slog.Any("err", err))
		}
		chunk = chunk[:0]
	}
	for _, p := range batch {
		for _, id := range p.reps {
			chunk = append(chunk, leadflow.Offer{LeadID: p.leadID, RepID: id, SentAt: p.sentAt, Channel: "stream"})
			if len(chunk) == offerRecordChunk {
				write()
			}
		}
	}
	if len(chunk) > 0 {
		write()
	}
}

// take removes a sent offer from the queue of offers to record and returns it, if it is there.
func (b *offerBoard) take(leadID, repID int64) (leadflow.Offer, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.pending {
		p := &b.pending[i]
		if k := slices.Index(p.reps, repID); p.leadID == leadID && k >= 0 {
			p.reps = slices.Delete(p.reps, k, k+1)
			return leadflow.Offer{LeadID: leadID, RepID: repID, SentAt: p.sentAt, Channel: "stream"}, true
		}
	}
	return leadflow.Offer{}, false
}

// requeue puts back an offer taken with take whose write failed, so it is recorded later.
func (b *offerBoard) requeue(o leadflow.Offer) {
	b.mu.Lock()
	b.pending = slices.Insert(b.pending, 0, pendingOffers{leadID: o.LeadID, sentAt: o.SentAt, reps: []int64{o.RepID}})
	b.mu.Unlock()
}

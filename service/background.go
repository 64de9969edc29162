package service

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/webhook"
)

// WebhookQueue adapts the store's outbox to the webhook worker.
type WebhookQueue struct{ S *Service }

// Due leases deliveries that are due.
func (q WebhookQueue) Due(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]webhook.Delivery, error) {
	var rows []leadflow.WebhookDelivery
	err := q.S.store.Write(ctx, func(tx leadflow.Tx) error {
		var err error
		rows, err = tx.ClaimWebhooks(ctx, now, limit, lease)
		return err
	})
	out := make([]webhook.Delivery, len(rows))
	for i, r := range rows {
		out[i] = webhook.Delivery{ID: r.ID, URL: r.URL, Secret: r.Secret, Event: r.Event, Body: r.Body, Attempts: r.Attempts}
	}
	return out, err
}

// Finish records an attempt in the delivery log and schedules a retry or closes the delivery.
func (q WebhookQueue) Finish(ctx context.Context, d webhook.Delivery, r webhook.Result) error {
	now := q.S.clock.Now()
	row := leadflow.WebhookDelivery{ID: d.ID, Attempts: d.Attempts + 1, LastStatus: r.Status, LastError: r.Err, NextAttemptAt: r.NextAttempt, Status: leadflow.WebhookPending}
	switch {
	case r.Done:
		row.Status, row.DeliveredAt = leadflow.WebhookDelivered, &now
	case r.Dead:
		row.Status = leadflow.WebhookDead
	}
	return q.S.store.Write(ctx, func(tx leadflow.Tx) error {
		return tx.FinishWebhook(ctx, row, leadflow.WebhookAttempt{DeliveryID: d.ID, At: now, Status: r.Status, Error: r.Err, Duration: r.Duration})
	})
}

// Background runs the service's periodic work until ctx ends: model rescoring jobs, the decay
// sweep, pool expiry and SLA bounces, calendar sync, weight recalculation and tier ranking, live
// offer scheduling — on the one node of the cluster that holds the background lease, so each
// runs exactly once however many nodes share the store (S-STORE-4); a node that dies leaves it to
// the next lease holder within leaseTTL — and configuration refresh on every node. Goroutine
// ownership: the caller owns the goroutine that calls Background; it returns after ctx is done.
func (s *Service) Background(ctx context.Context, sweepEvery, refreshEvery time.Duration) {
	if sweepEvery <= 0 {
		sweepEvery = time.Minute
	}
	if refreshEvery <= 0 {
		refreshEvery = 5 * time.Second
	}
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	refresh := time.NewTicker(refreshEvery)
	defer refresh.Stop()
	rescoreIdle := time.NewTicker(10 * time.Second) // resumes a job left by a restart
	defer rescoreIdle.Stop()
	sla := time.NewTicker(min(15*time.Second, sweepEvery)) // pool expiry, response timers (S-DIST-10)
	defer sla.Stop()
	calendars := time.NewTicker(time.Hour) // rep absence feeds (S-REP-2)
	defer calendars.Stop()
	recalc := time.NewTicker(15 * time.Minute) // weight recalculation cadence and triggers (S-DIST-4)
	defer recalc.Stop()
	lease := time.NewTicker(leaseRenew)
	defer lease.Stop()
	feeds := &http.Client{Timeout: 30 * time.Second}
	s.listen(ctx)        // live events and pool changes from other nodes; returns at once
	go s.offers.run(ctx) // live pool offers (S-NOTIFY-1); returns when ctx ends
	if _, became := s.renewLeadership(ctx); became {
		s.offers.lead(ctx)
	}
	s.KickRescore()
	leading := s.leader.Load
	for {
		select {
		case <-ctx.Done():
			return
		case <-lease.C:
			if _, became := s.renewLeadership(ctx); became {
				s.offers.lead(ctx)
				s.KickRescore()
			}
		case <-refresh.C: // every node
			if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("refresh configuration", slog.Any("err", err))
			}
		case <-s.kickRS:
			if leading() {
				s.drainRescore(ctx)
			}
		case <-rescoreIdle.C:
			if leading() {
				s.drainRescore(ctx)
			}
		case <-sweep.C:
			for leading() {
				n, err := s.DecaySweep(ctx)
				if err != nil {
					s.log.Error("decay sweep", slog.Any("err", err))
				}
				if err != nil || n < SweepChunk || ctx.Err() != nil {
					break
				}
			}
		case <-sla.C:
			for leading() { // pool expiry (S-COMP-3), then response timers
				n, err := s.PoolSweep(ctx)
				if err != nil && ctx.Err() == nil {
					s.log.Error("pool expiry", slog.Any("err", err))
				}
				if err != nil || n < PoolSweepChunk {
					break
				}
			}
			for leading() {
				n, err := s.SLASweep(ctx)
				if err != nil && ctx.Err() == nil {
					s.log.Error("sla sweep", slog.Any("err", err))
				}
				if err != nil || n < SLAChunk {
					break
				}
			}
		case <-calendars.C:
			if !leading() {
				continue
			}
			if _, err := s.SyncCalendars(ctx, feeds); err != nil && ctx.Err() == nil {
				s.log.Error("calendar sync", slog.Any("err", err))
			}
		case <-recalc.C:
			if !leading() {
				continue
			}
			if err := s.rankTiersIfDue(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("tier ranking", slog.Any("err", err))
			}
			if _, err := s.RecalculateWeights(ctx, Actor{Name: "scheduled recalculation", Role: leadflow.RoleAdmin}, false); err != nil && ctx.Err() == nil {
				s.log.Error("weight recalculation", slog.Any("err", err))
			}
		}
	}
}

func (s *Service) drainRescore(ctx context.Context) {
	if err := s.RescoreAll(ctx, nil); err != nil && ctx.Err() == nil {
		s.log.Error("rescoring", slog.Any("err", err))
	}
}

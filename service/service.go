// Package service is leadflow's application layer: every write is one store transaction that
// validates input, applies it, rescores the lead synchronously (S-SCORE-7), moves it through the
// lifecycle and enqueues outbound webhooks in the same transaction (transactional outbox).
// Nothing slow runs inside a transaction: webhooks are delivered by a worker after commit.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/leadflow/leadflow/compete"
	"github.com/leadflow/leadflow/notify"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/lifecycle"
	"github.com/leadflow/leadflow/score"
)

// Settings keys in the store.
const (
	settingLifecycle     = "lifecycle"
	settingSubscriptions = "webhooks.subscriptions"
	settingIngest        = "ingest"
)

// Actor is who performs an operation; it is recorded in history.
type Actor struct {
	Name    string
	Role    string
	TokenID int64
	RepID   int64
}

// System is the actor for background work.
var System = Actor{Name: "system", Role: leadflow.RoleAdmin}

// Subscription sends chosen domain events to a URL (S-NOTIFY-5).
type Subscription struct {
	URL    string   `json:"url" yaml:"url"`
	Secret string   `json:"secret,omitempty" yaml:"secret,omitempty"`
	Events []string `json:"events,omitempty" yaml:"events,omitempty"` // empty: all
}

// IngestSettings control lead intake.
type IngestSettings struct {
	// CreateLeadsFromEvents lets an event with an unknown email create the lead (S-LEAD-4).
	CreateLeadsFromEvents bool `json:"create_leads_from_events" yaml:"create_leads_from_events"`
}

// Options configure a Service.
type Options struct {
	Clock  leadflow.Clock
	Logger *slog.Logger
	// OnCommit is called after a commit that enqueued webhooks (wakes the delivery worker).
	OnWebhooks func()
}

// Service is leadflow's application layer. It is safe for concurrent use.
type Service struct {
	store  leadflow.Store
	clock  leadflow.Clock
	log    *slog.Logger
	kickWH func()
	kickRS chan struct{}
	tokens *actorCache

	mu      sync.RWMutex
	model   *score.Compiled
	life    lifecycle.Config
	subs    []Subscription
	ingest  IngestSettings
	routing []compiledRule
	compete compete.Config
	recalc  RecalcPolicy
	// frozen holds the performance figures of the last weight recalculation (S-DIST-4).
	frozen *PerformanceSnapshot
	// recalcMu serialises this node's weight recalculations.
	recalcMu sync.Mutex

	// config caches reps and territories for routing decisions; see repsFor.
	configMu sync.Mutex
	config   *routingConfig
	perf     *performanceSnapshot

	rotMu     sync.Mutex
	rotations map[string]*cachedRotation // by rotation key; see pick

	// hub carries live events to SSE streams; offers publishes pool offers on it (S-NOTIFY).
	hub      *notify.Hub
	offers   *offerBoard
	notifier notifier

	// node names this process; leader is whether it holds the background lease; bus (nil on a
	// single-node store) carries live events and pool changes between nodes (S-STORE-3/4).
	node   string
	leader atomic.Bool
	bus    leadflow.Bus

	locMu     sync.Mutex
	locations map[string]*time.Location
}

// Hub is the live event hub that GET /stream subscribes to.
func (s *Service) Hub() *notify.Hub { return s.hub }

// location loads an IANA time zone once; "" and unknown names are UTC.
func (s *Service) location(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	s.locMu.Lock()
	defer s.locMu.Unlock()
	if loc, ok := s.locations[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	s.locations[name] = loc
	return loc
}

// routingConfig is the cached, read-only rep and territory data routing decides on.
type routingConfig struct {
	reps        []leadflow.Rep
	byID        map[int64]*leadflow.Rep
	keys        map[int64]string // rep id → its key in rotations (the id in decimal)
	territories map[int64]*leadflow.Territory
	teams       map[int64]*leadflow.Team

	mu       sync.Mutex // guards teamDays
	teamDays map[teamDayKey]teamDayValue
}

// rep returns the cached rep with the id, or nil.
func (c *routingConfig) rep(id int64) *leadflow.Rep { return c.byID[id] }

// key returns a rep's key in rotations: its id in decimal.
func (c *routingConfig) key(id int64) string {
	if k, ok := c.keys[id]; ok {
		return k
	}
	return strconv.FormatInt(id, 10)
}

// teamDayKey names a team's members and priority windows of one day.
type teamDayKey struct {
	team int64
	day  string
}

// teamDayValue is what teamDay caches.
type teamDayValue struct {
	members []*leadflow.Rep
	windows map[int64]compete.Window
}

// teamDay returns a team's active members, in id order, and their priority windows on the day of
// at in loc (S-COMP-6), computed once per team and day: claims and listings read them all the
// time, and the cache goes with the rest of the routing configuration when reps, teams or the
// competition policy change.
func (c *routingConfig) teamDay(teamID int64, at time.Time, loc *time.Location, cfg compete.Config) ([]*leadflow.Rep, map[int64]compete.Window) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := teamDayKey{team: teamID, day: at.In(loc).Format(time.DateOnly) + " " + loc.String()}
	if v, ok := c.teamDays[key]; ok {
		return v.members, v.windows
	}
	if c.teamDays == nil {
		c.teamDays = map[teamDayKey]teamDayValue{}
	}
	var v teamDayValue
	var ids []int64
	for i := range c.reps {
		if r := &c.reps[i]; r.Active && r.TeamID == teamID {
			v.members = append(v.members, r)
			ids = append(ids, r.ID)
		}
	}
	v.windows = compete.PriorityWindows(ids, at, loc, cfg)
	if len(c.teamDays) > 1000 {
		clear(c.teamDays)
	}
	c.teamDays[key] = v
	return v.members, v.windows
}

// New loads the active configuration from the store, installing the defaults on a new database.
func New(ctx context.Context, st leadflow.Store, opts Options) (*Service, error) {
	if opts.Clock == nil {
		opts.Clock = leadflow.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.OnWebhooks == nil {
		opts.OnWebhooks = func() {}
	}
	s := &Service{store: st, clock: opts.Clock, log: opts.Logger, kickWH: opts.OnWebhooks, kickRS: make(chan struct{}, 1), tokens: &actorCache{m: map[string]cachedActor{}}, rotations: map[string]*cachedRotation{},
		life: lifecycle.DefaultConfig(), ingest: IngestSettings{CreateLeadsFromEvents: true}, locations: map[string]*time.Location{}}
	s.hub = notify.NewHub(notify.HubOptions{Clock: s.clock.Now, Logger: s.log})
	s.node = newNodeID()
	if bus, ok := st.(leadflow.Bus); ok {
		s.bus = bus
	}
	s.offers = newOfferBoard(s)
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	if err := s.loadNotify(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close ends the live streams and drains queued notifications (bounded by ctx).
func (s *Service) Close(ctx context.Context) {
	s.hub.Close()
	s.closeNotify(ctx)
}

// Store returns the underlying store.
func (s *Service) Store() leadflow.Store { return s.store }

// Clock returns the service clock.
func (s *Service) Clock() leadflow.Clock { return s.clock }

// reload reads the active model and settings, creating model version 1 from the defaults when the
// database has none.
func (s *Service) reload(ctx context.Context) error {
	var rec *leadflow.ModelRecord
	err := s.store.Read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		rec, err = tx.Model(ctx, 0)
		return err
	})
	if leadflow.ErrorCode(err) == leadflow.ENOTFOUND {
		body, _ := json.Marshal(score.DefaultModel())
		rec = &leadflow.ModelRecord{Body: body, CreatedAt: s.clock.Now(), CreatedBy: "default"}
		err = s.store.Write(ctx, func(tx leadflow.Tx) error {
			if cur, err := tx.Model(ctx, 0); err == nil { // another node won the race
				rec = cur
				return nil
			}
			return tx.InsertModel(ctx, rec)
		})
	}
	if err != nil {
		return fmt.Errorf("load scoring model: %w", err)
	}
	s.mu.RLock()
	compiled := s.model
	s.mu.RUnlock()
	if compiled == nil || compiled.Version() != rec.Version {
		if compiled, err = compileRecord(rec); err != nil {
			return err
		}
	}
	life, subs, ingest := lifecycle.DefaultConfig(), []Subscription(nil), IngestSettings{CreateLeadsFromEvents: true}
	var rules []RoutingRule
	recalc := DefaultRecalcPolicy()
	comp := compete.DefaultConfig()
	var frozen *PerformanceSnapshot
	err = s.store.Read(ctx, func(tx leadflow.ReadTx) error {
		for key, dst := range map[string]any{settingLifecycle: &life, settingSubscriptions: &subs, settingIngest: &ingest, settingRouting: &rules, settingRecalc: &recalc, settingPerfSnapshot: &frozen, settingCompetition: &comp} {
			b, err := tx.Setting(ctx, key)
			if err != nil {
				return err
			}
			if b != nil {
				if err := json.Unmarshal(b, dst); err != nil {
					return fmt.Errorf("setting %s: %w", key, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	routing, err := compileRouting(rules)
	if err != nil {
		return fmt.Errorf("stored routing rules: %w", err)
	}
	s.mu.Lock()
	s.model, s.life, s.subs, s.ingest, s.routing, s.recalc, s.frozen, s.compete = compiled, life, subs, ingest, routing, recalc, frozen, comp
	s.mu.Unlock()
	return nil
}

func compileRecord(rec *leadflow.ModelRecord) (*score.Compiled, error) {
	var m score.Model
	if err := json.Unmarshal(rec.Body, &m); err != nil {
		return nil, fmt.Errorf("scoring model v%d: %w", rec.Version, err)
	}
	m.Version = rec.Version
	c, err := m.Compile()
	if err != nil {
		return nil, fmt.Errorf("scoring model v%d: %w", rec.Version, err)
	}
	return c, nil
}

// snapshot returns the active configuration under the read lock.
func (s *Service) snapshot() (*score.Compiled, lifecycle.Config, []Subscription, IngestSettings) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.model, s.life, s.subs, s.ingest
}

// Model returns the active scoring model.
func (s *Service) Model() score.Model {
	m, _, _, _ := s.snapshot()
	return m.Model()
}

// Lifecycle returns the active lifecycle configuration.
func (s *Service) Lifecycle() lifecycle.Config {
	_, l, _, _ := s.snapshot()
	return l
}

// subscriptions returns the live subscriptions for reading only (no copy: publishing is a hot path).
func (s *Service) subscriptions() []Subscription {
	_, _, subs, _ := s.snapshot()
	return subs
}

// Subscriptions returns a copy of the webhook subscriptions.
func (s *Service) Subscriptions() []Subscription {
	return s.Settings().Webhooks
}

// Ingest returns the intake settings.
func (s *Service) Ingest() IngestSettings {
	_, _, _, in := s.snapshot()
	return in
}

// write runs fn in one store transaction and wakes the webhook worker after a commit that
// enqueued deliveries.
func (s *Service) write(ctx context.Context, fn func(tx leadflow.Tx, fx *effects) error) error {
	fx := effects{history: make([]leadflow.HistoryEntry, 0, 4)} // a new lead's: created, stage, owner
	err := s.store.Write(ctx, func(tx leadflow.Tx) error {
		fx = effects{history: fx.history[:0]} // a retried write reuses the entries' array
		if err := fn(tx, &fx); err != nil {
			return err
		}
		return tx.AppendHistory(ctx, fx.history...)
	})
	if err == nil && fx.webhooks > 0 {
		s.kickWH()
	}
	if err == nil {
		for _, f := range fx.after {
			f()
		}
	}
	return err
}

// effects collects what a transaction does besides its own writes: history entries, written
// together at the end (one multi-row insert instead of one per change), and the count of
// enqueued webhooks, which wake the delivery worker after commit.
type effects struct {
	webhooks int
	history  []leadflow.HistoryEntry
	// after runs once the transaction committed: live events and notifications, which must never
	// run inside it nor for a write that was rolled back.
	after []func()
}

// read runs fn on a read view.
func (s *Service) read(ctx context.Context, fn func(tx leadflow.ReadTx) error) error {
	return s.store.Read(ctx, fn)
}

// publish enqueues a domain event to every subscription that wants it (S-NOTIFY-5) inside tx.
func (s *Service) publish(ctx context.Context, tx leadflow.Tx, fx *effects, subs []Subscription, event string, payload any) error {
	var body []byte
	for _, sub := range subs {
		if !wants(sub, event) {
			continue
		}
		if body == nil {
			var err error
			if body, err = eventBody(event, s.clock.Now(), payload); err != nil {
				return err
			}
		}
		if err := s.enqueue(ctx, tx, fx, sub.URL, sub.Secret, event, body); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) enqueue(ctx context.Context, tx leadflow.Tx, fx *effects, url, secret, event string, body []byte) error {
	now := s.clock.Now()
	if err := tx.EnqueueWebhook(ctx, &leadflow.WebhookDelivery{URL: url, Secret: secret, Event: event, Body: body, NextAttemptAt: now, CreatedAt: now}); err != nil {
		return err
	}
	fx.webhooks++
	return nil
}

// anyWants reports whether any of subs wants event.
func anyWants(subs []Subscription, event string) bool {
	return slices.ContainsFunc(subs, func(sub Subscription) bool { return wants(sub, event) })
}

func wants(sub Subscription, event string) bool {
	if len(sub.Events) == 0 {
		return true
	}
	for _, e := range sub.Events {
		if e == event || e == "*" {
			return true
		}
	}
	return false
}

func eventBody(event string, at time.Time, payload any) ([]byte, error) {
	b, err := json.Marshal(map[string]any{"type": event, "occurred_at": at, "data": payload})
	if err != nil {
		return nil, fmt.Errorf("encode %s webhook: %w", event, err)
	}
	return b, nil
}

// isNotFound reports whether err is an ENOTFOUND error.
func isNotFound(err error) bool { return leadflow.ErrorCode(err) == leadflow.ENOTFOUND }

// errorsAs is errors.As for *leadflow.Error.
func asError(err error) (*leadflow.Error, bool) {
	var e *leadflow.Error
	ok := errors.As(err, &e)
	return e, ok
}

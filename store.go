package leadflow

import (
	"context"
	"time"
)

// Store is the persistence seam (S-STORE-1..4). SQLite implements it now and PostgreSQL later;
// package storetest is the conformance suite every implementation must pass.
//
// Every write runs in Write: fn's effects are atomic and isolated, and Write returns only after
// they are durable (committed). A store may run several callers' fns in one database transaction
// (group commit) as long as each fn stays atomic on its own: a failing fn is rolled back alone.
// Nothing slow (network, webhooks) may run inside fn.
type Store interface {
	Write(ctx context.Context, fn func(Tx) error) error
	Read(ctx context.Context, fn func(ReadTx) error) error
	Ping(ctx context.Context) error
	Close() error
	// Dialect names the engine ("sqlite", "postgres").
	Dialect() string
}

// BusMaxPayload is the largest message a Bus carries (PostgreSQL's NOTIFY limit is 8,000 bytes).
const BusMaxPayload = 7000

// Bus carries messages between the nodes that share a store (S-STORE-3): live events reach the
// streams of every node, and pool work reaches the node that leads. A store shared by several
// nodes implements it (PostgreSQL: LISTEN/NOTIFY); a single-node store does not need to.
type Bus interface {
	// Notify sends payload (at most BusMaxPayload bytes) to every node listening on channel,
	// this one included, after the caller's transaction, if any, committed.
	Notify(ctx context.Context, channel string, payload []byte) error
	// Listen calls fn with every payload sent on channel until ctx ends; it reconnects by itself.
	Listen(ctx context.Context, channel string, fn func(payload []byte)) error
}

// ReadTx is a consistent read view of the store.
type ReadTx interface {
	// LeadByID returns ENOTFOUND when the lead does not exist.
	LeadByID(ctx context.Context, id int64) (*Lead, error)
	LeadByExternalID(ctx context.Context, externalID string) (*Lead, error)
	// LeadByEmail finds a lead by its normalized email (see NormalizeEmail).
	LeadByEmail(ctx context.Context, email string) (*Lead, error)
	// LeadsByKeys returns, in one query, the leads having any of the ids, external ids or emails
	// (normalized with NormalizeEmail) — the batch form of the three lookups above.
	LeadsByKeys(ctx context.Context, ids []int64, externalIDs, emails []string) ([]Lead, error)
	ListLeads(ctx context.Context, f LeadFilter) ([]Lead, error)
	CountLeads(ctx context.Context) (int64, error)
	// LeadsAfter returns up to limit leads with id > afterID in id order (for sweeps and rescoring).
	LeadsAfter(ctx context.Context, afterID int64, limit int) ([]Lead, error)
	// LeadsDue returns up to limit leads whose RescoreAt is at or before t (decay sweep).
	LeadsDue(ctx context.Context, t time.Time, limit int) ([]Lead, error)
	// EventsByLead returns a lead's events, oldest first.
	EventsByLead(ctx context.Context, leadID int64) ([]Event, error)
	// EventsForLeads returns the events of leads with fromID <= lead_id <= toID, grouped by lead.
	EventsForLeads(ctx context.Context, fromID, toID int64) (map[int64][]Event, error)
	History(ctx context.Context, leadID int64, afterID int64, limit int) ([]HistoryEntry, error)
	StageChanges(ctx context.Context, to Stage, from, until time.Time) ([]StageChange, error)
	Costs(ctx context.Context, from, until time.Time) ([]Cost, error)
	Idempotency(ctx context.Context, tokenID int64, key string) (*IdempotencyRecord, error)
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	Tokens(ctx context.Context) ([]Token, error)
	// Model returns a stored scoring model version; version 0 means the active one. ENOTFOUND when none.
	Model(ctx context.Context, version int) (*ModelRecord, error)
	Models(ctx context.Context) ([]ModelRecord, error)
	// Setting returns a configuration value by key, or nil when unset.
	Setting(ctx context.Context, key string) ([]byte, error)
	RescoreJob(ctx context.Context, id int64) (*RescoreJob, error)
	// RescoreJobs returns the most recent jobs, newest first.
	RescoreJobs(ctx context.Context, limit int) ([]RescoreJob, error)
	Webhooks(ctx context.Context, limit int) ([]WebhookDelivery, error)
	WebhookAttempts(ctx context.Context, deliveryID int64) ([]WebhookAttempt, error)
	// Rep, Team and Territory return ENOTFOUND for an unknown id; the lists are in id order.
	Rep(ctx context.Context, id int64) (*Rep, error)
	Reps(ctx context.Context) ([]Rep, error)
	Team(ctx context.Context, id int64) (*Team, error)
	Teams(ctx context.Context) ([]Team, error)
	Territory(ctx context.Context, id int64) (*Territory, error)
	Territories(ctx context.Context) ([]Territory, error)
	// Rotation returns the stored state of a rotation, or nil when it has none yet.
	Rotation(ctx context.Context, key string) ([]byte, error)
	// Assignments returns a lead's assignments, oldest first.
	Assignments(ctx context.Context, leadID int64) ([]Assignment, error)
	// AssignmentsBetween returns the assignments made in [from, until), oldest first, without
	// their explanations (for distribution KPIs).
	AssignmentsBetween(ctx context.Context, from, until time.Time) ([]Assignment, error)
	// AssignmentCounts returns how many leads each rep was assigned at or after since.
	AssignmentCounts(ctx context.Context, since time.Time) (map[int64]int64, error)
	// OpenOpportunities returns each owner's number of leads in the opportunity stage.
	OpenOpportunities(ctx context.Context) (map[int64]int64, error)
	// WeightChanges returns the weight change log, newest first (all reps when repID is 0).
	WeightChanges(ctx context.Context, repID int64, limit int) ([]WeightChange, error)
	// PoolEntry returns a lead's pool entry (any status); ENOTFOUND when it never entered a pool.
	PoolEntry(ctx context.Context, leadID int64) (*PoolEntry, error)
	// OpenPool returns the open pool entries, oldest first.
	OpenPool(ctx context.Context) ([]PoolEntry, error)
	// ClaimsSince returns the won claims made at or after since (all reps when repID is 0),
	// oldest first.
	ClaimsSince(ctx context.Context, repID int64, since time.Time) ([]ClaimAttempt, error)
	// ClaimAttempts returns every attempt on a lead, oldest first.
	ClaimAttempts(ctx context.Context, leadID int64) ([]ClaimAttempt, error)
	// PooledSince returns the pool entries pooled at or after since (any status).
	PooledSince(ctx context.Context, since time.Time) ([]PoolEntry, error)
	// PoolCount counts the main-pool entries (no cohort) of a team and band pooled in [from, until).
	PoolCount(ctx context.Context, teamID int64, band string, from, until time.Time) (int, error)
	// ClaimCounts counts, in one query, what the claim pool's rules count for a rep (S-COMP-5).
	ClaimCounts(ctx context.Context, q ClaimCountsQuery) (ClaimCounts, error)
	// PushSubscriptions returns the Web Push subscriptions of the reps.
	PushSubscriptions(ctx context.Context, repIDs []int64) ([]PushSubscription, error)
	// OfferTo returns the offer of a lead to a rep; ENOTFOUND when none was sent.
	OfferTo(ctx context.Context, leadID, repID int64) (*Offer, error)
	// Offers returns the offers of a lead, in send order.
	Offers(ctx context.Context, leadID int64) ([]Offer, error)
	// SLATimer returns a lead's running response timer, or nil.
	SLATimer(ctx context.Context, leadID int64) (*SLATimer, error)
	// DueSLATimers returns up to limit timers due at or before t, earliest first.
	DueSLATimers(ctx context.Context, t time.Time, limit int) ([]SLATimer, error)
}

// Tx is a write transaction.
type Tx interface {
	ReadTx
	// InsertLead stores a new lead and sets its ID. A duplicate external_id or email is ECONFLICT.
	InsertLead(ctx context.Context, l *Lead) error
	UpdateLead(ctx context.Context, l *Lead) error
	// UpdateScores writes only the score, hits and rescore time of the given leads.
	UpdateScores(ctx context.Context, leads []Lead) error
	// UpdateScoresIfCurrent is UpdateScores for leads whose stored revision still equals their
	// Rev (an optimistic check for work computed outside the transaction); it returns the ids of
	// the leads it skipped because they were written meanwhile.
	UpdateScoresIfCurrent(ctx context.Context, leads []Lead) (skipped []int64, err error)
	// EraseLead deletes a lead, its events, history and idempotency records, and clears the lead
	// id of its stage changes, leaving only anonymous aggregates (S-LEAD-6).
	EraseLead(ctx context.Context, id int64) error
	// InsertEvent stores an event and sets its ID; inserted is false (and nothing changes) when an
	// event with the same EventID exists.
	InsertEvent(ctx context.Context, e *Event) (inserted bool, err error)
	AppendHistory(ctx context.Context, entries ...HistoryEntry) error
	InsertStageChange(ctx context.Context, c StageChange) error
	InsertCost(ctx context.Context, c *Cost) error
	PutIdempotency(ctx context.Context, r IdempotencyRecord) error
	InsertToken(ctx context.Context, t *Token) error
	RevokeToken(ctx context.Context, id int64, at time.Time) error
	// InsertModel stores a new model version (numbered by the store) and makes it active.
	InsertModel(ctx context.Context, m *ModelRecord) error
	PutSetting(ctx context.Context, key string, value []byte) error
	InsertRescoreJob(ctx context.Context, j *RescoreJob) error
	UpdateRescoreJob(ctx context.Context, j *RescoreJob) error
	EnqueueWebhook(ctx context.Context, d *WebhookDelivery) error
	// ClaimWebhooks leases up to limit deliveries due at now until now+lease.
	ClaimWebhooks(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]WebhookDelivery, error)
	// FinishWebhook records an attempt and the delivery's new state.
	FinishWebhook(ctx context.Context, d WebhookDelivery, a WebhookAttempt) error
	// Insert and update reps, teams and territories; a duplicate rep email or team or territory
	// name (case-insensitive) is ECONFLICT naming the field.
	InsertRep(ctx context.Context, r *Rep) error
	UpdateRep(ctx context.Context, r *Rep) error
	InsertTeam(ctx context.Context, t *Team) error
	UpdateTeam(ctx context.Context, t *Team) error
	InsertTerritory(ctx context.Context, t *Territory) error
	UpdateTerritory(ctx context.Context, t *Territory) error
	InsertWeightChanges(ctx context.Context, changes ...WeightChange) error
	// SetLeadOwner changes only a lead's owner (0 = none) and its update time.
	SetLeadOwner(ctx context.Context, leadID, ownerID int64, at time.Time) error
	// ClaimWon hands a lead to the winner of its claim (S-COMP-1): it records the won attempt a,
	// makes a.RepID the owner when the lead has none (as SetLeadOwner at a.At), records the
	// assignment as, sets both ids and returns the lead as stored. When the lead has an owner it
	// records only the attempt and returns (nil, nil); ENOTFOUND when there is no such lead. A
	// store may do it in one statement (PostgreSQL) where a claim would otherwise take four.
	ClaimWon(ctx context.Context, a *ClaimAttempt, as *Assignment) (*Lead, error)
	// PutRotation stores a rotation's state. A single-writer store may hold it back until the
	// commit of the transaction; Rotation inside the transaction sees it either way.
	PutRotation(ctx context.Context, key string, state []byte) error
	// WriteEpoch numbers this writer's epochs on a store whose one writer connection is the only
	// one that writes (exclusive is true: the embedded store). The number changes whenever a
	// write of the connection was undone (a rolled-back write or commit) or another connection may
	// have written, so state a caller derived from what it wrote, and kept in memory, is still
	// the stored state while the number holds. Other stores return (0, false).
	WriteEpoch() (epoch uint64, exclusive bool)
	InsertAssignment(ctx context.Context, a *Assignment) error
	// PutPoolEntry creates or replaces a lead's pool entry.
	PutPoolEntry(ctx context.Context, e *PoolEntry) error
	// ClaimPoolEntry is the one conditional write that decides a claim race (S-COMP-1): it marks
	// the open entry claimed by repID at at and reports won; when the entry is not open (another
	// rep won, or it expired) it changes nothing and returns the entry as stored.
	ClaimPoolEntry(ctx context.Context, leadID, repID int64, at time.Time) (won bool, e *PoolEntry, err error)
	// SetPoolStatus moves an open entry to another status; it reports whether the entry was open.
	SetPoolStatus(ctx context.Context, leadID int64, status string) (bool, error)
	InsertClaimAttempt(ctx context.Context, a *ClaimAttempt) error
	// MarkReleased stamps the rep's latest won claim of the lead as released at at.
	MarkReleased(ctx context.Context, leadID, repID int64, at time.Time) error
	// PutOffers records sent offers (ignoring ones already recorded for the lead and rep);
	// MarkOfferSeen stamps one offer as seen (once), reporting whether it existed.
	PutOffers(ctx context.Context, offers ...Offer) error
	MarkOfferSeen(ctx context.Context, leadID, repID int64, at time.Time) (bool, error)
	// TryLease acquires or renews the named lease for holder until now+ttl; it succeeds when the
	// lease is free, expired, or already the holder's (S-STORE-4 leadership).
	TryLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	// PutPushSubscription stores (or moves to another rep) a subscription by its endpoint;
	// DeletePushSubscription removes one, reporting whether it existed.
	PutPushSubscription(ctx context.Context, p PushSubscription) error
	DeletePushSubscription(ctx context.Context, endpoint string) (bool, error)
	// PutSLATimer starts (or replaces) a lead's response timer; DeleteSLATimer stops it.
	PutSLATimer(ctx context.Context, t SLATimer) error
	DeleteSLATimer(ctx context.Context, leadID int64) error
}

// LeadFilter selects leads for listing; results are newest first (id descending).
type LeadFilter struct {
	Stage   Stage
	Band    string
	Source  string
	OwnerID int64
	Query   string // case-insensitive match on email, name or company
	Before  int64  // cursor: only ids below this
	Limit   int
}

// IdempotencyRecord is the stored first answer to a request that carried an Idempotency-Key.
type IdempotencyRecord struct {
	TokenID     int64
	Key         string
	RequestHash string
	Status      int
	Body        []byte
	LeadID      int64
	CreatedAt   time.Time
}

// Roles (S-SEC-1).
const (
	RoleAdmin       = "admin"
	RoleManager     = "manager"
	RoleRep         = "rep"
	RoleIntegration = "integration"
)

// Token is an API credential; only the SHA-256 of the secret is stored.
type Token struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name,omitempty"`
	Role      string     `json:"role"`
	RepID     int64      `json:"rep_id,omitempty"`
	Hash      string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// ModelRecord is a stored scoring model version; Body is the model as JSON.
type ModelRecord struct {
	Version   int       `json:"version"`
	Body      []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	Active    bool      `json:"active"`
}

// RescoreJob tracks the background rescoring of all leads after a model change (S-SCORE-8).
type RescoreJob struct {
	ID           int64      `json:"id"`
	ModelVersion int        `json:"model_version"`
	Status       string     `json:"status"` // running, done, failed, superseded
	Total        int64      `json:"total"`
	Done         int64      `json:"done"`
	Changed      int64      `json:"changed"`
	LastLeadID   int64      `json:"-"`
	StartedAt    time.Time  `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
	Error        string     `json:"error,omitempty"`
}

// Webhook delivery states.
const (
	WebhookPending   = "pending"
	WebhookDelivered = "delivered"
	WebhookDead      = "dead"
)

// WebhookDelivery is an outbound webhook in the outbox (S-SCORE-6, S-NOTIFY-5).
type WebhookDelivery struct {
	ID            int64      `json:"id"`
	URL           string     `json:"url"`
	Secret        string     `json:"-"`
	Event         string     `json:"event"`
	Body          []byte     `json:"-"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LastStatus    int        `json:"last_status,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
}

// WebhookAttempt is one entry of the delivery log.
type WebhookAttempt struct {
	DeliveryID int64         `json:"delivery_id"`
	At         time.Time     `json:"at"`
	Status     int           `json:"status"`
	Error      string        `json:"error,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
}

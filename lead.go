package leadflow

import (
	"strings"
	"time"
)

// Stage is a step of the qualification lifecycle (S-LIFE-1).
type Stage string

// The lifecycle stages.
const (
	StageNew          Stage = "new"
	StageMQL          Stage = "mql"
	StageSAL          Stage = "sal"
	StageSQL          Stage = "sql"
	StageOpportunity  Stage = "opportunity"
	StageCustomer     Stage = "customer"
	StageLost         Stage = "lost"
	StageDisqualified Stage = "disqualified"
	StageNurture      Stage = "nurture"
)

// Seniority levels derived from a job title when not given (S-LEAD-1).
const (
	SeniorityCLevel     = "c_level"
	SeniorityVP         = "vp"
	SeniorityDirector   = "director"
	SeniorityManager    = "manager"
	SeniorityIndividual = "individual"
)

// Score is a lead's current score (S-SCORE-5): fit and engagement separately, their total, the
// letter grade from fit and the band from the total, and the model version that produced it.
type Score struct {
	Fit          float64   `json:"fit"`
	Engagement   float64   `json:"engagement"`
	Total        float64   `json:"total"`
	Grade        string    `json:"grade"`
	Band         string    `json:"band"`
	ModelVersion int       `json:"model_version"`
	ScoredAt     time.Time `json:"scored_at"`
}

// RuleHits is the scoring state of a lead: for each behaviour rule id, the unix-millisecond times
// of the events that matched it, oldest first, trimmed to what the rule can still count. Keeping it
// on the lead makes rescoring after an event O(1) in the number of past events.
type RuleHits map[string][]int64

// Lead is a person who may buy (S-LEAD-1).
type Lead struct {
	ID          int64           `json:"id"`
	ExternalID  string          `json:"external_id,omitempty"`
	Email       string          `json:"email,omitempty"`
	FirstName   string          `json:"first_name,omitempty"`
	LastName    string          `json:"last_name,omitempty"`
	Phone       string          `json:"phone,omitempty"`
	Company     string          `json:"company,omitempty"`
	CompanySize int             `json:"company_size,omitempty"`
	Industry    string          `json:"industry,omitempty"`
	JobTitle    string          `json:"job_title,omitempty"`
	Seniority   string          `json:"seniority,omitempty"`
	Country     string          `json:"country,omitempty"`
	Region      string          `json:"region,omitempty"`
	City        string          `json:"city,omitempty"`
	Timezone    string          `json:"timezone,omitempty"`
	Language    string          `json:"language,omitempty"`
	Source      string          `json:"source,omitempty"`
	Campaign    string          `json:"campaign,omitempty"`
	Custom      map[string]any  `json:"custom,omitempty"`
	Consent     map[string]bool `json:"consent,omitempty"`
	Stage       Stage           `json:"stage"`
	StageReason string          `json:"stage_reason,omitempty"`
	// Criteria holds the qualification criteria a rep confirmed (S-LIFE-2), e.g. BANT.
	Criteria map[string]bool `json:"criteria,omitempty"`
	OwnerID  int64           `json:"owner_id,omitempty"`
	// FirstContactAt is when the owning rep first contacted the lead (S-DIST-10).
	FirstContactAt *time.Time `json:"first_contact_at,omitempty"`
	// DealValue is the expected or won deal amount, set when the lead becomes an opportunity or a
	// customer; revenue figures and revenue quotas are summed from it (S-REP-3).
	DealValue float64 `json:"deal_value,omitempty"`
	Score     Score   `json:"score"`
	// Hits is the behaviour-rule state the score is derived from; never sent to clients.
	Hits RuleHits `json:"-"`
	// RescoreAt is when decay or expiry next changes the stored score; zero when it never does.
	RescoreAt time.Time `json:"-"`
	// Rev is the store's revision of the lead, bumped by every write; work computed outside a
	// transaction is applied only if the revision it read is still current.
	Rev       int64     `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NormalizeEmail is the dedupe key of an email address (S-LEAD-2): trimmed and lower-cased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// DeriveSeniority maps a job title to a seniority level (S-LEAD-1). It returns "" for an empty
// title.
func DeriveSeniority(title string) string {
	t := " " + strings.ToLower(strings.TrimSpace(title)) + " "
	if strings.TrimSpace(t) == "" {
		return ""
	}
	for _, r := range []string{",", "/", "-", "(", ")", "&", "."} {
		t = strings.ReplaceAll(t, r, " ")
	}
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(t, " "+w+" ") {
				return true
			}
		}
		return false
	}
	switch {
	case has("ceo", "cto", "cfo", "coo", "cmo", "cio", "cro", "cso", "ciso", "cpo", "chief", "founder", "co founder", "cofounder", "owner", "president", "managing director", "geschäftsführer", "direktur utama"):
		if has("vice president") {
			return SeniorityVP
		}
		return SeniorityCLevel
	case has("vp", "svp", "evp", "avp", "vice president", "head"):
		return SeniorityVP
	case has("director", "direktur", "leiter"):
		return SeniorityDirector
	case has("manager", "lead", "supervisor", "team lead", "manajer"):
		return SeniorityManager
	default:
		return SeniorityIndividual
	}
}

// LeadInput is a create-or-update request (S-LEAD-2). Nil fields are left unchanged on update.
type LeadInput struct {
	ExternalID  *string         `json:"external_id,omitempty"`
	Email       *string         `json:"email,omitempty"`
	FirstName   *string         `json:"first_name,omitempty"`
	LastName    *string         `json:"last_name,omitempty"`
	Phone       *string         `json:"phone,omitempty"`
	Company     *string         `json:"company,omitempty"`
	CompanySize *int            `json:"company_size,omitempty"`
	Industry    *string         `json:"industry,omitempty"`
	JobTitle    *string         `json:"job_title,omitempty"`
	Seniority   *string         `json:"seniority,omitempty"`
	Country     *string         `json:"country,omitempty"`
	Region      *string         `json:"region,omitempty"`
	City        *string         `json:"city,omitempty"`
	Timezone    *string         `json:"timezone,omitempty"`
	Language    *string         `json:"language,omitempty"`
	Source      *string         `json:"source,omitempty"`
	Campaign    *string         `json:"campaign,omitempty"`
	Custom      map[string]any  `json:"custom,omitempty"`
	Consent     map[string]bool `json:"consent,omitempty"`
}

// Event is one piece of activity by a lead (S-LEAD-4).
type Event struct {
	ID         int64          `json:"id"`
	EventID    string         `json:"event_id,omitempty"` // the sender's id, for idempotent ingestion
	LeadID     int64          `json:"lead_id"`
	Type       string         `json:"type"`
	OccurredAt time.Time      `json:"occurred_at"`
	Properties map[string]any `json:"properties,omitempty"`
	ReceivedAt time.Time      `json:"received_at"`
}

// EventTypes are the built-in activity types (S-LEAD-4, S-LIFE-4). Any other type must start with
// "custom." or "intent." so that typos are rejected instead of silently scoring nothing.
var EventTypes = []string{
	"page_view", "pricing_page_view", "content_download", "webinar_registered", "webinar_attended",
	"event_attended", "email_open", "email_click", "email_reply", "form_submit", "demo_request",
	"trial_signup", "quote_request", "product_usage", "social_engagement", "unsubscribe",
	"careers_page_view", "support_ticket", "job_change",
}

// ValidEventType reports whether t is a built-in type or a custom ("custom.x") or third-party
// intent ("intent.x") type.
func ValidEventType(t string) bool {
	for _, k := range EventTypes {
		if t == k {
			return true
		}
	}
	for _, p := range []string{"custom.", "intent."} {
		if strings.HasPrefix(t, p) && len(t) > len(p) {
			return true
		}
	}
	return false
}

// EventInput is an event as sent by a client: the lead is referenced by id, external_id or email.
type EventInput struct {
	EventID    string         `json:"event_id,omitempty"`
	Type       string         `json:"type"`
	OccurredAt *time.Time     `json:"occurred_at,omitempty"`
	Properties map[string]any `json:"properties,omitempty"`
	LeadID     int64          `json:"lead_id,omitempty"`
	ExternalID string         `json:"external_id,omitempty"`
	Email      string         `json:"email,omitempty"`
	// Lead optionally carries fields for a lead created from an event with an unknown email.
	Lead *LeadInput `json:"lead,omitempty"`
}

// History kinds (S-LEAD-5).
const (
	HistoryCreated = "created"
	HistoryField   = "field"
	HistoryScore   = "score"
	HistoryStage   = "stage"
	HistoryOwner   = "owner"
	HistoryConsent = "consent"
	HistoryContact = "contact"
	HistorySLA     = "sla"
)

// HistoryEntry is one recorded change of a lead (S-LEAD-5).
type HistoryEntry struct {
	ID           int64     `json:"id"`
	LeadID       int64     `json:"lead_id"`
	At           time.Time `json:"at"`
	Actor        string    `json:"actor"`
	Kind         string    `json:"kind"`
	Field        string    `json:"field,omitempty"`
	Old          string    `json:"old,omitempty"`
	New          string    `json:"new,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	ModelVersion int       `json:"model_version,omitempty"`
	// AssignmentID is the assignment an owner entry records, when one does. Given, a store may
	// keep the entry with that assignment instead of as a row of its own: it reads back the same.
	AssignmentID int64 `json:"-"`
}

// StageChange is an anonymous record of a lifecycle transition. It survives erasure of the lead
// (with LeadID cleared) so that funnel and cost-per-SQL aggregates stay correct (S-LEAD-6, S-LIFE-3).
type StageChange struct {
	LeadID   int64     `json:"lead_id,omitempty"`
	From     Stage     `json:"from"`
	To       Stage     `json:"to"`
	At       time.Time `json:"at"`
	Source   string    `json:"source,omitempty"`
	Campaign string    `json:"campaign,omitempty"`
}

// Cost is marketing and sales spend for a source or campaign over a period (S-LIFE-3).
type Cost struct {
	ID       int64     `json:"id"`
	Source   string    `json:"source,omitempty"`
	Campaign string    `json:"campaign,omitempty"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Amount   float64   `json:"amount"`
	Currency string    `json:"currency,omitempty"`
	Note     string    `json:"note,omitempty"`
}

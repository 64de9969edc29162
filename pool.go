package leadflow

import "time"

// Pool entry states (S-COMP-1, S-COMP-3).
const (
	PoolOpen      = "open"      // waiting for a claim
	PoolClaimed   = "claimed"   // a rep won it
	PoolExpired   = "expired"   // nobody claimed it in time: assigned by push
	PoolWithdrawn = "withdrawn" // taken out by a manager or by a change of the lead
)

// PoolEntry is a lead offered to a team's claim pool (S-COMP-1). A lead has at most one entry;
// a released lead re-enters the pool in the same entry with a new PooledAt.
type PoolEntry struct {
	LeadID int64  `json:"lead_id"`
	RuleID string `json:"rule_id"`
	TeamID int64  `json:"team_id,omitempty"`
	// RepIDs restricts the pool to these reps (a rule with rep_ids); empty means the team.
	RepIDs []int64 `json:"rep_ids,omitempty"`
	// Band is the lead's band when it entered the pool; Blind hides its quality (S-COMP-5).
	Band  string `json:"band"`
	Blind bool   `json:"blind,omitempty"`
	// Cohort reserves the lead for an onboarding cohort's pool (S-COMP-7); empty for the main pool.
	Cohort    string     `json:"cohort,omitempty"`
	PooledAt  time.Time  `json:"pooled_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	Status    string     `json:"status"`
	ClaimedBy int64      `json:"claimed_by,omitempty"`
	ClaimedAt *time.Time `json:"claimed_at,omitempty"`
	// Releases counts how often the lead came back to the pool after a claim (S-COMP-8).
	Releases int `json:"releases,omitempty"`
}

// Claim attempt outcomes (S-COMP-1).
const (
	ClaimWon    = "won"
	ClaimLost   = "lost"   // someone else was first
	ClaimDenied = "denied" // a pool rule refused it (see Rule)
)

// ClaimAttempt is one rep's attempt to claim a pool lead, recorded whatever its outcome
// (S-COMP-1): the loser's answer names the winner and when it won.
type ClaimAttempt struct {
	ID      int64     `json:"id"`
	LeadID  int64     `json:"lead_id"`
	RepID   int64     `json:"rep_id"`
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome"`
	// Rule is the pool rule that denied the claim (denied only).
	Rule string `json:"rule,omitempty"`
	// WinnerID is the rep that holds the lead (won and lost).
	WinnerID int64 `json:"winner_id,omitempty"`
	// Band is the lead's band at the attempt; Competitive is false for a cohort-pool claim.
	Band string `json:"band,omitempty"`
	// OfferedAt is when the rep was sent the offer, if it was; the claim speed is At − OfferedAt
	// (S-NOTIFY-3).
	OfferedAt *time.Time `json:"offered_at,omitempty"`
	// ReleasedAt is set on a won claim when the rep handed the lead back (S-COMP-8).
	ReleasedAt *time.Time `json:"released_at,omitempty"`
}

// Offer tracks one notification of a pool lead to one rep (S-NOTIFY-3): when it was sent and
// seen; the claim action's time is on the rep's ClaimAttempt.
type Offer struct {
	LeadID  int64      `json:"lead_id"`
	RepID   int64      `json:"rep_id"`
	SentAt  time.Time  `json:"sent_at"`
	Channel string     `json:"channel"`
	SeenAt  *time.Time `json:"seen_at,omitempty"`
}

// PushSubscription is a rep's browser subscribed to Web Push (S-NOTIFY-1), as the browser's
// PushSubscription.toJSON() gives it.
type PushSubscription struct {
	RepID     int64     `json:"rep_id"`
	Endpoint  string    `json:"endpoint"`
	P256dh    string    `json:"p256dh"`
	Auth      string    `json:"auth"`
	CreatedAt time.Time `json:"created_at"`
}

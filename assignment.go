package leadflow

import (
	"encoding/json"
	"time"
)

// Assignment is one routing decision: which rep got a lead, by which rule and method, and the
// explanation a sales manager reads to answer "why did this lead go to Alice?" (S-DIST-11).
type Assignment struct {
	ID     int64     `json:"id"`
	LeadID int64     `json:"lead_id,omitempty"`
	RepID  int64     `json:"rep_id"`
	RuleID string    `json:"rule_id"`
	Method string    `json:"method"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	// Reason says what made routing run, e.g. "became an MQL".
	Reason string `json:"reason,omitempty"`
	// Explanation is the decision's full record: candidates, exclusions, weights, the pick.
	Explanation json.RawMessage `json:"explanation"`
	// Pool marks an assignment the claim pool made: a claim, or a pool rule's lead pushed instead
	// (expired, paused team, held back by the quality mix, an onboarding share). The pool's rules
	// count these per rep (see ClaimCounts.AutoAccepted).
	Pool bool `json:"-"`
}

// SLATimer is a running response timer: the rep must contact the lead by DueAt (S-DIST-10).
type SLATimer struct {
	LeadID       int64     `json:"lead_id"`
	RepID        int64     `json:"rep_id"`
	AssignmentID int64     `json:"assignment_id"`
	AssignedAt   time.Time `json:"assigned_at"`
	DueAt        time.Time `json:"due_at"`
}

// ClaimCountsQuery names the rep, its team and the periods of ReadTx.ClaimCounts; the last two
// counts are made only when asked for.
type ClaimCountsQuery struct {
	RepID, TeamID             int64
	LastWeek, ThisWeek, Today time.Time
	ColdPooled, AutoAccepted  bool
}

// ClaimCounts is a rep's claim history as the claim pool's rules count it (S-COMP-5): won claims
// since ThisWeek (or Today), by band, the ones still held (not released) where it says so.
type ClaimCounts struct {
	ThisWeek, Today  int
	HotThisWeek      int // released ones included
	WarmKeptThisWeek int
	ColdKeptThisWeek int
	ColdKeptLastWeek int // in [LastWeek, ThisWeek)
	// ColdPooledLastWeek counts the cold leads released to the team's main pool (no cohort) in
	// [LastWeek, ThisWeek).
	ColdPooledLastWeek int
	// AutoAccepted counts the leads the pool pushed to the rep (pool assignments other than
	// claims) since ThisWeek that the rep still owns, each lead once.
	AutoAccepted int
}

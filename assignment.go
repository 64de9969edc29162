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
	// count these per rep (see ReadTx.AutoAccepted).
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

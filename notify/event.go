package notify

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Roles of a [Viewer]. They are the role names of leadflow's API tokens.
const (
	RoleAdmin   = "admin"
	RoleManager = "manager"
	RoleRep     = "rep"
)

// Event types the stream itself produces.
const (
	// EventMessage is the type of an event published without a type (the SSE default).
	EventMessage = "message"
	// EventReset is sent instead of a replay when the client's Last-Event-ID is older than the
	// hub's buffer or unknown to this hub: the client must refetch its state. The frame carries
	// the hub's latest id, so the client's next reconnect resumes from there.
	EventReset = "reset"
)

// Viewer identifies who is on the other end of a subscription: the rep id (0 for a user who
// is not a rep), the role (RoleAdmin, RoleManager or RoleRep) and the team id (0 for none).
type Viewer struct {
	// RepID is the rep's id, 0 for a user who is not a rep.
	RepID int64
	// Role is RoleAdmin, RoleManager or RoleRep.
	Role string
	// TeamID is the viewer's team, 0 for none.
	TeamID int64
}

// IsManager reports whether the viewer sees events addressed to managers: managers and
// admins.
func (v Viewer) IsManager() bool { return v.Role == RoleManager || v.Role == RoleAdmin }

// Audience says who an event is for. The fields add up: an event reaches a viewer when any of
// them matches. The zero Audience reaches nobody.
type Audience struct {
	// Everyone sends the event to every subscriber.
	Everyone bool `json:"everyone,omitempty"`
	// Managers sends the event to managers and admins.
	Managers bool `json:"managers,omitempty"`
	// RepIDs sends the event to these reps, e.g. the reps eligible for an offer right now.
	RepIDs []int64 `json:"rep_ids,omitempty"`
	// TeamIDs sends the event to the members of these teams, whatever their role.
	TeamIDs []int64 `json:"team_ids,omitempty"`
}

// ToEveryone returns an audience of all subscribers.
func ToEveryone() Audience { return Audience{Everyone: true} }

// ToManagers returns an audience of managers and admins.
func ToManagers() Audience { return Audience{Managers: true} }

// ToReps returns an audience of the given reps.
func ToReps(ids ...int64) Audience { return Audience{RepIDs: ids} }

// ToTeams returns an audience of the members of the given teams.
func ToTeams(ids ...int64) Audience { return Audience{TeamIDs: ids} }

// Includes reports whether the audience contains v. Rep id 0 and team id 0 never match a
// RepIDs or TeamIDs entry.
func (a Audience) Includes(v Viewer) bool {
	switch {
	case a.Everyone:
		return true
	case a.Managers && v.IsManager():
		return true
	case v.RepID != 0 && slices.Contains(a.RepIDs, v.RepID):
		return true
	case v.TeamID != 0 && slices.Contains(a.TeamIDs, v.TeamID):
		return true
	}
	return false
}

// Event is one message on the live stream. The hub assigns ID and Time when it is published;
// Data is a JSON document (any bytes are carried, but the web UI expects JSON). Published
// events are shared between all subscribers and the replay buffer and must not be modified.
type Event struct {
	// ID is assigned by the hub, increasing by one per published event.
	ID uint64
	// Type is the SSE event name, e.g. "offer" or "lead.claimed".
	Type string
	// Data is the payload, usually JSON.
	Data []byte
	// Audience says who receives the event; it is not sent to clients.
	Audience Audience
	// Time is when the event was published (zero for events read by a [Decoder]).
	Time time.Time

	frame []byte // the encoded SSE frame, built once at publish
}

// AppendFrame appends the Server-Sent Events encoding of e to dst: an "id:" line (when ID is
// not zero), an "event:" line (when Type is not empty; carriage returns and line feeds in it
// are replaced by spaces), one "data:" line per line of Data (split at CRLF, LF or CR, so
// multi-line data survives; empty data still gives one "data:" line so the event is
// dispatched), and the blank line that ends the event.
func AppendFrame(dst []byte, e *Event) []byte {
	if e.ID != 0 {
		dst = append(dst, "id: "...)
		dst = strconv.AppendUint(dst, e.ID, 10)
		dst = append(dst, '\n')
	}
	if e.Type != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, sanitizeType(e.Type)...)
		dst = append(dst, '\n')
	}
	data := e.Data
	for {
		i := indexNewline(data)
		dst = append(dst, "data: "...)
		if i < 0 {
			dst = append(dst, data...)
			dst = append(dst, '\n')
			break
		}
		dst = append(dst, data[:i]...)
		dst = append(dst, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(dst, '\n')
}

func indexNewline(b []byte) int {
	for i, c := range b {
		if c == '\n' || c == '\r' {
			return i
		}
	}
	return -1
}

func sanitizeType(t string) string {
	if strings.ContainsAny(t, "\r\n") {
		return strings.NewReplacer("\r", " ", "\n", " ").Replace(t)
	}
	return t
}

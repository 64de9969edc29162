package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Defaults applied by [NewHub] to zero [HubOptions] fields.
const (
	// DefaultBufferSize is the number of recent events kept for Last-Event-ID resumption.
	DefaultBufferSize = 10_000
	// DefaultSubscriberBuffer is the number of events a subscriber may have pending before it
	// is disconnected as too slow.
	DefaultSubscriberBuffer = 128
)

// Reasons a subscriber's channel is closed, reported by [Subscriber.Err].
var (
	// ErrSlowConsumer means the subscriber's buffer was full when an event had to be handed
	// to it: it was disconnected so that publishing never waits for it. A client reconnecting
	// with Last-Event-ID gets what it missed from the hub's buffer.
	ErrSlowConsumer = errors.New("notify: subscriber too slow, disconnected")
	// ErrHubClosed means the hub was closed (server shutdown).
	ErrHubClosed = errors.New("notify: hub closed")
	// ErrUnsubscribed means the subscriber was closed by its owner.
	ErrUnsubscribed = errors.New("notify: unsubscribed")
)

// Reset reasons in a [Replay].
const (
	// ResetOverflow means the requested id is older than the oldest buffered event.
	ResetOverflow = "overflow"
	// ResetUnknown means the requested id was not issued by this hub: newer than its latest
	// event, older than its first (typically from before a server restart), or malformed.
	ResetUnknown = "unknown"
)

// HubOptions configures a [Hub]. Zero fields take defaults.
type HubOptions struct {
	// BufferSize is the number of recent events kept for resumption (default 10,000). Memory
	// is roughly BufferSize times the average event size, twice (data and encoded frame).
	BufferSize int
	// SubscriberBuffer bounds each subscriber's queue of pending events (default 128).
	SubscriberBuffer int
	// StartID is the id before the first event: the first event gets StartID+1. Zero means the
	// current Unix time in microseconds, so ids keep increasing across restarts and a client
	// resuming with an id from a previous process is told to reset rather than given a wrong
	// replay.
	StartID uint64
	// Clock stamps Event.Time (default time.Now).
	Clock func() time.Time
	// Logger receives subscriber drops (default slog.Default()).
	Logger *slog.Logger
}

// HubStats are counters for metrics. Counters only increase; Subscribers and Buffered are
// current values.
type HubStats struct {
	// Subscribers is the number of connected subscribers.
	Subscribers int
	// Published counts published events.
	Published uint64
	// Delivered counts events handed to subscribers (one per subscriber and event).
	Delivered uint64
	// Dropped counts subscribers disconnected because their buffer was full.
	Dropped uint64
	// Replayed counts events handed out from the buffer on resumption.
	Replayed uint64
	// Resets counts resumptions that could not be served from the buffer.
	Resets uint64
	// Buffered is the number of events in the resumption buffer.
	Buffered int
	// LastID is the id of the latest event (StartID before the first).
	LastID uint64
}

// Replay is what a resuming subscriber missed.
type Replay struct {
	// Events are the buffered events after the requested id addressed to the viewer, oldest
	// first. They must be delivered before anything from the subscriber's channel.
	Events []*Event
	// Reset is true when the buffer cannot tell what was missed. The client must refetch
	// its state.
	Reset bool
	// Reason says why there is a reset: ResetOverflow or ResetUnknown.
	Reason string
	// LastID is the hub's latest event id at the moment of subscription.
	LastID uint64
}

// Hub fans events out to live subscribers (S-NOTIFY-1, S-NOTIFY-4). The service publishes
// after a transaction commits; each SSE connection is one [Subscriber].
//
// Publish hands an event to every addressed subscriber in one pass under the hub's lock with
// non-blocking sends, so all subscribers addressed by one Publish are handed the event
// together, and a slow subscriber never delays the others: when its buffer is full it is
// disconnected and counted in HubStats.Dropped. Events are handed out in id order. All methods
// are safe for concurrent use.
type Hub struct {
	clock  func() time.Time
	log    *slog.Logger
	subBuf int

	mu       sync.Mutex
	closed   bool
	start    uint64 // id before the first event
	last     uint64
	ring     []*Event // circular; ring[head] is the oldest of n events
	head, n  int
	subs     []*Subscriber
	managers []*Subscriber
	byRep    map[int64][]*Subscriber
	byTeam   map[int64][]*Subscriber
	drops    []*Subscriber // scratch for Publish
	stats    HubStats
}

// NewHub returns a hub with defaults for zero opts fields.
func NewHub(opts HubOptions) *Hub {
	h := &Hub{
		clock:  opts.Clock,
		log:    opts.Logger,
		subBuf: opts.SubscriberBuffer,
		last:   opts.StartID,
		byRep:  make(map[int64][]*Subscriber),
		byTeam: make(map[int64][]*Subscriber),
	}
	if h.clock == nil {
		h.clock = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.subBuf <= 0 {
		h.subBuf = DefaultSubscriberBuffer
	}
	if h.last == 0 {
		h.last = uint64(time.Now().UnixMicro())
	}
	h.start = h.last
	size := opts.BufferSize
	if size <= 0 {
		size = DefaultBufferSize
	}
	h.ring = make([]*Event, size)
	return h
}

// Publish assigns the next id to an event of type typ with payload data, stores it for
// resumption and hands it to every subscriber in to. It never blocks on a subscriber. Offers
// to several reps eligible at the same moment must be one Publish with all of them in
// to.RepIDs (not one Publish per rep), so they are handed the offer in the same pass
// (S-NOTIFY-4). data is retained and must not be modified afterwards. An empty typ means
// EventMessage. After Close, Publish does nothing and returns an event with ID 0.
func (h *Hub) Publish(typ string, data []byte, to Audience) Event {
	if typ == "" {
		typ = EventMessage
	}
	e := &Event{Type: typ, Data: data, Audience: to}
	// Encode everything but the id outside the lock.
	body := AppendFrame(nil, e)

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return Event{Type: typ, Data: data, Audience: to}
	}
	h.last++
	e.ID = h.last
	e.Time = h.clock()
	e.frame = make([]byte, 0, len(body)+24)
	e.frame = append(e.frame, "id: "...)
	e.frame = strconv.AppendUint(e.frame, e.ID, 10)
	e.frame = append(e.frame, '\n')
	e.frame = append(e.frame, body...)
	h.store(e)
	h.stats.Published++

	if to.Everyone {
		for _, s := range h.subs {
			h.hand(s, e)
		}
	} else {
		if to.Managers {
			for _, s := range h.managers {
				h.hand(s, e)
			}
		}
		for _, id := range to.RepIDs {
			for _, s := range h.byRep[id] {
				h.hand(s, e)
			}
		}
		for _, id := range to.TeamIDs {
			for _, s := range h.byTeam[id] {
				h.hand(s, e)
			}
		}
	}
	var dropped []Viewer
	for i, s := range h.drops {
		h.remove(s, ErrSlowConsumer)
		h.stats.Dropped++
		dropped = append(dropped, s.viewer)
		h.drops[i] = nil
	}
	h.drops = h.drops[:0]
	h.mu.Unlock()

	// Logged outside the lock, so a slow log sink cannot hold up publishing.
	for _, v := range dropped {
		h.log.Warn("notify: slow subscriber disconnected", "rep", v.RepID, "role", v.Role,
			"team", v.TeamID, "event", e.ID, "buffer", h.subBuf)
	}
	return Event{ID: e.ID, Type: e.Type, Data: e.Data, Audience: e.Audience, Time: e.Time}
}

// PublishJSON marshals v and publishes it like [Hub.Publish].
func (h *Hub) PublishJSON(typ string, v any, to Audience) (Event, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return Event{}, fmt.Errorf("notify: encoding %s event: %w", typ, err)
	}
	return h.Publish(typ, data, to), nil
}

// hand gives e to s without blocking; a subscriber addressed twice (say by rep and by team)
// gets it once. A full buffer marks s for disconnection. Called with h.mu held.
func (h *Hub) hand(s *Subscriber, e *Event) {
	if s.mark == e.ID {
		return
	}
	s.mark = e.ID
	select {
	case s.ch <- e:
		h.stats.Delivered++
	default:
		h.drops = append(h.drops, s)
	}
}

// store appends e to the ring, evicting the oldest event when full. Called with h.mu held.
func (h *Hub) store(e *Event) {
	size := len(h.ring)
	if h.n < size {
		h.ring[(h.head+h.n)%size] = e
		h.n++
		return
	}
	h.ring[h.head] = e
	h.head = (h.head + 1) % size
}

// Subscribe registers a live subscriber for v that receives events published from now on.
// It returns ErrHubClosed after Close.
func (h *Hub) Subscribe(v Viewer) (*Subscriber, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.add(v)
}

// SubscribeFrom registers a subscriber for v resuming after lastID (the client's
// Last-Event-ID): the returned Replay holds the buffered events after lastID addressed to v,
// or Reset when the buffer cannot cover the gap. Registration and replay are atomic, so no
// event is missed or duplicated between the replay and the live channel.
func (h *Hub) SubscribeFrom(v Viewer, lastID uint64) (*Subscriber, Replay, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, err := h.add(v)
	if err != nil {
		return nil, Replay{}, err
	}
	return s, h.since(v, lastID), nil
}

// Since returns what v missed after lastID without subscribing.
func (h *Hub) Since(v Viewer, lastID uint64) Replay {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.since(v, lastID)
}

func (h *Hub) since(v Viewer, lastID uint64) Replay {
	r := Replay{LastID: h.last}
	oldest := h.last - uint64(h.n) + 1
	switch {
	case lastID > h.last || lastID < h.start:
		r.Reset, r.Reason = true, ResetUnknown
	case lastID+1 < oldest:
		r.Reset, r.Reason = true, ResetOverflow
	}
	if r.Reset {
		h.stats.Resets++
		return r
	}
	size := len(h.ring)
	for id := lastID + 1; id <= h.last; id++ {
		e := h.ring[(h.head+int(id-oldest))%size]
		if e.Audience.Includes(v) {
			r.Events = append(r.Events, e)
		}
	}
	h.stats.Replayed += uint64(len(r.Events))
	return r
}

// add registers a subscriber. Called with h.mu held.
func (h *Hub) add(v Viewer) (*Subscriber, error) {
	if h.closed {
		return nil, ErrHubClosed
	}
	s := &Subscriber{hub: h, viewer: v, ch: make(chan *Event, h.subBuf), idx: len(h.subs)}
	h.subs = append(h.subs, s)
	if v.IsManager() {
		h.managers = append(h.managers, s)
	}
	if v.RepID != 0 {
		h.byRep[v.RepID] = append(h.byRep[v.RepID], s)
	}
	if v.TeamID != 0 {
		h.byTeam[v.TeamID] = append(h.byTeam[v.TeamID], s)
	}
	return s, nil
}

// remove unregisters s and closes its channel with reason err. Called with h.mu held.
func (h *Hub) remove(s *Subscriber, err error) {
	if s.err != nil {
		return
	}
	s.err = err
	close(s.ch)
	last := len(h.subs) - 1
	h.subs[s.idx] = h.subs[last]
	h.subs[s.idx].idx = s.idx
	h.subs[last] = nil
	h.subs = h.subs[:last]
	if s.viewer.IsManager() {
		h.managers = without(h.managers, s)
	}
	if id := s.viewer.RepID; id != 0 {
		if h.byRep[id] = without(h.byRep[id], s); len(h.byRep[id]) == 0 {
			delete(h.byRep, id)
		}
	}
	if id := s.viewer.TeamID; id != 0 {
		if h.byTeam[id] = without(h.byTeam[id], s); len(h.byTeam[id]) == 0 {
			delete(h.byTeam, id)
		}
	}
}

func without(list []*Subscriber, s *Subscriber) []*Subscriber {
	for i, x := range list {
		if x == s {
			last := len(list) - 1
			list[i] = list[last]
			list[last] = nil
			return list[:last]
		}
	}
	return list
}

// LastID returns the id of the latest published event.
func (h *Hub) LastID() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// Close disconnects every subscriber with ErrHubClosed; later Subscribe calls fail and Publish
// does nothing. Close is idempotent.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for len(h.subs) > 0 {
		h.remove(h.subs[len(h.subs)-1], ErrHubClosed)
	}
}

// Stats returns the hub's counters.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.stats
	st.Subscribers = len(h.subs)
	st.Buffered = h.n
	st.LastID = h.last
	return st
}

// Subscriber is one live subscription. Its channel delivers the events addressed to its
// viewer, in id order, and is closed when the subscription ends; Err then tells why.
type Subscriber struct {
	hub    *Hub
	viewer Viewer
	ch     chan *Event
	// Guarded by hub.mu.
	idx  int
	mark uint64 // id of the last event handed to it, for de-duplication
	err  error
}

// Events returns the channel of events. The events are shared and must not be modified.
func (s *Subscriber) Events() <-chan *Event { return s.ch }

// Viewer returns the viewer the subscriber was registered for.
func (s *Subscriber) Viewer() Viewer { return s.viewer }

// Err returns why the channel was closed (ErrSlowConsumer, ErrHubClosed or ErrUnsubscribed),
// or nil while the subscription is live.
func (s *Subscriber) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Close ends the subscription; its channel is closed with ErrUnsubscribed unless it was
// already closed for another reason. Close is idempotent.
func (s *Subscriber) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.remove(s, ErrUnsubscribed)
}

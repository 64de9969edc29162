package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
	"github.com/leadflow/leadflow/notify"
)

// Bus channels between nodes.
const (
	channelEvents = "leadflow_events" // live events for every node's streams
	channelPool   = "leadflow_pool"   // pool changes for the leading node's offer board
)

// Leadership of the cluster's background work (S-STORE-4).
const (
	leaseName  = "background"
	leaseTTL   = 15 * time.Second
	leaseRenew = 5 * time.Second
)

// newNodeID names this process among the nodes sharing the store.
func newNodeID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "node-" + hex.EncodeToString(b)
}

// NodeID is this node's name in leases and logs.
func (s *Service) NodeID() string { return s.node }

// Leader reports whether this node runs the cluster's background work now.
func (s *Service) Leader() bool { return s.leader.Load() }

// renewLeadership acquires or renews the background lease. It returns whether this node leads
// and whether it just became the leader.
func (s *Service) renewLeadership(ctx context.Context) (leads, became bool) {
	err := s.store.Write(ctx, func(tx leadflow.Tx) error {
		var err error
		leads, err = tx.TryLease(ctx, leaseName, s.node, s.clock.Now(), leaseTTL)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("leadership lease", slog.Any("err", err))
		}
		leads = false
	}
	was := s.leader.Swap(leads)
	if leads != was {
		s.log.Info("leadership changed", slog.String("node", s.node), slog.Bool("leader", leads))
	}
	return leads, leads && !was
}

// liveEvent is a live event crossing nodes on the bus.
type liveEvent struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
	To   notify.Audience `json:"to"`
}

// emit publishes a live event to the streams of every node (S-NOTIFY-1): on this node's hub
// directly when the store has no bus, else through the bus, from which every node (this one
// too) publishes it on its hub.
func (s *Service) emit(typ string, v any, to notify.Audience) {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error("live event", slog.String("type", typ), slog.Any("err", err))
		return
	}
	if s.bus == nil {
		s.hub.Publish(typ, data, to)
		return
	}
	// A bus message is small (PostgreSQL: under 8 kB): an event for many reps travels as several
	// messages, each naming a part of them.
	parts, err := splitAudience(typ, data, to, leadflow.BusMaxPayload)
	if err != nil {
		s.log.Error("live event too large for the bus: only this node's streams get it", slog.String("type", typ), slog.Any("err", err))
		s.hub.Publish(typ, data, to)
		return
	}
	for _, part := range parts {
		msg, _ := json.Marshal(liveEvent{Type: typ, Data: data, To: part})
		if err := s.bus.Notify(context.Background(), channelEvents, msg); err != nil {
			s.log.Error("live event", slog.String("type", typ), slog.Any("err", err))
			s.hub.Publish(typ, data, part) // at least this node's streams get it
		}
	}
}

// splitAudience cuts the audience of a live event into parts whose bus messages (see emit) each
// fit in limit bytes, however many reps it names and however long their ids; the audience's other
// members (everyone, managers, teams) go with the first part. It fails only when the event with
// a single rep does not fit.
func splitAudience(typ string, data []byte, to notify.Audience, limit int) ([]notify.Audience, error) {
	size := func(a notify.Audience) int {
		b, _ := json.Marshal(liveEvent{Type: typ, Data: data, To: a})
		return len(b)
	}
	if size(to) <= limit {
		return []notify.Audience{to}, nil
	}
	const repsKey = len(`,"rep_ids":[]`) // what the first rep id of a part adds besides itself
	var out []notify.Audience
	part := notify.Audience{Everyone: to.Everyone, Managers: to.Managers, TeamIDs: to.TeamIDs}
	used := size(part) + repsKey
	for _, id := range to.RepIDs {
		add := len(strconv.FormatInt(id, 10)) + 1 // the id and a comma
		if used+add > limit && len(part.RepIDs) > 0 {
			out = append(out, part)
			part = notify.Audience{}
			used = size(part) + repsKey
		}
		if used+add > limit {
			return nil, fmt.Errorf("%s for rep %d: %d bytes with one rep, over the bus's %d", typ, id, used+add, limit)
		}
		part.RepIDs = append(part.RepIDs, id)
		used += add
	}
	return append(out, part), nil
}

// poolMsg is a change of the pool, for the offer board of the leading node.
type poolMsg struct {
	Kind       string              `json:"kind"` // entered, claimed, closed
	Entry      leadflow.PoolEntry  `json:"entry"`
	Preview    compete.LeadPreview `json:"preview"`
	Winner     int64               `json:"winner,omitempty"`
	WinnerName string              `json:"winner_name,omitempty"`
	At         time.Time           `json:"at,omitzero"`
	Why        string              `json:"why,omitempty"`
}

// poolChanged hands a committed pool change to the offer board that schedules offers: this
// node's without a bus, the leader's through the bus.
func (s *Service) poolChanged(m poolMsg) {
	if s.bus == nil {
		s.offers.handle(m)
		return
	}
	b, _ := json.Marshal(m)
	if err := s.bus.Notify(context.Background(), channelPool, b); err != nil {
		s.log.Error("pool change to the leader", slog.Any("err", err))
	}
}

// listen relays bus messages until ctx ends: live events to this node's hub, pool changes to
// its offer board while it leads.
func (s *Service) listen(ctx context.Context) {
	if s.bus == nil {
		return
	}
	go func() {
		_ = s.bus.Listen(ctx, channelEvents, func(p []byte) {
			var e liveEvent
			if json.Unmarshal(p, &e) == nil {
				s.hub.Publish(e.Type, e.Data, e.To)
			}
		})
	}()
	go func() {
		_ = s.bus.Listen(ctx, channelPool, func(p []byte) {
			var m poolMsg
			if json.Unmarshal(p, &m) == nil && s.leader.Load() {
				s.offers.handle(m)
			}
		})
	}()
}

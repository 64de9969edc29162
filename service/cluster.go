package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
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
	for _, part := range splitAudience(to, busRepsPerMessage) {
		msg, _ := json.Marshal(liveEvent{Type: typ, Data: data, To: part})
		if err := s.bus.Notify(context.Background(), channelEvents, msg); err != nil {
			s.log.Error("live event", slog.String("type", typ), slog.Any("err", err))
			s.hub.Publish(typ, data, part) // at least this node's streams get it
		}
	}
}

// busRepsPerMessage bounds the rep ids one bus message names (about 8 bytes each).
const busRepsPerMessage = 400

// splitAudience cuts an audience naming many reps into audiences of at most n reps each; the
// other parts of the audience go with the first.
func splitAudience(to notify.Audience, n int) []notify.Audience {
	if len(to.RepIDs) <= n {
		return []notify.Audience{to}
	}
	var out []notify.Audience
	for i := 0; i < len(to.RepIDs); i += n {
		part := notify.Audience{RepIDs: to.RepIDs[i:min(i+n, len(to.RepIDs))]}
		if i == 0 {
			part.Everyone, part.Managers, part.TeamIDs = to.Everyone, to.Managers, to.TeamIDs
		}
		out = append(out, part)
	}
	return out
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

package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadflow/leadflow"
)

// MaxPayload is the largest message Notify sends (PostgreSQL's limit is 8,000 bytes).
const MaxPayload = leadflow.BusMaxPayload

// Notify sends payload to every node listening on channel (pg_notify), this one included.
func (s *Store) Notify(ctx context.Context, channel string, payload []byte) error {
	if len(payload) > MaxPayload {
		return fmt.Errorf("postgres: notify %s: payload of %d bytes exceeds %d", channel, len(payload), MaxPayload)
	}
	_, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel(channel), string(payload))
	return err
}

// Listen holds one connection listening on channel and calls fn with every payload, in order,
// until ctx ends. A lost connection is re-established after a short pause; messages sent while
// it was down are lost, which the callers' periodic reconciliation covers (see service).
func (s *Store) Listen(ctx context.Context, channel string, fn func(payload []byte)) error {
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, channel, fn)
		if ctx.Err() != nil {
			return nil
		}
		s.log.Warn("postgres: listen interrupted; reconnecting", slog.String("channel", channel), slog.Any("err", err))
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	return nil
}

func (s *Store) listenOnce(ctx context.Context, channel string, fn func(payload []byte)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel(channel)}.Sanitize()); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN *")
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn([]byte(n.Payload))
	}
}

// channel scopes a channel name to the store's schema.
func (s *Store) channel(name string) string {
	if s.scope == "" || s.scope == "public" {
		return name
	}
	return name + "." + s.scope
}

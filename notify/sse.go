package notify

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by [Hub.ServeStream] to zero [StreamOptions] fields.
const (
	// DefaultHeartbeat is the interval of keep-alive comments on an idle stream; proxies and
	// load balancers commonly drop connections idle for 30-60 s.
	DefaultHeartbeat = 15 * time.Second
	// DefaultWriteTimeout bounds one write to the client, so a client that stopped reading
	// cannot hold its handler forever.
	DefaultWriteTimeout = 10 * time.Second
)

// maxBatch is how many queued events one flush carries at most.
const maxBatch = 64

// StreamOptions configures [Hub.ServeStream]. Zero fields take defaults.
type StreamOptions struct {
	// Heartbeat is the interval of ": keep-alive" comments (default 15 s; negative disables).
	Heartbeat time.Duration
	// WriteTimeout bounds each write and flush (default 10 s; negative disables). The deadline
	// is renewed when less than half of it is left, so a write may fail after as little as
	// half of it.
	WriteTimeout time.Duration
	// Retry, when positive, is sent first as the SSE "retry:" field: the client's reconnection
	// delay.
	Retry time.Duration
}

// LastEventID returns the id a reconnecting client last received: the Last-Event-ID header,
// or the last_event_id query parameter for clients that cannot set headers. ok is false when
// neither is present. A value that is not a decimal id yields valid=false, and the stream
// treats it as unknown (reset).
func LastEventID(r *http.Request) (id uint64, ok, valid bool) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false, false
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, true, false
	}
	return id, true, true
}

// ServeStream serves a Server-Sent Events stream of the events addressed to v (S-NOTIFY-1).
// Authentication and deriving v from the request are the caller's job.
//
// It subscribes to the hub (resuming after [LastEventID] when the client sent one: missed
// events are replayed first, or an [EventReset] event is sent when they cannot be), sets
// Content-Type: text/event-stream, Cache-Control: no-cache and X-Accel-Buffering: no, and then
// writes each event as an SSE frame, flushing after each batch, with a heartbeat comment every
// opts.Heartbeat. It returns when the request's context is done (nil), when the hub ends the
// subscription (the subscriber's reason, e.g. [ErrSlowConsumer] or [ErrHubClosed]) or when a
// write fails (the error, wrapped). When the hub is closed it answers 503 and returns
// ErrHubClosed.
func (h *Hub) ServeStream(w http.ResponseWriter, r *http.Request, v Viewer, opts StreamOptions) error {
	heartbeat := opts.Heartbeat
	if heartbeat == 0 {
		heartbeat = DefaultHeartbeat
	}
	writeTimeout := opts.WriteTimeout
	if writeTimeout == 0 {
		writeTimeout = DefaultWriteTimeout
	}

	var sub *Subscriber
	var replay Replay
	var err error
	if id, ok, valid := LastEventID(r); ok {
		if !valid {
			id = ^uint64(0) // unknown to any hub: reset
		}
		sub, replay, err = h.SubscribeFrom(v, id)
	} else {
		sub, err = h.Subscribe(v)
	}
	if err != nil {
		http.Error(w, "event stream unavailable", http.StatusServiceUnavailable)
		return err
	}
	defer sub.Close()

	rc := http.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	var buf []byte
	if opts.Retry > 0 {
		buf = fmt.Appendf(buf, "retry: %d\n\n", opts.Retry.Milliseconds())
	}
	if replay.Reset {
		data := fmt.Appendf(nil, `{"reason":%q,"last_event_id":"%d"}`, replay.Reason, replay.LastID)
		buf = AppendFrame(buf, &Event{ID: replay.LastID, Type: EventReset, Data: data})
	}
	for _, e := range replay.Events {
		buf = append(buf, e.frame...)
	}
	// The write deadline is moved forward only when less than half of it is left, which keeps
	// each write bounded by between WriteTimeout/2 and WriteTimeout while sparing a timer
	// update per event at high fan-out.
	var deadline time.Time
	send := func(b []byte) error {
		if writeTimeout > 0 {
			if now := time.Now(); deadline.Sub(now) < writeTimeout/2 {
				deadline = now.Add(writeTimeout)
				// ErrNotSupported only means the writer cannot time out; carry on.
				_ = rc.SetWriteDeadline(deadline)
			}
		}
		if len(b) > 0 {
			if _, err := w.Write(b); err != nil {
				return fmt.Errorf("notify: writing event stream: %w", err)
			}
		}
		if err := rc.Flush(); err != nil {
			return fmt.Errorf("notify: flushing event stream: %w", err)
		}
		return nil
	}
	// The first flush sends the headers even when there is nothing to replay, so the client
	// knows it is subscribed.
	if err := send(buf); err != nil {
		return err
	}

	var tick <-chan time.Time
	if heartbeat > 0 {
		t := time.NewTicker(heartbeat)
		defer t.Stop()
		tick = t.C
	}
	ctx := r.Context()
	events := sub.Events()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
			if err := send([]byte(": keep-alive\n\n")); err != nil {
				return err
			}
		case e, ok := <-events:
			if !ok {
				return sub.Err()
			}
			buf = append(buf[:0], e.frame...)
		batch:
			for range maxBatch - 1 {
				select {
				case e, ok := <-events:
					if !ok {
						break batch // sent below; the closed channel is seen next round
					}
					buf = append(buf, e.frame...)
				default:
					break batch
				}
			}
			if err := send(buf); err != nil {
				return err
			}
		}
	}
}

// IsStreamEnd reports whether err returned by [Hub.ServeStream] is an ordinary end of a stream
// (client gone, subscriber dropped or hub closed) rather than a failure worth logging loudly.
func IsStreamEnd(err error) bool {
	return err == nil || errors.Is(err, ErrSlowConsumer) || errors.Is(err, ErrHubClosed) || errors.Is(err, ErrUnsubscribed)
}

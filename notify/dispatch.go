package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadflow/leadflow/webhook"
)

// Defaults applied by [NewDispatcher] to zero [DispatcherOptions] fields.
const (
	DefaultQueueSize   = 256
	DefaultWorkers     = 4
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 3
)

// Errors of the [Dispatcher].
var (
	// ErrQueueFull means the channel's queue is full; the delivery was not accepted.
	ErrQueueFull = errors.New("notify: channel queue full")
	// ErrUnknownChannel means no channel of that name is configured.
	ErrUnknownChannel = errors.New("notify: unknown channel")
	// ErrClosed means the dispatcher is closed, or was closed before the delivery finished.
	ErrClosed = errors.New("notify: dispatcher closed")
	// ErrExpired means the offer's claim window closed before it could be delivered, so it
	// was not sent (a stale offer would send a rep to a lead that is gone).
	ErrExpired = errors.New("notify: offer expired before delivery")
)

// Delivery asks the [Dispatcher] to send an offer to one target over one channel.
type Delivery struct {
	// Ref is the caller's reference (e.g. a notification row id), echoed in the Result.
	Ref string
	// Channel is the channel name, e.g. ChannelSMS.
	Channel string
	// Target is the channel-specific address: a webhook URL (Slack, Teams; empty for the
	// channel's default), a phone number (SMS) or a subscription's JSON (web push).
	Target string
	// Offer is the content.
	Offer Offer
}

// Result is the outcome of a delivery, reported once per accepted delivery through
// [DispatcherOptions.OnResult] so that the caller can persist the "sent" timestamp
// (S-NOTIFY-3) or delete a web push subscription that is gone.
type Result struct {
	// Ref, Channel and Target are those of the Delivery.
	Ref, Channel, Target string
	// OK reports that the receiver accepted the message.
	OK bool
	// QueuedAt is when Enqueue accepted the delivery; SentAt when the receiver accepted it
	// (zero unless OK).
	QueuedAt, SentAt time.Time
	// Attempts is the number of attempts made (0 when none was made, e.g. expired).
	Attempts int
	// Status is the HTTP status of the last attempt, 0 when there was no response.
	Status int
	// Err is why the delivery failed (nil when OK). It may wrap ErrExpired, ErrClosed,
	// ErrPermanent, a *StatusError or webpush.ErrGone.
	Err error
}

// DispatcherOptions configures a [Dispatcher]. Zero fields take defaults.
type DispatcherOptions struct {
	// QueueSize bounds each channel's queue of waiting deliveries (default 256).
	QueueSize int
	// Workers is the number of concurrent senders per channel (default 4).
	Workers int
	// Timeout bounds one attempt (default 10 s).
	Timeout time.Duration
	// MaxAttempts is the number of attempts before a delivery fails (default 3).
	MaxAttempts int
	// Backoff returns the delay before retry number attempt (1-based). Default:
	// webhook.Backoff (5 s doubling, ±20% jitter). A receiver's Retry-After is honoured when
	// longer.
	Backoff func(attempt int) time.Duration
	// OnResult receives every delivery's outcome, from the channel's worker goroutines; it must
	// be safe for concurrent use and should be quick, as it holds up that channel's worker.
	OnResult func(Result)
	// Clock stamps QueuedAt and SentAt and decides expiry (default time.Now).
	Clock func() time.Time
	// Logger receives failures (default slog.Default()). Targets are never logged: webhook
	// URLs are secrets and phone numbers personal data.
	Logger *slog.Logger
}

// ChannelStats are one channel's counters.
type ChannelStats struct {
	// Queued is the number of deliveries waiting now.
	Queued int
	// Enqueued, Sent and Failed count accepted, delivered and failed deliveries; Retries
	// counts attempts after the first; Rejected counts deliveries refused because the queue
	// was full.
	Enqueued, Sent, Failed, Retries, Rejected uint64
}

// Dispatcher delivers offers to several channels so that a slow or failing channel never
// delays another channel or the caller (S-NOTIFY-1, S-NOTIFY-3): each channel has its own
// bounded queue and its own workers; Enqueue never blocks; every attempt has a timeout; failed
// attempts are retried with backoff. All methods are safe for concurrent use.
//
// Goroutine ownership: NewDispatcher starts Workers goroutines per channel; Close stops them.
type Dispatcher struct {
	opts   DispatcherOptions
	log    *slog.Logger
	queues map[string]*queue
	ctx    context.Context // cancelled when Close gives up draining
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.RWMutex
	closed bool
}

type queue struct {
	ch      Channel
	jobs    chan job
	stats   struct{ enqueued, sent, failed, retries, rejected atomic.Uint64 }
	pending atomic.Int64
}

type job struct {
	d        Delivery
	queuedAt time.Time
}

// NewDispatcher starts a dispatcher for channels, whose names must be distinct.
func NewDispatcher(opts DispatcherOptions, channels ...Channel) (*Dispatcher, error) {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Backoff == nil {
		opts.Backoff = func(attempt int) time.Duration { return webhook.Backoff(attempt, nil) }
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	d := &Dispatcher{opts: opts, log: opts.Logger, queues: make(map[string]*queue)}
	if d.log == nil {
		d.log = slog.Default()
	}
	for _, c := range channels {
		if _, dup := d.queues[c.Name()]; dup {
			return nil, fmt.Errorf("notify: channel %q configured twice", c.Name())
		}
		d.queues[c.Name()] = &queue{ch: c, jobs: make(chan job, opts.QueueSize)}
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for _, q := range d.queues {
		for range opts.Workers {
			d.wg.Go(func() { d.work(q) })
		}
	}
	return d, nil
}

// Enqueue accepts a delivery without blocking. It returns ErrUnknownChannel, ErrQueueFull
// (the channel is backed up; the caller may record the failure) or ErrClosed; otherwise the
// outcome is reported later through OnResult.
func (d *Dispatcher) Enqueue(del Delivery) error {
	q, ok := d.queues[del.Channel]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownChannel, del.Channel)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return ErrClosed
	}
	select {
	case q.jobs <- job{d: del, queuedAt: d.opts.Clock()}:
		q.pending.Add(1)
		q.stats.enqueued.Add(1)
		return nil
	default:
		q.stats.rejected.Add(1)
		return fmt.Errorf("%w: %s", ErrQueueFull, del.Channel)
	}
}

// work runs one worker of q until its queue is closed and drained.
func (d *Dispatcher) work(q *queue) {
	for j := range q.jobs {
		r := d.deliver(q, j)
		q.pending.Add(-1)
		if r.OK {
			q.stats.sent.Add(1)
		} else {
			q.stats.failed.Add(1)
			d.log.Warn("notify: delivery failed", "channel", r.Channel, "ref", r.Ref,
				"attempts", r.Attempts, "status", r.Status, "err", r.Err)
		}
		if d.opts.OnResult != nil {
			d.opts.OnResult(r)
		}
	}
}

// deliver makes up to MaxAttempts attempts of j.
func (d *Dispatcher) deliver(q *queue, j job) Result {
	r := Result{Ref: j.d.Ref, Channel: j.d.Channel, Target: j.d.Target, QueuedAt: j.queuedAt}
	o := j.d.Offer
	for {
		if d.ctx.Err() != nil {
			r.Err = wrapLast(ErrClosed, r.Err)
			return r
		}
		now := d.opts.Clock()
		if o.Expired(now) {
			r.Err = wrapLast(ErrExpired, r.Err)
			return r
		}
		r.Attempts++
		if r.Attempts > 1 {
			q.stats.retries.Add(1)
		}
		ctx, cancel := context.WithTimeout(d.ctx, d.opts.Timeout)
		if !o.ExpiresAt.IsZero() {
			// No point finishing an attempt after the claim window closed. The window is on the
			// dispatcher's clock (which may be injected); context deadlines are wall-clock.
			ctx, cancel = withDeadline(ctx, cancel, time.Now().Add(o.ExpiresAt.Sub(now)))
		}
		status, err := q.ch.Send(ctx, j.d.Target, o)
		cancel()
		r.Status, r.Err = status, err
		if err == nil {
			r.OK, r.SentAt = true, d.opts.Clock()
			return r
		}
		if d.ctx.Err() != nil {
			r.Err = wrapLast(ErrClosed, err)
			return r
		}
		if !Retryable(err) || r.Attempts >= d.opts.MaxAttempts {
			return r
		}
		delay := max(d.opts.Backoff(r.Attempts), retryAfter(err))
		if !o.ExpiresAt.IsZero() && !d.opts.Clock().Add(delay).Before(o.ExpiresAt) {
			r.Err = wrapLast(ErrExpired, err)
			return r
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-d.ctx.Done():
			t.Stop()
		}
	}
}

func withDeadline(ctx context.Context, cancel context.CancelFunc, at time.Time) (context.Context, context.CancelFunc) {
	ctx2, cancel2 := context.WithDeadline(ctx, at)
	return ctx2, func() { cancel2(); cancel() }
}

// wrapLast returns sentinel, wrapping the last attempt's error when there was one.
func wrapLast(sentinel, last error) error {
	if last == nil {
		return sentinel
	}
	return fmt.Errorf("%w (last attempt: %w)", sentinel, last)
}

// Close stops accepting deliveries and waits until the queued and in-flight ones are done or
// ctx is done. When ctx ends first, in-flight attempts are cancelled, the remaining
// deliveries are reported with ErrClosed without being attempted, and Close returns ctx's
// error once the workers have stopped (built-in channels stop promptly; a custom Channel must
// honour its context). Close is idempotent.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		for _, q := range d.queues {
			close(q.jobs)
		}
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		d.cancel()
		<-done
		return fmt.Errorf("notify: dispatcher drain: %w", ctx.Err())
	}
}

// Stats returns counters per channel name.
func (d *Dispatcher) Stats() map[string]ChannelStats {
	out := make(map[string]ChannelStats, len(d.queues))
	for name, q := range d.queues {
		out[name] = ChannelStats{
			Queued:   int(q.pending.Load()),
			Enqueued: q.stats.enqueued.Load(),
			Sent:     q.stats.sent.Load(),
			Failed:   q.stats.failed.Load(),
			Retries:  q.stats.retries.Load(),
			Rejected: q.stats.rejected.Load(),
		}
	}
	return out
}

// DueForFallback reports whether the SMS backup for a push notification is due (S-NOTIFY-1):
// the push was sent (sentAt not zero), has not been seen by now (seenAt zero or after now),
// and at least after has passed since it was sent. after <= 0 disables the fallback. The
// caller also checks that the offer is still open and unclaimed; the service runs the timer,
// e.g. with [FallbackAt].
func DueForFallback(sentAt, seenAt, now time.Time, after time.Duration) bool {
	if after <= 0 || sentAt.IsZero() {
		return false
	}
	if !seenAt.IsZero() && !seenAt.After(now) {
		return false
	}
	return !now.Before(sentAt.Add(after))
}

// FallbackAt returns when the SMS backup for a push sent at sentAt becomes due, or the zero
// time when after <= 0 or sentAt is zero.
func FallbackAt(sentAt time.Time, after time.Duration) time.Time {
	if after <= 0 || sentAt.IsZero() {
		return time.Time{}
	}
	return sentAt.Add(after)
}

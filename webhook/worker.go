package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Defaults applied by [NewWorker] to zero [Options] fields.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 4
	DefaultPoll        = time.Second
)

const (
	maxResponseBody = 4 << 10 // bytes of a response body read at most
	maxErrLen       = 200     // bytes of response body (or error text) kept in Result.Err
	finishTimeout   = 10 * time.Second
)

// ErrRunning is returned by [Worker.Run] when the worker is already running.
var ErrRunning = errors.New("webhook: worker already running")

// Delivery is one message to send, as claimed from the [Queue].
type Delivery struct {
	// ID identifies the delivery; it is sent as Leadflow-Delivery for receiver de-duplication.
	ID int64
	// URL is the receiver's endpoint (http or https).
	URL string
	// Secret is the HMAC key shared with the receiver; empty means the request is not signed.
	Secret string
	// Event is the event type, sent as Leadflow-Event.
	Event string
	// Body is the JSON payload, sent verbatim.
	Body []byte
	// Attempts is the number of attempts already made (and recorded by Finish) before this one.
	Attempts int
}

// Result is the outcome of one delivery attempt.
type Result struct {
	// Status is the HTTP status code, or 0 when no response was received.
	Status int
	// Err describes a failure: the first 200 bytes of a non-2xx response body (the status text
	// when the body is empty) or the transport error. Empty on success.
	Err string
	// Duration is how long the attempt took (wall time).
	Duration time.Duration
	// Done reports a 2xx response: the delivery is complete.
	Done bool
	// Dead reports that there will be no more retries: the attempt count reached MaxAttempts, or
	// the receiver rejected the message with a 4xx other than 408/429 (or the URL is unusable).
	Dead bool
	// NextAttempt is when to retry; set only when neither Done nor Dead.
	NextAttempt time.Time
}

// Queue is the persistence the worker needs; the store layer implements it over the outbox.
type Queue interface {
	// Due claims up to limit deliveries whose next attempt time is <= now and marks them in flight
	// until lease expires (so a crashed worker's deliveries come back).
	Due(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Delivery, error)
	// Finish records the attempt's result (delivery log) and schedules the next attempt at
	// r.NextAttempt or closes the delivery (r.Done or r.Dead). It should increment the stored
	// attempt count, which d.Attempts holds before this attempt.
	Finish(ctx context.Context, d Delivery, r Result) error
}

// Options configures a [Worker]. Zero fields take defaults.
type Options struct {
	// Client sends the requests. Default: a client with Timeout that does not follow redirects.
	// A supplied client is used as is; Timeout is still enforced per attempt through the context.
	Client *http.Client
	// Clock gives the signature timestamp and the time base for Due and NextAttempt. Default:
	// the wall clock in UTC. leadflow.Clock satisfies it.
	Clock interface{ Now() time.Time }
	// Concurrency bounds simultaneous attempts in Run (default 4).
	Concurrency int
	// Poll is how often Run looks for due deliveries without a Kick (default 1s).
	Poll time.Duration
	// Timeout bounds one attempt, connection to response body (default 10s).
	Timeout time.Duration
	// Logger receives failures and retries (default slog.Default()).
	Logger *slog.Logger
	// Rand is the jitter source for Backoff (default randomly seeded). The worker serialises
	// access to it; callers must not use it concurrently with the worker.
	Rand *rand.Rand
}

// Worker delivers due webhooks with bounded concurrency; a slow or failing receiver never blocks
// the others or the caller.
//
// Goroutine ownership: [Worker.Run] runs its poll loop on the caller's goroutine and starts one
// goroutine per claimed delivery, never more than Concurrency at once; it does not return until
// every goroutine it started has finished. [Worker.Attempt] runs on the caller's goroutine and
// starts none. Kick and Attempt are safe for concurrent use, also while Run is running.
type Worker struct {
	q           Queue
	client      *http.Client
	clock       interface{ Now() time.Time }
	concurrency int
	poll        time.Duration
	timeout     time.Duration
	lease       time.Duration
	log         *slog.Logger

	rndMu sync.Mutex
	rnd   *rand.Rand

	kick     chan struct{}
	running  atomic.Bool
	inflight atomic.Int64
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now().UTC() }

// NewWorker returns a worker delivering from q, with defaults for zero opts fields.
func NewWorker(q Queue, opts Options) *Worker {
	w := &Worker{
		q:           q,
		client:      opts.Client,
		clock:       opts.Clock,
		concurrency: opts.Concurrency,
		poll:        opts.Poll,
		timeout:     opts.Timeout,
		log:         opts.Logger,
		rnd:         opts.Rand,
		kick:        make(chan struct{}, 1),
	}
	if w.timeout <= 0 {
		w.timeout = DefaultTimeout
	}
	if w.client == nil {
		w.client = &http.Client{
			Timeout: w.timeout,
			// Never follow redirects: the receiver's configured URL is the only target.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if w.clock == nil {
		w.clock = wallClock{}
	}
	if w.concurrency <= 0 {
		w.concurrency = DefaultConcurrency
	}
	if w.poll <= 0 {
		w.poll = DefaultPoll
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.rnd == nil {
		w.rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	// A claimed delivery starts at once (Run claims no more than it has free slots) and its
	// attempt is bounded by the timeout; the lease leaves ample room for recording the result.
	w.lease = 2*w.timeout + finishTimeout
	return w
}

// Kick wakes Run to look for due deliveries now instead of at the next poll. It never blocks and
// several kicks before Run wakes coalesce into one. Call it after committing a transaction that
// enqueued deliveries.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run claims due deliveries and attempts them until ctx is done, then returns nil after the
// in-flight attempts have finished. Cancelling ctx aborts in-flight requests; an attempt aborted
// that way is not recorded, so its lease expires and it is retried later. Errors from the queue
// are logged and retried at the next poll. Run returns [ErrRunning] if called while running.
func (w *Worker) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer w.running.Store(false)

	var wg sync.WaitGroup
	defer wg.Wait()

	ticker := time.NewTicker(w.poll)
	defer ticker.Stop()
	for {
		w.dispatch(ctx, &wg)
		select {
		case <-ctx.Done():
			return nil
		case <-w.kick:
		case <-ticker.C:
		}
	}
}

// dispatch claims as many due deliveries as there are free slots and starts one goroutine per
// delivery. Only Run's goroutine calls it, so the free-slot count can only grow meanwhile.
func (w *Worker) dispatch(ctx context.Context, wg *sync.WaitGroup) {
	if ctx.Err() != nil {
		return
	}
	free := w.concurrency - int(w.inflight.Load())
	if free <= 0 {
		return // a finishing attempt kicks the loop
	}
	ds, err := w.q.Due(ctx, w.clock.Now(), free, w.lease)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("webhook: claiming due deliveries", "err", err)
		}
		return
	}
	for _, d := range ds {
		w.inflight.Add(1)
		wg.Go(func() {
			defer func() {
				w.inflight.Add(-1)
				w.Kick() // a slot is free: there may be more due deliveries
			}()
			w.deliver(ctx, d)
		})
	}
}

// deliver makes one attempt and records it.
func (w *Worker) deliver(ctx context.Context, d Delivery) {
	r := w.Attempt(ctx, d)
	if ctx.Err() != nil && r.Status == 0 {
		// Aborted by shutdown: leave it leased; it comes back when the lease expires.
		w.log.Info("webhook: attempt abandoned on shutdown", "delivery", d.ID)
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := w.q.Finish(fctx, d, r); err != nil {
		w.log.Error("webhook: recording attempt", "delivery", d.ID, "err", err)
		return
	}
	attrs := []any{"delivery", d.ID, "event", d.Event, "attempt", d.Attempts + 1,
		"status", r.Status, "duration", r.Duration}
	switch {
	case r.Done:
		w.log.Debug("webhook: delivered", attrs...)
	case r.Dead:
		w.log.Warn("webhook: delivery failed permanently", append(attrs, "err", r.Err)...)
	default:
		w.log.Info("webhook: delivery will be retried", append(attrs, "err", r.Err, "next", r.NextAttempt)...)
	}
}

// Attempt performs one delivery attempt (sign, POST, classify) and returns its Result without
// recording it. It is exported for tests and for a synchronous "send test webhook" feature. The
// attempt number is d.Attempts+1; the attempt is bounded by the worker's timeout and by ctx.
func (w *Worker) Attempt(ctx context.Context, d Delivery) Result {
	start := time.Now()
	now := w.clock.Now()
	r := w.send(ctx, d, now)
	r.Duration = time.Since(start)
	w.classify(&r, d, now)
	return r
}

// send performs the request and fills Status, Err and Done (and Dead for an unusable URL). A
// Retry-After header is carried to classify as a provisional NextAttempt.
func (w *Worker) send(ctx context.Context, d Delivery, now time.Time) (r Result) {
	u, err := url.Parse(d.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.Err = truncate(fmt.Sprintf("invalid webhook URL %q", d.URL))
		r.Dead = true
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		r.Err = truncate(err.Error())
		r.Dead = true
		return r
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(d.ID, 10))
	if d.Secret != "" {
		req.Header.Set(HeaderSignature, Sign([]byte(d.Secret), now, d.Body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		r.Err = truncate(err.Error())
		return r
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	r.Status = resp.StatusCode
	if r.Status >= 200 && r.Status <= 299 {
		r.Done = true
		return r // a failure to read a 2xx body does not matter: the receiver accepted it
	}
	switch {
	case len(bytes.TrimSpace(body)) > 0:
		r.Err = truncate(string(body))
	case err != nil:
		r.Err = truncate(err.Error())
	default:
		r.Err = truncate(strconv.Itoa(r.Status) + " " + http.StatusText(r.Status))
	}
	if ra, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
		r.NextAttempt = now.Add(ra) // provisional; classify keeps it only for retries
	}
	return r
}

// classify decides Done / Dead / NextAttempt from the status of r.
func (w *Worker) classify(r *Result, d Delivery, now time.Time) {
	if r.Done || r.Dead {
		r.NextAttempt = time.Time{}
		return
	}
	if r.Status >= 400 && r.Status <= 499 && r.Status != http.StatusRequestTimeout && r.Status != http.StatusTooManyRequests {
		r.Dead = true
		r.NextAttempt = time.Time{}
		return
	}
	attempt := d.Attempts + 1
	if attempt >= MaxAttempts {
		r.Dead = true
		r.NextAttempt = time.Time{}
		return
	}
	if r.NextAttempt.IsZero() { // no usable Retry-After
		w.rndMu.Lock()
		delay := Backoff(attempt, w.rnd)
		w.rndMu.Unlock()
		r.NextAttempt = now.Add(delay)
	}
}

// retryAfter parses a Retry-After header given in seconds, capped at one hour.
func retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if n >= int64(backoffMax/time.Second) {
		return backoffMax, true
	}
	return time.Duration(n) * time.Second, true
}

// truncate keeps at most maxErrLen bytes of s without splitting a UTF-8 sequence and replaces
// invalid bytes, so the text is safe to store and log.
func truncate(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) > maxErrLen {
		cut := maxErrLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

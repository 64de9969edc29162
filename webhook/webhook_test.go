package webhook_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow/webhook"
)

// wait bounds every blocking receive so a broken worker fails the test instead of hanging it.
const wait = 10 * time.Second

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// memQueue is an in-memory Queue with the semantics the store layer must provide.
type memQueue struct {
	mu       sync.Mutex
	items    []*item
	finished chan finished // every Finish, in order
	dues     chan int      // signalled (non-blocking) after every Due with the number claimed

	maxInFlight int // most deliveries claimed and not yet finished at once
}

type item struct {
	d      webhook.Delivery
	next   time.Time
	leased time.Time
	closed bool
	log    []webhook.Result
}

type finished struct {
	d webhook.Delivery
	r webhook.Result
}

func newQueue(ds ...webhook.Delivery) *memQueue {
	q := &memQueue{finished: make(chan finished, 100), dues: make(chan int, 1)}
	for _, d := range ds {
		q.items = append(q.items, &item{d: d, next: t0})
	}
	return q
}

func (q *memQueue) Due(_ context.Context, now time.Time, limit int, lease time.Duration) ([]webhook.Delivery, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []webhook.Delivery
	for _, it := range q.items {
		if len(out) >= limit {
			break
		}
		if it.closed || it.next.After(now) || it.leased.After(now) {
			continue
		}
		it.leased = now.Add(lease)
		out = append(out, it.d)
	}
	inFlight := 0
	for _, it := range q.items {
		if !it.closed && it.leased.After(now) {
			inFlight++
		}
	}
	q.maxInFlight = max(q.maxInFlight, inFlight)
	select {
	case q.dues <- len(out):
	default:
	}
	return out, nil
}

func (q *memQueue) Finish(_ context.Context, d webhook.Delivery, r webhook.Result) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, it := range q.items {
		if it.d.ID != d.ID {
			continue
		}
		it.log = append(it.log, r)
		it.d.Attempts++
		it.leased = time.Time{}
		if r.Done || r.Dead {
			it.closed = true
		} else {
			it.next = r.NextAttempt
		}
		q.finished <- finished{d, r}
		return nil
	}
	return errors.New("unknown delivery")
}

func (q *memQueue) log(id int64) []webhook.Result {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, it := range q.items {
		if it.d.ID == id {
			return append([]webhook.Result(nil), it.log...)
		}
	}
	return nil
}

func (q *memQueue) waitFinish(t *testing.T) finished {
	t.Helper()
	select {
	case f := <-q.finished:
		return f
	case <-time.After(wait):
		t.Fatal("timed out waiting for Finish")
		return finished{}
	}
}

// waitDues waits until n more Due calls have happened.
func (q *memQueue) waitDues(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-q.dues:
		case <-time.After(wait):
			t.Fatal("timed out waiting for Due")
		}
	}
}

func seeded() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newWorker(q webhook.Queue, clock *fakeClock, opts webhook.Options) *webhook.Worker {
	opts.Clock = clock
	opts.Logger = quietLogger()
	if opts.Rand == nil {
		opts.Rand = seeded()
	}
	if opts.Poll == 0 {
		opts.Poll = time.Millisecond
	}
	return webhook.NewWorker(q, opts)
}

// startRun runs w in the background; the returned stop cancels it and waits for Run to return.
func startRun(t *testing.T, w *webhook.Worker) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(wait):
				t.Error("Run did not return after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func statusServer(t *testing.T, status func(n int) (int, http.Header)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		n := int(hits.Add(1))
		code, h := status(n)
		for k, v := range h {
			rw.Header()[k] = v
		}
		rw.WriteHeader(code)
		io.WriteString(rw, "status "+strconv.Itoa(code))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestSignVerify(t *testing.T) {
	secret := []byte("whsec_test")
	body := []byte(`{"event":"lead.score_crossed","lead_id":42,"score":76}`)
	header := webhook.Sign(secret, t0, body)
	if !strings.HasPrefix(header, "t="+strconv.FormatInt(t0.Unix(), 10)+",v1=") {
		t.Fatalf("header = %q", header)
	}
	other := webhook.Sign([]byte("old-secret"), t0, body)
	rotated := header + "," + other[strings.Index(other, "v1="):]
	rotatedOtherFirst := other + "," + header[strings.Index(header, "v1="):]

	tests := []struct {
		name      string
		secret    []byte
		header    string
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"valid", secret, header, body, t0, time.Minute, nil},
		{"valid within tolerance", secret, header, body, t0.Add(59 * time.Second), time.Minute, nil},
		{"default tolerance", secret, header, body, t0.Add(4 * time.Minute), 0, nil},
		{"rotated secret any v1 matches", secret, rotatedOtherFirst, body, t0, time.Minute, nil},
		{"rotated secret old key", []byte("old-secret"), rotated, body, t0, time.Minute, nil},
		{"tampered body", secret, header, []byte(`{"event":"lead.score_crossed","lead_id":42,"score":99}`), t0, time.Minute, webhook.ErrSignatureMismatch},
		{"wrong secret", []byte("whsec_other"), header, body, t0, time.Minute, webhook.ErrSignatureMismatch},
		{"stale timestamp", secret, header, body, t0.Add(61 * time.Second), time.Minute, webhook.ErrStaleSignature},
		{"stale by default tolerance", secret, header, body, t0.Add(6 * time.Minute), 0, webhook.ErrStaleSignature},
		{"timestamp in the future", secret, header, body, t0.Add(-2 * time.Minute), time.Minute, webhook.ErrStaleSignature},
		{"tampered timestamp", secret, strings.Replace(header, "t=", "t=1", 1), body, time.Unix(1e10+t0.Unix(), 0), time.Minute, webhook.ErrSignatureMismatch},
		{"empty", secret, "", body, t0, time.Minute, webhook.ErrNoSignature},
		{"no v1", secret, "t=" + strconv.FormatInt(t0.Unix(), 10), body, t0, time.Minute, webhook.ErrMalformedSignature},
		{"no t", secret, header[strings.Index(header, "v1="):], body, t0, time.Minute, webhook.ErrMalformedSignature},
		{"bad hex", secret, "t=1,v1=zz", body, t0, time.Minute, webhook.ErrMalformedSignature},
		{"garbage", secret, "sha256=abc", body, t0, time.Minute, webhook.ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.header, tt.body, tt.now, tt.tolerance)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	a, b := seeded(), seeded()
	for n := 1; n <= 30; n++ {
		da, db := webhook.Backoff(n, a), webhook.Backoff(n, b)
		if da != db {
			t.Fatalf("attempt %d: not deterministic: %v vs %v", n, da, db)
		}
		base := min(5*time.Second<<min(n-1, 20), time.Hour)
		lo, hi := time.Duration(float64(base)*0.8), min(time.Duration(float64(base)*1.2), time.Hour)
		if da < lo || da > hi {
			t.Errorf("Backoff(%d) = %v, want in [%v, %v]", n, da, lo, hi)
		}
	}
	if d := webhook.Backoff(0, nil); d < 4*time.Second || d > 6*time.Second {
		t.Errorf("Backoff(0, nil) = %v", d)
	}
	if d := webhook.Backoff(1<<30, nil); d > time.Hour || d < 48*time.Minute {
		t.Errorf("Backoff(huge) = %v", d)
	}
	// The jitter actually varies.
	seen := map[time.Duration]bool{}
	r := seeded()
	for range 20 {
		seen[webhook.Backoff(3, r)] = true
	}
	if len(seen) < 2 {
		t.Errorf("no jitter: %v", seen)
	}
}

func TestAttemptSignsRequest(t *testing.T) {
	clock := &fakeClock{now: t0}
	type captured struct {
		header http.Header
		body   []byte
		method string
	}
	got := make(chan captured, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- captured{r.Header.Clone(), b, r.Method}
		rw.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	w := newWorker(newQueue(), clock, webhook.Options{})
	d := webhook.Delivery{ID: 17, URL: srv.URL + "/hooks", Secret: "s3cret", Event: "lead.score_crossed", Body: []byte(`{"score":76}`)}
	res := w.Attempt(context.Background(), d)
	if !res.Done || res.Dead || res.Status != http.StatusNoContent || res.Err != "" || !res.NextAttempt.IsZero() {
		t.Fatalf("Attempt = %+v, want done 204", res)
	}
	c := <-got
	if c.method != http.MethodPost {
		t.Errorf("method = %s", c.method)
	}
	if string(c.body) != string(d.Body) {
		t.Errorf("body = %q, want %q", c.body, d.Body)
	}
	wantHeaders := map[string]string{
		"Content-Type":      "application/json",
		"User-Agent":        "leadflow-webhook/1",
		"Leadflow-Event":    "lead.score_crossed",
		"Leadflow-Delivery": "17",
	}
	for k, v := range wantHeaders {
		if g := c.header.Get(k); g != v {
			t.Errorf("%s = %q, want %q", k, g, v)
		}
	}
	sig := c.header.Get("Leadflow-Signature")
	if err := webhook.Verify([]byte("s3cret"), sig, c.body, clock.Now(), 5*time.Minute); err != nil {
		t.Errorf("receiver Verify: %v (header %q)", err, sig)
	}
	if err := webhook.Verify([]byte("s3cret"), sig, append(c.body, ' '), clock.Now(), 5*time.Minute); !errors.Is(err, webhook.ErrSignatureMismatch) {
		t.Errorf("tampered body verified: %v", err)
	}
	if err := webhook.Verify([]byte("wrong"), sig, c.body, clock.Now(), 5*time.Minute); !errors.Is(err, webhook.ErrSignatureMismatch) {
		t.Errorf("wrong secret verified: %v", err)
	}
	if err := webhook.Verify([]byte("s3cret"), sig, c.body, clock.Now().Add(10*time.Minute), 5*time.Minute); !errors.Is(err, webhook.ErrStaleSignature) {
		t.Errorf("stale timestamp verified: %v", err)
	}

	// Without a secret there is no signature header.
	d.Secret = ""
	if res := w.Attempt(context.Background(), d); !res.Done {
		t.Fatalf("unsigned Attempt = %+v", res)
	}
	if c := <-got; c.header.Get("Leadflow-Signature") != "" || c.header.Values("Leadflow-Signature") != nil {
		t.Errorf("unsigned request has signature %q", c.header.Get("Leadflow-Signature"))
	}
}

func TestAttemptClassification(t *testing.T) {
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	backoff := func(n int) time.Time { return t0.Add(webhook.Backoff(n, seeded())) }
	tests := []struct {
		name     string
		status   int
		header   http.Header
		attempts int
		want     webhook.Result // Duration is ignored
	}{
		{"200 done", 200, nil, 0, webhook.Result{Status: 200, Done: true}},
		{"201 done on last attempt", 201, nil, webhook.MaxAttempts - 1, webhook.Result{Status: 201, Done: true}},
		{"500 retried", 500, nil, 0, webhook.Result{Status: 500, Err: "status 500", NextAttempt: backoff(1)}},
		{"502 third attempt", 502, nil, 2, webhook.Result{Status: 502, Err: "status 502", NextAttempt: backoff(3)}},
		{"408 retried", 408, nil, 0, webhook.Result{Status: 408, Err: "status 408", NextAttempt: backoff(1)}},
		{"429 Retry-After honoured", 429, hdr("Retry-After", "120"), 0, webhook.Result{Status: 429, Err: "status 429", NextAttempt: t0.Add(120 * time.Second)}},
		{"503 Retry-After capped", 503, hdr("Retry-After", "86400"), 4, webhook.Result{Status: 503, Err: "status 503", NextAttempt: t0.Add(time.Hour)}},
		{"Retry-After zero", 503, hdr("Retry-After", "0"), 0, webhook.Result{Status: 503, Err: "status 503", NextAttempt: t0}},
		{"Retry-After unparsable uses backoff", 503, hdr("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"), 1, webhook.Result{Status: 503, Err: "status 503", NextAttempt: backoff(2)}},
		{"302 not followed, retried", 302, hdr("Location", "http://127.0.0.1:1/"), 0, webhook.Result{Status: 302, Err: "status 302", NextAttempt: backoff(1)}},
		{"410 dead", 410, nil, 0, webhook.Result{Status: 410, Err: "status 410", Dead: true}},
		{"400 dead", 400, nil, 3, webhook.Result{Status: 400, Err: "status 400", Dead: true}},
		{"404 dead despite Retry-After", 404, hdr("Retry-After", "5"), 0, webhook.Result{Status: 404, Err: "status 404", Dead: true}},
		{"500 at MaxAttempts dead", 500, nil, webhook.MaxAttempts - 1, webhook.Result{Status: 500, Err: "status 500", Dead: true}},
		{"429 at MaxAttempts dead", 429, hdr("Retry-After", "1"), webhook.MaxAttempts - 1, webhook.Result{Status: 429, Err: "status 429", Dead: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := statusServer(t, func(int) (int, http.Header) { return tt.status, tt.header })
			w := newWorker(newQueue(), &fakeClock{now: t0}, webhook.Options{})
			got := w.Attempt(context.Background(), webhook.Delivery{ID: 1, URL: srv.URL, Event: "e", Body: []byte("{}"), Attempts: tt.attempts})
			if got.Duration <= 0 {
				t.Errorf("Duration = %v", got.Duration)
			}
			got.Duration = 0
			if got != tt.want {
				t.Errorf("Result = %+v\nwant     %+v", got, tt.want)
			}
		})
	}
}

func TestAttemptErrBodyTruncated(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.WriteHeader(http.StatusInternalServerError)
		io.WriteString(rw, strings.Repeat("x", 1<<20))
	}))
	defer srv.Close()
	w := newWorker(newQueue(), &fakeClock{now: t0}, webhook.Options{})
	res := w.Attempt(context.Background(), webhook.Delivery{ID: 1, URL: srv.URL})
	if res.Err != strings.Repeat("x", 200) {
		t.Errorf("Err has %d bytes, want 200 x", len(res.Err))
	}

	// An empty error body is described by the status.
	empty := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer empty.Close()
	if res := w.Attempt(context.Background(), webhook.Delivery{ID: 1, URL: empty.URL}); res.Err != "503 Service Unavailable" {
		t.Errorf("Err = %q", res.Err)
	}
}

func TestAttemptNetworkErrors(t *testing.T) {
	clock := &fakeClock{now: t0}

	t.Run("timeout retried", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		w := newWorker(newQueue(), clock, webhook.Options{Timeout: 50 * time.Millisecond})
		res := w.Attempt(context.Background(), webhook.Delivery{ID: 1, URL: srv.URL})
		if res.Status != 0 || res.Done || res.Dead || res.Err == "" || !res.NextAttempt.Equal(t0.Add(webhook.Backoff(1, seeded()))) {
			t.Errorf("Result = %+v", res)
		}
	})

	t.Run("connection refused retried", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		w := newWorker(newQueue(), clock, webhook.Options{})
		res := w.Attempt(context.Background(), webhook.Delivery{ID: 1, URL: url, Attempts: 5})
		if res.Status != 0 || res.Done || res.Dead || res.Err == "" || !res.NextAttempt.Equal(t0.Add(webhook.Backoff(6, seeded()))) {
			t.Errorf("Result = %+v", res)
		}
		res = w.Attempt(context.Background(), webhook.Delivery{ID: 1, URL: url, Attempts: webhook.MaxAttempts - 1})
		if !res.Dead || !res.NextAttempt.IsZero() {
			t.Errorf("last attempt Result = %+v, want dead", res)
		}
	})

	t.Run("invalid URL dead", func(t *testing.T) {
		w := newWorker(newQueue(), clock, webhook.Options{})
		for _, u := range []string{"", "ftp://example.com/x", "http://", "::not a url"} {
			if res := w.Attempt(context.Background(), webhook.Delivery{ID: 1, URL: u}); !res.Dead || res.Err == "" {
				t.Errorf("URL %q: Result = %+v, want dead", u, res)
			}
		}
	})
}

func TestRunRetriesWithBackoffThenSucceeds(t *testing.T) {
	clock := &fakeClock{now: t0}
	srv, hits := statusServer(t, func(n int) (int, http.Header) {
		if n <= 2 {
			return http.StatusInternalServerError, nil
		}
		return http.StatusOK, nil
	})
	q := newQueue(webhook.Delivery{ID: 1, URL: srv.URL, Secret: "k", Event: "lead.mql", Body: []byte(`{}`)})
	w := newWorker(q, clock, webhook.Options{})
	stop := startRun(t, w)
	want := seeded() // replays the worker's jitter

	now := t0
	for attempt := 1; attempt <= 2; attempt++ {
		f := q.waitFinish(t)
		next := now.Add(webhook.Backoff(attempt, want))
		if f.r.Status != 500 || f.r.Done || f.r.Dead || !f.r.NextAttempt.Equal(next) || f.d.Attempts != attempt-1 {
			t.Fatalf("attempt %d: %+v (delivery attempts %d), want 500 retry at %v", attempt, f.r, f.d.Attempts, next)
		}
		// The worker keeps polling but does not retry before the backoff has elapsed.
		q.waitDues(t, 3)
		if n := hits.Load(); n != int64(attempt) {
			t.Fatalf("retried early: %d hits after attempt %d", n, attempt)
		}
		clock.Set(next.Add(-time.Second))
		q.waitDues(t, 3)
		if n := hits.Load(); n != int64(attempt) {
			t.Fatalf("retried a second early: %d hits after attempt %d", n, attempt)
		}
		now = next
		clock.Set(now)
		w.Kick()
	}
	f := q.waitFinish(t)
	if !f.r.Done || f.r.Status != 200 || f.d.Attempts != 2 {
		t.Fatalf("third attempt: %+v", f.r)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n := hits.Load(); n != 3 {
		t.Errorf("hits = %d, want 3", n)
	}
	if got := len(q.log(1)); got != 3 {
		t.Errorf("delivery log has %d entries, want 3", got)
	}
}

func TestRunMaxAttemptsDead(t *testing.T) {
	clock := &fakeClock{now: t0}
	srv, hits := statusServer(t, func(int) (int, http.Header) { return http.StatusBadGateway, nil })
	q := newQueue(webhook.Delivery{ID: 7, URL: srv.URL, Event: "lead.mql", Body: []byte(`{}`)})
	w := newWorker(q, clock, webhook.Options{})
	startRun(t, w)
	for attempt := 1; ; attempt++ {
		f := q.waitFinish(t)
		if f.r.Dead {
			if attempt != webhook.MaxAttempts {
				t.Fatalf("dead after %d attempts, want %d", attempt, webhook.MaxAttempts)
			}
			if !f.r.NextAttempt.IsZero() || f.r.Status != http.StatusBadGateway {
				t.Errorf("final result %+v", f.r)
			}
			break
		}
		if attempt >= webhook.MaxAttempts {
			t.Fatalf("attempt %d not dead: %+v", attempt, f.r)
		}
		clock.Set(f.r.NextAttempt)
		w.Kick()
	}
	// Once dead it is never attempted again, even much later.
	clock.Set(t0.Add(1000 * time.Hour))
	q.waitDues(t, 3)
	if n := hits.Load(); n != webhook.MaxAttempts {
		t.Errorf("hits = %d, want %d", n, webhook.MaxAttempts)
	}
}

func TestRunGoneIsDead(t *testing.T) {
	srv, hits := statusServer(t, func(int) (int, http.Header) { return http.StatusGone, nil })
	q := newQueue(webhook.Delivery{ID: 3, URL: srv.URL, Event: "lead.mql", Body: []byte(`{}`)})
	startRun(t, newWorker(q, &fakeClock{now: t0}, webhook.Options{}))
	f := q.waitFinish(t)
	if !f.r.Dead || f.r.Done || f.r.Status != http.StatusGone || f.r.Err != "status 410" {
		t.Fatalf("Result = %+v, want dead 410", f.r)
	}
	q.waitDues(t, 3)
	if n := hits.Load(); n != 1 {
		t.Errorf("hits = %d, want 1", n)
	}
}

func TestRunSlowReceiverDoesNotBlockFast(t *testing.T) {
	slowEntered := make(chan struct{})
	release := make(chan struct{})
	slowReturned := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		defer close(slowReturned)
		close(slowEntered)
		// Consume the body so the server notices the client hanging up (r.Context() is done).
		io.Copy(io.Discard, r.Body)
		select { // hangs longer than the worker's timeout, until the client gives up
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	fast, _ := statusServer(t, func(int) (int, http.Header) { return http.StatusOK, nil })

	clock := &fakeClock{now: t0}
	// The slow delivery comes first so it is claimed and started first.
	q := newQueue(
		webhook.Delivery{ID: 1, URL: slow.URL, Event: "e", Body: []byte(`{}`)},
		webhook.Delivery{ID: 2, URL: fast.URL, Event: "e", Body: []byte(`{}`)},
	)
	w := newWorker(q, clock, webhook.Options{Timeout: 2 * time.Second})
	startRun(t, w)

	select {
	case <-slowEntered:
	case <-time.After(wait):
		t.Fatal("slow receiver never called")
	}
	f := q.waitFinish(t)
	if f.d.ID != 2 || !f.r.Done {
		t.Fatalf("first finished: delivery %d %+v, want fast delivery 2 done", f.d.ID, f.r)
	}
	select {
	case <-slowReturned:
		t.Fatal("slow receiver returned before the fast delivery completed")
	default: // still hanging: the fast delivery did not wait for it
	}
	if got := q.log(1); len(got) != 0 {
		t.Fatalf("slow delivery finished early: %+v", got)
	}

	// The slow one then times out and is scheduled for a retry.
	f = q.waitFinish(t)
	if f.d.ID != 1 || f.r.Done || f.r.Dead || f.r.Status != 0 || f.r.Err == "" || f.r.NextAttempt.IsZero() {
		t.Fatalf("slow result: delivery %d %+v, want timeout retry", f.d.ID, f.r)
	}
	select {
	case <-slowReturned:
	case <-time.After(wait):
		t.Fatal("slow handler still running after the client timed out")
	}
}

func TestRunExitsOnCancel(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		close(entered)
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	q := newQueue(webhook.Delivery{ID: 1, URL: srv.URL, Event: "e", Body: []byte(`{}`)})
	w := newWorker(q, &fakeClock{now: t0}, webhook.Options{Poll: time.Hour, Timeout: time.Hour})
	stop := startRun(t, w)

	select {
	case <-entered: // first poll happens at once, before any tick
	case <-time.After(wait):
		t.Fatal("delivery not attempted")
	}
	// A second concurrent Run is refused.
	if err := w.Run(context.Background()); !errors.Is(err, webhook.ErrRunning) {
		t.Fatalf("second Run = %v, want ErrRunning", err)
	}
	// Cancel while the attempt is in flight: Run aborts it, waits for it and returns.
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	// The aborted attempt is not recorded; its lease will bring it back.
	if got := q.log(1); len(got) != 0 {
		t.Errorf("aborted attempt recorded: %+v", got)
	}
	select {
	case f := <-q.finished:
		t.Errorf("Finish after Run returned: %+v", f)
	default:
	}

	// Idle Run also exits, and the worker can run again.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(wait):
		t.Fatal("idle Run did not exit")
	}
}

func TestKickWakesRun(t *testing.T) {
	// Kick never blocks and coalesces, whether or not Run is running.
	idle := newWorker(newQueue(), &fakeClock{now: t0}, webhook.Options{})
	for range 10 {
		idle.Kick()
	}

	srv, _ := statusServer(t, func(int) (int, http.Header) { return http.StatusOK, nil })
	q := newQueue()
	w := newWorker(q, &fakeClock{now: t0}, webhook.Options{Poll: time.Hour})
	startRun(t, w)
	q.waitDues(t, 1) // the initial poll; the next tick is an hour away

	q.mu.Lock()
	q.items = append(q.items, &item{d: webhook.Delivery{ID: 9, URL: srv.URL, Event: "e", Body: []byte(`{}`)}, next: t0})
	q.mu.Unlock()
	w.Kick()
	if f := q.waitFinish(t); f.d.ID != 9 || !f.r.Done {
		t.Fatalf("kicked delivery: %+v", f)
	}
}

func TestConcurrencyBounded(t *testing.T) {
	const n = 6
	var cur, peak atomic.Int64
	entered := make(chan struct{}, n)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		c := cur.Add(1)
		for {
			p := peak.Load()
			if c <= p || peak.CompareAndSwap(p, c) {
				break
			}
		}
		entered <- struct{}{}
		<-release
		cur.Add(-1)
	}))
	defer srv.Close()
	var ds []webhook.Delivery
	for i := range n {
		ds = append(ds, webhook.Delivery{ID: int64(i + 1), URL: srv.URL, Event: "e", Body: []byte(`{}`)})
	}
	q := newQueue(ds...)
	startRun(t, newWorker(q, &fakeClock{now: t0}, webhook.Options{Concurrency: 2}))
	for range 2 {
		select {
		case <-entered:
		case <-time.After(wait):
			t.Fatal("deliveries not attempted")
		}
	}
	close(release)
	for range n {
		if f := q.waitFinish(t); !f.r.Done {
			t.Fatalf("delivery %d: %+v", f.d.ID, f.r)
		}
	}
	if p := peak.Load(); p > 2 {
		t.Errorf("receiver saw %d concurrent requests, want <= 2", p)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.maxInFlight != 2 {
		t.Errorf("max claimed and unfinished deliveries = %d, want 2", q.maxInFlight)
	}
}

package notify

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// FanoutConfig configures a fan-out measurement (S-NOTIFY-4, S-PERF-5): Clients SSE
// connections to URL, each waiting for the event a publish function causes.
type FanoutConfig struct {
	// URL is the event stream endpoint.
	URL string
	// Clients is the number of connections (default 1,000).
	Clients int
	// Header, when set, returns extra request headers for client i (0-based), e.g. a rep's
	// bearer token.
	Header func(i int) http.Header
	// Client sends the requests. Default: a client with its own transport, no timeout and no
	// connection limit. Streams are long-lived, so a supplied client must not have a Timeout.
	Client *http.Client
	// Match says which events count as the published one (default: any event but a reset).
	Match func(Event) bool
	// Timeout bounds connecting all clients, and each round's wait for deliveries (default
	// 30 s).
	Timeout time.Duration
	// DialConcurrency bounds connections opened at once (default 64).
	DialConcurrency int
	// Rounds is the number of publishes [MeasureFanout] makes (default 1).
	Rounds int
}

// FanoutResult summarises delivery latency (from just before the publish call to the moment a
// client had parsed the event) over all deliveries of all rounds, and the first-to-last
// spread of each round.
type FanoutResult struct {
	// Clients is the number of connected clients; Rounds the number of publishes measured.
	Clients, Rounds int
	// Deliveries counts received events; Missed counts clients that had not received a
	// round's event when the round timed out.
	Deliveries, Missed int
	// P50, P99 and Max are delivery latency percentiles.
	P50, P99, Max time.Duration
	// Spread is the largest first-to-last delivery spread of a round; SpreadP50 the median.
	Spread, SpreadP50 time.Duration
	// Connect is how long connecting all clients took.
	Connect time.Duration
}

// String formats the result on one line.
func (r FanoutResult) String() string {
	return fmt.Sprintf("%d clients, %d rounds, %d deliveries, %d missed: p50 %v p99 %v max %v, spread max %v p50 %v (connect %v)",
		r.Clients, r.Rounds, r.Deliveries, r.Missed, r.P50, r.P99, r.Max, r.Spread, r.SpreadP50, r.Connect)
}

type receipt struct {
	client int
	id     uint64
	at     time.Time
}

// FanoutProbe is a set of connected SSE clients for repeated fan-out rounds; see
// [ConnectFanout]. Round and Result must not be called concurrently.
type FanoutProbe struct {
	cfg      FanoutConfig
	client   *http.Client
	own      *http.Transport
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	receipts chan receipt
	alive    atomic.Int64

	connect   time.Duration
	lastID    uint64
	marks     []int // round number in which client i last counted
	rounds    int
	latencies []time.Duration
	spreads   []time.Duration
	missed    int
}

// ConnectFanout opens cfg.Clients event streams to cfg.URL and starts reading them. Each
// connection has been answered with 200 and text/event-stream when it returns, so a server
// that subscribes before answering (as [Hub.ServeStream] does) has registered every client.
// Close must be called to release the connections.
func ConnectFanout(ctx context.Context, cfg FanoutConfig) (*FanoutProbe, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 1000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.DialConcurrency <= 0 {
		cfg.DialConcurrency = 64
	}
	if cfg.Match == nil {
		cfg.Match = func(e Event) bool { return e.Type != EventReset }
	}
	p := &FanoutProbe{
		cfg:      cfg,
		client:   cfg.Client,
		receipts: make(chan receipt, 4*cfg.Clients),
		marks:    make([]int, cfg.Clients),
	}
	if p.client == nil {
		p.own = &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			MaxIdleConnsPerHost: cfg.Clients,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
		}
		p.client = &http.Client{Transport: p.own}
	}
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel

	start := time.Now()
	dialCtx, dialCancel := context.WithTimeout(ctx, cfg.Timeout)
	defer dialCancel()
	sem := make(chan struct{}, cfg.DialConcurrency)
	errs := make(chan error, cfg.Clients)
	var dials sync.WaitGroup
	for i := range cfg.Clients {
		select {
		case sem <- struct{}{}:
		case <-dialCtx.Done():
			errs <- dialCtx.Err()
		}
		if dialCtx.Err() != nil {
			break
		}
		dials.Go(func() {
			defer func() { <-sem }()
			if err := p.open(dialCtx, streamCtx, i); err != nil {
				errs <- err
				dialCancel()
			}
		})
	}
	dials.Wait()
	close(errs)
	if err := errors.Join(collect(errs)...); err != nil {
		p.Close()
		return nil, fmt.Errorf("notify: connecting fan-out clients: %w", err)
	}
	p.connect = time.Since(start)
	return p, nil
}

func collect(errs <-chan error) []error {
	var out []error
	for err := range errs {
		if len(out) < 3 { // the first few say enough
			out = append(out, err)
		}
	}
	return out
}

// open connects client i and starts its reader.
func (p *FanoutProbe) open(dialCtx, streamCtx context.Context, i int) error {
	req, err := http.NewRequestWithContext(streamCtx, http.MethodGet, p.cfg.URL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	if p.cfg.Header != nil {
		for k, v := range p.cfg.Header(i) {
			req.Header[k] = v
		}
	}
	// The request lives on streamCtx; only the wait for the response is bounded by dialCtx.
	// If connecting fails or times out while this request waits, every stream is torn down.
	stop := context.AfterFunc(dialCtx, p.cancel)
	resp, err := p.client.Do(req)
	stop()
	if err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || mt != "text/event-stream" {
		resp.Body.Close()
		return fmt.Errorf("client %d: status %d, content type %q", i, resp.StatusCode, mt)
	}
	p.alive.Add(1)
	p.wg.Go(func() {
		defer p.alive.Add(-1)
		defer resp.Body.Close()
		d := NewDecoder(resp.Body)
		for {
			e, err := d.Next()
			if err != nil {
				return
			}
			at := time.Now()
			if p.cfg.Match(e) {
				select {
				case p.receipts <- receipt{client: i, id: e.ID, at: at}:
				case <-streamCtx.Done():
					return
				}
			}
		}
	})
	return nil
}

// Clients returns the number of streams still open.
func (p *FanoutProbe) Clients() int { return int(p.alive.Load()) }

// Round calls publish, which must cause exactly one matching event to be sent to every
// client, and waits until every client has received it or cfg.Timeout passes. The event is
// recognised by its id: the first id received after the previous round's. It returns an error
// when publish fails or some clients missed the event (they are counted in Missed).
func (p *FanoutProbe) Round(ctx context.Context, publish func() error) error {
	p.rounds++
	round := p.rounds
	// Discard leftovers from a previous round that timed out.
	for {
		select {
		case r := <-p.receipts:
			p.lastID = max(p.lastID, r.id)
			continue
		default:
		}
		break
	}
	t0 := time.Now()
	if err := publish(); err != nil {
		return fmt.Errorf("notify: fan-out publish: %w", err)
	}
	timer := time.NewTimer(p.cfg.Timeout)
	defer timer.Stop()
	var id uint64
	var first, last time.Time
	got := 0
	for got < p.cfg.Clients {
		select {
		case r := <-p.receipts:
			if r.id != 0 && r.id <= p.lastID {
				continue // stale
			}
			if id == 0 {
				id = r.id
			}
			if r.id != id || p.marks[r.client] == round {
				continue
			}
			p.marks[r.client] = round
			got++
			p.latencies = append(p.latencies, r.at.Sub(t0))
			if first.IsZero() || r.at.Before(first) {
				first = r.at
			}
			if r.at.After(last) {
				last = r.at
			}
		case <-timer.C:
			p.finishRound(id, first, last, got)
			return fmt.Errorf("notify: fan-out round %d: %d of %d clients received the event within %v", round, got, p.cfg.Clients, p.cfg.Timeout)
		case <-ctx.Done():
			p.finishRound(id, first, last, got)
			return ctx.Err()
		}
	}
	p.finishRound(id, first, last, got)
	return nil
}

func (p *FanoutProbe) finishRound(id uint64, first, last time.Time, got int) {
	p.lastID = max(p.lastID, id)
	p.missed += p.cfg.Clients - got
	if got > 0 {
		p.spreads = append(p.spreads, last.Sub(first))
	}
}

// Result summarises all rounds so far.
func (p *FanoutProbe) Result() FanoutResult {
	r := FanoutResult{Clients: p.cfg.Clients, Rounds: p.rounds, Deliveries: len(p.latencies), Missed: p.missed, Connect: p.connect}
	lat := slices.Clone(p.latencies)
	slices.Sort(lat)
	r.P50, r.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
	}
	sp := slices.Clone(p.spreads)
	slices.Sort(sp)
	r.SpreadP50 = percentile(sp, 0.50)
	if len(sp) > 0 {
		r.Spread = sp[len(sp)-1]
	}
	return r
}

// percentile returns the nearest-rank q-quantile of sorted values.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

// Close closes all streams and waits for the readers to stop.
func (p *FanoutProbe) Close() {
	p.cancel()
	p.wg.Wait()
	if p.own != nil {
		p.own.CloseIdleConnections()
	}
}

// MeasureFanout connects cfg.Clients SSE clients to cfg.URL, runs cfg.Rounds rounds of
// publish (each must cause one event to every client, e.g. releasing a lead to all connected
// reps) and reports delivery latency and spread (S-NOTIFY-4, S-PERF-5). It is what
// `leadflow bench` runs against a live server. The result is returned with an error when a
// round failed.
func MeasureFanout(ctx context.Context, cfg FanoutConfig, publish func() error) (FanoutResult, error) {
	p, err := ConnectFanout(ctx, cfg)
	if err != nil {
		return FanoutResult{}, err
	}
	defer p.Close()
	rounds := max(cfg.Rounds, 1)
	for range rounds {
		if err := p.Round(ctx, publish); err != nil {
			return p.Result(), err
		}
	}
	return p.Result(), nil
}

package bench

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

	"github.com/leadflow/leadflow/notify"
	"github.com/leadflow/leadflow/service"
)

// streamProbe is a set of reps' live streams spread over several nodes, each counting the pool
// offers it receives. It measures what notify.FanoutProbe measures for one node (delivery latency
// and first-to-last spread of an offer), but over streams of different nodes, whose hubs number
// their events independently: an offer is recognised by its lead id, not by the event id.
type streamProbe struct {
	clients int
	node    []int // node of client i
	cancel  context.CancelFunc
	tr      *http.Transport
	wg      sync.WaitGroup
	alive   atomic.Int64

	mu    sync.Mutex
	at    []time.Time // when client i parsed its first offer of the round
	lead  []int64     // that offer's lead
	got   int         // clients that received an offer this round
	extra int         // offers beyond the first of a client in the round (duplicates, strays)
	all   chan struct{}
	// sample is the data of the first offer received, for the size of what crosses nodes.
	sample []byte
}

// connectStreams opens one stream per rep: client i connects to urls[i mod len(urls)] with
// auths[i]. Every stream has been answered with 200 and text/event-stream when it returns (the
// server subscribes before answering, so every client is registered on its node's hub).
func connectStreams(ctx context.Context, urls, auths []string, timeout time.Duration) (*streamProbe, time.Duration, error) {
	n := len(auths)
	p := &streamProbe{clients: n, node: make([]int, n), at: make([]time.Time, n), lead: make([]int64, n), all: make(chan struct{})}
	p.tr = &http.Transport{DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext, MaxIdleConnsPerHost: n,
		DisableCompression: true, ForceAttemptHTTP2: false}
	hc := &http.Client{Transport: p.tr}
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	start := time.Now()
	dialCtx, dialCancel := context.WithTimeout(ctx, timeout)
	defer dialCancel()
	sem := make(chan struct{}, 64)
	var (
		dials sync.WaitGroup
		mu    sync.Mutex
		errs  []error
	)
	for i := range n {
		p.node[i] = i % len(urls)
		select {
		case sem <- struct{}{}:
		case <-dialCtx.Done():
		}
		if dialCtx.Err() != nil {
			break
		}
		dials.Go(func() {
			defer func() { <-sem }()
			if err := p.dial(dialCtx, streamCtx, hc, urls[p.node[i]]+"/api/v1/stream", auths[i], i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				dialCancel()
			}
		})
	}
	dials.Wait()
	if err := errors.Join(errs[:min(len(errs), 3)]...); err != nil || dialCtx.Err() != nil {
		p.close()
		if err == nil {
			err = dialCtx.Err()
		}
		return nil, 0, fmt.Errorf("connecting %d streams: %w", n, err)
	}
	return p, time.Since(start), nil
}

func (p *streamProbe) dial(dialCtx, streamCtx context.Context, hc *http.Client, url, auth string, i int) error {
	req, err := http.NewRequestWithContext(streamCtx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", auth)
	stop := context.AfterFunc(dialCtx, p.cancel) // a stuck connect tears every stream down
	resp, err := hc.Do(req)
	stop()
	if err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || mt != "text/event-stream" {
		resp.Body.Close()
		return fmt.Errorf("stream %d: status %d, content type %q", i, resp.StatusCode, mt)
	}
	p.alive.Add(1)
	p.wg.Go(func() {
		defer p.alive.Add(-1)
		defer resp.Body.Close()
		d := notify.NewDecoder(resp.Body)
		for {
			e, err := d.Next()
			if err != nil {
				return
			}
			if e.Type != service.EventOffer {
				continue
			}
			at := time.Now()
			p.record(i, offerLeadID(e.Data), at, e.Data)
		}
	})
	return nil
}

func (p *streamProbe) record(i int, lead int64, at time.Time, data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sample == nil {
		p.sample = slices.Clone(data)
	}
	if !p.at[i].IsZero() {
		p.extra++
		return
	}
	p.at[i], p.lead[i] = at, lead
	p.got++
	if p.got == p.clients {
		close(p.all)
	}
}

// streamRound is one offer's deliveries.
type streamRound struct {
	sent   time.Time
	lead   int64
	lat    []time.Duration // per client, from sent
	spread time.Duration
}

// round calls create, which must cause one offer to every client and return its lead id, and
// waits until every client has parsed an offer or timeout passes. Latency is from the moment
// create was called. Every client must have received the offer of that lead.
func (p *streamProbe) round(ctx context.Context, timeout time.Duration, create func() (int64, error)) (streamRound, error) {
	p.mu.Lock()
	clear(p.at)
	clear(p.lead)
	p.got, p.extra = 0, 0
	all := make(chan struct{})
	p.all = all
	p.mu.Unlock()
	var out streamRound
	out.sent = time.Now()
	id, err := create()
	if err != nil {
		return out, err
	}
	out.lead = id
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-all:
	case <-timer.C:
	case <-ctx.Done():
		return out, ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.got != p.clients {
		perNode := map[int]int{}
		for i, t := range p.at {
			if t.IsZero() {
				perNode[p.node[i]]++
			}
		}
		return out, fmt.Errorf("%d of %d streams received the offer of lead %d within %s (missing by node: %v)", p.got, p.clients, id, fmtDur(timeout), perNode)
	}
	out.lat = make([]time.Duration, p.clients)
	first, last := p.at[0], p.at[0]
	for i, t := range p.at {
		if p.lead[i] != id {
			return out, fmt.Errorf("stream %d received an offer of lead %d, want lead %d", i, p.lead[i], id)
		}
		out.lat[i] = t.Sub(out.sent)
		first, last = minTime(first, t), maxTime(last, t)
	}
	out.spread = last.Sub(first)
	return out, nil
}

// extras returns the offers received beyond one per client since the round began.
func (p *streamProbe) extras() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.extra
}

// offerData returns the data of an offer the streams received.
func (p *streamProbe) offerData() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sample
}

// streams returns the number of streams still open.
func (p *streamProbe) streams() int { return int(p.alive.Load()) }

func (p *streamProbe) close() {
	p.cancel()
	p.wg.Wait()
	p.tr.CloseIdleConnections()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// byNode splits per-client values by the client's node.
func (p *streamProbe) byNode(vals []time.Duration, nodes int) [][]time.Duration {
	out := make([][]time.Duration, nodes)
	for i, v := range vals {
		out[p.node[i]] = append(out[p.node[i]], v)
	}
	for _, s := range out {
		slices.Sort(s)
	}
	return out
}

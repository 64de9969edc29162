package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// client is the load generator's HTTP client: one shared transport with enough idle keep-alive
// connections for every concurrent worker, so no request pays for a TCP handshake.
type client struct {
	base string
	auth string
	hc   *http.Client
	tr   *http.Transport
}

func newClient(base, secret string, conc int) *client {
	tr := &http.Transport{
		MaxIdleConns:        conc * 2,
		MaxIdleConnsPerHost: conc * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{base: base, auth: "Bearer " + secret, tr: tr, hc: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}
}

func (c *client) close() { c.tr.CloseIdleConnections() }

// post sends body and fails unless the answer has status want; out, when not nil, receives the
// decoded answer.
func (c *client) post(ctx context.Context, path string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", c.auth)
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 400))
		return fmt.Errorf("POST %s: status %d, want %d: %s", path, resp.StatusCode, want, bytes.TrimSpace(b))
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("POST %s: decode answer: %w", path, err)
	}
	return nil
}

// loadStats is the outcome of a closed-loop load run.
type loadStats struct {
	n    int
	wall time.Duration
	lat  []time.Duration // per request, sorted
}

func (s loadStats) rate(units int) float64 { return rate(units, s.wall) }

// pct returns the q-quantile (0 < q ≤ 1) of the latencies, nearest rank.
func (s loadStats) pct(q float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	k := int(float64(len(s.lat))*q+0.999999) - 1
	return s.lat[max(0, min(k, len(s.lat)-1))]
}

// runLoad runs up to n requests on conc workers, each worker sending its next request as soon as
// the previous one is answered. fn performs request i on behalf of worker w and returns the
// latency it measured. With a budget, no request starts after the budget has passed, so the run
// may end early with the prefix of requests [0, stats.n) done. The first failing request stops the
// run and is returned: a benchmark that ignores a failed write measures nothing.
func runLoad(ctx context.Context, n, conc int, budget time.Duration, fn func(ctx context.Context, w, i int) (time.Duration, error)) (loadStats, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(budget)
	for w := range conc {
		wg.Go(func() {
			for ctx.Err() == nil {
				if budget > 0 && time.Now().After(deadline) {
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				d, err := fn(ctx, w, i)
				if err != nil {
					cancel(fmt.Errorf("request %d of %d: %w", i+1, n, err))
					return
				}
				lat[i] = d
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return loadStats{}, err
	}
	done := min(int(next.Load()), n)
	lat = lat[:done]
	slices.Sort(lat)
	return loadStats{n: done, wall: wall, lat: lat}, nil
}

// timed runs f and returns how long it took.
func timed(f func() error) (time.Duration, error) {
	t0 := time.Now()
	err := f()
	return time.Since(t0), err
}

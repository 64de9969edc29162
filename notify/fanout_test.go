package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// fanoutServer serves streams whose rep id comes from the X-Rep header.
func fanoutServer(tb testing.TB, h *Hub) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, _ := strconv.ParseInt(r.Header.Get("X-Rep"), 10, 64)
		h.ServeStream(w, r, Viewer{RepID: rep, Role: RoleRep}, StreamOptions{})
	}))
	tb.Cleanup(srv.Close)
	tb.Cleanup(h.Close)
	return srv
}

func repHeader(i int) http.Header { return http.Header{"X-Rep": {strconv.Itoa(i + 1)}} }

func repIDs(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	return ids
}

// TestMeasureFanout runs the fan-out measurement on loopback (S-NOTIFY-4, S-PERF-5): every
// client receives every round's offer once, and the result adds up.
func TestMeasureFanout(t *testing.T) {
	const clients, rounds = 200, 5
	h := NewHub(HubOptions{Logger: quiet()})
	srv := fanoutServer(t, h)
	ids := repIDs(clients)
	other := 0
	res, err := MeasureFanout(context.Background(), FanoutConfig{
		URL: srv.URL, Clients: clients, Header: repHeader, Rounds: rounds, Timeout: wait,
		Match: func(e Event) bool { return e.Type == "offer" },
	}, func() error {
		// Noise the probe must ignore, then the offer to every rep in one Publish.
		h.Publish("other", nil, ToReps(ids[:other%clients+1]...))
		other++
		h.Publish("offer", []byte(`{"lead_id":42}`), ToReps(ids...))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Clients != clients || res.Rounds != rounds || res.Deliveries != clients*rounds || res.Missed != 0 {
		t.Fatalf("result %+v", res)
	}
	if res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 || res.Spread < res.SpreadP50 {
		t.Fatalf("inconsistent result %+v", res)
	}
	if st := h.Stats(); st.Dropped != 0 {
		t.Fatalf("subscribers dropped: %+v", st)
	}
}

// TestFanoutRoundTimeout counts clients that never get the event as missed.
func TestFanoutRoundTimeout(t *testing.T) {
	h := NewHub(HubOptions{Logger: quiet()})
	srv := fanoutServer(t, h)
	p, err := ConnectFanout(context.Background(), FanoutConfig{URL: srv.URL, Clients: 4, Header: repHeader, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	err = p.Round(context.Background(), func() error {
		h.Publish("offer", nil, ToReps(1, 2, 3)) // rep 4 is not eligible
		return nil
	})
	if err == nil {
		t.Fatal("round succeeded although one client got nothing")
	}
	if r := p.Result(); r.Deliveries != 3 || r.Missed != 1 {
		t.Fatalf("result %+v", r)
	}
	if p.Clients() != 4 {
		t.Fatalf("%d clients connected", p.Clients())
	}
}

// BenchmarkFanout1000 connects 1,000 SSE clients over loopback, publishes one offer addressed
// to all of them per iteration and reports the publish-to-parse latency percentiles and the
// first-to-last spread (S-NOTIFY-4; targets of S-PERF-5: p99 < 50 ms, spread < 25 ms).
func BenchmarkFanout1000(b *testing.B) {
	const clients = 1000
	h := NewHub(HubOptions{Logger: quiet()})
	srv := fanoutServer(b, h)
	p, err := ConnectFanout(context.Background(), FanoutConfig{URL: srv.URL, Clients: clients, Header: repHeader})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ids := repIDs(clients)
	data := []byte(`{"lead_id":42,"company":"Acme Corp","company_size":"51-200","title":"VP Sales","source":"webinar","score":87,"expires_at":"2026-01-01T00:00:00Z"}`)
	for b.Loop() {
		if err := p.Round(context.Background(), func() error {
			h.Publish("offer", data, ToReps(ids...))
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	r := p.Result()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(r.P50), "p50-ms")
	b.ReportMetric(ms(r.P99), "p99-ms")
	b.ReportMetric(ms(r.Spread), "spread-max-ms")
	b.ReportMetric(ms(r.SpreadP50), "spread-p50-ms")
	b.ReportMetric(float64(r.Missed), "missed")
}

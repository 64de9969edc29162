package notify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// wait bounds every blocking receive so a broken stream fails the test instead of hanging it.
const wait = 10 * time.Second

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newHub(t *testing.T, opts HubOptions) *Hub {
	t.Helper()
	opts.Logger = quiet()
	h := NewHub(opts)
	t.Cleanup(h.Close)
	return h
}

// streamServer serves hub streams on loopback; the viewer comes from the query (rep, role,
// team), standing in for authentication. Every ServeStream result is sent to the returned
// channel.
func streamServer(t *testing.T, h *Hub, opts StreamOptions) (*httptest.Server, <-chan error) {
	t.Helper()
	ends := make(chan error, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		rep, _ := strconv.ParseInt(q.Get("rep"), 10, 64)
		team, _ := strconv.ParseInt(q.Get("team"), 10, 64)
		err := h.ServeStream(w, r, Viewer{RepID: rep, Role: q.Get("role"), TeamID: team}, opts)
		select {
		case ends <- err:
		default:
		}
	}))
	// Cleanups run last-in first-out: the hub closes (ending every stream) before the server.
	t.Cleanup(srv.Close)
	t.Cleanup(h.Close)
	return srv, ends
}

// client is one SSE connection whose events arrive on a channel.
type client struct {
	events   chan Event
	comments atomic.Int64
	done     chan error
	cancel   context.CancelFunc
}

func connect(t *testing.T, url string, header http.Header) *client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	c := &client{events: make(chan Event, 1000), done: make(chan error, 1), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		d := NewDecoder(resp.Body)
		d.OnComment = func(string) { c.comments.Add(1) }
		for {
			e, err := d.Next()
			if err != nil {
				close(c.events)
				c.done <- err
				return
			}
			c.events <- e
		}
	}()
	t.Cleanup(cancel)
	return c
}

func (c *client) next(t *testing.T) Event {
	t.Helper()
	select {
	case e, ok := <-c.events:
		if !ok {
			t.Fatal("stream ended")
		}
		return e
	case <-time.After(wait):
		t.Fatal("timed out waiting for an event")
		return Event{}
	}
}

// until collects event types up to and including one of type last.
func (c *client) until(t *testing.T, last string) []string {
	t.Helper()
	var types []string
	for {
		e := c.next(t)
		types = append(types, e.Type)
		if e.Type == last {
			return types
		}
	}
}

func TestAudienceIncludes(t *testing.T) {
	rep := Viewer{RepID: 1, Role: RoleRep, TeamID: 10}
	mgr := Viewer{Role: RoleManager, TeamID: 10}
	admin := Viewer{Role: RoleAdmin}
	other := Viewer{RepID: 2, Role: RoleRep, TeamID: 20}
	for _, tc := range []struct {
		name string
		a    Audience
		want []bool // rep, mgr, admin, other
	}{
		{"everyone", ToEveryone(), []bool{true, true, true, true}},
		{"managers", ToManagers(), []bool{false, true, true, false}},
		{"rep 1", ToReps(1), []bool{true, false, false, false}},
		{"team 10", ToTeams(10), []bool{true, true, false, false}},
		{"rep 0 matches no one", ToReps(0), []bool{false, false, false, false}},
		{"nobody", Audience{}, []bool{false, false, false, false}},
	} {
		for i, v := range []Viewer{rep, mgr, admin, other} {
			if got := tc.a.Includes(v); got != tc.want[i] {
				t.Errorf("%s: Includes(%+v) = %v", tc.name, v, got)
			}
		}
	}
}

// TestStreamFiltering checks audience filtering end to end over loopback HTTP (S-NOTIFY-1):
// everyone, managers (and admins), specific reps, teams, and de-duplication of a subscriber
// addressed twice.
func TestStreamFiltering(t *testing.T) {
	h := newHub(t, HubOptions{})
	srv, _ := streamServer(t, h, StreamOptions{})
	rep1 := connect(t, srv.URL+"?rep=1&role=rep&team=10", nil)
	rep2 := connect(t, srv.URL+"?rep=2&role=rep&team=20", nil)
	mgr := connect(t, srv.URL+"?role=manager&team=10", nil)
	admin := connect(t, srv.URL+"?role=admin", nil)

	h.Publish("all", []byte(`{}`), ToEveryone())
	h.Publish("managers", []byte(`{}`), ToManagers())
	h.Publish("rep2", []byte(`{}`), ToReps(2))
	h.Publish("team10", []byte(`{}`), ToTeams(10))
	h.Publish("offer", []byte(`{"lead_id":1}`), Audience{RepIDs: []int64{1, 2}, TeamIDs: []int64{10}})
	h.Publish("nobody", []byte(`{}`), Audience{})
	h.Publish("end", nil, ToEveryone())

	for name, tc := range map[string]struct {
		c    *client
		want []string
	}{
		"rep1":  {rep1, []string{"all", "team10", "offer", "end"}},
		"rep2":  {rep2, []string{"all", "rep2", "offer", "end"}},
		"mgr":   {mgr, []string{"all", "managers", "team10", "offer", "end"}},
		"admin": {admin, []string{"all", "managers", "end"}},
	} {
		if got := tc.c.until(t, "end"); !slices.Equal(got, tc.want) {
			t.Errorf("%s received %v, want %v", name, got, tc.want)
		}
	}
	st := h.Stats()
	if st.Published != 7 || st.Subscribers != 4 || st.Delivered != 4+2+1+2+3+4 {
		t.Errorf("stats %+v", st)
	}
}

// TestResume checks Last-Event-ID resumption (header and query parameter): a reconnecting
// client gets exactly what it missed that was addressed to it, then live events, in order.
func TestResume(t *testing.T) {
	h := newHub(t, HubOptions{})
	srv, _ := streamServer(t, h, StreamOptions{})
	url := srv.URL + "?rep=1&role=rep"

	c := connect(t, url, nil)
	e1 := h.Publish("e1", []byte(`1`), ToReps(1))
	if got := c.next(t); got.ID != e1.ID || got.Type != "e1" || string(got.Data) != "1" {
		t.Fatalf("first event %+v, published %+v", got, e1)
	}
	c.cancel()

	h.Publish("e2", []byte(`2`), ToReps(2)) // not for rep 1
	e3 := h.Publish("e3", []byte(`3`), ToReps(1))
	e4 := h.Publish("e4", []byte(`4`), ToEveryone())

	c = connect(t, url, http.Header{"Last-Event-Id": {strconv.FormatUint(e1.ID, 10)}})
	for _, want := range []Event{e3, e4} {
		if got := c.next(t); got.ID != want.ID || got.Type != want.Type {
			t.Fatalf("replayed %d %s, want %d %s", got.ID, got.Type, want.ID, want.Type)
		}
	}
	e5 := h.Publish("e5", []byte(`5`), ToReps(1))
	if got := c.next(t); got.ID != e5.ID {
		t.Fatalf("live event %d, want %d", got.ID, e5.ID)
	}
	c.cancel()

	// The query parameter, for clients that cannot set headers.
	c = connect(t, url+"&last_event_id="+strconv.FormatUint(e3.ID, 10), nil)
	for _, want := range []uint64{e4.ID, e5.ID} {
		if got := c.next(t); got.ID != want {
			t.Fatalf("replayed %d, want %d", got.ID, want)
		}
	}
	// Resuming from the latest id replays nothing.
	c.cancel()
	c = connect(t, url+"&last_event_id="+strconv.FormatUint(e5.ID, 10), nil)
	e6 := h.Publish("e6", nil, ToEveryone())
	if got := c.next(t); got.ID != e6.ID {
		t.Fatalf("got %d, want %d", got.ID, e6.ID)
	}
}

// TestResumeReset checks that an id older than the buffer, newer than the hub or malformed
// yields a reset event carrying the hub's latest id, after which live events follow.
func TestResumeReset(t *testing.T) {
	h := newHub(t, HubOptions{BufferSize: 5})
	srv, _ := streamServer(t, h, StreamOptions{})
	url := srv.URL + "?rep=1&role=rep"
	first := h.Publish("old", nil, ToEveryone())
	for range 10 {
		h.Publish("filler", nil, ToEveryone())
	}
	for _, tc := range []struct{ lastID, reason string }{
		{strconv.FormatUint(first.ID, 10), ResetOverflow},
		{strconv.FormatUint(h.LastID()+100, 10), ResetUnknown},
		{"not-a-number", ResetUnknown},
		{"17", ResetUnknown}, // from before a restart: older than any id of this hub
	} {
		c := connect(t, url, http.Header{"Last-Event-Id": {tc.lastID}})
		last := h.LastID()
		e := c.next(t)
		if e.Type != EventReset || e.ID != last {
			t.Fatalf("Last-Event-ID %s: got %s %d, want reset %d", tc.lastID, e.Type, e.ID, last)
		}
		var body struct {
			Reason      string `json:"reason"`
			LastEventID string `json:"last_event_id"`
		}
		if err := json.Unmarshal(e.Data, &body); err != nil || body.Reason != tc.reason || body.LastEventID != strconv.FormatUint(last, 10) {
			t.Fatalf("reset data %s (%v), want reason %s", e.Data, err, tc.reason)
		}
		live := h.Publish("live", nil, ToReps(1))
		if got := c.next(t); got.ID != live.ID || live.ID != last+1 {
			t.Fatalf("after reset got %d, want %d", got.ID, live.ID)
		}
		c.cancel()
	}
	// A buffered id just at the edge still resumes.
	oldest := h.LastID() - 4
	if r := h.Since(Viewer{RepID: 1}, oldest-1); r.Reset || len(r.Events) != 5 {
		t.Fatalf("edge of buffer: %+v", r)
	}
	if r := h.Since(Viewer{RepID: 1}, oldest-2); !r.Reset || r.Reason != ResetOverflow {
		t.Fatalf("past the edge: %+v", r)
	}
	if st := h.Stats(); st.Resets != 5 || st.Buffered != 5 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSlowSubscriberDropped checks that a subscriber that does not read is disconnected when its
// buffer fills, without Publish ever blocking and without delaying anyone else (S-NOTIFY-4).
func TestSlowSubscriberDropped(t *testing.T) {
	h := newHub(t, HubOptions{SubscriberBuffer: 4})
	srv, _ := streamServer(t, h, StreamOptions{})
	fast := connect(t, srv.URL+"?rep=2&role=rep", nil)
	slow, err := h.Subscribe(Viewer{RepID: 1, Role: RoleRep})
	if err != nil {
		t.Fatal(err)
	}
	// Lockstep with the fast client, so only the slow one can fall behind.
	for i := range 10 {
		start := time.Now()
		h.Publish("e", []byte(strconv.Itoa(i)), ToEveryone())
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Fatalf("Publish took %v", d)
		}
		if e := fast.next(t); string(e.Data) != strconv.Itoa(i) {
			t.Fatalf("fast subscriber got %q, want %d", e.Data, i)
		}
	}
	n := 0
	for range slow.Events() {
		n++
	}
	if n != 4 || !errors.Is(slow.Err(), ErrSlowConsumer) {
		t.Fatalf("slow subscriber got %d events, err %v", n, slow.Err())
	}
	if st := h.Stats(); st.Dropped != 1 || st.Subscribers != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSlowHTTPClientDropped is the same over real connections: a client that connects and
// never reads makes its handler block once the socket buffers are full; the hub drops it and
// the handler ends, while a reading client receives every event promptly and Publish stays
// fast throughout.
func TestSlowHTTPClientDropped(t *testing.T) {
	h := newHub(t, HubOptions{SubscriberBuffer: 16})
	srv, ends := streamServer(t, h, StreamOptions{WriteTimeout: 300 * time.Millisecond, Heartbeat: -1})

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /?rep=1&role=rep HTTP/1.1\r\nHost: x\r\n\r\n")
	// Wait for the headers only, then never read again.
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, "200") {
		t.Fatalf("slow client: %q %v", line, err)
	}

	fast := connect(t, srv.URL+"?rep=2&role=rep", nil)
	payload := []byte(`"` + strings.Repeat("x", 64<<10) + `"`)
	var slowest time.Duration
	for i := range 200 {
		start := time.Now()
		e := h.Publish("big", payload, ToEveryone())
		slowest = max(slowest, time.Since(start))
		got := fast.next(t)
		if got.ID != e.ID || len(got.Data) != len(payload) {
			t.Fatalf("event %d: fast client got id %d (%d bytes), want %d", i, got.ID, len(got.Data), e.ID)
		}
	}
	if slowest > 200*time.Millisecond {
		t.Errorf("slowest Publish took %v", slowest)
	}
	if st := h.Stats(); st.Dropped != 1 {
		t.Fatalf("stats %+v: the non-reading client was not dropped", st)
	}
	select {
	case err := <-ends:
		if err == nil {
			t.Fatal("slow handler ended without an error")
		}
	case <-time.After(wait):
		t.Fatal("slow client's handler did not end")
	}
}

// TestHeartbeat checks keep-alive comments on an idle stream.
func TestHeartbeat(t *testing.T) {
	h := newHub(t, HubOptions{})
	srv, _ := streamServer(t, h, StreamOptions{Heartbeat: 20 * time.Millisecond, Retry: 1500 * time.Millisecond})
	resp, err := http.Get(srv.URL + "?rep=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	d := NewDecoder(resp.Body)
	comments := make(chan string, 100)
	d.OnComment = func(s string) { comments <- s }
	go func() {
		for {
			if _, err := d.Next(); err != nil {
				return
			}
		}
	}()
	for range 3 {
		select {
		case s := <-comments:
			if s != "keep-alive" {
				t.Fatalf("comment %q", s)
			}
		case <-time.After(wait):
			t.Fatal("no heartbeat")
		}
	}
	h.Close()
}

// TestHubClose ends open streams and refuses new ones with 503.
func TestHubClose(t *testing.T) {
	h := newHub(t, HubOptions{})
	srv, ends := streamServer(t, h, StreamOptions{})
	c := connect(t, srv.URL+"?rep=1", nil)
	h.Close()
	select {
	case err := <-c.done:
		if err != io.EOF {
			t.Fatalf("stream ended with %v", err)
		}
	case <-time.After(wait):
		t.Fatal("stream still open after Close")
	}
	if err := <-ends; !errors.Is(err, ErrHubClosed) {
		t.Fatalf("ServeStream returned %v", err)
	}
	resp, err := http.Get(srv.URL + "?rep=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d after Close", resp.StatusCode)
	}
	if e := h.Publish("x", nil, ToEveryone()); e.ID != 0 {
		t.Fatalf("Publish after Close assigned id %d", e.ID)
	}
}

// TestPublishConcurrent publishes from several goroutines while subscribers come and go, for
// the race detector, and checks each subscriber sees increasing ids.
func TestPublishConcurrent(t *testing.T) {
	h := newHub(t, HubOptions{BufferSize: 1000, SubscriberBuffer: 1000})
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for i := range 200 {
				h.Publish("e", nil, Audience{RepIDs: []int64{int64(i % 8)}, TeamIDs: []int64{int64(p)}})
			}
		})
	}
	for r := range 8 {
		wg.Go(func() {
			for range 20 {
				s, replay, err := h.SubscribeFrom(Viewer{RepID: int64(r), TeamID: int64(r % 4)}, h.LastID())
				if err != nil || replay.Reset {
					t.Errorf("subscribe: %v %+v", err, replay)
					return
				}
				var last uint64
				for range 5 {
					select {
					case e := <-s.Events():
						if e.ID <= last {
							t.Errorf("ids out of order: %d after %d", e.ID, last)
						}
						last = e.ID
					case <-time.After(10 * time.Millisecond):
					}
				}
				s.Close()
				h.Stats()
			}
		})
	}
	wg.Wait()
	if st := h.Stats(); st.Published != 800 || st.Subscribers != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestStartIDAfterRestart(t *testing.T) {
	a := NewHub(HubOptions{Logger: quiet()})
	e := a.Publish("x", nil, ToEveryone())
	a.Close()
	b := NewHub(HubOptions{Logger: quiet()})
	defer b.Close()
	// Ids are time-based, so the old hub's ids are below the new hub's first: unknown, reset.
	if r := b.Since(Viewer{RepID: 1}, e.ID); !r.Reset || r.Reason != ResetUnknown {
		t.Fatalf("id %d from the previous hub (new hub starts after %d): %+v", e.ID, b.LastID(), r)
	}
	c := NewHub(HubOptions{StartID: 41, Logger: quiet()})
	defer c.Close()
	if e := c.Publish("x", nil, ToEveryone()); e.ID != 42 {
		t.Fatalf("first id %d, want 42", e.ID)
	}
}

package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow/notify/webpush"
)

var now0 = time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)

func fixedNow() time.Time { return now0 }

func sampleOffer() Offer {
	return Offer{
		LeadID: 42, Company: "Acme Corp", CompanySize: "51-200 employees", ContactTitle: "VP Sales",
		Source: "webinar", Score: 91, Band: "hotband", ExpiresAt: now0.Add(4*time.Minute + 30*time.Second),
		ClaimURL: "https://app.example/pool/42",
	}
}

// request is what a receiver saw.
type request struct {
	header http.Header
	body   []byte
	form   url.Values
	user   string
	pass   string
	at     time.Time
}

// receiver is a loopback HTTP endpoint answering with status(n) for the n-th request (1-based).
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []request
	hits atomic.Int64
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(rc.hits.Add(1))
		body, _ := io.ReadAll(r.Body)
		req := request{header: r.Header.Clone(), body: body, at: time.Now()}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			req.form, _ = url.ParseQuery(string(body))
		}
		req.user, req.pass, _ = r.BasicAuth()
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, req)
		rc.mu.Unlock()
		code := http.StatusOK
		if status != nil {
			code = status(n)
		}
		w.WriteHeader(code)
		io.WriteString(w, http.StatusText(code))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// hungReceiver never answers until the client gives up or the test ends.
func hungReceiver(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv
}

// results collects OnResult calls.
type results struct {
	mu  sync.Mutex
	all []Result
	ch  chan Result
}

func newResults() *results { return &results{ch: make(chan Result, 100)} }

func (r *results) on(res Result) {
	r.mu.Lock()
	r.all = append(r.all, res)
	r.mu.Unlock()
	r.ch <- res
}

func (r *results) next(t *testing.T) Result {
	t.Helper()
	select {
	case res := <-r.ch:
		return res
	case <-time.After(wait):
		t.Fatal("timed out waiting for a result")
		return Result{}
	}
}

func newDispatcher(t *testing.T, opts DispatcherOptions, chans ...Channel) *Dispatcher {
	t.Helper()
	opts.Logger = quiet()
	if opts.Backoff == nil {
		opts.Backoff = func(int) time.Duration { return 5 * time.Millisecond }
	}
	d, err := NewDispatcher(opts, chans...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		d.Close(ctx)
	})
	return d
}

func TestOfferRendering(t *testing.T) {
	o := sampleOffer()
	if got := o.Summary(now0); got != "51-200 employees · VP Sales · via webinar · score 91 (hotband) · 4m 30s left to claim" {
		t.Errorf("Summary %q", got)
	}
	for d, want := range map[time.Duration]string{
		0: "expired", 45 * time.Second: "45s", 4*time.Minute + 30*time.Second: "4m 30s",
		90 * time.Minute: "1h 30m", -time.Second: "expired",
	} {
		if got := FormatTimeLeft(d); got != want {
			t.Errorf("FormatTimeLeft(%v) = %q, want %q", d, got, want)
		}
	}
	if got := o.SMSText(now0); got != "Lead: Acme Corp (51-200 employees), VP Sales, webinar, score 91 (hotband). 4m 30s to claim: https://app.example/pool/42" {
		t.Errorf("SMSText %q", got)
	}
	long := o
	long.Company = strings.Repeat("Very Long Company Name ", 10)
	long.ContactTitle = strings.Repeat("Senior Vice President ", 5)
	s := long.SMSText(now0)
	if n := len([]rune(s)); n > SMSLimit || !strings.HasSuffix(s, "4m 30s to claim: https://app.example/pool/42") || !strings.Contains(s, "score 91") {
		t.Errorf("long SMS (%d chars): %q", n, s)
	}
}

// TestSlackPayload checks the Slack incoming webhook shape (S-NOTIFY-1/2) and that lead text
// cannot inject mentions or links.
func TestSlackPayload(t *testing.T) {
	rc := newReceiver(t, nil)
	o := sampleOffer()
	o.Company = "<!channel> Acme & Co"
	status, err := (&Slack{URL: rc.srv.URL, Now: fixedNow}).Send(context.Background(), "", o)
	if err != nil || status != 200 {
		t.Fatalf("Send: %d %v", status, err)
	}
	req := rc.requests()[0]
	if ct := req.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	var msg struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text *struct {
				Type, Text string
			} `json:"text"`
			Fields []struct {
				Type, Text string
			} `json:"fields"`
			Elements []struct {
				Type  string `json:"type"`
				URL   string `json:"url"`
				Style string `json:"style"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(req.body, &msg); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(req.body), "<!channel>") {
		t.Fatalf("unescaped mention in %s", req.body)
	}
	if !strings.Contains(msg.Text, "&lt;!channel&gt; Acme &amp; Co") || !strings.Contains(msg.Text, "<https://app.example/pool/42|Claim>") {
		t.Fatalf("text %q", msg.Text)
	}
	if len(msg.Blocks) != 3 || msg.Blocks[0].Type != "section" || msg.Blocks[1].Type != "section" || msg.Blocks[2].Type != "actions" {
		t.Fatalf("blocks %s", req.body)
	}
	var fields []string
	for _, f := range msg.Blocks[1].Fields {
		if f.Type != "mrkdwn" {
			t.Errorf("field type %q", f.Type)
		}
		fields = append(fields, f.Text)
	}
	want := []string{"*Company size*\n51-200 employees", "*Contact*\nVP Sales", "*Source*\nwebinar", "*Score*\n91 (hotband)", "*Time left to claim*\n4m 30s"}
	if strings.Join(fields, "|") != strings.Join(want, "|") {
		t.Errorf("fields %q", fields)
	}
	if b := msg.Blocks[2].Elements[0]; b.Type != "button" || b.URL != o.ClaimURL || b.Style != "primary" {
		t.Errorf("button %+v", b)
	}
}

// TestTeamsPayload checks the Adaptive Card envelope for Teams webhooks (S-NOTIFY-1/2).
func TestTeamsPayload(t *testing.T) {
	rc := newReceiver(t, nil)
	o := sampleOffer()
	o.Company = "Acme [click](https://evil.example)"
	if _, err := (&Teams{Now: fixedNow}).Send(context.Background(), rc.srv.URL, o); err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Type    string `json:"type"`
				Version string `json:"version"`
				Body    []struct {
					Type  string `json:"type"`
					Text  string `json:"text"`
					Facts []struct{ Title, Value string }
				} `json:"body"`
				Actions []struct{ Type, Title, URL string } `json:"actions"`
			} `json:"content"`
		} `json:"attachments"`
	}
	body := rc.requests()[0].body
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Type != "message" || len(msg.Attachments) != 1 || msg.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("envelope %s", body)
	}
	c := msg.Attachments[0].Content
	if c.Type != "AdaptiveCard" || c.Version != "1.4" || len(c.Body) != 2 || c.Body[1].Type != "FactSet" {
		t.Fatalf("card %s", body)
	}
	if c.Body[0].Text != "New lead: Acme [click] (https://evil.example)" {
		t.Errorf("title %q", c.Body[0].Text)
	}
	facts := map[string]string{}
	for _, f := range c.Body[1].Facts {
		facts[f.Title] = f.Value
	}
	if facts["Score"] != "91 (hotband)" || facts["Time left to claim"] != "4m 30s" || facts["Contact"] != "VP Sales" {
		t.Errorf("facts %v", facts)
	}
	if len(c.Actions) != 1 || c.Actions[0].Type != "Action.OpenUrl" || c.Actions[0].URL != o.ClaimURL {
		t.Errorf("actions %+v", c.Actions)
	}
}

// TestSMSGateway checks the Twilio-style form POST: To, From, Body, basic auth, and a body of
// at most 160 characters (S-NOTIFY-1).
func TestSMSGateway(t *testing.T) {
	rc := newReceiver(t, func(int) int { return http.StatusCreated })
	sms := &SMS{URL: rc.srv.URL + "/2010-04-01/Accounts/AC123/Messages.json", AccountSID: "AC123", AuthToken: "tok", From: "+15550001111", Now: fixedNow}
	status, err := sms.Send(context.Background(), "+15552223333", sampleOffer())
	if err != nil || status != http.StatusCreated {
		t.Fatalf("Send: %d %v", status, err)
	}
	req := rc.requests()[0]
	if req.user != "AC123" || req.pass != "tok" {
		t.Errorf("basic auth %q:%q", req.user, req.pass)
	}
	if req.form.Get("To") != "+15552223333" || req.form.Get("From") != "+15550001111" {
		t.Errorf("form %v", req.form)
	}
	if b := req.form.Get("Body"); len([]rune(b)) > SMSLimit || !strings.Contains(b, "Acme Corp") || !strings.Contains(b, o42) {
		t.Errorf("body %q", b)
	}
	if got := TwilioURL("AC123"); got != "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json" {
		t.Errorf("TwilioURL %q", got)
	}
	if _, err := sms.Send(context.Background(), "", sampleOffer()); !errors.Is(err, ErrPermanent) {
		t.Errorf("empty recipient: %v", err)
	}
}

const o42 = "https://app.example/pool/42"

// liveOffer is sampleOffer with a claim window open on the real clock, for the dispatcher.
func liveOffer() Offer {
	o := sampleOffer()
	o.ExpiresAt = time.Now().Add(5 * time.Minute)
	return o
}

// TestBlindOfferNeverShowsScore renders a blind offer for every channel and checks that
// neither the score nor the band appears anywhere (S-NOTIFY-2, S-SEC-2).
func TestBlindOfferNeverShowsScore(t *testing.T) {
	o := sampleOffer()
	o.Blind = true
	check := func(what, s string) {
		t.Helper()
		for _, leak := range []string{"91", "hotband", "score", "Score"} {
			if strings.Contains(s, leak) {
				t.Errorf("%s of a blind offer contains %q: %s", what, leak, s)
			}
		}
	}
	check("Summary", o.Summary(now0))
	check("SMSText", o.SMSText(now0))
	for _, f := range o.Facts(now0) {
		check("Facts", f.Label+" "+f.Value)
	}
	for name, render := range map[string]func(time.Time) ([]byte, error){
		"SlackPayload": o.SlackPayload, "TeamsPayload": o.TeamsPayload, "PushPayload": o.PushPayload,
	} {
		b, err := render(now0)
		if err != nil {
			t.Fatal(err)
		}
		check(name, string(b))
	}
	// And on the wire.
	rc := newReceiver(t, nil)
	for _, c := range []Channel{&Slack{Now: fixedNow}, &Teams{Now: fixedNow}} {
		if _, err := c.Send(context.Background(), rc.srv.URL, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := (&SMS{URL: rc.srv.URL, Now: fixedNow}).Send(context.Background(), "+1555", o); err != nil {
		t.Fatal(err)
	}
	for _, r := range rc.requests() {
		check("request", string(r.body))
	}
	// The same offer not blind does show it.
	o.Blind = false
	if !strings.Contains(o.SMSText(now0), "score 91") {
		t.Error("score missing from a non-blind offer")
	}
}

// TestHungChannelDoesNotDelayOthers checks that a receiver that never answers delays neither
// the caller nor another channel (S-NOTIFY-1): with Slack hung, the Teams delivery enqueued
// after three Slack deliveries arrives at once.
func TestHungChannelDoesNotDelayOthers(t *testing.T) {
	hung := hungReceiver(t)
	fast := newReceiver(t, nil)
	res := newResults()
	d := newDispatcher(t, DispatcherOptions{Workers: 1, Timeout: 5 * time.Second, OnResult: res.on},
		&Slack{URL: hung.URL}, &Teams{URL: fast.srv.URL})

	start := time.Now()
	for i := range 3 {
		if err := d.Enqueue(Delivery{Ref: "s" + string(rune('0'+i)), Channel: ChannelSlack, Offer: liveOffer()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Enqueue(Delivery{Ref: "t", Channel: ChannelTeams, Offer: liveOffer()}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 50*time.Millisecond {
		t.Errorf("Enqueue took %v", el)
	}
	r := res.next(t)
	if r.Ref != "t" || !r.OK || r.Status != 200 || r.Attempts != 1 {
		t.Fatalf("first result %+v", r)
	}
	if el := r.SentAt.Sub(start); el > time.Second {
		t.Fatalf("teams delivery took %v behind a hung slack receiver", el)
	}
	if at := fast.requests()[0].at; at.Sub(start) > time.Second {
		t.Fatalf("teams receiver hit after %v", at.Sub(start))
	}
	if !r.QueuedAt.After(start.Add(-time.Millisecond)) || r.SentAt.Before(r.QueuedAt) {
		t.Errorf("timestamps queued %v sent %v", r.QueuedAt, r.SentAt)
	}

	// Close gives up after its deadline: the hung attempt is cancelled and the waiting slack
	// deliveries are reported as not sent.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	closeStart := time.Now()
	if err := d.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v", err)
	}
	if el := time.Since(closeStart); el > 2*time.Second {
		t.Fatalf("Close took %v", el)
	}
	for range 3 {
		r := res.next(t)
		if r.Channel != ChannelSlack || r.OK || !errors.Is(r.Err, ErrClosed) || !r.SentAt.IsZero() {
			t.Fatalf("slack result %+v", r)
		}
	}
	if err := d.Enqueue(Delivery{Channel: ChannelTeams}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue after Close: %v", err)
	}
}

// TestRetries checks retries with backoff on 5xx, no retry on other 4xx, and Retry-After.
func TestRetries(t *testing.T) {
	flaky := newReceiver(t, func(n int) int {
		if n < 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	bad := newReceiver(t, func(int) int { return http.StatusBadRequest })
	res := newResults()
	var delays []int
	var mu sync.Mutex
	d := newDispatcher(t, DispatcherOptions{OnResult: res.on, Backoff: func(a int) time.Duration {
		mu.Lock()
		delays = append(delays, a)
		mu.Unlock()
		return time.Millisecond
	}}, &Slack{URL: flaky.srv.URL}, &Teams{URL: bad.srv.URL})

	d.Enqueue(Delivery{Ref: "flaky", Channel: ChannelSlack, Offer: liveOffer()})
	r := res.next(t)
	if !r.OK || r.Attempts != 3 || r.Status != 200 || r.Err != nil || flaky.hits.Load() != 3 {
		t.Fatalf("flaky: %+v after %d hits", r, flaky.hits.Load())
	}
	mu.Lock()
	if len(delays) != 2 || delays[0] != 1 || delays[1] != 2 {
		t.Errorf("backoff called with %v", delays)
	}
	mu.Unlock()

	d.Enqueue(Delivery{Ref: "bad", Channel: ChannelTeams, Offer: liveOffer()})
	r = res.next(t)
	var se *StatusError
	if r.OK || r.Attempts != 1 || !errors.Is(r.Err, ErrPermanent) || !errors.As(r.Err, &se) || se.Status != 400 {
		t.Fatalf("bad: %+v", r)
	}
	st := d.Stats()
	if st[ChannelSlack].Sent != 1 || st[ChannelSlack].Retries != 2 || st[ChannelTeams].Failed != 1 {
		t.Errorf("stats %+v", st)
	}

	// Exhausted attempts.
	down := newReceiver(t, func(int) int { return http.StatusBadGateway })
	d2 := newDispatcher(t, DispatcherOptions{OnResult: res.on, MaxAttempts: 2}, &Slack{URL: down.srv.URL})
	d2.Enqueue(Delivery{Ref: "down", Channel: ChannelSlack, Offer: liveOffer()})
	if r := res.next(t); r.OK || r.Attempts != 2 || r.Status != 502 || !Retryable(r.Err) {
		t.Fatalf("down: %+v", r)
	}
}

// blockingChannel holds every Send until its context ends.
type blockingChannel struct{ started chan struct{} }

func (blockingChannel) Name() string { return "block" }
func (b blockingChannel) Send(ctx context.Context, _ string, _ Offer) (int, error) {
	b.started <- struct{}{}
	<-ctx.Done()
	return 0, ctx.Err()
}

func TestQueueFullAndUnknownChannel(t *testing.T) {
	b := blockingChannel{started: make(chan struct{}, 10)}
	d := newDispatcher(t, DispatcherOptions{QueueSize: 1, Workers: 1, Timeout: time.Minute}, b)
	if err := d.Enqueue(Delivery{Channel: "block"}); err != nil {
		t.Fatal(err)
	}
	<-b.started // the worker holds the first one
	if err := d.Enqueue(Delivery{Channel: "block"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Enqueue(Delivery{Channel: "block"}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third delivery: %v", err)
	}
	if err := d.Enqueue(Delivery{Channel: "pigeon"}); !errors.Is(err, ErrUnknownChannel) {
		t.Fatalf("unknown channel: %v", err)
	}
	if st := d.Stats()["block"]; st.Rejected != 1 || st.Queued != 2 || st.Enqueued != 2 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := NewDispatcher(DispatcherOptions{}, b, b); err == nil {
		t.Fatal("duplicate channel names accepted")
	}
}

// TestExpiredOfferNotSent: an offer whose claim window has closed is not delivered.
func TestExpiredOfferNotSent(t *testing.T) {
	rc := newReceiver(t, nil)
	res := newResults()
	d := newDispatcher(t, DispatcherOptions{OnResult: res.on}, &Slack{URL: rc.srv.URL})
	o := sampleOffer()
	o.ExpiresAt = time.Now().Add(-time.Second)
	d.Enqueue(Delivery{Channel: ChannelSlack, Offer: o})
	if r := res.next(t); r.OK || r.Attempts != 0 || !errors.Is(r.Err, ErrExpired) || rc.hits.Load() != 0 {
		t.Fatalf("expired offer: %+v, %d hits", r, rc.hits.Load())
	}
}

// TestCloseDrains: Close waits for queued deliveries when the deadline allows.
func TestCloseDrains(t *testing.T) {
	rc := newReceiver(t, nil)
	res := newResults()
	d, _ := NewDispatcher(DispatcherOptions{OnResult: res.on, Logger: quiet()}, &Slack{URL: rc.srv.URL})
	for range 20 {
		if err := d.Enqueue(Delivery{Channel: ChannelSlack, Offer: liveOffer()}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	res.mu.Lock()
	defer res.mu.Unlock()
	if len(res.all) != 20 || rc.hits.Load() != 20 {
		t.Fatalf("%d results, %d hits", len(res.all), rc.hits.Load())
	}
	for _, r := range res.all {
		if !r.OK {
			t.Fatalf("result %+v", r)
		}
	}
}

// TestWebPushChannel delivers an offer through a loopback push service that verifies VAPID and
// decrypts, and reports a gone subscription (S-NOTIFY-1, S-NOTIFY-3).
func TestWebPushChannel(t *testing.T) {
	keys, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	ua, _ := webpush.NewUserAgent()
	var gone atomic.Bool
	type got struct {
		msg PushMessage
		hdr http.Header
		err error
	}
	gotCh := make(chan got, 10)
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gone.Load() {
			w.WriteHeader(http.StatusGone)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var g got
		g.hdr = r.Header.Clone()
		if _, _, err := webpush.VerifyVAPID(r.Header.Get("Authorization"), srv.URL+r.URL.Path, time.Now()); err != nil {
			g.err = err
		} else if plain, err := ua.Decrypt(body); err != nil {
			g.err = err
		} else {
			g.err = json.Unmarshal(plain, &g.msg)
		}
		gotCh <- g
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	res := newResults()
	d := newDispatcher(t, DispatcherOptions{OnResult: res.on},
		&WebPush{VAPID: keys, Subject: "mailto:ops@example.com", Client: srv.Client()})
	sub, _ := json.Marshal(ua.Subscription(srv.URL + "/push/1"))
	o := sampleOffer()
	o.ExpiresAt = time.Now().Add(2 * time.Minute)
	o.Blind = true
	d.Enqueue(Delivery{Ref: "n1", Channel: ChannelWebPush, Target: string(sub), Offer: o})
	r := res.next(t)
	if !r.OK || r.Status != http.StatusCreated || r.SentAt.IsZero() {
		t.Fatalf("result %+v", r)
	}
	g := <-gotCh
	if g.err != nil {
		t.Fatal(g.err)
	}
	if g.msg.Title != "New lead: Acme Corp" || g.msg.URL != o.ClaimURL || g.msg.Tag != "offer-42" || strings.Contains(g.msg.Body, "91") {
		t.Errorf("message %+v", g.msg)
	}
	if ttl := g.hdr.Get("TTL"); ttl != "119" && ttl != "120" {
		t.Errorf("TTL %q, want the time left to claim", ttl)
	}
	if g.hdr.Get("Urgency") != "high" || g.hdr.Get("Topic") != "offer-42" {
		t.Errorf("headers %v", g.hdr)
	}

	gone.Store(true)
	d.Enqueue(Delivery{Ref: "n2", Channel: ChannelWebPush, Target: string(sub), Offer: o})
	r = res.next(t)
	if r.OK || r.Attempts != 1 || !errors.Is(r.Err, webpush.ErrGone) || r.Status != http.StatusGone {
		t.Fatalf("gone subscription: %+v", r)
	}
}

// TestDueForFallback covers the SMS backup rule (S-NOTIFY-1).
func TestDueForFallback(t *testing.T) {
	sent := now0
	after := 90 * time.Second
	for _, tc := range []struct {
		name       string
		sent, seen time.Time
		now        time.Time
		after      time.Duration
		want       bool
	}{
		{"not yet", sent, time.Time{}, sent.Add(89 * time.Second), after, false},
		{"due exactly", sent, time.Time{}, sent.Add(after), after, true},
		{"due later", sent, time.Time{}, sent.Add(time.Hour), after, true},
		{"seen", sent, sent.Add(10 * time.Second), sent.Add(time.Hour), after, false},
		{"seen in the future is not seen", sent, sent.Add(2 * time.Hour), sent.Add(time.Hour), after, true},
		{"never sent", time.Time{}, time.Time{}, sent.Add(time.Hour), after, false},
		{"disabled", sent, time.Time{}, sent.Add(time.Hour), 0, false},
	} {
		if got := DueForFallback(tc.sent, tc.seen, tc.now, tc.after); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
	if got := FallbackAt(sent, after); !got.Equal(sent.Add(after)) {
		t.Errorf("FallbackAt %v", got)
	}
	if !FallbackAt(sent, 0).IsZero() {
		t.Error("FallbackAt with fallback disabled")
	}
}

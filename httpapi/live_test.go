package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/compete"
	"github.com/leadflow/leadflow/notify"
	"github.com/leadflow/leadflow/notify/webpush"
)

// openStream connects a rep's live stream and returns its events as they arrive.
func (p *poolEnv) openStream(repID int64, lastID string) <-chan notify.Event {
	p.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", p.url+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+p.tokens[repID])
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		p.t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan notify.Event, 64)
	go func() {
		defer res.Body.Close()
		_ = notify.ReadEvents(res.Body, func(e notify.Event) bool {
			out <- e
			return true
		})
	}()
	return out
}

// next returns the next event of a type within the wait, or fails.
func next(t *testing.T, ch <-chan notify.Event, typ string, wait time.Duration) notify.Event {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case e := <-ch:
			if e.Type == typ {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event within %v", typ, wait)
		}
	}
}

// quiet fails when an event of the type arrives within the wait.
func quiet(t *testing.T, ch <-chan notify.Event, typ string, wait time.Duration) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case e := <-ch:
			if e.Type == typ {
				t.Fatalf("unexpected %s: %s", typ, e.Data)
			}
		case <-deadline:
			return
		}
	}
}

// TestLiveOffers proves S-NOTIFY-1/4 over real SSE streams: a tier-1 rep gets the offer the
// moment the lead enters the pool, a tier-2 rep only when its 15-minute delay ends, the loser
// gets "claimed by someone else", and a reconnect with Last-Event-ID replays what was missed.
func TestLiveOffers(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "tiered", nil)
	t1 := p.addRep("Una", map[string]any{"tier": 1})
	t2 := p.addRep("Dos", map[string]any{"tier": 2})
	p.poolRule()
	s1, s2 := p.openStream(t1.ID, ""), p.openStream(t2.ID, "")
	l := p.lead("live@x.example", "warm")
	offer := next(t, s1, "pool.offer", 5*time.Second)
	var body struct {
		Offer     compete.Offer `json:"offer"`
		Claimable bool          `json:"claimable"`
	}
	if err := json.Unmarshal(offer.Data, &body); err != nil || body.Offer.LeadID != l.ID || !body.Claimable || body.Offer.Company != "Northwind" || body.Offer.TimeLeftSeconds != 7200 {
		t.Fatalf("tier-1 offer: %s %v", offer.Data, err)
	}
	quiet(t, s2, "pool.offer", 300*time.Millisecond) // tier 2 waits 15 minutes
	p.clock.Advance(15 * time.Minute)
	offer2 := next(t, s2, "pool.offer", 5*time.Second)
	p.must(http.StatusOK, p.asRep(t1.ID, "POST", "/api/v1/pool/"+itoa(l.ID)+"/claim", nil))
	gone := next(t, s2, "pool.claimed", 5*time.Second)
	if !strings.Contains(string(gone.Data), `"claimed_by_name":"Una"`) {
		t.Fatalf("claimed event: %s", gone.Data)
	}
	// Reconnecting with the id of the offer replays the claimed event it missed.
	replay := p.openStream(t2.ID, itoa(int64(offer2.ID)))
	if again := next(t, replay, "pool.claimed", 5*time.Second); again.ID != gone.ID {
		t.Fatalf("replayed %d, want %d", again.ID, gone.ID)
	}
	// The claim records how fast it came after the offer (S-NOTIFY-3).
	var log struct {
		Attempts []leadflow.ClaimAttempt `json:"attempts"`
		Offers   []leadflow.Offer        `json:"offers"`
	}
	time.Sleep(200 * time.Millisecond) // sent offers are recorded in batches after publishing
	p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/claims", leadflow.RoleManager, nil)).json(t, &log)
	if len(log.Offers) != 2 || log.Attempts[0].OfferedAt == nil {
		t.Fatalf("offers and claim speed: %+v", log)
	}
}

// received collects what a loopback receiver got.
type received struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func (r *received) handler(check func(*http.Request, []byte) int) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		status := http.StatusOK
		if check != nil {
			status = check(req, b)
		}
		r.mu.Lock()
		r.reqs, r.body = append(r.reqs, req), append(r.body, b)
		r.mu.Unlock()
		w.WriteHeader(status)
	}
}

func (r *received) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		got := len(r.body)
		r.mu.Unlock()
		if got >= n {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.body
		}
	}
	t.Fatalf("receiver got fewer than %d messages", n)
	return nil
}

// TestNotificationChannels proves S-NOTIFY-1 end to end against receivers on loopback: a new pool
// lead is posted to Slack and Teams, pushed to the rep's subscribed browser (the test push
// service checks the VAPID signature and decrypts the RFC 8291 payload), and texted through the
// SMS gateway when the rep has not seen it after the configured time — but not to a rep who saw it.
func TestNotificationChannels(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", nil)
	seer := p.addRep("Sam", map[string]any{"phone": "+15550000001"})
	slow := p.addRep("Sid", map[string]any{"phone": "+15550000002"})
	p.poolRule()
	var slack, teams, sms, push received
	ua, err := webpush.NewUserAgent()
	if err != nil {
		t.Fatal(err)
	}
	var pushSrv *httptest.Server
	pushSrv = httptest.NewServer(push.handler(func(r *http.Request, b []byte) int {
		endpoint := pushSrv.URL + r.URL.Path
		if _, _, err := webpush.VerifyVAPID(r.Header.Get("Authorization"), endpoint, p.clock.Now()); err != nil {
			t.Errorf("vapid: %v", err)
			return http.StatusUnauthorized
		}
		return http.StatusCreated
	}))
	for _, srv := range []*httptest.Server{pushSrv} {
		t.Cleanup(srv.Close)
	}
	slackSrv, teamsSrv, smsSrv := httptest.NewServer(slack.handler(nil)), httptest.NewServer(teams.handler(nil)), httptest.NewServer(sms.handler(nil))
	t.Cleanup(slackSrv.Close)
	t.Cleanup(teamsSrv.Close)
	t.Cleanup(smsSrv.Close)
	p.must(http.StatusOK, p.do("PUT", "/api/v1/notifications", leadflow.RoleAdmin, map[string]any{
		"slack_webhook_url": slackSrv.URL + "/hook", "teams_webhook_url": teamsSrv.URL + "/hook", "public_url": "https://leadflow.example",
		"push_subject": "mailto:ops@example.org", "allow_http_push": true,
		"sms": map[string]any{"url": smsSrv.URL + "/Messages.json", "account_sid": "AC1", "auth_token": "tok", "from": "+15559990000", "after_seconds": 60}}))
	fieldNamed(t, p.must(http.StatusUnprocessableEntity, p.do("PUT", "/api/v1/notifications", leadflow.RoleAdmin, map[string]any{"slack_webhook_url": "ftp://x"})).problem(t), "slack_webhook_url")
	var key struct {
		PublicKey string `json:"public_key"`
	}
	p.must(http.StatusOK, p.asRep(seer.ID, "GET", "/api/v1/push/vapid-key", nil)).json(t, &key)
	if len(key.PublicKey) != 87 {
		t.Fatalf("vapid key: %q", key.PublicKey)
	}
	fieldNamed(t, p.must(http.StatusUnprocessableEntity, p.asRep(seer.ID, "POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": pushSrv.URL + "/s/1", "keys": map[string]any{"p256dh": "bad", "auth": "bad"}})).problem(t), "keys.p256dh")
	p.must(http.StatusNoContent, p.asRep(seer.ID, "POST", "/api/v1/push/subscriptions", ua.Subscription(pushSrv.URL+"/s/1")))

	l := p.lead("notify@x.example", "hot")
	for _, r := range []*received{&slack, &teams} {
		if body := r.wait(t, 1)[0]; !strings.Contains(string(body), "Northwind") || !strings.Contains(string(body), "80") {
			t.Fatalf("chat message: %s", body)
		}
	}
	plain, err := ua.Decrypt(push.wait(t, 1)[0])
	if err != nil {
		t.Fatalf("decrypt push: %v", err)
	}
	var msg notify.PushMessage
	if err := json.Unmarshal(plain, &msg); err != nil || msg.LeadID != l.ID || !strings.Contains(msg.Title+msg.Body, "Northwind") || msg.URL != "https://leadflow.example/pool/"+itoa(l.ID) {
		t.Fatalf("push message: %s %v", plain, err)
	}
	// Sam saw the offer; Sid did not: after a minute only Sid gets the SMS.
	p.must(http.StatusNoContent, p.asRep(seer.ID, "POST", "/api/v1/pool/"+itoa(l.ID)+"/seen", nil))
	p.clock.Advance(61 * time.Second)
	texts := sms.wait(t, 1)
	time.Sleep(200 * time.Millisecond)
	sms.mu.Lock()
	defer sms.mu.Unlock()
	form, _ := url.ParseQuery(string(texts[0]))
	user, pass, _ := sms.reqs[0].BasicAuth()
	if len(sms.body) != 1 || form.Get("To") != slow.Phone || form.Get("From") != "+15559990000" || !strings.Contains(form.Get("Body"), "Northwind") || user != "AC1" || pass != "tok" {
		t.Fatalf("sms: %d messages, %v (auth %s:%s)", len(sms.body), form, user, pass)
	}
}

// TestSeenBeforeRecorded: sent offers are recorded in the store a little after they are streamed
// (in chunks, after the burst of stream writes), yet a rep who marks an offer seen at once gets
// 204, not 404, and the offer is on record with its seen time; the others' offers follow.
func TestSeenBeforeRecorded(t *testing.T) {
	t.Parallel()
	p := newPoolEnv(t, "open_pool", nil)
	fast := p.addRep("Fay", nil)
	other := p.addRep("Otto", nil)
	p.poolRule()
	stream := p.openStream(fast.ID, "")
	l := p.lead("seen-fast@x.example", "hot")
	next(t, stream, "pool.offer", 5*time.Second) // seen the moment it arrives
	p.must(http.StatusNoContent, p.asRep(fast.ID, "POST", "/api/v1/pool/"+itoa(l.ID)+"/seen", nil))
	var log struct {
		Offers []leadflow.Offer `json:"offers"`
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.must(http.StatusOK, p.do("GET", "/api/v1/leads/"+itoa(l.ID)+"/claims", leadflow.RoleManager, nil)).json(t, &log)
		if len(log.Offers) == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	seen := map[int64]bool{}
	for _, o := range log.Offers {
		seen[o.RepID] = o.SeenAt != nil
	}
	if len(log.Offers) != 2 || !seen[fast.ID] || seen[other.ID] {
		t.Fatalf("offers on record: %+v", log.Offers)
	}
	// Marking it seen again changes nothing; a rep never offered the lead gets 404.
	p.must(http.StatusNoContent, p.asRep(fast.ID, "POST", "/api/v1/pool/"+itoa(l.ID)+"/seen", nil))
	stranger := p.addRep("Stan", map[string]any{"team_id": nil})
	p.must(http.StatusNotFound, p.asRep(stranger.ID, "POST", "/api/v1/pool/"+itoa(l.ID)+"/seen", nil))
}

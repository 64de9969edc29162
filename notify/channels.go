package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/notify/webpush"
)

// Channel names of the built-in channels.
const (
	ChannelSlack   = "slack"
	ChannelTeams   = "teams"
	ChannelSMS     = "sms"
	ChannelWebPush = "webpush"
)

// userAgent is sent on every channel request.
const userAgent = "leadflow-notify/1"

// Channel delivers an offer to one target of one kind (S-NOTIFY-1). Send makes one attempt and
// returns the HTTP status (0 when there was no response) and an error when the delivery did
// not succeed; errors from [Permanent] are not retried. Send must honour ctx and be safe for
// concurrent use.
type Channel interface {
	// Name is the channel's name, used in [Delivery.Channel].
	Name() string
	// Send delivers o to target (a channel-specific address).
	Send(ctx context.Context, target string, o Offer) (status int, err error)
}

// ErrPermanent is matched (errors.Is) by errors that retrying cannot fix.
var ErrPermanent = errors.New("notify: permanent failure")

type permanentError struct{ err error }

// Error returns the wrapped error's message unchanged.
func (e permanentError) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error.
func (e permanentError) Unwrap() error { return e.err }

// Is makes the error match ErrPermanent.
func (e permanentError) Is(target error) bool { return target == ErrPermanent }

// Permanent marks err as not worth retrying; errors.Is(Permanent(err), ErrPermanent) holds and
// the original error stays reachable through errors.Is and errors.As.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// StatusError is a non-2xx answer from a channel's receiver.
type StatusError struct {
	// Status is the HTTP status code.
	Status int
	// Body is the start of the response body.
	Body string
	// RetryAfter is the delay asked for with Retry-After (seconds form), or zero.
	RetryAfter time.Duration
}

// Error describes the status and the response body.
func (e *StatusError) Error() string {
	msg := "notify: receiver answered " + strconv.Itoa(e.Status) + " " + http.StatusText(e.Status)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retryable reports whether an error from a [Channel] is transient: not marked permanent, and
// either a transport failure or timeout, or a status of 408, 429 or 5xx.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, ErrPermanent) || errors.Is(err, context.Canceled) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status == http.StatusRequestTimeout || se.Status == http.StatusTooManyRequests || se.Status >= 500
	}
	var we *webpush.StatusError
	if errors.As(err, &we) {
		return we.Retryable()
	}
	return true
}

// retryAfter returns the delay a receiver asked for, if any.
func retryAfter(err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	var we *webpush.StatusError
	if errors.As(err, &we) {
		return we.RetryAfter
	}
	return 0
}

func clientOrDefault(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return defaultClient
}

// defaultClient never follows redirects: the configured URL is the only target.
var defaultClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func nowOr(f func() time.Time) time.Time {
	if f != nil {
		return f()
	}
	return time.Now()
}

// post sends one request and classifies the answer: 2xx is success, anything else a
// *StatusError (4xx other than 408/429 marked permanent).
func post(ctx context.Context, client *http.Client, req *http.Request) (int, error) {
	req.Header.Set("User-Agent", userAgent)
	resp, err := clientOrDefault(client).Do(req.WithContext(ctx))
	if err != nil {
		// A *url.Error repeats the URL, which for webhooks is a secret: keep only the cause.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return 0, fmt.Errorf("notify: sending to %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp.StatusCode, nil
	}
	se := &StatusError{Status: resp.StatusCode, Body: strings.ToValidUTF8(string(bytes.TrimSpace(body)), "?")}
	if len(se.Body) > 200 {
		se.Body = strings.ToValidUTF8(se.Body[:200], "")
	}
	if n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && n > 0 {
		se.RetryAfter = min(time.Duration(n)*time.Second, time.Hour)
	}
	if !Retryable(se) {
		return se.Status, Permanent(se)
	}
	return se.Status, se
}

func postJSON(ctx context.Context, client *http.Client, target string, body []byte) (int, error) {
	if err := checkURL(target); err != nil {
		return 0, err
	}
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, Permanent(fmt.Errorf("notify: building request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	return post(ctx, client, req)
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Permanent(errors.New("notify: target is not an absolute http(s) URL"))
	}
	return nil
}

// Slack posts offers to Slack incoming webhooks (S-NOTIFY-1) with [Offer.SlackPayload]. The
// target is the webhook URL (a secret: it is never logged); an empty target uses URL.
type Slack struct {
	// URL is the default webhook URL.
	URL string
	// Client sends the requests (default: a client that does not follow redirects; the
	// dispatcher bounds each attempt with a timeout).
	Client *http.Client
	// Now is the clock for the time left (default time.Now).
	Now func() time.Time
}

// Name returns ChannelSlack.
func (s *Slack) Name() string { return ChannelSlack }

// Send posts the offer to the webhook.
func (s *Slack) Send(ctx context.Context, target string, o Offer) (int, error) {
	body, err := o.SlackPayload(nowOr(s.Now))
	if err != nil {
		return 0, Permanent(fmt.Errorf("notify: rendering slack message: %w", err))
	}
	return postJSON(ctx, s.Client, orDefault(target, s.URL), body)
}

// Teams posts offers to Microsoft Teams incoming webhooks (S-NOTIFY-1) as Adaptive Cards
// ([Offer.TeamsPayload]). The target is the webhook URL; an empty target uses URL.
type Teams struct {
	// URL is the default webhook URL.
	URL string
	// Client sends the requests (default: a client that does not follow redirects).
	Client *http.Client
	// Now is the clock for the time left (default time.Now).
	Now func() time.Time
}

// Name returns ChannelTeams.
func (t *Teams) Name() string { return ChannelTeams }

// Send posts the offer to the webhook.
func (t *Teams) Send(ctx context.Context, target string, o Offer) (int, error) {
	body, err := o.TeamsPayload(nowOr(t.Now))
	if err != nil {
		return 0, Permanent(fmt.Errorf("notify: rendering teams card: %w", err))
	}
	return postJSON(ctx, t.Client, orDefault(target, t.URL), body)
}

// TwilioURL returns the Messages resource of Twilio's API for an account, a ready value for
// [SMS.URL]; other gateways with the same form API work with their own URL.
func TwilioURL(accountSID string) string {
	return "https://api.twilio.com/2010-04-01/Accounts/" + url.PathEscape(accountSID) + "/Messages.json"
}

// SMS sends offers as text messages through an HTTP SMS gateway with a Twilio-style API
// (S-NOTIFY-1): a form POST of To, From and Body to URL with HTTP basic authentication
// (account SID and auth token). The body is [Offer.SMSText]. The target is the recipient's
// phone number in E.164 form.
type SMS struct {
	// URL is the gateway's message-creation endpoint, e.g. TwilioURL(sid).
	URL string
	// AccountSID and AuthToken are the basic-auth credentials.
	AccountSID, AuthToken string
	// From is the sender number or alphanumeric sender id.
	From string
	// Client sends the requests (default: a client that does not follow redirects).
	Client *http.Client
	// Now is the clock for the time left (default time.Now).
	Now func() time.Time
}

// Name returns ChannelSMS.
func (s *SMS) Name() string { return ChannelSMS }

// Send posts the message to the gateway.
func (s *SMS) Send(ctx context.Context, to string, o Offer) (int, error) {
	if err := checkURL(s.URL); err != nil {
		return 0, err
	}
	if strings.TrimSpace(to) == "" {
		return 0, Permanent(errors.New("notify: sms recipient is empty"))
	}
	form := url.Values{"To": {to}, "From": {s.From}, "Body": {o.SMSText(nowOr(s.Now))}}
	req, err := http.NewRequest(http.MethodPost, s.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, Permanent(fmt.Errorf("notify: building request: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.AccountSID, s.AuthToken)
	return post(ctx, s.Client, req)
}

// WebPush sends offers as Web Push messages (S-NOTIFY-1) through [webpush.Send], with the
// [Offer.PushPayload] JSON, urgency high, TTL equal to the time left to claim (an expired
// offer is not worth delivering later) and topic "offer-<lead id>". The target is the
// subscription in its JSON form (PushSubscription.toJSON()). A subscription the push service
// reports gone yields a permanent error wrapping [webpush.ErrGone]; the caller should delete
// the subscription.
type WebPush struct {
	// VAPID signs the requests; required.
	VAPID *webpush.VAPIDKeys
	// Subject is the VAPID contact, a mailto: or https: URI; required.
	Subject string
	// Client sends the requests (default: a client that does not follow redirects).
	Client *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// AllowHTTP permits http:// endpoints (test push services only).
	AllowHTTP bool
}

// Name returns ChannelWebPush.
func (w *WebPush) Name() string { return ChannelWebPush }

// Send encrypts and posts the offer to the subscription's push service.
func (w *WebPush) Send(ctx context.Context, target string, o Offer) (int, error) {
	var sub webpush.Subscription
	if err := json.Unmarshal([]byte(target), &sub); err != nil {
		return 0, Permanent(fmt.Errorf("notify: web push subscription: %w", err))
	}
	now := nowOr(w.Now)
	payload, err := o.PushPayload(now)
	if err != nil {
		return 0, Permanent(fmt.Errorf("notify: rendering push message: %w", err))
	}
	opts := webpush.Options{
		VAPID: w.VAPID, Subject: w.Subject, Urgency: webpush.UrgencyHigh,
		Now: w.Now, AllowHTTP: w.AllowHTTP,
	}
	if left := o.TimeLeft(now); left >= 0 {
		opts.TTL = max(left, time.Second)
	}
	if o.LeadID != 0 {
		opts.Topic = "offer-" + strconv.FormatInt(o.LeadID, 10)
	}
	status, err := webpush.Send(ctx, clientOrDefault(w.Client), sub, payload, opts)
	if err != nil && !webpush.Retryable(err) {
		return status, Permanent(err)
	}
	return status, err
}

func orDefault(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

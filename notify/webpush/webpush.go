// Package webpush sends standard Web Push messages (S-NOTIFY-1): payload encryption per
// RFC 8291 with the aes128gcm content coding of RFC 8188, and application server
// identification with VAPID per RFC 8292. It has no dependencies outside the standard library.
//
// # Sending
//
// The web UI subscribes with PushManager.subscribe({applicationServerKey: <VAPID public key>})
// and posts the resulting PushSubscription (its toJSON form, which unmarshals into
// [Subscription]) to the server, which stores it. To notify, the server calls [Send]:
//
//	status, err := webpush.Send(ctx, client, sub, payload, webpush.Options{
//		VAPID: keys, Subject: "mailto:ops@example.com", TTL: 5 * time.Minute,
//		Urgency: webpush.UrgencyHigh,
//	})
//	if errors.Is(err, webpush.ErrGone) {
//		// the subscription expired or the user unsubscribed: delete it
//	}
//
// A 404 or 410 from the push service yields [ErrGone]; 408, 429, 5xx and network failures are
// transient ([Retryable] reports true); any other failure will not succeed when repeated.
//
// # Receiving
//
// [Decrypt], [UserAgent] and [VerifyVAPID] implement the user agent and push service side, so
// that tests can run a push endpoint on loopback that checks the VAPID signature and decrypts
// the message exactly as a browser would.
package webpush

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTTL is the time a push service keeps an undelivered message when [Options.TTL] is
// zero. Offers go stale quickly, so it is short.
const DefaultTTL = time.Hour

const maxResponseBody = 4 << 10

// Urgency is the value of the Urgency header (RFC 8030 section 5.3): a hint that lets a
// device on battery defer low-urgency messages.
type Urgency string

// The urgency levels of RFC 8030 section 5.3.
const (
	UrgencyVeryLow Urgency = "very-low"
	UrgencyLow     Urgency = "low"
	UrgencyNormal  Urgency = "normal"
	UrgencyHigh    Urgency = "high"
)

// Errors returned by [Send].
var (
	// ErrGone means the push service answered 404 or 410: the subscription has expired or
	// was removed, and the caller should delete it. It is returned wrapped together with a
	// [*StatusError].
	ErrGone = errors.New("webpush: subscription is gone")
	// ErrUnreachable wraps transport failures (connection refused, timeout, reset): the push
	// service did not answer and the message may be retried.
	ErrUnreachable = errors.New("webpush: push service unreachable")
)

// Keys are the subscription's keys as the browser reports them, both base64url.
type Keys struct {
	// P256dh is the user agent's ECDH P-256 public key (65-byte uncompressed point).
	P256dh string `json:"p256dh"`
	// Auth is the 16-byte authentication secret.
	Auth string `json:"auth"`
}

// decode validates and decodes the keys.
func (k Keys) decode() (*ecdh.PublicKey, []byte, error) {
	pb, err := DecodeBase64(k.P256dh)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: p256dh: %w", ErrInvalidKeys, err)
	}
	pub, err := ecdh.P256().NewPublicKey(pb)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: p256dh: %w", ErrInvalidKeys, err)
	}
	auth, err := DecodeBase64(k.Auth)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: auth: %w", ErrInvalidKeys, err)
	}
	if len(auth) != AuthSecretSize {
		return nil, nil, fmt.Errorf("%w: auth secret is %d bytes, want %d", ErrInvalidKeys, len(auth), AuthSecretSize)
	}
	return pub, auth, nil
}

// Subscription is a push subscription in the JSON form of PushSubscription.toJSON().
type Subscription struct {
	// Endpoint is the push resource URL on the browser vendor's push service.
	Endpoint string `json:"endpoint"`
	// Keys are the encryption keys of the subscription.
	Keys Keys `json:"keys"`
}

// Options configures [Send].
type Options struct {
	// VAPID signs the request; required.
	VAPID *VAPIDKeys
	// Subject is the operator contact in the VAPID token, a "mailto:" or "https:" URI;
	// required.
	Subject string
	// TTL is how long the push service should keep the message while the device is offline.
	// Zero means DefaultTTL; a negative value sends TTL: 0 (deliver now or drop). It is sent
	// in whole seconds.
	TTL time.Duration
	// Urgency is sent as the Urgency header when not empty.
	Urgency Urgency
	// Topic, when not empty, lets a newer message replace an undelivered one with the same
	// topic. At most 32 characters of the base64url alphabet (RFC 8030 section 5.4).
	Topic string
	// Expiry is the VAPID token lifetime; zero means DefaultVAPIDExpiry, at most 24h.
	Expiry time.Duration
	// Now is the clock for the token's exp; nil means time.Now.
	Now func() time.Time
	// AllowHTTP permits http:// endpoints. Real push services are all https; this exists for
	// test endpoints.
	AllowHTTP bool
}

// StatusError is a non-2xx answer from the push service.
type StatusError struct {
	// Status is the HTTP status code.
	Status int
	// Body is the start of the response body, for diagnostics.
	Body string
	// RetryAfter is the delay the push service asked for with Retry-After, or zero.
	RetryAfter time.Duration
}

// Error describes the status and the response body.
func (e *StatusError) Error() string {
	msg := "webpush: push service answered " + strconv.Itoa(e.Status) + " " + http.StatusText(e.Status)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retryable reports whether the status is transient: 408, 429 or 5xx.
func (e *StatusError) Retryable() bool {
	return e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Retryable reports whether an error from [Send] is transient, so that sending the same
// message later may succeed: a transport failure or a 408, 429 or 5xx status.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnreachable) {
		return true
	}
	var se *StatusError
	return errors.As(err, &se) && se.Retryable()
}

// Send encrypts payload for sub and posts it to the subscription's endpoint with a VAPID
// Authorization header, returning the push service's status code (0 when there was no
// response). A nil or empty payload sends a push without data. Success is any 2xx (push
// services answer 201 Created). A 404 or 410 returns an error wrapping [ErrGone] and a
// [*StatusError]; other non-2xx statuses return a [*StatusError]; transport failures wrap
// [ErrUnreachable]. client nil means http.DefaultClient; ctx bounds the whole request.
func Send(ctx context.Context, client *http.Client, sub Subscription, payload []byte, opts Options) (int, error) {
	req, err := NewRequest(ctx, sub, payload, opts)
	if err != nil {
		return 0, err
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// A *url.Error repeats the endpoint, a capability URL: keep only the cause.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return 0, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp.StatusCode, nil
	}
	se := &StatusError{Status: resp.StatusCode, Body: strings.ToValidUTF8(string(bytes.TrimSpace(body)), "?")}
	if len(se.Body) > 200 {
		se.Body = strings.ToValidUTF8(se.Body[:200], "")
	}
	se.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now(opts))
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
		return resp.StatusCode, fmt.Errorf("%w: %w", ErrGone, se)
	}
	return resp.StatusCode, se
}

// NewRequest builds the push request [Send] sends: encrypted body, Content-Encoding, TTL,
// Urgency, Topic and Authorization headers. It is exported for callers that send through
// their own transport machinery.
func NewRequest(ctx context.Context, sub Subscription, payload []byte, opts Options) (*http.Request, error) {
	if opts.VAPID == nil {
		return nil, errors.New("webpush: Options.VAPID is required")
	}
	u, err := url.Parse(sub.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(opts.AllowHTTP && u.Scheme == "http")) {
		return nil, fmt.Errorf("webpush: endpoint %q must be an absolute https URL", sub.Endpoint)
	}
	switch opts.Urgency {
	case "", UrgencyVeryLow, UrgencyLow, UrgencyNormal, UrgencyHigh:
	default:
		return nil, fmt.Errorf("webpush: invalid urgency %q", opts.Urgency)
	}
	if !validTopic(opts.Topic) {
		return nil, fmt.Errorf("webpush: topic %q must be at most 32 base64url characters", opts.Topic)
	}
	t := now(opts)
	expiry := opts.Expiry
	if expiry <= 0 {
		expiry = DefaultVAPIDExpiry
	}
	auth, err := opts.VAPID.Header(sub.Endpoint, opts.Subject, t, t.Add(expiry))
	if err != nil {
		return nil, err
	}
	var body []byte
	if len(payload) > 0 {
		if body, err = Encrypt(sub.Keys, payload); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("webpush: building request: %w", err)
	}
	ttl := opts.TTL
	switch {
	case ttl == 0:
		ttl = DefaultTTL
	case ttl < 0:
		ttl = 0
	}
	req.Header.Set("TTL", strconv.FormatInt(int64(ttl/time.Second), 10))
	req.Header.Set("Authorization", auth)
	if len(body) > 0 {
		req.Header.Set("Content-Encoding", "aes128gcm")
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	if opts.Urgency != "" {
		req.Header.Set("Urgency", string(opts.Urgency))
	}
	if opts.Topic != "" {
		req.Header.Set("Topic", opts.Topic)
	}
	return req, nil
}

func now(opts Options) time.Time {
	if opts.Now != nil {
		return opts.Now()
	}
	return time.Now()
}

func validTopic(s string) bool {
	if len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// parseRetryAfter reads Retry-After as delay seconds or an HTTP date, capped at one hour.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(max(n, 0)) * time.Second
		if n > 3600 {
			d = time.Hour
		}
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), time.Hour)
}

// UserAgent is the browser's side of a push subscription: an ECDH P-256 key pair and an auth
// secret. It lets tests and local push endpoints create subscriptions and decrypt what
// [Send] delivers.
type UserAgent struct {
	// Private is the user agent's ECDH key; its public half is the subscription's p256dh.
	Private *ecdh.PrivateKey
	// Auth is the 16-byte authentication secret.
	Auth []byte
}

// NewUserAgent returns a user agent with a fresh key pair and auth secret.
func NewUserAgent() (*UserAgent, error) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("webpush: generating user agent key: %w", err)
	}
	auth := make([]byte, AuthSecretSize)
	rand.Read(auth)
	return &UserAgent{Private: priv, Auth: auth}, nil
}

// Keys returns the subscription keys a browser would report for this user agent.
func (u *UserAgent) Keys() Keys {
	return Keys{
		P256dh: encode(u.Private.PublicKey().Bytes()),
		Auth:   encode(u.Auth),
	}
}

// Subscription returns a subscription for endpoint with this user agent's keys.
func (u *UserAgent) Subscription(endpoint string) Subscription {
	return Subscription{Endpoint: endpoint, Keys: u.Keys()}
}

// Decrypt decrypts a push message body addressed to this user agent.
func (u *UserAgent) Decrypt(body []byte) ([]byte, error) {
	return Decrypt(u.Private, u.Auth, body)
}

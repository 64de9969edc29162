// Package webhook delivers leadflow's signed outbound webhooks (for example "a lead crossed
// score 75" to a demo-invite email system).
//
// # Delivery model
//
// Deliveries are enqueued by the store inside the write transaction that caused them (an
// outbox) and are delivered only after that transaction commits, by a [Worker]. The worker
// reaches the outbox through the small [Queue] interface, so this package does not depend on any
// database. Delivery is at-least-once: a receiver may see the same delivery more than once (for
// example after a worker crash, or when a response was lost) and should de-duplicate on the
// Leadflow-Delivery header.
//
// # Request format
//
// Every attempt is an HTTP POST of the delivery's body to its URL with these headers:
//
//	Content-Type:       application/json
//	User-Agent:         leadflow-webhook/1
//	Leadflow-Event:     <event type, e.g. lead.score_crossed>
//	Leadflow-Delivery:  <delivery id, decimal>
//	Leadflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// The signature header is omitted when the subscription has no secret.
//
// # Signature scheme
//
// The signed payload is the decimal Unix timestamp (seconds), a full stop, and the raw request
// body bytes exactly as sent: "<t>.<body>". The MAC is HMAC-SHA256 keyed with the shared
// secret, hex-encoded in lower case. A receiver should:
//
//  1. split the Leadflow-Signature header on "," into key=value pairs, taking t and every v1
//     (more than one v1 may be present while a secret is being rotated);
//  2. recompute the HMAC over "<t>.<raw body>" with its secret and compare it with each v1 in
//     constant time, accepting if any matches;
//  3. reject the request if t is further than a tolerance (five minutes is recommended) from
//     its own clock, which limits replay of captured requests.
//
// [Verify] implements exactly these steps and [Sign] produces the header value.
//
// # Retry policy
//
// A 2xx response completes the delivery. 408, 429, any 5xx, other non-2xx statuses that are not
// 4xx (1xx, 3xx: the default client never follows redirects), network errors and timeouts are
// retried after [Backoff] (or after the response's Retry-After seconds, capped at one hour). Any
// other 4xx means the receiver rejected the message and the delivery is dead immediately. A
// delivery whose attempt count reaches [MaxAttempts] without success is dead.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Header names and fixed header values used on every delivery request.
const (
	HeaderSignature = "Leadflow-Signature"
	HeaderEvent     = "Leadflow-Event"
	HeaderDelivery  = "Leadflow-Delivery"
	UserAgent       = "leadflow-webhook/1"
	ContentType     = "application/json"
)

// MaxAttempts is the number of attempts after which an undelivered delivery is marked failed
// (dead) instead of being retried again.
const MaxAttempts = 10

// DefaultTolerance is the signature timestamp tolerance [Verify] uses when given a non-positive
// tolerance.
const DefaultTolerance = 5 * time.Minute

const (
	backoffBase = 5 * time.Second
	backoffMax  = time.Hour
	jitter      = 0.2
)

// Errors returned by [Verify]. They are distinct so receivers can log why a request was
// refused; all of them mean "do not trust this request".
var (
	// ErrNoSignature means the header was empty.
	ErrNoSignature = errors.New("webhook: missing signature")
	// ErrMalformedSignature means the header is not "t=<unix>,v1=<hex>[,v1=<hex>...]".
	ErrMalformedSignature = errors.New("webhook: malformed signature header")
	// ErrStaleSignature means the signed timestamp is outside the tolerance of now.
	ErrStaleSignature = errors.New("webhook: signature timestamp outside tolerance")
	// ErrSignatureMismatch means no v1 signature matches the body and secret.
	ErrSignatureMismatch = errors.New("webhook: signature mismatch")
)

// Sign returns the Leadflow-Signature header value for body signed with secret at time t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a Leadflow-Signature header value against body and secret, as a receiver
// would. The comparison is constant-time, any of several v1 values may match (secret
// rotation), and the signed timestamp must be within tolerance of now in either direction
// (tolerance <= 0 means [DefaultTolerance]). It returns nil when the request is authentic.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if strings.TrimSpace(header) == "" {
		return ErrNoSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformedSignature
		}
		switch k {
		case "t":
			if ts != "" {
				return ErrMalformedSignature
			}
			ts = v
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return ErrMalformedSignature
			}
			sigs = append(sigs, b)
		default:
			// Unknown schemes are ignored so the format can evolve.
		}
	}
	if ts == "" || len(sigs) == 0 {
		return ErrMalformedSignature
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || strconv.FormatInt(unix, 10) != ts {
		return ErrMalformedSignature
	}
	skew := now.Sub(time.Unix(unix, 0))
	if skew > tolerance || skew < -tolerance {
		return ErrStaleSignature
	}
	want := mac(secret, ts, body)
	matched := false
	for _, s := range sigs {
		// Every candidate is compared so timing does not reveal which one matched.
		if hmac.Equal(want, s) {
			matched = true
		}
	}
	if !matched {
		return ErrSignatureMismatch
	}
	return nil
}

// Backoff returns the delay before retry number attempt (1-based: 1 is the delay after the first
// failed attempt). The base delay starts at 5s and doubles per attempt up to a 1h cap; ±20%
// jitter drawn from rnd is then applied and the result never exceeds 1h. The result is
// deterministic when rnd's source is. A nil rnd uses the package-level source of math/rand/v2.
// rnd is not safe for concurrent use; callers sharing one must serialise access.
func Backoff(attempt int, rnd *rand.Rand) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := backoffMax
	// 5s << 10 already exceeds the cap; limiting the shift avoids overflow.
	if attempt <= 11 {
		d = min(backoffBase<<(attempt-1), backoffMax)
	}
	var f float64
	if rnd != nil {
		f = rnd.Float64()
	} else {
		f = rand.Float64()
	}
	d = time.Duration(float64(d) * (1 - jitter + 2*jitter*f))
	return min(d, backoffMax)
}

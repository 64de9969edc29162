package webpush

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"
)

// VAPID limits (RFC 8292 section 2).
const (
	// MaxVAPIDExpiry is the longest lifetime a VAPID JWT may have; push services reject
	// tokens whose exp is more than 24 hours in the future.
	MaxVAPIDExpiry = 24 * time.Hour
	// DefaultVAPIDExpiry is the lifetime [VAPIDKeys.Header] gives a token when the caller does
	// not choose an expiry.
	DefaultVAPIDExpiry = 12 * time.Hour
)

// ErrVAPID means a VAPID Authorization header failed verification; the reason is wrapped.
var ErrVAPID = errors.New("webpush: invalid VAPID authorization")

// VAPIDKeys is an application server's ECDSA P-256 key pair for Voluntary Application Server
// Identification (RFC 8292). The public key is what the web UI passes to
// PushManager.subscribe as applicationServerKey; the push service then only accepts messages
// for that subscription signed with the private key. A VAPIDKeys is immutable and safe for
// concurrent use.
type VAPIDKeys struct {
	priv *ecdsa.PrivateKey
	pub  []byte // uncompressed point, 65 bytes
}

// GenerateVAPIDKeys returns a new random key pair.
func GenerateVAPIDKeys() (*VAPIDKeys, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("webpush: generating VAPID key: %w", err)
	}
	return newVAPIDKeys(priv)
}

// ParseVAPIDKeys parses a private key in the usual VAPID text form: the 32-byte big-endian
// scalar encoded as unpadded base64url (padding and the standard alphabet are tolerated). The
// public key is derived from it.
func ParseVAPIDKeys(privateKey string) (*VAPIDKeys, error) {
	raw, err := DecodeBase64(privateKey)
	if err != nil {
		return nil, fmt.Errorf("webpush: VAPID private key: %w", err)
	}
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		return nil, fmt.Errorf("webpush: VAPID private key: %w", err)
	}
	return newVAPIDKeys(priv)
}

func newVAPIDKeys(priv *ecdsa.PrivateKey) (*VAPIDKeys, error) {
	pub, err := priv.PublicKey.Bytes()
	if err != nil {
		return nil, fmt.Errorf("webpush: VAPID public key: %w", err)
	}
	return &VAPIDKeys{priv: priv, pub: pub}, nil
}

// PublicKey returns the public key as unpadded base64url of the 65-byte uncompressed point,
// the form expected by PushManager.subscribe and by the k parameter of the header.
func (k *VAPIDKeys) PublicKey() string { return base64.RawURLEncoding.EncodeToString(k.pub) }

// PrivateKey returns the private key in the text form [ParseVAPIDKeys] reads. It is a secret.
func (k *VAPIDKeys) PrivateKey() string {
	b, err := k.priv.Bytes()
	if err != nil {
		return "" // unreachable: the key was validated when it was created
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Claims are the JWT claims of a VAPID token (RFC 8292 section 2).
type Claims struct {
	// Audience is the origin of the push resource (scheme://host[:port]).
	Audience string `json:"aud"`
	// Expires is the expiry as Unix seconds; at most 24 hours after the token was made.
	Expires int64 `json:"exp"`
	// Subject is a contact for the application server operator: a mailto: or https: URI.
	Subject string `json:"sub,omitempty"`
}

type jwtHeader struct {
	Typ string `json:"typ"`
	Alg string `json:"alg"`
}

// Header returns the value of the Authorization header for a push message to endpoint:
// "vapid t=<JWT>, k=<public key>" (RFC 8292 section 3). The JWT is signed with ES256, its
// signature being the 64-byte R||S concatenation (RFC 7518 section 3.4), not ASN.1. aud is the
// origin of endpoint, sub is subject (a "mailto:" or "https:" URI, required) and exp is exp, or
// now plus [DefaultVAPIDExpiry] when exp is zero; an exp more than 24 hours after now, or not
// after now, is an error.
func (k *VAPIDKeys) Header(endpoint, subject string, now, exp time.Time) (string, error) {
	aud, err := Origin(endpoint)
	if err != nil {
		return "", err
	}
	if err := checkSubject(subject); err != nil {
		return "", err
	}
	if exp.IsZero() {
		exp = now.Add(DefaultVAPIDExpiry)
	}
	if !exp.After(now) || exp.Sub(now) > MaxVAPIDExpiry {
		return "", fmt.Errorf("webpush: VAPID expiry %s must be within 24h after %s", exp.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	h, _ := json.Marshal(jwtHeader{Typ: "JWT", Alg: "ES256"})
	c, err := json.Marshal(Claims{Audience: aud, Expires: exp.Unix(), Subject: subject})
	if err != nil {
		return "", fmt.Errorf("webpush: VAPID claims: %w", err)
	}
	signing := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	digest := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, digest[:])
	if err != nil {
		return "", fmt.Errorf("webpush: signing VAPID token: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	token := signing + "." + base64.RawURLEncoding.EncodeToString(sig)
	return "vapid t=" + token + ", k=" + k.PublicKey(), nil
}

func checkSubject(sub string) error {
	if !strings.HasPrefix(sub, "mailto:") && !strings.HasPrefix(sub, "https:") {
		return fmt.Errorf("webpush: VAPID subject %q must be a mailto: or https: URI", sub)
	}
	return nil
}

// Origin returns the ASCII serialisation of the origin of a push endpoint URL
// (scheme://host[:port], lower case, default port omitted): the aud claim of its VAPID token.
func Origin(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("webpush: endpoint: %w", err)
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "https" && scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("webpush: endpoint %q is not an absolute http(s) URL", endpoint)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" || (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		return scheme + "://" + host, nil
	}
	return scheme + "://" + host + ":" + port, nil
}

// VerifyVAPID checks an Authorization header the way a push service does: the "vapid" scheme
// with t and k parameters, an ES256 JWT whose raw R||S signature verifies under k, aud equal to
// the origin of endpoint, exp after now and no more than 24 hours (plus one minute of clock
// skew) after now, and sub, when present, a mailto: or https: URI. It returns the claims and
// the public key (base64url) on success; errors wrap [ErrVAPID]. It exists for tests and local
// push endpoints.
func VerifyVAPID(header, endpoint string, now time.Time) (Claims, string, error) {
	fail := func(format string, a ...any) (Claims, string, error) {
		return Claims{}, "", fmt.Errorf("%w: %s", ErrVAPID, fmt.Sprintf(format, a...))
	}
	scheme, params, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "vapid") {
		return fail("scheme is not vapid")
	}
	var token, key string
	for p := range strings.SplitSeq(params, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return fail("malformed parameter %q", p)
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "t":
			token = strings.TrimSpace(value)
		case "k":
			key = strings.TrimSpace(value)
		}
	}
	if token == "" || key == "" {
		return fail("t and k parameters are required")
	}
	pubBytes, err := DecodeBase64(key)
	if err != nil {
		return fail("k: %v", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pubBytes)
	if err != nil {
		return fail("k: %v", err)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fail("JWT must have three parts")
	}
	var h jwtHeader
	if err := decodeJSONPart(parts[0], &h); err != nil {
		return fail("JWT header: %v", err)
	}
	if h.Alg != "ES256" {
		return fail("JWT alg %q, want ES256", h.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return fail("JWT signature must be 64 bytes of base64url (R||S)")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return fail("JWT signature does not verify")
	}
	var c Claims
	if err := decodeJSONPart(parts[1], &c); err != nil {
		return fail("JWT claims: %v", err)
	}
	aud, err := Origin(endpoint)
	if err != nil {
		return fail("%v", err)
	}
	if c.Audience != aud {
		return fail("aud %q, want %q", c.Audience, aud)
	}
	exp := time.Unix(c.Expires, 0)
	if !exp.After(now) {
		return fail("token expired at %s", exp.UTC().Format(time.RFC3339))
	}
	if exp.Sub(now) > MaxVAPIDExpiry+time.Minute {
		return fail("exp more than 24h in the future")
	}
	if c.Subject != "" {
		if err := checkSubject(c.Subject); err != nil {
			return fail("%v", err)
		}
	}
	return c, base64.RawURLEncoding.EncodeToString(pubBytes), nil
}

func decodeJSONPart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// DecodeBase64 decodes base64url as used for Web Push keys, tolerating "=" padding and the
// standard alphabet, which some clients produce.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("invalid base64url: %w", err)
	}
	return b, nil
}

func encode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

package webpush

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The example of RFC 8291 Appendix A, with the line breaks of the RFC text removed.
const (
	rfcPlaintext = "When I grow up, I want to be a watermelon"
	rfcASPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
	rfcASPublic  = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
	rfcUAPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
	rfcUAPublic  = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	rfcSalt      = "DGv6ra1nlYgDCS1FRnbzlw"
	rfcAuth      = "BTBZMqHH6r4Tts7J_aSIgg"
	rfcECDH      = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs"
	rfcCEK       = "oIhVW04MRdy2XN9CiKLxTg"
	rfcNonce     = "4h_95klXJ5E_qnoN"
	rfcHeader    = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
	rfcCipher    = "8pfeW0KbunFT06SuDKoJH9Ql87S1QUrdirN6GcG7sFz1y1sqLgVi1VhjVkHsUoEsbI_0LpXMuGvnzQ"
	rfcBody      = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return b
}

// TestRFC8291AppendixA reproduces the RFC 8291 Appendix A example byte for byte (S-NOTIFY-1):
// with the RFC's application server key and salt injected, EncryptWith must produce exactly
// the published header and ciphertext, and the intermediate keys must match.
func TestRFC8291AppendixA(t *testing.T) {
	asPriv, err := ecdh.P256().NewPrivateKey(b64(t, rfcASPrivate))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(asPriv.PublicKey().Bytes(), b64(t, rfcASPublic)) {
		t.Fatal("application server public key differs from the RFC")
	}
	keys := Keys{P256dh: rfcUAPublic, Auth: rfcAuth}

	got, err := EncryptWith(keys, []byte(rfcPlaintext), b64(t, rfcSalt), asPriv)
	if err != nil {
		t.Fatal(err)
	}
	want := append(b64(t, rfcHeader), b64(t, rfcCipher)...)
	if !bytes.Equal(got, want) {
		t.Fatalf("ciphertext differs from RFC 8291 Appendix A\n got %x\nwant %x", got, want)
	}
	if !bytes.Equal(got, b64(t, rfcBody)) {
		t.Fatal("body differs from the RFC's message")
	}
	if len(got) != 144 {
		t.Fatalf("body is %d bytes, want 144 (86 header + 41 plaintext + 1 delimiter + 16 tag)", len(got))
	}

	// The intermediate values of the appendix.
	uaPub, auth, err := keys.decode()
	if err != nil {
		t.Fatal(err)
	}
	secret, err := asPriv.ECDH(uaPub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(secret, b64(t, rfcECDH)) {
		t.Errorf("ecdh_secret %x", secret)
	}
	cek, nonce, err := deriveKeys(secret, auth, uaPub.Bytes(), asPriv.PublicKey().Bytes(), b64(t, rfcSalt))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cek, b64(t, rfcCEK)) {
		t.Errorf("CEK %x", cek)
	}
	if !bytes.Equal(nonce, b64(t, rfcNonce)) {
		t.Errorf("NONCE %x", nonce)
	}
}

// TestDecryptRFC8291AppendixA decrypts the RFC's message with the user agent's private key.
func TestDecryptRFC8291AppendixA(t *testing.T) {
	uaPriv, err := ecdh.P256().NewPrivateKey(b64(t, rfcUAPrivate))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(uaPriv.PublicKey().Bytes(), b64(t, rfcUAPublic)) {
		t.Fatal("user agent public key differs from the RFC")
	}
	got, err := Decrypt(uaPriv, b64(t, rfcAuth), b64(t, rfcBody))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != rfcPlaintext {
		t.Fatalf("plaintext %q", got)
	}

	// Any flipped byte in the records is rejected.
	bad := b64(t, rfcBody)
	bad[len(bad)-1] ^= 1
	if _, err := Decrypt(uaPriv, b64(t, rfcAuth), bad); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("tampered message: %v, want ErrDecrypt", err)
	}
	// A wrong auth secret is rejected.
	if _, err := Decrypt(uaPriv, make([]byte, 16), b64(t, rfcBody)); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong auth: %v, want ErrDecrypt", err)
	}
}

// TestEncryptRoundTrip covers random keys, the empty payload, the size limit and messages of
// several records with padding (RFC 8188), which Decrypt must accept.
func TestEncryptRoundTrip(t *testing.T) {
	ua, err := NewUserAgent()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 100, MaxPlaintext} {
		msg := bytes.Repeat([]byte{'x'}, n)
		body, err := Encrypt(ua.Keys(), msg)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if len(body) > RecordSize {
			t.Fatalf("%d bytes: body %d > %d", n, len(body), RecordSize)
		}
		got, err := ua.Decrypt(body)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: round trip %v", n, err)
		}
	}
	if _, err := Encrypt(ua.Keys(), make([]byte, MaxPlaintext+1)); !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("oversized payload: %v", err)
	}
	if _, err := Encrypt(Keys{P256dh: "AAAA", Auth: rfcAuth}, []byte("x")); !errors.Is(err, ErrInvalidKeys) {
		t.Fatalf("bad p256dh: %v", err)
	}

	// Several records of size 25 (8 plaintext bytes each), built with the internal sealer.
	eph, _ := ecdh.P256().GenerateKey(nil)
	secret, _ := eph.ECDH(ua.Private.PublicKey())
	salt := bytes.Repeat([]byte{7}, SaltSize)
	cek, nonce, _ := deriveKeys(secret, ua.Auth, ua.Private.PublicKey().Bytes(), eph.PublicKey().Bytes(), salt)
	msg := []byte("a message spanning several records")
	body, err := seal(cek, nonce, salt, eph.PublicKey().Bytes(), msg, 25)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ua.Decrypt(body)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("multi-record: %q, %v", got, err)
	}
}

// TestVAPIDHeader checks the ES256 JWT: raw 64-byte R||S signature, header and claims, aud as
// the endpoint's origin, the 24 h limit, and key text round trips (RFC 8292).
func TestVAPIDHeader(t *testing.T) {
	keys, err := GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseVAPIDKeys(keys.PrivateKey())
	if err != nil || again.PublicKey() != keys.PublicKey() {
		t.Fatalf("private key round trip: %v", err)
	}
	if pub := b64(t, keys.PublicKey()); len(pub) != 65 || pub[0] != 4 {
		t.Fatalf("public key is not an uncompressed point: %x", pub)
	}

	now := time.Unix(1_700_000_000, 0)
	endpoint := "https://Push.Example.net:443/wpush/v2/abc?x=1"
	h, err := keys.Header(endpoint, "mailto:ops@example.com", now, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "vapid t=") || !strings.Contains(h, ", k="+keys.PublicKey()) {
		t.Fatalf("header %q", h)
	}
	token := strings.TrimSuffix(strings.TrimPrefix(h, "vapid t="), ", k="+keys.PublicKey())
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q", token)
	}
	var hdr map[string]string
	json.Unmarshal(b64(t, parts[0]), &hdr)
	if hdr["alg"] != "ES256" || hdr["typ"] != "JWT" {
		t.Fatalf("JWT header %v", hdr)
	}
	var c Claims
	json.Unmarshal(b64(t, parts[1]), &c)
	if c.Audience != "https://push.example.net" || c.Subject != "mailto:ops@example.com" || c.Expires != now.Add(12*time.Hour).Unix() {
		t.Fatalf("claims %+v", c)
	}
	sig := b64(t, parts[2])
	if len(sig) != 64 {
		t.Fatalf("signature is %d bytes, want raw R||S of 64", len(sig))
	}
	// Verify independently of VerifyVAPID.
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), b64(t, keys.PublicKey()))
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("signature does not verify")
	}

	if _, k, err := VerifyVAPID(h, endpoint, now.Add(time.Hour)); err != nil || k != keys.PublicKey() {
		t.Fatalf("VerifyVAPID: %v", err)
	}
	if _, _, err := VerifyVAPID(h, "https://other.example.net/x", now); !errors.Is(err, ErrVAPID) {
		t.Fatalf("wrong audience accepted: %v", err)
	}
	if _, _, err := VerifyVAPID(h, endpoint, now.Add(13*time.Hour)); !errors.Is(err, ErrVAPID) {
		t.Fatalf("expired token accepted: %v", err)
	}
	other, _ := GenerateVAPIDKeys()
	forged := strings.Replace(h, keys.PublicKey(), other.PublicKey(), 1)
	if _, _, err := VerifyVAPID(forged, endpoint, now); !errors.Is(err, ErrVAPID) {
		t.Fatalf("token verified under another key: %v", err)
	}
	if _, err := keys.Header(endpoint, "mailto:ops@example.com", now, now.Add(25*time.Hour)); err == nil {
		t.Fatal("exp beyond 24h accepted")
	}
	if _, err := keys.Header(endpoint, "ops@example.com", now, time.Time{}); err == nil {
		t.Fatal("subject without mailto:/https: accepted")
	}
}

func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://fcm.googleapis.com/fcm/send/abc":              "https://fcm.googleapis.com",
		"https://HOST.example:8443/p":                          "https://host.example:8443",
		"http://127.0.0.1:80/x":                                "http://127.0.0.1",
		"https://[::1]:9000/x":                                 "https://[::1]:9000",
		"https://updates.push.services.mozilla.com/wpush/v2/x": "https://updates.push.services.mozilla.com",
	} {
		got, err := Origin(in)
		if err != nil || got != want {
			t.Errorf("Origin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Origin("/relative"); err == nil {
		t.Error("relative URL accepted")
	}
}

// pushEndpoint is a push service on loopback: it verifies the VAPID header against the
// expected public key, checks the protocol headers and decrypts the message as ua.
type pushEndpoint struct {
	srv    *httptest.Server
	ua     *UserAgent
	vapid  string
	status int

	mu   sync.Mutex
	got  [][]byte
	hdrs []http.Header
	errs []error
}

func newPushEndpoint(t *testing.T, vapidPublic string, status int) *pushEndpoint {
	t.Helper()
	ua, err := NewUserAgent()
	if err != nil {
		t.Fatal(err)
	}
	p := &pushEndpoint{ua: ua, vapid: vapidPublic, status: status}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pushEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	endpoint := p.srv.URL + r.URL.RequestURI()
	var err error
	var plain []byte
	if _, k, verr := VerifyVAPID(r.Header.Get("Authorization"), endpoint, time.Now()); verr != nil {
		err = verr
	} else if k != p.vapid {
		err = errors.New("VAPID key is not the subscription's application server key")
	} else if r.Header.Get("Content-Encoding") != "aes128gcm" {
		err = errors.New("Content-Encoding is not aes128gcm")
	} else {
		plain, err = p.ua.Decrypt(body)
	}
	p.mu.Lock()
	p.got = append(p.got, plain)
	p.hdrs = append(p.hdrs, r.Header.Clone())
	p.errs = append(p.errs, err)
	p.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if p.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "7")
	}
	w.WriteHeader(p.status)
}

// TestSendRoundTrip sends through a real loopback push endpoint that verifies the VAPID JWT
// and decrypts the payload (S-NOTIFY-1).
func TestSendRoundTrip(t *testing.T) {
	keys, _ := GenerateVAPIDKeys()
	p := newPushEndpoint(t, keys.PublicKey(), http.StatusCreated)
	sub := p.ua.Subscription(p.srv.URL + "/push/abc123")

	// The subscription survives the JSON form the browser posts.
	js, _ := json.Marshal(sub)
	var decoded Subscription
	if err := json.Unmarshal(js, &decoded); err != nil || decoded != sub {
		t.Fatalf("subscription JSON round trip: %s %v", js, err)
	}

	payload := []byte(`{"title":"New lead","body":"Acme Corp"}`)
	status, err := Send(context.Background(), p.srv.Client(), decoded, payload, Options{
		VAPID: keys, Subject: "mailto:ops@example.com", TTL: 90 * time.Second,
		Urgency: UrgencyHigh, Topic: "lead-42",
	})
	if err != nil || status != http.StatusCreated {
		t.Fatalf("Send: %d %v", status, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.got) != 1 || p.errs[0] != nil {
		t.Fatalf("endpoint saw %d requests, err %v", len(p.got), p.errs)
	}
	if !bytes.Equal(p.got[0], payload) {
		t.Fatalf("decrypted %q", p.got[0])
	}
	h := p.hdrs[0]
	if h.Get("TTL") != "90" || h.Get("Urgency") != "high" || h.Get("Topic") != "lead-42" {
		t.Fatalf("headers %v", h)
	}
}

// TestSendStatuses checks the classification of push service answers: 404/410 → ErrGone,
// 429/5xx retryable (with Retry-After), other 4xx permanent, network failure retryable.
func TestSendStatuses(t *testing.T) {
	keys, _ := GenerateVAPIDKeys()
	opts := Options{VAPID: keys, Subject: "https://leadflow.example"}
	for _, tc := range []struct {
		status    int
		gone      bool
		retryable bool
	}{
		{http.StatusGone, true, false},
		{http.StatusNotFound, true, false},
		{http.StatusTooManyRequests, false, true},
		{http.StatusServiceUnavailable, false, true},
		{http.StatusBadRequest, false, false},
		{http.StatusRequestEntityTooLarge, false, false},
	} {
		p := newPushEndpoint(t, keys.PublicKey(), tc.status)
		status, err := Send(context.Background(), p.srv.Client(), p.ua.Subscription(p.srv.URL+"/s"), []byte("hi"), opts)
		if status != tc.status || err == nil {
			t.Fatalf("%d: got %d, %v", tc.status, status, err)
		}
		if errors.Is(err, ErrGone) != tc.gone || Retryable(err) != tc.retryable {
			t.Errorf("%d: gone=%v retryable=%v (%v)", tc.status, errors.Is(err, ErrGone), Retryable(err), err)
		}
		var se *StatusError
		if !errors.As(err, &se) || se.Status != tc.status {
			t.Errorf("%d: no StatusError in %v", tc.status, err)
		}
		if tc.status == http.StatusTooManyRequests && se.RetryAfter != 7*time.Second {
			t.Errorf("Retry-After %v", se.RetryAfter)
		}
	}

	// Nothing listening: a transport error, retryable.
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	client, url := srv.Client(), srv.URL
	srv.Close()
	ua, _ := NewUserAgent()
	_, err := Send(context.Background(), client, ua.Subscription(url+"/s"), []byte("x"), opts)
	if !errors.Is(err, ErrUnreachable) || !Retryable(err) {
		t.Fatalf("closed endpoint: %v", err)
	}

	// Plain http endpoints are refused unless allowed.
	if _, err := Send(context.Background(), nil, ua.Subscription("http://127.0.0.1:1/s"), nil, opts); err == nil || Retryable(err) {
		t.Fatalf("http endpoint: %v", err)
	}
	if _, err := NewRequest(context.Background(), ua.Subscription("https://x.example/s"), nil, Options{VAPID: keys, Subject: "mailto:a@b", Topic: "not a topic!"}); err == nil {
		t.Fatal("invalid topic accepted")
	}
}

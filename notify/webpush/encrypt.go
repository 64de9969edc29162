package webpush

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// Sizes fixed by RFC 8291 and RFC 8188 for the aes128gcm content coding of Web Push.
const (
	// RecordSize is the record size written in the header of every message this package
	// encrypts. RFC 8291 section 4 makes 4096 the size every push service must accept.
	RecordSize = 4096
	// SaltSize is the length of the random salt in the header (RFC 8188 section 2.1).
	SaltSize = 16
	// AuthSecretSize is the length of the subscription's auth secret (RFC 8291 section 3.2).
	AuthSecretSize = 16
	// PublicKeySize is the length of an uncompressed P-256 point (RFC 8291 section 3.1).
	PublicKeySize = 65
	// HeaderSize is salt(16) || rs(4) || idlen(1) || keyid(65).
	HeaderSize = SaltSize + 4 + 1 + PublicKeySize
	// MaxPlaintext is the largest payload that fits one 4096-byte message: 4096 minus the
	// header, the padding delimiter and the 16-byte AEAD tag (RFC 8291 section 4).
	MaxPlaintext = RecordSize - HeaderSize - 1 - tagSize
)

const (
	tagSize   = 16
	nonceSize = 12
	keySize   = 16
)

// Errors returned by the encryption functions.
var (
	// ErrPayloadTooLarge means the plaintext exceeds MaxPlaintext bytes.
	ErrPayloadTooLarge = errors.New("webpush: payload too large")
	// ErrInvalidKeys means the subscription's p256dh or auth value is malformed.
	ErrInvalidKeys = errors.New("webpush: invalid subscription keys")
	// ErrDecrypt means a message could not be decrypted or is malformed; the details are
	// wrapped.
	ErrDecrypt = errors.New("webpush: cannot decrypt message")
)

// Encrypt encrypts plaintext for the user agent identified by keys, following RFC 8291 with
// the aes128gcm content coding of RFC 8188: a fresh ephemeral P-256 key pair and a random
// 16-byte salt are generated for every message, and the result is one record of record size
// 4096 whose header carries the ephemeral public key as key id. The returned bytes are the
// complete request body of a push message.
func Encrypt(keys Keys, plaintext []byte) ([]byte, error) {
	return EncryptWith(keys, plaintext, nil, nil)
}

// EncryptWith is [Encrypt] with an injectable salt and ephemeral (application server) key, so
// that the RFC 8291 Appendix A example can be reproduced byte for byte. A nil salt or nil
// ephemeral key is generated randomly; production code should always pass nil for both,
// because reusing either breaks the security of the scheme.
func EncryptWith(keys Keys, plaintext, salt []byte, ephemeral *ecdh.PrivateKey) ([]byte, error) {
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrPayloadTooLarge, len(plaintext), MaxPlaintext)
	}
	uaPublic, auth, err := keys.decode()
	if err != nil {
		return nil, err
	}
	if salt == nil {
		salt = make([]byte, SaltSize)
		rand.Read(salt)
	} else if len(salt) != SaltSize {
		return nil, fmt.Errorf("webpush: salt must be %d bytes, got %d", SaltSize, len(salt))
	}
	if ephemeral == nil {
		if ephemeral, err = ecdh.P256().GenerateKey(rand.Reader); err != nil {
			return nil, fmt.Errorf("webpush: generating ephemeral key: %w", err)
		}
	} else if ephemeral.Curve() != ecdh.P256() {
		return nil, errors.New("webpush: ephemeral key must be on P-256")
	}
	secret, err := ephemeral.ECDH(uaPublic)
	if err != nil {
		return nil, fmt.Errorf("webpush: key agreement: %w", err)
	}
	asPublic := ephemeral.PublicKey().Bytes()
	cek, nonce, err := deriveKeys(secret, auth, uaPublic.Bytes(), asPublic, salt)
	if err != nil {
		return nil, err
	}
	return seal(cek, nonce, salt, asPublic, plaintext, RecordSize)
}

// deriveKeys runs the key derivation of RFC 8291 section 3.4 followed by that of RFC 8188
// section 2.2 and 2.3:
//
//	PRK_key = HKDF-Extract(salt=auth_secret, IKM=ecdh_secret)
//	IKM     = HKDF-Expand(PRK_key, "WebPush: info" || 0x00 || ua_public || as_public, 32)
//	PRK     = HKDF-Extract(salt=salt, IKM=IKM)
//	CEK     = HKDF-Expand(PRK, "Content-Encoding: aes128gcm" || 0x00, 16)
//	NONCE   = HKDF-Expand(PRK, "Content-Encoding: nonce" || 0x00, 12)
func deriveKeys(ecdhSecret, auth, uaPublic, asPublic, salt []byte) (cek, nonce []byte, err error) {
	prkKey, err := hkdf.Extract(sha256.New, ecdhSecret, auth)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: hkdf: %w", err)
	}
	keyInfo := make([]byte, 0, 14+2*PublicKeySize)
	keyInfo = append(keyInfo, "WebPush: info\x00"...)
	keyInfo = append(keyInfo, uaPublic...)
	keyInfo = append(keyInfo, asPublic...)
	ikm, err := hkdf.Expand(sha256.New, prkKey, string(keyInfo), 32)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: hkdf: %w", err)
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: hkdf: %w", err)
	}
	if cek, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", keySize); err != nil {
		return nil, nil, fmt.Errorf("webpush: hkdf: %w", err)
	}
	if nonce, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", nonceSize); err != nil {
		return nil, nil, fmt.Errorf("webpush: hkdf: %w", err)
	}
	return cek, nonce, nil
}

// seal writes the RFC 8188 header and encrypts plaintext into records of size rs. Each record
// holds at most rs-17 plaintext bytes followed by the delimiter (0x01, or 0x02 for the last
// record) and no further padding; the nonce of record i is NONCE XOR i.
func seal(cek, nonce, salt, keyID, plaintext []byte, rs int) ([]byte, error) {
	gcm, err := newGCM(cek)
	if err != nil {
		return nil, err
	}
	per := rs - tagSize - 1
	n := max(1, (len(plaintext)+per-1)/per) // per leaves room for the delimiter in every record
	out := make([]byte, 0, HeaderSize+len(plaintext)+n*(tagSize+1))
	out = append(out, salt...)
	out = binary.BigEndian.AppendUint32(out, uint32(rs))
	out = append(out, byte(len(keyID)))
	out = append(out, keyID...)
	buf := make([]byte, 0, per+1)
	for i := range n {
		chunk := plaintext[min(i*per, len(plaintext)):min((i+1)*per, len(plaintext))]
		buf = append(buf[:0], chunk...)
		if i == n-1 {
			buf = append(buf, 0x02)
		} else {
			buf = append(buf, 0x01)
		}
		out = gcm.Seal(out, recordNonce(nonce, uint64(i)), buf, nil)
	}
	return out, nil
}

func newGCM(cek []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, fmt.Errorf("webpush: aes: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("webpush: gcm: %w", err)
	}
	return gcm, nil
}

// recordNonce returns the nonce for record seq: the base nonce XOR the sequence number as a
// 96-bit big-endian integer (RFC 8188 section 2.3).
func recordNonce(base []byte, seq uint64) []byte {
	n := make([]byte, nonceSize)
	copy(n, base)
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	for i := range s {
		n[nonceSize-8+i] ^= s[i]
	}
	return n
}

// Decrypt is the receiving user agent's side of [Encrypt]: it decrypts an aes128gcm push
// message body with the user agent's private key and the subscription's auth secret. The key
// id in the header must be the sender's 65-byte ephemeral public key (RFC 8291 section 4).
// Messages of several records and records with padding are accepted (RFC 8188). Errors wrap
// [ErrDecrypt].
func Decrypt(uaPrivate *ecdh.PrivateKey, authSecret, body []byte) ([]byte, error) {
	if uaPrivate == nil || uaPrivate.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("%w: user agent key must be a P-256 key", ErrDecrypt)
	}
	if len(authSecret) != AuthSecretSize {
		return nil, fmt.Errorf("%w: auth secret must be %d bytes", ErrDecrypt, AuthSecretSize)
	}
	if len(body) < SaltSize+5 {
		return nil, fmt.Errorf("%w: message shorter than its header", ErrDecrypt)
	}
	salt := body[:SaltSize]
	rs := int(binary.BigEndian.Uint32(body[SaltSize:]))
	idLen := int(body[SaltSize+4])
	if idLen != PublicKeySize || len(body) < SaltSize+5+idLen {
		return nil, fmt.Errorf("%w: key id must be a %d-byte public key, got %d bytes", ErrDecrypt, PublicKeySize, idLen)
	}
	if rs < tagSize+2 {
		return nil, fmt.Errorf("%w: record size %d too small", ErrDecrypt, rs)
	}
	asPublicBytes := body[SaltSize+5 : SaltSize+5+idLen]
	asPublic, err := ecdh.P256().NewPublicKey(asPublicBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: sender public key: %w", ErrDecrypt, err)
	}
	secret, err := uaPrivate.ECDH(asPublic)
	if err != nil {
		return nil, fmt.Errorf("%w: key agreement: %w", ErrDecrypt, err)
	}
	cek, nonce, err := deriveKeys(secret, authSecret, uaPrivate.PublicKey().Bytes(), asPublicBytes, salt)
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(cek)
	if err != nil {
		return nil, err
	}
	records := body[SaltSize+5+idLen:]
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: no records", ErrDecrypt)
	}
	var out []byte
	for seq := uint64(0); len(records) > 0; seq++ {
		rec := records[:min(rs, len(records))]
		records = records[len(rec):]
		last := len(records) == 0
		if len(rec) <= tagSize {
			return nil, fmt.Errorf("%w: record %d truncated", ErrDecrypt, seq)
		}
		plain, err := gcm.Open(nil, recordNonce(nonce, seq), rec, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: record %d: %w", ErrDecrypt, seq, err)
		}
		// Strip padding: trailing zeros, then the delimiter.
		i := len(plain) - 1
		for i >= 0 && plain[i] == 0 {
			i--
		}
		if i < 0 {
			return nil, fmt.Errorf("%w: record %d has no delimiter", ErrDecrypt, seq)
		}
		switch {
		case last && plain[i] != 0x02:
			return nil, fmt.Errorf("%w: last record has delimiter %#x, want 0x02", ErrDecrypt, plain[i])
		case !last && plain[i] != 0x01:
			return nil, fmt.Errorf("%w: record %d has delimiter %#x, want 0x01", ErrDecrypt, seq, plain[i])
		}
		out = append(out, plain[:i]...)
	}
	return out, nil
}

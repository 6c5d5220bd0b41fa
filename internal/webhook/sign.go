package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/ident"
)

// The Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every signing secret, as in Standard Webhooks and Svix.
const SecretPrefix = "whsec_"

// secretBytes is the size of a signing key: 256 bits, the HMAC-SHA256 block
// strength, within the 24 to 64 bytes Standard Webhooks asks for.
const secretBytes = 32

// NewSecret returns a fresh signing secret: "whsec_" and the standard
// base64 of 32 random bytes.
func NewSecret() string {
	return SecretPrefix + base64.StdEncoding.EncodeToString(ident.Bytes(secretBytes))
}

// Key is a decoded signing secret.
type Key []byte

// ParseSecret decodes "whsec_<base64>" into the HMAC key.
func ParseSecret(secret string) (Key, error) {
	b64, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, errors.New("webhook: secret does not start with " + SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("webhook: secret is not base64: %w", err)
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("webhook: secret key has %d bytes, want 24 to 64", len(key))
	}
	return key, nil
}

// Sign returns the signature of one message with one key: "v1," and the
// base64 HMAC-SHA256 of "<id>.<timestamp>.<body>".
func Sign(key Key, id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, ts.Unix(), 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignatureHeader returns the webhook-signature value: one signature per
// key, space separated, so that a receiver holding either the old or the new
// secret during a rotation verifies the message.
func SignatureHeader(keys []Key, id string, ts time.Time, body []byte) string {
	sigs := make([]string, 0, len(keys))
	for _, k := range keys {
		sigs = append(sigs, Sign(k, id, ts, body))
	}
	return strings.Join(sigs, " ")
}

// Verify checks a webhook-signature header against key, comparing each
// "v1,<signature>" entry in constant time, with the Standard Webhooks
// library's parsing (entries split on spaces, version and signature on the
// first commas). Mercato does not need it to send; it is the reference for
// the README's receiver instructions, and the fuzz tests hold it to the
// library's answers.
func Verify(key Key, id string, ts time.Time, body []byte, header string) bool {
	_, want, _ := strings.Cut(Sign(key, id, ts, body), ",")
	for _, entry := range strings.Split(header, " ") {
		parts := strings.Split(entry, ",")
		if len(parts) < 2 || parts[0] != "v1" {
			continue
		}
		if hmac.Equal([]byte(parts[1]), []byte(want)) {
			return true
		}
	}
	return false
}

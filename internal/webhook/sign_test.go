package webhook

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// headers builds the request headers a receiver gets, as Client.Send sets
// them.
func headers(id string, ts time.Time, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return h
}

func mustKey(t testing.TB, secret string) Key {
	t.Helper()
	k, err := ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func libVerify(t testing.TB, secret string, body []byte, h http.Header) error {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("the library refuses secret: %v", err)
	}
	return wh.Verify(body, h)
}

func TestNewSecret(t *testing.T) {
	s := NewSecret()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if !strings.HasPrefix(s, SecretPrefix) || err != nil || len(raw) != 32 {
		t.Fatalf("secret %q: %d bytes, %v", s, len(raw), err)
	}
	if NewSecret() == s {
		t.Fatal("two secrets are equal")
	}
}

func TestSignatureHeader_VerifiesWithStandardWebhooks(t *testing.T) {
	oldSecret, newSecret, other := NewSecret(), NewSecret(), NewSecret()
	body := []byte(`{"id":"EV-1","type":"order.created","created":"2026-11-22T10:15:30Z","account":"PA-855-748","data":{"id":"ORD-1"}}`)
	now := time.Now()
	tests := []struct {
		name    string
		keys    []string
		verify  string
		body    []byte
		wantErr bool
	}{
		{"one secret", []string{newSecret}, newSecret, body, false},
		{"rotation: new secret verifies", []string{newSecret, oldSecret}, newSecret, body, false},
		{"rotation: old secret verifies", []string{newSecret, oldSecret}, oldSecret, body, false},
		{"another secret fails", []string{newSecret, oldSecret}, other, body, true},
		{"a changed body fails", []string{newSecret}, newSecret, append([]byte(nil), append(body[:len(body)-1:len(body)-1], ' ', '}')...), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := make([]Key, 0, len(tt.keys))
			for _, s := range tt.keys {
				keys = append(keys, mustKey(t, s))
			}
			sig := SignatureHeader(keys, "DL-1", now, body)
			if n := len(strings.Fields(sig)); n != len(keys) {
				t.Errorf("header has %d signatures, want %d: %q", n, len(keys), sig)
			}
			err := libVerify(t, tt.verify, tt.body, headers("DL-1", now, sig))
			if (err != nil) != tt.wantErr {
				t.Errorf("library verify = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestSign_KnownVector pins the signing input, "<id>.<timestamp>.<body>"
// with the base64-decoded key, against the library's own signer.
func TestSign_KnownVector(t *testing.T) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ts := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	want, err := wh.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := Sign(mustKey(t, secret), "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestParseSecret(t *testing.T) {
	tests := []struct {
		name, secret string
		ok           bool
	}{
		{"issued", NewSecret(), true},
		{"no prefix", strings.TrimPrefix(NewSecret(), SecretPrefix), false},
		{"not base64", "whsec_!!!", false},
		{"too short", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 16)), false},
		{"too long", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseSecret(tt.secret); (err == nil) != tt.ok {
				t.Errorf("ParseSecret = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// FuzzSignature holds the signer to the Standard Webhooks library for any
// message id, timestamp, body and key: the library must accept every
// signature Mercato makes, and must refuse it once the body changes.
func FuzzSignature(f *testing.F) {
	f.Add("DL-019aab3c5e000-4f1c2a9b0d7e6a31", int64(1795342530), []byte(`{"id":"EV-1","type":"request.created"}`), []byte(strings.Repeat("k", 32)))
	f.Add("msg_p5jXN8AQM9LWM0D4loKWxJek", int64(1614265330), []byte(`{"test": 2432232314}`), []byte(strings.Repeat("\x00", 24)))
	f.Add("a.b.c", int64(0), []byte(""), []byte(strings.Repeat("\xff", 64)))
	f.Fuzz(func(t *testing.T, id string, unix int64, body, key []byte) {
		if len(key) < 24 || len(key) > 64 || !validHeaderValue(id) || id == "" {
			t.Skip()
		}
		ts := time.Unix(unix%(1<<40), 0)
		secret := SecretPrefix + base64.StdEncoding.EncodeToString(key)
		k, err := ParseSecret(secret)
		if err != nil {
			t.Fatalf("ParseSecret of an issued form: %v", err)
		}
		sig := SignatureHeader([]Key{k}, id, ts, body)
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		h := headers(id, ts, sig)
		if err := wh.VerifyIgnoringTimestamp(body, h); err != nil {
			t.Fatalf("library refuses Mercato's signature: %v", err)
		}
		if !Verify(k, id, ts, body, sig) {
			t.Fatal("Verify refuses its own signature")
		}
		tampered := append(append([]byte(nil), body...), 'x')
		if wh.VerifyIgnoringTimestamp(tampered, h) == nil || Verify(k, id, ts, tampered, sig) {
			t.Fatal("a changed body verifies")
		}
	})
}

// FuzzVerify feeds arbitrary signature headers to Verify and the library:
// they must agree on every one.
func FuzzVerify(f *testing.F) {
	key := []byte(strings.Repeat("s", 32))
	ts := time.Unix(1795342530, 0)
	good := Sign(key, "DL-1", ts, []byte("{}"))
	f.Add(good)
	f.Add("v1,AAAA " + good)
	f.Add("v2," + strings.TrimPrefix(good, "v1,"))
	f.Add("v1," + strings.ToLower(strings.TrimPrefix(good, "v1,")))
	f.Add("")
	f.Fuzz(func(t *testing.T, header string) {
		if !validHeaderValue(header) || strings.TrimSpace(header) == "" {
			t.Skip()
		}
		wh, err := standardwebhooks.NewWebhookRaw(key)
		if err != nil {
			t.Fatal(err)
		}
		lib := wh.VerifyIgnoringTimestamp([]byte("{}"), headers("DL-1", ts, header)) == nil
		if got := Verify(key, "DL-1", ts, []byte("{}"), header); got != lib {
			t.Fatalf("Verify(%q) = %v, library says %v", header, got, lib)
		}
	})
}

// validHeaderValue reports whether s can travel in an HTTP header, which
// is all a receiver could ever be given.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			return false
		}
	}
	return true
}

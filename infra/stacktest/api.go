package stacktest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Call sends a request to the API handler h as a client would: body is
// nil, a string (sent as it is) or a value (sent as JSON), auth the
// Authorization header ("" for none) and hdr more headers, name then value.
// It may run on goroutines other than the test's.
func Call(t testing.TB, h http.Handler, method, path, auth string, body any, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Errorf("%s %s: encode the body: %v", method, path, err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Do is Call that fails the test unless the answer has status want, and
// decodes the answer into out unless out is nil. It answers the body.
func Do(t testing.TB, h http.Handler, method, path, auth string, body any, want int, out any) []byte {
	t.Helper()
	rec := Call(t, h, method, path, auth, body)
	raw := rec.Body.Bytes()
	if rec.Code != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, rec.Code, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return raw
}

// APIKey is the Authorization header of a Connect token, "" for none.
func APIKey(token string) string {
	if token == "" {
		return ""
	}
	return "ApiKey " + token
}

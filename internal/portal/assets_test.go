package portal

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestAssets_ServeHTTP(t *testing.T) {
	site := fstest.MapFS{
		"index.html":             {Data: []byte(`<!doctype html><script type="module" src="/portal/assets/index-AbC123.js"></script>`)},
		"assets/index-AbC123.js": {Data: []byte(strings.Repeat("console.log('portal');", 50))},
	}
	h := NewAssets(site)
	tests := []struct {
		name, method, path string
		gzip               bool
		status             int
		cache, body        string
	}{
		{"app root", "GET", "/portal/", false, 200, "no-cache", "<!doctype html>"},
		{"app route reloads to index", "GET", "/portal/queue/PR-1", false, 200, "no-cache", "<!doctype html>"},
		{"hashed asset", "GET", "/portal/assets/index-AbC123.js", false, 200, "public, max-age=31536000, immutable", "console.log"},
		{"hashed asset gzipped", "GET", "/portal/assets/index-AbC123.js", true, 200, "public, max-age=31536000, immutable", "console.log"},
		{"unknown asset", "GET", "/portal/assets/nope.js", false, 404, "", ""},
		{"escape attempt", "GET", "/portal/assets/../../assets.go", false, 200, "no-cache", "<!doctype html>"},
		{"write", "POST", "/portal/", false, 405, "", ""},
		{"no slash", "GET", "/portal", false, 301, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.gzip {
				req.Header.Set("Accept-Encoding", "gzip, br")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
				t.Errorf("CSP = %q", csp)
			}
			if got := rec.Header().Get("Cache-Control"); tt.cache != "" && got != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
			}
			body := rec.Body.Bytes()
			if tt.gzip {
				if rec.Header().Get("Content-Encoding") != "gzip" {
					t.Fatal("not gzipped")
				}
				zr, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !strings.Contains(string(body), tt.body) {
				t.Errorf("body = %.80q, want it to contain %q", body, tt.body)
			}
		})
	}
}

// TestAssets_NotBuilt is a binary built before the web build (a fresh
// clone's go build): the portal says how to build it rather than serving
// an empty page.
func TestAssets_NotBuilt(t *testing.T) {
	rec := httptest.NewRecorder()
	NewAssets(fstest.MapFS{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/portal/", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make portal") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// Package portal is the web portal's server side: the built single-page
// app embedded in the binary and served under /portal/, and the portal
// sessions (a cookie in place of an API token) that the API's auth
// middleware accepts.
package portal

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// dist holds the Vite build (web/ → dist/site). The committed dist/.gitkeep
// keeps the pattern matching on a fresh clone, where `go build ./...` runs
// before any npm step; such a binary answers 503 under /portal/ and says
// how to build the assets.
//
//go:embed all:dist
var dist embed.FS

// Built returns the embedded build output (empty when it was not built).
func Built() fs.FS {
	site, err := fs.Sub(dist, "dist/site")
	if err != nil {
		panic(err) // fs.Sub fails only on an invalid path literal
	}
	return site
}

// Prefix is where the portal is served.
const Prefix = "/portal/"

// CSP allows only the portal's own files: no inline script or style, no
// other origin, no framing.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Assets serves the app in site: files under assets/ (whose names carry a
// content hash) with a year's immutable caching, and index.html, never
// cached, for every other path so that the app's own routes reload.
type Assets struct {
	site fs.FS
	mu   sync.Mutex
	gz   map[string][]byte
}

// NewAssets returns the handler of the app in site (Built() in production).
func NewAssets(site fs.FS) *Assets { return &Assets{site: site, gz: map[string][]byte{}} }

func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	name := strings.TrimPrefix(path.Clean(r.URL.Path), Prefix)
	if strings.HasPrefix(name, "assets/") {
		body, err := fs.ReadFile(a.site, name)
		if err != nil {
			http.Error(w, "no such asset", http.StatusNotFound)
			return
		}
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		a.write(w, r, name, body)
		return
	}
	body, err := fs.ReadFile(a.site, "index.html")
	if err != nil {
		http.Error(w, "the portal's assets were not built into this binary: run `make portal` (make run, make build and sam build do) and build again",
			http.StatusServiceUnavailable)
		return
	}
	h.Set("Cache-Control", "no-cache")
	a.write(w, r, "index.html", body)
}

// write sends body, gzipped when the client takes it and the type
// compresses. Each file is compressed once.
func (a *Assets) write(w http.ResponseWriter, r *http.Request, name string, body []byte) {
	typ := mime.TypeByExtension(path.Ext(name))
	if typ == "" {
		typ = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Add("Vary", "Accept-Encoding")
	compressible := strings.HasPrefix(typ, "text/") || strings.Contains(typ, "javascript") || strings.Contains(typ, "json") || strings.Contains(typ, "svg")
	if compressible && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		body = a.gzipped(name, body)
		h.Set("Content-Encoding", "gzip")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func (a *Assets) gzipped(name string, body []byte) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	if z, ok := a.gz[name]; ok {
		return z
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body) //nolint:errcheck // writes to a bytes.Buffer do not fail
	zw.Close()     //nolint:errcheck
	a.gz[name] = buf.Bytes()
	return a.gz[name]
}

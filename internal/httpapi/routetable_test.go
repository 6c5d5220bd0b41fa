package httpapi

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/httpapi/files"
	"github.com/mercato-dev/mercato/internal/markdown"
)

// TestServer_RouteTableMatchesServeMux registers every route's path on a
// ServeMux (which panics on patterns in conflict) and in an endpoint.Table,
// and asks both about paths built from the patterns: each wildcard filled
// with a plain value, an escaped slash, or a literal that another pattern
// has at that place; with a trailing slash; with one more segment. Both
// must choose the same pattern with the same path values, or both none.
func TestServer_RouteTableMatchesServeMux(t *testing.T) {
	s := New(Config{Markdown: markdown.HTML, Routes: files.Routes(files.Config{})})
	var patterns []string
	for _, rt := range s.routes {
		if !slices.Contains(patterns, rt.Path) {
			patterns = append(patterns, rt.Path)
		}
	}
	record := func(pattern string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var values []string
			for _, seg := range strings.Split(pattern, "/") {
				if strings.HasPrefix(seg, "{") {
					values = append(values, r.PathValue(seg[1:len(seg)-1]))
				}
			}
			w.Header().Set("X-Match", pattern+" "+strings.Join(values, "|"))
		})
	}
	mux := http.NewServeMux()
	table := endpoint.NewTable(record("none"))
	mux.Handle("/", record("none"))
	literals := map[int][]string{} // the literal segments at each depth
	for _, p := range patterns {
		mux.Handle(p, record(p))
		table.Add(p, record(p))
		for i, seg := range strings.Split(p, "/") {
			if !strings.HasPrefix(seg, "{") && !slices.Contains(literals[i], seg) {
				literals[i] = append(literals[i], seg)
			}
		}
	}
	var probes []string
	for _, p := range patterns {
		segs := strings.Split(p, "/")
		fills := []string{"PRD-1", "a%2Fb", "%50RD-2", "%2E%2E"}
		for i, seg := range segs {
			if strings.HasPrefix(seg, "{") {
				fills = append(fills, literals[i]...)
			}
		}
		for _, fill := range fills {
			path := make([]string, len(segs))
			for i, seg := range segs {
				path[i] = seg
				if strings.HasPrefix(seg, "{") {
					path[i] = fill
				}
			}
			joined := strings.Join(path, "/")
			probes = append(probes, joined, joined+"/", joined+"/x")
		}
	}
	probes = append(probes, "/", "/public/v1", "/public/v1/", "/v1/products/%2F", "/v1/products/%2F/skus", "/public/v1/usage/files/")
	matched := 0
	for _, path := range probes {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		mux.ServeHTTP(want, httptest.NewRequest(http.MethodGet, path, nil))
		table.ServeHTTP(got, httptest.NewRequest(http.MethodGet, path, nil))
		if w, g := want.Header().Get("X-Match"), got.Header().Get("X-Match"); w != g || w == "" {
			t.Errorf("%s: ServeMux %q (status %d), table %q", path, w, want.Code, g)
		} else if !strings.HasPrefix(w, "none") {
			matched++
		}
	}
	if matched < len(patterns) {
		t.Errorf("%d probes matched a pattern, want at least one per pattern (%d)", matched, len(patterns))
	}
}

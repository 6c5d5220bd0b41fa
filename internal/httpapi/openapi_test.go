package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/httpapi/files"
	"github.com/mercato-dev/mercato/internal/httpapi/render"
)

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPISpec())
	if err != nil {
		t.Fatalf("openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

var param = regexp.MustCompile(`\{[^}]+\}`)

func TestOpenAPI_MatchesRouter(t *testing.T) {
	doc := loadSpec(t)
	var inSpec []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			inSpec = append(inSpec, method+" "+param.ReplaceAllString(path, "{}"))
		}
	}
	// The API's routes, the render function's and the files function's, as
	// the gateway serves them.
	cfg := Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	var inRouter []string
	routes := append(New(cfg).routes, render.Routes(render.Config{})...)
	for _, rt := range append(routes, files.Routes(files.Config{})...) {
		inRouter = append(inRouter, rt.Method+" "+param.ReplaceAllString(rt.Path, "{}"))
	}
	sort.Strings(inSpec)
	sort.Strings(inRouter)
	if diff := cmp.Diff(inSpec, inRouter); diff != "" {
		t.Errorf("routes in openapi.yaml (-) and in the router (+) differ:\n%s", diff)
	}
}

func TestOpenAPI_Served(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != string(OpenAPISpec()) {
		t.Fatalf("GET /openapi.yaml = %d", rec.Code)
	}
}

// routeKeys lists routes as sorted "METHOD path" keys.
func routeKeys(routes []route) []string {
	var out []string
	for _, rt := range routes {
		out = append(out, rt.Method+" "+rt.Path)
	}
	sort.Strings(out)
	return out
}

// TestNew_RenderRoutes: the API without a Markdown renderer serves every
// route but the render routes, the render function those only, and a
// server with one (the local runtime's) all of them once.
func TestNew_RenderRoutes(t *testing.T) {
	html := func(string) (string, error) { return "", nil }
	api, rendered, all := routeKeys(New(Config{}).routes), routeKeys(render.Routes(render.Config{Markdown: html})), routeKeys(New(Config{Markdown: html}).routes)
	want := []string{"GET /public/v1/assets/{id}/render", "GET /public/v1/requests/{id}/render"}
	if diff := cmp.Diff(want, rendered); diff != "" {
		t.Errorf("render routes (-want +got):\n%s", diff)
	}
	for _, k := range rendered {
		if slices.Contains(api, k) {
			t.Errorf("the API without Markdown serves %s", k)
		}
	}
	both := append(slices.Clone(api), rendered...)
	sort.Strings(both)
	if diff := cmp.Diff(both, all); diff != "" {
		t.Errorf("New with Markdown (+) is not the API's routes and the render routes (-):\n%s", diff)
	}
}

// TestNew_FilesRoutes: the API without Config.Routes serves no route of
// usage files or invoices, the files function serves exactly those, and a
// server given them (the local runtime's) serves every route once.
func TestNew_FilesRoutes(t *testing.T) {
	api, filed := routeKeys(New(Config{}).routes), routeKeys(files.Routes(files.Config{}))
	all := routeKeys(New(Config{Routes: files.Routes(files.Config{})}).routes)
	for _, k := range filed {
		_, path, _ := strings.Cut(k, " ")
		if !strings.HasPrefix(path, "/public/v1/usage/") && path != "/v1/invoices" && !strings.HasPrefix(path, "/v1/invoices/") {
			t.Errorf("the files routes serve %s, outside /public/v1/usage/ and /v1/invoices", k)
		}
	}
	for _, k := range api {
		_, path, _ := strings.Cut(k, " ")
		if strings.HasPrefix(path, "/public/v1/usage/") || path == "/v1/invoices" || strings.HasPrefix(path, "/v1/invoices/") {
			t.Errorf("the API without the files routes serves %s", k)
		}
	}
	if len(filed) != 15 {
		t.Errorf("%d files routes, want 15 (11 of usage, 4 of invoices): %v", len(filed), filed)
	}
	both := append(slices.Clone(api), filed...)
	sort.Strings(both)
	if diff := cmp.Diff(both, all); diff != "" {
		t.Errorf("New with the files routes (+) is not the API's routes and the files routes (-):\n%s", diff)
	}
}

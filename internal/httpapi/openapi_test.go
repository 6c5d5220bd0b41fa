package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
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
	s := New(Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	var inRouter []string
	for _, rt := range s.routes {
		inRouter = append(inRouter, rt.method+" "+param.ReplaceAllString(rt.path, "{}"))
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

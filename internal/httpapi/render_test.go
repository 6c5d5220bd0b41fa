package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app/renderfn"
	"github.com/mercato-dev/mercato/internal/httpapi"
)

// TestRenderFunction_AnswersAsTheAPI: RenderFunction's handler, built as
// its binary builds it, answers the render routes exactly as the local
// API does (status, headers, body), for a token or the portal's session
// cookie, Markdown or HTML, a wrong method or an unknown id; and it reads
// the table with GetItem only, the one action its template.yaml policy
// grants.
func TestRenderFunction_AnswersAsTheAPI(t *testing.T) {
	s := newFreshShop(t)
	p := s.order(t, 1)
	v, pr := s.vendor.Token.Value, s.provider.Token.Value
	s.do(http.MethodPut, reqPath(p.request), v, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_admin_email", "value": "admin@example.com"}}}}, http.StatusOK, nil)
	s.act(t, p.request, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
	a := s.app
	render := renderfn.Handler(a.Base, a.Core, a.Fulfillment())
	session := stacktest.Call(t, s.api, http.MethodPost, "/public/v1/auth/sessions", "", tokenBody(pr), "Content-Type", "application/json")
	var cookie string
	for _, ck := range session.Result().Cookies() {
		if ck.Name == httpapi.SessionCookie {
			cookie = ck.Name + "=" + ck.Value
		}
	}
	if cookie == "" {
		t.Fatalf("no session cookie: %d %s", session.Code, session.Body)
	}
	type call struct {
		name, method, path, token string
		hdr                       []string
		status                    int
	}
	req, asset := "/public/v1/requests/"+p.request+"/render", "/public/v1/assets/"+p.asset+"/render"
	calls := []call{
		{"request markdown", http.MethodGet, req, pr, nil, 200},
		{"request html", http.MethodGet, req, v, []string{"Accept", "text/html,application/xhtml+xml;q=0.9"}, 200},
		{"asset markdown", http.MethodGet, asset, pr, []string{"Accept", "text/markdown"}, 200},
		{"asset html, session cookie", http.MethodGet, asset, "", []string{"Accept", "text/html", "Cookie", cookie}, 200},
		{"no token", http.MethodGet, asset, "", nil, 401},
		{"unknown asset", http.MethodGet, "/public/v1/assets/AS-0000-0000-0009/render", pr, nil, 404},
		{"wrong method", http.MethodPost, req, pr, nil, 405},
	}
	ops := map[string]int{}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			want := stacktest.Call(t, s.api, c.method, c.path, stacktest.APIKey(c.token), nil, c.hdr...)
			s.counter.Reset()
			got := stacktest.Call(t, render, c.method, c.path, stacktest.APIKey(c.token), nil, c.hdr...)
			for op, n := range s.counter.Calls() {
				ops[op] += n
			}
			if want.Code != c.status {
				t.Errorf("API %d %q, want %d", want.Code, want.Body, c.status)
			}
			sameAnswer(t, "render function", got, want, "Content-Type", "Vary", "X-Content-Type-Options", "Allow", "WWW-Authenticate")
			if got.Header().Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
	for op := range ops {
		if op != "GetItem" {
			t.Errorf("the render function called %s; its policy grants GetItem only (calls %v)", op, ops)
		}
	}
	if ops["GetItem"] == 0 {
		t.Error("the render function read nothing from the table")
	}
	// The API's other routes are not the render function's.
	res := stacktest.Call(t, render, http.MethodGet, "/public/v1/requests/"+p.request, stacktest.APIKey(pr), nil)
	if res.Code != http.StatusNotFound {
		t.Errorf("GET a request from the render function = %d %s, want 404", res.Code, res.Body)
	}
}

// sameAnswer reports where a function split from the API answered
// otherwise than the API: status, body, or one of headers.
func sameAnswer(t *testing.T, fn string, got, want *httptest.ResponseRecorder, headers ...string) {
	t.Helper()
	if got.Code != want.Code || got.Body.String() != want.Body.String() {
		t.Errorf("%s %d %q, API %d %q", fn, got.Code, got.Body, want.Code, want.Body)
	}
	for _, h := range headers {
		if got.Header().Get(h) != want.Header().Get(h) {
			t.Errorf("%s: %s %q, API %q", h, fn, got.Header().Get(h), want.Header().Get(h))
		}
	}
}

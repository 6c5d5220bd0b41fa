package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/httpapi"
	"github.com/mercato-dev/mercato/internal/portal"
)

// clock is a settable clock shared by the API under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// portalClient is a browser's view of the API: a host, and the session
// cookie the API set.
type portalClient struct {
	t      *testing.T
	api    http.Handler
	host   string
	cookie *http.Cookie
}

func (c *portalClient) send(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	c.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Host = c.host
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	c.api.ServeHTTP(rec, req)
	return rec
}

type sessionAnswer struct {
	Account struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"account"`
	CSRFToken string    `json:"csrf_token"`
	Expires   time.Time `json:"expires"`
}

// signIn opens a session with body and keeps its cookie.
func (c *portalClient) signIn(body string) sessionAnswer {
	c.t.Helper()
	rec := c.send(http.MethodPost, "/public/v1/auth/sessions", body, "Content-Type", "application/json")
	if rec.Code != http.StatusCreated {
		c.t.Fatalf("sign in = %d: %s", rec.Code, rec.Body)
	}
	var got sessionAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		c.t.Fatal(err)
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == httpapi.SessionCookie {
			c.cookie = &http.Cookie{Name: ck.Name, Value: ck.Value}
		}
	}
	if c.cookie == nil {
		c.t.Fatal("no session cookie")
	}
	return got
}

func tokenBody(tok string) string { return `{"token":"` + tok + `"}` }

func TestSessions_CookieAttributes(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		host       string
		wantSecure bool
	}{
		{"127.0.0.1:8181", false},
		{"localhost:8080", false},
		{"api.mercato.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			c := &portalClient{t: t, api: f.api, host: tt.host}
			rec := c.send(http.MethodPost, "/public/v1/auth/sessions", tokenBody(f.vendor.Token.Value), "Content-Type", "application/json")
			if rec.Code != http.StatusCreated {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("cookies = %v", cookies)
			}
			ck := cookies[0]
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure != tt.wantSecure || ck.Path != "/" {
				t.Errorf("cookie %s: HttpOnly=%v SameSite=%v Secure=%v Path=%q", ck.Raw, ck.HttpOnly, ck.SameSite, ck.Secure, ck.Path)
			}
			if d := time.Until(ck.Expires); d < 7*time.Hour || d > 8*time.Hour+time.Minute {
				t.Errorf("cookie expires in %s, want the 8h session", d)
			}
		})
	}
}

// TestSessions_Lifecycle signs in with a token, reads and writes with the
// cookie (writes only with the CSRF token), and signs out.
func TestSessions_Lifecycle(t *testing.T) {
	f := newFixture(t)
	c := &portalClient{t: t, api: f.api, host: "127.0.0.1:8181"}
	s := c.signIn(tokenBody(f.vendor.Token.Value))
	if s.Account.ID != f.vendor.ID || s.Account.Type != "vendor" || len(s.CSRFToken) < 40 {
		t.Fatalf("session = %+v", s)
	}

	if rec := c.send(http.MethodGet, "/public/v1/auth/context", ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), f.vendor.ID) {
		t.Fatalf("context with the cookie = %d %s", rec.Code, rec.Body)
	}
	var cur sessionAnswer
	rec := c.send(http.MethodGet, "/public/v1/auth/sessions/current", "")
	if err := json.Unmarshal(rec.Body.Bytes(), &cur); err != nil || rec.Code != http.StatusOK || cur.CSRFToken != s.CSRFToken {
		t.Fatalf("current = %d %s", rec.Code, rec.Body)
	}

	write := `{"name":"from the portal"}`
	for _, hdr := range [][]string{nil, {httpapi.CSRFHeader, "x" + s.CSRFToken}} {
		rec := c.send(http.MethodPost, "/public/v1/auth/tokens", write, hdr...)
		connectError(t, response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}, http.StatusForbidden, "AUTH_002", "X-CSRF-Token")
	}
	if rec := c.send(http.MethodPost, "/public/v1/auth/tokens", write, httpapi.CSRFHeader, s.CSRFToken); rec.Code != http.StatusCreated {
		t.Fatalf("write with csrf = %d %s", rec.Code, rec.Body)
	}

	// The table keeps neither the cookie value nor the token.
	key := dynamo.Key{PK: "PSESSION#" + account.HashToken(c.cookie.Value), SK: "SESSION"}
	text, ok := f.storedText(t, key)
	if !ok {
		t.Fatalf("no session item %v", key)
	}
	if strings.Contains(text, c.cookie.Value) || strings.Contains(text, f.vendor.Token.Value) || !strings.Contains(text, "expires_at=") {
		t.Errorf("session item: %s", text)
	}

	if rec := c.send(http.MethodDelete, "/public/v1/auth/sessions/current", ""); rec.Code != http.StatusForbidden {
		t.Fatalf("sign-out without csrf = %d", rec.Code)
	}
	rec = c.send(http.MethodDelete, "/public/v1/auth/sessions/current", "", httpapi.CSRFHeader, s.CSRFToken)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("sign-out = %d %s", rec.Code, rec.Body)
	}
	if cks := rec.Result().Cookies(); len(cks) != 1 || cks[0].MaxAge >= 0 {
		t.Errorf("sign-out cookies = %v, want the cookie cleared", cks)
	}
	rec = c.send(http.MethodGet, "/public/v1/auth/context", "")
	connectError(t, response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}, http.StatusUnauthorized, "AUTH_001", "ended")
}

func TestSessions_Ends(t *testing.T) {
	f := newFixture(t)
	clk := &clock{now: time.Now()}
	api := app.New(f.app.Config, stacktest.Shared(t).AWS, f.app.Log, app.Options{Now: clk.Now}).API()

	t.Run("expired", func(t *testing.T) {
		c := &portalClient{t: t, api: api, host: "127.0.0.1:8181"}
		c.signIn(tokenBody(f.vendor.Token.Value))
		clk.Add(portal.DefaultSessionTTL - time.Minute)
		if rec := c.send(http.MethodGet, "/public/v1/auth/context", ""); rec.Code != http.StatusOK {
			t.Fatalf("before expiry = %d", rec.Code)
		}
		clk.Add(time.Minute)
		rec := c.send(http.MethodGet, "/public/v1/auth/context", "")
		connectError(t, response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}, http.StatusUnauthorized, "AUTH_001", "expired")
	})
	t.Run("token revoked", func(t *testing.T) {
		var tok account.NewToken
		f.do(http.MethodPost, "/public/v1/auth/tokens", f.vendor.Token.Value, map[string]string{"name": "short"}, http.StatusCreated, &tok)
		c := &portalClient{t: t, api: api, host: "127.0.0.1:8181"}
		c.signIn(tokenBody(tok.Value))
		// Revoked through another instance (f's): this instance keeps the
		// token's authentication for account.TokenCacheTTL (README:
		// "Instance caches"), then the session ends with the token.
		f.do(http.MethodDelete, "/public/v1/auth/tokens/"+tok.ID, f.vendor.Token.Value, nil, http.StatusNoContent, nil)
		clk.Add(account.TokenCacheTTL)
		if rec := c.send(http.MethodGet, "/public/v1/auth/context", ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("after revoking the token = %d", rec.Code)
		}
	})
}

func TestSessions_SignInLink(t *testing.T) {
	f := newFixture(t)
	clk := &clock{now: time.Now()}
	api := app.New(f.app.Config, stacktest.Shared(t).AWS, f.app.Log, app.Options{Now: clk.Now}).API()
	mint := func() string {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/public/v1/auth/sign-in-links", nil)
		req.Host = "127.0.0.1:8181"
		req.Header.Set("Authorization", "ApiKey "+f.provider.Token.Value)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		var link struct{ URL string }
		if err := json.Unmarshal(rec.Body.Bytes(), &link); err != nil || rec.Code != http.StatusCreated {
			t.Fatalf("mint = %d %s", rec.Code, rec.Body)
		}
		prefix := "http://127.0.0.1:8181/portal/#/sign-in/"
		if !strings.HasPrefix(link.URL, prefix) {
			t.Fatalf("url = %q", link.URL)
		}
		return strings.TrimPrefix(link.URL, prefix)
	}

	code := mint()
	c := &portalClient{t: t, api: api, host: "127.0.0.1:8181"}
	if s := c.signIn(`{"link":"` + code + `"}`); s.Account.ID != f.provider.ID {
		t.Fatalf("link opened %+v", s)
	}
	again := c.send(http.MethodPost, "/public/v1/auth/sessions", `{"link":"`+code+`"}`, "Content-Type", "application/json")
	connectError(t, response{status: again.Code, header: again.Header(), body: again.Body.Bytes()}, http.StatusUnauthorized, "AUTH_001", "sign-in link")

	// A session cannot mint links: a stolen cookie must not outlive itself.
	rec := c.send(http.MethodPost, "/public/v1/auth/sign-in-links", "", httpapi.CSRFHeader, c.signIn(`{"link":"`+mint()+`"}`).CSRFToken)
	if rec.Code != http.StatusForbidden {
		t.Errorf("link from a session = %d %s", rec.Code, rec.Body)
	}

	late := mint()
	clk.Add(portal.LinkTTL)
	rec = c.send(http.MethodPost, "/public/v1/auth/sessions", `{"link":"`+late+`"}`, "Content-Type", "application/json")
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("expired link = %d", rec.Code)
	}
}

func TestSessions_BadSignIn(t *testing.T) {
	f := newFixture(t)
	c := &portalClient{t: t, api: f.api, host: "127.0.0.1:8181"}
	tests := []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"neither", "application/json", `{}`, http.StatusBadRequest, "VAL_001"},
		{"both", "application/json", `{"token":"a","link":"b"}`, http.StatusBadRequest, "VAL_001"},
		{"unknown field", "application/json", `{"tokn":"a"}`, http.StatusBadRequest, "VAL_001"},
		{"wrong token", "application/json", tokenBody(f.vendor.Token.ID + ":nope"), http.StatusUnauthorized, "AUTH_001"},
		// A form another site posts cannot be JSON (login CSRF).
		{"form post", "application/x-www-form-urlencoded", "token=" + f.vendor.Token.Value, http.StatusUnsupportedMediaType, "REQ_004"},
		{"text/plain JSON", "text/plain", tokenBody(f.vendor.Token.Value), http.StatusUnsupportedMediaType, "REQ_004"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := c.send(http.MethodPost, "/public/v1/auth/sessions", tt.body, "Content-Type", tt.ct)
			connectError(t, response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}, tt.status, tt.code)
			if len(rec.Result().Cookies()) != 0 {
				t.Error("a refused sign-in set a cookie")
			}
		})
	}
}

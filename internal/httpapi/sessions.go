package httpapi

import (
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/portal"
)

func (s *Server) sessionRoutes() []route {
	const p = "/public/v1/auth/sessions"
	return []route{
		{Method: http.MethodPost, Path: p, Access: public, Handle: s.openSession},
		{Method: http.MethodGet, Path: p + "/current", Access: anyAccount, Handle: s.currentSession},
		{Method: http.MethodDelete, Path: p + "/current", Access: anyAccount, Handle: s.closeSession},
		{Method: http.MethodPost, Path: "/public/v1/auth/sign-in-links", Access: anyAccount, Handle: s.createSignInLink},
	}
}

// openSessionInput is the body of POST /public/v1/auth/sessions: a token
// pasted into the sign-in form, or the code of a sign-in link.
type openSessionInput struct {
	Token string `json:"token"`
	Link  string `json:"link"`
}

// sessionBody answers the session endpoints. The CSRF token is readable
// only by the portal's own origin, which the session cookie came from.
type sessionBody struct {
	Account struct {
		ID   string       `json:"id"`
		Type account.Type `json:"type"`
		Name string       `json:"name"`
	} `json:"account"`
	CSRFToken string    `json:"csrf_token"`
	Expires   time.Time `json:"expires"`
}

func newSessionBody(sess portal.Session) sessionBody {
	var b sessionBody
	b.Account.ID, b.Account.Type, b.Account.Name = sess.Principal.AccountID, sess.Principal.AccountType, sess.Principal.AccountName
	b.CSRFToken, b.Expires = sess.CSRF, sess.Expires
	return b
}

func (s *Server) openSession(w http.ResponseWriter, r *http.Request) error {
	// Only JSON: an HTML form of another site cannot send it without a CORS
	// preflight, which this API never grants, so no page can sign a visitor
	// in to an account of its choosing (login CSRF).
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return &fault.Error{Kind: fault.Unsupported, Messages: []string{"send the sign-in as Content-Type: application/json"}}
	}
	var in openSessionInput
	if err := codec.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	in.Token, in.Link = strings.TrimSpace(in.Token), strings.TrimSpace(in.Link)
	if (in.Token == "") == (in.Link == "") {
		return fault.Invalidf("send either token (an API token) or link (the code of a sign-in link)")
	}
	open := func() (portal.Opened, error) { return s.cfg.Sessions.Open(r.Context(), in.Token) }
	if in.Link != "" {
		open = func() (portal.Opened, error) { return s.cfg.Sessions.Redeem(r.Context(), in.Link) }
	}
	o, err := open()
	if err != nil {
		return err
	}
	http.SetCookie(w, sessionCookie(r, o.ID, o.Expires))
	endpoint.WriteJSON(w, http.StatusCreated, newSessionBody(o.Session))
	return nil
}

func currentCookieSession(r *http.Request) (endpoint.Session, error) {
	cs, ok := endpoint.SessionOf(r)
	if !ok {
		return endpoint.Session{}, fault.NotFoundf("this request has no portal session: it was authenticated with a token, not the session cookie")
	}
	return cs, nil
}

func (s *Server) currentSession(w http.ResponseWriter, r *http.Request) error {
	cs, err := currentCookieSession(r)
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusOK, newSessionBody(cs.Session))
	return nil
}

func (s *Server) closeSession(w http.ResponseWriter, r *http.Request) error {
	cs, err := currentCookieSession(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Sessions.Close(r.Context(), cs.ID); err != nil {
		return err
	}
	http.SetCookie(w, sessionCookie(r, "", time.Unix(0, 0)))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type signInLinkBody struct {
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// createSignInLink mints a one-time link that opens a portal session as
// the calling token, the way Svix's app-portal access works: a back office
// calls it and hands the link to a user.
func (s *Server) createSignInLink(w http.ResponseWriter, r *http.Request) error {
	// No field is defined yet; a body, when sent, must still be valid.
	if err := codec.DecodeOptionalJSON(r, &struct{}{}); err != nil {
		return err
	}
	if _, err := currentCookieSession(r); err == nil {
		return fault.Forbiddenf("sign-in links are minted with an API token in the Authorization header, not from a portal session")
	}
	value, err := account.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	code, expires, err := s.cfg.Sessions.Link(r.Context(), principal(r), account.HashToken(value))
	if err != nil {
		return err
	}
	// The code travels in the fragment, which browsers never send to a
	// server nor put in a Referer.
	endpoint.WriteJSON(w, http.StatusCreated, signInLinkBody{URL: s.baseURL(r) + portal.Prefix + "#/sign-in/" + code, Expires: expires})
	return nil
}

func (s *Server) baseURL(r *http.Request) string { return endpoint.BaseURL(r, s.cfg.PublicBaseURL) }

// sessionCookie is Secure everywhere but on a loopback host served without
// TLS (make run), where a browser would drop a Secure cookie.
func sessionCookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: SessionCookie, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, Secure: r.TLS != nil || !isLoopback(r.Host), SameSite: http.SameSiteStrictMode}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

func isLoopback(hostport string) bool { return endpoint.IsLoopback(hostport) }

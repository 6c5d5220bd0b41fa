package endpoint

import (
	"context"
	"net/http"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/portal"
)

// The web portal signs in with a session cookie instead of a token. The
// cookie is HttpOnly and SameSite=Strict; a write made with it must also
// carry the session's CSRF token in CSRFHeader, which a page of another
// site cannot read.
const (
	SessionCookie = "mercato_session"
	CSRFHeader    = "X-CSRF-Token"
)

type sessionKey struct{}

// Session is the portal session a request authenticated with, and its id
// (the cookie's value).
type Session struct {
	ID string
	portal.Session
}

// SessionOf returns the session of a request authenticated with the
// portal's cookie; not ok for a token.
func SessionOf(r *http.Request) (Session, bool) {
	s, ok := r.Context().Value(sessionKey{}).(Session)
	return s, ok
}

// authenticate resolves the caller from the Authorization header or, when
// there is none, from the portal's session cookie. A cookie-authenticated
// request that may change something must carry the session's CSRF token.
func (s *Server) authenticate(ctx context.Context, r *http.Request) (account.Principal, *http.Request, error) {
	header := r.Header.Get("Authorization")
	c, err := r.Cookie(SessionCookie)
	if header != "" || s.cfg.Sessions == nil || err != nil || c.Value == "" {
		p, err := s.cfg.Accounts.Authenticate(ctx, header)
		return p, r, err
	}
	sess, err := s.cfg.Sessions.Authenticate(ctx, c.Value)
	if err != nil {
		return account.Principal{}, r, err
	}
	if !safeMethod(r.Method) && !sess.CheckCSRF(r.Header.Get(CSRFHeader)) {
		return account.Principal{}, r, fault.Forbiddenf("a write made with the portal's session cookie must carry the session's %s header; cross-site requests are refused", CSRFHeader)
	}
	r = r.WithContext(context.WithValue(ctx, sessionKey{}, Session{ID: c.Value, Session: sess}))
	return sess.Principal, r, nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// Package endpoint is what every HTTP route of the platform goes through,
// whichever function serves it: the route table, authentication (a token,
// or the portal's session cookie with its CSRF token), the account-type
// check, the body limit, the request id and access log, and the one
// mapping of errors to HTTP in the shape of each API face. httpapi builds
// the API's routes on it, and render the render function's; it imports
// no domain service, so a function that serves a few routes links only
// their packages.
package endpoint

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/portal"
)

// Access says who may call a route.
type Access int

const (
	Public Access = iota // no token
	AnyAccount
	AdminOnly
	VendorOnly
	ProviderOnly
)

// HandlerFunc answers a request, or returns the error to answer.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one method on one path.
type Route struct {
	Method  string
	Path    string // a net/http pattern path, such as /public/v1/auth/tokens/{id}
	Access  Access
	MaxBody int64 // 0: Config.MaxBodyBytes
	Handle  HandlerFunc
}

// Authenticator resolves an Authorization header to its caller.
type Authenticator interface {
	Authenticate(ctx context.Context, header string) (account.Principal, error)
}

// Config holds what the routes' middleware needs. Accounts and Logger are
// required.
type Config struct {
	Accounts Authenticator
	// Sessions are the web portal's cookie sessions, accepted in place of a
	// token; Portal serves the portal's files under /portal/. Both optional.
	Sessions *portal.Sessions
	Portal   http.Handler
	Logger   *slog.Logger
	// MaxBodyBytes limits request bodies (default 1 MiB); a route can raise it.
	MaxBodyBytes int64
}

// Server serves a set of routes.
type Server struct {
	cfg Config
	log *slog.Logger
	mux http.Handler
}

// New builds the handler of routes.
func New(cfg Config, routes []Route) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.mux = s.buildMux(routes)
	return s
}

// ServeHTTP serves the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.observe(s.mux).ServeHTTP(w, r)
}

// buildMux registers one handler per path that dispatches on the method, so
// that a wrong method answers 405 in the API's error shape rather than
// net/http's plain text. The routes' paths go in a Table, built once;
// a ServeMux keeps only the catch-all prefixes, and serves every path the
// table does not match (cleaning and redirecting odd paths as it always
// has). Registering some 130 patterns on a ServeMux was most of the API's
// handler build at cold start: each registration parses its pattern,
// records its caller for conflict messages and checks it against the
// others.
func (s *Server) buildMux(routes []Route) http.Handler {
	byPath := map[string]map[string]Route{}
	var paths []string
	for _, rt := range routes {
		if byPath[rt.Path] == nil {
			byPath[rt.Path] = map[string]Route{}
			paths = append(paths, rt.Path)
		}
		byPath[rt.Path][rt.Method] = rt
	}
	table := NewTable(nil)
	for _, p := range paths {
		table.Add(p, s.dispatch(byPath[p]))
	}
	notFound := func(w http.ResponseWriter, r *http.Request) error {
		return fault.NotFoundf("no endpoint %s %s; see GET /openapi.yaml", r.Method, r.URL.Path)
	}
	mux := http.NewServeMux()
	// Under the API prefixes a caller without a valid token learns nothing,
	// not even which paths exist: 401 comes before 404.
	mux.Handle("/", s.handler(Route{Access: Public, Handle: notFound}))
	mux.Handle("/public/", s.handler(Route{Access: AnyAccount, Handle: notFound}))
	mux.Handle("/v1/", s.handler(Route{Access: AnyAccount, Handle: notFound}))
	if s.cfg.Portal != nil {
		mux.Handle(portal.Prefix, s.cfg.Portal)
		mux.Handle(strings.TrimSuffix(portal.Prefix, "/"), s.cfg.Portal)
	}
	table.fallback = mux
	return table
}

// Table matches a request's path against the routes' patterns with
// ServeMux's rules for the patterns the routes use (literal segments and
// whole-segment {name} wildcards, no method, no host): segments are matched
// unescaped, a literal segment wins over a wildcard, and the wildcards'
// values are the request's path values. Patterns that ServeMux would find
// in conflict cannot be told apart here; httpapi's
// TestServer_RouteTableMatchesServeMux registers the API's on a ServeMux
// too.
type Table struct {
	root     *routeNode
	fallback http.Handler
}

type routeNode struct {
	literal  map[string]*routeNode
	wildcard *routeNode
	// handler and names are set where a pattern ends: its handler and its
	// wildcards' names, in order.
	handler http.Handler
	names   []string
}

// Add registers h for pattern.
func (t *Table) Add(pattern string, h http.Handler) {
	n := t.root
	var names []string
	for _, seg := range strings.Split(strings.TrimPrefix(pattern, "/"), "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, seg[1:len(seg)-1])
			if n.wildcard == nil {
				n.wildcard = &routeNode{}
			}
			n = n.wildcard
			continue
		}
		if n.literal == nil {
			n.literal = map[string]*routeNode{}
		}
		if n.literal[seg] == nil {
			n.literal[seg] = &routeNode{}
		}
		n = n.literal[seg]
	}
	n.handler, n.names = h, names
}

func (t *Table) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if segs, ok := segments(r.URL); ok {
		if n, values := t.root.match(segs, nil); n != nil {
			for i, name := range n.names {
				r.SetPathValue(name, values[i])
			}
			n.handler.ServeHTTP(w, r)
			return
		}
	}
	t.fallback.ServeHTTP(w, r)
}

// match finds the most specific pattern that matches segs: a literal
// segment first, the wildcard when the literal leads nowhere. As in
// ServeMux, a wildcard matches neither a trailing slash nor a lone "%2F".
func (n *routeNode) match(segs, values []string) (*routeNode, []string) {
	if len(segs) == 0 {
		if n.handler == nil {
			return nil, nil
		}
		return n, values
	}
	if next := n.literal[segs[0]]; next != nil {
		if m, v := next.match(segs[1:], values); m != nil {
			return m, v
		}
	}
	if n.wildcard != nil && segs[0] != "" && segs[0] != "/" {
		return n.wildcard.match(segs[1:], append(values, segs[0]))
	}
	return nil, nil
}

// segments splits a request's escaped path into its segments, each
// unescaped when it can be, as ServeMux does; not ok for a path ServeMux
// would clean and redirect (an empty, "." or ".." segment before
// unescaping), which the fallback then serves as it always has.
func segments(u *url.URL) ([]string, bool) {
	escaped := u.EscapedPath()
	if !strings.HasPrefix(escaped, "/") {
		return nil, false
	}
	segs := strings.Split(escaped[1:], "/")
	for i, seg := range segs {
		if seg == "." || seg == ".." || (seg == "" && i < len(segs)-1) {
			return nil, false
		}
		if strings.Contains(seg, "%") {
			if unescaped, err := url.PathUnescape(seg); err == nil {
				segs[i] = unescaped
			}
		}
	}
	return segs, true
}

func (s *Server) dispatch(methods map[string]Route) http.Handler {
	allowed := make([]string, 0, len(methods))
	handlers := make(map[string]http.Handler, len(methods))
	for m, rt := range methods {
		allowed = append(allowed, m)
		handlers[m] = s.handler(rt)
	}
	sort.Strings(allowed)
	allow := strings.Join(allowed, ", ")
	notAllowed := s.handler(Route{Access: Public, Handle: func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Allow", allow)
		return &fault.Error{Kind: fault.MethodNotAllowed,
			Messages: []string{r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + allow}}
	}})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := handlers[r.Method]; ok {
			h.ServeHTTP(w, r)
			return
		}
		notAllowed.ServeHTTP(w, r)
	})
}

// NewTable returns an empty table that serves a path no pattern matches
// with fallback.
func NewTable(fallback http.Handler) *Table { return &Table{root: &routeNode{}, fallback: fallback} }

// BaseURL is the absolute base of the links an answer carries: configured
// when it is set, else the request's own host (http on a loopback host
// without TLS, as `make run` serves).
func BaseURL(r *http.Request, configured string) string {
	if configured != "" {
		return configured
	}
	scheme := "https"
	if r.TLS == nil && IsLoopback(r.Host) {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

// IsLoopback reports whether hostport names this machine.
func IsLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

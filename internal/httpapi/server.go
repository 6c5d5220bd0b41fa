// Package httpapi is the platform's HTTP face: one http.Handler that serves
// the Connect-style /public/v1 API and the Partner Center-style /v1 API, and
// that functions/api wraps for API Gateway and `make run` serves locally.
// Handlers return errors; errors.go maps them to statuses in one place.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/portal"
)

// Config holds what the handler needs. Every field is required unless noted.
type Config struct {
	Accounts AccountService
	Catalog  CatalogService
	Ordering OrderingService

	// Fulfillment is the vendor's queue, the request actions and the assets.
	Fulfillment FulfillmentService

	Webhooks WebhookService

	// Markdown renders a template's Markdown as safe HTML
	// (markdown.HTML), for the render routes. Optional: without it the
	// server does not serve them. In Lambda RenderFunction serves them
	// (NewRender), so that the API's binary does not link the Markdown
	// parser.
	Markdown func(md string) (string, error)

	// Usage is usage files and records; Invoices the provider's invoices.
	Usage    UsageService
	Invoices InvoiceService

	// Sessions are the web portal's cookie sessions, accepted in place of a
	// token; Portal serves the portal's files under /portal/. Both optional.
	Sessions *portal.Sessions
	Portal   http.Handler
	// PublicBaseURL is the absolute base of sign-in links; empty: the
	// request's own host.
	PublicBaseURL string

	Logger *slog.Logger
	// Checks are the dependencies /healthz reports on.
	Checks []Check
	// MaxBodyBytes limits request bodies (default 1 MiB); a route can raise it.
	MaxBodyBytes int64
	Now          func() time.Time
}

// Check is one dependency probe of /healthz.
type Check struct {
	Name string
	Ping func(context.Context) error
}

// Server is the API handler.
type Server struct {
	cfg    Config
	log    *slog.Logger
	routes []route
	mux    http.Handler
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// access says who may call a route.
type access int

const (
	public access = iota // no token
	anyAccount
	adminOnly
	vendorOnly
	providerOnly
)

type route struct {
	method  string
	path    string // a net/http pattern path, such as /public/v1/auth/tokens/{id}
	access  access
	maxBody int64 // 0: Config.MaxBodyBytes
	handle  handlerFunc
}

// New builds the handler of every route; of the render routes only when
// cfg.Markdown is set.
func New(cfg Config) *Server {
	s := newServer(cfg)
	s.routes = s.allRoutes()
	if cfg.Markdown != nil {
		s.routes = append(s.routes, s.renderRoutes()...)
	}
	s.mux = s.buildMux()
	return s
}

// NewRender builds the handler of the render routes only, with the same
// authentication, errors and access log as New's: RenderFunction's, behind
// the gateway routes of those paths. It needs cfg's Accounts, Sessions,
// Fulfillment, Markdown and Logger. A function of its own keeps the Markdown
// parser's initialisation out of the API's cold start; the render routes
// reach neither the API's other services nor its route table.
func NewRender(cfg Config) *Server {
	s := newServer(cfg)
	s.routes = s.renderRoutes()
	s.mux = s.buildMux()
	return s
}

func newServer(cfg Config) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg, log: cfg.Logger}
}

func (s *Server) allRoutes() []route {
	var rs []route
	rs = append(rs, s.systemRoutes()...)
	rs = append(rs, s.accountRoutes()...)
	rs = append(rs, s.sessionRoutes()...)
	rs = append(rs, s.marketplaceRoutes()...)
	rs = append(rs, s.productRoutes()...)
	rs = append(rs, s.listingRoutes()...)
	rs = append(rs, s.hubRoutes()...)
	rs = append(rs, s.partnerCatalogRoutes()...)
	rs = append(rs, s.orderingRoutes()...)
	rs = append(rs, s.fulfillmentRoutes()...)
	rs = append(rs, s.webhookRoutes()...)
	rs = append(rs, s.usageRoutes()...)
	rs = append(rs, s.invoiceRoutes()...)
	return rs
}

// buildMux registers one handler per path that dispatches on the method, so
// that a wrong method answers 405 in the API's error shape rather than
// net/http's plain text. The routes' paths go in a routeTable, built once;
// a ServeMux keeps only the catch-all prefixes, and serves every path the
// table does not match (cleaning and redirecting odd paths as it always
// has). Registering some 130 patterns on a ServeMux was most of the API's
// handler build at cold start: each registration parses its pattern,
// records its caller for conflict messages and checks it against the
// others.
func (s *Server) buildMux() http.Handler {
	byPath := map[string]map[string]route{}
	var paths []string
	for _, rt := range s.routes {
		if byPath[rt.path] == nil {
			byPath[rt.path] = map[string]route{}
			paths = append(paths, rt.path)
		}
		byPath[rt.path][rt.method] = rt
	}
	table := &routeTable{root: &routeNode{}}
	for _, p := range paths {
		table.add(p, s.dispatch(byPath[p]))
	}
	notFound := func(w http.ResponseWriter, r *http.Request) error {
		return fault.NotFoundf("no endpoint %s %s; see GET /openapi.yaml", r.Method, r.URL.Path)
	}
	mux := http.NewServeMux()
	// Under the API prefixes a caller without a valid token learns nothing,
	// not even which paths exist: 401 comes before 404.
	mux.Handle("/", s.endpoint(route{access: public, handle: notFound}))
	mux.Handle("/public/", s.endpoint(route{access: anyAccount, handle: notFound}))
	mux.Handle("/v1/", s.endpoint(route{access: anyAccount, handle: notFound}))
	if s.cfg.Portal != nil {
		mux.Handle(portal.Prefix, s.cfg.Portal)
		mux.Handle(strings.TrimSuffix(portal.Prefix, "/"), s.cfg.Portal)
	}
	table.fallback = mux
	return table
}

// routeTable matches a request's path against the routes' patterns with
// ServeMux's rules for the patterns the routes use (literal segments and
// whole-segment {name} wildcards, no method, no host): segments are matched
// unescaped, a literal segment wins over a wildcard, and the wildcards'
// values are the request's path values. Patterns that ServeMux would find
// in conflict cannot be told apart here; TestServer_RouteTableMatchesServeMux
// registers them all on a ServeMux too.
type routeTable struct {
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

func (t *routeTable) add(pattern string, h http.Handler) {
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

func (t *routeTable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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

func (s *Server) dispatch(methods map[string]route) http.Handler {
	allowed := make([]string, 0, len(methods))
	handlers := make(map[string]http.Handler, len(methods))
	for m, rt := range methods {
		allowed = append(allowed, m)
		handlers[m] = s.endpoint(rt)
	}
	sort.Strings(allowed)
	allow := strings.Join(allowed, ", ")
	notAllowed := s.endpoint(route{access: public, handle: func(w http.ResponseWriter, r *http.Request) error {
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

// RouteInfo describes one route, for tests and documentation.
type RouteInfo struct {
	Method, Path string
	Public       bool
}

// Routes lists every route the server serves.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, 0, len(s.routes))
	for _, rt := range s.routes {
		out = append(out, RouteInfo{Method: rt.method, Path: rt.path, Public: rt.access == public})
	}
	return out
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.observe(s.mux).ServeHTTP(w, r)
}

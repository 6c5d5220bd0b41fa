// Package httpapi is the platform's HTTP face: one http.Handler that serves
// the Connect-style /public/v1 API and the Partner Center-style /v1 API, and
// that functions/api wraps for API Gateway and `make run` serves locally.
// Handlers return errors; package endpoint maps them to statuses in one
// place, and serves the routes.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/httpapi/render"
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
	// server does not serve them (see New).
	Markdown func(md string) (string, error)

	// Routes are served beside the API's own: the files routes
	// (files.Routes) in the local runtime, one process. Optional: in Lambda
	// FilesFunction serves them, so that the API's binary does not link
	// the S3 client their services use.
	Routes []endpoint.Route

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
	h      *endpoint.Server
}

// The routes are endpoint's, with the names the handlers' files use.
type route = endpoint.Route

const (
	public       = endpoint.Public
	anyAccount   = endpoint.AnyAccount
	adminOnly    = endpoint.AdminOnly
	vendorOnly   = endpoint.VendorOnly
	providerOnly = endpoint.ProviderOnly
)

// The portal's session cookie and the header of its CSRF token
// (endpoint.SessionCookie, endpoint.CSRFHeader).
const (
	SessionCookie = endpoint.SessionCookie
	CSRFHeader    = endpoint.CSRFHeader
)

// New builds the handler of every route; of the render routes only when
// cfg.Markdown is set, and of the files routes only when cfg.Routes holds
// them. In Lambda RenderFunction serves them (render.New),
// so that the API's binary does not link the Markdown parser.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.routes = s.allRoutes()
	if cfg.Markdown != nil {
		s.routes = append(s.routes, render.Routes(render.Config{Templates: cfg.Fulfillment, Markdown: cfg.Markdown})...)
	}
	s.routes = append(s.routes, cfg.Routes...)
	s.h = endpoint.New(endpoint.Config{Accounts: cfg.Accounts, Sessions: cfg.Sessions, Portal: cfg.Portal,
		Logger: cfg.Logger, MaxBodyBytes: cfg.MaxBodyBytes}, s.routes)
	return s
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
	return rs
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
		out = append(out, RouteInfo{Method: rt.Method, Path: rt.Path, Public: rt.Access == public})
	}
	return out
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.h.ServeHTTP(w, r)
}

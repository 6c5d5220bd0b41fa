// Package apifn builds ApiFunction's handler: the platform's HTTP API
// behind API Gateway.
package apifn

import (
	"net/http"

	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/services"
	"github.com/mercato-dev/mercato/internal/app/webhooks"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/httpapi"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/ordering"
	"github.com/mercato-dev/mercato/internal/portal"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// Services are the services the API serves beyond services.Core.
type Services struct {
	Ordering    *ordering.Service
	Fulfillment *fulfillment.Service
	Webhooks    *webhook.Service
	// Markdown renders the render routes' HTML (httpapi.Config.Markdown).
	// Nil in Lambda, where RenderFunction serves those routes; the local
	// runtime, one process, serves every route here.
	Markdown func(md string) (string, error)
	// Files are the files routes (httpapi.Config.Routes): none in Lambda,
	// where FilesFunction serves them; the local runtime's, every one.
	Files []endpoint.Route
}

// Handler builds the API's HTTP handler, traced when b has a tracer.
func Handler(b *function.Base, c services.Core, s Services) http.Handler {
	h := handler(b, c, s)
	if !b.Tracing {
		return h
	}
	return function.TraceHTTP(b.Tracer.Tracer("mercato/api"), "api", h)
}

func handler(b *function.Base, c services.Core, s Services) http.Handler {
	return httpapi.New(httpapi.Config{
		Accounts:      c.Accounts,
		Catalog:       c.Catalog,
		Ordering:      s.Ordering,
		Fulfillment:   s.Fulfillment,
		Webhooks:      s.Webhooks,
		Markdown:      s.Markdown,
		Routes:        s.Files,
		Sessions:      portal.NewSessions(b.Table, c.Accounts, b.Now, b.Config.PortalSessionTTL),
		Portal:        portal.NewAssets(portal.Built()),
		PublicBaseURL: b.Config.PublicBaseURL,
		Logger:        b.Log,
		MaxBodyBytes:  b.Config.MaxBodyBytes,
		Now:           b.Now,
		// The API's one dependency is the table: it sends to no queue, and
		// the usage bucket is FilesFunction's (README: The files function).
		Checks: []httpapi.Check{{Name: "dynamodb", Ping: b.Table.Ping}},
	})
}

// NewServices builds the API's services on b.
func NewServices(b *function.Base, c services.Core) Services {
	return Services{
		Ordering:    services.Ordering(b, c),
		Fulfillment: services.Fulfillment(b, c),
		Webhooks:    webhooks.Service(b, webhooks.New(b)),
	}
}

// Lambda is the API's Lambda handler, behind API Gateway's HTTP API
// (payload format 2.0).
func Lambda(b *function.Base) (function.LambdaHandler, error) {
	c := services.NewCore(b)
	return function.Typed(httpadapter.NewV2(Handler(b, c, NewServices(b, c))).ProxyWithContext), nil
}

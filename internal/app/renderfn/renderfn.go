// Package renderfn builds RenderFunction's handler: the routes that answer
// a request's or an asset's rendered template, as Markdown or as HTML
// (package render), behind the gateway routes of those paths. They are a
// function of their own because the HTML needs the Markdown parser, whose
// package initialisation would otherwise be part of every cold start of
// the API; and they are served without httpapi, so that this function
// links only the fulfillment service beside the parser.
package renderfn

import (
	"net/http"

	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/services"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/httpapi/render"
	"github.com/mercato-dev/mercato/internal/markdown"
	"github.com/mercato-dev/mercato/internal/portal"
)

// Handler builds the render routes' HTTP handler on the fulfillment
// service, which renders the templates; tokens and the portal's session
// cookies authenticate as on the API. Traced when b has a tracer.
func Handler(b *function.Base, c services.Core, f *fulfillment.Service) http.Handler {
	h := render.New(endpoint.Config{
		Accounts:     c.Accounts,
		Sessions:     portal.NewSessions(b.Table, c.Accounts, b.Now, b.Config.PortalSessionTTL),
		Logger:       b.Log,
		MaxBodyBytes: b.Config.MaxBodyBytes,
	}, render.Config{Templates: f, Markdown: markdown.HTML})
	if !b.Tracing {
		return h
	}
	return function.TraceHTTP(b.Tracer.Tracer("mercato/render"), "render", h)
}

// Lambda is the render function's Lambda handler, behind API Gateway's
// HTTP API (payload format 2.0).
func Lambda(b *function.Base) (function.LambdaHandler, error) {
	c := services.NewCore(b)
	return function.Typed(httpadapter.NewV2(Handler(b, c, services.Fulfillment(b, c))).ProxyWithContext), nil
}

// Package render holds the routes that answer a request's or an asset's
// rendered template, as Markdown or as HTML. They are the only routes whose
// answer needs the Markdown parser, so in Lambda they are a function of
// their own (New, RenderFunction): goldmark's package initialisation would
// otherwise be part of every cold start of the API. httpapi serves them
// too when it is given the parser (the local runtime, one process). The
// package imports no service but the one interface it calls, so that the
// render function links neither httpapi nor the API's services.
package render

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
)

// Templates renders the template of a request or of an asset the actor is
// a party to, as Markdown (fulfillment.Service).
type Templates interface {
	RenderRequest(ctx context.Context, actor account.Principal, id string) (string, error)
	RenderAsset(ctx context.Context, actor account.Principal, id string) (string, error)
}

// Config is what the render routes need; both fields are required.
type Config struct {
	Templates Templates
	// Markdown renders Markdown as safe HTML (markdown.HTML).
	Markdown func(md string) (string, error)
}

// New builds the handler of the render routes alone, behind the gateway
// routes of their paths: RenderFunction's.
func New(ec endpoint.Config, c Config) *endpoint.Server { return endpoint.New(ec, Routes(c)) }

// Routes are GET /public/v1/requests/{id}/render and
// /public/v1/assets/{id}/render.
func Routes(c Config) []endpoint.Route {
	return []endpoint.Route{
		{Method: http.MethodGet, Path: "/public/v1/requests/{id}/render", Access: endpoint.AnyAccount, Handle: c.renderRequest},
		{Method: http.MethodGet, Path: "/public/v1/assets/{id}/render", Access: endpoint.AnyAccount, Handle: c.renderAsset},
	}
}

func (c Config) renderRequest(w http.ResponseWriter, r *http.Request) error {
	md, err := c.Templates.RenderRequest(r.Context(), endpoint.Principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return c.writeTemplate(w, r, md)
}

func (c Config) renderAsset(w http.ResponseWriter, r *http.Request) error {
	md, err := c.Templates.RenderAsset(r.Context(), endpoint.Principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return c.writeTemplate(w, r, md)
}

// writeTemplate answers a rendered template as Markdown, or as sanitised
// HTML when the client prefers text/html.
func (c Config) writeTemplate(w http.ResponseWriter, r *http.Request, md string) error {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Vary", "Accept")
	if !prefersHTML(r.Header.Get("Accept")) {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		_, err := io.WriteString(w, md)
		return err
	}
	html, err := c.Markdown(md)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = io.WriteString(w, html)
	return err
}

// prefersHTML reports whether the first media range of Accept that names
// HTML or Markdown names HTML.
func prefersHTML(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/html", "application/xhtml+xml":
			return true
		case "text/markdown", "text/plain":
			return false
		}
	}
	return false
}

package httpapi

import (
	"io"
	"mime"
	"net/http"
	"strings"
)

// renderRoutes answer a request's or an asset's rendered template, as
// Markdown or as HTML. They are the only routes whose answer needs the
// Markdown parser, so in Lambda they are a function of their own
// (NewRender): goldmark's package initialisation would otherwise be part of
// every cold start of the API.
func (s *Server) renderRoutes() []route {
	return []route{
		{method: http.MethodGet, path: "/public/v1/requests/{id}/render", access: anyAccount, handle: s.renderRequest},
		{method: http.MethodGet, path: "/public/v1/assets/{id}/render", access: anyAccount, handle: s.renderAsset},
	}
}

func (s *Server) renderRequest(w http.ResponseWriter, r *http.Request) error {
	md, err := s.cfg.Fulfillment.RenderRequest(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeTemplate(w, r, md)
}

func (s *Server) renderAsset(w http.ResponseWriter, r *http.Request) error {
	md, err := s.cfg.Fulfillment.RenderAsset(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeTemplate(w, r, md)
}

// writeTemplate answers a rendered template as Markdown, or as sanitised
// HTML when the client prefers text/html.
func (s *Server) writeTemplate(w http.ResponseWriter, r *http.Request, md string) error {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Vary", "Accept")
	if !prefersHTML(r.Header.Get("Accept")) {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		_, err := io.WriteString(w, md)
		return err
	}
	html, err := s.cfg.Markdown(md)
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

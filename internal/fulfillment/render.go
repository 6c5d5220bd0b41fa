package fulfillment

import (
	"bytes"
	"fmt"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/mercato-dev/mercato/internal/catalog"
)

// renderTemplate fills a template's placeholders from a request: the
// builtins of catalog.Builtins and the asset's parameter values.
func renderTemplate(t catalog.Template, r Request) string {
	return catalog.Render(t.Body, values(r.Asset, r.ID))
}

// values reads a placeholder from an asset and the request being
// rendered.
func values(a Asset, requestID string) func(string) string {
	return func(name string) string {
		switch name {
		case "asset.id":
			return a.ID
		case "asset.external_id":
			return a.ExternalID
		case "request.id":
			return requestID
		case "product.id":
			return a.Product.ID
		case "product.name":
			return a.Product.Name
		case "marketplace.id":
			return a.Marketplace.ID
		case "customer.name":
			return a.Tiers.Customer.Name
		}
		return paramValue(a, name)
	}
}

// markdown converts with GitHub's flavour (tables, links, strikethrough);
// raw HTML in the template is not passed through (goldmark's default).
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// sanitizer is the policy for HTML shown to users: parameter values come
// from providers and vendors, so whatever they typed can never become a
// script, an event handler or a javascript: link.
var sanitizer = bluemonday.UGCPolicy()

// HTML renders Markdown as sanitised HTML.
func HTML(md string) (string, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(md), &buf); err != nil {
		return "", fmt.Errorf("fulfillment: render markdown: %w", err)
	}
	return string(sanitizer.SanitizeBytes(buf.Bytes())), nil
}

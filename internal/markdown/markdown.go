// Package markdown renders the Markdown of product templates (activation
// texts a vendor writes) as HTML safe to show to users. It is its own
// package so that only the API, which shows rendered templates, links the
// Markdown parser and the sanitiser.
package markdown

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// converter converts with GitHub's flavour (tables, links, strikethrough);
// raw HTML in the template is not passed through (goldmark's default).
// Built on first use: the API renders a template rarely, and its cold
// start should not pay for it.
var converter = sync.OnceValue(func() goldmark.Markdown { return goldmark.New(goldmark.WithExtensions(extension.GFM)) })

// sanitizer is the policy for HTML shown to users: parameter values come
// from providers and vendors, so whatever they typed can never become a
// script, an event handler or a javascript: link. Building it compiles
// a few dozen regular expressions, hence on first use.
var sanitizer = sync.OnceValue(bluemonday.UGCPolicy)

// HTML renders Markdown as sanitised HTML.
func HTML(md string) (string, error) {
	var buf bytes.Buffer
	if err := converter().Convert([]byte(md), &buf); err != nil {
		return "", fmt.Errorf("markdown: render: %w", err)
	}
	return string(sanitizer().SanitizeBytes(buf.Bytes())), nil
}

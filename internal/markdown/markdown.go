// Package markdown renders the Markdown of product templates (activation
// texts a vendor writes) as HTML safe to show to users. It is its own
// package so that only the API, which shows rendered templates, links the
// Markdown parser.
package markdown

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// converter converts with GitHub's flavour (tables, links, strikethrough).
// Parameter values come from providers and vendors, so whatever they typed
// must never become a script, an event handler or a javascript: link; that
// is goldmark's safe mode, its default: raw HTML, inline or in blocks, is
// omitted, every text is escaped, and links and images with a dangerous
// scheme (javascript:, vbscript:, file:, data: other than images) lose
// their address. A sanitiser behind it (bluemonday) added nothing to that,
// and its package initialisation, CSS scanner and regular expressions
// were a sixth of the API's cold start. Built on first use: the API
// renders a template rarely.
var converter = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(nofollow{}, 1000))),
	)
})

// nofollow marks every link rel="nofollow": the text is user-generated.
type nofollow struct{}

func (nofollow) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && (n.Kind() == ast.KindLink || n.Kind() == ast.KindAutoLink) {
			n.SetAttributeString("rel", []byte("nofollow"))
		}
		return ast.WalkContinue, nil
	})
}

// HTML renders Markdown as safe HTML.
func HTML(md string) (string, error) {
	var buf bytes.Buffer
	if err := converter().Convert([]byte(md), &buf); err != nil {
		return "", fmt.Errorf("markdown: render: %w", err)
	}
	return buf.String(), nil
}

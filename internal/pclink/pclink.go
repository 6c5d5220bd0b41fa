// Package pclink holds the pieces every Partner Center resource carries:
// hypermedia links and attributes. It is a leaf so that the packages that
// build resources (ordering, fulfillment) and the HTTP layer share them.
package pclink

import (
	"fmt"
	"net/http"
	"net/url"
)

// Link is Partner Center's hypermedia link.
type Link struct {
	URI     string   `json:"uri"`
	Method  string   `json:"method"`
	Headers []string `json:"headers"`
}

// Get is a GET link to uri.
func Get(uri string) Link { return Link{URI: uri, Method: http.MethodGet, Headers: []string{}} }

// ActivationLink points a fulfilled order line at its asset's rendered
// activation template: an item of GET
// /v1/customers/{id}/orders/{order}/activationlinks.
type ActivationLink struct {
	LineItemNumber int  `json:"lineItemNumber"`
	Link           Link `json:"link"`
}

// Attributes names a resource's type, as every Partner Center resource does.
type Attributes struct {
	ObjectType string `json:"objectType"`
}

// WithCountry appends ?country=, which the catalog's links carry and its
// handlers require.
func WithCountry(path, country string) string {
	return fmt.Sprintf("%s?country=%s", path, url.QueryEscape(country))
}

// ContinuationToken is the header that carries a Partner Center page's
// continuation token.
const ContinuationToken = "MS-ContinuationToken"

// Header is a header a Partner Center link asks the client to send.
type Header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SeekLink is a Partner Center link with the headers to send with it: a
// page's self and next links.
type SeekLink struct {
	URI     string   `json:"uri"`
	Method  string   `json:"method"`
	Headers []Header `json:"headers"`
}

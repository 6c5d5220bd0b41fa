package fulfillment

import (
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

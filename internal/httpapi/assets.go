package httpapi

import (
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"net/http"

	"github.com/mercato-dev/mercato/internal/fulfillment"
)

func (s *Server) assetRoutes() []route {
	const a = "/public/v1/assets"
	return []route{
		{Method: http.MethodGet, Path: a, Access: anyAccount, Handle: s.listAssets},
		{Method: http.MethodGet, Path: a + "/{id}", Access: anyAccount, Handle: s.getAsset},
		{Method: http.MethodGet, Path: a + "/{id}/requests", Access: anyAccount, Handle: s.listAssetRequests},
	}
}

var assetFields = []string{"id", "status", "external_id", "external_uid", "created", "updated",
	"product.id", "product", "marketplace.id", "marketplace", "tiers.customer.id", "subscription.order_id"}

func assetField(a fulfillment.Asset, f string) string {
	switch f {
	case "id":
		return a.ID
	case "status":
		return a.Status
	case "external_id":
		return a.ExternalID
	case "external_uid":
		return a.ExternalUID
	case "updated":
		return codec.Stamp(a.Updated)
	case "product.id", "product":
		return a.Product.ID
	case "marketplace.id", "marketplace":
		return a.Marketplace.ID
	case "tiers.customer.id":
		return a.Tiers.Customer.ID
	case "subscription.order_id":
		return a.Subscription.OrderID
	}
	return codec.Stamp(a.Created)
}

// listAssets answers a page of the vendor's or the provider's assets, as
// listRequests does.
func (s *Server) listAssets(w http.ResponseWriter, r *http.Request) error {
	return codec.CreatedList(w, r, "assets", assetFields, assetField, s.cfg.Fulfillment.AssetPage, s.cfg.Fulfillment.AssetCount, viewAsset)
}

func (s *Server) getAsset(w http.ResponseWriter, r *http.Request) error {
	a, err := s.cfg.Fulfillment.Asset(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, viewAsset(a.Asset), err)
}

func (s *Server) listAssetRequests(w http.ResponseWriter, r *http.Request) error {
	reqs, err := s.cfg.Fulfillment.AssetRequests(r.Context(), principal(r), r.PathValue("id"))
	return codec.ListAs(w, r, reqs, err, requestField, viewRequest, requestFields...)
}

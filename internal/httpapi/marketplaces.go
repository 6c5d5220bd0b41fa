package httpapi

import (
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"net/http"

	"github.com/mercato-dev/mercato/internal/catalog"
)

func (s *Server) marketplaceRoutes() []route {
	return []route{
		{Method: http.MethodPost, Path: "/public/v1/marketplaces", Access: providerOnly, Handle: s.createMarketplace},
		{Method: http.MethodGet, Path: "/public/v1/marketplaces", Access: anyAccount, Handle: s.listMarketplaces},
		{Method: http.MethodGet, Path: "/public/v1/marketplaces/{id}", Access: anyAccount, Handle: s.getMarketplace},
	}
}

func (s *Server) createMarketplace(w http.ResponseWriter, r *http.Request) error {
	var in catalog.MarketplaceInput
	if err := codec.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	mp, err := s.cfg.Catalog.CreateMarketplace(r.Context(), principal(r), in)
	return codec.Respond(w, http.StatusCreated, viewMarketplace(mp), err)
}

func (s *Server) listMarketplaces(w http.ResponseWriter, r *http.Request) error {
	l := keyedList[catalog.Marketplace]{name: "marketplaces", keyField: "id", value: marketplaceField,
		fields: []string{"id", "name", "currency", "created"}}
	return keyedPage(w, r, l, s.cfg.Catalog.MarketplacePage, viewMarketplace)
}

func marketplaceField(mp catalog.Marketplace, f string) string {
	switch f {
	case "id":
		return mp.ID
	case "name":
		return mp.Name
	case "currency":
		return mp.Currency
	}
	return codec.Stamp(mp.Created)
}

func (s *Server) getMarketplace(w http.ResponseWriter, r *http.Request) error {
	mp, err := s.cfg.Catalog.GetMarketplace(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, viewMarketplace(mp), err)
}

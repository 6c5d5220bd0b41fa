package httpapi

import (
	"context"
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"net/http"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/rql"
)

func (s *Server) listingRoutes() []route {
	return []route{
		{Method: http.MethodPost, Path: "/public/v1/listing-requests", Access: vendorOnly, Handle: s.submitListingRequest},
		{Method: http.MethodGet, Path: "/public/v1/listing-requests", Access: anyAccount, Handle: s.listListingRequests},
		{Method: http.MethodGet, Path: "/public/v1/listing-requests/{id}", Access: anyAccount, Handle: s.getListingRequest},
		{Method: http.MethodPost, Path: "/public/v1/listing-requests/{id}/approve", Access: providerOnly, Handle: s.approveListingRequest},
		{Method: http.MethodPost, Path: "/public/v1/listing-requests/{id}/reject", Access: providerOnly, Handle: s.rejectListingRequest},
		{Method: http.MethodPost, Path: "/public/v1/listing-requests/{id}/submit", Access: vendorOnly, Handle: s.moveListingRequest(CatalogService.SubmitDraft)},
		{Method: http.MethodPost, Path: "/public/v1/listing-requests/{id}/cancel", Access: vendorOnly, Handle: s.moveListingRequest(CatalogService.CancelListingRequest)},
		{Method: http.MethodPost, Path: "/public/v1/listing-requests/{id}/refine", Access: anyAccount, Handle: s.moveListingRequest(CatalogService.RefineListingRequest)},
		{Method: http.MethodGet, Path: "/public/v1/listings", Access: anyAccount, Handle: s.listListings},
		{Method: http.MethodGet, Path: "/public/v1/listings/{id}", Access: anyAccount, Handle: s.getListing},
	}
}

func (s *Server) submitListingRequest(w http.ResponseWriter, r *http.Request) error {
	return codec.Create(w, r, func(in listingRequestInput) (listingRequestView, error) {
		lr, err := s.cfg.Catalog.SubmitListingRequest(r.Context(), principal(r), in.input())
		return viewListingRequest(lr), err
	})
}

func listingRequestField(lr catalog.ListingRequest, f string) string {
	switch f {
	case "id":
		return lr.ID
	case "status":
		return lr.Status
	case "state":
		return viewListingRequest(lr).State
	case "type":
		return lr.Type
	case "product.id":
		return lr.Product.ID
	case "marketplace.id":
		return lr.Marketplace.ID
	}
	return codec.Stamp(lr.Created)
}

func (s *Server) listListingRequests(w http.ResponseWriter, r *http.Request) error {
	l := keyedList[catalog.ListingRequest]{name: "listing-requests", keyField: "created", timeKey: true,
		value: listingRequestField, fields: []string{"id", "status", "state", "type", "product.id", "marketplace.id", "created"}}
	return keyedPage(w, r, l, s.cfg.Catalog.ListingRequestPage, viewListingRequest)
}

func (s *Server) getListingRequest(w http.ResponseWriter, r *http.Request) error {
	lr, err := s.cfg.Catalog.GetListingRequest(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, viewListingRequest(lr), err)
}

func (s *Server) approveListingRequest(w http.ResponseWriter, r *http.Request) error {
	return s.decide(w, r, CatalogService.ApproveListingRequest)
}

func (s *Server) rejectListingRequest(w http.ResponseWriter, r *http.Request) error {
	return s.decide(w, r, CatalogService.RejectListingRequest)
}

// decide answers approve or reject, whose body (a note) is optional.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, act func(CatalogService, context.Context, account.Principal, string, catalog.DecideInput) (catalog.ListingRequest, error)) error {
	var in catalog.DecideInput
	if err := codec.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	lr, err := act(s.cfg.Catalog, r.Context(), principal(r), r.PathValue("id"), in)
	return codec.Show(w, viewListingRequest(lr), err)
}

// moveListingRequest runs a change of a listing request's state that
// takes no body (Connect's submit, cancel and refine).
func (s *Server) moveListingRequest(move func(CatalogService, context.Context, account.Principal, string) (catalog.ListingRequest, error)) endpoint.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := codec.DecodeOptionalJSON(r, &struct{}{}); err != nil {
			return err
		}
		lr, err := move(s.cfg.Catalog, r.Context(), principal(r), r.PathValue("id"))
		return codec.Show(w, viewListingRequest(lr), err)
	}
}

func listingField(l catalog.Listing, f string) string {
	switch f {
	case "id":
		return l.ID
	case "status":
		return l.Status
	case "product.id":
		return l.Product.ID
	case "marketplace.id":
		return l.Marketplace.ID
	}
	return codec.Stamp(l.Created)
}

func (s *Server) listListings(w http.ResponseWriter, r *http.Request) error {
	q, lp, lq, err := keyedQuery(r, keyedList[catalog.Listing]{name: "listings", keyField: "product.id", value: listingField,
		fields: []string{"id", "status", "product.id", "marketplace.id", "created"}})
	if err != nil {
		return err
	}
	// A product filter is a key condition: the listings' sort keys are
	// <product>#<marketplace>.
	product := ""
	for _, f := range q.Filters {
		if f.Field == "product.id" && f.Op == rql.Eq {
			product = f.Values[0]
			break
		}
	}
	if product != "" {
		lq.Match = codec.Matcher(codec.Residual(q, func(f rql.Filter) bool {
			return f.Field == "product.id" && f.Op == rql.Eq && f.Values[0] == product
		}), listingField)
	}
	page, err := s.cfg.Catalog.ListingPage(r.Context(), principal(r), product, lq)
	if err != nil {
		return err
	}
	return codec.WriteListPage(w, r, lp, page, page.Total, viewListing)
}

func (s *Server) getListing(w http.ResponseWriter, r *http.Request) error {
	l, err := s.cfg.Catalog.GetListing(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, viewListing(l), err)
}

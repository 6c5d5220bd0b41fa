package httpapi

import (
	"net/http"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/rql"
)

func (s *Server) listingRoutes() []route {
	return []route{
		{method: http.MethodPost, path: "/public/v1/listing-requests", access: vendorOnly, handle: s.submitListingRequest},
		{method: http.MethodGet, path: "/public/v1/listing-requests", access: anyAccount, handle: s.listListingRequests},
		{method: http.MethodGet, path: "/public/v1/listing-requests/{id}", access: anyAccount, handle: s.getListingRequest},
		{method: http.MethodPost, path: "/public/v1/listing-requests/{id}/approve", access: providerOnly, handle: s.approveListingRequest},
		{method: http.MethodPost, path: "/public/v1/listing-requests/{id}/reject", access: providerOnly, handle: s.rejectListingRequest},
		{method: http.MethodGet, path: "/public/v1/listings", access: anyAccount, handle: s.listListings},
		{method: http.MethodGet, path: "/public/v1/listings/{id}", access: anyAccount, handle: s.getListing},
	}
}

func (s *Server) submitListingRequest(w http.ResponseWriter, r *http.Request) error {
	return create(w, r, func(in listingRequestInput) (listingRequestView, error) {
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
	return stamp(lr.Created)
}

func (s *Server) listListingRequests(w http.ResponseWriter, r *http.Request) error {
	_, lp, lq, err := keyedQuery(r, keyedList[catalog.ListingRequest]{name: "listing-requests", keyField: "created", timeKey: true,
		value: listingRequestField, fields: []string{"id", "status", "state", "type", "product.id", "marketplace.id", "created"}})
	if err != nil {
		return err
	}
	page, err := s.cfg.Catalog.ListingRequestPage(r.Context(), principal(r), lq)
	if err != nil {
		return err
	}
	return writeListPage(w, r, lp, page, page.Total, viewListingRequest)
}

func (s *Server) getListingRequest(w http.ResponseWriter, r *http.Request) error {
	lr, err := s.cfg.Catalog.GetListingRequest(r.Context(), principal(r), r.PathValue("id"))
	return show(w, viewListingRequest(lr), err)
}

// decideBody reads the optional body of approve and reject.
func decideBody(r *http.Request) (catalog.DecideInput, error) {
	var in catalog.DecideInput
	if r.ContentLength == 0 {
		return in, nil
	}
	return in, decodeJSON(r, &in, true)
}

func (s *Server) approveListingRequest(w http.ResponseWriter, r *http.Request) error {
	in, err := decideBody(r)
	if err != nil {
		return err
	}
	lr, err := s.cfg.Catalog.ApproveListingRequest(r.Context(), principal(r), r.PathValue("id"), in)
	return show(w, viewListingRequest(lr), err)
}

func (s *Server) rejectListingRequest(w http.ResponseWriter, r *http.Request) error {
	in, err := decideBody(r)
	if err != nil {
		return err
	}
	lr, err := s.cfg.Catalog.RejectListingRequest(r.Context(), principal(r), r.PathValue("id"), in)
	return show(w, viewListingRequest(lr), err)
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
	return stamp(l.Created)
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
		lq.Match = matcher(residual(q, func(f rql.Filter) bool {
			return f.Field == "product.id" && f.Op == rql.Eq && f.Values[0] == product
		}), listingField)
	}
	page, err := s.cfg.Catalog.ListingPage(r.Context(), principal(r), product, lq)
	if err != nil {
		return err
	}
	return writeListPage(w, r, lp, page, page.Total, viewListing)
}

func (s *Server) getListing(w http.ResponseWriter, r *http.Request) error {
	l, err := s.cfg.Catalog.GetListing(r.Context(), principal(r), r.PathValue("id"))
	return show(w, viewListing(l), err)
}

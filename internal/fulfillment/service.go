package fulfillment

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/layout"
)

// Versions reads the product version an asset was bought on: its
// parameters and templates are the ones its requests are checked and
// rendered with.
type Versions interface {
	VersionOf(ctx context.Context, productID string, n int) (catalog.Version, error)
}

// Service is the vendor's fulfillment queue and the provider's view of
// it: reads with tenancy, the request transitions and the renders.
type Service struct {
	store    *Store
	versions Versions
	now      func() time.Time
}

// NewService wires the service.
func NewService(store *Store, versions Versions, now func() time.Time) *Service {
	return &Service{store: store, versions: versions, now: now}
}

// party reports whether actor may see an object of asset a: its vendor, its
// provider, or an admin.
func party(actor account.Principal, a Asset) bool {
	return actor.Is(account.Admin) || actor.AccountID == a.Vendor.ID || actor.AccountID == a.Provider.ID
}

// Request reads one request the caller is a party to.
func (s *Service) Request(ctx context.Context, actor account.Principal, id string) (Request, error) {
	r, err := s.store.Request(ctx, id)
	if err == nil && !party(actor, r.Asset) {
		err = ErrNotFound
	}
	return r.Request, NotFound(err, "request", id)
}

// RequestQuery narrows what a request list reads from its index.
type RequestQuery struct {
	// Statuses, when set, has the vendor's queue read only these statuses'
	// index partitions; the list's filters still apply afterwards.
	Statuses []string
}

// Requests lists the vendor's queue or the provider's requests, in
// creation order. A vendor asking for some statuses reads only their
// partitions of the queue index (gsi1); nothing is scanned.
//
// Cost: each list reads the whole partition it names (one Query page per
// MB of 2–3 KB requests) and the API filters and pages in memory, because
// Content-Range counts every match. The pending and inquiring partitions
// stay as small as the open queue; approved, failed, the vendor's gsi3
// and the provider's gsi2 grow with all history (README: "What a list
// costs as it grows").
func (s *Service) Requests(ctx context.Context, actor account.Principal, q RequestQuery) ([]Request, error) {
	switch {
	case actor.Is(account.Vendor) && len(q.Statuses) > 0:
		return s.queue(ctx, actor.AccountID, q.Statuses)
	case actor.Is(account.Vendor):
		return Docs[Request](ctx, s.store, layout.VendorRequests(actor.AccountID))
	case actor.Is(account.Provider):
		return Docs[Request](ctx, s.store, layout.ProviderRequests(actor.AccountID))
	}
	return nil, fault.Forbiddenf("requests are listed for vendor and provider accounts; the token belongs to a %s account", actor.AccountType)
}

// queue reads the vendor's requests in the given statuses, one Query per
// known status.
func (s *Service) queue(ctx context.Context, vendorID string, statuses []string) ([]Request, error) {
	var out []Request
	for _, st := range Statuses {
		if !slices.Contains(statuses, st) {
			continue
		}
		rs, err := Docs[Request](ctx, s.store, layout.VendorQueue(vendorID, st))
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	slices.SortStableFunc(out, func(a, b Request) int {
		return strings.Compare(sortKey(a.Created, a.ID), sortKey(b.Created, b.ID))
	})
	return out, nil
}

// Assets lists the vendor's or the provider's assets, in creation order,
// reading the account's whole asset partition (see Requests on cost).
func (s *Service) Assets(ctx context.Context, actor account.Principal) ([]Asset, error) {
	switch {
	case actor.Is(account.Vendor):
		return Docs[Asset](ctx, s.store, layout.VendorAssets(actor.AccountID))
	case actor.Is(account.Provider):
		return Docs[Asset](ctx, s.store, layout.ProviderAssets(actor.AccountID))
	}
	return nil, fault.Forbiddenf("assets are listed for vendor and provider accounts; the token belongs to a %s account", actor.AccountType)
}

// Asset reads one asset the caller is a party to.
func (s *Service) Asset(ctx context.Context, actor account.Principal, id string) (StoredAsset, error) {
	a, err := s.store.Asset(ctx, id)
	if err == nil && !party(actor, a.Asset) {
		err = ErrNotFound
	}
	return a, NotFound(err, "asset", id)
}

// AssetRequests lists an asset's requests, oldest first, with one Query of
// the asset's partition.
func (s *Service) AssetRequests(ctx context.Context, actor account.Principal, id string) ([]Request, error) {
	a, reqs, err := s.store.AssetWithRequests(ctx, id)
	if err == nil && !party(actor, a.Asset) {
		err = ErrNotFound
	}
	if err != nil {
		return nil, NotFound(err, "asset", id)
	}
	out := make([]Request, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, r.Request)
	}
	return out, nil
}

// RenderRequest returns a request's template as Markdown: the activation
// text fixed when it was approved, or its inquire template rendered with
// the current values.
func (s *Service) RenderRequest(ctx context.Context, actor account.Principal, id string) (string, error) {
	r, err := s.Request(ctx, actor, id)
	if err != nil {
		return "", err
	}
	if r.Status == StatusApproved && r.Template != nil {
		return r.ActivationKey, nil
	}
	if r.Template == nil {
		return "", fault.Transitionf("request %s is %s and has no template to render: a request gets one when it is approved, or inquired with a template", r.ID, r.Status)
	}
	t, err := s.template(ctx, r.Asset, r.Template.ID)
	if err != nil {
		return "", err
	}
	return renderTemplate(t, r), nil
}

// RenderAsset returns the asset's activation template as Markdown, with
// the asset's current values.
func (s *Service) RenderAsset(ctx context.Context, actor account.Principal, id string) (string, error) {
	a, err := s.Asset(ctx, actor, id)
	if err != nil {
		return "", err
	}
	if a.Template == nil {
		return "", fault.Transitionf("asset %s is %s and has no activation template yet: it gets one when its purchase is approved", a.ID, a.Status)
	}
	t, err := s.template(ctx, a.Asset, a.Template.ID)
	if err != nil {
		return "", err
	}
	return catalog.Render(t.Body, values(a.Asset, a.LastApproved)), nil
}

// template reads a template of the version the asset was bought on.
func (s *Service) template(ctx context.Context, a Asset, id string) (catalog.Template, error) {
	v, err := s.versions.VersionOf(ctx, a.Product.ID, a.Version)
	if err != nil {
		return catalog.Template{}, err
	}
	t, ok := v.Template(id)
	if !ok {
		return catalog.Template{}, fault.NotFoundf("template %s of product %s version %d not found", id, a.Product.ID, a.Version)
	}
	return t, nil
}

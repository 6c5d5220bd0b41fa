package fulfillment

import (
	"context"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
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
	// renewalPage is a renewal unit's page: RenewalPage when zero.
	renewalPage int
}

// NewService wires the service.
func NewService(store *Store, versions Versions, now func() time.Time) *Service {
	return &Service{store: store, versions: versions, now: now}
}

// WithRenewalPage bounds a renewal unit's page at n (see RenewalPage); n
// below 1 keeps RenewalPage.
func (s *Service) WithRenewalPage(n int) *Service {
	if n > 0 {
		s.renewalPage = n
	}
	return s
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

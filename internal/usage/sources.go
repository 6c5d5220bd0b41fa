package usage

import (
	"context"
	"errors"
	"strings"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
	"github.com/mercato-dev/mercato/internal/layout"
)

// CatalogSource is the part of the catalog usage files need.
type CatalogSource interface {
	LatestVersion(ctx context.Context, productID string) (catalog.Version, error)
	ListedOn(ctx context.Context, productID, marketplaceID string) (catalog.Listing, error)
}

// fileCatalog reads what row validation needs of the file's product: the
// items of its newest version (a superset of older ones: published items
// are never deleted) and the listing's prices. Two reads per file.
func fileCatalog(ctx context.Context, cs CatalogSource, f File) (Catalog, error) {
	v, err := cs.LatestVersion(ctx, f.Product.ID)
	if err != nil {
		return Catalog{}, err
	}
	l, err := cs.ListedOn(ctx, f.Product.ID, f.Marketplace.ID)
	if err != nil {
		return Catalog{}, err
	}
	prices := map[string]string{}
	for _, p := range l.Prices {
		prices[p.Item.ID] = p.Price
	}
	return Catalog{Items: v.Items, Prices: prices}, nil
}

// storeAssets finds assets in the fulfillment store for one file: an asset
// by id is one Query (the asset with its requests, for its timeline), and
// the first parameter search reads the vendor's assets once.
type storeAssets struct {
	store  *fulfillment.Store
	file   File
	vendor []fulfillment.Asset // nil until a parameter search needs it
}

// NewStoreAssets returns the asset lookups of file f.
func NewStoreAssets(store *fulfillment.Store, f File) Assets {
	return &storeAssets{store: store, file: f}
}

func (s *storeAssets) ByID(ctx context.Context, id string) (*AssetInfo, error) {
	if !strings.HasPrefix(id, "AS-") {
		return nil, nil
	}
	a, reqs, err := s.store.AssetWithRequests(ctx, id)
	if errors.Is(err, fulfillment.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return assetInfo(a.Asset, reqs), nil
}

func assetInfo(a fulfillment.Asset, reqs []fulfillment.StoredRequest) *AssetInfo {
	rs := make([]fulfillment.Request, len(reqs))
	for i, r := range reqs {
		rs[i] = r.Request
	}
	prices := map[string]string{}
	for _, it := range a.Items {
		prices[it.ID] = it.Price
	}
	return &AssetInfo{ID: a.ID, Vendor: a.Vendor.ID, Product: a.Product.ID, Marketplace: a.Marketplace.ID,
		Timeline: timeline.Of(a, rs), Prices: prices}
}

func (s *storeAssets) ByParam(ctx context.Context, name, value string) ([]*AssetInfo, error) {
	if s.vendor == nil {
		all, err := fulfillment.Docs[fulfillment.Asset](ctx, s.store, layout.VendorAssets(s.file.Vendor.ID))
		if err != nil {
			return nil, err
		}
		s.vendor = all
	}
	var out []*AssetInfo
	for _, a := range s.vendor {
		p, ok := a.Param(name)
		if !ok || p.Value != value || a.Product.ID != s.file.Product.ID || a.Marketplace.ID != s.file.Marketplace.ID {
			continue
		}
		info, err := s.ByID(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		if info != nil {
			out = append(out, info)
		}
	}
	return out, nil
}

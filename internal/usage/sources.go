package usage

import (
	"context"
	"errors"
	"strings"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
)

// CatalogSource is the part of the catalog usage files need.
type CatalogSource interface {
	LatestVersion(ctx context.Context, productID string) (catalog.Version, error)
	ListedOn(ctx context.Context, productID, marketplaceID string) (catalog.Listing, error)
}

// fileCatalog reads what row validation needs of the file's product: the
// items of its newest version (a superset of older ones: published items
// are never deleted) and the listing's prices. Two reads per file. It
// returns the version too, whose parameters a parameter search names.
func fileCatalog(ctx context.Context, cs CatalogSource, f File) (Catalog, catalog.Version, error) {
	v, err := cs.LatestVersion(ctx, f.Product.ID)
	if err != nil {
		return Catalog{}, catalog.Version{}, err
	}
	l, err := cs.ListedOn(ctx, f.Product.ID, f.Marketplace.ID)
	if err != nil {
		return Catalog{}, catalog.Version{}, err
	}
	prices := map[string]string{}
	for _, p := range l.Prices {
		prices[p.Item.ID] = p.Price
	}
	return Catalog{Items: v.Items, Prices: prices}, v, nil
}

// storeAssets finds assets in the fulfillment store for one file: an asset
// by id is one Query (the asset with its requests, for its timeline), and
// a parameter search one Query of the parameter index, then the asset by
// id when exactly one holds the value.
type storeAssets struct {
	store *fulfillment.Store
	file  File
	// params maps the product's parameter names and ids to ids: the
	// index is kept by id, and a row may name either.
	params map[string]string
}

// NewStoreAssets returns the asset lookups of file f, whose product's
// newest version is v.
func NewStoreAssets(store *fulfillment.Store, f File, v catalog.Version) Assets {
	params := map[string]string{}
	for _, p := range v.Parameters {
		params[p.Name], params[p.ID] = p.ID, p.ID
	}
	return &storeAssets{store: store, file: f, params: params}
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

// ByParam answers at most two assets: enough to tell one from many. Many
// are answered by id only, since the validator refuses the row.
func (s *storeAssets) ByParam(ctx context.Context, name, value string) ([]*AssetInfo, error) {
	id, ok := s.params[name]
	if !ok {
		return nil, nil
	}
	ids, err := s.store.AssetsWithParam(ctx, s.file.Product.ID, s.file.Marketplace.ID, id, value, 2)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	if len(ids) > 1 {
		out := make([]*AssetInfo, len(ids))
		for i, id := range ids {
			out[i] = &AssetInfo{ID: id}
		}
		return out, nil
	}
	info, err := s.ByID(ctx, ids[0])
	if err != nil || info == nil {
		return nil, err
	}
	return []*AssetInfo{info}, nil
}

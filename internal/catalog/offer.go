package catalog

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
)

// Offer is what a provider may sell of one product in one country: the
// product's current version and its listings on the provider's
// marketplaces that cover the country.
type Offer struct {
	Product  Product
	Version  Version
	Listings []Listing
}

// CheckCountry normalises a country code: missing is a bad request, a code
// that names no country is a resource that does not exist (Partner Center
// answers 404 for it).
func CheckCountry(country string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(country))
	if c == "" {
		return "", fault.Invalidf("country is required, as an ISO 3166-1 alpha-2 code such as US")
	}
	if !validCountry(c) {
		return "", fault.NotFoundf("country %q is not known", country)
	}
	return c, nil
}

func sells(l Listing, provider, country string) bool {
	return l.Status == Listed && l.Provider.ID == provider && slices.Contains(l.Countries, country)
}

// ProviderProducts lists the products listed on the caller's marketplaces
// that cover country: one Query of the provider's listings and one
// BatchGetItem of the product heads, whatever the number of products.
func (s *Service) ProviderProducts(ctx context.Context, actor account.Principal, country string) ([]Product, error) {
	if !actor.Is(account.Provider) {
		return nil, fault.Forbiddenf("the catalog is for provider accounts")
	}
	c, err := CheckCountry(country)
	if err != nil {
		return nil, err
	}
	listings, err := queryDocs[Listing](ctx, s, dynamo.Partition{Index: dynamo.GSI2, PK: "LISTINGS#P#" + actor.AccountID})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, l := range listings {
		if sells(l, actor.AccountID, c) && !slices.Contains(ids, l.Product.ID) {
			ids = append(ids, l.Product.ID)
		}
	}
	return s.heads(ctx, ids)
}

// heads reads product heads by id, 100 per BatchGetItem, in id order.
func (s *Service) heads(ctx context.Context, ids []string) ([]Product, error) {
	keys := make([]dynamo.Key, len(ids))
	for i, id := range ids {
		keys[i] = dynamo.Key{PK: productPK(id), SK: "PRODUCT"}
	}
	rows, err := dynamo.BatchGet[row](ctx, s.table, dynamo.BatchRead{Keys: keys})
	if err != nil {
		return nil, fmt.Errorf("catalog: read products: %w", err)
	}
	out, err := dynamo.DecodeAll[Product](rows)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Product) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// ProviderOffer reads one product as the provider may sell it in country:
// one Query of the product partition and one GetItem of its version. A
// product the provider does not sell there does not exist for it.
func (s *Service) ProviderOffer(ctx context.Context, actor account.Principal, productID, country string) (Offer, error) {
	if !actor.Is(account.Provider) {
		return Offer{}, fault.Forbiddenf("the catalog is for provider accounts")
	}
	c, err := CheckCountry(country)
	if err != nil {
		return Offer{}, err
	}
	st, err := s.loadPartition(ctx, productID)
	if err == errNoProduct {
		return Offer{}, fault.NotFoundf("product %s not found", productID)
	}
	if err != nil {
		return Offer{}, err
	}
	var o Offer
	for _, mp := range slices.Sorted(maps.Keys(st.listings)) {
		if l := st.listings[mp]; sells(l, actor.AccountID, c) {
			o.Listings = append(o.Listings, l)
		}
	}
	if len(o.Listings) == 0 {
		return Offer{}, fault.NotFoundf("product %s not found in country %s", productID, c)
	}
	o.Product = st.head.p
	if o.Version, err = s.VersionOf(ctx, productID, st.head.p.Version); err != nil {
		return Offer{}, err
	}
	return o, nil
}

// Sellable returns the items of the offer's version that are on sale and
// priced on at least one of its listings.
func (o Offer) Sellable() []Item {
	var out []Item
	for _, it := range o.Version.Items {
		if it.Status == StatusEndOfSale {
			continue
		}
		for _, l := range o.Listings {
			if _, ok := l.PriceOf(it.ID); ok {
				out = append(out, it)
				break
			}
		}
	}
	return out
}

// ListedOn reports whether product is listed on marketplace; ordering
// checks it.
func (s *Service) ListedOn(ctx context.Context, productID, marketplaceID string) (Listing, error) {
	notListed := fault.NotFoundf("product %s is not listed on marketplace %s", productID, marketplaceID)
	l, _, err := readRow[Listing](ctx, s.table, dynamo.Key{PK: productPK(productID), SK: listingSK(marketplaceID)}, notListed)
	if err == nil && l.Status != Listed {
		return Listing{}, notListed
	}
	return l, err
}

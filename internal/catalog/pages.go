package catalog

import (
	"context"
	"fmt"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/layout"
)

// The catalog's lists page like every other list (dynamo.ReadPage): each
// is one partition of gsi1 or gsi2, which project the whole item, so a
// page is one Query of at most offset+limit+1 items in key order, and the
// list's total comes from its count items (layout.ListCountOf), kept by
// the relay. Their keys order them:
//
//	products          gsi1 PRODUCTS#<vendor>               <created>#<id>
//	listing requests  gsi1 LISTINGREQUESTS#V#<vendor>      <created>#<id>
//	                  gsi2 LISTINGREQUESTS#P#<provider>
//	listings          gsi1 LISTINGS#V#<vendor>             <product>#<marketplace>
//	                  gsi2 LISTINGS#P#<provider>
//	marketplaces      gsi1 MARKETPLACES#<provider>         <id>
//	                  gsi2 MARKETPLACES (every one)

// ProductPage is one page of the vendor's products, in created order.
func (s *Service) ProductPage(ctx context.Context, actor account.Principal, q dynamo.ListQuery[Product]) (dynamo.ListPage[Product], error) {
	if !actor.Is(account.Vendor) {
		return dynamo.ListPage[Product]{}, fault.Forbiddenf("only vendor accounts list their products; provider hubs browse the catalog at /v1/products")
	}
	return docPage(ctx, s, dynamo.Partition{Index: dynamo.GSI1, PK: "PRODUCTS#" + actor.AccountID}, q, decodeRow[Product])
}

// ListingRequestPage is one page of the caller's listing requests (a
// vendor's own, or those on a provider's marketplaces), in created order.
func (s *Service) ListingRequestPage(ctx context.Context, actor account.Principal, q dynamo.ListQuery[ListingRequest]) (dynamo.ListPage[ListingRequest], error) {
	part, err := sidePartition(actor, "LISTINGREQUESTS")
	if err != nil {
		return dynamo.ListPage[ListingRequest]{}, err
	}
	return docPage(ctx, s, part, q, decodeRow[ListingRequest])
}

// ListingPage is one page of the listings of the caller's products
// (vendor) or marketplaces (provider), by product then marketplace;
// product, when set, reads that product's listings only.
func (s *Service) ListingPage(ctx context.Context, actor account.Principal, product string, q dynamo.ListQuery[Listing]) (dynamo.ListPage[Listing], error) {
	part, err := sidePartition(actor, "LISTINGS")
	if err != nil {
		return dynamo.ListPage[Listing]{}, err
	}
	if product != "" {
		part.SKPrefix = product + "#"
	}
	return docPage(ctx, s, part, q, decodeRow[Listing])
}

// decodeRow is dynamo.Decode on a Row: RangeItems decodes into a concrete
// row type, never into the Rowed interface that Decode takes.
func decodeRow[T any](r dynamo.Row) (T, error) {
	return dynamo.Decode[T](r)
}

// MarketplacePage is one page of the marketplaces the caller can see (a
// provider its own, anyone else every one), by id.
func (s *Service) MarketplacePage(ctx context.Context, actor account.Principal, q dynamo.ListQuery[Marketplace]) (dynamo.ListPage[Marketplace], error) {
	return docPage(ctx, s, marketplacesPartition(actor), q, func(it marketplaceItem) (Marketplace, error) { return it.marketplace(), nil })
}

func marketplacesPartition(actor account.Principal) dynamo.Partition {
	if actor.Is(account.Provider) {
		return dynamo.Partition{Index: dynamo.GSI1, PK: "MARKETPLACES#" + actor.AccountID}
	}
	return dynamo.Partition{Index: dynamo.GSI2, PK: "MARKETPLACES"}
}

// docPage reads a page of the partition's items, decoded. A page that
// did not reach the list's end takes its total from the list's count
// items when the keys narrowed nothing and no filter applies: the count is
// then the answer's total.
func docPage[R, T any](ctx context.Context, s *Service, part dynamo.Partition, q dynamo.ListQuery[T], decode func(R) (T, error)) (dynamo.ListPage[T], error) {
	read := func(ctx context.Context, r dynamo.Range, n int) (dynamo.Chunk[T], error) {
		c, err := dynamo.RangeItems[R](ctx, s.table, part, r, n)
		if err != nil {
			return dynamo.Chunk[T]{}, fmt.Errorf("catalog: list %s: %w", part.PK, err)
		}
		out := dynamo.Chunk[T]{Keys: c.Keys, Last: c.Last, Read: c.Read, More: c.More, Rows: make([]T, len(c.Rows))}
		for i, r := range c.Rows {
			if out.Rows[i], err = decode(r); err != nil {
				return dynamo.Chunk[T]{}, err
			}
		}
		return out, nil
	}
	p, err := dynamo.ReadPage(ctx, read, q)
	if err != nil || p.Total >= 0 || q.Match != nil || q.From != "" || q.To != "" || part.SKPrefix != "" {
		return p, err
	}
	p.Total, err = layout.Count(ctx, s.table, layout.List(part.PK))
	return p, err
}

package catalog

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/cache"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/layout"
)

// What an instance keeps of the catalog, so that a warm order reads none
// of it:
//
//   - published versions, by product and number: a snapshot never changes,
//     so it is kept until newer ones push it out (VersionCacheSize of them;
//     a snapshot is 10-50 KB, at most 400 KB);
//   - which version of a product is the latest, and its listings: these
//     change (publish, listing requests), so an order that used them checks
//     them again in its own transaction, against the product's guard (see
//     Guard). They are also dropped after OfferCacheTTL, so that nothing
//     unchecked could outlive that.
const (
	VersionCacheSize = 64
	OfferCacheSize   = 1024
	OfferCacheTTL    = 10 * time.Minute
)

type versionRef struct {
	product string
	n       int
}

type caches struct {
	versions *cache.Cache[versionRef, Version]
	latest   *cache.Cache[string, int]
	listings *cache.Cache[string, Listing]
}

func newCaches(now func() time.Time) caches {
	return caches{
		versions: cache.New[versionRef, Version](VersionCacheSize, 0, now),
		latest:   cache.New[string, int](OfferCacheSize, OfferCacheTTL, now),
		listings: cache.New[string, Listing](OfferCacheSize, OfferCacheTTL, now),
	}
}

// Guard collects the cached catalog facts an order relied on, to check
// them in the order's transaction. Its guard item per product has copies
// (layout.ProductGuard) that hold
//
//	version                  the latest version
//	listing_<marketplace>    the id of the listing request that last
//	                         changed the listing there
//
// An attribute that is missing means no change since the guards were
// introduced, so the fact read from the table then still holds: a table
// with data from before needs no backfill.
type Guard struct {
	products map[string]*guarded
}

type guarded struct {
	version  int
	listings map[string]string
}

func (g *Guard) product(id string) *guarded {
	if g.products == nil {
		g.products = map[string]*guarded{}
	}
	p := g.products[id]
	if p == nil {
		p = &guarded{listings: map[string]string{}}
		g.products[id] = p
	}
	return p
}

// Len is the number of checks Check adds.
func (g *Guard) Len() int { return len(g.products) }

// Check adds one ConditionCheck per product to tx, on the guard copy that
// shardKey (the order's id) picks: the latest version and the listings
// the order used from the cache are still current.
func (g *Guard) Check(tx *dynamo.Tx, shardKey string) {
	for _, id := range slices.Sorted(maps.Keys(g.products)) {
		p := g.products[id]
		// A product that ended its sale since its listing was cached.
		conds := []expression.ConditionBuilder{expression.AttributeNotExists(expression.Name(endOfSaleAttr))}
		if p.version > 0 {
			conds = append(conds, unchanged("version", expression.Value(p.version)))
		}
		for _, mp := range slices.Sorted(maps.Keys(p.listings)) {
			conds = append(conds, unchanged(listingAttr(mp), expression.Value(p.listings[mp])))
		}
		cond := conds[0]
		if len(conds) > 1 {
			cond = expression.And(conds[0], conds[1], conds[2:]...)
		}
		tx.Check("guard "+id, layout.GuardCopy(id, shardKey), cond)
	}
}

func unchanged(attr string, v expression.OperandBuilder) expression.ConditionBuilder {
	n := expression.Name(attr)
	return expression.Or(expression.AttributeNotExists(n), n.Equal(v))
}

func listingAttr(marketplaceID string) string { return "listing_" + marketplaceID }

// bumpGuards sets attr on every copy of the product's guard, in the
// transaction that makes the change.
func bumpGuards(tx *dynamo.Tx, productID, attr string, v any) {
	for shard, k := range layout.GuardCopies(productID) {
		tx.Update(fmt.Sprintf("guard %s %d", productID, shard), k,
			expression.Set(expression.Name(attr), expression.Value(v)), nil)
	}
}

func listingCacheKey(productID, marketplaceID string) string { return productID + "|" + marketplaceID }

// OrderListing returns the product's listing on the marketplace for an
// order. With a guard it may come from this instance's cache, and is then
// recorded in g for the order to check; with none it is read (and cached).
func (s *Service) OrderListing(ctx context.Context, productID, marketplaceID string, g *Guard) (Listing, error) {
	k := listingCacheKey(productID, marketplaceID)
	if g != nil {
		if l, ok := s.listings.Get(k); ok {
			g.product(productID).listings[marketplaceID] = l.Request.ID
			return l, nil
		}
	}
	l, err := s.ListedOn(ctx, productID, marketplaceID)
	if fault.Is(err, fault.NotFound) {
		s.listings.Remove(k)
	}
	if err != nil {
		return Listing{}, err
	}
	s.listings.Add(k, l)
	return l, nil
}

// OrderVersion returns the latest published version of a product for an
// order, as OrderListing does its listing.
func (s *Service) OrderVersion(ctx context.Context, productID string, g *Guard) (Version, error) {
	if g != nil {
		if n, ok := s.latest.Get(productID); ok {
			v, err := s.VersionOf(ctx, productID, n)
			if err != nil {
				return Version{}, err
			}
			g.product(productID).version = n
			return v, nil
		}
	}
	v, err := s.LatestVersion(ctx, productID)
	if err != nil {
		return Version{}, err
	}
	s.latest.Add(productID, v.Version)
	s.versions.Add(versionRef{productID, v.Version}, v)
	return v, nil
}

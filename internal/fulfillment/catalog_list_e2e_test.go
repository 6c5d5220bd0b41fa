package fulfillment_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/catalog"
)

// TestCatalogLists_PagingAndCounts pages the catalog's lists (products,
// listing requests, listings, marketplaces) with offsets and cursors,
// checks their totals (count items the relay keeps), the orderings no key
// gives and the refusals.
func TestCatalogLists_PagingAndCounts(t *testing.T) {
	p := start(t)
	w := p.world("-catalog-lists")
	v, pr := w.vendor.Token.Value, w.provider.Token.Value
	products := []string{w.product.ID} // in creation order
	for i := range 11 {
		var prd catalog.Product
		p.do(http.MethodPost, "/public/v1/products", v, map[string]any{"name": fmt.Sprintf("Product %02d", 11-i)}, http.StatusCreated, &prd)
		products = append(products, prd.ID)
	}
	mps := []string{w.mp.ID}
	for i := range 2 {
		var mp catalog.Marketplace
		p.do(http.MethodPost, "/public/v1/marketplaces", pr, map[string]any{"name": fmt.Sprintf("Apollo %d", i), "currency": "USD", "countries": []string{"US"}}, http.StatusCreated, &mp)
		mps = append(mps, mp.ID)
		var lr catalog.ListingRequest
		p.do(http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"product": w.product.ID, "marketplace": mp.ID,
			"prices": []map[string]any{{"item": w.item.ID, "price": "10", "terms": []string{"P1M"}}}}, http.StatusCreated, &lr)
		p.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", pr, nil, http.StatusOK, nil)
	}
	slices.Sort(mps)
	eventually(t, "totals from the count items", func() bool {
		return p.page(t, "/public/v1/products?limit=5", v).total == "12" &&
			p.page(t, "/public/v1/listing-requests?limit=1", v).total == "3" &&
			p.page(t, "/public/v1/listing-requests?limit=1", pr).total == "3" &&
			p.page(t, "/public/v1/listings?limit=1", pr).total == "3" &&
			p.page(t, "/public/v1/marketplaces?limit=1", pr).total == "3"
	})
	t.Run("offsets and cursors", func(t *testing.T) {
		if got := p.page(t, "/public/v1/products?limit=5&offset=5", v).ids; !cmp.Equal(got, products[5:10]) {
			t.Errorf("offset 5 = %v, want %v", got, products[5:10])
		}
		if got := p.follow(t, "/public/v1/products?limit=5&cursor=", v); !cmp.Equal(got, products) {
			t.Errorf("cursor pages = %v, want %v", got, products)
		}
		reversed := slices.Clone(products)
		slices.Reverse(reversed)
		if got := p.follow(t, "/public/v1/products?limit=4&ordering(-created)&cursor=", v); !cmp.Equal(got, reversed) {
			t.Errorf("descending cursor pages = %v, want %v", got, reversed)
		}
		if got := p.follow(t, "/public/v1/marketplaces?limit=2&cursor=", pr); !cmp.Equal(got, mps) {
			t.Errorf("marketplaces = %v, want %v", got, mps)
		}
		if got := p.follow(t, "/public/v1/listing-requests?limit=2&cursor=", pr); len(got) != 3 {
			t.Errorf("listing requests = %v, want 3", got)
		}
		if got := p.follow(t, "/public/v1/listings?limit=2&cursor=", v); len(got) != 3 {
			t.Errorf("listings = %v, want 3", got)
		}
	})
	t.Run("a product's listings are a key range", func(t *testing.T) {
		pg := p.page(t, "/public/v1/listings?product.id="+w.product.ID+"&limit=2", pr)
		if len(pg.ids) != 2 || pg.next == "" {
			t.Errorf("first page = %v next %q, want 2 and a next page", pg.ids, pg.next)
		}
		if got := p.follow(t, "/public/v1/listings?product.id="+w.product.ID+"&limit=2&cursor=", pr); len(got) != 3 {
			t.Errorf("the product's listings = %v, want 3", got)
		}
		if pg := p.page(t, "/public/v1/listings?product.id="+products[1], pr); len(pg.ids) != 0 || pg.total != "0" {
			t.Errorf("an unlisted product's listings = %v total %s", pg.ids, pg.total)
		}
	})
	t.Run("an ordering no key gives sorts the list, by offset", func(t *testing.T) {
		pg := p.page(t, "/public/v1/products?ordering(name)&limit=3&offset=1", v)
		want := []string{products[11], products[10], products[9]} // Apollo Pulse sorts first, then Product 01, the last made
		if !cmp.Equal(pg.ids, want) || pg.total != "12" || pg.next != "" {
			t.Errorf("by name = %v total %s next %q, want %v, 12 and no cursor", pg.ids, pg.total, pg.next, want)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		first := p.page(t, "/public/v1/products?limit=2&cursor=", v)
		cursor := first.cursor()
		p.refuses(t, []listCall{
			{"malformed cursor", "/public/v1/products?cursor=bm90LWEtY3Vyc29y", v},
			{"another list's cursor", "/public/v1/listing-requests?cursor=" + url.QueryEscape(cursor), v},
			{"another tenant's cursor", "/public/v1/marketplaces?cursor=" + url.QueryEscape(cursor), pr},
			{"a cursor with an ordering no key gives", "/public/v1/products?ordering(name)&cursor=", v},
			{"an offset past the maximum", "/public/v1/listings?offset=10001", v},
		})
	})
}

package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// testClock is a clock that moves only when the test moves it.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// instance returns f served by another App on the same table: a new
// Lambda instance, which has cached nothing yet, with a call counter of its
// own. Its clock is clock, or, when nil, one that stands still, so that
// what it caches stays fresh however slowly the test runs.
func (f *fixture) instance(t testing.TB, clock *testClock) *fixture {
	t.Helper()
	if clock == nil {
		clock = newTestClock()
	}
	counter := dynamo.NewCounter()
	a := f.env.App(t, app.Options{Now: clock.Now, DynamoOptions: []func(*dynamodb.Options){counter.Option}})
	g := *f
	g.t, g.app, g.api, g.counter = t, a, a.API(), counter
	return &g
}

// on returns the shop as served by f.
func (s *shop) on(f *fixture) *shop {
	cf := *s.catalogFixture
	cf.fixture = f
	c := *s
	c.catalogFixture = &cf
	return &c
}

// countCalls runs f and returns the DynamoDB calls of fx's instance.
func countCalls(fx *fixture, f func()) map[string]int {
	fx.counter.Reset()
	f()
	return fx.counter.Calls()
}

// TestFulfillment_WarmCallCounts: on an instance that has served the
// vendor before (its token and the product version cached), a transition
// is the request with its asset in one TransactGetItems, then the write.
func TestFulfillment_WarmCallCounts(t *testing.T) {
	s := newFreshShop(t)
	p, q, r := s.order(t, 1), s.order(t, 1), s.order(t, 1)
	s.fill(t, q.request)
	w := s.on(s.instance(t, nil))
	w.approve(t, p.request)
	approve := map[string]any{"template_id": s.lab.template.ID}
	fill := map[string]any{"asset": map[string]any{"params": []any{map[string]any{"id": "param_admin_email", "value": "a@b.co"}}}}
	want := map[string]int{"TransactGetItems": 1, "TransactWriteItems": 1}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{"approve", http.MethodPost, reqPath(q.request, "approve"), approve},
		{"PUT", http.MethodPut, reqPath(r.request), fill},
		{"fail", http.MethodPost, reqPath(r.request, "fail"), map[string]any{"reason": "no"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := countCalls(w.fixture, func() {
				if res := w.call(tt.method, tt.path, w.vendor.Token.Value, tt.body); res.status != http.StatusOK {
					t.Fatalf("%d %s", res.status, res.body)
				}
			})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("DynamoDB calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOrdering_WarmCacheNeverStale: an instance that has cached the
// customer, the listing and the version places orders with one
// transaction; when another instance re-prices, republishes or unlists the
// product, or revokes a token, the warm instance's next order is exactly
// what a cold one would place (its transaction's check fails, and it reads
// afresh), and a revoked token stops working within TokenCacheTTL.
func TestOrdering_WarmCacheNeverStale(t *testing.T) {
	s := newShop(t)
	clock := newTestClock()
	a, b := s.on(s.instance(t, clock)), s.on(s.instance(t, nil))
	v, pr := s.vendor.Token.Value, s.provider.Token.Value
	body := map[string]any{"lineItems": []any{s.line(s.lab.item, 1)}}
	type placedOrder struct {
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"lineItems"`
	}
	order := func(want map[string]int) fulfillment.Asset {
		t.Helper()
		var o placedOrder
		got := countCalls(a.fixture, func() { a.do(http.MethodPost, a.ordersPath(), pr, body, http.StatusCreated, &o) })
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("DynamoDB calls of the order (-want +got):\n%s", diff)
		}
		return s.asset(t, o.LineItems[0].SubscriptionID)
	}
	cold := map[string]int{"GetItem": 3, "Query": 1, "TransactWriteItems": 1}
	warm := map[string]int{"TransactWriteItems": 1}
	// After a change: the warm transaction fails its check, then the
	// customer, the listing and the version are read and the order placed.
	retried := map[string]int{"GetItem": 2, "Query": 1, "TransactWriteItems": 2}
	order(cold)
	if got := order(warm); got.Items[0].Price != "10.00" {
		t.Fatalf("warm order at %s, want the listed 10.00", got.Items[0].Price)
	}
	decide := func(typ string, prices []map[string]any) {
		t.Helper()
		var lr catalog.ListingRequest
		b.do(http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"type": typ, "product": s.lab.product.ID,
			"marketplace": s.mp.ID, "prices": prices}, http.StatusCreated, &lr)
		b.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", pr, nil, http.StatusOK, nil)
	}

	// Re-priced.
	decide("update", []map[string]any{{"item": s.lab.item.ID, "price": "12", "terms": []string{"P1M", "P1Y"}},
		{"item": s.yearly.ID, "price": "100"}, {"item": s.ppu.ID, "price": "0.05"}})
	{
		if got := order(retried); got.Items[0].Price != "12.00" {
			t.Errorf("ordered at %s after the re-pricing to 12.00", got.Items[0].Price)
		}
		if got := order(warm); got.Items[0].Price != "12.00" {
			t.Errorf("warm order at %s, want 12.00", got.Items[0].Price)
		}
	}
	// Republished.
	{
		var before catalog.Product
		b.do(http.MethodGet, "/public/v1/products/"+s.lab.product.ID, v, nil, http.StatusOK, &before)
		b.do(http.MethodPost, "/public/v1/products/"+s.lab.product.ID+"/publish", v, nil, http.StatusCreated, nil)
		if got := order(retried); got.Version != before.Version+1 {
			t.Errorf("ordered version %d after publishing %d", got.Version, before.Version+1)
		}
		order(warm)
	}
	{
		// The cached customer and listing are the provider's: another
		// provider neither sees the customer nor buys the listing.
		other := a.createAccount(account.Provider, "Other Hub")
		partnerError(t, a.call(http.MethodPost, a.ordersPath(), other.Token.Value, body), 404, 600008)
		mine := a.newCustomer(t, other.Token.Value)
		partnerError(t, a.call(http.MethodPost, "/v1/customers/"+mine+"/orders", other.Token.Value, body), 400, 10001, "not listed")
	}
	// Unlisted.
	{
		var before pcCollection
		a.do(http.MethodGet, a.ordersPath(), pr, nil, http.StatusOK, &before)
		decide("remove", nil)
		got := countCalls(a.fixture, func() { partnerError(t, a.call2(http.MethodPost, a.ordersPath(), body), 400, 10001, "not listed") })
		// The failed check, then the customer and the listing, which is gone.
		if diff := cmp.Diff(map[string]int{"GetItem": 2, "TransactWriteItems": 1}, got); diff != "" {
			t.Errorf("DynamoDB calls (-want +got):\n%s", diff)
		}
		var after pcCollection
		a.do(http.MethodGet, a.ordersPath(), pr, nil, http.StatusOK, &after)
		if after.TotalCount != before.TotalCount {
			t.Errorf("%d orders after ordering an unlisted product, want %d", after.TotalCount, before.TotalCount)
		}
	}
	// A token revoked through another instance.
	{
		var tok account.NewToken
		b.do(http.MethodPost, "/public/v1/auth/tokens", pr, map[string]string{"name": "hub"}, http.StatusCreated, &tok)
		a.do(http.MethodGet, "/public/v1/auth/context", tok.Value, nil, http.StatusOK, nil)
		b.do(http.MethodDelete, "/public/v1/auth/tokens/"+tok.ID, pr, nil, http.StatusNoContent, nil)
		// The documented delay: the instance that cached it accepts it
		// until TokenCacheTTL has passed, not a moment longer.
		clock.Add(account.TokenCacheTTL - time.Second)
		a.do(http.MethodGet, "/public/v1/auth/context", tok.Value, nil, http.StatusOK, nil)
		clock.Add(time.Second)
		connectError(t, a.call(http.MethodGet, "/public/v1/auth/context", tok.Value, nil), http.StatusUnauthorized, "AUTH_001")
	}
}

// TestOrdering_WarmOrderOfTwoProducts: lines of two products check both
// products' guards, still in the one transaction.
func TestOrdering_WarmOrderOfTwoProducts(t *testing.T) {
	s := newShop(t)
	second, items := s.listedProduct(t, "Second", 1)
	w := s.on(s.instance(t, nil))
	line := func(p catalog.Product, it catalog.Item) map[string]any {
		return map[string]any{"offerId": p.ID + ":" + it.LocalID + ":" + s.mp.ID, "quantity": 1}
	}
	body := map[string]any{"lineItems": []any{s.line(s.lab.item, 1), line(second, items[0])}}
	var first json.RawMessage
	w.do(http.MethodPost, w.ordersPath(), s.provider.Token.Value, body, http.StatusCreated, &first)
	got := countCalls(w.fixture, func() { w.do(http.MethodPost, w.ordersPath(), s.provider.Token.Value, body, http.StatusCreated, nil) })
	if diff := cmp.Diff(map[string]int{"TransactWriteItems": 1}, got); diff != "" {
		t.Errorf("DynamoDB calls (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(first), second.ID) {
		t.Errorf("first order has no line of %s: %s", second.ID, first)
	}
}

package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ordering"
)

// shop is a listed product with a monthly item (min 1, max 500), a yearly
// item, a pay-per-use item and a required ordering parameter, plus a
// customer of the provider.
type shop struct {
	*catalogFixture
	lab      labProduct
	yearly   catalog.Item
	ppu      catalog.Item
	customer string
}

func newShop(t testing.TB) *shop {
	t.Helper()
	s := &shop{catalogFixture: newCatalogFixture(t)}
	s.lab = s.buildLab(t)
	v := s.vendor.Token.Value
	base := "/public/v1/products/" + s.lab.product.ID
	s.do(http.MethodPost, base+"/items", v, map[string]any{"name": "SKU Annual", "mpn": "MPN-246-ANNUAL", "type": "reservation", "period": "yearly", "unit": "users"}, http.StatusCreated, &s.yearly)
	s.do(http.MethodPost, base+"/items", v, map[string]any{"name": "Recording minutes", "mpn": "MPN-246-MIN", "type": "ppu", "unit": "minutes"}, http.StatusCreated, &s.ppu)
	s.open(t, map[string]any{"item": s.yearly.ID, "price": "100"}, map[string]any{"item": s.ppu.ID, "price": "0.05"})
	return s
}

// open gives the lab product its required ordering parameter, publishes
// it, lists it on the marketplace with the lab item at 10 and the other
// prices given, and adds a customer of the provider.
func (s *shop) open(t testing.TB, prices ...map[string]any) {
	t.Helper()
	v := s.vendor.Token.Value
	base := "/public/v1/products/" + s.lab.product.ID
	s.do(http.MethodPost, base+"/parameters", v, map[string]any{"name": "param_tenant", "title": "Tenant name", "type": "subdomain",
		"scope": "asset", "phase": "ordering", "constraints": map[string]any{"required": true}}, http.StatusCreated, nil)
	s.do(http.MethodPut, base, v, map[string]any{"capabilities": map[string]any{"suspend_resume_supported": true}}, http.StatusOK, nil)
	s.do(http.MethodPost, base+"/publish", v, nil, http.StatusCreated, nil)
	var lr catalog.ListingRequest
	prices = append([]map[string]any{{"item": s.lab.item.ID, "price": "10", "terms": []string{"P1M", "P1Y"}}}, prices...)
	s.do(http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"product": s.lab.product.ID, "marketplace": s.mp.ID, "prices": prices},
		http.StatusCreated, &lr)
	s.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", s.provider.Token.Value, nil, http.StatusOK, nil)
	s.customer = s.newCustomer(t, s.provider.Token.Value)
}

func (s *shop) newCustomer(t testing.TB, token string) string {
	t.Helper()
	var c struct {
		ID string `json:"id"`
	}
	s.do(http.MethodPost, "/v1/customers", token, map[string]any{
		"companyProfile": map[string]any{"companyName": "Contoso Ltd"},
		"billingProfile": map[string]any{"email": "billing@contoso.example", "defaultAddress": map[string]any{"country": "US", "city": "Redmond", "addressLine1": "1 Main St", "postalCode": "98052"}},
	}, http.StatusCreated, &c)
	return c.ID
}

func (s *shop) offer(it catalog.Item) string {
	return fmt.Sprintf("%s:%s:%s", s.lab.product.ID, it.LocalID, s.mp.ID)
}

func (s *shop) ordersPath() string { return "/v1/customers/" + s.customer + "/orders" }

// orders is the customer's order list as the provider reads it.
func (s *shop) orders() pcCollection {
	var list pcCollection
	s.do(http.MethodGet, s.ordersPath(), s.provider.Token.Value, nil, http.StatusOK, &list)
	return list
}

// line is an order line with the required ordering parameter.
func (s *shop) line(it catalog.Item, qty int) map[string]any {
	return map[string]any{"offerId": s.offer(it), "quantity": qty, "provisioningContext": map[string]string{"param_tenant": "contoso"}}
}

// numbered gives an order line its lineItemNumber.
func numbered(line map[string]any, n int) map[string]any {
	line["lineItemNumber"] = n
	return line
}

func (s *shop) call2(method, path string, body any, hdr ...string) response {
	return s.call(method, path, s.provider.Token.Value, body, hdr...)
}

func partnerError(t *testing.T, res response, status, code int, fragments ...string) {
	t.Helper()
	var e partnerErr
	if err := json.Unmarshal(res.body, &e); err != nil || res.status != status || e.Code != code || e.Source != "mercato" {
		t.Fatalf("got %d %s, want %d with code %d", res.status, res.body, status, code)
	}
	all := e.Description + " " + strings.Join(e.Data, " ")
	for _, f := range fragments {
		if !strings.Contains(all, f) {
			t.Errorf("error %q lacks %q", all, f)
		}
	}
}

// seedOrder is the request example of 002_* as it stands, with %s for its
// offerId.
const seedOrder = `{
    "PartnerOnRecordAttestationAccepted":true, 
    "lineItems": [
        {
            "offerId": %q,
            "quantity": 1,
            "lineItemNumber": 0,
            "PartnerIdOnRecord": "873452",
            "AdditionalPartnerIdsOnRecord":["4847383","873452"]
        }
    ],
    "billingCycle": "monthly"
}`

// seedOrderPascal is the same order with every property name in
// PascalCase, as the C# SDK serialises it.
const seedOrderPascal = `{
    "PartnerOnRecordAttestationAccepted": true,
    "ReferenceCustomerId": %q,
    "LineItems": [
        {
            "OfferId": %q,
            "Quantity": 1,
            "LineItemNumber": 0,
            "PartnerIdOnRecord": "873452",
            "AdditionalPartnerIdsOnRecord": ["4847383", "873452"]
        }
    ],
    "BillingCycle": "monthly",
    "CurrencyCode": "USD"
}`

// plainProduct lists a product without ordering parameters, which 002_*'s
// example can buy without a provisioningContext.
func (s *shop) plainProduct(t *testing.T) labProduct {
	t.Helper()
	lab := s.buildLab(t)
	s.list(t, lab, "10")
	return lab
}

func TestOrdering_PartnerCenterOrderShape(t *testing.T) {
	s := newShop(t)
	plain := s.plainProduct(t)
	offer := fmt.Sprintf("%s:%s:%s", plain.product.ID, plain.item.LocalID, s.mp.ID)
	// The request example of 002_*, adjusted only to a real catalogItemId
	// (the customer is in the path).
	got := s.placeSeed(t, fmt.Sprintf(seedOrder, offer), plain, offer)
	// The PascalCase form of the same order answers the same shape.
	s.placeSeed(t, fmt.Sprintf(seedOrderPascal, s.customer, offer), plain, offer)
	id := got["id"].(string)
	sub := got["lineItems"].([]any)[0].(map[string]any)["subscriptionId"].(string)
	self := "/v1/customers/" + s.customer + "/orders/" + id

	// Every catalog link of the line leads somewhere.
	followCatalogLinks(t, s, got["lineItems"].([]any)[0].(map[string]any)["links"].(map[string]any))

	// Readable at once, in the list too; provisioning is pending.
	var again map[string]any
	s.do(http.MethodGet, self, s.provider.Token.Value, nil, http.StatusOK, &again)
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("GET differs from POST:\n%s", diff)
	}
	if n := s.orders().TotalCount; n != 2 {
		t.Errorf("order list has %d orders, want 2", n)
	}
	var prov pcCollection
	s.do(http.MethodGet, self+"/provisioningstatus", s.provider.Token.Value, nil, http.StatusOK, &prov)
	if prov.TotalCount != 1 || !strings.Contains(string(prov.Items[0]), `"status":"PrefulfillmentPending"`) {
		t.Errorf("provisioning = %+v", prov)
	}
	var links pcCollection
	s.do(http.MethodGet, self+"/activationlinks", s.provider.Token.Value, nil, http.StatusOK, &links)
	if links.TotalCount != 0 {
		t.Errorf("activation links before fulfillment: %+v", links)
	}
	// The asset and its pending purchase request exist, with the tier.
	st, reqs, err := s.app.FulfillmentStore.AssetWithRequests(t.Context(), sub)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("asset %s: %v, %d requests", sub, err, len(reqs))
	}
	if reqs[0].ID != strings.Replace(sub, "AS-", "PR-", 1)+"-001" || reqs[0].Status != "pending" || reqs[0].Type != "purchase" ||
		st.Status != "processing" || st.Tiers.Tier1 == nil || st.Tiers.Tier1.ExternalID != "873452" || st.Version != 1 {
		t.Errorf("asset %+v request %+v", st.Asset, reqs[0].Request)
	}
	// The subscription shows the pending purchase.
	var subView map[string]any
	s.do(http.MethodGet, "/v1/customers/"+s.customer+"/subscriptions/"+sub, s.provider.Token.Value, nil, http.StatusOK, &subView)
	if subView["status"] != "pending" || subView["orderId"] != id || subView["quantity"] != 1.0 || subView["autoRenewEnabled"] != true {
		t.Errorf("subscription = %v", subView)
	}
	followCatalogLinks(t, s, subView["links"].(map[string]any))
}

// placeSeed posts body and compares the answer with 002_*'s documented
// Order field by field; it returns the answer.
func (s *shop) placeSeed(t *testing.T, body string, lab labProduct, offer string) map[string]any {
	t.Helper()
	res := s.call2(http.MethodPost, s.ordersPath(), body)
	if res.status != http.StatusCreated {
		t.Fatalf("POST order = %d %s", res.status, res.body)
	}
	var got map[string]any
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatal(err)
	}
	id, _ := got["id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("order id %q", id)
	}
	lines, _ := got["lineItems"].([]any)
	if len(lines) != 1 {
		t.Fatalf("lineItems = %v", got["lineItems"])
	}
	sub, _ := lines[0].(map[string]any)["subscriptionId"].(string)
	created, _ := got["creationDate"].(string)
	if !strings.HasPrefix(sub, "AS-") || created == "" {
		t.Fatalf("subscriptionId %q creationDate %q", sub, created)
	}
	product := "/v1/products/" + lab.product.ID
	sku := product + "/skus/" + lab.item.LocalID
	self := "/v1/customers/" + s.customer + "/orders/" + id
	link := func(uri, method string) map[string]any {
		return map[string]any{"uri": uri, "method": method, "headers": []any{}}
	}
	want := map[string]any{
		"id": id, "alternateId": id, "referenceCustomerId": s.customer, "billingCycle": "monthly",
		"currencyCode": "USD", "currencySymbol": "$", "creationDate": created, "status": "pending",
		"transactionType": "UserPurchase", "client": map[string]any{}, "attributes": map[string]any{"objectType": "Order"},
		"links": map[string]any{
			"self": link(self, "GET"), "provisioningStatus": link(self+"/provisioningstatus", "GET"), "patchOperation": link(self, "PATCH"),
		},
		"lineItems": []any{map[string]any{
			"lineItemNumber": 0.0, "offerId": offer, "subscriptionId": sub, "termDuration": "P1M",
			"transactionType": "New", "friendlyName": "SKU Users", "quantity": 1.0, "partnerIdOnRecord": "873452",
			"additionalPartnerIdsOnRecord": []any{"4847383", "873452"},
			"links": map[string]any{
				"product": link(product+"?country=US", "GET"), "sku": link(sku+"?country=US", "GET"),
				"availability": link(sku+"/availabilities/"+s.mp.ID+"?country=US", "GET"),
				"subscription": link("/v1/customers/"+s.customer+"/subscriptions/"+sub, "GET"),
			},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	return got
}

// followCatalogLinks GETs a resource's product, sku and availability links,
// which must all answer 200.
func followCatalogLinks(t *testing.T, s *shop, links map[string]any) {
	t.Helper()
	for _, name := range []string{"product", "sku", "availability"} {
		l, ok := links[name].(map[string]any)
		if !ok {
			t.Errorf("no %s link in %v", name, links)
			continue
		}
		uri, _ := l["uri"].(string)
		if res := s.call2(http.MethodGet, uri, nil); res.status != http.StatusOK {
			t.Errorf("GET %s link %s = %d %s", name, uri, res.status, res.body)
		}
	}
}

func TestOrdering_Validation(t *testing.T) {
	s := newShop(t)
	// A second product of the vendor, published but not listed.
	var other catalog.Product
	v := s.vendor.Token.Value
	s.do(http.MethodPost, "/public/v1/products", v, map[string]any{"name": "Unlisted"}, http.StatusCreated, &other)
	s.do(http.MethodPost, "/public/v1/products/"+other.ID+"/templates", v, map[string]any{"type": "fulfillment", "title": "t", "body": "hi"}, http.StatusCreated, nil)
	s.do(http.MethodPost, "/public/v1/products/"+other.ID+"/publish", v, nil, http.StatusCreated, nil)
	tests := []struct {
		name      string
		body      any
		code      int
		fragments []string
	}{
		{"unknown offer", map[string]any{"lineItems": []any{map[string]any{"offerId": "PRD-000-000-000:0001:MP-00000", "quantity": 1}}}, 10001, []string{"not listed"}},
		{"malformed offer", map[string]any{"lineItems": []any{map[string]any{"offerId": "CFQ7TTC0LH0Z", "quantity": 1}}}, 10001, []string{"catalog item id"}},
		{"unlisted product", map[string]any{"lineItems": []any{map[string]any{"offerId": other.ID + ":0001:" + s.mp.ID, "quantity": 1}}}, 10001, []string{"not listed"}},
		{"quantity over max", map[string]any{"lineItems": []any{s.line(s.lab.item, 501)}}, 800009, []string{"maximum 500"}},
		{"quantity under min", map[string]any{"lineItems": []any{s.line(s.lab.item, 0)}}, 800009, []string{"minimum 1"}},
		{"missing ordering parameter", map[string]any{"lineItems": []any{map[string]any{"offerId": s.offer(s.lab.item), "quantity": 1}}}, 10010, []string{"param_tenant"}},
		{"bad parameter value", map[string]any{"lineItems": []any{map[string]any{"offerId": s.offer(s.lab.item), "quantity": 1, "provisioningContext": map[string]string{"param_tenant": "not a label!"}}}}, 10010, []string{"subdomain"}},
		{"fulfillment parameter at order time", map[string]any{"lineItems": []any{map[string]any{"offerId": s.offer(s.lab.item), "quantity": 1, "provisioningContext": map[string]string{"param_tenant": "x", "param_admin_email": "a@b.co"}}}}, 10010, []string{"vendor during fulfillment"}},
		{"empty lineItems", map[string]any{"lineItems": []any{}}, 10010, []string{"at least one line"}},
		{"currency mismatch", map[string]any{"currencyCode": "EUR", "lineItems": []any{s.line(s.lab.item, 1)}}, 10000, []string{"USD"}},
		{"too many partner ids", map[string]any{"lineItems": []any{map[string]any{"offerId": s.offer(s.lab.item), "quantity": 1,
			"provisioningContext": map[string]string{"param_tenant": "x"}, "additionalPartnerIdsOnRecord": []string{"1", "2", "3", "4", "5", "6"}}}}, 10010, []string{"at most 5"}},
		{"term not offered", map[string]any{"lineItems": []any{map[string]any{"offerId": s.offer(s.yearly), "quantity": 1, "termDuration": "P1M",
			"provisioningContext": map[string]string{"param_tenant": "x"}}}}, 10010, []string{"P1M"}},
		{"mixed billing cycles", map[string]any{"lineItems": []any{s.line(s.lab.item, 1), s.line(s.yearly, 1)}}, 10010, []string{"billed annual"}},
		{"repeated line number", map[string]any{"lineItems": []any{numbered(s.line(s.lab.item, 1), 0), numbered(s.line(s.lab.item, 2), 0)}}, 10010, []string{"lineItemNumber 0"}},
		{"negative line number", map[string]any{"lineItems": []any{numbered(s.line(s.lab.item, 1), -1)}}, 10010, []string{"lineItemNumber -1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			partnerError(t, s.call2(http.MethodPost, s.ordersPath(), tt.body), 400, tt.code, tt.fragments...)
		})
	}
	// Malformed bodies and wrong types are 400 in the same shape.
	partnerError(t, s.call2(http.MethodPost, s.ordersPath(), `{"lineItems": [`), 400, 800002, "JSON")
	partnerError(t, s.call2(http.MethodPost, s.ordersPath(), `{"lineItems": [{"offerId": "x", "quantity": "two"}]}`), 400, 800002, "quantity")
	// Nothing was written by any refusal.
	list := s.orders()
	var subs pcCollection
	s.do(http.MethodGet, "/v1/customers/"+s.customer+"/subscriptions", s.provider.Token.Value, nil, http.StatusOK, &subs)
	if list.TotalCount != 0 || subs.TotalCount != 0 {
		t.Errorf("refused orders left %d orders and %d subscriptions", list.TotalCount, subs.TotalCount)
	}
	// Tenancy: another provider's customer and orders do not exist for you;
	// a vendor cannot order.
	other2 := s.createAccount(account.Provider, "Other Hub")
	partnerError(t, s.call(http.MethodGet, "/v1/customers/"+s.customer, other2.Token.Value, nil), 404, 600008)
	partnerError(t, s.call(http.MethodPost, s.ordersPath(), other2.Token.Value, map[string]any{"lineItems": []any{s.line(s.lab.item, 1)}}), 404, 600008)
	otherCustomer := s.newCustomer(t, other2.Token.Value)
	partnerError(t, s.call(http.MethodPost, "/v1/customers/"+otherCustomer+"/orders", other2.Token.Value,
		map[string]any{"lineItems": []any{s.line(s.lab.item, 1)}}), 400, 10001, "not listed")
	partnerError(t, s.call(http.MethodPost, s.ordersPath(), s.vendor.Token.Value, map[string]any{}), 403, 800403)
}

func TestOrdering_Idempotency(t *testing.T) {
	s := newShop(t)
	body := map[string]any{"lineItems": []any{s.line(s.lab.item, 3)}}
	first := s.call2(http.MethodPost, s.ordersPath(), body, "MS-RequestId", "key-1")
	again := s.call2(http.MethodPost, s.ordersPath(), body, "MS-RequestId", "key-1")
	if first.status != 201 || again.status != 201 || string(first.body) != string(again.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s / %d %s", first.status, first.body, again.status, again.body)
	}
	// The same key through the other header, with the body re-serialised.
	reordered := `{"lineItems":[{"quantity":3,"provisioningContext":{"param_tenant":"contoso"},"offerId":"` + s.offer(s.lab.item) + `"}]}`
	third := s.call2(http.MethodPost, s.ordersPath(), reordered, "Idempotency-Key", "key-1")
	if string(third.body) != string(first.body) {
		t.Errorf("re-serialised body did not replay: %d %s", third.status, third.body)
	}
	partnerError(t, s.call2(http.MethodPost, s.ordersPath(), map[string]any{"lineItems": []any{s.line(s.lab.item, 4)}}, "MS-RequestId", "key-1"), 409, 800409, "key-1")
	s.call2(http.MethodPost, s.ordersPath(), body, "MS-RequestId", "key-2")
	if n := s.orders().TotalCount; n != 2 {
		t.Errorf("%d orders, want 2", n)
	}
}

func TestOrdering_Carts(t *testing.T) {
	s := newShop(t)
	base := "/v1/customers/" + s.customer + "/carts"
	var cart struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		LineItems []struct {
			ID         int    `json:"id"`
			OrderGroup string `json:"orderGroup"`
			Error      *struct {
				ErrorCode int `json:"errorCode"`
			} `json:"error"`
		} `json:"lineItems"`
	}
	lines := []any{
		map[string]any{"catalogItemId": s.offer(s.lab.item), "quantity": 2, "provisioningContext": map[string]string{"param_tenant": "a"}},
		map[string]any{"catalogItemId": s.offer(s.yearly), "quantity": 1, "provisioningContext": map[string]string{"param_tenant": "b"}},
		map[string]any{"catalogItemId": s.offer(s.lab.item), "quantity": 9999, "provisioningContext": map[string]string{"param_tenant": "c"}},
		map[string]any{"catalogItemId": "PRD-1:0001:MP-1", "quantity": 1},
		map[string]any{"catalogItemId": s.offer(s.lab.item), "quantity": 1},
	}
	s.do(http.MethodPost, base, s.provider.Token.Value, map[string]any{"lineItems": lines}, http.StatusCreated, &cart)
	codes := []int{}
	for _, l := range cart.LineItems {
		if l.Error != nil {
			codes = append(codes, l.Error.ErrorCode)
		}
	}
	if cart.Status != "Active" || !cmp.Equal(codes, []int{10015, 10001, 10010}) || cart.LineItems[1].OrderGroup != "annual" {
		t.Fatalf("cart = %+v (codes %v)", cart, codes)
	}
	var res struct {
		Orders []struct {
			ID           string `json:"id"`
			BillingCycle string `json:"billingCycle"`
			LineItems    []any  `json:"lineItems"`
		} `json:"orders"`
		OrderErrors []struct {
			Code int `json:"code"`
		} `json:"orderErrors"`
	}
	first := s.do(http.MethodPost, base+"/"+cart.ID+"/checkout", s.provider.Token.Value, nil, http.StatusCreated, &res)
	orderCodes := []int{}
	for _, e := range res.OrderErrors {
		orderCodes = append(orderCodes, e.Code)
	}
	// A checkout reports the quantity error as an order does (800009).
	if len(res.Orders) != 2 || res.Orders[0].BillingCycle != "annual" || res.Orders[1].BillingCycle != "monthly" || !cmp.Equal(orderCodes, []int{800009, 10001, 10010}) {
		t.Fatalf("checkout = %s", first.body)
	}
	second := s.do(http.MethodPost, base+"/"+cart.ID+"/checkout", s.provider.Token.Value, nil, http.StatusCreated, nil)
	if string(second.body) != string(first.body) {
		t.Errorf("second checkout differs:\n%s\n%s", first.body, second.body)
	}
	s.do(http.MethodGet, base+"/"+cart.ID, s.provider.Token.Value, nil, http.StatusOK, &cart)
	if cart.Status != "Ordered" {
		t.Errorf("cart status = %s", cart.Status)
	}
	partnerError(t, s.call2(http.MethodPut, base+"/"+cart.ID, map[string]any{"lineItems": lines[:1]}), 400, 800065)
	if n := s.orders().TotalCount; n != 2 {
		t.Errorf("%d orders after two checkouts, want 2", n)
	}
}

func TestOrdering_ConcurrentCheckout(t *testing.T) {
	s := newShop(t)
	base := "/v1/customers/" + s.customer + "/carts"
	var cart struct {
		ID string `json:"id"`
	}
	s.do(http.MethodPost, base, s.provider.Token.Value, map[string]any{"lineItems": []any{
		map[string]any{"catalogItemId": s.offer(s.lab.item), "quantity": 2, "provisioningContext": map[string]string{"param_tenant": "a"}}}}, http.StatusCreated, &cart)
	results := make([]response, 6)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = s.call2(http.MethodPost, base+"/"+cart.ID+"/checkout", nil) })
	}
	wg.Wait()
	// Every checkout either placed the order, replayed exactly its result,
	// or lost the race with 409 800064.
	var winner []byte
	for i, r := range results {
		switch r.status {
		case http.StatusCreated:
			if winner != nil && string(winner) != string(r.body) {
				t.Errorf("checkout %d answered another result:\n%s\n%s", i, winner, r.body)
			}
			winner = r.body
		case http.StatusConflict:
			partnerError(t, r, http.StatusConflict, 800064)
		default:
			t.Errorf("checkout %d answered %d %s", i, r.status, r.body)
		}
	}
	if winner == nil {
		t.Fatal("no checkout succeeded")
	}
	// A checkout after the race replays the same result.
	if again := s.call2(http.MethodPost, base+"/"+cart.ID+"/checkout", nil); again.status != http.StatusCreated || string(again.body) != string(winner) {
		t.Errorf("checkout after the race = %d %s", again.status, again.body)
	}
	var res struct {
		Orders []struct {
			ID        string `json:"id"`
			LineItems []struct {
				SubscriptionID string `json:"subscriptionId"`
			} `json:"lineItems"`
		} `json:"orders"`
	}
	if err := json.Unmarshal(winner, &res); err != nil || len(res.Orders) != 1 || len(res.Orders[0].LineItems) != 1 {
		t.Fatalf("checkout result %s (%v)", winner, err)
	}
	list := s.orders()
	var subs pcCollection
	s.do(http.MethodGet, "/v1/customers/"+s.customer+"/subscriptions", s.provider.Token.Value, nil, http.StatusOK, &subs)
	var sub struct {
		ID      string `json:"id"`
		OrderID string `json:"orderId"`
	}
	if list.TotalCount != 1 || subs.TotalCount != 1 || json.Unmarshal(subs.Items[0], &sub) != nil ||
		sub.ID != res.Orders[0].LineItems[0].SubscriptionID || sub.OrderID != res.Orders[0].ID {
		t.Fatalf("%d orders and %d subscriptions (%s) from one cart, want the checkout's one of each", list.TotalCount, subs.TotalCount, subs.Items)
	}
}

func TestOrdering_ConnectPurchaseRequest(t *testing.T) {
	s := newShop(t)
	body := map[string]any{"type": "purchase", "asset": map[string]any{
		"external_id": "12345", "external_uid": "a5cd-8a2b",
		"product": map[string]string{"id": s.lab.product.ID}, "marketplace": map[string]string{"id": s.mp.ID},
		"tiers": map[string]any{
			"customer": map[string]any{"name": "Sample Customer", "external_id": "C-1", "contact_info": map[string]any{"email": "c@example.com", "address": map[string]any{"country": "US"}}},
			"tier1":    map[string]any{"name": "Reseller One", "external_id": "T1-1"},
		},
		"items":  []any{map[string]any{"id": s.lab.item.ID, "quantity": "5"}, map[string]any{"id": s.ppu.ID, "quantity": 0}},
		"params": []any{map[string]any{"id": "param_tenant", "value": "sample"}},
	}}
	var req fulfillment.Request
	s.do(http.MethodPost, "/public/v1/requests", s.provider.Token.Value, body, http.StatusCreated, &req)
	if req.Type != "purchase" || req.Status != "pending" || req.Asset.ExternalID != "12345" || req.Asset.Tiers.Tier1.Name != "Reseller One" ||
		len(req.Asset.Items) != 2 || req.Asset.Items[0].Quantity != "5" || !strings.HasSuffix(req.ID, "-001") {
		t.Fatalf("request = %+v", req)
	}
	if req.Asset.Subscription.BillingCycle != "monthly" {
		t.Errorf("billing cycle = %q, want monthly", req.Asset.Subscription.BillingCycle)
	}
	tenant, _ := req.Asset.Param("param_tenant")
	if tenant == nil || tenant.Value != "sample" {
		t.Errorf("params = %+v", req.Asset.Params)
	}
	connectError(t, s.call2(http.MethodPost, "/public/v1/requests", map[string]any{"type": "cancel"}), 400, "VAL_001", "asset.id is required")
	connectError(t, s.call2(http.MethodPost, "/public/v1/requests", map[string]any{"type": "renew"}), 400, "VAL_001", "purchase, change")
	bad := map[string]any{"type": "purchase", "asset": map[string]any{"product": s.lab.product.ID, "marketplace": s.mp.ID,
		"tiers": map[string]any{"customer": map[string]any{"name": "x"}}, "items": []any{map[string]any{"id": s.lab.item.ID, "quantity": "1000"}}}}
	connectError(t, s.call2(http.MethodPost, "/public/v1/requests", bad), 400, "VAL_001", "maximum", "param_tenant")
	connectError(t, s.call(http.MethodPost, "/public/v1/requests", s.vendor.Token.Value, body), 403, "AUTH_002")
	// A misspelt field is refused by name, not dropped: "qty" would
	// otherwise order the default quantity.
	typo := map[string]any{"type": "purchase", "asset": map[string]any{"product": map[string]string{"id": s.lab.product.ID},
		"marketplace": map[string]string{"id": s.mp.ID}, "tiers": map[string]any{"customer": map[string]any{"name": "x"}},
		"items": []any{map[string]any{"id": s.lab.item.ID, "qty": "9"}}}}
	connectError(t, s.call2(http.MethodPost, "/public/v1/requests", typo), 400, "VAL_001", "unknown field", "qty")
}

func TestOrdering_SubscriptionPendingChangeIsRefused(t *testing.T) {
	s := newShop(t)
	var o struct {
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"lineItems"`
	}
	s.do(http.MethodPost, s.ordersPath(), s.provider.Token.Value, map[string]any{"lineItems": []any{s.line(s.lab.item, 2)}}, http.StatusCreated, &o)
	path := "/v1/customers/" + s.customer + "/subscriptions/" + o.LineItems[0].SubscriptionID
	partnerError(t, s.call2(http.MethodPatch, path, map[string]any{"quantity": 3}), 409, 800060, "pending purchase")
	// Auto-renew applies at once, even while the purchase is pending.
	var sub map[string]any
	s.do(http.MethodPatch, path, s.provider.Token.Value, map[string]any{"autoRenewEnabled": false}, http.StatusOK, &sub)
	if sub["autoRenewEnabled"] != false || sub["pendingChange"] == nil {
		t.Errorf("subscription = %v", sub)
	}
}

// TestOrdering_Concurrency posts 50 orders at once, half of them retries of
// the same keys: exactly 25 orders, 25 assets and 25 requests exist.
func TestOrdering_Concurrency(t *testing.T) {
	s := newShop(t)
	const distinct = 25
	results := make([]response, 2*distinct)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			key := fmt.Sprintf("conc-%d", i%distinct)
			results[i] = s.call2(http.MethodPost, s.ordersPath(), map[string]any{"lineItems": []any{s.line(s.lab.item, 1+i%distinct)}}, "Idempotency-Key", key)
		})
	}
	wg.Wait()
	ids := map[string]string{}
	for i, r := range results {
		if r.status != 201 {
			t.Fatalf("order %d = %d %s", i, r.status, r.body)
		}
		key := fmt.Sprintf("conc-%d", i%distinct)
		if prev, ok := ids[key]; ok && prev != string(r.body) {
			t.Errorf("key %s answered two different bodies", key)
		}
		ids[key] = string(r.body)
	}
	list := s.orders()
	var subs pcCollection
	s.do(http.MethodGet, "/v1/customers/"+s.customer+"/subscriptions", s.provider.Token.Value, nil, http.StatusOK, &subs)
	if list.TotalCount != distinct || subs.TotalCount != distinct {
		t.Fatalf("%d orders and %d subscriptions, want %d of each", list.TotalCount, subs.TotalCount, distinct)
	}
	// Every subscription is an order's line and has exactly its purchase
	// request: no duplicate, no orphan.
	lines := map[string]bool{}
	for _, raw := range list.Items {
		var o struct {
			LineItems []struct {
				SubscriptionID string `json:"subscriptionId"`
			} `json:"lineItems"`
		}
		_ = json.Unmarshal(raw, &o)
		lines[o.LineItems[0].SubscriptionID] = true
	}
	for _, raw := range subs.Items {
		var sub struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &sub)
		_, reqs, err := s.app.FulfillmentStore.AssetWithRequests(t.Context(), sub.ID)
		if !lines[sub.ID] || err != nil || len(reqs) != 1 {
			t.Errorf("subscription %s: in an order %v, %d requests, %v", sub.ID, lines[sub.ID], len(reqs), err)
		}
	}
	// The vendor's queue holds exactly the orders' purchase requests.
	var pending []fulfillment.Request
	s.do(http.MethodGet, "/public/v1/requests?status=pending&limit=100", s.vendor.Token.Value, nil, http.StatusOK, &pending)
	if len(pending) != distinct {
		t.Errorf("%d pending requests in the vendor's queue, want %d", len(pending), distinct)
	}
	for _, r := range pending {
		if !lines[r.Asset.ID] || r.Type != "purchase" {
			t.Errorf("request %s (%s) of asset %s is no order's purchase", r.ID, r.Type, r.Asset.ID)
		}
	}
}

// TestOrdering_CallCounts holds an order of three lines to one transaction
// and a fixed number of reads: on a cold instance the token, the customer,
// the listing and the latest version; on a warm one none. An idempotency
// key is claimed inside the transaction, and read only on a replay.
func TestOrdering_CallCounts(t *testing.T) {
	s := newShop(t)
	body := map[string]any{"lineItems": []any{s.line(s.lab.item, 1), s.line(s.lab.item, 2), s.line(s.lab.item, 3)}}
	warm := s.on(s.instance(t, nil))
	cold := map[string]int{"GetItem": 3, "Query": 1, "TransactWriteItems": 1}
	tests := []struct {
		name string
		s    *shop
		hdr  []string
		want map[string]int
	}{
		// The first order of an instance reads what the next ones use.
		{"cold", warm, nil, cold},
		{"warm", warm, nil, map[string]int{"TransactWriteItems": 1}},
		{"warm with key", warm, []string{"Idempotency-Key", "count-1"}, map[string]int{"TransactWriteItems": 1}},
		// The transaction fails on the key's claim; its record is read.
		{"warm replay", warm, []string{"Idempotency-Key", "count-1"}, map[string]int{"GetItem": 1, "TransactWriteItems": 1}},
		{"cold with key", s.on(s.instance(t, nil)), []string{"Idempotency-Key", "count-2"}, cold},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := countCalls(tt.s.fixture, func() {
				if r := tt.s.call2(http.MethodPost, tt.s.ordersPath(), body, tt.hdr...); r.status != 201 {
					t.Fatalf("%d %s", r.status, r.body)
				}
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DynamoDB calls (-want +got):\n%s", diff)
			}
		})
	}
}

// lastEvent is the data of the newest event of type typ about object id in
// the account's outbox, and how many such events there are.
func lastEvent(t *testing.T, s *shop, account, typ, id string) (map[string]any, int) {
	t.Helper()
	var last map[string]any
	n := 0
	for _, it := range accountEvents(t, s.fixture, account) {
		ev, err := it.Event()
		if err != nil {
			t.Fatal(err)
		}
		var data map[string]any
		if string(ev.Type) != typ || json.Unmarshal(ev.Data, &data) != nil || data["id"] != id {
			continue
		}
		last, n = data, n+1
	}
	return last, n
}

// getMap GETs path as the provider.
func (s *shop) getMap(t *testing.T, path string) map[string]any {
	t.Helper()
	var out map[string]any
	s.do(http.MethodGet, path, s.provider.Token.Value, nil, http.StatusOK, &out)
	return out
}

// TestOrdering_EventsCarryResources: order.created, order.updated and
// subscription.updated carry the object exactly as GET answers it at that
// moment, and each order has one order.created.
func TestOrdering_EventsCarryResources(t *testing.T) {
	s := newShop(t)
	p := s.order(t, 2)
	orderPath := s.ordersPath() + "/" + p.order
	subPath := "/v1/customers/" + s.customer + "/subscriptions/" + p.asset
	check := func(typ, id, path string, wantCount int) {
		t.Helper()
		data, n := lastEvent(t, s, s.provider.ID, typ, id)
		if n != wantCount {
			t.Fatalf("%d %s events about %s, want %d", n, typ, id, wantCount)
		}
		if diff := cmp.Diff(s.getMap(t, path), data); diff != "" {
			t.Errorf("%s data differs from GET %s (-get +event):\n%s", typ, path, diff)
		}
	}
	check("order.created", p.order, orderPath, 1)

	// The vendor approves: the settled subscription is announced.
	s.approve(t, p.request)
	check("subscription.updated", p.asset, subPath, 1)
	// The worker rolls the order up on the provider's copy of the approval.
	deliver(t, s.app, s.requestEvent(t, event.RequestUpdated, p.request, s.provider.ID))
	check("order.updated", p.order, orderPath, 1)
	if s.getMap(t, orderPath)["status"] != "completed" {
		t.Fatalf("order not rolled up")
	}
	// Auto-renewal is applied directly, with its event; while a change is
	// pending, the event shows the pending quantity as GET does.
	s.patch(t, p.asset, map[string]any{"quantity": 5})
	s.do(http.MethodPatch, subPath, s.provider.Token.Value, map[string]any{"autoRenewEnabled": false}, http.StatusOK, nil)
	check("subscription.updated", p.asset, subPath, 2)
	if data, _ := lastEvent(t, s, s.provider.ID, "subscription.updated", p.asset); data["pendingChange"].(map[string]any)["quantity"] != 5.0 {
		t.Errorf("pending change = %v, want quantity 5", data["pendingChange"])
	}

	// A second order has its own single order.created; an order too large
	// for its event is refused before anything is written.
	q := s.order(t, 1)
	check("order.created", q.order, s.ordersPath()+"/"+q.order, 1)
	huge := s.line(s.lab.item, 1)
	huge["friendlyName"] = strings.Repeat("x", ordering.MaxEventData)
	partnerError(t, s.call2(http.MethodPost, s.ordersPath(), map[string]any{"lineItems": []any{huge}}), 400, 10010, "too large")
}

// TestOrdering_CartPartnerIDs: a cart line keeps its partners on record
// through checkout onto the subscription and its asset; more than five
// additional ones are refused on the line.
func TestOrdering_CartPartnerIDs(t *testing.T) {
	s := newShop(t)
	base := "/v1/customers/" + s.customer + "/carts"
	good := s.cartLine(s.lab.item, 2)
	good["partnerIdOnRecord"], good["additionalPartnerIdsOnRecord"] = "873452", []string{"4847383", "5550001"}
	tooMany := s.cartLine(s.lab.item, 1)
	tooMany["additionalPartnerIdsOnRecord"] = []string{"1", "2", "3", "4", "5", "6"}
	var cart struct {
		ID        string `json:"id"`
		LineItems []struct {
			AdditionalPartnerIDs []string `json:"additionalPartnerIdsOnRecord"`
			Error                *struct {
				ErrorCode int `json:"errorCode"`
			} `json:"error"`
		} `json:"lineItems"`
	}
	s.do(http.MethodPost, base, s.provider.Token.Value, map[string]any{"lineItems": []any{good, tooMany}}, http.StatusCreated, &cart)
	if l := cart.LineItems; len(l) != 2 || l[0].Error != nil || !cmp.Equal(l[0].AdditionalPartnerIDs, []string{"4847383", "5550001"}) ||
		l[1].Error == nil || l[1].Error.ErrorCode != 10010 {
		t.Fatalf("cart lines = %+v", cart.LineItems)
	}
	var res struct {
		Orders []struct {
			LineItems []struct {
				SubscriptionID       string   `json:"subscriptionId"`
				AdditionalPartnerIDs []string `json:"additionalPartnerIdsOnRecord"`
			} `json:"lineItems"`
		} `json:"orders"`
	}
	s.do(http.MethodPost, base+"/"+cart.ID+"/checkout", s.provider.Token.Value, nil, http.StatusCreated, &res)
	if len(res.Orders) != 1 || len(res.Orders[0].LineItems) != 1 {
		t.Fatalf("checkout = %+v", res)
	}
	line := res.Orders[0].LineItems[0]
	sub := s.subscription(t, line.SubscriptionID)
	if !cmp.Equal(line.AdditionalPartnerIDs, []string{"4847383", "5550001"}) || sub["partnerId"] != "873452" ||
		!cmp.Equal(sub["additionalPartnerIdsOnRecord"], []any{"4847383", "5550001"}) {
		t.Errorf("order line %+v, subscription %v", line, sub)
	}
	if a := s.asset(t, line.SubscriptionID); !cmp.Equal(a.Subscription.AdditionalPartnerIDs, []string{"4847383", "5550001"}) {
		t.Errorf("asset subscription = %+v", a.Subscription)
	}
}

// cartLine is a cart line with the required ordering parameter.
func (s *shop) cartLine(it catalog.Item, qty int) map[string]any {
	return map[string]any{"catalogItemId": s.offer(it), "quantity": qty, "provisioningContext": map[string]string{"param_tenant": "contoso"}}
}

// at is the shop's API on the same table with the clock at now.
func (s *shop) at(t *testing.T, now time.Time) *fixture {
	t.Helper()
	a := stacktest.Shared(t).App(t, app.Options{Now: func() time.Time { return now }})
	f := *s.fixture
	f.t, f.app, f.api = t, a, a.API()
	return &f
}

// TestOrdering_SubscriptionPatchRules: the window, the quantity limits and
// the suspension rules of PATCH, each with its Partner Center code; a
// refused change opens no request.
func TestOrdering_SubscriptionPatchRules(t *testing.T) {
	s := newShop(t)
	p := s.order(t, 5)
	s.approve(t, p.request)
	path := "/v1/customers/" + s.customer + "/subscriptions/" + p.asset
	pv := s.provider.Token.Value
	late := s.at(t, time.Now().Add(8*24*time.Hour))
	tests := []struct {
		name   string
		f      *fixture
		body   map[string]any
		status int
		code   int
		frag   string
	}{
		{"decrease after the window", late, map[string]any{"quantity": 3}, 400, 800090, "reduced until"},
		{"cancel after the window", late, map[string]any{"status": "deleted"}, 400, 900117, "cancelled until"},
		{"quantity above max", s.fixture, map[string]any{"quantity": 501}, 400, 2002, "500"},
		{"quantity below min", s.fixture, map[string]any{"quantity": 0}, 400, 2002, "minimum"},
		{"unknown status", s.fixture, map[string]any{"status": "paused"}, 400, 10010, "paused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			partnerError(t, tt.f.call(http.MethodPatch, path, pv, tt.body), tt.status, tt.code, tt.frag)
		})
	}
	// An increase is allowed after the window.
	late.do(http.MethodPatch, path, pv, map[string]any{"quantity": 6}, http.StatusOK, nil)
	if _, reqs, _ := s.app.FulfillmentStore.AssetWithRequests(t.Context(), p.asset); len(reqs) != 2 {
		t.Fatalf("%d requests, want the purchase and the one increase", len(reqs))
	}
	s.act(t, fulfillment.RequestID(p.asset, 2), "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)

	// Suspended, the subscription refuses every other change, auto-renewal
	// included; sending the unchanged resource back is no change.
	id := s.patch(t, p.asset, map[string]any{"status": "suspended"})
	s.act(t, id, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
	partnerError(t, s.call2(http.MethodPatch, path, map[string]any{"quantity": 7}), 400, 800091, "suspended")
	partnerError(t, s.call2(http.MethodPatch, path, map[string]any{"autoRenewEnabled": false}), 400, 800091, "suspended")
	sub := s.subscription(t, p.asset)
	s.do(http.MethodPatch, path, pv, sub, http.StatusOK, nil)
	if after := s.subscription(t, p.asset); after["status"] != "suspended" || after["autoRenewEnabled"] != true || after["pendingChange"] != nil {
		t.Errorf("after refused changes: %v", after)
	}
	s.patch(t, p.asset, map[string]any{"status": "active"})

	// A product version without suspend_resume_supported refuses suspension.
	v := s.vendor.Token.Value
	base := "/public/v1/products/" + s.lab.product.ID
	s.do(http.MethodPut, base, v, map[string]any{"capabilities": map[string]any{"suspend_resume_supported": false}}, http.StatusOK, nil)
	s.do(http.MethodPost, base+"/publish", v, nil, http.StatusCreated, nil)
	q := s.order(t, 1)
	s.approve(t, q.request)
	partnerError(t, s.call2(http.MethodPatch, "/v1/customers/"+s.customer+"/subscriptions/"+q.asset, map[string]any{"status": "suspended"}), 400, 10010, "suspend")
	if _, reqs, _ := s.app.FulfillmentStore.AssetWithRequests(t.Context(), q.asset); len(reqs) != 1 {
		t.Errorf("a refused suspension opened a request: %d requests", len(reqs))
	}

	// Cancelled, it refuses every change, auto-renewal included; the
	// unchanged resource sent back is still no change.
	qPath := "/v1/customers/" + s.customer + "/subscriptions/" + q.asset
	s.act(t, s.patch(t, q.asset, map[string]any{"status": "deleted"}), "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
	gone := s.subscription(t, q.asset)
	renew, _ := gone["autoRenewEnabled"].(bool)
	partnerError(t, s.call2(http.MethodPatch, qPath, map[string]any{"autoRenewEnabled": !renew}), 400, 10010, "cannot change")
	partnerError(t, s.call2(http.MethodPatch, qPath, map[string]any{"quantity": 2}), 400, 10010, "cannot change")
	s.do(http.MethodPatch, qPath, pv, gone, http.StatusOK, nil)
	if after := s.subscription(t, q.asset); after["status"] != "deleted" || after["autoRenewEnabled"] != renew {
		t.Errorf("after refused changes to a cancelled subscription: %v", after)
	}
}

// TestOrdering_Expiry: an idempotency key is forgotten after 24 hours (the
// same key then places a new order) and a cart after 7 days.
func TestOrdering_Expiry(t *testing.T) {
	s := newShop(t)
	body := map[string]any{"lineItems": []any{s.line(s.lab.item, 1)}}
	first := s.call2(http.MethodPost, s.ordersPath(), body, "MS-RequestId", "expiring-key")
	if first.status != http.StatusCreated {
		t.Fatalf("first = %d %s", first.status, first.body)
	}
	later := s.at(t, time.Now().Add(ordering.IdempotencyTTL+time.Second))
	again := later.call(http.MethodPost, s.ordersPath(), s.provider.Token.Value, body, "MS-RequestId", "expiring-key")
	var a, b struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(first.body, &a)
	_ = json.Unmarshal(again.body, &b)
	if again.status != http.StatusCreated || again.header.Get("Idempotent-Replayed") != "" || b.ID == "" || b.ID == a.ID {
		t.Fatalf("after 24 h the key replayed or failed: %d %s", again.status, again.body)
	}
	// The new order is the key's answer from now on.
	if third := later.call(http.MethodPost, s.ordersPath(), s.provider.Token.Value, body, "MS-RequestId", "expiring-key"); string(third.body) != string(again.body) {
		t.Errorf("the renewed key does not replay its order: %d %s", third.status, third.body)
	}
	if n := s.orders().TotalCount; n != 2 {
		t.Errorf("%d orders, want 2", n)
	}

	// A cart: a PUT replaces its lines; after 7 days it can be neither
	// changed nor checked out.
	base := "/v1/customers/" + s.customer + "/carts"
	type cartLines struct {
		ID        string `json:"id"`
		LineItems []struct {
			CatalogItemID string `json:"catalogItemId"`
			Quantity      int    `json:"quantity"`
		} `json:"lineItems"`
	}
	var cart cartLines
	s.do(http.MethodPost, base, s.provider.Token.Value, map[string]any{"lineItems": []any{s.cartLine(s.lab.item, 2), s.cartLine(s.yearly, 1)}}, http.StatusCreated, &cart)
	var put cartLines
	s.do(http.MethodPut, base+"/"+cart.ID, s.provider.Token.Value, map[string]any{"lineItems": []any{s.cartLine(s.yearly, 4)}}, http.StatusOK, &put)
	var got cartLines
	s.do(http.MethodGet, base+"/"+cart.ID, s.provider.Token.Value, nil, http.StatusOK, &got)
	if len(got.LineItems) != 1 || got.LineItems[0].CatalogItemID != s.offer(s.yearly) || got.LineItems[0].Quantity != 4 || !cmp.Equal(put, got) {
		t.Fatalf("after PUT: %+v (answered %+v)", got, put)
	}
	expired := s.at(t, time.Now().Add(ordering.CartTTL+time.Second))
	partnerError(t, expired.call(http.MethodPut, base+"/"+cart.ID, s.provider.Token.Value, map[string]any{"lineItems": []any{s.cartLine(s.lab.item, 1)}}), 400, 10010, "expired")
	partnerError(t, expired.call(http.MethodPost, base+"/"+cart.ID+"/checkout", s.provider.Token.Value, nil), 400, 10010, "expired")
	if n := s.orders().TotalCount; n != 2 {
		t.Errorf("an expired cart placed an order: %d orders", n)
	}
}

// TestOrdering_SubscriptionView: the subscriptions of an order, filtered by
// ?order_id=, carry the order line's friendly name and a cancellation
// window of 7 days from creation, and a pending change shows the quantity
// it asks for.
func TestOrdering_SubscriptionView(t *testing.T) {
	s := newShop(t)
	named := s.line(s.lab.item, 2)
	named["friendlyName"] = "Team seats"
	type order struct {
		ID        string `json:"id"`
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
			FriendlyName   string `json:"friendlyName"`
		} `json:"lineItems"`
	}
	var a, b order
	s.do(http.MethodPost, s.ordersPath(), s.provider.Token.Value, map[string]any{"lineItems": []any{s.line(s.lab.item, 1), named}}, http.StatusCreated, &a)
	s.do(http.MethodPost, s.ordersPath(), s.provider.Token.Value, map[string]any{"lineItems": []any{s.line(s.lab.item, 3)}}, http.StatusCreated, &b)
	subsPath := "/v1/customers/" + s.customer + "/subscriptions"
	type sub struct {
		ID                           string    `json:"id"`
		OrderID                      string    `json:"orderId"`
		FriendlyName                 string    `json:"friendlyName"`
		CreationDate                 time.Time `json:"creationDate"`
		CancellationAllowedUntilDate time.Time `json:"cancellationAllowedUntilDate"`
		PendingChange                *struct {
			RequestID string `json:"requestId"`
			Type      string `json:"type"`
			Quantity  int    `json:"quantity"`
		} `json:"pendingChange"`
	}
	list := func(query string) map[string]sub {
		t.Helper()
		var c struct {
			Items []sub `json:"items"`
		}
		s.do(http.MethodGet, subsPath+query, s.provider.Token.Value, nil, http.StatusOK, &c)
		out := map[string]sub{}
		for _, it := range c.Items {
			out[it.ID] = it
		}
		return out
	}
	if all, ofA, ofB := list(""), list("?order_id="+a.ID), list("?order_id="+b.ID); len(all) != 3 || len(ofA) != 2 || len(ofB) != 1 {
		t.Fatalf("subscriptions: all %d, of %s %d, of %s %d", len(all), a.ID, len(ofA), b.ID, len(ofB))
	}
	ofA := list("?order_id=" + a.ID)
	for _, l := range a.LineItems {
		v, ok := ofA[l.SubscriptionID]
		if !ok || v.OrderID != a.ID || v.FriendlyName != l.FriendlyName {
			t.Errorf("subscription %s = %+v, want order %s and friendly name %q", l.SubscriptionID, v, a.ID, l.FriendlyName)
		}
		if !v.CancellationAllowedUntilDate.Equal(v.CreationDate.Add(7 * 24 * time.Hour)) {
			t.Errorf("cancellation allowed until %s, want 7 days after %s", v.CancellationAllowedUntilDate, v.CreationDate)
		}
	}
	if a.LineItems[0].FriendlyName != "SKU Users" || a.LineItems[1].FriendlyName != "Team seats" {
		t.Errorf("order lines' friendly names = %+v", a.LineItems)
	}
	if l := list("?order_id=000000000000"); len(l) != 0 {
		t.Errorf("an unknown order has %d subscriptions", len(l))
	}

	// A pending change shows its quantity in the PATCH answer, GET and the list.
	id := b.LineItems[0].SubscriptionID
	s.approve(t, fulfillment.RequestID(id, 1))
	var patched sub
	s.do(http.MethodPatch, subsPath+"/"+id, s.provider.Token.Value, map[string]any{"quantity": 7}, http.StatusOK, &patched)
	var got sub
	s.do(http.MethodGet, subsPath+"/"+id, s.provider.Token.Value, nil, http.StatusOK, &got)
	for name, v := range map[string]sub{"PATCH": patched, "GET": got, "list": list("?order_id=" + b.ID)[id]} {
		if p := v.PendingChange; p == nil || p.Type != "change" || p.Quantity != 7 || p.RequestID != fulfillment.RequestID(id, 2) {
			t.Errorf("%s pendingChange = %+v, want the change to 7", name, p)
		}
	}
	// Each order was announced once.
	for _, o := range []string{a.ID, b.ID} {
		if _, n := lastEvent(t, s, s.provider.ID, "order.created", o); n != 1 {
			t.Errorf("order %s has %d order.created events, want 1", o, n)
		}
	}
}

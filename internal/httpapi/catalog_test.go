package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// catalogFixture adds a marketplace of the fixture's provider.
type catalogFixture struct {
	*fixture
	mp catalog.Marketplace
}

func newCatalogFixture(t testing.TB) *catalogFixture {
	t.Helper()
	f := &catalogFixture{fixture: newFixture(t)}
	f.do(http.MethodPost, "/public/v1/marketplaces", f.provider.Token.Value,
		map[string]any{"name": "Apollo US", "currency": "USD", "countries": []string{"US", "CA"}}, http.StatusCreated, &f.mp)
	return f
}

type labProduct struct {
	product  catalog.Product
	item     catalog.Item
	param    catalog.Parameter
	template catalog.Template
}

// buildLab walks the Connect vendor lab: create the product, delete the
// defaults, add the item, the parameter and the activation template.
func (f *catalogFixture) buildLab(t testing.TB) labProduct {
	t.Helper()
	v := f.vendor.Token.Value
	var lab labProduct
	f.do(http.MethodPost, "/public/v1/products", v, map[string]any{
		"name": "Connect Web Conference Software", "short_description": "Video meetings for teams",
		"detailed_description": "# Web Conference\nHD meetings.", "category": "Collaboration",
		"icon": "https://cdn.example/icon.png",
	}, http.StatusCreated, &lab.product)
	if lab.product.Status != "draft" || !strings.HasPrefix(lab.product.ID, "PRD-") || lab.product.Version != 0 {
		t.Fatalf("new product = %+v", lab.product)
	}
	base := "/public/v1/products/" + lab.product.ID
	var items []catalog.Item
	var params []catalog.Parameter
	var templates []catalog.Template
	f.do(http.MethodGet, base+"/items", v, nil, http.StatusOK, &items)
	f.do(http.MethodGet, base+"/parameters", v, nil, http.StatusOK, &params)
	f.do(http.MethodGet, base+"/templates", v, nil, http.StatusOK, &templates)
	if len(items) != 1 || len(params) != 1 || len(templates) != 1 {
		t.Fatalf("a new product has %d items, %d parameters and %d templates, want 1, 1 and 1", len(items), len(params), len(templates))
	}
	if d := templates[0]; d.Name != "Default Activation Template" || d.Type != "fulfillment" || d.Scope != "asset" || !strings.Contains(d.Body, "{{ asset.id }}") {
		t.Fatalf("default template = %+v, want the asset activation template", d)
	}
	f.do(http.MethodDelete, base+"/items/"+items[0].ID, v, nil, http.StatusNoContent, nil)
	f.do(http.MethodDelete, base+"/parameters/"+params[0].ID, v, nil, http.StatusNoContent, nil)

	f.do(http.MethodPost, base+"/items", v, map[string]any{
		"name": "SKU Users", "mpn": "MPN-246-USERS", "type": "reservation", "period": "monthly", "unit": "users",
		"min_quantity": 1, "max_quantity": 500,
	}, http.StatusCreated, &lab.item)
	f.do(http.MethodPost, base+"/parameters", v, map[string]any{
		"name": "param_admin_email", "title": "Administrator email", "description": "Who administers the account",
		"type": "text", "scope": "asset", "phase": "fulfillment", "constraints": map[string]any{"required": true},
	}, http.StatusCreated, &lab.param)
	f.do(http.MethodPut, base+"/templates/"+templates[0].ID, v, map[string]any{
		"title": "Activation",
		"body":  "# Welcome\nYour administrator is **{{ param_admin_email }}**. Asset {{ asset.id }}.",
	}, http.StatusOK, &lab.template)
	return lab
}

// list publishes and lists the product on the fixture's marketplace.
func (f *catalogFixture) list(t testing.TB, lab labProduct, price string) catalog.ListingRequest {
	t.Helper()
	var v catalog.Version
	f.do(http.MethodPost, "/public/v1/products/"+lab.product.ID+"/publish", f.vendor.Token.Value, nil, http.StatusCreated, &v)
	if v.Version != 1 || len(v.Items) != 1 || v.Items[0].Status != "published" || v.Product.Status != "published" {
		t.Fatalf("version = %+v", v)
	}
	var lr catalog.ListingRequest
	f.do(http.MethodPost, "/public/v1/listing-requests", f.vendor.Token.Value, map[string]any{
		"product": map[string]string{"id": lab.product.ID}, "marketplace": f.mp.ID,
		"prices": []map[string]any{{"item": lab.item.ID, "price": price, "terms": []string{"P1M", "P1Y"}}},
	}, http.StatusCreated, &lr)
	if lr.Status != "pending" || lr.Type != "new" || lr.Currency != "USD" {
		t.Fatalf("listing request = %+v", lr)
	}
	f.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", f.provider.Token.Value, nil, http.StatusOK, &lr)
	if lr.Status != "approved" {
		t.Fatalf("approved request = %+v", lr)
	}
	return lr
}

type pcLink struct {
	URI    string `json:"uri"`
	Method string `json:"method"`
}

type pcCollection struct {
	TotalCount int               `json:"totalCount"`
	Items      []json.RawMessage `json:"items"`
	Attributes struct {
		ObjectType string `json:"objectType"`
	} `json:"attributes"`
}

func TestCatalog_Lab(t *testing.T) {
	f := newCatalogFixture(t)
	lab := f.buildLab(t)

	var pv catalog.Preview
	f.do(http.MethodPost, "/public/v1/products/"+lab.product.ID+"/templates/"+lab.template.ID+"/preview", f.vendor.Token.Value,
		map[string]any{"values": map[string]string{"param_admin_email": "admin@example.com"}}, http.StatusOK, &pv)
	if !strings.Contains(pv.Body, "**admin@example.com**") || !strings.Contains(pv.Body, "AS-0000-0000-0000") {
		t.Errorf("preview = %q", pv.Body)
	}
	f.list(t, lab, "12.5")

	// The provider finds it and follows the links down to the availability.
	prov := f.provider.Token.Value
	var products pcCollection
	f.do(http.MethodGet, "/v1/products?country=US", prov, nil, http.StatusOK, &products)
	var found struct {
		ID    string            `json:"id"`
		Title string            `json:"title"`
		Links map[string]pcLink `json:"links"`
	}
	for _, raw := range products.Items {
		_ = json.Unmarshal(raw, &found)
		if found.ID == lab.product.ID {
			break
		}
	}
	if found.ID != lab.product.ID || found.Title != "Connect Web Conference Software" || products.Attributes.ObjectType != "Collection" {
		t.Fatalf("product not in the catalog: %+v", products)
	}
	var skus pcCollection
	f.do(http.MethodGet, found.Links["skus"].URI, prov, nil, http.StatusOK, &skus)
	if skus.TotalCount != 1 {
		t.Fatalf("skus = %+v", skus)
	}
	var sku struct {
		ID                     string            `json:"id"`
		MinimumQuantity        int               `json:"minimumQuantity"`
		MaximumQuantity        int               `json:"maximumQuantity"`
		SupportedBillingCycles []string          `json:"supportedBillingCycles"`
		Links                  map[string]pcLink `json:"links"`
	}
	_ = json.Unmarshal(skus.Items[0], &sku)
	if sku.ID != lab.item.LocalID || sku.MinimumQuantity != 1 || sku.MaximumQuantity != 500 || !cmp.Equal(sku.SupportedBillingCycles, []string{"monthly"}) {
		t.Errorf("sku = %+v", sku)
	}
	var avs pcCollection
	f.do(http.MethodGet, sku.Links["availabilities"].URI, prov, nil, http.StatusOK, &avs)
	var av struct {
		ID              string `json:"id"`
		CatalogItemID   string `json:"catalogItemId"`
		Country         string `json:"country"`
		DefaultCurrency struct {
			Code, Symbol string
		} `json:"defaultCurrency"`
		Terms []struct {
			Duration, BillingCycle string
		} `json:"terms"`
		Price struct {
			Amount, CurrencyCode string
		} `json:"price"`
		Links map[string]pcLink `json:"links"`
	}
	if avs.TotalCount != 1 {
		t.Fatalf("availabilities = %+v", avs)
	}
	_ = json.Unmarshal(avs.Items[0], &av)
	// Item numbers are not reused: the deleted default item was 0001.
	wantID := fmt.Sprintf("%s:%s:%s", lab.product.ID, lab.item.LocalID, f.mp.ID)
	if av.CatalogItemID != wantID || av.Country != "US" || av.DefaultCurrency.Code != "USD" || av.DefaultCurrency.Symbol != "$" ||
		av.Price.Amount != "12.50" || len(av.Terms) != 2 || av.Terms[1].Duration != "P1Y" || av.Terms[0].BillingCycle != "monthly" {
		t.Errorf("availability = %+v", av)
	}
	// The availability's own link answers the same object.
	var again struct {
		CatalogItemID string `json:"catalogItemId"`
	}
	f.do(http.MethodGet, av.Links["self"].URI, prov, nil, http.StatusOK, &again)
	if again.CatalogItemID != wantID {
		t.Errorf("self link = %+v", again)
	}

	// Countries the marketplace does not cover show nothing; unknown ones 404.
	f.do(http.MethodGet, "/v1/products?country=DE", prov, nil, http.StatusOK, &products)
	if products.TotalCount != 0 {
		t.Errorf("DE catalog has %d products", products.TotalCount)
	}
	for _, path := range []string{
		"/v1/products?country=ZZ", "/v1/products/" + lab.product.ID + "?country=DE",
		"/v1/products/PRD-000-000-000?country=US", "/v1/products/" + lab.product.ID + "/skus/0009?country=US",
		"/v1/products/" + lab.product.ID + "/skus/" + lab.item.LocalID + "/availabilities/MP-00000?country=US",
	} {
		res := f.call(http.MethodGet, path, prov, nil)
		var e partnerErr
		if err := json.Unmarshal(res.body, &e); res.status != 404 || err != nil || e.Code == 0 {
			t.Errorf("GET %s = %d %s, want 404 in the Partner Center shape", path, res.status, res.body)
		}
	}
	if res := f.call(http.MethodGet, "/v1/products", prov, nil); res.status != 400 {
		t.Errorf("no country = %d", res.status)
	}
	// Another provider sees none of it.
	other := f.createAccount(account.Provider, "Other Hub")
	f.do(http.MethodGet, "/v1/products?country=US", other.Token.Value, nil, http.StatusOK, &products)
	if products.TotalCount != 0 {
		t.Errorf("another provider sees %d products", products.TotalCount)
	}
}

func TestCatalog_Rules(t *testing.T) {
	f := newCatalogFixture(t)
	lab := f.buildLab(t)
	v := f.vendor.Token.Value
	base := "/public/v1/products/" + lab.product.ID

	// Publishing needs items and an activation template: a second product
	// with its default item and template deleted.
	var empty catalog.Product
	f.do(http.MethodPost, "/public/v1/products", v, map[string]any{"name": "Empty"}, http.StatusCreated, &empty)
	var items []catalog.Item
	var templates []catalog.Template
	f.do(http.MethodGet, "/public/v1/products/"+empty.ID+"/items", v, nil, http.StatusOK, &items)
	f.do(http.MethodDelete, "/public/v1/products/"+empty.ID+"/items/"+items[0].ID, v, nil, http.StatusNoContent, nil)
	f.do(http.MethodGet, "/public/v1/products/"+empty.ID+"/templates", v, nil, http.StatusOK, &templates)
	f.do(http.MethodDelete, "/public/v1/products/"+empty.ID+"/templates/"+templates[0].ID, v, nil, http.StatusNoContent, nil)
	connectError(t, f.call(http.MethodPost, "/public/v1/products/"+empty.ID+"/publish", v, nil), 400, "VAL_001",
		"at least one item", "fulfillment template")

	connectError(t, f.call(http.MethodPost, base+"/items", v, map[string]any{
		"name": "Again", "mpn": "mpn-246-users", "type": "reservation", "unit": "users"}), 400, "VAL_001", "mpn is already used")
	// A change of letter case only keeps the uniqueness row and stores the
	// new spelling; the lowercased key still refuses real duplicates.
	var it catalog.Item
	f.do(http.MethodPut, base+"/items/"+lab.item.ID, v, map[string]any{"mpn": "mpn-246-users"}, http.StatusOK, nil)
	f.do(http.MethodGet, base+"/items/"+lab.item.ID, v, nil, http.StatusOK, &it)
	if it.MPN != "mpn-246-users" {
		t.Errorf("mpn after a case change = %q", it.MPN)
	}
	var spare catalog.Item
	f.do(http.MethodPost, base+"/items", v, map[string]any{"name": "Spare", "mpn": "SPARE-1", "type": "reservation", "unit": "users"}, http.StatusCreated, &spare)
	connectError(t, f.call(http.MethodPut, base+"/items/"+spare.ID, v, map[string]any{"mpn": "MPN-246-Users"}), 400, "VAL_001", "mpn is already used")
	connectError(t, f.call(http.MethodPost, base+"/items", v, map[string]any{
		"name": "Again", "mpn": "MPN-246-USERS", "type": "reservation", "unit": "users"}), 400, "VAL_001", "mpn is already used")
	f.do(http.MethodDelete, base+"/items/"+spare.ID, v, nil, http.StatusNoContent, nil)
	var pd, second catalog.Parameter
	f.do(http.MethodPost, base+"/parameters", v, map[string]any{
		"name": "param_default", "title": "Default", "type": "text", "scope": "asset", "phase": "ordering"}, http.StatusCreated, &pd)
	f.do(http.MethodPut, base+"/parameters/"+pd.ID, v, map[string]any{"name": "Param_Default"}, http.StatusOK, nil)
	f.do(http.MethodGet, base+"/parameters/"+pd.ID, v, nil, http.StatusOK, &pd)
	if pd.Name != "Param_Default" {
		t.Errorf("parameter name after a case change = %q", pd.Name)
	}
	f.do(http.MethodPost, base+"/parameters", v, map[string]any{
		"name": "param_other", "title": "Other", "type": "text", "scope": "asset", "phase": "ordering"}, http.StatusCreated, &second)
	connectError(t, f.call(http.MethodPut, base+"/parameters/"+second.ID, v, map[string]any{"name": "PARAM_DEFAULT"}), 400, "VAL_001", "name is already used")
	connectError(t, f.call(http.MethodPost, base+"/parameters", v, map[string]any{
		"name": "param_default", "title": "Again", "type": "text", "scope": "asset", "phase": "ordering"}), 400, "VAL_001", "name is already used")
	connectError(t, f.call(http.MethodPut, base+"/parameters/"+lab.param.ID, v, map[string]any{"phase": "ordering"}), 400, "VAL_001",
		"phase cannot change")
	connectError(t, f.call(http.MethodPost, base+"/templates", v, map[string]any{
		"type": "fulfillment", "title": "Bad", "body": "{{ param_admin_email }} {{ param_nope }} {{ license_key }}"}), 400, "VAL_001",
		"param_nope", "license_key")
	connectError(t, f.call(http.MethodPost, base+"/items", v, map[string]any{
		"name": "Bad", "mpn": "BAD-1", "type": "reservation", "unit": "u", "precision": "decimal(2)", "min_quantity": 5, "max_quantity": 2}), 400, "VAL_001",
		"precision must be integer", "max_quantity (2)")
	connectError(t, f.call(http.MethodPost, base+"/parameters", v, map[string]any{
		"name": "color", "title": "Color", "type": "dropdown", "scope": "asset", "phase": "ordering"}), 400, "VAL_001", "choices")

	// A preview shows a sample, the parameter's title, where no value is supplied.
	var pv catalog.Preview
	f.do(http.MethodPost, base+"/templates/"+lab.template.ID+"/preview", v, map[string]any{"values": map[string]string{}}, http.StatusOK, &pv)
	if !strings.Contains(pv.Body, "**<Administrator email>**") || pv.Values["param_admin_email"] != "<Administrator email>" {
		t.Errorf("preview without values = %q %v", pv.Body, pv.Values)
	}
	// auto_approve must name an asset fulfillment template of the product.
	var inquire catalog.Template
	f.do(http.MethodPost, base+"/templates", v, map[string]any{"type": "inquire", "scope": "asset", "title": "Ask", "body": "Which tenant?"}, http.StatusCreated, &inquire)
	for _, tid := range []string{"TL-000-000-000", inquire.ID, ""} {
		connectError(t, f.call(http.MethodPut, base, v, map[string]any{"capabilities": map[string]any{"auto_approve": map[string]any{"enabled": true, "template_id": tid}}}),
			400, "VAL_001", "auto_approve.template_id", fmt.Sprintf("%q", tid))
	}
	var p catalog.Product
	f.do(http.MethodPut, base, v, map[string]any{"capabilities": map[string]any{"auto_approve": map[string]any{"enabled": true, "template_id": lab.template.ID}}}, http.StatusOK, &p)
	if !p.Capabilities.AutoApprove.Enabled || p.Capabilities.AutoApprove.TemplateID != lab.template.ID {
		t.Errorf("capabilities = %+v", p.Capabilities)
	}
	f.do(http.MethodPut, base, v, map[string]any{"capabilities": map[string]any{"auto_approve": map[string]any{"enabled": false}}}, http.StatusOK, nil)

	f.list(t, lab, "10")
	// After publish: items cannot be deleted, nor change type or period; the
	// name is fixed.
	connectError(t, f.call(http.MethodDelete, base+"/items/"+lab.item.ID, v, nil), 400, "VAL_001", "endofsale")
	connectError(t, f.call(http.MethodPut, base+"/items/"+lab.item.ID, v, map[string]any{"type": "ppu"}), 400, "VAL_001", "type cannot change")
	connectError(t, f.call(http.MethodPut, base+"/items/"+lab.item.ID, v, map[string]any{"period": "yearly"}), 400, "VAL_001", "period cannot change")
	connectError(t, f.call(http.MethodPut, base, v, map[string]any{"name": "Renamed"}), 400, "VAL_001", "name cannot change")
	f.do(http.MethodPut, base+"/items/"+lab.item.ID, v, map[string]any{"status": "endofsale"}, http.StatusOK, &it)
	if it.Status != "endofsale" {
		t.Errorf("item status = %s", it.Status)
	}

	// Tenancy: another vendor sees nothing, cannot list it; a provider
	// cannot create products, a vendor cannot approve or browse /v1.
	other := f.createAccount(account.Vendor, "Other Vendor")
	connectError(t, f.call(http.MethodGet, base, other.Token.Value, nil), 404, "OBJ_001")
	connectError(t, f.call(http.MethodPost, base+"/items", other.Token.Value, map[string]any{"name": "x", "mpn": "x", "type": "ppu", "unit": "u"}), 404, "OBJ_001")
	connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests", other.Token.Value, map[string]any{
		"product": lab.product.ID, "marketplace": f.mp.ID, "prices": []map[string]any{{"item": lab.item.ID, "price": "1"}}}), 404, "OBJ_001")
	connectError(t, f.call(http.MethodPost, "/public/v1/products", f.provider.Token.Value, map[string]any{"name": "x"}), 403, "AUTH_002")
	var lrs []catalog.ListingRequest
	f.do(http.MethodGet, "/public/v1/listing-requests", v, nil, http.StatusOK, &lrs)
	connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests/"+lrs[0].ID+"/approve", v, nil), 403, "AUTH_002", "provider")
	res := f.call(http.MethodGet, "/v1/products?country=US", v, nil)
	if res.status != 403 {
		t.Errorf("vendor on /v1/products = %d", res.status)
	}
	// Deciding twice is an illegal transition.
	connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests/"+lrs[0].ID+"/reject", f.provider.Token.Value, map[string]string{"reason": "late"}), 400, "REQ_003", "approved")
}

func TestCatalog_ListingRules(t *testing.T) {
	f := newCatalogFixture(t)
	lab := f.buildLab(t)
	v := f.vendor.Token.Value
	req := func(prices any) map[string]any {
		return map[string]any{"product": lab.product.ID, "marketplace": f.mp.ID, "prices": prices}
	}
	// Not published yet.
	connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests", v, req([]map[string]any{{"item": lab.item.ID, "price": "1"}})), 400, "VAL_001", "published")
	f.do(http.MethodPost, "/public/v1/products/"+lab.product.ID+"/publish", v, map[string]string{"notes": "first"}, http.StatusCreated, nil)
	tests := []struct {
		name      string
		prices    any
		fragments []string
	}{
		{"no prices", []map[string]any{}, []string{"needs a price"}},
		{"too many decimals", []map[string]any{{"item": lab.item.ID, "price": "1.005"}}, []string{"more than 2 decimals"}},
		{"negative", []map[string]any{{"item": lab.item.ID, "price": "-1"}}, []string{"negative"}},
		{"not a number", []map[string]any{{"item": lab.item.ID, "price": "ten"}}, []string{"not a decimal"}},
		{"unknown item", []map[string]any{{"item": "PRD-1-0009", "price": "1"}, {"item": lab.item.ID, "price": "1"}}, []string{"not an item"}},
		{"bad term", []map[string]any{{"item": lab.item.ID, "price": "1", "terms": []string{"P3Y"}}}, []string{"P3Y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests", v, req(tt.prices)), 400, "VAL_001", tt.fragments...)
		})
	}
	var lr catalog.ListingRequest
	f.do(http.MethodPost, "/public/v1/listing-requests", v, req([]map[string]any{{"item": lab.item.ID, "price": "5"}}), http.StatusCreated, &lr)
	connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests", v, req([]map[string]any{{"item": lab.item.ID, "price": "6"}})), 409, "OBJ_002", "pending")
	// Only the marketplace's provider decides: another provider does not see it.
	otherHub := f.createAccount(account.Provider, "Other Hub")
	connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", otherHub.Token.Value, nil), 404, "OBJ_001", lr.ID)
	connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/reject", otherHub.Token.Value, map[string]string{"reason": "x"}), 404, "OBJ_001", lr.ID)
	connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/reject", f.provider.Token.Value, nil), 400, "VAL_001", "reason")
	f.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/reject", f.provider.Token.Value, map[string]string{"reason": "price too low"}, http.StatusOK, &lr)
	if lr.Status != "rejected" || lr.Reason != "price too low" {
		t.Fatalf("rejected = %+v", lr)
	}
	// Not listed: the product cannot be found in the catalog; update and
	// remove need a listing.
	connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"type": "remove", "product": lab.product.ID, "marketplace": f.mp.ID}), 400, "VAL_001", "not listed")
	// A listing, then a price update, then a removal.
	f.do(http.MethodPost, "/public/v1/listing-requests", v, req([]map[string]any{{"item": lab.item.ID, "price": "5"}}), http.StatusCreated, &lr)
	f.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", f.provider.Token.Value, map[string]string{"note": "welcome"}, http.StatusOK, nil)
	f.do(http.MethodPost, "/public/v1/listing-requests", v, req([]map[string]any{{"item": lab.item.ID, "price": "7.25"}}), http.StatusCreated, &lr)
	if lr.Type != "update" {
		t.Errorf("second request type = %s", lr.Type)
	}
	f.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", f.provider.Token.Value, nil, http.StatusOK, nil)
	var listings []catalog.Listing
	f.do(http.MethodGet, "/public/v1/listings?status=listed", f.provider.Token.Value, nil, http.StatusOK, &listings)
	if len(listings) != 1 || listings[0].Prices[0].Price != "7.25" {
		t.Fatalf("listings = %+v", listings)
	}
	var one catalog.Listing
	f.do(http.MethodGet, "/public/v1/listings/"+listings[0].ID, v, nil, http.StatusOK, &one)
	// Listed, it can be ordered; once removed, its offer is no longer valid.
	s := &shop{catalogFixture: f, lab: lab}
	s.customer = s.newCustomer(t, f.provider.Token.Value)
	order := map[string]any{"lineItems": []any{map[string]any{"offerId": s.offer(lab.item), "quantity": 1}}}
	f.do(http.MethodPost, s.ordersPath(), f.provider.Token.Value, order, http.StatusCreated, nil)
	f.do(http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"type": "remove", "product": lab.product.ID, "marketplace": f.mp.ID}, http.StatusCreated, &lr)
	f.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", f.provider.Token.Value, nil, http.StatusOK, nil)
	var products pcCollection
	f.do(http.MethodGet, "/v1/products?country=US", f.provider.Token.Value, nil, http.StatusOK, &products)
	if products.TotalCount != 0 {
		t.Errorf("an unlisted product is still in the catalog")
	}
	partnerError(t, s.call2(http.MethodPost, s.ordersPath(), order), 400, 10001, s.offer(lab.item))

	// A pay-per-use item is priced per unit, billed monthly: P1M by default,
	// no yearly term.
	var ppu catalog.Item
	f.do(http.MethodPost, "/public/v1/products/"+lab.product.ID+"/items", v, map[string]any{"name": "Recording minutes", "mpn": "MPN-246-MIN",
		"type": "ppu", "unit": "minutes", "precision": "decimal(2)"}, http.StatusCreated, &ppu)
	f.do(http.MethodPost, "/public/v1/products/"+lab.product.ID+"/publish", v, nil, http.StatusCreated, nil)
	connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests", v, req([]map[string]any{
		{"item": lab.item.ID, "price": "5"}, {"item": ppu.ID, "price": "0.05", "terms": []string{"P1Y"}}})), 400, "VAL_001", "P1Y", "ppu")
	f.do(http.MethodPost, "/public/v1/listing-requests", v, req([]map[string]any{{"item": lab.item.ID, "price": "5"}, {"item": ppu.ID, "price": ".5"}}), http.StatusCreated, &lr)
	want := []catalog.Price{
		{Item: catalog.Ref{ID: lab.item.ID, Name: "SKU Users"}, Price: "5.00", Terms: []string{"P1M"}},
		{Item: catalog.Ref{ID: ppu.ID, Name: "Recording minutes"}, Price: "0.50", Terms: []string{"P1M"}},
	}
	if lr.Type != "new" || lr.Version != 2 || !cmp.Equal(lr.Prices, want) {
		t.Errorf("ppu listing request = %s v%d %+v", lr.Type, lr.Version, lr.Prices)
	}
	f.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", f.provider.Token.Value, nil, http.StatusOK, nil)

	// An item added after the last publish is not in the version being
	// listed: it needs no price, and a price for it is refused.
	var later catalog.Item
	f.do(http.MethodPost, "/public/v1/products/"+lab.product.ID+"/items", v, map[string]any{"name": "SKU Later", "mpn": "MPN-246-LATER",
		"type": "reservation", "unit": "users"}, http.StatusCreated, &later)
	connectError(t, f.call(http.MethodPost, "/public/v1/listing-requests", v, req([]map[string]any{
		{"item": lab.item.ID, "price": "6"}, {"item": ppu.ID, "price": "0.5"}, {"item": later.ID, "price": "3"}})), 400, "VAL_001",
		later.ID+" is not in version 2", "publish")
	f.do(http.MethodPost, "/public/v1/listing-requests", v, req([]map[string]any{{"item": lab.item.ID, "price": "6"}, {"item": ppu.ID, "price": "0.5"}}), http.StatusCreated, &lr)
	if lr.Type != "update" || lr.Version != 2 || len(lr.Prices) != 2 {
		t.Errorf("update without the draft item = %s v%d %+v", lr.Type, lr.Version, lr.Prices)
	}
}

func TestCatalog_Lists(t *testing.T) {
	f := newCatalogFixture(t)
	v := f.vendor.Token.Value
	for _, name := range []string{"Charlie", "Alpha", "Bravo"} {
		f.do(http.MethodPost, "/public/v1/products", v, map[string]any{"name": name}, http.StatusCreated, nil)
	}
	var ps []catalog.Product
	res := f.do(http.MethodGet, "/public/v1/products?ordering(name)&limit=2", v, nil, http.StatusOK, &ps)
	if len(ps) != 2 || ps[0].Name != "Alpha" || ps[1].Name != "Bravo" || res.header.Get("Content-Range") != "items 0-1/3" {
		t.Errorf("ordered page = %v %q", names(ps), res.header.Get("Content-Range"))
	}
	f.do(http.MethodGet, "/public/v1/products?eq(name,Charlie)", v, nil, http.StatusOK, &ps)
	if len(ps) != 1 || ps[0].Name != "Charlie" {
		t.Errorf("eq = %v", names(ps))
	}
	f.do(http.MethodGet, "/public/v1/products?status=draft&ordering(-created)", v, nil, http.StatusOK, &ps)
	if len(ps) != 3 || ps[0].Name != "Bravo" {
		t.Errorf("newest first = %v", names(ps))
	}
	connectError(t, f.call(http.MethodGet, "/public/v1/products?colour=red", v, nil), 400, "VAL_001", "colour")
}

func names(ps []catalog.Product) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// listedProduct creates, publishes and lists on the fixture's marketplace a
// product of n items (its default item and n-1 more).
func (f *catalogFixture) listedProduct(t testing.TB, name string, n int) (catalog.Product, []catalog.Item) {
	t.Helper()
	v := f.vendor.Token.Value
	var p catalog.Product
	f.do(http.MethodPost, "/public/v1/products", v, map[string]any{"name": name}, http.StatusCreated, &p)
	base := "/public/v1/products/" + p.ID
	for i := 1; i < n; i++ {
		f.do(http.MethodPost, base+"/items", v, map[string]any{
			"name": fmt.Sprintf("Extra %d", i), "mpn": fmt.Sprintf("MPN-X-%d", i), "type": "reservation", "unit": "users"}, http.StatusCreated, nil)
	}
	f.do(http.MethodPost, base+"/templates", v, map[string]any{"type": "fulfillment", "scope": "asset", "title": "Activation",
		"body": "Asset {{ asset.id }} is ready."}, http.StatusCreated, nil)
	var items []catalog.Item
	f.do(http.MethodGet, base+"/items", v, nil, http.StatusOK, &items)
	if len(items) != n {
		t.Fatalf("%s has %d items, want %d", name, len(items), n)
	}
	var prices []map[string]any
	for _, it := range items {
		prices = append(prices, map[string]any{"item": it.ID, "price": "2"})
	}
	f.do(http.MethodPost, base+"/publish", v, nil, http.StatusCreated, nil)
	var lr catalog.ListingRequest
	f.do(http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"product": p.ID, "marketplace": f.mp.ID, "prices": prices}, http.StatusCreated, &lr)
	f.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", f.provider.Token.Value, nil, http.StatusOK, nil)
	return p, items
}

// calls counts the DynamoDB calls of one GET that must answer 200, on a
// new instance: a cold start's, with the token and versions read.
func (f *catalogFixture) calls(t testing.TB, token, path string) map[string]int {
	t.Helper()
	c := f.instance(t, nil)
	c.do(http.MethodGet, path, token, nil, http.StatusOK, nil)
	return c.counter.Calls()
}

// TestCatalog_CallCounts holds reads to a fixed number of DynamoDB calls
// whatever the number of items or listed products (no N+1, no Scan): each
// read is counted on a product of 1 item and one of 7, and the catalog with
// 1 and 3 listed products, and the counts must be equal and as the README
// states them.
func TestCatalog_CallCounts(t *testing.T) {
	f := newCatalogFixture(t)
	v, prov := f.vendor.Token.Value, f.provider.Token.Value
	small, smallItems := f.listedProduct(t, "Small", 1)
	catalogOfOne := f.calls(t, prov, "/v1/products?country=US")
	large, largeItems := f.listedProduct(t, "Large", 7)
	f.listedProduct(t, "Third", 1)
	var products pcCollection
	f.do(http.MethodGet, "/v1/products?country=US", prov, nil, http.StatusOK, &products)
	if products.TotalCount != 3 {
		t.Fatalf("the catalog lists %d products, want 3", products.TotalCount)
	}

	paths := func(p catalog.Product, it catalog.Item) map[string]string {
		pub, pc := "/public/v1/products/"+p.ID, "/v1/products/"+p.ID
		return map[string]string{
			"product":        pub,
			"product items":  pub + "/items",
			"provider skus":  pc + "/skus?country=US",
			"availabilities": pc + "/skus/" + it.LocalID + "/availabilities?country=US",
		}
	}
	smallPaths, largePaths := paths(small, smallItems[0]), paths(large, largeItems[6])
	tests := []struct {
		name  string
		token string
		want  map[string]int
	}{
		{"product", v, map[string]int{"GetItem": 1, "Query": 1}},
		{"product items", v, map[string]int{"GetItem": 1, "Query": 1}},
		{"provider skus", prov, map[string]int{"GetItem": 2, "Query": 1}},
		{"availabilities", prov, map[string]int{"GetItem": 2, "Query": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			one, seven := f.calls(t, tt.token, smallPaths[tt.name]), f.calls(t, tt.token, largePaths[tt.name])
			if diff := cmp.Diff(one, seven); diff != "" {
				t.Errorf("calls grow with the items (-1 item +7 items):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, seven); diff != "" {
				t.Errorf("DynamoDB calls (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("provider catalog", func(t *testing.T) {
		three := f.calls(t, prov, "/v1/products?country=US")
		if diff := cmp.Diff(catalogOfOne, three); diff != "" {
			t.Errorf("calls grow with the products (-1 product +3 products):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]int{"GetItem": 1, "Query": 1, "BatchGetItem": 1}, three); diff != "" {
			t.Errorf("DynamoDB calls (-want +got):\n%s", diff)
		}
	})
}

// TestCatalog_OrdersBindToVersion orders on v1, publishes v2 (an item
// renamed, one added, a parameter added) and orders again: each asset keeps
// the version it was bought on, and so does what GET shows of the first.
func TestCatalog_OrdersBindToVersion(t *testing.T) {
	f := newCatalogFixture(t)
	lab := f.buildLab(t)
	f.list(t, lab, "10")
	v, prov := f.vendor.Token.Value, f.provider.Token.Value
	s := &shop{catalogFixture: f, lab: lab}
	s.customer = s.newCustomer(t, prov)
	type order struct {
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"lineItems"`
	}
	buy := func(items ...catalog.Item) []string {
		t.Helper()
		var lines []any
		for _, it := range items {
			lines = append(lines, map[string]any{"offerId": s.offer(it), "quantity": 3})
		}
		var o order
		f.do(http.MethodPost, s.ordersPath(), prov, map[string]any{"lineItems": lines}, http.StatusCreated, &o)
		var subs []string
		for _, l := range o.LineItems {
			subs = append(subs, l.SubscriptionID)
		}
		return subs
	}
	first := buy(lab.item)[0]

	base := "/public/v1/products/" + lab.product.ID
	var storage catalog.Item
	f.do(http.MethodPut, base+"/items/"+lab.item.ID, v, map[string]any{"name": "SKU Seats", "unit": "seats"}, http.StatusOK, nil)
	f.do(http.MethodPost, base+"/items", v, map[string]any{"name": "SKU Storage", "mpn": "MPN-246-STORAGE", "type": "reservation",
		"period": "monthly", "unit": "GB"}, http.StatusCreated, &storage)
	f.do(http.MethodPost, base+"/parameters", v, map[string]any{"name": "param_region", "title": "Region", "type": "text",
		"scope": "asset", "phase": "fulfillment"}, http.StatusCreated, nil)
	var v2 catalog.Version
	f.do(http.MethodPost, base+"/publish", v, nil, http.StatusCreated, &v2)
	if v2.Version != 2 || len(v2.Items) != 2 {
		t.Fatalf("v2 = %+v", v2)
	}
	var lr catalog.ListingRequest
	f.do(http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"product": lab.product.ID, "marketplace": f.mp.ID,
		"prices": []map[string]any{{"item": lab.item.ID, "price": "11"}, {"item": storage.ID, "price": "2"}}}, http.StatusCreated, &lr)
	if lr.Version != 2 {
		t.Errorf("listing request version = %d", lr.Version)
	}
	f.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", prov, nil, http.StatusOK, nil)
	second := buy(lab.item, storage)

	tests := []struct {
		sub      string
		version  int
		itemName string
		unit     string
		price    string
		params   []string
	}{
		{first, 1, "SKU Users", "users", "10.00", []string{"param_admin_email"}},
		{second[0], 2, "SKU Seats", "seats", "11.00", []string{"param_admin_email", "param_region"}},
		{second[1], 2, "SKU Storage", "GB", "2.00", []string{"param_admin_email", "param_region"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("v%d %s", tt.version, tt.itemName), func(t *testing.T) {
			var a fulfillment.Asset
			f.do(http.MethodGet, "/public/v1/assets/"+tt.sub, v, nil, http.StatusOK, &a)
			var params []string
			for _, p := range a.Params {
				params = append(params, p.Name)
			}
			slices.Sort(params)
			if a.Version != tt.version || len(a.Items) != 1 || a.Items[0].Name != tt.itemName || a.Items[0].Price != tt.price ||
				!cmp.Equal(params, tt.params) {
				t.Errorf("asset = version %d, items %+v, params %v", a.Version, a.Items, params)
			}
			var sub struct {
				UnitType string `json:"unitType"`
				Quantity int    `json:"quantity"`
			}
			f.do(http.MethodGet, "/v1/customers/"+s.customer+"/subscriptions/"+tt.sub, prov, nil, http.StatusOK, &sub)
			if sub.UnitType != tt.unit || sub.Quantity != 3 {
				t.Errorf("subscription = %+v, want unit %s", sub, tt.unit)
			}
		})
	}
}

// TestCatalog_Versions publishes twice, lists the versions, and edits the
// product, an item, a parameter and the template afterwards: version 1
// answers the same bytes as before.
func TestCatalog_Versions(t *testing.T) {
	f := newCatalogFixture(t)
	lab := f.buildLab(t)
	v := f.vendor.Token.Value
	base := "/public/v1/products/" + lab.product.ID
	f.do(http.MethodPost, base+"/publish", v, map[string]string{"notes": "first"}, http.StatusCreated, nil)
	v1 := f.do(http.MethodGet, base+"/versions/1", v, nil, http.StatusOK, nil).body

	f.do(http.MethodPut, base, v, map[string]any{"short_description": "Meetings, rewritten"}, http.StatusOK, nil)
	f.do(http.MethodPut, base+"/items/"+lab.item.ID, v, map[string]any{"name": "SKU Seats", "max_quantity": 900}, http.StatusOK, nil)
	f.do(http.MethodPut, base+"/parameters/"+lab.param.ID, v, map[string]any{"title": "Admin e-mail"}, http.StatusOK, nil)
	f.do(http.MethodPut, base+"/templates/"+lab.template.ID, v, map[string]any{"body": "Hello {{ param_admin_email }}"}, http.StatusOK, nil)
	f.do(http.MethodPost, base+"/items", v, map[string]any{"name": "SKU Storage", "mpn": "MPN-246-STORAGE", "type": "reservation", "unit": "GB"}, http.StatusCreated, nil)
	f.do(http.MethodPost, base+"/publish", v, map[string]string{"notes": "second"}, http.StatusCreated, nil)
	f.do(http.MethodPut, base+"/items/"+lab.item.ID, v, map[string]any{"name": "SKU Seats+"}, http.StatusOK, nil)

	if again := f.do(http.MethodGet, base+"/versions/1", v, nil, http.StatusOK, nil).body; string(again) != string(v1) {
		t.Errorf("version 1 changed:\nbefore %s\nafter  %s", v1, again)
	}
	var one catalog.Version
	if err := json.Unmarshal(v1, &one); err != nil {
		t.Fatal(err)
	}
	if one.Version != 1 || one.Notes != "first" || one.Product.ShortDescription != "Video meetings for teams" || len(one.Items) != 1 ||
		one.Items[0].Name != "SKU Users" || one.Parameters[0].Title != "Administrator email" || !strings.Contains(one.Templates[0].Body, "# Welcome") {
		t.Errorf("version 1 = %+v", one)
	}

	var vs []catalog.Version
	res := f.do(http.MethodGet, base+"/versions", v, nil, http.StatusOK, &vs)
	if len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 || res.header.Get("Content-Range") != "items 0-1/2" {
		t.Fatalf("versions = %d, Content-Range %q", len(vs), res.header.Get("Content-Range"))
	}
	if two := vs[1]; two.Notes != "second" || len(two.Items) != 2 || two.Items[0].Name != "SKU Seats" || two.Product.ShortDescription != "Meetings, rewritten" {
		t.Errorf("version 2 = %+v", two)
	}
	pages := []struct {
		query string
		want  []int
		rng   string
	}{
		{"ordering(-version)&limit=1", []int{2}, "items 0-0/2"},
		{"limit=1&offset=1", []int{2}, "items 1-1/2"},
		{"eq(version,1)", []int{1}, "items 0-0/1"},
		{"version=2", []int{2}, "items 0-0/1"},
		{"version.gt=1", []int{2}, "items 0-0/1"},
		{"in(version,(1,2))&ordering(-version)", []int{2, 1}, "items 0-1/2"},
	}
	for _, tt := range pages {
		t.Run(tt.query, func(t *testing.T) {
			res := f.do(http.MethodGet, base+"/versions?"+tt.query, v, nil, http.StatusOK, &vs)
			var got []int
			for _, x := range vs {
				got = append(got, x.Version)
			}
			if !cmp.Equal(got, tt.want) || res.header.Get("Content-Range") != tt.rng {
				t.Errorf("versions %v, Content-Range %q; want %v, %q", got, res.header.Get("Content-Range"), tt.want, tt.rng)
			}
		})
	}
	connectError(t, f.call(http.MethodGet, base+"/versions?eq(version,one)", v, nil), 400, "VAL_001", "whole numbers", "one")
	connectError(t, f.call(http.MethodGet, base+"/versions/3", v, nil), 404, "OBJ_001", "version 3")
	connectError(t, f.call(http.MethodGet, base+"/versions/zero", v, nil), 400, "VAL_001", "positive integer")
	other := f.createAccount(account.Vendor, "Other Vendor")
	connectError(t, f.call(http.MethodGet, base+"/versions/1", other.Token.Value, nil), 404, "OBJ_001")
	connectError(t, f.call(http.MethodGet, base+"/versions", other.Token.Value, nil), 404, "OBJ_001")
}

// TestCatalog_HubReadsPublishedVersions: a hub that sells a product reads
// its published versions on /public/v1 (the ids a Connect purchase request
// names), but not the vendor's working copy; a hub that does not sell it
// reads nothing.
func TestCatalog_HubReadsPublishedVersions(t *testing.T) {
	f := newCatalogFixture(t)
	lab := f.buildLab(t)
	base := "/public/v1/products/" + lab.product.ID
	prov := f.provider.Token.Value
	other := f.createAccount(account.Provider, "Other Hub").Token.Value

	// Not yet listed: no hub sees it.
	connectError(t, f.call(http.MethodGet, base+"/versions", prov, nil), http.StatusNotFound, "OBJ_001")

	f.list(t, lab, "12.5") // publishes v1, lists it on the provider's marketplace
	var vs []catalog.Version
	f.do(http.MethodGet, base+"/versions", prov, nil, http.StatusOK, &vs)
	var v catalog.Version
	f.do(http.MethodGet, base+"/versions/1", prov, nil, http.StatusOK, &v)
	if len(vs) != 1 || len(v.Items) != 1 || v.Items[0].ID != lab.item.ID || len(v.Parameters) != 1 || v.Parameters[0].ID != lab.param.ID {
		t.Errorf("the hub's view of v1: %d versions, items %+v, parameters %+v", len(vs), v.Items, v.Parameters)
	}
	for _, path := range []string{base, base + "/items", base + "/parameters/" + lab.param.ID, base + "/templates"} {
		t.Run("working copy "+path, func(t *testing.T) {
			connectError(t, f.call(http.MethodGet, path, prov, nil), http.StatusNotFound, "OBJ_001")
		})
	}
	for _, path := range []string{base + "/versions", base + "/versions/1"} {
		t.Run("another hub "+path, func(t *testing.T) {
			connectError(t, f.call(http.MethodGet, path, other, nil), http.StatusNotFound, "OBJ_001")
		})
	}
}

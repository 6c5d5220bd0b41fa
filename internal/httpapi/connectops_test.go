package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/usage"
)

// TestAPI_TokenUpdate renames a token and changes its notes as Connect's
// PUT does: a round trip of what GET answered is accepted, a typo and an
// over-long name are refused with nothing written, another account's token
// is 404, and the change commits with its token.updated event.
func TestAPI_TokenUpdate(t *testing.T) {
	f := newFixture(t)
	v := f.vendor.Token.Value
	var tok account.NewToken
	f.do(http.MethodPost, "/public/v1/auth/tokens", v, map[string]string{"name": "ci"}, http.StatusCreated, &tok)
	path := "/public/v1/auth/tokens/" + tok.ID

	var read map[string]any
	f.do(http.MethodGet, path, v, nil, http.StatusOK, &read)
	read["name"], read["description"], read["external_id"] = "deploys", "the release pipeline", "PIPE-7"
	f.counter.Reset()
	var got map[string]any
	f.do(http.MethodPut, path, v, read, http.StatusOK, &got)
	if got["name"] != "deploys" || got["description"] != "the release pipeline" || got["external_id"] != "PIPE-7" || got["id"] != tok.ID {
		t.Errorf("updated token = %v", got)
	}
	// Read the token, write it with its event (the caller's token is
	// cached since the GET).
	if diff := cmp.Diff(map[string]int{"GetItem": 1, "TransactWriteItems": 1}, f.counter.Calls()); diff != "" {
		t.Errorf("DynamoDB calls (-want +got):\n%s", diff)
	}
	if !containsEvent(accountEvents(t, f, f.vendor.ID), "token.updated", tok.ID) {
		t.Error("no token.updated event")
	}
	// The token still works: its value did not change.
	f.do(http.MethodGet, "/public/v1/auth/context", tok.Value, nil, http.StatusOK, nil)

	connectError(t, f.call(http.MethodPut, path, v, map[string]any{"nmae": "x"}), http.StatusBadRequest, "VAL_001", "nmae")
	connectError(t, f.call(http.MethodPut, path, v, map[string]any{"name": " ", "description": strings.Repeat("d", 256)}),
		http.StatusBadRequest, "VAL_001", "name is required", "description must be at most 255")
	connectError(t, f.call(http.MethodPut, path, v, "{"), http.StatusBadRequest, "REQ_001")
	connectError(t, f.call(http.MethodPut, path, f.provider.Token.Value, map[string]any{"name": "mine"}), http.StatusNotFound, "OBJ_001", tok.ID)
	f.do(http.MethodGet, path, v, nil, http.StatusOK, &got)
	if got["name"] != "deploys" || got["description"] != "the release pipeline" {
		t.Errorf("a refused update changed the token: %v", got)
	}
	f.do(http.MethodDelete, path, v, nil, http.StatusNoContent, nil)
	connectError(t, f.call(http.MethodPut, path, v, map[string]any{"name": "gone"}), http.StatusNotFound, "OBJ_001")
}

// TestCatalog_ProductCapabilities: a product answers Connect's
// capabilities with Mercato's switches beside them; a body read and PUT
// back with a switch changed is accepted (Connect's parts are read-only and
// dropped), while a name inside capabilities that belongs to no shape is
// refused with nothing written.
func TestCatalog_ProductCapabilities(t *testing.T) {
	f := newFixture(t)
	v := f.vendor.Token.Value
	var prd map[string]any
	f.do(http.MethodPost, "/public/v1/products", v, map[string]any{"name": "Backup Vault"}, http.StatusCreated, &prd)
	path := "/public/v1/products/" + prd["id"].(string)
	f.do(http.MethodGet, path, v, nil, http.StatusOK, &prd)
	caps := prd["capabilities"].(map[string]any)
	if sub := caps["subscription"].(map[string]any); sub["suspend"] != nil || caps["suspend_resume_supported"] != false {
		t.Errorf("capabilities of a new product = %v", caps)
	}

	caps["suspend_resume_supported"] = true
	caps["reservation"] = map[string]any{"consumption": true} // read-only: ignored
	var got map[string]any
	f.do(http.MethodPut, path, v, prd, http.StatusOK, &got)
	caps = got["capabilities"].(map[string]any)
	sub := caps["subscription"].(map[string]any)
	if caps["suspend_resume_supported"] != true || sub["suspend"] == nil || sub["resume"] == nil {
		t.Errorf("capabilities after the round trip = %v", caps)
	}
	if res := caps["reservation"].(map[string]any); res["consumption"] != false {
		t.Errorf("reservation = %v: a read-only part was written", res)
	}
	if conf := got["configurations"].(map[string]any); conf["suspend_resume_supported"] != true || conf["requires_reseller_information"] != false {
		t.Errorf("configurations = %v", conf)
	}

	connectError(t, f.call(http.MethodPut, path, v, map[string]any{"capabilities": map[string]any{
		"suspend_resume_supported": false, "ppu": map[string]any{"schema": "QT"}, "suspend_resume_suported": true}}),
		http.StatusBadRequest, "VAL_001", "suspend_resume_suported")
	f.do(http.MethodGet, path, v, nil, http.StatusOK, &got)
	if got["capabilities"].(map[string]any)["suspend_resume_supported"] != true {
		t.Errorf("a refused update changed the capabilities: %v", got["capabilities"])
	}
}

// TestCatalog_ProductEndSale takes a listed product off sale: new purchases
// are refused on both faces (the warm order's cached listing included),
// the subscription bought before goes on, the sale resumes, and the
// transitions and bad input are refused with nothing written.
func TestCatalog_ProductEndSale(t *testing.T) {
	s := newShop(t)
	v, p := s.vendor.Token.Value, s.provider.Token.Value
	base := "/public/v1/products/" + s.lab.product.ID
	before := s.order(t, 1) // caches the listing and the version on this instance
	s.approve(t, before.request)

	connectError(t, s.call(http.MethodPost, base+"/endsale", v, map[string]any{"replacement": map[string]any{"id": "PRD-1"}}),
		http.StatusBadRequest, "VAL_001", "replacement")
	connectError(t, s.call(http.MethodPost, base+"/endsale", v, map[string]any{"notes": "x"}), http.StatusBadRequest, "VAL_001", "notes")
	connectError(t, s.call(http.MethodPost, base+"/endsale", p, nil), http.StatusForbidden, "AUTH_002")
	other := s.createAccount(account.Vendor, "Other Vendor")
	connectError(t, s.call(http.MethodPost, base+"/endsale", other.Token.Value, nil), http.StatusNotFound, "OBJ_001")
	connectError(t, s.call(http.MethodPost, base+"/resumesale", v, nil), http.StatusBadRequest, "REQ_003", "end of sale")

	var prd map[string]any
	s.do(http.MethodPost, base+"/endsale", v, map[string]any{"end_of_sale_notes": "replaced by Meet 2"}, http.StatusOK, &prd)
	if prd["status"] != "endofsale" || prd["end_of_sale_notes"] != "replaced by Meet 2" {
		t.Fatalf("product after endsale = %v", prd)
	}
	connectError(t, s.call(http.MethodPost, base+"/endsale", v, nil), http.StatusBadRequest, "REQ_003", "endofsale")
	if !containsEvent(accountEvents(t, s.fixture, s.provider.ID), "listing.updated", s.mp.ID) {
		t.Error("the provider was not told its listing ended its sale")
	}

	// No new purchases, warm or cold, on either face.
	res := s.call2(http.MethodPost, s.ordersPath(), map[string]any{"lineItems": []any{s.line(s.lab.item, 1)}})
	if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "end of sale") {
		t.Errorf("order at end of sale = %d %s", res.status, res.body)
	}
	purchase := map[string]any{"type": "purchase", "asset": map[string]any{
		"product": map[string]string{"id": s.lab.product.ID}, "marketplace": map[string]string{"id": s.mp.ID},
		"tiers":  map[string]any{"customer": map[string]any{"name": "Contoso"}},
		"items":  []any{map[string]any{"id": s.lab.item.ID, "quantity": "1"}},
		"params": []any{map[string]any{"id": "param_tenant", "value": "contoso"}}}}
	connectError(t, s.call2(http.MethodPost, "/public/v1/requests", purchase), http.StatusBadRequest, "VAL_001", "end of sale")
	// A listing is not renewed either.
	connectError(t, s.call(http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"type": "update",
		"product": s.lab.product.ID, "marketplace": s.mp.ID, "prices": []map[string]any{{"item": s.lab.item.ID, "price": "12"}}}),
		http.StatusBadRequest, "REQ_003", "end of sale")

	// The subscription bought before goes on.
	change := s.patch(t, before.asset, map[string]any{"quantity": 2})
	s.act(t, change, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)

	var resumed map[string]any
	s.do(http.MethodPost, base+"/resumesale", v, nil, http.StatusOK, &resumed)
	if resumed["status"] != "published" || resumed["end_of_sale_notes"] != nil {
		t.Errorf("product after resumesale = %v", resumed)
	}
	s.order(t, 1)
}

// TestCatalog_ListingRequestDrafts walks Connect's listing request states:
// a draft holds the product's one open request on the marketplace, is
// submitted (its prices checked again), refined back to draft by the
// provider, canceled by the vendor; each wrong caller or state is refused
// with nothing written.
func TestCatalog_ListingRequestDrafts(t *testing.T) {
	s := newShop(t)
	v, p := s.vendor.Token.Value, s.provider.Token.Value
	lrPath := func(id string, action ...string) string {
		return strings.Join(append([]string{"/public/v1/listing-requests/" + id}, action...), "/")
	}
	body := func(state string, price string) map[string]any {
		b := map[string]any{"type": "update", "product": s.lab.product.ID, "marketplace": s.mp.ID, "prices": []map[string]any{
			{"item": s.lab.item.ID, "price": price}, {"item": s.yearly.ID, "price": "100"}, {"item": s.ppu.ID, "price": "0.05"}}}
		if state != "" {
			b["state"] = state
		}
		return b
	}
	type lrView struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		State  string `json:"state"`
	}
	expect := func(lr lrView, status, state string) {
		t.Helper()
		if lr.Status != status || lr.State != state {
			t.Errorf("listing request %s is %s (%s), want %s (%s)", lr.ID, lr.Status, lr.State, status, state)
		}
	}
	connectError(t, s.call(http.MethodPost, "/public/v1/listing-requests", v, body("approved", "12")), 400, "VAL_001", "state")

	var draft lrView
	s.do(http.MethodPost, "/public/v1/listing-requests", v, body("draft", "12"), http.StatusCreated, &draft)
	expect(draft, "draft", "draft")
	connectError(t, s.call(http.MethodPost, "/public/v1/listing-requests", v, body("", "13")), 409, "OBJ_002", "already open")
	connectError(t, s.call(http.MethodPost, lrPath(draft.ID, "approve"), p, nil), 400, "REQ_003", "draft")
	connectError(t, s.call(http.MethodPost, lrPath(draft.ID, "submit"), p, nil), 403, "AUTH_002")
	other := s.createAccount(account.Vendor, "Other Vendor")
	connectError(t, s.call(http.MethodPost, lrPath(draft.ID, "submit"), other.Token.Value, nil), 404, "OBJ_001")
	connectError(t, s.call(http.MethodPost, lrPath(draft.ID, "refine"), v, nil), 400, "REQ_003", "only a pending request")

	var got lrView
	s.do(http.MethodPost, lrPath(draft.ID, "submit"), v, nil, http.StatusOK, &got)
	expect(got, "pending", "reviewing")
	s.do(http.MethodPost, lrPath(draft.ID, "submit"), v, nil, http.StatusOK, &got) // already in review: unchanged
	expect(got, "pending", "reviewing")
	s.do(http.MethodPost, lrPath(draft.ID, "refine"), p, nil, http.StatusOK, &got)
	expect(got, "draft", "draft")
	s.do(http.MethodPost, lrPath(draft.ID, "cancel"), v, nil, http.StatusOK, &got)
	expect(got, "canceled", "canceled")
	connectError(t, s.call(http.MethodPost, lrPath(draft.ID, "cancel"), v, nil), 400, "REQ_003", "canceled")
	connectError(t, s.call(http.MethodPost, lrPath(draft.ID, "submit"), v, nil), 400, "REQ_003", "canceled")
	if !containsEvent(accountEvents(t, s.fixture, s.provider.ID), "listing_request.updated", draft.ID) {
		t.Error("the provider was not told of the draft's changes")
	}

	// The lock is free again. A draft is checked again when submitted: an
	// item published since needs a price, and the refusal leaves it a draft.
	var second lrView
	s.do(http.MethodPost, "/public/v1/listing-requests", v, body("draft", "12"), http.StatusCreated, &second)
	base := "/public/v1/products/" + s.lab.product.ID
	s.do(http.MethodPost, base+"/items", v, map[string]any{"name": "SKU Guests", "mpn": "MPN-246-GUESTS", "type": "reservation", "unit": "guests"}, http.StatusCreated, nil)
	s.do(http.MethodPost, base+"/publish", v, nil, http.StatusCreated, nil)
	connectError(t, s.call(http.MethodPost, lrPath(second.ID, "submit"), v, nil), 400, "VAL_001", "MPN-246-GUESTS", "needs a price")
	s.do(http.MethodGet, lrPath(second.ID), v, nil, http.StatusOK, &got)
	expect(got, "draft", "draft")
}

// TestUsage_ProductTemplate answers Connect's template link, and the link
// answers the template of the product's latest version.
func TestUsage_ProductTemplate(t *testing.T) {
	s := newShop(t)
	v := s.vendor.Token.Value
	path := "/public/v1/usage/products/" + s.lab.product.ID + "/template"
	var link struct {
		TemplateLink string `json:"template_link"`
	}
	s.do(http.MethodGet, path, v, nil, http.StatusOK, &link)
	u, err := url.Parse(link.TemplateLink)
	if err != nil || !u.IsAbs() || u.Path != path || u.Query().Get("format") != "xlsx" {
		t.Fatalf("template_link = %q", link.TemplateLink)
	}
	res := s.do(http.MethodGet, u.RequestURI(), v, nil, http.StatusOK, nil)
	if ct := res.header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") || !bytes.HasPrefix(res.body, []byte("PK")) {
		t.Errorf("the link answers %q, %d bytes", ct, len(res.body))
	}
	res = s.do(http.MethodGet, path+"?format=csv", v, nil, http.StatusOK, nil)
	if !strings.HasPrefix(string(res.body), strings.Join(usage.Columns, ",")) || !strings.Contains(string(res.body), s.ppu.MPN) ||
		strings.Contains(string(res.body), s.yearly.MPN) {
		t.Errorf("csv template = %s", res.body)
	}

	connectError(t, s.call(http.MethodGet, path+"?format=pdf", v, nil), 400, "VAL_001", "format")
	connectError(t, s.call(http.MethodGet, path, s.provider.Token.Value, nil), 403, "AUTH_002")
	other := s.createAccount(account.Vendor, "Other Vendor")
	connectError(t, s.call(http.MethodGet, path, other.Token.Value, nil), 404, "OBJ_001")
	var draft catalog.Product
	s.do(http.MethodPost, "/public/v1/products", v, map[string]any{"name": "Unpublished"}, http.StatusCreated, &draft)
	connectError(t, s.call(http.MethodGet, "/public/v1/usage/products/"+draft.ID+"/template", v, nil), 400, "VAL_001", "no published version")
}

// TestOrdering_ConnectAssetRequests opens change, suspend, resume and
// cancel requests through POST /requests as Connect's provider clients do,
// each under the rules of a subscription change.
func TestOrdering_ConnectAssetRequests(t *testing.T) {
	s := newShop(t)
	placed := s.order(t, 2)
	s.approve(t, placed.request)
	post := func(typ string, asset map[string]any) response {
		return s.call2(http.MethodPost, "/public/v1/requests", map[string]any{"type": typ, "asset": asset})
	}
	open := func(typ string, asset map[string]any) fulfillment.Request {
		t.Helper()
		res := post(typ, asset)
		var r fulfillment.Request
		if res.status != http.StatusCreated || json.Unmarshal(res.body, &r) != nil || r.Type != typ || r.Status != "pending" || r.Asset.ID != placed.asset {
			t.Fatalf("%s request = %d %s", typ, res.status, res.body)
		}
		return r
	}
	id := map[string]any{"id": placed.asset}
	items := func(qty any, itemID string) map[string]any {
		return map[string]any{"id": placed.asset, "items": []any{map[string]any{"id": itemID, "quantity": qty}}}
	}

	connectError(t, post("change", map[string]any{"items": []any{}}), 400, "VAL_001", "asset.id is required", "asset.items must hold")
	connectError(t, post("change", items("many", s.lab.item.ID)), 400, "VAL_001", "whole number")
	connectError(t, post("change", items(2, s.lab.item.ID)), 400, "VAL_001", "sets every quantity")
	connectError(t, post("change", items(3, "PRD-000-000-000-0001")), 400, "VAL_001", "every item of a change")
	connectError(t, post("suspend", items(3, s.lab.item.ID)), 400, "VAL_001", "asset.items belong to change requests")
	connectError(t, post("resume", id), 400, "REQ_003", "already")
	connectError(t, post("purchase", id), 400, "VAL_001", "asset.id names an existing asset")
	connectError(t, post("suspend", map[string]any{"id": "AS-0000-0000-0000"}), 404, "OBJ_001")
	connectError(t, s.call(http.MethodPost, "/public/v1/requests", s.vendor.Token.Value, map[string]any{"type": "suspend", "asset": id}), 403, "AUTH_002")
	rival := s.createAccount(account.Provider, "Rival Hub")
	connectError(t, s.call(http.MethodPost, "/public/v1/requests", rival.Token.Value, map[string]any{"type": "suspend", "asset": id}), 404, "OBJ_001")

	change := open("change", items("3", s.lab.item.ID))
	if q := change.Asset.Items[0]; q.Quantity != "3" || q.OldQuantity != "2" {
		t.Errorf("change items = %+v", change.Asset.Items)
	}
	connectError(t, post("suspend", id), 409, "OBJ_002", "pending change")
	s.act(t, change.ID, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
	if a := s.asset(t, placed.asset); a.Quantity() != 3 {
		t.Errorf("asset after the change = %+v", a.Items)
	}

	suspend := open("suspend", id)
	s.act(t, suspend.ID, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
	connectError(t, post("suspend", id), 400, "REQ_003", "suspended already")
	resume := open("resume", id)
	s.act(t, resume.ID, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
	cancel := open("cancel", id)
	s.act(t, cancel.ID, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
	if a := s.asset(t, placed.asset); a.Status != fulfillment.AssetTerminated {
		t.Errorf("asset after the cancel is %s", a.Status)
	}
	connectError(t, post("suspend", id), 400, "REQ_003", "cannot change")
}

// TestCatalog_HubsAndConnections registers a provider's hub, connects the
// vendor's product to it, and buys naming the connection: the asset
// carries it as asset.connection, as Connect fills it.
func TestCatalog_HubsAndConnections(t *testing.T) {
	s := newShop(t)
	v, p := s.vendor.Token.Value, s.provider.Token.Value
	connectError(t, s.call(http.MethodPost, "/public/v1/hubs", p, map[string]any{"description": "x"}), 400, "VAL_001", "name is required")
	connectError(t, s.call(http.MethodPost, "/public/v1/hubs", v, map[string]any{"name": "x"}), 403, "AUTH_002")
	var hub map[string]any
	s.do(http.MethodPost, "/public/v1/hubs", p, map[string]any{"name": "Apollo OA", "description": "Apollo's commerce",
		"instance_id": "oa-1", "instance_type": "api"}, http.StatusCreated, &hub)
	hubID, _ := hub["id"].(string)
	hub["name"] = "Apollo Commerce"
	var renamed map[string]any
	s.do(http.MethodPut, "/public/v1/hubs/"+hubID, p, hub, http.StatusOK, &renamed)
	if renamed["name"] != "Apollo Commerce" || renamed["description"] != "Apollo's commerce" {
		t.Errorf("renamed hub = %v", renamed)
	}
	rival := s.createAccount(account.Provider, "Rival Hub")
	connectError(t, s.call(http.MethodGet, "/public/v1/hubs/"+hubID, rival.Token.Value, nil), 404, "OBJ_001")
	connectError(t, s.call(http.MethodPut, "/public/v1/hubs/"+hubID, rival.Token.Value, map[string]any{"name": "mine"}), 404, "OBJ_001")

	conns := "/public/v1/products/" + s.lab.product.ID + "/connections"
	connectError(t, s.call(http.MethodPost, conns, v, map[string]any{"type": "staging"}), 400, "VAL_001", "type must be", "hub.id is required")
	connectError(t, s.call(http.MethodPost, conns, v, map[string]any{"hub": map[string]any{"id": hubID}, "provider": map[string]any{"id": rival.ID}}),
		400, "VAL_001", "not the provider")
	connectError(t, s.call(http.MethodPost, conns, v, map[string]any{"hub": map[string]any{"id": "HB-0000-0000"}}), 404, "OBJ_001")
	var conn map[string]any
	s.do(http.MethodPost, conns, v, map[string]any{"hub": map[string]any{"id": hubID}, "provider": map[string]any{"id": s.provider.ID},
		"type": "production"}, http.StatusCreated, &conn)
	connID, _ := conn["id"].(string)
	if conn["status"] != "active" || str(conn, "hub", "name") != "Apollo Commerce" || str(conn, "provider", "id") != s.provider.ID {
		t.Fatalf("connection = %v", conn)
	}
	connectError(t, s.call(http.MethodPost, conns, v, map[string]any{"hub": hubID}), 409, "OBJ_002", "already has a production connection")
	conn["note"] = "main hub"
	s.do(http.MethodPut, conns+"/"+connID, v, conn, http.StatusOK, &conn)
	if conn["note"] != "main hub" {
		t.Errorf("updated connection = %v", conn)
	}
	var listed []map[string]any
	s.do(http.MethodGet, conns, v, nil, http.StatusOK, &listed)
	if len(listed) != 1 || listed[0]["id"] != connID {
		t.Errorf("connections = %v", listed)
	}
	if !containsEvent(accountEvents(t, s.fixture, s.provider.ID), "connection.updated", connID) {
		t.Error("the provider was not told of the connection")
	}

	purchase := func(token string, connection any) response {
		return s.call(http.MethodPost, "/public/v1/requests", token, map[string]any{"type": "purchase", "asset": map[string]any{
			"product": s.lab.product.ID, "marketplace": s.mp.ID, "connection": connection,
			"tiers":  map[string]any{"customer": map[string]any{"name": "Contoso"}},
			"items":  []any{map[string]any{"id": s.lab.item.ID, "quantity": 1}},
			"params": []any{map[string]any{"id": "param_tenant", "value": "contoso"}}}})
	}
	connectError(t, purchase(p, map[string]any{"id": "CT-0000-0000-0000"}), 400, "VAL_001", "not a connection of product")
	res := purchase(p, map[string]any{"id": connID})
	var req map[string]any
	if res.status != http.StatusCreated || json.Unmarshal(res.body, &req) != nil {
		t.Fatalf("purchase naming the connection = %d %s", res.status, res.body)
	}
	assetID := str(req, "asset", "id")
	var asset map[string]any
	s.do(http.MethodGet, "/public/v1/assets/"+assetID, v, nil, http.StatusOK, &asset)
	want := map[string]any{"id": connID, "type": "production", "hub": map[string]any{"id": hubID, "name": "Apollo Commerce"},
		"provider": map[string]any{"id": s.provider.ID, "name": s.provider.Name}, "vendor": map[string]any{"id": s.vendor.ID, "name": s.vendor.Name}}
	if diff := cmp.Diff(want, asset["connection"]); diff != "" {
		t.Errorf("asset.connection (-want +got):\n%s", diff)
	}
}

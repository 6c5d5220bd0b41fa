package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/webhook"
)

func TestAPI_Webhooks(t *testing.T) {
	f := newFixture(t)
	vend := f.vendor.Token.Value
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer rcv.Close()

	var created webhook.WithSecret
	f.do(http.MethodPost, "/public/v1/webhooks", vend, map[string]any{
		"label": "fulfillment bot", "url": rcv.URL + "/hooks", "events": []string{"request.created", "order.created"},
		"products": []string{"prd-387-522-630"}, "description": "ops",
	}, http.StatusCreated, &created)
	if !strings.HasPrefix(created.Secret, "whsec_") || !strings.HasPrefix(created.ID, "WH-") || !created.Active ||
		created.Account != f.vendor.ID || !cmp.Equal(created.Products, []string{"PRD-387-522-630"}) {
		t.Fatalf("created = %+v", created)
	}
	path := "/public/v1/webhooks/" + created.ID

	// The secret is never shown again.
	for _, p := range []string{path, "/public/v1/webhooks"} {
		res := f.do(http.MethodGet, p, vend, nil, http.StatusOK, nil)
		if bytes.Contains(res.body, []byte("whsec_")) || bytes.Contains(res.body, []byte(`"secret"`)) {
			t.Errorf("GET %s shows a secret: %s", p, res.body)
		}
	}
	// The creation event in the outbox carries no secret either.
	for _, it := range accountEvents(t, f, f.vendor.ID) {
		if strings.Contains(it.Data, "whsec_") {
			t.Errorf("event %s carries a secret", it.Type)
		}
	}

	// Update: fields left out keep their value.
	var updated webhook.Webhook
	f.do(http.MethodPut, path, vend, map[string]any{"label": "renamed", "events": []string{}}, http.StatusOK, &updated)
	if updated.Label != "renamed" || len(updated.Events) != 0 || updated.URL != created.URL || updated.Description != "ops" {
		t.Errorf("updated = %+v", updated)
	}

	// Test answers the attempt's outcome.
	var d webhook.Delivery
	f.do(http.MethodPost, path+"/test", vend, nil, http.StatusOK, &d)
	if d.Status != webhook.StatusSucceeded || d.Event.Type != "webhook.test" || len(d.Attempts) != 1 ||
		d.Attempts[0].StatusCode != http.StatusNoContent || d.Attempts[0].Trigger != webhook.TriggerTest {
		t.Fatalf("test delivery = %+v", d)
	}
	var list []webhook.Delivery
	res := f.do(http.MethodGet, path+"/deliveries?status=succeeded&event_type=webhook.test", vend, nil, http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != d.ID || len(list[0].Attempts) != 1 || res.header.Get("Content-Range") != "items 0-0/1" {
		t.Errorf("deliveries = %+v, %q", list, res.header.Get("Content-Range"))
	}
	f.do(http.MethodGet, path+"/deliveries?status=failed", vend, nil, http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("failed filter lists %d", len(list))
	}
	f.do(http.MethodGet, path+"/deliveries?and(eq(status,succeeded),eq(event_type,webhook.test))", vend, nil, http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != d.ID {
		t.Errorf("RQL filter lists %+v", list)
	}
	// Deliveries list newest first.
	want := []string{d.ID}
	for range 2 {
		var next webhook.Delivery
		f.do(http.MethodPost, path+"/test", vend, nil, http.StatusOK, &next)
		want = append([]string{next.ID}, want...)
	}
	f.do(http.MethodGet, path+"/deliveries", vend, nil, http.StatusOK, &list)
	var got []string
	for _, l := range list {
		got = append(got, l.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries, newest first (-want +got):\n%s", diff)
	}
	// A page short of the whole still has the exact total.
	res = f.do(http.MethodGet, path+"/deliveries?limit=1&offset=1", vend, nil, http.StatusOK, &list)
	if cr := res.header.Get("Content-Range"); cr != "items 1-1/3" || len(list) != 1 || list[0].ID != want[1] {
		t.Errorf("second page: %q, %d deliveries", cr, len(list))
	}

	// Rotation answers the new secret; the old one keeps signing a day.
	var rotated webhook.WithSecret
	f.do(http.MethodPost, path+"/rotate-secret", vend, nil, http.StatusOK, &rotated)
	if rotated.Secret == created.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.PreviousSecretExpires == nil ||
		rotated.PreviousSecretExpires.Sub(rotated.Updated).Hours() != 24 {
		t.Errorf("rotated = %+v", rotated)
	}

	// Redeliver queues a finished delivery; recover queues a time range.
	var queued webhook.Delivery
	f.do(http.MethodPost, path+"/deliveries/"+d.ID+"/redeliver", vend, nil, http.StatusAccepted, &queued)
	if queued.ID != d.ID {
		t.Errorf("redeliver answered %+v", queued)
	}
	var rec webhook.Recovery
	f.do(http.MethodPost, path+"/recover", vend, map[string]string{"since": "2026-01-01T00:00:00Z"}, http.StatusAccepted, &rec)
	if rec.WebhookID != created.ID || rec.Status != "queued" || rec.Progress != path+"/deliveries?status=failed" {
		t.Errorf("recover answered %+v", rec)
	}

	// Event types list descriptions and examples.
	var types []webhook.EventType
	f.do(http.MethodGet, "/public/v1/webhooks/event-types", f.provider.Token.Value, nil, http.StatusOK, &types)
	if len(types) != len(webhook.Catalog()) || types[0].Description == "" || len(types[0].Example) == 0 {
		t.Errorf("event types = %d", len(types))
	}

	// Another tenant sees nothing: 404, never 403.
	prov := f.provider.Token.Value
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, path}, {http.MethodPut, path}, {http.MethodDelete, path},
		{http.MethodPost, path + "/test"}, {http.MethodPost, path + "/rotate-secret"},
		{http.MethodGet, path + "/deliveries"}, {http.MethodPost, path + "/deliveries/" + d.ID + "/redeliver"},
		{http.MethodPost, path + "/recover"},
	} {
		var body any
		if c.method == http.MethodPut {
			body = map[string]any{"label": "mine now"}
		}
		if strings.HasSuffix(c.path, "/recover") {
			body = map[string]string{"since": "2026-01-01T00:00:00Z"}
		}
		connectError(t, f.call(c.method, c.path, prov, body), http.StatusNotFound, "OBJ_001", created.ID)
	}
	connectError(t, f.call(http.MethodPost, path+"/recover", prov, map[string]any{}), http.StatusNotFound, "OBJ_001", created.ID)
	var provList []webhook.Webhook
	f.do(http.MethodGet, "/public/v1/webhooks", prov, nil, http.StatusOK, &provList)
	if len(provList) != 0 {
		t.Errorf("the provider lists %d webhooks", len(provList))
	}

	// Delete, then it is gone.
	f.do(http.MethodDelete, path, vend, nil, http.StatusNoContent, nil)
	connectError(t, f.call(http.MethodGet, path, vend, nil), http.StatusNotFound, "OBJ_001")
	connectError(t, f.call(http.MethodDelete, path, vend, nil), http.StatusNotFound, "OBJ_001")
	connectError(t, f.call(http.MethodPost, path+"/recover", vend, map[string]any{}), http.StatusNotFound, "OBJ_001", created.ID)
}

func TestAPI_WebhookBadInput(t *testing.T) {
	f := newFixture(t)
	vend := f.vendor.Token.Value
	var w webhook.WithSecret
	f.do(http.MethodPost, "/public/v1/webhooks", vend, map[string]any{"label": "ok", "url": "http://127.0.0.1:9/hook"}, http.StatusCreated, &w)
	path := "/public/v1/webhooks/" + w.ID
	tests := []struct {
		name      string
		method    string
		path      string
		token     string
		body      any
		status    int
		code      string
		fragments []string
	}{
		{"admin may not", "POST", "/public/v1/webhooks", f.admin.Token.Value, map[string]any{"label": "x", "url": "https://93.184.216.34/"}, 403, "AUTH_002", []string{"vendor and provider"}},
		{"malformed JSON", "POST", "/public/v1/webhooks", vend, `{"label": "x",`, 400, "REQ_001", []string{"not valid JSON"}},
		{"empty body", "POST", "/public/v1/webhooks", vend, ``, 400, "REQ_001", []string{"empty"}},
		{"wrong type", "POST", "/public/v1/webhooks", vend, `{"label": "x", "url": 42}`, 400, "REQ_001", []string{`"url"`, "string"}},
		{"events not a list", "POST", "/public/v1/webhooks", vend, `{"label": "x", "url": "https://93.184.216.34/", "events": "order.created"}`, 400, "REQ_001", []string{"events", "array"}},
		{"unknown field", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "https://93.184.216.34/", "secret": "whsec_x"}, 400, "VAL_001", []string{"secret"}},
		{"everything missing", "POST", "/public/v1/webhooks", vend, map[string]any{}, 400, "VAL_001", []string{"label is required", "url is required"}},
		{"unknown event type", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "https://93.184.216.34/", "events": []string{"order.shipped"}}, 400, "VAL_001", []string{"order.shipped", "event-types"}},
		{"bad product", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "https://93.184.216.34/", "products": []string{"nope"}}, 400, "VAL_001", []string{`"NOPE"`, "product id"}},
		{"metadata url", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "https://169.254.169.254/latest"}, 400, "VAL_001", []string{"169.254.169.254", "link-local"}},
		// The test stack allows loopback (MERCATO_ALLOW_HTTP_LOOPBACK), as the
		// local one does; the guard's unit tests refuse it without the flag.
		{"ipv6 unique local url", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "https://[fd00::1]/"}, 400, "VAL_001", []string{"unique local"}},
		{"unspecified url", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "https://0.0.0.0/"}, 400, "VAL_001", []string{"unspecified"}},
		{"mapped loopback url", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "https://[::ffff:10.1.2.3]/"}, 400, "VAL_001", []string{"IPv4-mapped form of a private"}},
		{"private url", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "https://10.1.2.3/"}, 400, "VAL_001", []string{"private"}},
		{"cgnat url", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "https://100.64.0.1/"}, 400, "VAL_001", []string{"carrier-grade NAT"}},
		{"decimal url", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "http://2130706433/"}, 400, "VAL_001", []string{"non-standard spelling", "127.0.0.1"}},
		{"credentials in url", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "https://u:p@93.184.216.34/"}, 400, "VAL_001", []string{"credentials"}},
		{"http to a public host", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "http://93.184.216.34/"}, 400, "VAL_001", []string{"https"}},
		{"no host", "POST", "/public/v1/webhooks", vend, map[string]any{"label": "x", "url": "https:///x"}, 400, "VAL_001", []string{"host"}},
		{"update to a private url", "PUT", path, vend, map[string]any{"url": "https://192.168.1.1/"}, 400, "VAL_001", []string{"private"}},
		{"update wrong type", "PUT", path, vend, `{"active": "yes"}`, 400, "REQ_001", []string{`"active"`, "boolean"}},
		{"grace too long", "POST", path + "/rotate-secret", vend, map[string]any{"grace_period_seconds": 700000}, 400, "VAL_001", []string{"grace_period_seconds", "7 days"}},
		{"grace not a number", "POST", path + "/rotate-secret", vend, `{"grace_period_seconds": "1d"}`, 400, "REQ_001", []string{"grace_period_seconds"}},
		{"bad status filter", "GET", path + "/deliveries?status=done", vend, nil, 400, "VAL_001", []string{"status must be one of"}},
		{"bad event type filter", "GET", path + "/deliveries?event_type=nope", vend, nil, 400, "VAL_001", []string{"event_type"}},
		{"bad limit", "GET", path + "/deliveries?limit=-1", vend, nil, 400, "VAL_001", []string{"limit"}},
		{"unknown deliveries filter", "GET", path + "/deliveries?zzz=1", vend, nil, 400, "VAL_001", []string{"zzz", "allowed: status, event_type"}},
		{"broken deliveries RQL", "GET", path + "/deliveries?eq(", vend, nil, 400, "VAL_001", []string{"RQL", "eq("}},
		{"deliveries ordered by an unknown field", "GET", path + "/deliveries?ordering(zzz)", vend, nil, 400, "VAL_001", []string{"zzz"}},
		{"deliveries ordered", "GET", path + "/deliveries?ordering(status)", vend, nil, 400, "VAL_001", []string{"newest first"}},
		{"deliveries filtered by inequality", "GET", path + "/deliveries?status.ne=failed", vend, nil, 400, "VAL_001", []string{"equality", "ne"}},
		{"deliveries status twice", "GET", path + "/deliveries?status=failed&eq(status,pending)", vend, nil, 400, "VAL_001", []string{"status", "more than once"}},
		{"bad status in RQL", "GET", path + "/deliveries?eq(status,done)", vend, nil, 400, "VAL_001", []string{"status must be one of"}},
		{"unknown delivery", "POST", path + "/deliveries/DL-0000000000000-0000000000000000/redeliver", vend, nil, 404, "OBJ_001", []string{"DL-0000000000000-0000000000000000"}},
		{"recover without since", "POST", path + "/recover", vend, map[string]any{}, 400, "VAL_001", []string{"since must be an RFC 3339 time"}},
		{"recover in the future", "POST", path + "/recover", vend, map[string]any{"since": "2999-01-01T00:00:00Z"}, 400, "VAL_001", []string{"future"}},
		{"unknown webhook", "GET", "/public/v1/webhooks/WH-000-000-000", vend, nil, 404, "OBJ_001", []string{"WH-000-000-000"}},
		// An unknown webhook is 404 whatever the body.
		{"recover unknown webhook, empty object", "POST", "/public/v1/webhooks/WH-000-000-000/recover", vend, map[string]any{}, 404, "OBJ_001", []string{"WH-000-000-000"}},
		{"recover unknown webhook, future", "POST", "/public/v1/webhooks/WH-000-000-000/recover", vend, map[string]any{"since": "2999-01-01T00:00:00Z"}, 404, "OBJ_001", []string{"WH-000-000-000"}},
		{"recover unknown webhook, malformed", "POST", "/public/v1/webhooks/WH-000-000-000/recover", vend, `{"since": 5}`, 404, "OBJ_001", []string{"WH-000-000-000"}},
		{"rotate unknown webhook, grace too long", "POST", "/public/v1/webhooks/WH-000-000-000/rotate-secret", vend, map[string]any{"grace_period_seconds": 700000}, 404, "OBJ_001", []string{"WH-000-000-000"}},
		{"rotate unknown webhook, malformed", "POST", "/public/v1/webhooks/WH-000-000-000/rotate-secret", vend, `{"grace_period_seconds": "1d"}`, 404, "OBJ_001", []string{"WH-000-000-000"}},
		{"wrong method", "PATCH", path, vend, nil, 405, "REQ_005", []string{"PATCH"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			connectError(t, f.call(tt.method, tt.path, tt.token, tt.body), tt.status, tt.code, tt.fragments...)
		})
	}
	// A test attempt to an endpoint that refuses connections is recorded as
	// a failed delivery, which can then be redelivered but a refused
	// registration was never stored.
	var d webhook.Delivery
	f.do(http.MethodPost, path+"/test", vend, nil, http.StatusOK, &d)
	if d.Status != webhook.StatusFailed || len(d.Attempts) != 1 || d.Attempts[0].Error == "" || d.Attempts[0].StatusCode != 0 {
		t.Errorf("test of a closed port = %+v", d)
	}
	var all []webhook.Webhook
	f.do(http.MethodGet, "/public/v1/webhooks", vend, nil, http.StatusOK, &all)
	if len(all) != 1 {
		t.Errorf("%d webhooks stored, want only the valid one", len(all))
	}
}

func TestAPI_WebhookRedeliverPendingIsRefused(t *testing.T) {
	f := newFixture(t)
	vend := f.vendor.Token.Value
	var w webhook.WithSecret
	f.do(http.MethodPost, "/public/v1/webhooks", vend, map[string]any{"label": "ok", "url": "http://127.0.0.1:9/hook"}, http.StatusCreated, &w)
	// An event fanned out by the dispatcher to a closed port stays pending
	// on its retry schedule.
	raw, err := json.Marshal(map[string]any{"id": "EV-0000000000001-test", "type": "order.created", "created": "2026-11-22T10:00:00Z", "account": f.vendor.ID, "data": map[string]string{"id": "ORD-1"}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := f.app.LambdaHandler("dispatcher")
	if err != nil {
		t.Fatal(err)
	}
	batch, _ := json.Marshal(map[string]any{"Records": []map[string]any{{"messageId": "m1", "body": string(raw)}}})
	if _, err := h(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	var list []webhook.Delivery
	f.do(http.MethodGet, "/public/v1/webhooks/"+w.ID+"/deliveries?status=pending", vend, nil, http.StatusOK, &list)
	if len(list) != 1 || list[0].NextAttempt == nil {
		t.Fatalf("pending deliveries = %+v", list)
	}
	connectError(t, f.call(http.MethodPost, "/public/v1/webhooks/"+w.ID+"/deliveries/"+list[0].ID+"/redeliver", vend, nil),
		http.StatusBadRequest, "REQ_003", "pending")
}

package httpapi

import (
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ordering"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// FuzzDecodeJSON feeds arbitrary bodies to the decoders of the order,
// purchase request, cart, product, listing, request update and webhook
// bodies: every failure must be a 4xx domain error, never a panic or an
// internal error.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"lineItems":[{"offerId":"PRD-1:0001:MP-1","quantity":1,"PartnerIdOnRecord":"1"}],"billingCycle":"monthly"}`,
		`{"type":"purchase","asset":{"product":"PRD-1","items":[{"id":"x","quantity":"1.5"}],"params":[{"id":"p","value":"v"}]}}`,
		`{"name":"x","capabilities":{"auto_approve":{"enabled":true}}}`,
		`{"url":"https://example.com/h","events":["request.created"],"products":["PRD-1"],"active":true}`,
		`{"note":"n","asset":{"params":[{"id":"p","value":"v","value_error":"e"}]}}`, `{"since":"2026-11-01T00:00:00Z"}`,
		`{"lineItems":[{"quantity":"two"}]}`, `[`, `{"a":1} {}`, `null`, `{"quantity": 1e309}`,
	} {
		f.Add(seed)
	}
	// Every decoder a POST or PUT body of an order, a purchase request, a
	// fulfillment request update or a webhook goes through.
	strictly := func(target func() any) func(*http.Request, bool) error {
		return func(r *http.Request, strict bool) error { return codec.DecodeJSON(r, target(), strict) }
	}
	targets := []func(*http.Request, bool) error{
		strictly(func() any { return &ordering.OrderInput{} }),
		strictly(func() any { return &ordering.PurchaseRequestInput{} }),
		strictly(func() any { return &ordering.CartInput{} }),
		strictly(func() any { return &catalog.ProductInput{} }),
		strictly(func() any { return &catalog.ListingRequestInput{} }),
		strictly(func() any { return &webhook.Input{} }),
		strictly(func() any { return &webhook.RecoverInput{} }),
		func(r *http.Request, _ bool) error { _, err := decodeRequestUpdate(r); return err },
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, target := range targets {
			for _, strict := range []bool{false, true} {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
				r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1<<16)
				err := target(r, strict)
				if err == nil {
					continue
				}
				k := fault.KindOf(err)
				if k != fault.Malformed && k != fault.Invalid && k != fault.TooLarge {
					t.Fatalf("body %q: error of kind %v: %v", body, k, err)
				}
			}
		}
	})
}

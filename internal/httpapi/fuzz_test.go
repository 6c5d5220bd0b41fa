package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ordering"
)

// FuzzDecodeJSON feeds arbitrary bodies to the decoders of the order,
// purchase request, cart and product bodies: every failure must be a 4xx
// domain error, never a panic or an internal error.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"lineItems":[{"offerId":"PRD-1:0001:MP-1","quantity":1,"PartnerIdOnRecord":"1"}],"billingCycle":"monthly"}`,
		`{"type":"purchase","asset":{"product":"PRD-1","items":[{"id":"x","quantity":"1.5"}],"params":[{"id":"p","value":"v"}]}}`,
		`{"name":"x","capabilities":{"auto_approve":{"enabled":true}}}`,
		`{"lineItems":[{"quantity":"two"}]}`, `[`, `{"a":1} {}`, `null`, `{"quantity": 1e309}`,
	} {
		f.Add(seed)
	}
	targets := []func() any{
		func() any { return &ordering.OrderInput{} },
		func() any { return &ordering.PurchaseRequestInput{} },
		func() any { return &ordering.CartInput{} },
		func() any { return &catalog.ProductInput{} },
		func() any { return &catalog.ListingRequestInput{} },
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, target := range targets {
			for _, strict := range []bool{false, true} {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
				r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1<<16)
				err := decodeJSON(r, target(), strict)
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

package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/httpapi"
	"github.com/mercato-dev/mercato/internal/httpapi/files"
	"github.com/mercato-dev/mercato/internal/mock"
	"github.com/mercato-dev/mercato/internal/ordering"
	"github.com/mercato-dev/mercato/internal/usage"
)

// The domain services satisfy the API's interfaces, and so do the mocks.
var (
	_ httpapi.CatalogService  = (*catalog.Service)(nil)
	_ httpapi.AccountService  = (*account.Service)(nil)
	_ httpapi.OrderingService = (*ordering.Service)(nil)

	_ httpapi.AccountService     = (*mock.AccountService)(nil)
	_ httpapi.CatalogService     = (*mock.CatalogService)(nil)
	_ httpapi.FulfillmentService = (*mock.FulfillmentService)(nil)
	_ httpapi.WebhookService     = (*mock.WebhookService)(nil)
	_ files.UsageService         = (*mock.UsageService)(nil)
	_ files.InvoiceService       = (*mock.InvoiceService)(nil)
	_ files.UsageService         = (*usage.Service)(nil)
	_ files.InvoiceService       = (*billing.Reader)(nil)
	_ httpapi.OrderingService    = (*mock.OrderingService)(nil)
)

// mockAPI is the API on mock services: routing, decoding and the error
// mapping, without the emulator. A token "ApiKey <type>" authenticates as
// an account of that type.
type mockAPI struct {
	h        http.Handler
	catalog  *mock.CatalogService
	ordering *mock.OrderingService
	invoices *mock.InvoiceService
}

func newMockAPI(t *testing.T) *mockAPI {
	t.Helper()
	accounts := &mock.AccountService{AuthenticateFn: func(_ context.Context, header string) (account.Principal, error) {
		typ, ok := strings.CutPrefix(header, "ApiKey ")
		if !ok || !account.Type(typ).Valid() {
			return account.Principal{}, fault.Unauthorizedf("missing or invalid token")
		}
		return account.Principal{AccountID: "XA-" + typ, AccountType: account.Type(typ), TokenID: "TK-1"}, nil
	}}
	m := &mockAPI{catalog: &mock.CatalogService{}, ordering: &mock.OrderingService{}, invoices: &mock.InvoiceService{}}
	m.h = httpapi.New(httpapi.Config{
		Accounts: accounts, Catalog: m.catalog, Ordering: m.ordering,
		Fulfillment: &mock.FulfillmentService{}, Webhooks: &mock.WebhookService{},
		Routes: files.Routes(files.Config{Usage: &mock.UsageService{}, Invoices: m.invoices, Catalog: m.catalog,
			Logger: slog.New(slog.DiscardHandler)}),
		Logger: slog.New(slog.DiscardHandler),
	})
	return m
}

// answer is what a test reads of a response: status, error code of either
// face, first message and the Retry-After header.
type answer struct {
	status     int
	code       string
	message    string
	retryAfter string
}

func (m *mockAPI) do(t *testing.T, method, path, accountType, body string) (answer, *httptest.ResponseRecorder) {
	t.Helper()
	rec := stacktest.Call(t, m.h, method, path, stacktest.APIKey(accountType), body)
	a := answer{status: rec.Code, retryAfter: rec.Header().Get("Retry-After")}
	if rec.Code < 400 {
		return a, rec
	}
	var e struct {
		ErrorCode   string   `json:"error_code"`
		Errors      []string `json:"errors"`
		Code        int      `json:"code"`
		Description string   `json:"description"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("%s %s: error body %q: %v", method, path, rec.Body, err)
	}
	a.code, a.message = e.ErrorCode, e.Description
	if strings.HasPrefix(path, "/v1/") {
		a.code = fmt.Sprint(e.Code)
	} else if len(e.Errors) > 0 {
		a.message = e.Errors[0]
	}
	return a, rec
}

func TestServer_Routing(t *testing.T) {
	tests := []struct {
		name, method, path, account string
		want                        answer
	}{
		{"no token learns nothing of the paths", http.MethodGet, "/public/v1/no-such-thing", "", answer{status: 401, code: "AUTH_001"}},
		{"unknown path", http.MethodGet, "/public/v1/no-such-thing", "vendor", answer{status: 404, code: "OBJ_001"}},
		{"unknown path, Partner Center face", http.MethodGet, "/v1/no-such-thing", "provider", answer{status: 404, code: "800404"}},
		{"wrong method", http.MethodPatch, "/public/v1/products", "vendor", answer{status: 405, code: "REQ_005"}},
		{"vendor-only route as a provider", http.MethodGet, "/public/v1/products", "provider", answer{status: 403, code: "AUTH_002"}},
		{"provider-only route as a vendor", http.MethodGet, "/v1/products/PRD-1", "vendor", answer{status: 403, code: "800403"}},
	}
	m := newMockAPI(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rec := m.do(t, tt.method, tt.path, tt.account, "")
			got.message, got.retryAfter = "", ""
			if got != tt.want {
				t.Errorf("%s %s = %+v, want %+v: %s", tt.method, tt.path, got, tt.want, rec.Body)
			}
		})
	}
}

// TestServer_RoutingPathValues: the route's path values and the caller
// reach the service, and its result is the answer.
func TestServer_RoutingPathValues(t *testing.T) {
	m := newMockAPI(t)
	m.catalog.GetItemFn = func(_ context.Context, actor account.Principal, productID, itemID string) (catalog.Item, error) {
		if actor.AccountType != account.Provider {
			t.Errorf("actor = %+v, want the provider", actor)
		}
		return catalog.Item{ID: itemID, Name: "item of " + productID}, nil
	}
	got, rec := m.do(t, http.MethodGet, "/public/v1/products/PRD-1/items/PRD-1-0001", "provider", "")
	if got.status != http.StatusOK {
		t.Fatalf("status = %d: %s", got.status, rec.Body)
	}
	var it catalog.Item
	if err := json.Unmarshal(rec.Body.Bytes(), &it); err != nil || it.ID != "PRD-1-0001" || it.Name != "item of PRD-1" {
		t.Errorf("item = %+v (%v), want PRD-1-0001 of PRD-1: %s", it, err, rec.Body)
	}
}

func TestServer_Decoding(t *testing.T) {
	tests := []struct {
		name, body string
		want       answer
	}{
		{"empty body", "", answer{status: 400, code: "REQ_001", message: "request body is empty; send a JSON object"}},
		{"not JSON", "{", answer{status: 400, code: "REQ_001", message: "request body is not valid JSON: it ends too early"}},
		{"wrong type", `{"name": 5}`, answer{status: 400, code: "REQ_001", message: `field "name" must be a string, not number`}},
		{"unknown field", `{"nmae": "x"}`, answer{status: 400, code: "VAL_001", message: `unknown field "nmae"`}},
		{"data after the value", `{"name": "x"} {}`, answer{status: 400, code: "REQ_001", message: "request body has data after the JSON value"}},
		{"over the limit", `{"name": "` + strings.Repeat("x", 1<<20) + `"}`, answer{status: 413, code: "REQ_002"}},
	}
	m := newMockAPI(t)
	m.catalog.CreateProductFn = func(context.Context, account.Principal, catalog.ProductInput) (catalog.Product, error) {
		t.Error("a body that does not decode reached the service")
		return catalog.Product{}, nil
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rec := m.do(t, http.MethodPost, "/public/v1/products", "vendor", tt.body)
			if tt.want.message == "" {
				got.message = ""
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v: %s", got, tt.want, rec.Body)
			}
		})
	}
	t.Run("a good body reaches the service", func(t *testing.T) {
		var name string
		m.catalog.CreateProductFn = func(_ context.Context, _ account.Principal, in catalog.ProductInput) (catalog.Product, error) {
			name = aws.ToString(in.Name)
			return catalog.Product{ID: "PRD-1", Name: name}, nil
		}
		got, rec := m.do(t, http.MethodPost, "/public/v1/products", "vendor", `{"NAME": "Cloud"}`)
		if got.status != http.StatusCreated || name != "Cloud" {
			t.Errorf("status %d, name %q; want 201 and Cloud (property names match in any case): %s", got.status, name, rec.Body)
		}
	})
}

// TestServer_ErrorMapping: each way a service fails becomes the status and
// code of its kind, on both faces; throttling that the storage layer
// reports answers 503 with Retry-After.
func TestServer_ErrorMapping(t *testing.T) {
	throttled := dynamo.Unavailable(fmt.Errorf("dynamo: get: %w", &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}))
	tests := []struct {
		name          string
		err           error
		connect, pcen answer
	}{
		{"not found", fault.NotFoundf("product PRD-9 not found"),
			answer{status: 404, code: "OBJ_001", message: "product PRD-9 not found"}, answer{status: 404, code: "800404", message: "product PRD-9 not found"}},
		{"a specific code", fault.Invalidf("country must be two letters").WithCode("VAL_007").WithPartnerCode(800009),
			answer{status: 400, code: "VAL_007", message: "country must be two letters"}, answer{status: 400, code: "800009", message: "country must be two letters"}},
		{"conflict", fault.Conflictf("changed meanwhile"),
			answer{status: 409, code: "OBJ_002", message: "changed meanwhile"}, answer{status: 409, code: "800409", message: "changed meanwhile"}},
		{"throttled past the SDK's retries", throttled,
			answer{status: 503, code: "SYS_003", message: unavailableMessage, retryAfter: "1"}, answer{status: 503, code: "800503", message: unavailableMessage, retryAfter: "1"}},
		{"a bug says nothing of itself", errors.New("nil map in offer.go:92"),
			answer{status: 500, code: "SYS_001", message: internalMessage}, answer{status: 500, code: "800000", message: internalMessage}},
	}
	m := newMockAPI(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail := func(context.Context, account.Principal, string) (catalog.Product, error) {
				return catalog.Product{}, tt.err
			}
			m.catalog.GetProductFn = fail
			m.catalog.ProviderOfferFn = func(context.Context, account.Principal, string, string) (catalog.Offer, error) {
				return catalog.Offer{}, tt.err
			}
			if got, rec := m.do(t, http.MethodGet, "/public/v1/products/PRD-9", "vendor", ""); got != tt.connect {
				t.Errorf("Connect face: got %+v, want %+v: %s", got, tt.connect, rec.Body)
			}
			if got, rec := m.do(t, http.MethodGet, "/v1/products/PRD-9", "provider", ""); got != tt.pcen {
				t.Errorf("Partner Center face: got %+v, want %+v: %s", got, tt.pcen, rec.Body)
			}
		})
	}
}

const (
	unavailableMessage = "the service is briefly unavailable; send the same request again (with the same idempotency key) after Retry-After seconds"
	internalMessage    = "internal error; quote the X-Request-Id header when reporting it"
)

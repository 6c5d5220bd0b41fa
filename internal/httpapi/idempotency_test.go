package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ordering"
)

// claims is the ordering service's idempotency records in memory: a create
// under a used key fails its condition, as the real transaction does.
type claims struct {
	t       *testing.T
	records map[string]ordering.Record
	// fail, when set, is the error of the creates: the request is refused
	// (or the platform fails) before the claim is checked.
	fail error
}

func (c *claims) createCustomer(_ context.Context, actor account.Principal, in ordering.CustomerInput, claim *ordering.Claim) (ordering.Customer, error) {
	if c.fail != nil {
		return ordering.Customer{}, c.fail
	}
	cu := ordering.Customer{ID: "CU-" + in.CompanyProfile.CompanyName, CompanyProfile: in.CompanyProfile}
	if claim == nil {
		return cu, nil
	}
	if claim.Account != actor.AccountID {
		c.t.Errorf("claim of account %q, want the caller's %q", claim.Account, actor.AccountID)
	}
	if _, used := c.records[claim.Key]; used {
		return ordering.Customer{}, &dynamo.ConditionFailedError{Labels: []string{"idempotency"}}
	}
	created, err := json.Marshal(cu)
	if err != nil {
		c.t.Fatal(err)
	}
	c.records[claim.Key] = ordering.Record{Hash: claim.Hash, Created: created}
	return cu, nil
}

func (c *claims) remembered(_ context.Context, _, key string) (*ordering.Record, error) {
	if rec, ok := c.records[key]; ok {
		return &rec, nil
	}
	return nil, nil
}

// TestServer_Idempotency: a create with a key answers a retry with the
// first answer, byte for byte, whether the retry finds the key used or is
// refused for a reason that came up since; another body under the key is
// a 409, and a failure of the platform is never replayed.
func TestServer_Idempotency(t *testing.T) {
	m := newMockAPI(t)
	c := &claims{t: t, records: map[string]ordering.Record{}}
	m.ordering.CreateCustomerFn = c.createCustomer
	m.ordering.RememberedFn = c.remembered
	const contoso = `{"companyProfile": {"companyName": "Contoso"}}`
	post := func(key, body string) (int, string, string) {
		t.Helper()
		rec := stacktest.Call(t, m.h, http.MethodPost, "/v1/customers", stacktest.APIKey("provider"), body, "Idempotency-Key", key)
		return rec.Code, rec.Body.String(), rec.Header().Get("Idempotent-Replayed")
	}
	status, first, replayed := post("k1", contoso)
	if status != http.StatusCreated || replayed != "" || !strings.Contains(first, `"id":"CU-Contoso"`) {
		t.Fatalf("first = %d %q (replayed %q), want 201 with the customer", status, first, replayed)
	}
	tests := []struct {
		name, key, body string
		fail            error
		status          int
		replayed        string
	}{
		{"a retry", "k1", contoso, nil, http.StatusCreated, "true"},
		{"a retry in other white space and key order", "k1", `{ "companyProfile":{"companyName":"Contoso"} }`, nil, http.StatusCreated, "true"},
		{"a retry refused since", "k1", contoso, fault.Invalidf("too late"), http.StatusCreated, "true"},
		{"another body", "k1", `{"companyProfile": {"companyName": "Fabrikam"}}`, nil, http.StatusConflict, ""},
		{"a platform failure", "k1", contoso, &fault.Error{Kind: fault.Unavailable}, http.StatusServiceUnavailable, ""},
		{"a key too long", strings.Repeat("k", 256), contoso, nil, http.StatusBadRequest, ""},
		{"no key", "", `{"companyProfile": {"companyName": "Fabrikam"}}`, nil, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.fail = tt.fail
			status, body, replayed := post(tt.key, tt.body)
			if status != tt.status || replayed != tt.replayed {
				t.Fatalf("= %d (replayed %q), want %d (replayed %q): %s", status, replayed, tt.status, tt.replayed, body)
			}
			if tt.replayed != "" && body != first {
				t.Errorf("replayed %q, want the first answer %q", body, first)
			}
		})
	}
}

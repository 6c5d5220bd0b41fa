package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type pcPageAnswer struct {
	TotalCount int `json:"totalCount"`
	Items      []struct {
		ID string `json:"id"`
	} `json:"items"`
	ContinuationToken string `json:"continuationToken"`
	Links             map[string]struct {
		URI     string `json:"uri"`
		Headers []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"headers"`
	} `json:"links"`
}

// TestPartnerCollections_Page: customers page by size with Partner
// Center's continuation (seekOperation=Next and MS-ContinuationToken), the
// next link carrying both, and bad sizes and tokens answer 400.
func TestPartnerCollections_Page(t *testing.T) {
	s := newShop(t)
	pr := s.provider.Token.Value
	want := []string{s.customer}
	for range 4 {
		want = append(want, s.newCustomer(t, pr))
	}
	var got []string
	path, token := "/v1/customers?size=2", ""
	for n := 0; n < 5; n++ {
		var hdr []string
		if token != "" {
			hdr = []string{"MS-ContinuationToken", token}
		}
		res := s.call(http.MethodGet, path, pr, nil, hdr...)
		if res.status != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, res.status, res.body)
		}
		var page pcPageAnswer
		if err := json.Unmarshal(res.body, &page); err != nil {
			t.Fatal(err)
		}
		if page.TotalCount != len(page.Items) || len(page.Items) > 2 {
			t.Errorf("page of %d items says totalCount %d", len(page.Items), page.TotalCount)
		}
		for _, it := range page.Items {
			got = append(got, it.ID)
		}
		next, ok := page.Links["next"]
		if !ok {
			break
		}
		if len(next.Headers) != 1 || next.Headers[0].Key != "MS-ContinuationToken" || next.Headers[0].Value != page.ContinuationToken {
			t.Fatalf("next link %+v does not carry the token %q", next, page.ContinuationToken)
		}
		path, token = next.URI, page.ContinuationToken
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("customers through the pages (-want +got):\n%s", diff)
	}
	bad := []struct {
		name, path string
		hdr        []string
	}{
		{"size 0", "/v1/customers?size=0", nil},
		{"size past the maximum", "/v1/customers?size=501", nil},
		{"next without a token", "/v1/customers?size=2&seekOperation=Next", nil},
		{"a malformed token", "/v1/customers?size=2&seekOperation=Next", []string{"MS-ContinuationToken", "nonsense"}},
		{"another collection's token", "/v1/customers/" + s.customer + "/orders?seekOperation=Next", []string{"MS-ContinuationToken", token}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if res := s.call(http.MethodGet, tc.path, pr, nil, tc.hdr...); res.status != http.StatusBadRequest {
				t.Errorf("GET %s = %d %s, want 400", tc.path, res.status, res.body)
			}
		})
	}
}

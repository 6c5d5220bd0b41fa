package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
)

func TestAPI_Marketplaces(t *testing.T) {
	f := newFixture(t)
	prov := f.provider.Token.Value
	var mp catalog.Marketplace
	f.do(http.MethodPost, "/public/v1/marketplaces", prov,
		map[string]any{"name": "US & Canada", "currency": "usd", "countries": []string{"us", "CA", "US"}}, http.StatusCreated, &mp)
	if mp.Currency != "USD" || !cmp.Equal(mp.Countries, catalog.Codes{"CA", "US"}) || mp.Owner.ID != f.provider.ID {
		t.Fatalf("marketplace = %+v", mp)
	}

	// Providers see their own; vendors see every marketplace; another
	// provider gets 404.
	var got catalog.Marketplace
	f.do(http.MethodGet, "/public/v1/marketplaces/"+mp.ID, prov, nil, http.StatusOK, &got)
	f.do(http.MethodGet, "/public/v1/marketplaces/"+mp.ID, f.vendor.Token.Value, nil, http.StatusOK, &got)
	other := f.createAccount(account.Provider, "Other Hub")
	connectError(t, f.call(http.MethodGet, "/public/v1/marketplaces/"+mp.ID, other.Token.Value, nil), http.StatusNotFound, "OBJ_001", mp.ID)
	var list []catalog.Marketplace
	f.do(http.MethodGet, "/public/v1/marketplaces", other.Token.Value, nil, http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("another provider lists %d marketplaces", len(list))
	}
	f.do(http.MethodGet, "/public/v1/marketplaces", prov, nil, http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != mp.ID {
		t.Errorf("own list = %+v", list)
	}

	// The list takes the same filters and RQL as the other /public/v1 lists.
	var eu catalog.Marketplace
	f.do(http.MethodPost, "/public/v1/marketplaces", prov,
		map[string]any{"name": "Europe", "currency": "EUR", "countries": []string{"DE"}}, http.StatusCreated, &eu)
	filters := []struct {
		query string
		want  []string
		rng   string
	}{
		{"eq(name,Europe)", []string{eu.ID}, "items 0-0/1"},
		{"eq(name,Nope)", nil, "items 0-0/0"},
		{"currency=USD", []string{mp.ID}, "items 0-0/1"},
		{"ordering(-name)&limit=1", []string{mp.ID}, "items 0-0/2"},
		{"ordering(-created)&limit=1&offset=1", []string{mp.ID}, "items 1-1/2"},
	}
	for _, tt := range filters {
		t.Run(tt.query, func(t *testing.T) {
			var got []catalog.Marketplace
			res := f.do(http.MethodGet, "/public/v1/marketplaces?"+tt.query, prov, nil, http.StatusOK, &got)
			var ids []string
			for _, m := range got {
				ids = append(ids, m.ID)
			}
			if !cmp.Equal(ids, tt.want) || res.header.Get("Content-Range") != tt.rng {
				t.Errorf("ids = %v, Content-Range %q; want %v, %q", ids, res.header.Get("Content-Range"), tt.want, tt.rng)
			}
		})
	}
	connectError(t, f.call(http.MethodGet, "/public/v1/marketplaces?colour=red", prov, nil), 400, "VAL_001", "colour")

	tests := []struct {
		name      string
		token     string
		body      any
		status    int
		code      string
		fragments []string
	}{
		{"vendor may not", f.vendor.Token.Value, map[string]any{"name": "x", "currency": "USD", "countries": []string{"US"}}, 403, "AUTH_002", []string{"provider"}},
		{"bad currency", prov, map[string]any{"name": "x", "currency": "DOLLARS", "countries": []string{"US"}}, 400, "VAL_001", []string{"ISO 4217"}},
		{"unknown currency", prov, map[string]any{"name": "x", "currency": "XYZ", "countries": []string{"US"}}, 400, "VAL_001", []string{"ISO 4217"}},
		{"bad country", prov, map[string]any{"name": "x", "currency": "EUR", "countries": []string{"ZZ", "Germany"}}, 400, "VAL_001", []string{`"ZZ"`, `"GERMANY"`}},
		{"no countries", prov, map[string]any{"name": "x", "currency": "EUR"}, 400, "VAL_001", []string{"countries"}},
		{"countries not a list", prov, `{"name": "x", "currency": "EUR", "countries": "DE"}`, 400, "REQ_001", []string{"countries", "array"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			connectError(t, f.call(http.MethodPost, "/public/v1/marketplaces", tt.token, tt.body), tt.status, tt.code, tt.fragments...)
		})
	}
}

package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/httpapi"
)

// TestAPI_EveryEndpointRefusesBadInput sends every route of the router —
// so a new endpoint is covered the day it is added — no token, a bad token,
// malformed JSON, a body of the wrong type, an oversize body, unknown ids
// and another tenant's ids, as each account type. Every answer must be a
// 4xx in the error shape of its API face; a 5xx fails the test.
func TestAPI_EveryEndpointRefusesBadInput(t *testing.T) {
	s := newShop(t)
	var order struct {
		ID        string `json:"id"`
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"lineItems"`
	}
	s.do(http.MethodPost, s.ordersPath(), s.provider.Token.Value, map[string]any{"lineItems": []any{s.line(s.lab.item, 1)}}, http.StatusCreated, &order)
	sub := order.LineItems[0].SubscriptionID
	// The shop's objects, by the path parameter that names them. Marketplaces
	// are left out: every vendor may read them, to choose where to list.
	theirs := map[string]string{
		"/products/{id}":         s.lab.product.ID,
		"{item_id}":              s.lab.item.ID,
		"{template_id}":          s.lab.template.ID,
		"{param_id}":             s.lab.param.ID,
		"/customers/{id}":        s.customer,
		"{order}":                order.ID,
		"{sub}":                  sub,
		"/assets/{id}":           sub,
		"/requests/{id}":         strings.Replace(sub, "AS-", "PR-", 1) + "-001",
		"/v1/products/{id}":      s.lab.product.ID,
		"{sku}":                  s.lab.item.LocalID,
		"{availability}":         s.mp.ID,
		"/auth/tokens/{id}":      s.vendor.Token.ID,
		"/accounts/{id}":         s.vendor.ID,
		"/listing-requests/{id}": "LSTR-000-000-000-000",
		"/listings/{id}":         "LST-000-000-000",
	}
	otherVendor := s.createAccount(account.Vendor, "Intruder Vendor")
	otherProvider := s.createAccount(account.Provider, "Intruder Hub")
	callers := map[string]string{
		"none": "", "bad token": "SU-000-000-000:nope",
		"other vendor": otherVendor.Token.Value, "other provider": otherProvider.Token.Value,
	}
	bodies := map[string]string{
		"malformed": `{"name": `, "wrong type": `["not", "an", "object"]`,
		"oversize": `{"name": "` + strings.Repeat("a", 11<<20) + `"}`,
	}
	routes := s.api.(*httpapi.Server).Routes()
	param := regexp.MustCompile(`\{[^}]+\}`)
	checked := 0
	send := func(rt httpapi.RouteInfo, path, who, token, kind, body string) {
		res := s.call(rt.Method, path, "", body, "Authorization", authHeader(token))
		checked++
		assertClientError(t, rt.Method+" "+path+" as "+who+" with "+kind, res)
	}
	for _, rt := range routes {
		if rt.Public {
			continue
		}
		write := rt.Method == http.MethodPost || rt.Method == http.MethodPut || rt.Method == http.MethodPatch
		hasIDs := param.MatchString(rt.Path)
		for _, ids := range []string{"theirs", "unknown"} {
			if ids == "unknown" && !hasIDs {
				continue
			}
			path := fillPath(rt.Path, param, theirs, ids == "unknown")
			for who, token := range callers {
				anonymous := who == "none" || who == "bad token"
				switch {
				case anonymous:
					send(rt, path, who, token, "no body", "")
				case write:
					for kind, body := range bodies {
						send(rt, path, who, token, kind+" body", body)
					}
				case hasIDs:
					// Reads and deletes of another tenant's or unknown ids.
					send(rt, path, who, token, ids+" ids", "")
				}
			}
		}
	}
	t.Logf("%d requests over %d routes", checked, len(routes))
}

func authHeader(token string) string {
	if token == "" {
		return ""
	}
	return "ApiKey " + token
}

// fillPath puts the shop's ids (or unknown ones) in the path's parameters.
func fillPath(path string, param *regexp.Regexp, theirs map[string]string, unknown bool) string {
	return param.ReplaceAllStringFunc(path, func(p string) string {
		if unknown {
			return "ZZ-000-000-000"
		}
		for key, id := range theirs {
			if strings.Contains(key, p) && strings.Contains(path, strings.TrimSuffix(strings.SplitN(key, p, 2)[0], "/")) {
				return id
			}
		}
		return "ZZ-000-000-000"
	})
}

func assertClientError(t *testing.T, what string, res response) {
	t.Helper()
	if res.status < 400 || res.status >= 500 {
		t.Errorf("%s: %d %.200s", what, res.status, res.body)
		return
	}
	var body map[string]any
	if err := json.Unmarshal(res.body, &body); err != nil {
		t.Errorf("%s: %d with a body that is not JSON: %.200s", what, res.status, res.body)
		return
	}
	_, connect := body["error_code"]
	_, partner := body["code"]
	if strings.Contains(what, " /v1/") != partner || connect == partner {
		t.Errorf("%s: %d in the wrong error shape: %.200s", what, res.status, res.body)
	}
}

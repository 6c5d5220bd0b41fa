package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/pclink"
)

const get, post, put, del, patch = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch

func buildProduct(ctx context.Context, s *story) (string, error) {
	c := s.c
	var p struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, post, "/public/v1/products", s.vendor, map[string]any{
		"name": "Connect Web Conference Software", "short_description": "HD video meetings for teams",
		"detailed_description": "# Connect Web Conference\nMeetings, recordings and chat.", "category": "Collaboration",
		"capabilities": map[string]any{"suspend_resume_supported": true},
	}, 201, &p); err != nil {
		return "", err
	}
	s.product = p.ID
	base := "/public/v1/products/" + p.ID
	var items []item
	var params []struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, get, base+"/items", s.vendor, nil, 200, &items); err != nil {
		return "", err
	}
	if err := c.call(ctx, get, base+"/parameters", s.vendor, nil, 200, &params); err != nil {
		return "", err
	}
	for _, it := range items {
		if err := c.call(ctx, del, base+"/items/"+it.ID, s.vendor, nil, 204, nil); err != nil {
			return "", err
		}
	}
	for _, pr := range params {
		if err := c.call(ctx, del, base+"/parameters/"+pr.ID, s.vendor, nil, 204, nil); err != nil {
			return "", err
		}
	}
	if err := c.call(ctx, post, base+"/items", s.vendor, map[string]any{"name": "SKU Users", "mpn": "MPN-246-USERS",
		"type": "reservation", "period": "monthly", "unit": "users", "min_quantity": 1, "max_quantity": 500}, 201, &s.users); err != nil {
		return "", err
	}
	if err := c.call(ctx, post, base+"/items", s.vendor, map[string]any{"name": "Recording minutes", "mpn": "MPN-246-MIN",
		"type": "ppu", "unit": "minutes", "precision": "decimal(2)"}, 201, &s.minutes); err != nil {
		return "", err
	}
	var prm struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, post, base+"/parameters", s.vendor, map[string]any{"name": "param_admin_email", "title": "Administrator email",
		"description": "The customer's administrator", "type": "email", "scope": "asset", "phase": "fulfillment",
		"constraints": map[string]any{"required": true}}, 201, &prm); err != nil {
		return "", err
	}
	s.param = prm.ID
	var tl struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, post, base+"/templates", s.vendor, map[string]any{"type": "fulfillment", "scope": "asset", "title": "Activation",
		"body": "# Welcome to Connect Web Conference\nYour administrator account **{{ param_admin_email }}** is ready for asset {{ asset.id }}."}, 201, &tl); err != nil {
		return "", err
	}
	s.template = tl.ID
	if err := c.call(ctx, post, base+"/publish", s.vendor, nil, 201, nil); err != nil {
		return "", err
	}
	var lr struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, post, "/public/v1/listing-requests", s.vendor, map[string]any{"product": p.ID, "marketplace": s.mp,
		"prices": []any{
			map[string]any{"item": s.users.ID, "price": "12.00", "terms": []string{"P1M"}},
			map[string]any{"item": s.minutes.ID, "price": "0.04"},
		}}, 201, &lr); err != nil {
		return "", err
	}
	if err := c.call(ctx, post, "/public/v1/listing-requests/"+lr.ID+"/approve", s.provider, nil, 200, nil); err != nil {
		return "", err
	}
	return fmt.Sprintf("product %s v1, items %s and %s, parameter %s, template %s, listed on %s (%s)", p.ID, s.users.ID, s.minutes.ID, s.param, s.template, s.mp, lr.ID), nil
}

func registerWebhook(ctx context.Context, s *story) (string, error) {
	var wh struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if err := s.c.call(ctx, post, "/public/v1/webhooks", s.vendor, map[string]any{"label": "demo receiver", "url": s.hooks.url}, 201, &wh); err != nil {
		return "", err
	}
	if err := s.hooks.setSecret(wh.Secret); err != nil {
		return "", err
	}
	// Another account cannot see it.
	if err := s.c.call(ctx, get, "/public/v1/webhooks/"+wh.ID, s.provider, nil, 404, nil); err != nil {
		return "", err
	}
	return fmt.Sprintf("webhook %s → %s", wh.ID, s.hooks.url), nil
}

func placeOrder(ctx context.Context, s *story) (string, error) {
	var cust struct {
		ID string `json:"id"`
	}
	if err := s.c.call(ctx, post, "/v1/customers", s.provider, map[string]any{
		"companyProfile": map[string]any{"companyName": "Fabrikam Inc."},
		"billingProfile": map[string]any{"email": "billing@fabrikam.example", "defaultAddress": map[string]any{"country": "US", "city": "Seattle", "addressLine1": "1 Pine St", "postalCode": "98101"}},
	}, 201, &cust); err != nil {
		return "", err
	}
	s.customer = cust.ID
	offer := func(it item) string { return fmt.Sprintf("%s:%s:%s", s.product, it.LocalID, s.mp) }
	// The request example of 002_*, with real catalog items.
	body := fmt.Sprintf(`{
    "PartnerOnRecordAttestationAccepted":true,
    "lineItems": [
        {"offerId": %q, "quantity": 5, "lineItemNumber": 0, "PartnerIdOnRecord": "873452", "AdditionalPartnerIdsOnRecord":["4847383","873452"]},
        {"offerId": %q, "quantity": 1, "lineItemNumber": 1}
    ],
    "billingCycle": "monthly"
}`, offer(s.users), offer(s.minutes))
	var o struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"lineItems"`
	}
	if err := s.c.call(ctx, post, "/v1/customers/"+cust.ID+"/orders", s.provider, rawJSON(body), 201, &o, "MS-RequestId", "demo-"+cust.ID); err != nil {
		return "", err
	}
	if o.Status != "pending" || len(o.LineItems) != 2 {
		return "", fmt.Errorf("order %+v", o)
	}
	s.order, s.subUsers, s.subPPU = o.ID, o.LineItems[0].SubscriptionID, o.LineItems[1].SubscriptionID
	return fmt.Sprintf("customer %s, order %s, subscriptions %s and %s", cust.ID, o.ID, s.subUsers, s.subPPU), nil
}

type request struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"`
}

// requestOf waits for the open request of an asset in the vendor's queue.
func (s *story) requestOf(ctx context.Context, asset, typ string) (request, error) {
	var found request
	err := eventually(ctx, 20*time.Second, func() error {
		var rs []request
		if err := s.c.call(ctx, get, "/public/v1/requests?asset.id="+asset+"&type="+typ+"&status=pending", s.vendor, nil, 200, &rs); err != nil {
			return err
		}
		if len(rs) == 0 {
			return fmt.Errorf("no pending %s request for %s in the vendor's queue", typ, asset)
		}
		found = rs[0]
		return nil
	})
	return found, err
}

func (s *story) setParam(ctx context.Context, reqID, value, valueError string) error {
	return s.c.call(ctx, put, "/public/v1/requests/"+reqID, s.vendor, map[string]any{"asset": map[string]any{
		"params": []any{map[string]any{"id": "param_admin_email", "value": value, "value_error": valueError}}}}, 200, nil)
}

func (s *story) approve(ctx context.Context, reqID string) error {
	var r request
	if err := s.c.call(ctx, post, "/public/v1/requests/"+reqID+"/approve", s.vendor, map[string]any{"template_id": s.template}, 200, &r); err != nil {
		return err
	}
	if r.Status != "approved" {
		return fmt.Errorf("request %s is %s after approve", reqID, r.Status)
	}
	return nil
}

func fulfill(ctx context.Context, s *story) (string, error) {
	r, err := s.requestOf(ctx, s.subUsers, "purchase")
	if err != nil {
		return "", err
	}
	if err := s.setParam(ctx, r.ID, "", "Please tell us who administers the account"); err != nil {
		return "", err
	}
	if err := s.c.call(ctx, post, "/public/v1/requests/"+r.ID+"/inquire", s.vendor, nil, 200, nil); err != nil {
		return "", err
	}
	if err := s.c.call(ctx, post, "/public/v1/requests/"+r.ID+"/pend", s.vendor, nil, 200, nil); err != nil {
		return "", err
	}
	if err := s.setParam(ctx, r.ID, "admin@fabrikam.example", ""); err != nil {
		return "", err
	}
	if err := s.approve(ctx, r.ID); err != nil {
		return "", err
	}
	ppu, err := s.requestOf(ctx, s.subPPU, "purchase")
	if err != nil {
		return "", err
	}
	if err := s.setParam(ctx, ppu.ID, "admin@fabrikam.example", ""); err != nil {
		return "", err
	}
	if err := s.approve(ctx, ppu.ID); err != nil {
		return "", err
	}
	return fmt.Sprintf("requests %s and %s approved with template %s", r.ID, ppu.ID, s.template), nil
}

func checkActive(ctx context.Context, s *story) (string, error) {
	base := "/v1/customers/" + s.customer
	err := eventually(ctx, 30*time.Second, func() error {
		var o struct {
			Status string `json:"status"`
		}
		if err := s.c.call(ctx, get, base+"/orders/"+s.order, s.provider, nil, 200, &o); err != nil {
			return err
		}
		if o.Status != "completed" {
			return fmt.Errorf("order %s is %s", s.order, o.Status)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	var sub struct {
		Status string `json:"status"`
	}
	if err := s.c.call(ctx, get, base+"/subscriptions/"+s.subUsers, s.provider, nil, 200, &sub); err != nil {
		return "", err
	}
	if sub.Status != "active" {
		return "", fmt.Errorf("subscription %s is %s", s.subUsers, sub.Status)
	}
	var links struct {
		Items []pclink.ActivationLink `json:"items"`
	}
	if err := s.c.call(ctx, get, base+"/orders/"+s.order+"/activationlinks", s.provider, nil, 200, &links); err != nil {
		return "", err
	}
	if len(links.Items) == 0 {
		return "", fmt.Errorf("no activation link")
	}
	var page string
	if err := s.c.call(ctx, get, links.Items[0].Link.URI, s.provider, nil, 200, &page); err != nil {
		return "", err
	}
	if !strings.Contains(page, "admin@fabrikam.example") {
		return "", fmt.Errorf("activation page does not name the administrator: %s", page)
	}
	return fmt.Sprintf("order %s completed, subscription %s active, activation %s", s.order, s.subUsers, links.Items[0].Link.URI), nil
}

func (s *story) patchStatus(ctx context.Context, status, typ, want string) (string, error) {
	path := "/v1/customers/" + s.customer + "/subscriptions/" + s.subUsers
	if err := s.c.call(ctx, patch, path, s.provider, map[string]any{"status": status}, 200, nil); err != nil {
		return "", err
	}
	r, err := s.requestOf(ctx, s.subUsers, typ)
	if err != nil {
		return "", err
	}
	if err := s.approve(ctx, r.ID); err != nil {
		return "", err
	}
	return r.ID, eventually(ctx, 10*time.Second, func() error {
		var sub struct {
			Status string `json:"status"`
		}
		if err := s.c.call(ctx, get, path, s.provider, nil, 200, &sub); err != nil {
			return err
		}
		if sub.Status != want {
			return fmt.Errorf("subscription is %s, want %s", sub.Status, want)
		}
		return nil
	})
}

func suspendResume(ctx context.Context, s *story) (string, error) {
	susp, err := s.patchStatus(ctx, "suspended", "suspend", "suspended")
	if err != nil {
		return "", err
	}
	res, err := s.patchStatus(ctx, "active", "resume", "active")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s suspended by %s, resumed by %s", s.subUsers, susp, res), nil
}

func checkWebhooks(ctx context.Context, s *story) (string, error) {
	var got map[string]int
	err := eventually(ctx, 30*time.Second, func() error {
		var failures []string
		got, failures = s.hooks.verified()
		if len(failures) > 0 {
			return fmt.Errorf("deliveries failed verification: %v", failures)
		}
		for _, t := range []string{"request.created", "request.updated", "asset.updated"} {
			if got[t] == 0 {
				return fmt.Errorf("no verified %s delivery yet (have %v)", t, got)
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	n := 0
	for _, v := range got {
		n += v
	}
	return fmt.Sprintf("%d deliveries verified with the Standard Webhooks library: %v", n, got), nil
}

// rawJSON sends a literal body as it stands.
type rawJSON string

// MarshalJSON returns the body unchanged.
func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ordering"
)

func (s *Server) orderingRoutes() []route {
	const c = "/v1/customers"
	return []route{
		{method: http.MethodPost, path: c, access: providerOnly, handle: s.createCustomer},
		{method: http.MethodGet, path: c, access: providerOnly, handle: s.listCustomers},
		{method: http.MethodGet, path: c + "/{id}", access: providerOnly, handle: s.getCustomer},
		{method: http.MethodPost, path: c + "/{id}/orders", access: providerOnly, handle: s.createOrder},
		{method: http.MethodGet, path: c + "/{id}/orders", access: providerOnly, handle: s.listOrders},
		{method: http.MethodGet, path: c + "/{id}/orders/{order}", access: providerOnly, handle: s.getOrder},
		{method: http.MethodGet, path: c + "/{id}/orders/{order}/provisioningstatus", access: providerOnly, handle: s.provisioningStatus},
		{method: http.MethodGet, path: c + "/{id}/orders/{order}/activationlinks", access: providerOnly, handle: s.activationLinks},
		{method: http.MethodPost, path: c + "/{id}/carts", access: providerOnly, handle: s.createCart},
		{method: http.MethodGet, path: c + "/{id}/carts/{cart}", access: providerOnly, handle: s.getCart},
		{method: http.MethodPut, path: c + "/{id}/carts/{cart}", access: providerOnly, handle: s.updateCart},
		{method: http.MethodPost, path: c + "/{id}/carts/{cart}/checkout", access: providerOnly, handle: s.checkout},
		{method: http.MethodGet, path: c + "/{id}/subscriptions", access: providerOnly, handle: s.listSubscriptions},
		{method: http.MethodGet, path: c + "/{id}/subscriptions/{sub}", access: providerOnly, handle: s.getSubscription},
		{method: http.MethodPatch, path: c + "/{id}/subscriptions/{sub}", access: providerOnly, handle: s.patchSubscription},
		{method: http.MethodPost, path: "/public/v1/requests", access: providerOnly, handle: s.createPurchaseRequest},
	}
}

// renderer turns a created object into the answer the client gets, so that
// the idempotency record can store exactly that answer.
type renderer func(v any) (int, []byte, error)

func jsonAnswer(status int, view func(v any) any) renderer {
	return func(v any) (int, []byte, error) {
		body, err := json.Marshal(view(v))
		return status, append(body, '\n'), err
	}
}

// idempotent runs a create with the request's Idempotency-Key (or
// Partner Center's MS-RequestId): the same key and body replay the first
// answer byte for byte; the same key with another body, or on another
// path, is a 409.
//
// The key is not looked up first: every create writes its claim in its own
// transaction under the condition that the key is unused, so a first use
// costs no extra round trip. A retry fails that condition (or, if the
// request has become invalid since, fails earlier) and is then answered
// from the key's record.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, raw []byte, render renderer, run func(*ordering.Claim) (any, error)) error {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		key = r.Header.Get("MS-RequestId")
	}
	if key == "" {
		v, err := run(nil)
		if err != nil {
			return err
		}
		return writeRendered(w, render, v)
	}
	if len(key) > 255 {
		return fault.Invalidf("the idempotency key must be at most 255 characters")
	}
	p := principal(r)
	claim := &ordering.Claim{Account: p.AccountID, Key: key, Hash: ordering.HashBody(raw) + ":" + r.URL.Path, Render: render}
	v, err := run(claim)
	if ordering.IsClaimConflict(err) {
		// The key is used, maybe by a concurrent request that has not
		// committed yet: answer what it answered once it has.
		return s.awaitReplay(w, r, claim)
	}
	if err != nil {
		return s.replayOr(w, r, claim, err)
	}
	return writeRendered(w, render, v)
}

// replayOr answers a refused request from its key's record, if the key
// was used before: the request may have become invalid since its first
// answer (an offer unlisted, an order too late to retry). Failures of the
// platform itself (5xx) are answered as they are, without another call.
func (s *Server) replayOr(w http.ResponseWriter, r *http.Request, claim *ordering.Claim, err error) error {
	if k := fault.KindOf(err); k == fault.Internal || k == fault.Unavailable || k == fault.Throttled {
		return err
	}
	if replayed, rerr := s.replay(w, r, claim); replayed {
		return rerr
	}
	return err
}

// awaitReplay waits briefly for a concurrent request with the same key to
// commit, then replays its answer; if it has not committed by then, the
// client is told to retry.
func (s *Server) awaitReplay(w http.ResponseWriter, r *http.Request, claim *ordering.Claim) error {
	for wait := 25 * time.Millisecond; wait < 2*time.Second; wait *= 2 {
		if replayed, err := s.replay(w, r, claim); replayed || err != nil {
			return err
		}
		select {
		case <-r.Context().Done():
			return r.Context().Err()
		case <-time.After(wait):
		}
	}
	return fault.Conflictf("a request with idempotency key %q is in progress; retry it", claim.Key).WithPartnerCode(ordering.CodeOrderInProgress)
}

func (s *Server) replay(w http.ResponseWriter, r *http.Request, claim *ordering.Claim) (bool, error) {
	rec, err := s.cfg.Ordering.Remembered(r.Context(), claim.Account, claim.Key)
	if err != nil || rec == nil {
		return false, err
	}
	if rec.Hash != claim.Hash {
		return true, fault.Conflictf("idempotency key %q was used with another request body or path", claim.Key)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(rec.Status)
	_, err = io.WriteString(w, rec.Body)
	return true, err
}

func writeRendered(w http.ResponseWriter, render renderer, v any) error {
	status, body, err := render(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// decodeFor decodes a Partner Center body: lenient on unknown properties
// (clients send whole resources), case-insensitive on names.
func decodeFor[T any](r *http.Request) (T, error) {
	in, _, err := decodeRaw[T](r, false)
	return in, err
}

// decodeRaw decodes the body and also returns its bytes, which the
// idempotency check hashes.
func decodeRaw[T any](r *http.Request, strict bool) (T, []byte, error) {
	var in T
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return in, nil, decodeError(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return in, raw, decodeJSON(r, &in, strict)
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) error {
	in, raw, err := decodeRaw[ordering.CustomerInput](r, false)
	if err != nil {
		return err
	}
	return s.idempotent(w, r, raw, jsonAnswer(http.StatusCreated, customerView), func(c *ordering.Claim) (any, error) {
		return s.cfg.Ordering.CreateCustomer(r.Context(), principal(r), in, c)
	})
}

type pcCustomer struct {
	ordering.Customer
	Links      map[string]Link `json:"links"`
	Attributes attributes      `json:"attributes"`
}

func customerView(v any) any {
	c := v.(ordering.Customer)
	return pcCustomer{Customer: c, Links: map[string]Link{"self": get("/v1/customers/" + c.ID)}, Attributes: attributes{ObjectType: "Customer"}}
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePCPage(r, "customers", principal(r).AccountID)
	if err != nil {
		return err
	}
	cs, next, err := s.cfg.Ordering.Customers(r.Context(), principal(r), p.size, p.cursor.after)
	if err != nil {
		return err
	}
	views := make([]any, 0, len(cs))
	for _, c := range cs {
		views = append(views, customerView(c))
	}
	writePCPage(w, r, p, views, next)
	return nil
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Ordering.Customer(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, customerView(c))
	return nil
}

func orderView(v any) any { return ordering.NewOrderResource(v.(ordering.Order)) }

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) error {
	in, raw, err := decodeRaw[ordering.OrderInput](r, false)
	if err != nil {
		return err
	}
	return s.idempotent(w, r, raw, jsonAnswer(http.StatusCreated, orderView), func(c *ordering.Claim) (any, error) {
		return s.cfg.Ordering.CreateOrder(r.Context(), principal(r), r.PathValue("id"), in, c)
	})
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePCPage(r, "orders/"+r.PathValue("id"), principal(r).AccountID)
	if err != nil {
		return err
	}
	os, next, err := s.cfg.Ordering.Orders(r.Context(), principal(r), r.PathValue("id"), p.size, p.cursor.after)
	if err != nil {
		return err
	}
	views := make([]any, 0, len(os))
	for _, o := range os {
		views = append(views, orderView(o))
	}
	writePCPage(w, r, p, views, next)
	return nil
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := s.cfg.Ordering.Order(r.Context(), principal(r), r.PathValue("id"), r.PathValue("order"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orderView(o))
	return nil
}

type pcProvisioning struct {
	LineItemNumber                  int        `json:"lineItemNumber"`
	Status                          string     `json:"status"`
	QuantityProvisioningInformation []struct{} `json:"quantityProvisioningInformation"`
	SubscriptionID                  string     `json:"subscriptionId"`
}

func (s *Server) provisioningStatus(w http.ResponseWriter, r *http.Request) error {
	_, lines, err := s.cfg.Ordering.Provisioning(r.Context(), principal(r), r.PathValue("id"), r.PathValue("order"))
	if err != nil {
		return err
	}
	out := make([]pcProvisioning, 0, len(lines))
	for _, l := range lines {
		out = append(out, pcProvisioning{LineItemNumber: l.Line.LineItemNumber, Status: l.Status,
			QuantityProvisioningInformation: []struct{}{}, SubscriptionID: l.Line.SubscriptionID})
	}
	writeCollection(w, r, out)
	return nil
}

type pcActivationLink struct {
	LineItemNumber int  `json:"lineItemNumber"`
	Link           Link `json:"link"`
}

// activationLinks point fulfilled lines at their asset's rendered
// activation template.
func (s *Server) activationLinks(w http.ResponseWriter, r *http.Request) error {
	_, lines, err := s.cfg.Ordering.Provisioning(r.Context(), principal(r), r.PathValue("id"), r.PathValue("order"))
	if err != nil {
		return err
	}
	out := []pcActivationLink{}
	for _, l := range lines {
		if l.Status == ordering.Fulfilled {
			out = append(out, pcActivationLink{LineItemNumber: l.Line.LineItemNumber, Link: get("/public/v1/assets/" + l.Line.SubscriptionID + "/render")})
		}
	}
	writeCollection(w, r, out)
	return nil
}

type pcCart struct {
	ordering.Cart
	Links      map[string]Link `json:"links"`
	Attributes attributes      `json:"attributes"`
}

func cartView(customerID string) func(v any) any {
	return func(v any) any {
		c := v.(ordering.Cart)
		base := "/v1/customers/" + customerID + "/carts/" + c.ID
		return pcCart{Cart: c, Attributes: attributes{ObjectType: "Cart"},
			Links: map[string]Link{"self": get(base), "checkout": {URI: base + "/checkout", Method: http.MethodPost, Headers: []string{}}}}
	}
}

func (s *Server) createCart(w http.ResponseWriter, r *http.Request) error {
	in, raw, err := decodeRaw[ordering.CartInput](r, false)
	if err != nil {
		return err
	}
	return s.idempotent(w, r, raw, jsonAnswer(http.StatusCreated, cartView(r.PathValue("id"))), func(c *ordering.Claim) (any, error) {
		return s.cfg.Ordering.CreateCart(r.Context(), principal(r), r.PathValue("id"), in, c)
	})
}

func (s *Server) getCart(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Ordering.Cart(r.Context(), principal(r), r.PathValue("id"), r.PathValue("cart"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cartView(r.PathValue("id"))(c))
	return nil
}

func (s *Server) updateCart(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeFor[ordering.CartInput](r)
	if err != nil {
		return err
	}
	c, err := s.cfg.Ordering.UpdateCart(r.Context(), principal(r), r.PathValue("id"), r.PathValue("cart"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cartView(r.PathValue("id"))(c))
	return nil
}

type pcCheckout struct {
	Orders      []any                 `json:"orders"`
	OrderErrors []ordering.OrderError `json:"orderErrors"`
	Attributes  attributes            `json:"attributes"`
}

func (s *Server) checkout(w http.ResponseWriter, r *http.Request) error {
	res, err := s.cfg.Ordering.Checkout(r.Context(), principal(r), r.PathValue("id"), r.PathValue("cart"))
	if err != nil {
		return err
	}
	out := pcCheckout{Orders: []any{}, OrderErrors: res.OrderErrors, Attributes: attributes{ObjectType: "CartCheckoutResult"}}
	for _, o := range res.Orders {
		out.Orders = append(out.Orders, orderView(o))
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	orderID := r.URL.Query().Get("order_id")
	p, err := parsePCPage(r, "subscriptions/"+r.PathValue("id")+"/"+orderID, principal(r).AccountID)
	if err != nil {
		return err
	}
	subs, next, err := s.cfg.Ordering.Subscriptions(r.Context(), principal(r), r.PathValue("id"), orderID, p.size, p.cursor.after)
	if err != nil {
		return err
	}
	writePCPage(w, r, p, subs, next)
	return nil
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Ordering.SubscriptionResource(r.Context(), principal(r), r.PathValue("id"), r.PathValue("sub"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) patchSubscription(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeFor[ordering.SubscriptionPatch](r)
	if err != nil {
		return err
	}
	v, err := s.cfg.Ordering.PatchSubscription(r.Context(), principal(r), r.PathValue("id"), r.PathValue("sub"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) createPurchaseRequest(w http.ResponseWriter, r *http.Request) error {
	// A Connect body: an unknown field is refused by name, as on every
	// /public/v1 write, rather than silently dropped (a typo in a quantity
	// would otherwise order the wrong amount).
	in, raw, err := decodeRaw[ordering.PurchaseRequestInput](r, true)
	if err != nil {
		return err
	}
	return s.idempotent(w, r, raw, jsonAnswer(http.StatusCreated, func(v any) any { return viewRequest(v.(fulfillment.Request)) }), func(c *ordering.Claim) (any, error) {
		return s.cfg.Ordering.CreatePurchaseRequest(r.Context(), principal(r), in, c)
	})
}

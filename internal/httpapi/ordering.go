package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"io"
	"net/http"
	"time"

	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ordering"
	"github.com/mercato-dev/mercato/internal/pclink"
)

func (s *Server) orderingRoutes() []route {
	const c = "/v1/customers"
	return []route{
		{Method: http.MethodPost, Path: c, Access: providerOnly, Handle: s.createCustomer},
		{Method: http.MethodGet, Path: c, Access: providerOnly, Handle: s.listCustomers},
		{Method: http.MethodGet, Path: c + "/{id}", Access: providerOnly, Handle: s.getCustomer},
		{Method: http.MethodPost, Path: c + "/{id}/orders", Access: providerOnly, Handle: s.createOrder},
		{Method: http.MethodGet, Path: c + "/{id}/orders", Access: providerOnly, Handle: s.listOrders},
		{Method: http.MethodGet, Path: c + "/{id}/orders/{order}", Access: providerOnly, Handle: s.getOrder},
		{Method: http.MethodGet, Path: c + "/{id}/orders/{order}/provisioningstatus", Access: providerOnly, Handle: s.provisioningStatus},
		{Method: http.MethodGet, Path: c + "/{id}/orders/{order}/activationlinks", Access: providerOnly, Handle: s.activationLinks},
		{Method: http.MethodPost, Path: c + "/{id}/carts", Access: providerOnly, Handle: s.createCart},
		{Method: http.MethodGet, Path: c + "/{id}/carts/{cart}", Access: providerOnly, Handle: s.getCart},
		{Method: http.MethodPut, Path: c + "/{id}/carts/{cart}", Access: providerOnly, Handle: s.updateCart},
		{Method: http.MethodPost, Path: c + "/{id}/carts/{cart}/checkout", Access: providerOnly, Handle: s.checkout},
		{Method: http.MethodGet, Path: c + "/{id}/subscriptions", Access: providerOnly, Handle: s.listSubscriptions},
		{Method: http.MethodGet, Path: c + "/{id}/subscriptions/{sub}", Access: providerOnly, Handle: s.getSubscription},
		{Method: http.MethodPatch, Path: c + "/{id}/subscriptions/{sub}", Access: providerOnly, Handle: s.patchSubscription},
		{Method: http.MethodPost, Path: "/public/v1/requests", Access: providerOnly, Handle: s.createPurchaseRequest},
	}
}

// idempotent decodes the body into an In (strict refuses unknown
// properties), runs a create with it and the request's Idempotency-Key (or
// Partner Center's MS-RequestId), and answers 201 with view of what it
// created: the same key and body replay the first answer; the same key
// with another body, or on another path, is a 409.
//
// The key is not looked up first: every create writes its claim in its own
// transaction under the condition that the key is unused, so a first use
// costs no extra round trip. A retry fails that condition (or, if the
// request has become invalid since, fails earlier) and is then answered
// from the key's record: the object the first attempt created, shown by the
// same view, so byte for byte the first answer.
func idempotent[In, T, V any](s *Server, w http.ResponseWriter, r *http.Request, strict bool, view func(T) V, run func(In, *ordering.Claim) (T, error)) error {
	in, raw, err := decodeRaw[In](r, strict)
	if err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		key = r.Header.Get("MS-RequestId")
	}
	if len(key) > 255 {
		return fault.Invalidf("the idempotency key must be at most 255 characters")
	}
	var claim *ordering.Claim
	if key != "" {
		claim = &ordering.Claim{Account: principal(r).AccountID, Key: key, Hash: hashBody(raw) + ":" + r.URL.Path}
	}
	v, err := run(in, claim)
	replayed := false
	switch {
	case err == nil:
	case claim == nil:
		return err
	case ordering.IsClaimConflict(err):
		// The key is used, maybe by a concurrent request that has not
		// committed yet: answer what it answered once it has.
		v, err = awaitReplay[T](s, r, claim)
		replayed = true
	default:
		v, replayed, err = replayOr[T](s, r, claim, err)
	}
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	endpoint.WriteJSON(w, http.StatusCreated, view(v))
	return nil
}

// hashBody returns a hash of a JSON body that ignores white space and key
// order, so that a client that re-serialises the same request retries it.
func hashBody(raw []byte) string {
	var v any
	canon := raw
	if json.Unmarshal(raw, &v) == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}

// replayOr answers a refused request from its key's record, if the key
// was used before: the request may have become invalid since its first
// answer (an offer unlisted, an order too late to retry). Failures of the
// platform itself (5xx) are answered as they are, without another call.
func replayOr[T any](s *Server, r *http.Request, claim *ordering.Claim, err error) (T, bool, error) {
	var none T
	if k := fault.KindOf(err); k == fault.Internal || k == fault.Unavailable || k == fault.Throttled {
		return none, false, err
	}
	v, found, rerr := remembered[T](s, r, claim)
	if found || rerr != nil {
		return v, found, rerr
	}
	return none, false, err
}

// awaitReplay waits briefly for a concurrent request with the same key to
// commit, then answers what it created; if it has not committed by then,
// the client is told to retry.
func awaitReplay[T any](s *Server, r *http.Request, claim *ordering.Claim) (T, error) {
	for wait := 25 * time.Millisecond; wait < 2*time.Second; wait *= 2 {
		if v, found, err := remembered[T](s, r, claim); found || err != nil {
			return v, err
		}
		select {
		case <-r.Context().Done():
			var none T
			return none, r.Context().Err()
		case <-time.After(wait):
		}
	}
	var none T
	return none, fault.Conflictf("a request with idempotency key %q is in progress; retry it", claim.Key).WithPartnerCode(ordering.CodeOrderInProgress)
}

// remembered reads what the claim's key created, if it was used: found is
// true then, and err a conflict if it was used for another request.
func remembered[T any](s *Server, r *http.Request, claim *ordering.Claim) (v T, found bool, err error) {
	rec, err := s.cfg.Ordering.Remembered(r.Context(), claim.Account, claim.Key)
	if err != nil || rec == nil {
		return v, false, err
	}
	if rec.Hash != claim.Hash {
		return v, true, fault.Conflictf("idempotency key %q was used with another request body or path", claim.Key)
	}
	if err := json.Unmarshal(rec.Created, &v); err != nil {
		return v, true, fmt.Errorf("decode the record of idempotency key %q: %w", claim.Key, err)
	}
	return v, true, nil
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
		return in, nil, codec.DecodeError(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return in, raw, codec.DecodeJSON(r, &in, strict)
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) error {
	return idempotent(s, w, r, false, customerView, func(in ordering.CustomerInput, c *ordering.Claim) (ordering.Customer, error) {
		return s.cfg.Ordering.CreateCustomer(r.Context(), principal(r), in, c)
	})
}

type pcCustomer struct {
	ordering.Customer
	Links      map[string]Link `json:"links"`
	Attributes attributes      `json:"attributes"`
}

func customerView(c ordering.Customer) pcCustomer {
	return pcCustomer{Customer: c, Links: map[string]Link{"self": get("/v1/customers/" + c.ID)}, Attributes: attributes{ObjectType: "Customer"}}
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePCPage(r, "customers", principal(r).AccountID)
	if err != nil {
		return err
	}
	cs, next, err := s.cfg.Ordering.Customers(r.Context(), principal(r), p.size, p.cursor.After)
	if err != nil {
		return err
	}
	writePCPage(w, r, p, codec.MapViews(cs, customerView), next)
	return nil
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Ordering.Customer(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, customerView(c), err)
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) error {
	return idempotent(s, w, r, false, ordering.NewOrderResource, func(in ordering.OrderInput, c *ordering.Claim) (ordering.Order, error) {
		return s.cfg.Ordering.CreateOrder(r.Context(), principal(r), r.PathValue("id"), in, c)
	})
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePCPage(r, "orders/"+r.PathValue("id"), principal(r).AccountID)
	if err != nil {
		return err
	}
	os, next, err := s.cfg.Ordering.Orders(r.Context(), principal(r), r.PathValue("id"), p.size, p.cursor.After)
	if err != nil {
		return err
	}
	writePCPage(w, r, p, codec.MapViews(os, ordering.NewOrderResource), next)
	return nil
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := s.cfg.Ordering.Order(r.Context(), principal(r), r.PathValue("id"), r.PathValue("order"))
	return codec.Show(w, ordering.NewOrderResource(o), err)
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
	codec.WriteCollection(w, r, out)
	return nil
}

// activationLinks point fulfilled lines at their asset's rendered
// activation template.
func (s *Server) activationLinks(w http.ResponseWriter, r *http.Request) error {
	_, lines, err := s.cfg.Ordering.Provisioning(r.Context(), principal(r), r.PathValue("id"), r.PathValue("order"))
	if err != nil {
		return err
	}
	out := []pclink.ActivationLink{}
	for _, l := range lines {
		if l.Status == ordering.Fulfilled {
			out = append(out, pclink.ActivationLink{LineItemNumber: l.Line.LineItemNumber, Link: get("/public/v1/assets/" + l.Line.SubscriptionID + "/render")})
		}
	}
	codec.WriteCollection(w, r, out)
	return nil
}

type pcCart struct {
	ordering.Cart
	Links      map[string]Link `json:"links"`
	Attributes attributes      `json:"attributes"`
}

func cartView(customerID string) func(ordering.Cart) pcCart {
	return func(c ordering.Cart) pcCart {
		base := "/v1/customers/" + customerID + "/carts/" + c.ID
		return pcCart{Cart: c, Attributes: attributes{ObjectType: "Cart"},
			Links: map[string]Link{"self": get(base), "checkout": {URI: base + "/checkout", Method: http.MethodPost, Headers: []string{}}}}
	}
}

func (s *Server) createCart(w http.ResponseWriter, r *http.Request) error {
	return idempotent(s, w, r, false, cartView(r.PathValue("id")), func(in ordering.CartInput, c *ordering.Claim) (ordering.Cart, error) {
		return s.cfg.Ordering.CreateCart(r.Context(), principal(r), r.PathValue("id"), in, c)
	})
}

func (s *Server) getCart(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Ordering.Cart(r.Context(), principal(r), r.PathValue("id"), r.PathValue("cart"))
	return codec.Show(w, cartView(r.PathValue("id"))(c), err)
}

func (s *Server) updateCart(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeFor[ordering.CartInput](r)
	if err != nil {
		return err
	}
	c, err := s.cfg.Ordering.UpdateCart(r.Context(), principal(r), r.PathValue("id"), r.PathValue("cart"), in)
	return codec.Show(w, cartView(r.PathValue("id"))(c), err)
}

type pcCheckout struct {
	Orders      []ordering.OrderResource `json:"orders"`
	OrderErrors []ordering.OrderError    `json:"orderErrors"`
	Attributes  attributes               `json:"attributes"`
}

func (s *Server) checkout(w http.ResponseWriter, r *http.Request) error {
	res, err := s.cfg.Ordering.Checkout(r.Context(), principal(r), r.PathValue("id"), r.PathValue("cart"))
	if err != nil {
		return err
	}
	out := pcCheckout{Orders: codec.MapViews(res.Orders, ordering.NewOrderResource), OrderErrors: res.OrderErrors, Attributes: attributes{ObjectType: "CartCheckoutResult"}}
	endpoint.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	orderID := r.URL.Query().Get("order_id")
	p, err := parsePCPage(r, "subscriptions/"+r.PathValue("id")+"/"+orderID, principal(r).AccountID)
	if err != nil {
		return err
	}
	subs, next, err := s.cfg.Ordering.Subscriptions(r.Context(), principal(r), r.PathValue("id"), orderID, p.size, p.cursor.After)
	if err != nil {
		return err
	}
	writePCPage(w, r, p, subs, next)
	return nil
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Ordering.SubscriptionResource(r.Context(), principal(r), r.PathValue("id"), r.PathValue("sub"))
	return codec.Show(w, v, err)
}

func (s *Server) patchSubscription(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeFor[ordering.SubscriptionPatch](r)
	if err != nil {
		return err
	}
	v, err := s.cfg.Ordering.PatchSubscription(r.Context(), principal(r), r.PathValue("id"), r.PathValue("sub"), in)
	return codec.Show(w, v, err)
}

func (s *Server) createPurchaseRequest(w http.ResponseWriter, r *http.Request) error {
	// A Connect body: an unknown field is refused by name, as on every
	// /public/v1 write, rather than silently dropped (a typo in a quantity
	// would otherwise order the wrong amount).
	return idempotent(s, w, r, true, viewRequest, func(in ordering.PurchaseRequestInput, c *ordering.Claim) (fulfillment.Request, error) {
		return s.cfg.Ordering.CreatePurchaseRequest(r.Context(), principal(r), in, c)
	})
}

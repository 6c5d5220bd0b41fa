package chaos

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
)

// World is a vendor selling one product, listed on a provider hub's
// marketplace, with customers and a webhook on each side.
type World struct {
	Vendor, Provider account.Created
	Marketplace      string
	Product          string
	Template         string
	Reservation, PPU Item
	Customers        []string
}

// Item is a product item as the API shows it.
type Item struct {
	ID      string `json:"id"`
	LocalID string `json:"local_id"`
	MPN     string `json:"mpn"`
}

var worlds atomic.Int64

// NewWorld builds a world through the API (faults must be off).
func (p *Platform) NewWorld(ctx context.Context, customers int) (*World, error) {
	n := worlds.Add(1)
	admin, err := p.App.Accounts.Ensure(ctx, "chaos-admin", account.CreateAccountInput{Type: account.Admin, Name: "Chaos admin"})
	if err != nil {
		return nil, fmt.Errorf("chaos: admin: %w", err)
	}
	w := &World{}
	c, at := p.API, admin.Token.Value
	if err := c.Call(ctx, http.MethodPost, "/public/v1/accounts", at, map[string]any{"type": "vendor", "name": fmt.Sprintf("Vendor %d", n),
		"email": fmt.Sprintf("vendor%d@chaos.example", n)}, 201, &w.Vendor); err != nil {
		return nil, err
	}
	if err := c.Call(ctx, http.MethodPost, "/public/v1/accounts", at, map[string]any{"type": "provider", "name": fmt.Sprintf("Hub %d", n),
		"email": fmt.Sprintf("hub%d@chaos.example", n)}, 201, &w.Provider); err != nil {
		return nil, err
	}
	for _, step := range []func(context.Context, *World) error{p.webhooks, p.marketplace, p.product, p.listing} {
		if err := step(ctx, w); err != nil {
			return nil, err
		}
	}
	for i := range customers {
		var cust struct {
			ID string `json:"id"`
		}
		if err := c.Call(ctx, http.MethodPost, "/v1/customers", w.Provider.Token.Value, map[string]any{
			"companyProfile": map[string]any{"companyName": fmt.Sprintf("Customer %d-%d", n, i)},
			"billingProfile": map[string]any{"email": fmt.Sprintf("billing%d-%d@chaos.example", n, i),
				"defaultAddress": map[string]any{"country": "US", "city": "Seattle", "addressLine1": "1 Pine St", "postalCode": "98101"}},
		}, 201, &cust); err != nil {
			return nil, err
		}
		w.Customers = append(w.Customers, cust.ID)
	}
	return w, nil
}

// webhooks registers a webhook for every event on each side.
func (p *Platform) webhooks(ctx context.Context, w *World) error {
	for _, a := range []account.Created{w.Vendor, w.Provider} {
		var wh struct {
			ID     string `json:"id"`
			Secret string `json:"secret"`
		}
		if err := p.API.Call(ctx, http.MethodPost, "/public/v1/webhooks", a.Token.Value, map[string]any{
			"label": "chaos " + a.ID, "url": p.Receiver.URL + "/" + a.ID}, 201, &wh); err != nil {
			return err
		}
		if err := p.Receiver.Expect(a.ID, wh.Secret); err != nil {
			return err
		}
	}
	return nil
}

func (p *Platform) marketplace(ctx context.Context, w *World) error {
	var mp struct {
		ID string `json:"id"`
	}
	err := p.API.Call(ctx, http.MethodPost, "/public/v1/marketplaces", w.Provider.Token.Value,
		map[string]any{"name": "Chaos US", "currency": "USD", "countries": []string{"US"}}, 201, &mp)
	w.Marketplace = mp.ID
	return err
}

// product creates a product with a monthly reservation item and a ppu
// item, no required parameter (approval needs no input), a fulfillment
// template, and publishes it.
func (p *Platform) product(ctx context.Context, w *World) error {
	c, v := p.API, w.Vendor.Token.Value
	var pr struct {
		ID string `json:"id"`
	}
	if err := c.Call(ctx, http.MethodPost, "/public/v1/products", v, map[string]any{"name": "Chaos Meetings"}, 201, &pr); err != nil {
		return err
	}
	w.Product = pr.ID
	base := "/public/v1/products/" + pr.ID
	var items, params []struct {
		ID string `json:"id"`
	}
	if err := c.Call(ctx, http.MethodGet, base+"/items", v, nil, 200, &items); err != nil {
		return err
	}
	if err := c.Call(ctx, http.MethodGet, base+"/parameters", v, nil, 200, &params); err != nil {
		return err
	}
	for _, it := range items {
		if err := c.Call(ctx, http.MethodDelete, base+"/items/"+it.ID, v, nil, 204, nil); err != nil {
			return err
		}
	}
	for _, pm := range params {
		if err := c.Call(ctx, http.MethodDelete, base+"/parameters/"+pm.ID, v, nil, 204, nil); err != nil {
			return err
		}
	}
	if err := c.Call(ctx, http.MethodPost, base+"/items", v, map[string]any{"name": "Seats", "mpn": "CHAOS-SEATS",
		"type": "reservation", "period": "monthly", "unit": "users", "min_quantity": 1, "max_quantity": 500}, 201, &w.Reservation); err != nil {
		return err
	}
	if err := c.Call(ctx, http.MethodPost, base+"/items", v, map[string]any{"name": "Minutes", "mpn": "CHAOS-MIN",
		"type": "ppu", "unit": "minutes", "precision": "decimal(2)"}, 201, &w.PPU); err != nil {
		return err
	}
	var tl struct {
		ID string `json:"id"`
	}
	if err := c.Call(ctx, http.MethodPost, base+"/templates", v, map[string]any{"type": "fulfillment", "scope": "asset",
		"title": "Activation", "body": "Asset {{ asset.id }} is ready."}, 201, &tl); err != nil {
		return err
	}
	w.Template = tl.ID
	return c.Call(ctx, http.MethodPost, base+"/publish", v, nil, 201, nil)
}

func (p *Platform) listing(ctx context.Context, w *World) error {
	var lr struct {
		ID string `json:"id"`
	}
	if err := p.API.Call(ctx, http.MethodPost, "/public/v1/listing-requests", w.Vendor.Token.Value, map[string]any{
		"product": w.Product, "marketplace": w.Marketplace, "prices": []any{
			map[string]any{"item": w.Reservation.ID, "price": "12.00", "terms": []string{"P1M"}},
			map[string]any{"item": w.PPU.ID, "price": "0.04"},
		}}, 201, &lr); err != nil {
		return err
	}
	return p.API.Call(ctx, http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", w.Provider.Token.Value, nil, 200, nil)
}

// Offer is the Partner Center offer id of an item of the world's product.
func (w *World) Offer(it Item) string {
	return fmt.Sprintf("%s:%s:%s", w.Product, it.LocalID, w.Marketplace)
}

// OrderBody is a one-line monthly order of quantity seats.
func (w *World) OrderBody(quantity int) map[string]any {
	return map[string]any{"lineItems": []any{map[string]any{"offerId": w.Offer(w.Reservation), "quantity": quantity, "lineItemNumber": 0}},
		"billingCycle": "monthly"}
}

// Placed is the outcome of placing one order.
type Placed struct {
	OrderID string
	Tries   int
	Took    time.Duration
	Status  int
}

// PlaceOrder posts an order with an idempotency key, retrying transient
// answers with the same key as a careful hub does, up to attempts times.
func (p *Platform) PlaceOrder(ctx context.Context, w *World, customer, key string, body any, attempts int) (Placed, error) {
	start := time.Now()
	status, raw, tries, err := p.API.Retry(ctx, attempts, http.MethodPost, "/v1/customers/"+customer+"/orders", w.Provider.Token.Value, body, "Idempotency-Key", key)
	out := Placed{Tries: tries, Took: time.Since(start), Status: status}
	if err != nil {
		return out, err
	}
	if status != http.StatusCreated {
		return out, fmt.Errorf("order %s answered %d after %d tries: %s", key, status, tries, raw)
	}
	var o struct {
		ID string `json:"id"`
	}
	if err := jsonDecode(raw, &o); err != nil {
		return out, err
	}
	out.OrderID = o.ID
	return out, nil
}

// ApprovePending approves every pending request in the vendor's queue and
// returns how many it approved. A request another approver got first
// answers 400 or 409 and is skipped; transient answers are retried.
func (p *Platform) ApprovePending(ctx context.Context, w *World) (int, error) {
	var rs []struct {
		ID string `json:"id"`
	}
	if err := p.API.Call(ctx, http.MethodGet, "/public/v1/requests?status=pending&limit=1000", w.Vendor.Token.Value, nil, 200, &rs); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rs {
		status, raw, _, err := p.API.Retry(ctx, 8, http.MethodPost, "/public/v1/requests/"+r.ID+"/approve", w.Vendor.Token.Value, map[string]any{"template_id": w.Template})
		switch {
		case err != nil:
			return n, err
		case status == http.StatusOK:
			n++
		case status == http.StatusConflict || status == http.StatusBadRequest:
		default:
			return n, fmt.Errorf("approve %s answered %d: %s", r.ID, status, raw)
		}
	}
	return n, nil
}

package ordering

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// Quantity accepts a JSON number or a numeric string, as Connect clients
// send either.
type Quantity string

// UnmarshalJSON reads either form.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*q = Quantity(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("quantity must be a number")
	}
	*q = Quantity(n.String())
	return nil
}

// PurchaseRequestInput is the body of POST /public/v1/requests, Connect's
// asset purchase request from a provider hub.
type PurchaseRequestInput struct {
	Type string `json:"type"`
	// Marketplace is where Connect's clients may name the marketplace,
	// besides asset.marketplace.
	Marketplace *catalog.RefInput `json:"marketplace"`
	Asset       struct {
		ExternalID  string            `json:"external_id"`
		ExternalUID string            `json:"external_uid"`
		Product     catalog.RefInput  `json:"product"`
		Marketplace catalog.RefInput  `json:"marketplace"`
		Tiers       fulfillment.Tiers `json:"tiers"`
		Items       []struct {
			ID       string   `json:"id"`
			Quantity Quantity `json:"quantity"`
		} `json:"items"`
		Params []struct {
			ID    string `json:"id"`
			Value string `json:"value"`
		} `json:"params"`
	} `json:"asset"`
}

// CreatePurchaseRequest makes the same asset and purchase request an order
// line makes, from Connect's request body.
func (s *Service) CreatePurchaseRequest(ctx context.Context, actor account.Principal, in PurchaseRequestInput, claim *Claim) (fulfillment.Request, error) {
	r, err := s.createPurchaseRequest(ctx, actor, in, claim)
	s.countPlaced(ctx, 1, err)
	return r, err
}

func (s *Service) createPurchaseRequest(ctx context.Context, actor account.Principal, in PurchaseRequestInput, claim *Claim) (fulfillment.Request, error) {
	if in.Type != fulfillment.TypePurchase {
		return fulfillment.Request{}, fault.Invalidf("type must be purchase (got %q); change, suspend, resume and cancel requests come from subscription changes", in.Type)
	}
	if in.Marketplace != nil && in.Asset.Marketplace.ID == "" {
		in.Asset.Marketplace = *in.Marketplace
	}
	a := in.Asset
	var msgs []string
	if a.Product.ID == "" || a.Marketplace.ID == "" {
		msgs = append(msgs, "asset.product and asset.marketplace are required")
	}
	if strings.TrimSpace(a.Tiers.Customer.Name) == "" {
		msgs = append(msgs, "asset.tiers.customer.name is required")
	}
	if len(a.Items) == 0 {
		msgs = append(msgs, "asset.items must hold at least one item")
	}
	if len(msgs) > 0 {
		return fulfillment.Request{}, fault.InvalidList(msgs...)
	}
	l, err := s.catalog.ListedOn(ctx, a.Product.ID, a.Marketplace.ID)
	if err == nil && l.Provider.ID != actor.AccountID {
		err = fault.NotFoundf("not yours")
	}
	if fault.Is(err, fault.NotFound) {
		return fulfillment.Request{}, fault.Invalidf("product %s is not listed on a marketplace %s of yours", a.Product.ID, a.Marketplace.ID)
	}
	if err != nil {
		return fulfillment.Request{}, err
	}
	v, err := s.catalog.LatestVersion(ctx, a.Product.ID)
	if err != nil {
		return fulfillment.Request{}, err
	}
	pin := fulfillment.PurchaseInput{Version: v, Listing: l, Quantities: map[string]string{}, Params: map[string]string{},
		Tiers: a.Tiers, ExternalID: a.ExternalID, ExternalUID: a.ExternalUID,
		Subscription: fulfillment.Subscription{AutoRenew: true}}
	for _, it := range a.Items {
		pin.Quantities[it.ID] = string(it.Quantity)
	}
	for _, p := range a.Params {
		pin.Params[p.ID] = p.Value
	}
	now := s.now().UTC()
	pin.Subscription.EffectiveStart, pin.Subscription.CancellationAllowedUntil = now, now.Add(CancellationWindow)
	asset, req, problems := fulfillment.BuildPurchase(pin, now)
	if len(problems) > 0 {
		msgs := make([]string, 0, len(problems))
		for _, p := range problems {
			msgs = append(msgs, p.Message)
		}
		return fulfillment.Request{}, fault.InvalidList(msgs...)
	}
	// The subscription's billing cycle is its first item's period, as an
	// order line's is; without it the Partner Center face would show none.
	cycle := catalog.BillingCycle(catalog.Item{Type: asset.Items[0].Type, Period: asset.Items[0].Period})
	asset.Subscription.BillingCycle, req.Asset.Subscription.BillingCycle = cycle, cycle
	tx := s.table.Tx()
	if err := s.store.AddPurchase(tx, asset, req, now); err != nil {
		return fulfillment.Request{}, err
	}
	claim.attach(tx, req, now)
	return req, tx.Commit(ctx)
}

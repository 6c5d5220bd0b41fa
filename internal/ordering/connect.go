package ordering

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
		// ID names the asset a change, suspend, resume or cancel request
		// is about.
		ID          string            `json:"id"`
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
		// Connection names the product's connection to one of the
		// provider's hubs.
		Connection *catalog.RefInput `json:"connection"`
	} `json:"asset"`
}

// CreatePurchaseRequest makes the same asset and purchase request an order
// line makes, from Connect's request body.
// A change, suspend, resume or cancel request is opened on an existing
// asset (asset.id), under the rules of a subscription change.
func (s *Service) CreatePurchaseRequest(ctx context.Context, actor account.Principal, in PurchaseRequestInput, claim *Claim) (fulfillment.Request, error) {
	switch in.Type {
	case fulfillment.TypePurchase:
	case fulfillment.TypeChange, fulfillment.TypeSuspend, fulfillment.TypeResume, fulfillment.TypeCancel:
		return s.createAssetRequest(ctx, actor, in, claim)
	default:
		return fulfillment.Request{}, fault.Invalidf("type must be purchase, change, suspend, resume or cancel (got %q)", in.Type)
	}
	r, err := s.createPurchaseRequest(ctx, actor, in, claim)
	s.countPlaced(ctx, 1, err)
	return r, err
}

// assetStatuses are the subscription statuses that Connect's request types
// ask for, as PATCH …/subscriptions/{id} takes them.
var assetStatuses = map[string]string{
	fulfillment.TypeSuspend: "suspended", fulfillment.TypeResume: "active", fulfillment.TypeCancel: "deleted",
}

// createAssetRequest opens a change, suspend, resume or cancel request on
// one of the provider's assets: the request a subscription change makes.
func (s *Service) createAssetRequest(ctx context.Context, actor account.Principal, in PurchaseRequestInput, claim *Claim) (fulfillment.Request, error) {
	a := in.Asset
	var msgs []string
	if a.ID == "" {
		msgs = append(msgs, fmt.Sprintf("asset.id is required: a %s request is about an existing asset", in.Type))
	}
	var patch SubscriptionPatch
	if in.Type == fulfillment.TypeChange {
		patch.quantities = map[string]int{}
		for i, it := range a.Items {
			q, err := strconv.Atoi(strings.TrimSpace(string(it.Quantity)))
			if err != nil || q < 0 {
				msgs = append(msgs, fmt.Sprintf("asset.items[%d].quantity must be a whole number (got %q)", i, it.Quantity))
				continue
			}
			patch.quantities[it.ID] = q
		}
		if len(a.Items) == 0 {
			msgs = append(msgs, "asset.items must hold the items whose quantity changes")
		}
	} else {
		status := assetStatuses[in.Type]
		patch.Status = &status
		if len(a.Items) > 0 {
			msgs = append(msgs, fmt.Sprintf("asset.items belong to change requests; a %s request takes the asset as it is", in.Type))
		}
	}
	if len(msgs) > 0 {
		return fulfillment.Request{}, fault.InvalidList(msgs...)
	}
	stored, err := s.store.Asset(ctx, a.ID)
	if errors.Is(err, fulfillment.ErrNotFound) || (err == nil && stored.Provider.ID != actor.AccountID) {
		return fulfillment.Request{}, fault.NotFoundf("asset %s not found", a.ID)
	}
	if err != nil {
		return fulfillment.Request{}, err
	}
	now := s.now().UTC()
	typ, items, err := s.changeOf(ctx, stored, patch, now)
	if err != nil {
		return fulfillment.Request{}, err
	}
	if typ == "" {
		return fulfillment.Request{}, fault.Transitionf("asset %s is %s already: a %s request would change nothing", a.ID, stored.Status, in.Type)
	}
	return s.openRequest(ctx, stored, typ, items, claim, now)
}

func (s *Service) createPurchaseRequest(ctx context.Context, actor account.Principal, in PurchaseRequestInput, claim *Claim) (fulfillment.Request, error) {
	if in.Asset.ID != "" {
		return fulfillment.Request{}, fault.Invalidf("asset.id names an existing asset, and a purchase makes a new one; change it with type change, suspend, resume or cancel")
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
	if a.Connection != nil && a.Connection.ID != "" {
		c, err := s.catalog.PurchaseConnection(ctx, actor, a.Product.ID, a.Connection.ID)
		if err != nil {
			return fulfillment.Request{}, err
		}
		pin.Connection = &fulfillment.Connection{ID: c.ID, Type: c.Type, Hub: fulfillment.Ref{ID: c.Hub.ID, Name: c.Hub.Name}}
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

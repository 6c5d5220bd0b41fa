package ordering

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/layout"
)

// Partner Center codes of subscription changes.
const (
	CodeOrderInProgress   = 800060 // a change is already pending
	CodeDecreaseWindow    = 800090 // seats can only drop inside the window
	CodeSuspended         = 800091 // a suspended subscription refuses changes
	CodeCancelWindow      = 900117 // cancellation window has passed
	CodeQuantityOutOfSpan = 2002   // quantity not within min and max
)

// Subscriptions reads a page of up to size of a customer's subscriptions
// (its assets), optionally those of one order, as the API shows them,
// after the sort key after; next continues it. The order filter applies to
// the rows read (fulfillment.MatchBudget). The pending change requests of
// the page are read in one batch, for their quantities.
func (s *Service) Subscriptions(ctx context.Context, actor account.Principal, customerID, orderID string, size int, after string) ([]fulfillment.SubscriptionResource, string, error) {
	if _, err := s.Customer(ctx, actor, customerID); err != nil {
		return nil, "", err
	}
	q := fulfillment.ListQuery[fulfillment.Asset]{After: after, Limit: size}
	if orderID != "" {
		q.Match = func(a fulfillment.Asset) bool { return a.Subscription.OrderID == orderID }
	}
	page, err := s.store.Page(ctx, layout.CustomerSubscriptions(customerID), q)
	if err != nil {
		return nil, "", err
	}
	assets := page.Items
	var changes []string
	for _, a := range assets {
		if p := a.PendingRequest; p != nil && p.Name == fulfillment.TypeChange {
			changes = append(changes, p.ID)
		}
	}
	// One batch read for every pending change, not a read per subscription.
	pending, err := s.store.Requests(ctx, changes)
	if err != nil {
		return nil, "", fmt.Errorf("ordering: pending changes of %s: %w", customerID, err)
	}
	out := make([]fulfillment.SubscriptionResource, 0, len(assets))
	for _, a := range assets {
		var r *fulfillment.Request
		if p := a.PendingRequest; p != nil {
			if req, ok := pending[p.ID]; ok {
				r = &req
			}
		}
		out = append(out, fulfillment.NewSubscriptionResource(a, r))
	}
	return out, page.Next, nil
}

// Subscription reads one subscription of a customer of the caller.
func (s *Service) Subscription(ctx context.Context, actor account.Principal, customerID, subID string) (fulfillment.StoredAsset, error) {
	a, err := s.store.Asset(ctx, subID)
	if errors.Is(err, fulfillment.ErrNotFound) || (err == nil && (a.Provider.ID != actor.AccountID || a.Subscription.CustomerID != customerID)) {
		return fulfillment.StoredAsset{}, fault.NotFoundf("subscription %s not found", subID)
	}
	return a, err
}

// SubscriptionResource reads one subscription as the API shows it.
func (s *Service) SubscriptionResource(ctx context.Context, actor account.Principal, customerID, subID string) (fulfillment.SubscriptionResource, error) {
	a, err := s.Subscription(ctx, actor, customerID, subID)
	if err != nil {
		return fulfillment.SubscriptionResource{}, err
	}
	return s.resource(ctx, a.Asset)
}

// resource builds a's resource, reading its pending request when that is a
// change: only a change's quantity differs from the asset's.
func (s *Service) resource(ctx context.Context, a fulfillment.Asset) (fulfillment.SubscriptionResource, error) {
	p := a.PendingRequest
	if p == nil || p.Name != fulfillment.TypeChange {
		return fulfillment.NewSubscriptionResource(a, nil), nil
	}
	r, err := s.store.Request(ctx, p.ID)
	if err != nil {
		return fulfillment.SubscriptionResource{}, fmt.Errorf("ordering: pending request %s of %s: %w", p.ID, a.ID, err)
	}
	return fulfillment.NewSubscriptionResource(a, &r.Request), nil
}

// SubscriptionPatch is the body of PATCH …/subscriptions/{id}. Partner
// Center clients send the whole resource; only these fields act.
type SubscriptionPatch struct {
	Quantity         *int    `json:"quantity"`
	Status           *string `json:"status"`
	AutoRenewEnabled *bool   `json:"autoRenewEnabled"`
	// quantities are a Connect change request's new quantities by item id
	// (or local id), for a subscription of several reservation items.
	quantities map[string]int
}

// PatchSubscription applies auto-renewal at once, and turns a quantity or
// status change into a pending request for the vendor.
func (s *Service) PatchSubscription(ctx context.Context, actor account.Principal, customerID, subID string, in SubscriptionPatch) (fulfillment.SubscriptionResource, error) {
	a, err := s.Subscription(ctx, actor, customerID, subID)
	if err != nil {
		return fulfillment.SubscriptionResource{}, err
	}
	now := s.now().UTC()
	typ, items, err := s.changeOf(ctx, a, in, now)
	if err != nil {
		return fulfillment.SubscriptionResource{}, err
	}
	if in.AutoRenewEnabled != nil {
		a.Subscription.AutoRenew = *in.AutoRenewEnabled
	}
	if typ == "" {
		return s.applyDirect(ctx, a, in, now)
	}
	r, err := s.openRequest(ctx, a, typ, items, nil, now)
	if err != nil {
		return fulfillment.SubscriptionResource{}, err
	}
	a.PendingRequest = &fulfillment.Ref{ID: r.ID, Name: r.Type}
	return fulfillment.NewSubscriptionResource(a.Asset, &r), nil
}

// openRequest files a pending request of type typ on the asset, with the
// asset's items as the request makes them, and the idempotency key's claim
// when there is one.
func (s *Service) openRequest(ctx context.Context, a fulfillment.StoredAsset, typ string, items []fulfillment.AssetItem, claim *Claim, now time.Time) (fulfillment.Request, error) {
	tx := s.table.Tx()
	r := fulfillment.Request{ID: fulfillment.RequestID(a.ID, a.NextReq), Type: typ, Status: fulfillment.StatusPending,
		Marketplace: a.Marketplace, Created: now, Updated: now}
	r.Asset = a.Asset
	r.Asset.Items = items
	if err := s.store.AddRequest(tx, a, r, now); err != nil {
		return fulfillment.Request{}, err
	}
	claim.attach(tx, r, now)
	if err := s.commitChange(ctx, tx); err != nil {
		return fulfillment.Request{}, err
	}
	return r, nil
}

// applyDirect saves a change that needs no request (auto-renewal), with
// subscription.updated carrying the resource the caller is answered.
func (s *Service) applyDirect(ctx context.Context, a fulfillment.StoredAsset, in SubscriptionPatch, now time.Time) (fulfillment.SubscriptionResource, error) {
	if in.AutoRenewEnabled == nil {
		return s.resource(ctx, a.Asset)
	}
	a.Rev++
	a.Updated = now
	v, err := s.resource(ctx, a.Asset)
	if err != nil {
		return fulfillment.SubscriptionResource{}, err
	}
	cond := revIs(a.Rev - 1)
	tx := s.table.Tx().Put("asset", fulfillment.AssetRow(a), &cond)
	ev, err := event.New(event.SubscriptionUpdated, a.Provider.ID, v, now)
	if err != nil {
		return fulfillment.SubscriptionResource{}, err
	}
	tx.Emit(ev, s.retentionDays)
	return v, s.commitChange(ctx, tx)
}

func (s *Service) commitChange(ctx context.Context, tx *dynamo.Tx) error {
	err := tx.Commit(ctx)
	if fault.Is(err, fault.Conflict) {
		return fault.Conflictf("another change of this subscription is in progress").WithPartnerCode(CodeOrderInProgress)
	}
	return err
}

// changeOf decides which request a patch makes: "" when none.
func (s *Service) changeOf(ctx context.Context, a fulfillment.StoredAsset, in SubscriptionPatch, now time.Time) (string, []fulfillment.AssetItem, error) {
	if in.AutoRenewEnabled != nil && *in.AutoRenewEnabled != a.Subscription.AutoRenew {
		if a.Status == fulfillment.AssetSuspended {
			return "", nil, fault.Invalidf("subscription %s is suspended; resume it before changing its auto-renewal", a.ID).WithPartnerCode(CodeSuspended)
		}
		// Auto-renewal may be set while the purchase is pending, but not
		// once the subscription has ended.
		if a.Status == fulfillment.AssetTerminated {
			return "", nil, ended(a.Asset)
		}
	}
	wantStatus := ""
	if in.Status != nil && *in.Status != fulfillment.SubscriptionStatus(a.Asset) {
		wantStatus = *in.Status
	}
	qty := a.Quantity()
	wantQty := (in.Quantity != nil && *in.Quantity != qty) || in.quantities != nil
	if wantStatus == "" && !wantQty {
		return "", nil, nil
	}
	if a.PendingRequest != nil {
		return "", nil, fault.Conflictf("subscription %s has a pending %s request %s; wait for it", a.ID, a.PendingRequest.Name, a.PendingRequest.ID).WithPartnerCode(CodeOrderInProgress)
	}
	if wantStatus != "" && wantQty {
		return "", nil, fault.Invalidf("change the quantity and the status in separate requests").WithPartnerCode(CodeInvalidInput)
	}
	if a.Status == fulfillment.AssetSuspended && wantStatus != "active" {
		return "", nil, fault.Invalidf("subscription %s is suspended; resume it before changing it", a.ID).WithPartnerCode(CodeSuspended)
	}
	if !live(a.Asset) {
		return "", nil, ended(a.Asset)
	}
	if wantQty && in.quantities != nil {
		items, err := s.itemsChange(ctx, a, in.quantities, now)
		return fulfillment.TypeChange, items, err
	}
	if wantQty {
		items, err := s.quantityChange(ctx, a, *in.Quantity, now)
		return fulfillment.TypeChange, items, err
	}
	typ, err := s.statusChange(ctx, a, wantStatus, now)
	return typ, a.Items, err
}

// live reports whether a subscription can still change: an asset being
// bought, or one terminated, cannot.
func live(a fulfillment.Asset) bool {
	return a.Status == fulfillment.AssetActive || a.Status == fulfillment.AssetSuspended
}

func ended(a fulfillment.Asset) error {
	return fault.Transitionf("subscription %s is %s and cannot change", a.ID, fulfillment.SubscriptionStatus(a)).WithPartnerCode(CodeInvalidInput)
}

func (s *Service) statusChange(ctx context.Context, a fulfillment.StoredAsset, status string, now time.Time) (string, error) {
	switch status {
	case "suspended", "active":
		v, err := s.catalog.VersionOf(ctx, a.Product.ID, a.Version)
		if err != nil {
			return "", err
		}
		if !v.Product.Capabilities.SuspendResumeSupported {
			return "", fault.Invalidf("product %s does not support suspend and resume", a.Product.ID).WithPartnerCode(CodeInvalidInput)
		}
		if status == "suspended" {
			return fulfillment.TypeSuspend, nil
		}
		return fulfillment.TypeResume, nil
	case "deleted":
		if now.After(a.Subscription.CancellationAllowedUntil) {
			return "", fault.Invalidf("subscription %s can only be cancelled until %s", a.ID, a.Subscription.CancellationAllowedUntil.Format(time.RFC3339)).WithPartnerCode(CodeCancelWindow)
		}
		return fulfillment.TypeCancel, nil
	}
	return "", fault.Invalidf("status must be active, suspended or deleted (got %q)", status).WithPartnerCode(CodeInvalidInput)
}

// quantityChange sets the new quantity on the subscription's reservation
// item, within its limits; a decrease only inside the cancellation window.
func (s *Service) quantityChange(ctx context.Context, a fulfillment.StoredAsset, qty int, now time.Time) ([]fulfillment.AssetItem, error) {
	idx := -1
	for i, it := range a.Items {
		if it.Type == catalog.ItemReservation {
			if idx >= 0 {
				return nil, fault.Invalidf("subscription %s has several reservation items; change it through a Connect change request", a.ID).WithPartnerCode(CodeInvalidInput)
			}
			idx = i
		}
	}
	if idx < 0 {
		return nil, fault.Invalidf("subscription %s is billed by usage and has no quantity", a.ID).WithPartnerCode(CodeInvalidInput)
	}
	return s.itemsChange(ctx, a, map[string]int{a.Items[idx].ID: qty}, now)
}

// itemsChange sets new quantities on the subscription's reservation items
// (by id or local id), each within its limits; a decrease only inside the
// cancellation window. Items not named keep theirs.
func (s *Service) itemsChange(ctx context.Context, a fulfillment.StoredAsset, quantities map[string]int, now time.Time) ([]fulfillment.AssetItem, error) {
	v, err := s.catalog.VersionOf(ctx, a.Product.ID, a.Version)
	if err != nil {
		return nil, err
	}
	items := append([]fulfillment.AssetItem(nil), a.Items...)
	changed, found := false, 0
	for i, ai := range items {
		qty, ok := quantities[ai.ID]
		if !ok {
			qty, ok = quantities[ai.LocalID]
		}
		if !ok {
			continue
		}
		found++
		if ai.Type != catalog.ItemReservation {
			return nil, fault.Invalidf("item %s of subscription %s is billed by usage and has no quantity", ai.ID, a.ID).WithPartnerCode(CodeInvalidInput)
		}
		old, _ := strconv.Atoi(ai.Quantity)
		if qty == old {
			continue
		}
		if qty < old && now.After(a.Subscription.CancellationAllowedUntil) {
			return nil, fault.Invalidf("seats can only be reduced until %s", a.Subscription.CancellationAllowedUntil.Format(time.RFC3339)).WithPartnerCode(CodeDecreaseWindow)
		}
		it, ok := v.Item(ai.ID)
		if !ok || qty < it.MinQuantity || (it.MaxQuantity != nil && qty > *it.MaxQuantity) {
			return nil, fault.Invalidf("subscription quantity is not within minimum and maximum allowed quantity (%d to %s)", it.MinQuantity, maxString(it.MaxQuantity)).WithPartnerCode(CodeQuantityOutOfSpan)
		}
		items[i].OldQuantity, items[i].Quantity = ai.Quantity, strconv.Itoa(qty)
		changed = true
	}
	switch {
	case found < len(quantities):
		return nil, fault.Invalidf("every item of a change must be an item of subscription %s", a.ID).WithPartnerCode(CodeInvalidInput)
	case !changed:
		return nil, fault.Invalidf("the change sets every quantity to what subscription %s has", a.ID).WithPartnerCode(CodeInvalidInput)
	}
	return items, nil
}

func maxString(m *int) string {
	if m == nil {
		return "unlimited"
	}
	return strconv.Itoa(*m)
}

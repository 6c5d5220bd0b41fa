package ordering

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// Partner Center codes of subscription changes.
const (
	CodeOrderInProgress   = 800060 // a change is already pending
	CodeDecreaseWindow    = 800090 // seats can only drop inside the window
	CodeSuspended         = 800091 // a suspended subscription refuses changes
	CodeCancelWindow      = 900117 // cancellation window has passed
	CodeQuantityOutOfSpan = 2002   // quantity not within min and max
)

// Subscriptions lists a customer's subscriptions (its assets), optionally
// those of one order.
func (s *Service) Subscriptions(ctx context.Context, actor account.Principal, customerID, orderID string) ([]fulfillment.Asset, error) {
	if _, err := s.Customer(ctx, actor, customerID); err != nil {
		return nil, err
	}
	assets, err := fulfillment.Docs[fulfillment.Asset](ctx, s.store, dynamo.Partition{Index: dynamo.GSI2, PK: "SUBS#" + customerID})
	if err != nil {
		return nil, err
	}
	out := assets[:0]
	for _, a := range assets {
		if orderID == "" || a.Subscription.OrderID == orderID {
			out = append(out, a)
		}
	}
	return out, nil
}

// Subscription reads one subscription of a customer of the caller.
func (s *Service) Subscription(ctx context.Context, actor account.Principal, customerID, subID string) (fulfillment.StoredAsset, error) {
	a, err := s.store.Asset(ctx, subID)
	if errors.Is(err, fulfillment.ErrNotFound) || (err == nil && (a.Provider.ID != actor.AccountID || a.Subscription.CustomerID != customerID)) {
		return fulfillment.StoredAsset{}, fault.NotFoundf("subscription %s not found", subID)
	}
	return a, err
}

// SubscriptionPatch is the body of PATCH …/subscriptions/{id}. Partner
// Center clients send the whole resource; only these fields act.
type SubscriptionPatch struct {
	Quantity         *int    `json:"quantity"`
	Status           *string `json:"status"`
	AutoRenewEnabled *bool   `json:"autoRenewEnabled"`
}

// PatchSubscription applies auto-renewal at once, and turns a quantity or
// status change into a pending request for the vendor.
func (s *Service) PatchSubscription(ctx context.Context, actor account.Principal, customerID, subID string, in SubscriptionPatch) (fulfillment.Asset, error) {
	a, err := s.Subscription(ctx, actor, customerID, subID)
	if err != nil {
		return fulfillment.Asset{}, err
	}
	now := s.now().UTC()
	typ, items, err := s.changeOf(ctx, a, in, now)
	if err != nil {
		return fulfillment.Asset{}, err
	}
	if in.AutoRenewEnabled != nil {
		a.Subscription.AutoRenew = *in.AutoRenewEnabled
	}
	tx := s.table.Tx()
	if typ == "" {
		if in.AutoRenewEnabled == nil {
			return a.Asset, nil
		}
		if err := s.saveAsset(tx, a, now); err != nil {
			return fulfillment.Asset{}, err
		}
		return a.Asset, s.commitChange(ctx, tx)
	}
	r := fulfillment.Request{ID: fulfillment.RequestID(a.ID, a.NextReq), Type: typ, Status: fulfillment.StatusPending,
		Marketplace: a.Marketplace, Created: now, Updated: now}
	r.Asset = a.Asset
	r.Asset.Items = items
	if err := s.store.AddRequest(tx, a, r, now); err != nil {
		return fulfillment.Asset{}, err
	}
	if err := s.commitChange(ctx, tx); err != nil {
		return fulfillment.Asset{}, err
	}
	a.PendingRequest = &fulfillment.Ref{ID: r.ID, Name: r.Type}
	return a.Asset, nil
}

func (s *Service) commitChange(ctx context.Context, tx *dynamo.Tx) error {
	err := tx.Commit(ctx)
	if fault.Is(err, fault.Conflict) {
		return fault.Conflictf("another change of this subscription is in progress").WithPartnerCode(CodeOrderInProgress)
	}
	return err
}

// saveAsset writes the asset back under its revision, with
// subscription.updated for the provider.
func (s *Service) saveAsset(tx *dynamo.Tx, a fulfillment.StoredAsset, now time.Time) error {
	rev := a.Rev
	a.Rev++
	a.Updated = now
	cond := revIs(rev)
	tx.Put("asset", fulfillment.AssetRow(a), &cond)
	ev, err := event.New(event.SubscriptionUpdated, a.Provider.ID, a.Asset, now)
	if err != nil {
		return err
	}
	tx.Emit(ev, s.retentionDays)
	return nil
}

// changeOf decides which request a patch makes: "" when none.
func (s *Service) changeOf(ctx context.Context, a fulfillment.StoredAsset, in SubscriptionPatch, now time.Time) (string, []fulfillment.AssetItem, error) {
	wantStatus := ""
	if in.Status != nil && *in.Status != subscriptionStatus(a.Asset) {
		wantStatus = *in.Status
	}
	qty := a.Quantity()
	wantQty := in.Quantity != nil && *in.Quantity != qty
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
	if a.Status != fulfillment.AssetActive && a.Status != fulfillment.AssetSuspended {
		return "", nil, fault.Transitionf("subscription %s is %s and cannot change", a.ID, subscriptionStatus(a.Asset)).WithPartnerCode(CodeInvalidInput)
	}
	if wantQty {
		items, err := s.quantityChange(ctx, a, *in.Quantity, now)
		return fulfillment.TypeChange, items, err
	}
	typ, err := s.statusChange(ctx, a, wantStatus, now)
	return typ, a.Items, err
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
	if qty < a.Quantity() && now.After(a.Subscription.CancellationAllowedUntil) {
		return nil, fault.Invalidf("seats can only be reduced until %s", a.Subscription.CancellationAllowedUntil.Format(time.RFC3339)).WithPartnerCode(CodeDecreaseWindow)
	}
	v, err := s.catalog.VersionOf(ctx, a.Product.ID, a.Version)
	if err != nil {
		return nil, err
	}
	it, ok := v.Item(a.Items[idx].ID)
	if !ok || qty < it.MinQuantity || (it.MaxQuantity != nil && qty > *it.MaxQuantity) {
		return nil, fault.Invalidf("subscription quantity is not within minimum and maximum allowed quantity (%d to %s)", it.MinQuantity, maxString(it.MaxQuantity)).WithPartnerCode(CodeQuantityOutOfSpan)
	}
	items := append([]fulfillment.AssetItem(nil), a.Items...)
	items[idx].OldQuantity = items[idx].Quantity
	items[idx].Quantity = strconv.Itoa(qty)
	return items, nil
}

func maxString(m *int) string {
	if m == nil {
		return "unlimited"
	}
	return strconv.Itoa(*m)
}

// subscriptionStatus maps an asset status to Partner Center's.
func subscriptionStatus(a fulfillment.Asset) string {
	switch a.Status {
	case fulfillment.AssetActive:
		return "active"
	case fulfillment.AssetSuspended:
		return "suspended"
	case fulfillment.AssetTerminated:
		return "deleted"
	}
	return "pending"
}

// SubscriptionStatus is subscriptionStatus for the HTTP layer.
func SubscriptionStatus(a fulfillment.Asset) string { return subscriptionStatus(a) }

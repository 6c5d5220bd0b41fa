package ordering

import (
	"context"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// Provisioning statuses of an order line, derived from its asset.
const (
	PrefulfillmentPending = "PrefulfillmentPending"
	Fulfilled             = "Fulfilled"
	Unfulfilled           = "Unfulfilled"
)

// LineProvisioning is the state of one order line.
type LineProvisioning struct {
	Line   OrderLine
	Asset  fulfillment.Asset
	Status string
}

// Provisioning reads an order and the assets of its lines (one GetItem and
// one BatchGetItem), and derives each line's provisioning status from its
// purchase: fulfilled once the asset is active (or later suspended),
// unfulfilled when the purchase failed.
func (s *Service) Provisioning(ctx context.Context, actor account.Principal, customerID, orderID string) (Order, []LineProvisioning, error) {
	o, err := s.Order(ctx, actor, customerID, orderID)
	if err != nil {
		return Order{}, nil, err
	}
	ids := make([]string, 0, len(o.LineItems))
	for _, l := range o.LineItems {
		ids = append(ids, l.SubscriptionID)
	}
	assets, err := s.store.Assets(ctx, ids)
	if err != nil {
		return Order{}, nil, err
	}
	out := make([]LineProvisioning, 0, len(o.LineItems))
	for _, l := range o.LineItems {
		a := assets[l.SubscriptionID]
		out = append(out, LineProvisioning{Line: l, Asset: a, Status: lineStatus(a)})
	}
	return o, out, nil
}

func lineStatus(a fulfillment.Asset) string {
	switch {
	case a.Status == fulfillment.AssetActive || a.Status == fulfillment.AssetSuspended:
		return Fulfilled
	case a.Status == fulfillment.AssetTerminated && a.ActivatedAt == nil:
		// Terminated without ever being active: the purchase failed.
		return Unfulfilled
	case a.Status == fulfillment.AssetTerminated:
		return Fulfilled
	}
	return PrefulfillmentPending
}

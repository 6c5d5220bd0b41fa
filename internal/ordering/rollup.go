package ordering

import (
	"context"
	"errors"
	"fmt"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// RollUp recomputes a pending order's status from the assets of its lines,
// for the fulfillment worker once a purchase ends: completed when no line
// waits for fulfillment and at least one was fulfilled, cancelled when every
// line failed. A new status is written under the order's revision with
// order.updated; extra adds items to the same transaction (the worker's
// dedupe mark). It reports whether it wrote. Reads: one GetItem (the order)
// and one BatchGetItem (its assets).
func (s *Service) RollUp(ctx context.Context, customerID, orderID string, extra func(*dynamo.Tx)) (bool, error) {
	var r row
	err := s.table.Get(ctx, dynamo.Key{PK: customerPK(customerID), SK: "ORDER#" + orderID}, &r)
	if errors.Is(err, dynamo.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	o, err := dynamo.Decode[Order](r)
	if err != nil || o.Status != OrderPending {
		return false, err
	}
	ids := make([]string, 0, len(o.LineItems))
	for _, l := range o.LineItems {
		ids = append(ids, l.SubscriptionID)
	}
	assets, err := s.store.Assets(ctx, ids)
	if err != nil {
		return false, err
	}
	if o.Status = rolledUp(o, assets); o.Status == OrderPending {
		return false, nil
	}
	return true, s.saveOrder(ctx, r, o, extra)
}

// rolledUp is the order status its lines' provisioning gives.
func rolledUp(o Order, assets map[string]fulfillment.Asset) string {
	fulfilled := 0
	for _, l := range o.LineItems {
		switch lineStatus(assets[l.SubscriptionID]) {
		case Fulfilled:
			fulfilled++
		case Unfulfilled:
		default:
			return OrderPending
		}
	}
	if fulfilled == 0 {
		return OrderCancelled
	}
	return OrderCompleted
}

func (s *Service) saveOrder(ctx context.Context, old row, o Order, extra func(*dynamo.Tx)) error {
	next := docRow(old.PK, old.SK, old.Entity, old.Owner, o)
	next.Rev = old.Rev + 1
	cond := revIs(old.Rev)
	tx := s.table.Tx().Put("order", next, &cond)
	ev, err := event.New(event.OrderUpdated, o.ProviderID, NewOrderResource(o), s.now().UTC())
	if err != nil {
		return err
	}
	tx.Emit(ev, s.retentionDays)
	if extra != nil {
		extra(tx)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("ordering: roll up order %s: %w", o.ID, err)
	}
	return nil
}

// Package services builds the domain services that more than one function
// uses, on a function.Base. Building one links its package, not more: the
// constructors are cheap, and none of these packages does work at init.
package services

import (
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ordering"
)

// Core are the cheap services that the API, the fulfillment worker, usage
// processing and billing share.
type Core struct {
	Accounts *account.Service
	Catalog  *catalog.Service
	// FulfillmentStore stores the assets and requests that the fulfillment
	// service moves through their states.
	FulfillmentStore *fulfillment.Store
}

// NewCore builds the shared services on b's table.
func NewCore(b *function.Base) Core {
	days := b.Config.EventRetentionDays
	return Core{
		Accounts:         account.NewService(b.Table, b.Now, days),
		Catalog:          catalog.NewService(b.Table, b.Now, days),
		FulfillmentStore: fulfillment.NewStore(b.Table, days),
	}
}

// Ordering is the ordering service: carts, orders and subscriptions.
func Ordering(b *function.Base, c Core) *ordering.Service {
	return ordering.NewService(b.Table, c.Catalog, c.FulfillmentStore, b.Now, b.Config.EventRetentionDays, b.Metrics)
}

// Fulfillment is the fulfillment service: the request queue and its
// transitions.
func Fulfillment(b *function.Base, c Core) *fulfillment.Service {
	return fulfillment.NewService(c.FulfillmentStore, c.Catalog, b.Now).WithRenewalPage(b.Config.RenewalPage)
}

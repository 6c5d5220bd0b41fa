// Package services builds the domain services that more than one function
// uses, on a function.Base.
package services

import (
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
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

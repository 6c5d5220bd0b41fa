package app

import "github.com/mercato-dev/mercato/internal/fulfillment"

// fulfillmentWorker builds the fulfillment worker on the app's services.
func (a *App) fulfillmentWorker() *fulfillment.Worker {
	return fulfillment.NewWorker(fulfillment.WorkerConfig{
		Service:  a.Requests,
		Store:    a.Store,
		Orders:   a.Ordering,
		Accounts: a.Accounts,
		Mailer:   a.Mailer,
		BaseURL:  a.Config.PublicBaseURL,
		Logger:   a.Log,
		Now:      a.now,
	})
}

// Renewals returns FulfillmentFunction's scheduled handler: the daily
// subscription renewals.
func (a *App) Renewals() ScheduleHandler {
	return a.fulfillmentWorker().Scheduled
}

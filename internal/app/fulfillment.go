package app

import (
	"github.com/mercato-dev/mercato/internal/consumer"
	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// fulfillmentWorker builds the fulfillment worker on the app's services.
func (a *App) fulfillmentWorker() *fulfillment.Worker {
	return fulfillment.NewWorker(fulfillment.WorkerConfig{
		Service:  a.Fulfillment(),
		Store:    a.FulfillmentStore,
		Orders:   a.Ordering(),
		Accounts: a.Accounts,
		Mailer:   a.Mailer(),
		BaseURL:  a.Config.PublicBaseURL,
		Logger:   a.Log,
		Now:      a.now,
		Metrics:  a.Metrics,
	})
}

// fulfillmentHandler is FulfillmentFunction's queue handler: order
// roll-ups, e-mails and auto-approval on request events.
func (a *App) fulfillmentHandler() (SQSHandler, error) {
	c := &consumer.Events{Name: "fulfillment", Logger: a.Log, Handlers: a.fulfillmentWorker().Handlers()}
	return c.Handle, nil
}

// renewals is FulfillmentFunction's scheduled handler: the daily
// subscription renewals.
func (a *App) renewals() (ScheduleHandler, error) {
	return a.fulfillmentWorker().Scheduled, nil
}

// Package fulfillmentfn builds FulfillmentFunction's handlers: order
// roll-ups, e-mails and auto-approval on request events, and the daily
// renewals.
package fulfillmentfn

import (
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/services"
	"github.com/mercato-dev/mercato/internal/consumer"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/sesmail"
	"github.com/mercato-dev/mercato/internal/ordering"
)

// Mailer sends the fulfillment worker's e-mails.
func Mailer(b *function.Base) fulfillment.Mailer {
	return &sesmail.Mailer{Client: sesv2.NewFromConfig(b.AWS), From: b.Config.EmailFrom}
}

// Worker are the services the fulfillment worker uses beyond services.Core.
type Worker struct {
	Ordering    *ordering.Service
	Fulfillment *fulfillment.Service
	Mailer      fulfillment.Mailer
}

// NewWorker builds the fulfillment worker.
func NewWorker(b *function.Base, c services.Core, w Worker) *fulfillment.Worker {
	return fulfillment.NewWorker(fulfillment.WorkerConfig{
		Service:  w.Fulfillment,
		Store:    c.FulfillmentStore,
		Orders:   w.Ordering,
		Accounts: c.Accounts,
		Mailer:   w.Mailer,
		BaseURL:  b.Config.PublicBaseURL,
		Logger:   b.Log,
		Now:      b.Now,
		Metrics:  b.Metrics,
	})
}

// Handler is the fulfillment queue's handler.
func Handler(b *function.Base, w *fulfillment.Worker) function.SQSHandler {
	c := &consumer.Events{Name: "fulfillment", Logger: b.Log, Handlers: w.Handlers()}
	return c.Handle
}

// Lambda is the fulfillment function's Lambda handler: the queue's events
// and the daily renewals.
func Lambda(b *function.Base) (function.LambdaHandler, error) {
	c := services.NewCore(b)
	w := NewWorker(b, c, Worker{Ordering: services.Ordering(b, c), Fulfillment: services.Fulfillment(b, c), Mailer: Mailer(b)})
	return function.SQSOrSchedule(Handler(b, w), w.Scheduled), nil
}

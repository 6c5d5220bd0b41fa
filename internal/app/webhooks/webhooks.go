// Package webhooks builds the webhook store, guard and dispatcher that the
// API's test attempts and DispatcherFunction share. It is apart from
// dispatcherfn, which sends the dispatcher's retries to SQS, so that the
// API does not link the SQS client.
package webhooks

import (
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/metrics"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// Wiring is the store and the SSRF guard that the dispatcher and the API's
// test attempts share.
type Wiring struct {
	Store *webhook.DynamoStore
	Guard *webhook.Guard
}

// New builds the webhook store and guard on b.
func New(b *function.Base) Wiring {
	return Wiring{
		Store: webhook.NewDynamoStore(b.Table, b.Config.EventRetentionDays).WithDeliveryShards(b.Config.WebhookDeliveryShards),
		Guard: &webhook.Guard{AllowHTTPLoopback: b.Config.AllowHTTPLoopback},
	}
}

// Dispatcher builds a dispatcher that schedules its retries on queue; nil
// schedules none.
func Dispatcher(b *function.Base, w Wiring, queue webhook.Queue) *webhook.Dispatcher {
	// Only the dispatcher's attempts count toward the failure rate: a
	// vendor's test attempts at an endpoint being set up are no outage.
	var m *metrics.Recorder
	if queue != nil {
		m = b.Metrics
	}
	return webhook.NewDispatcher(webhook.DispatcherConfig{
		Metrics:      m,
		Store:        w.Store,
		Client:       webhook.NewClient(w.Guard),
		Queue:        queue,
		Schedule:     b.Config.WebhookRetries,
		RecoveryPage: b.Config.RecoveryPage,
		Now:          b.Now,
		Logger:       b.Log,
	})
}

// Service is the webhook registration API. The API makes test attempts
// only, which never schedule a retry: its dispatcher gets no queue (and its
// role no SQS permission).
func Service(b *function.Base, w Wiring) *webhook.Service {
	return webhook.NewService(w.Store, w.Guard, Dispatcher(b, w, nil), b.Now)
}

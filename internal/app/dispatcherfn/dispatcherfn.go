// Package dispatcherfn builds DispatcherFunction's handler, the webhook
// queue's consumer, and the webhook services the API shares with it.
package dispatcherfn

import (
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/metrics"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// Webhooks are the store and the SSRF guard that the dispatcher and the
// API's test attempts share.
type Webhooks struct {
	Store *webhook.DynamoStore
	Guard *webhook.Guard
}

// NewWebhooks builds the webhook store and guard on b.
func NewWebhooks(b *function.Base) Webhooks {
	return Webhooks{
		Store: webhook.NewDynamoStore(b.Table, b.Config.EventRetentionDays).WithDeliveryShards(b.Config.WebhookDeliveryShards),
		Guard: &webhook.Guard{AllowHTTPLoopback: b.Config.AllowHTTPLoopback},
	}
}

// Dispatcher builds a dispatcher that schedules its retries on queue; nil
// schedules none.
func Dispatcher(b *function.Base, w Webhooks, queue webhook.Queue) *webhook.Dispatcher {
	// Only the dispatcher's attempts count toward the failure rate: a
	// vendor's test attempts at an endpoint being set up are no outage.
	var m *metrics.Recorder
	if queue != nil {
		m = b.Metrics
	}
	return webhook.NewDispatcher(webhook.DispatcherConfig{
		Metrics:  m,
		Store:    w.Store,
		Client:   webhook.NewClient(w.Guard),
		Queue:    queue,
		QueueURL: b.Config.WebhookQueue,
		Schedule: b.Config.WebhookRetries,
		Now:      b.Now,
		Logger:   b.Log,
	})
}

// Service is the webhook registration API. The API makes test attempts
// only, which never schedule a retry: its dispatcher gets no queue (and its
// role no SQS permission).
func Service(b *function.Base, w Webhooks) *webhook.Service {
	return webhook.NewService(w.Store, w.Guard, Dispatcher(b, w, nil), b.Now)
}

// Handler is the webhook queue's handler, which schedules its retries on
// the same queue.
func Handler(b *function.Base, w Webhooks) function.SQSHandler {
	return Dispatcher(b, w, sqs.NewFromConfig(b.AWS)).Handle
}

// Lambda is the dispatcher's Lambda handler.
func Lambda(b *function.Base) (function.LambdaHandler, error) {
	return function.Typed(Handler(b, NewWebhooks(b))), nil
}

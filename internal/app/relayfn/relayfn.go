// Package relayfn builds RelayFunction's handler: the DynamoDB stream
// consumer that publishes committed outbox events to their queues.
package relayfn

import (
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/relay"
)

// Relay builds the relay on b's table and a queue client of its own.
func Relay(b *function.Base) (*relay.Relay, error) {
	return relay.New(relay.Config{
		Table: b.Table,
		SQS:   sqs.NewFromConfig(b.AWS),
		Queues: map[event.Route]string{
			event.RouteFulfillment: b.Config.FulfillmentQueue,
			event.RouteWebhook:     b.Config.WebhookQueue,
			event.RouteBilling:     b.Config.BillingQueue,
			event.RouteUsage:       b.Config.UsageQueue,
		},
		Logger:  b.Log,
		Metrics: b.Metrics,
	})
}

// Lambda is the relay's Lambda handler.
func Lambda(b *function.Base) (function.LambdaHandler, error) {
	rl, err := Relay(b)
	if err != nil {
		return nil, err
	}
	return function.Typed(rl.Handle), nil
}

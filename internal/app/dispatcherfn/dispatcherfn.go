// Package dispatcherfn builds DispatcherFunction's handler, the webhook
// queue's consumer; the webhook services it shares with the API are built
// by package webhooks.
package dispatcherfn

import (
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/webhooks"
	"github.com/mercato-dev/mercato/internal/webhook/sqsqueue"
)

// Handler is the webhook queue's handler, which schedules its retries on
// the same queue.
func Handler(b *function.Base, w webhooks.Wiring) function.SQSHandler {
	queue := &sqsqueue.Queue{Client: sqs.NewFromConfig(b.AWS), URL: b.Config.WebhookQueue}
	return webhooks.Dispatcher(b, w, queue).Handle
}

// Lambda is the dispatcher's Lambda handler.
func Lambda(b *function.Base) (function.LambdaHandler, error) {
	return function.Typed(Handler(b, webhooks.New(b))), nil
}

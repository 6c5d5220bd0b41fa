// Package usagefn builds UsageFunction's handler of uploaded usage files,
// and the usage services the API and billing share.
package usagefn

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mercato-dev/mercato/internal/app/bucket"
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/services"
	"github.com/mercato-dev/mercato/internal/consumer"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/usage"
)

// maxReceives is UsageQueue's maxReceiveCount in template.yaml: the usage
// function gives a file up (invalid, never stuck in processing) on the
// delivery after which the message would go to the DLQ.
const maxReceives = 5

// Store stores usage files and their rows.
func Store(b *function.Base) *usage.Store {
	return usage.NewStore(b.Table, b.Config.EventRetentionDays)
}

// Files is the usage file API.
func Files(b *function.Base, c services.Core, store *usage.Store, objects *s3.Client) *usage.Service {
	return usage.NewService(usage.ServiceConfig{
		Store: store, Catalog: c.Catalog, Objects: objects, Presign: s3.NewPresignClient(objects),
		Bucket: b.Config.UsageBucket, Now: b.Now,
	})
}

// Processor is the usage function's processor of uploaded files.
func Processor(b *function.Base, c services.Core, store *usage.Store, objects *s3.Client) *usage.Processor {
	return usage.NewProcessor(usage.ProcessorConfig{
		Store: store, Objects: objects, Bucket: b.Config.UsageBucket, Catalog: c.Catalog, Assets: c.FulfillmentStore,
		Logger: b.Log, Now: b.Now, TmpDir: os.TempDir(), MaxReceives: maxReceives, Metrics: b.Metrics,
	})
}

// Handler is the usage queue's handler: S3 notifications, one uploaded
// file per message (BatchSize 1), and the job.usage_delete units the relay
// routes there, which it tells apart by their event type attribute.
func Handler(b *function.Base, p *usage.Processor) function.SQSHandler {
	units := &consumer.Events{Name: "usage", Logger: b.Log, Handlers: map[event.Type]consumer.EventFunc{
		event.JobUsageDelete: p.OnDeleteUnit,
	}}
	return func(ctx context.Context, in events.SQSEvent) (events.SQSEventResponse, error) {
		return consumer.Batch(ctx, b.Log, "usage", in, func(ctx context.Context, msg events.SQSMessage) error {
			if _, ok := msg.MessageAttributes[event.TypeAttribute]; ok {
				return units.Message(ctx, msg)
			}
			return p.HandleMessage(ctx, msg)
		}), nil
	}
}

// Lambda is the usage function's Lambda handler.
func Lambda(b *function.Base) (function.LambdaHandler, error) {
	return function.Typed(Handler(b, Processor(b, services.NewCore(b), Store(b), bucket.Client(b)))), nil
}

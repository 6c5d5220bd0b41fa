// Package billingfn builds BillingFunction's handlers: an accepted usage
// file is billed at once, and a daily run closes the periods of every
// provider.
package billingfn

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mercato-dev/mercato/internal/app/bucket"
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/services"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/consumer"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/usage"
)

// Biller rates usage and subscriptions and closes billing periods.
func Biller(b *function.Base, c services.Core, usageStore *usage.Store, exports billing.Exports) *billing.Biller {
	return billing.NewBiller(billing.Config{Table: b.Table, Usage: usageStore, Assets: c.FulfillmentStore, Logger: b.Log, Now: b.Now, Metrics: b.Metrics,
		Exports: exports})
}

// Exports is where large reconciliation exports are written: under
// exports/ in the usage bucket (the usage function ignores those keys),
// whose lifecycle rule deletes them after ExportRetentionDays, a part of
// ExportPartBytes a unit.
func Exports(b *function.Base, objects *s3.Client) billing.Exports {
	return billing.Exports{Objects: objects, Presign: s3.NewPresignClient(objects), Bucket: b.Config.UsageBucket,
		PartBytes: b.Config.ExportPartBytes, RetentionDays: b.Config.ExportRetentionDays}
}

// Handler is the billing queue's handler.
func Handler(b *function.Base, biller *billing.Biller) function.SQSHandler {
	c := &consumer.Events{Name: "billing", Logger: b.Log, Handlers: map[event.Type]consumer.EventFunc{
		event.UsageFileUpdated: biller.OnUsageFile,
		event.JobBilling:       biller.OnUnit,
		event.JobExport:        biller.OnExportUnit,
	}}
	return c.Handle
}

// Schedule is the daily run over every provider.
func Schedule(b *function.Base, biller *billing.Biller) function.ScheduleHandler {
	return func(ctx context.Context, e events.EventBridgeEvent) error {
		ctx, _ = logging.WithScope(ctx, e.ID)
		b.Log.InfoContext(ctx, "billing: scheduled run", slog.Time("time", e.Time))
		return biller.Scheduled(ctx)
	}
}

// Lambda is the billing function's Lambda handler.
func Lambda(b *function.Base) (function.LambdaHandler, error) {
	biller := Biller(b, services.NewCore(b), usage.NewStore(b.Table, b.Config.EventRetentionDays), Exports(b, bucket.Client(b)))
	return function.SQSOrSchedule(Handler(b, biller), Schedule(b, biller)), nil
}

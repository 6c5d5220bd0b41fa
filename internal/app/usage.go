package app

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/consumer"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/usage"
)

// usageMaxReceives is UsageQueue's maxReceiveCount in template.yaml: the
// usage function gives a file up (invalid, never stuck in processing) on
// the delivery after which the message would go to the DLQ.
const usageMaxReceives = 5

// buildUsage makes the usage file and billing services.
func (a *App) buildUsage() {
	a.UsageStore = usage.NewStore(a.Table, a.Config.EventRetentionDays)
	a.UsageFiles = usage.NewService(usage.ServiceConfig{
		Store: a.UsageStore, Catalog: a.Catalog, Objects: a.S3, Presign: s3.NewPresignClient(a.S3),
		Bucket: a.Config.UsageBucket, Now: a.now,
	})
	a.Biller = billing.NewBiller(billing.Config{Table: a.Table, Usage: a.UsageStore, Assets: a.Store, Logger: a.Log, Now: a.now})
	a.Invoices = billing.NewReader(a.Biller.Store())
}

// UsageProcessor returns the usage function's processor of uploaded files.
func (a *App) UsageProcessor() *usage.Processor {
	return usage.NewProcessor(usage.ProcessorConfig{
		Store: a.UsageStore, Objects: a.S3, Bucket: a.Config.UsageBucket, Catalog: a.Catalog, Assets: a.Store,
		Logger: a.Log, Now: a.now, TmpDir: os.TempDir(), MaxReceives: usageMaxReceives,
	})
}

// Usage returns the usage function's handler of S3 notifications: one
// uploaded file per message (BatchSize 1).
func (a *App) Usage() func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	p := a.UsageProcessor()
	return func(ctx context.Context, in events.SQSEvent) (events.SQSEventResponse, error) {
		return consumer.Batch(ctx, a.Log, "usage", in, p.HandleMessage), nil
	}
}

// Billing returns the billing function's queue handler: an accepted usage
// file is billed at once.
func (a *App) Billing() *consumer.Events {
	return &consumer.Events{Name: "billing", Logger: a.Log, Handlers: map[event.Type]consumer.EventFunc{
		event.UsageFileUpdated: a.Biller.OnUsageFile,
	}}
}

// BillingSchedule returns the billing function's daily run over every
// provider.
func (a *App) BillingSchedule() func(context.Context, events.EventBridgeEvent) error {
	return func(ctx context.Context, e events.EventBridgeEvent) error {
		ctx, _ = logging.WithScope(ctx, e.ID)
		a.Log.InfoContext(ctx, "billing: scheduled run", slog.Time("time", e.Time))
		return a.Biller.Scheduled(ctx)
	}
}

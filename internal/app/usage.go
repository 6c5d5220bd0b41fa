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

// UsageStore stores usage files and their rows.
func (a *App) UsageStore() *usage.Store {
	if a.usageStore == nil {
		a.usageStore = usage.NewStore(a.Table, a.Config.EventRetentionDays)
	}
	return a.usageStore
}

// UsageFiles is the usage file API.
func (a *App) UsageFiles() *usage.Service {
	if a.usageFiles == nil {
		a.usageFiles = usage.NewService(usage.ServiceConfig{
			Store: a.UsageStore(), Catalog: a.Catalog, Objects: a.S3(), Presign: s3.NewPresignClient(a.S3()),
			Bucket: a.Config.UsageBucket, Now: a.now,
		})
	}
	return a.usageFiles
}

// Biller rates usage and subscriptions and closes billing periods.
func (a *App) Biller() *billing.Biller {
	if a.biller == nil {
		a.biller = billing.NewBiller(billing.Config{Table: a.Table, Usage: a.UsageStore(), Assets: a.FulfillmentStore, Logger: a.Log, Now: a.now, Metrics: a.Metrics,
			Exports: a.Exports()})
	}
	return a.biller
}

// Exports is where large reconciliation exports are written: under
// exports/ in the usage bucket (the usage function ignores those keys).
func (a *App) Exports() billing.Exports {
	return billing.Exports{Objects: a.S3(), Presign: s3.NewPresignClient(a.S3()), Bucket: a.Config.UsageBucket}
}

// UsageProcessor returns the usage function's processor of uploaded files.
func (a *App) UsageProcessor() *usage.Processor {
	return usage.NewProcessor(usage.ProcessorConfig{
		Store: a.UsageStore(), Objects: a.S3(), Bucket: a.Config.UsageBucket, Catalog: a.Catalog, Assets: a.FulfillmentStore,
		Logger: a.Log, Now: a.now, TmpDir: os.TempDir(), MaxReceives: usageMaxReceives, Metrics: a.Metrics,
	})
}

// usageHandler is UsageFunction's handler of S3 notifications: one
// uploaded file per message (BatchSize 1).
func (a *App) usageHandler() (SQSHandler, error) {
	p := a.UsageProcessor()
	return func(ctx context.Context, in events.SQSEvent) (events.SQSEventResponse, error) {
		return consumer.Batch(ctx, a.Log, "usage", in, p.HandleMessage), nil
	}, nil
}

// billingHandler is BillingFunction's queue handler: an accepted usage
// file starts a run of its provider, and each job.billing unit is one
// step of a run.
func (a *App) billingHandler() (SQSHandler, error) {
	c := &consumer.Events{Name: "billing", Logger: a.Log, Handlers: map[event.Type]consumer.EventFunc{
		event.UsageFileUpdated: a.Biller().OnUsageFile,
		event.JobBilling:       a.Biller().OnUnit,
		event.JobExport:        a.Biller().OnExportUnit,
	}}
	return c.Handle, nil
}

// billingSchedule is BillingFunction's daily start of every provider's run.
func (a *App) billingSchedule() (ScheduleHandler, error) {
	b := a.Biller()
	return func(ctx context.Context, e events.EventBridgeEvent) error {
		ctx, _ = logging.WithScope(ctx, e.ID)
		a.Log.InfoContext(ctx, "billing: scheduled run", slog.Time("time", e.Time))
		return b.Scheduled(ctx)
	}, nil
}
